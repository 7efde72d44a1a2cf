//! `Barrier` keeps asyncio's semantics: the round is released when the last party
//! arrives, indices follow arrival order, the barrier is reusable, `abort`/`reset` make
//! waiters fail with `BrokenBarrierError`, `Barrier::new(0)` panics, and a dropped
//! `wait()` leaves its round without blocking anyone, under tokio's two loop flavors and
//! `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use std::sync::Arc;

use asyncio_core::sync::{Barrier, BrokenBarrierError};
use support::{counting_waker, pending, poll_with, ready};

three_ways! {
    /// The last arrival releases everyone; indices are arrival order, whatever order
    /// the futures are polled in afterwards.
    fn indices_follow_arrival_order(rt) {
        let b = Barrier::new(3);
        assert_eq!((b.parties(), b.n_waiting(), b.broken()), (3, 0, false));
        let (wc, waker) = counting_waker();
        let mut w0 = b.wait();
        let mut w1 = b.wait();
        assert!(poll_with(&mut w0, &waker).is_pending());
        assert_eq!(b.n_waiting(), 1);
        assert!(poll_with(&mut w1, &waker).is_pending());
        assert!(
            poll_with(&mut w0, &waker).is_pending(),
            "polled again: still waiting"
        );
        assert_eq!(b.n_waiting(), 2);
        assert_eq!(wc.get(), 0);
        assert_eq!(b.wait().await, Ok(2), "the last arrival gets parties - 1");
        assert_eq!(wc.get(), 2);
        assert_eq!(b.n_waiting(), 0);
        assert_eq!(ready(&mut w1), Ok(1));
        assert_eq!(ready(&mut w0), Ok(0));
        assert_eq!(
            format!("{b:?}"),
            "Barrier { parties: 3, n_waiting: 0, broken: false }"
        );
    }
}

three_ways! {
    /// The barrier can be used again: a new round starts once one is released, even
    /// before the released waiters have run.
    fn rounds_repeat(rt) {
        let b = Barrier::new(2);
        let mut a = b.wait();
        pending(&mut a);
        let mut c = b.wait();
        assert_eq!(ready(&mut c), Ok(1));
        // `a` was released but has not run; the next round counts only new arrivals.
        let mut d = b.wait();
        pending(&mut d);
        assert_eq!(b.n_waiting(), 1);
        assert_eq!(ready(&mut a), Ok(0));
        assert_eq!(b.wait().await, Ok(1));
        assert_eq!(ready(&mut d), Ok(0));

        let one = Barrier::new(1);
        for _ in 0..3 {
            assert_eq!(one.wait().await, Ok(0));
        }
        let (x, y) = futures::join!(b.wait(), b.wait());
        assert_eq!((x, y), (Ok(0), Ok(1)));
    }
}

three_ways! {
    /// `abort` fails the waiters and every later `wait` until `reset`.
    fn abort_breaks_the_barrier(rt) {
        let b = Barrier::new(3);
        let (wc, waker) = counting_waker();
        let mut w0 = b.wait();
        let mut w1 = b.wait();
        assert!(poll_with(&mut w0, &waker).is_pending());
        assert!(poll_with(&mut w1, &waker).is_pending());
        b.abort();
        assert_eq!(wc.get(), 2);
        assert!(b.broken());
        assert_eq!(b.n_waiting(), 0);
        assert_eq!(ready(&mut w0), Err(BrokenBarrierError));
        assert_eq!(ready(&mut w1), Err(BrokenBarrierError));
        assert_eq!(b.wait().await, Err(BrokenBarrierError));
        let err = b.wait().await.unwrap_err();
        assert_eq!(err.to_string(), "the barrier is broken (aborted or reset)");
        b.abort(); // again: still broken
        assert!(b.broken());
        b.reset();
        assert!(!b.broken());
        let (x, y, z) = futures::join!(b.wait(), b.wait(), b.wait());
        assert_eq!((x, y, z), (Ok(0), Ok(1), Ok(2)));
    }
}

three_ways! {
    /// `reset` fails the waiters present but leaves the barrier usable.
    fn reset_fails_present_waiters(rt) {
        let b = Barrier::new(2);
        let (wc, waker) = counting_waker();
        let mut w = b.wait();
        assert!(poll_with(&mut w, &waker).is_pending());
        b.reset();
        assert_eq!(wc.get(), 1);
        assert!(!b.broken());
        assert_eq!(b.n_waiting(), 0);
        assert_eq!(ready(&mut w), Err(BrokenBarrierError));
        let mut a = b.wait();
        pending(&mut a);
        assert_eq!(b.wait().await, Ok(1));
        assert_eq!(ready(&mut a), Ok(0));
    }
}

three_ways! {
    /// A `wait` dropped before polling changes nothing; one dropped while waiting
    /// leaves the round (which then needs another arrival); one dropped after its round
    /// was released disturbs nobody.
    fn dropped_waits_leave_their_round(rt) {
        let b = Barrier::new(3);
        drop(b.wait());
        assert_eq!(b.n_waiting(), 0);
        let mut w0 = b.wait();
        let mut w1 = b.wait();
        pending(&mut w0);
        pending(&mut w1);
        drop(w0);
        assert_eq!(b.n_waiting(), 1);
        let mut w2 = b.wait();
        pending(&mut w2); // only two now: waits
        let mut w3 = b.wait();
        assert_eq!(ready(&mut w3), Ok(2));
        assert_eq!(ready(&mut w2), Ok(1));
        drop(w1); // released with index 0, never ran
        assert_eq!(b.n_waiting(), 0);
        assert!(!b.broken());
        let mut x = b.wait();
        let mut y = b.wait();
        pending(&mut x);
        pending(&mut y);
        assert_eq!(b.wait().await, Ok(2));
        assert_eq!((ready(&mut x), ready(&mut y)), (Ok(0), Ok(1)));
    }
}

three_ways! {
    /// Tasks (threads under `block_on`) going through several rounds: each round hands
    /// out every index in `0..parties` exactly once.
    fn tasks_pass_rounds_together(rt) {
        let (parties, rounds) = (4, 20);
        let b = Arc::new(Barrier::new(parties));
        let tasks: Vec<_> = (0..parties)
            .map(|_| {
                let b = b.clone();
                rt.spawn(async move {
                    let mut got = Vec::new();
                    for _ in 0..rounds {
                        got.push(b.wait().await.unwrap());
                    }
                    got
                })
            })
            .collect();
        let mut per_task = Vec::new();
        for t in tasks {
            per_task.push(t.await);
        }
        for round in 0..rounds {
            let mut idx: Vec<usize> = per_task.iter().map(|v| v[round]).collect();
            idx.sort_unstable();
            assert_eq!(idx, (0..parties).collect::<Vec<_>>(), "round {round}");
        }
    }
}

#[test]
#[should_panic(expected = "Barrier::new(0): a barrier needs at least one party")]
fn zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn barrier_is_send_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let b = Barrier::new(2);
    send_sync(&b);
    send_sync(&b.wait());
}

#[test]
fn wait_polled_after_completion_panics_and_does_not_arrive_again() {
    let b = Barrier::new(2);
    let mut w = b.wait();
    pending(&mut w);
    let mut last = b.wait();
    assert_eq!(ready(&mut last), Ok(1));
    assert_eq!(ready(&mut w), Ok(0));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| support::poll(&mut w)));
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "`Barrier::wait` future polled after completion");
    assert_eq!(b.n_waiting(), 0);
}
