//! `timeout`, `timeout_at` and `timeout_with` (asyncio.timeout / timeout_at /
//! wait_for, `Timeout.reschedule`): lazy construction, limits counted from the first
//! poll, the zero-limit rule, rescheduling from outside and from the body.
//!
//! Every timing assertion runs on tokio's paused clock, where elapsed times are exact.
#![cfg(not(miri))]

use std::future::{Future, pending};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_core::time::{Instant, TimeoutHandle, sleep, timeout, timeout_at, timeout_with};
use tokio::sync::oneshot;

const S: fn(u64) -> Duration = Duration::from_secs;

/// Counts the polls and the drop of the future it wraps.
struct Probe<F> {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Probe<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

impl<F> Drop for Probe<F> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// Counts its drop.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

struct Counters {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Counters {
    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }
    fn drops(&self) -> usize {
        self.drops.load(SeqCst)
    }
}

fn probe<F: Future>(inner: F) -> (Counters, Probe<F>) {
    let c = Counters {
        polls: Arc::new(AtomicUsize::new(0)),
        drops: Arc::new(AtomicUsize::new(0)),
    };
    let p = Probe {
        polls: Arc::clone(&c.polls),
        drops: Arc::clone(&c.drops),
        inner: Box::pin(inner),
    };
    (c, p)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------- laziness

#[test]
fn building_a_timeout_outside_a_loop_does_not_panic() {
    let (c, work) = probe(async { 1 });
    let relative = timeout(S(5), work);
    let absolute = timeout_at(Instant::now() + S(3600), async { 2 });
    let with = timeout_with(S(5), async |_cm| 3);
    assert_eq!(c.polls(), 0, "nothing happens before the first poll");

    let out = paused_runtime().block_on(async { (relative.await, absolute.await, with.await) });
    assert_eq!(out, (Ok(1), Ok(2), Ok(3)));
    assert_eq!(c.polls(), 1);
}

#[test]
fn polling_a_timeout_outside_a_loop_panics_with_the_asyncio_message() {
    use futures::executor::block_on;
    for (what, f) in [
        (
            "timeout",
            Box::new(|| {
                let _ = block_on(timeout(S(1), async {}));
            }) as Box<dyn Fn()>,
        ),
        (
            "timeout_at",
            Box::new(|| {
                let _ = block_on(timeout_at(Instant::now() + S(1), async {}));
            }),
        ),
        (
            "timeout_with",
            Box::new(|| {
                let _ = block_on(timeout_with(S(1), async |_| {}));
            }),
        ),
    ] {
        let err = catch_unwind(AssertUnwindSafe(f)).unwrap_err();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.starts_with("no running event loop"), "{what}: {msg}");
        assert!(msg.contains(&format!("`{what}`")), "{what}: {msg}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_relative_limit_counts_from_the_first_poll() {
    // (An `async` block, as `sleep` itself starts counting when called.)
    let t = timeout(S(5), async { sleep(S(1)).await });
    sleep(S(10)).await; // built 10 s ago: a limit counted from construction is long gone
    let start = Instant::now();
    assert_eq!(t.await, Ok(()));
    assert_eq!(start.elapsed(), S(1));
}

#[tokio::test(start_paused = true)]
async fn a_relative_limit_expires_exactly_after_the_limit() {
    let (c, work) = probe(sleep(S(3600)));
    let start = Instant::now();
    let mut t = pin!(timeout(S(5), work));
    let err = t.as_mut().await.unwrap_err();
    assert_eq!(start.elapsed(), S(5));
    assert_eq!(err.limit(), S(5));
    assert_eq!(err.deadline(), start + S(5));
    assert_eq!(err.to_string(), "operation timed out after 5s");
    assert_eq!(
        c.drops(),
        1,
        "the inner future is dropped when the timeout fires"
    );
    assert!(t.expired());
}

// ---------------------------------------------------------------- zero / past limits

#[tokio::test(start_paused = true)]
async fn a_zero_limit_fails_without_polling_the_inner_future() {
    let (c, work) = probe(async { 1 });
    let start = Instant::now();
    let mut t = pin!(timeout(Duration::ZERO, work));
    let err = t.as_mut().await.unwrap_err();
    assert_eq!(
        c.polls(),
        0,
        "asyncio.wait_for(aw, 0): the inner is never run"
    );
    assert_eq!(
        c.drops(),
        1,
        "dropped when the timeout failed, before the Timeout is"
    );
    assert_eq!(err.limit(), Duration::ZERO);
    assert_eq!(err.deadline(), start);
    assert!(t.expired());
    assert_eq!(t.deadline(), Some(start));
}

#[tokio::test(start_paused = true)]
async fn a_past_deadline_fails_without_polling_the_inner_future() {
    let deadline = Instant::now();
    sleep(S(2)).await;
    let (c, work) = probe(async { 1 });
    let err = timeout_at(deadline, work).await.unwrap_err();
    assert_eq!((c.polls(), c.drops()), (0, 1));
    assert_eq!(err.deadline(), deadline);
    assert_eq!(err.limit(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn timeout_at_expires_at_its_deadline() {
    let start = Instant::now();
    let err = timeout_at(start + S(7), pending::<()>()).await.unwrap_err();
    assert_eq!(start.elapsed(), S(7));
    assert_eq!(err.deadline(), start + S(7));
    assert_eq!(
        err.limit(),
        S(7),
        "the time from the first poll to the deadline"
    );
    assert_eq!(timeout_at(start + S(60), async { 'x' }).await, Ok('x'));
}

#[tokio::test(start_paused = true)]
async fn the_inner_future_wins_when_both_are_ready() {
    let start = Instant::now();
    // The inner sleep and the deadline end at the same instant: the inner is polled first.
    assert_eq!(timeout(S(3), sleep(S(3))).await, Ok(()));
    assert_eq!(start.elapsed(), S(3));
}

// ---------------------------------------------------------------- Timeout::reschedule

#[tokio::test(start_paused = true)]
async fn reschedule_later_while_running() {
    let start = Instant::now();
    let mut t = pin!(timeout(S(5), sleep(S(8))));
    assert!(futures::poll!(t.as_mut()).is_pending());
    assert_eq!(t.deadline(), Some(start + S(5)));
    sleep(S(3)).await;
    t.as_mut().reschedule(Instant::now() + S(10));
    assert_eq!(t.deadline(), Some(start + S(13)));
    assert_eq!(t.as_mut().await, Ok(()));
    assert_eq!(start.elapsed(), S(8), "the 5 s limit would have cut it off");
    assert!(!t.expired());
}

#[tokio::test(start_paused = true)]
async fn reschedule_earlier_while_running() {
    let start = Instant::now();
    let mut t = pin!(timeout(S(60), sleep(S(3600))));
    assert!(futures::poll!(t.as_mut()).is_pending());
    t.as_mut().reschedule(start + S(2));
    let err = t.as_mut().await.unwrap_err();
    assert_eq!(start.elapsed(), S(2));
    assert_eq!(err.deadline(), start + S(2));
    assert_eq!(err.limit(), S(2));
    assert!(t.expired());
}

#[tokio::test(start_paused = true)]
async fn reschedule_before_the_first_poll_replaces_the_limit() {
    let mut t = pin!(timeout(S(1), async { sleep(S(3)).await }));
    assert_eq!(
        t.deadline(),
        None,
        "a relative limit has no deadline before its first poll"
    );
    sleep(S(100)).await;
    let start = Instant::now();
    t.as_mut().reschedule(start + S(5));
    assert_eq!(t.deadline(), Some(start + S(5)));
    assert_eq!(t.as_mut().await, Ok(()));
    assert_eq!(start.elapsed(), S(3));
}

#[tokio::test(start_paused = true)]
async fn reschedule_into_the_past_before_the_first_poll_fails_without_polling() {
    let (c, work) = probe(async { 1 });
    let mut t = pin!(timeout(S(60), work));
    t.as_mut().reschedule(Instant::now());
    assert!(t.as_mut().await.is_err());
    assert_eq!((c.polls(), c.drops()), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn reschedule_into_the_past_while_running_fires_at_the_next_poll() {
    let (c, work) = probe(pending::<()>());
    let start = Instant::now();
    let mut t = pin!(timeout(S(60), work));
    assert!(futures::poll!(t.as_mut()).is_pending());
    t.as_mut().reschedule(start);
    let err = t.as_mut().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        c.polls(),
        2,
        "the inner future is polled once more, then dropped"
    );
    assert_eq!(c.drops(), 1);
    assert_eq!(err.deadline(), start);
}

#[tokio::test(start_paused = true)]
async fn deadline_and_expired_through_a_timeouts_life() {
    let start = Instant::now();
    let mut ok = pin!(timeout(S(5), sleep(S(1))));
    assert_eq!((ok.deadline(), ok.expired()), (None, false));
    assert!(futures::poll!(ok.as_mut()).is_pending());
    assert_eq!((ok.deadline(), ok.expired()), (Some(start + S(5)), false));
    assert_eq!(ok.as_mut().await, Ok(()));
    assert_eq!((ok.deadline(), ok.expired()), (Some(start + S(5)), false));
    ok.as_mut().reschedule(start + S(100));
    assert_eq!(
        ok.deadline(),
        Some(start + S(5)),
        "rescheduling a finished timeout does nothing"
    );

    let at = timeout_at(start + S(9), pending::<()>());
    assert_eq!(
        at.deadline(),
        Some(start + S(9)),
        "known before the first poll"
    );
    let mut at = pin!(at);
    assert!(at.as_mut().await.is_err());
    assert!(at.expired());
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "`Timeout` polled after completion")]
async fn polling_a_completed_timeout_panics() {
    let mut t = pin!(timeout(S(1), async {}));
    assert_eq!(t.as_mut().await, Ok(()));
    let _ = t.as_mut().await;
}

// ---------------------------------------------------------------- timeout_with

#[tokio::test(start_paused = true)]
async fn timeout_with_a_body_that_pushes_its_own_deadline_back() {
    // An idle timeout of 5 s; a message every 4 s keeps the session alive for 12 s.
    let start = Instant::now();
    let r = timeout_with(S(5), async |cm| {
        for _ in 0..3 {
            sleep(S(4)).await;
            cm.reschedule(Instant::now() + S(5));
        }
        "served"
    })
    .await;
    assert_eq!(r, Ok("served"));
    assert_eq!(start.elapsed(), S(12));
}

#[tokio::test(start_paused = true)]
async fn timeout_with_expires_idle_after_the_last_reschedule() {
    let start = Instant::now();
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCount(Arc::clone(&drops));
    let err = timeout_with(S(5), async move |cm| {
        let _guard = guard; // dropped with the body's future
        for _ in 0..3 {
            sleep(S(4)).await;
            cm.reschedule(Instant::now() + S(5));
        }
        pending::<()>().await
    })
    .await
    .unwrap_err();
    assert_eq!(start.elapsed(), S(17), "12 s of traffic, then 5 s idle");
    assert_eq!(err.deadline(), start + S(17));
    assert_eq!(err.limit(), S(17));
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the body's future is dropped when it fires"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_with_the_body_can_cut_its_own_time_short() {
    let start = Instant::now();
    let (c, work) = probe(sleep(S(3600)));
    let r = timeout_with(S(3600), async move |cm| {
        sleep(S(1)).await;
        cm.reschedule(Instant::now() + S(1));
        work.await
    })
    .await;
    assert!(r.is_err());
    assert_eq!(start.elapsed(), S(2));
    assert_eq!(
        c.drops(),
        1,
        "the body's future was dropped with what it awaited"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_with_rescheduled_from_another_task_rearms_the_timer() {
    let start = Instant::now();
    let (tx, rx) = oneshot::channel::<TimeoutHandle>();
    let mover = asyncio_core::spawn(async move {
        let cm = rx.await.unwrap();
        sleep(S(3)).await;
        cm.reschedule(Instant::now() + S(1)); // earlier than the 10 s limit
        cm
    });
    let err = timeout_with(S(10), async move |cm| {
        tx.send(cm).unwrap();
        pending::<()>().await
    })
    .await
    .unwrap_err();
    assert_eq!(
        start.elapsed(),
        S(4),
        "woken and re-armed at once, not at 10 s"
    );
    assert_eq!(err.deadline(), start + S(4));
    let cm = mover.await;
    assert!(cm.expired());
    assert_eq!(cm.deadline(), start + S(4));
    cm.reschedule(start + S(100));
    assert_eq!(
        cm.deadline(),
        start + S(4),
        "rescheduling after the end does nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_with_extended_from_another_task() {
    let start = Instant::now();
    let (tx, rx) = oneshot::channel::<TimeoutHandle>();
    let mover = asyncio_core::spawn(async move {
        let cm = rx.await.unwrap();
        sleep(S(1)).await;
        cm.reschedule(Instant::now() + S(60));
    });
    let r = timeout_with(S(2), async move |cm| {
        tx.send(cm).unwrap();
        sleep(S(30)).await;
        7
    })
    .await;
    assert_eq!(r, Ok(7));
    assert_eq!(start.elapsed(), S(30));
    mover.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_with_rescheduled_from_another_thread_wakes_the_timeout() {
    // No clock assertion: the 1-hour limit can only end this quickly if the reschedule
    // from a worker thread woke the timeout.
    let (tx, rx) = oneshot::channel::<TimeoutHandle>();
    let mover = asyncio_core::spawn(async move {
        let cm = rx.await.unwrap();
        cm.reschedule(Instant::now());
    });
    let r = timeout_with(S(3600), async move |cm| {
        tx.send(cm).unwrap();
        pending::<()>().await
    });
    // A safety net, so a missing wake fails the test instead of hanging it for an hour
    // (`biased`: the net's own wake-up must not poll the timeout and rescue it).
    let r = tokio::select! {
        biased;
        _ = tokio::time::sleep(S(30)) => panic!("the reschedule did not wake the timeout"),
        r = r => r,
    };
    assert!(r.is_err());
    mover.await;
}

#[tokio::test(start_paused = true)]
async fn timeout_with_a_zero_limit_never_calls_the_body() {
    let calls = AtomicUsize::new(0);
    let r = timeout_with(Duration::ZERO, |_cm| {
        calls.fetch_add(1, SeqCst);
        async {}
    })
    .await;
    assert!(r.is_err());
    assert_eq!(calls.load(SeqCst), 0);
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "`TimeoutWith` polled after completion")]
async fn polling_a_completed_timeout_with_panics() {
    let mut t = pin!(timeout_with(Duration::ZERO, async |_| {}));
    assert!(t.as_mut().await.is_err());
    let _ = t.as_mut().await;
}

#[tokio::test(start_paused = true)]
async fn timeout_with_calls_the_body_on_the_first_poll() {
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    let mut t = pin!(timeout_with(S(5), |cm: TimeoutHandle| {
        calls.fetch_add(1, SeqCst);
        async move { cm.deadline() }
    }));
    sleep(S(10)).await;
    assert_eq!(
        calls.load(SeqCst),
        0,
        "lazy: not called before the first poll"
    );
    assert_eq!(t.as_mut().await, Ok(start + S(15)));
    assert_eq!(calls.load(SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_handle_outliving_a_dropped_timeout_does_nothing() {
    let (tx, rx) = oneshot::channel::<TimeoutHandle>();
    let start = Instant::now();
    let mut t = Box::pin(timeout_with(S(5), async move |cm| {
        tx.send(cm).unwrap();
        pending::<()>().await
    }));
    assert!(futures::poll!(t.as_mut()).is_pending());
    let cm = rx.await.unwrap();
    drop(t);
    cm.reschedule(start + S(100));
    assert_eq!(cm.deadline(), start + S(5));
    assert!(!cm.expired());
}

// ---------------------------------------------------------------- cooperative budget

#[tokio::test(flavor = "current_thread")]
async fn a_future_that_always_uses_up_the_budget_still_times_out() {
    // tokio's cooperative budget: the inner future below uses it up on every poll, so a
    // timer polled with the rest of the budget would never see its deadline. Real clock
    // (a busy task never lets the paused clock advance); only completion is checked.
    let busy = async {
        loop {
            tokio::task::coop::consume_budget().await;
        }
    };
    let outer = tokio::time::timeout(S(30), timeout(Duration::from_millis(10), busy)).await;
    assert!(matches!(outer, Ok(Err(_))), "the timeout fired: {outer:?}");
}
