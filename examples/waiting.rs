//! Waiting on tasks and deadlines: `asyncio.wait` (first completed, first exception),
//! `asyncio.shield`, `asyncio.timeout_at`, and a timeout the body moves itself
//! (`cm.reschedule`, an idle timeout).
//!
//! ```text
//! cargo run --example waiting
//! ```
//!
//! Python, scene by scene:
//!
//! ```python
//! # wait(FIRST_COMPLETED): the fastest mirror wins; the others keep running
//! done, pending = await asyncio.wait(downloads, return_when=asyncio.FIRST_COMPLETED)
//!
//! # wait(FIRST_EXCEPTION): stop looking at the health checks once one fails
//! done, pending = await asyncio.wait(checks, return_when=asyncio.FIRST_EXCEPTION)
//!
//! # shield: the request gives up, the save it started does not
//! try:
//!     await asyncio.wait_for(asyncio.shield(save(order)), timeout=1)
//! except TimeoutError:
//!     ...                                  # the save still finishes
//!
//! # timeout_at: the whole batch must be done by one deadline
//! async with asyncio.timeout_at(loop.time() + 2):
//!     for job in jobs:
//!         await run(job)
//!
//! # reschedule: an idle timeout, pushed back by every message
//! async with asyncio.timeout(1) as cm:
//!     async for msg in messages:
//!         cm.reschedule(loop.time() + 1)
//! ```

use asyncio::prelude::*;
use asyncio::time::{Instant, TimeoutHandle};
use asyncio::timeout_with;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const fn secs(s: f64) -> Duration {
    Duration::from_millis((s * 1000.0) as u64)
}

/// `wait(FirstCompleted)`: three mirrors answer after 3 s, 1 s and 2 s. Returns which
/// mirror won and when, then when the other two finished — they were not cancelled.
pub async fn fastest_mirror() -> (usize, Duration, Duration) {
    let t0 = Instant::now();
    let downloads: Vec<_> = [3.0, 1.0, 2.0]
        .into_iter()
        .enumerate()
        .map(|(mirror, s)| {
            spawn(async move {
                sleep(secs(s)).await;
                mirror
            })
        })
        .collect();
    let (done, pending) = wait(downloads, ReturnWhen::FirstCompleted).await;
    let first_at = t0.elapsed();
    let winner = done.into_iter().next().expect("one is done").await;
    // The pending ones kept running; wait for them too (asyncio.wait(pending)).
    let (rest, still) = wait(pending, ReturnWhen::AllCompleted).await;
    assert!(still.is_empty());
    assert_eq!(rest.len(), 2);
    (winner, first_at, t0.elapsed())
}

/// `wait(FirstException)`: health checks that pass after 1 s and 4 s, and one that
/// fails after 2 s. Returns when the wait ended, the error, and how many checks were
/// still running then.
pub async fn first_failure() -> (Duration, String, usize) {
    let t0 = Instant::now();
    let check = |s: f64, ok: bool| {
        spawn(async move {
            sleep(secs(s)).await;
            if ok {
                Ok(s)
            } else {
                Err(format!("check of {s} s failed"))
            }
        })
    };
    let checks = vec![check(1.0, true), check(2.0, false), check(4.0, true)];
    let (done, pending) = wait(checks, ReturnWhen::FirstException).await;
    let ended = t0.elapsed();
    let mut error = String::new();
    for task in done {
        if let Err(e) = task.await {
            error = e;
        }
    }
    (ended, error, pending.len())
}

/// `shield`: a request with a 1 s timeout starts a 2 s save. Returns whether the request
/// timed out, and whether (and when) the save finished anyway.
pub async fn shielded_save() -> (bool, bool, Duration) {
    let t0 = Instant::now();
    let saved = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&saved);
    let request = timeout(
        secs(1.0),
        shield(async move {
            sleep(secs(2.0)).await; // writing the order to the database
            flag.store(true, Ordering::SeqCst);
        }),
    )
    .await;
    let timed_out = request.is_err();
    let saved_at_timeout = saved.load(Ordering::SeqCst);
    assert!(!saved_at_timeout, "the save takes longer than the request");
    sleep(secs(1.5)).await; // later on, the save is there
    (timed_out, saved.load(Ordering::SeqCst), t0.elapsed())
}

/// `timeout_at`: five 0.5 s jobs against one deadline 2.25 s away. Returns how many
/// finished and whether the batch timed out.
pub async fn batch_deadline() -> (usize, bool) {
    let finished = AtomicUsize::new(0);
    let deadline = Instant::now() + secs(2.25);
    let batch = timeout_at(deadline, async {
        for _ in 0..5 {
            sleep(secs(0.5)).await;
            finished.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await;
    (finished.load(Ordering::SeqCst), batch.is_err())
}

/// An idle timeout with `timeout_with`: messages arrive at 0.5, 1.0 and 1.5 s, then
/// nothing; each one moves the 1 s deadline. Returns how many messages were read and
/// when the session ended.
pub async fn idle_session() -> (usize, Duration) {
    let t0 = Instant::now();
    let messages = Queue::unbounded();
    let sender = messages.clone();
    spawn(async move {
        for _ in 0..3 {
            sleep(secs(0.5)).await;
            sender.put(()).await.expect("the queue is open");
        }
    })
    .detach();

    let read = AtomicUsize::new(0);
    let session = timeout_with(secs(1.0), async |cm: TimeoutHandle| {
        while messages.get().await.is_ok() {
            read.fetch_add(1, Ordering::SeqCst);
            cm.reschedule(Instant::now() + secs(1.0)); // one more second of silence allowed
        }
    })
    .await;
    assert!(session.is_err(), "the session ends by the idle timeout");
    (read.load(Ordering::SeqCst), t0.elapsed())
}

#[asyncio::async_main]
async fn main() {
    let (winner, first, all) = fastest_mirror().await;
    println!(
        "wait(FirstCompleted): mirror {winner} won after {:.1} s; the others finished by {:.1} s",
        first.as_secs_f64(),
        all.as_secs_f64()
    );
    let (ended, error, running) = first_failure().await;
    println!(
        "wait(FirstException): stopped after {:.1} s with {error:?}; {running} check still running",
        ended.as_secs_f64()
    );
    let (timed_out, saved, at) = shielded_save().await;
    println!(
        "shield: request timed out: {timed_out}; order saved anyway: {saved} (by {:.1} s)",
        at.as_secs_f64()
    );
    let (jobs, late) = batch_deadline().await;
    println!("timeout_at: {jobs} of 5 jobs done before the deadline; timed out: {late}");
    let (read, ended) = idle_session().await;
    println!(
        "timeout_with: read {read} messages, session idle-closed at {:.1} s",
        ended.as_secs_f64()
    );
}
