//! Awaitables are lazy, as asyncio's coroutines are (issue: "Awaitables are lazy"):
//! `sleep`, `sleep_until`, `timeout`, `timeout_at` and `to_thread` can be built before
//! the loop starts — even as `asyncio::run`'s argument — nothing happens until the
//! first poll, and a relative duration counts from that poll. `spawn` stays eager, and
//! its message says how to fix the `asyncio::run(spawn(..))` mistake.

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use asyncio::{sleep, sleep_until, spawn, timeout, timeout_at, to_thread};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn paused() -> Builder {
    Builder::new().start_paused(true)
}

#[test]
fn run_of_a_sleep_works() {
    // asyncio.run(asyncio.sleep(0.01))
    asyncio::run(sleep(Duration::from_millis(10)));
    paused().run(sleep(Duration::from_secs(3600)));
}

#[test]
fn run_of_a_timeout_and_of_to_thread_work() {
    assert_eq!(
        asyncio::run(timeout(Duration::from_secs(60), async { 5 })),
        Ok(5)
    );
    assert_eq!(asyncio::run(to_thread(|| 6 * 7)), 42);
    let deadline_passed = paused().run(timeout(
        Duration::from_millis(10),
        sleep(Duration::from_secs(1)),
    ));
    assert!(deadline_passed.is_err());
}

#[test]
fn a_gather_of_sleeps_built_before_the_loop_runs() {
    let sleeps: Vec<_> = [30u64, 10, 20]
        .map(|ms| sleep(Duration::from_millis(ms)))
        .into();
    let took = paused().run(async move {
        let t0 = Instant::now();
        asyncio::gather_all(sleeps).await;
        t0.elapsed()
    });
    assert_eq!(took, Duration::from_millis(30));
}

#[test]
fn a_relative_sleep_counts_from_its_first_poll() {
    paused().run(async {
        let nap = sleep(Duration::from_secs(5));
        assert_eq!(nap.deadline(), None, "not started");
        sleep(Duration::from_secs(10)).await; // the nap is built but not polled
        let t0 = Instant::now();
        nap.await;
        assert_eq!(
            t0.elapsed(),
            Duration::from_secs(5),
            "the whole 5 s, from now"
        );
    });
}

#[test]
fn sleep_until_keeps_its_absolute_deadline() {
    paused().run(async {
        let at = Instant::now() + Duration::from_secs(5);
        let nap = sleep_until(at);
        assert_eq!(nap.deadline(), Some(at));
        sleep(Duration::from_secs(2)).await;
        nap.await;
        assert_eq!(Instant::now(), at);
    });
}

#[test]
fn a_relative_timeout_counts_from_its_first_poll() {
    paused().run(async {
        let t = timeout(Duration::from_secs(5), sleep(Duration::from_secs(3)));
        sleep(Duration::from_secs(10)).await;
        assert_eq!(
            t.await,
            Ok(()),
            "5 s from the first poll, not from the call"
        );
        let at = timeout_at(
            Instant::now() + Duration::from_secs(1),
            sleep(Duration::from_secs(3)),
        );
        assert!(at.await.is_err());
    });
}

#[test]
fn to_thread_does_not_start_until_polled() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let work = to_thread(move || r.fetch_add(1, Ordering::SeqCst));
    Builder::new().run(async {
        asyncio::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "not started before its first poll"
        );
        work.await;
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        // Dropped unpolled, it never runs.
        let r = Arc::clone(&ran);
        drop(to_thread(move || r.fetch_add(1, Ordering::SeqCst)));
        asyncio::sleep(Duration::from_millis(20)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_zero_timeout_fails_without_polling_the_future() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = Arc::clone(&polls);
    let r = paused().run(timeout(Duration::ZERO, async move {
        p.fetch_add(1, Ordering::SeqCst);
        7
    }));
    assert!(r.is_err(), "wait_for(aw, 0) raises TimeoutError");
    assert_eq!(
        polls.load(Ordering::SeqCst),
        0,
        "and never starts the coroutine"
    );
}

#[test]
fn spawn_in_runs_argument_says_to_wrap_it_in_async() {
    let payload = catch_unwind(AssertUnwindSafe(|| {
        asyncio::run(spawn(async { 1 }));
    }))
    .unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.starts_with("no running event loop"), "{msg}");
    assert!(msg.contains("before the loop starts"), "{msg}");
    assert!(
        msg.contains("asyncio::run(async { spawn(..).await })"),
        "{msg}"
    );
    // The fix works.
    assert_eq!(asyncio::run(async { spawn(async { 1 }).await }), 1);
}
