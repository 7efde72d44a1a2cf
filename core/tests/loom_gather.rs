//! Model-checks the gather ready queue (`core/src/gather/ready.rs`) under loom: wakes
//! from other threads race with the owner's polls (the `POLLING`/`NOTIFIED` hand-off
//! and the lock-free stack), with the dedup flag, and with the release of the last
//! reference (a waker that outlives the queue frees the allocation).
//!
//! The module is compiled here on its own (`#[path]`) with loom's atomics and
//! `AtomicWaker` swapped in through the `sync` module below.
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_gather --release
//! ```
#![cfg(loom)]
#![allow(dead_code, unreachable_pub)]

#[path = "support/loom_waker.rs"]
mod support;

mod sync {
    pub(crate) use super::support::AtomicWaker;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};
}
#[path = "../src/gather/ready.rs"]
mod ready;

use loom::sync::atomic::Ordering::SeqCst;
use loom::thread;
use ready::ReadyQueue;
use support::parent;

/// Two remote wakes race with an owner poll: after the owner's last
/// `pop` returns `None`, every wake was either popped or woke the parent.
#[test]
fn loom_gather_remote_wakes_are_never_lost() {
    loom::model(|| {
        let (count, p) = parent();
        let mut q = ReadyQueue::new(2);
        let w0 = q.with_waker(0, |w| w.clone());
        let w1 = q.with_waker(1, |w| w.clone());
        let t0 = thread::spawn(move || w0.wake());
        let t1 = thread::spawn(move || {
            w1.wake_by_ref();
            drop(w1);
        });
        let mut seen = Vec::new();
        q.begin(&p);
        while let Some(i) = q.pop() {
            seen.push(i);
        }
        let woke_parent = count.0.load(SeqCst) > 0;
        t0.join().unwrap();
        t1.join().unwrap();
        // Whatever was not popped must have woken the parent, and is popped next time.
        if seen.len() < 2 {
            assert!(
                woke_parent || count.0.load(SeqCst) > 0,
                "lost wake-up: popped {seen:?}"
            );
        }
        q.begin(&p);
        while let Some(i) = q.pop() {
            seen.push(i);
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen, vec![0, 1]);
    });
}

/// A waker cloned and woken on another thread while the owner drops the queue: the
/// last reference frees the allocation exactly once (loom checks for leaks and
/// use-after-free of its atomics).
#[test]
fn loom_gather_waker_outlives_queue() {
    loom::model(|| {
        let (_count, p) = parent();
        let mut q = ReadyQueue::new(1);
        q.begin(&p);
        let w = q.with_waker(0, |w| w.clone());
        let t = thread::spawn(move || {
            let w2 = w.clone();
            w.wake();
            w2.wake_by_ref();
        });
        let _ = q.pop();
        drop(q);
        t.join().unwrap();
    });
}

/// The owner re-arms `POLLING` while a wake is in flight: the wake is popped in this
/// poll or wakes the parent.
#[test]
fn loom_gather_wake_during_poll() {
    loom::model(|| {
        let (count, p) = parent();
        let mut q = ReadyQueue::new(1);
        q.begin(&p);
        assert_eq!(q.pop(), None);
        let w = q.with_waker(0, |w| w.clone());
        let t = thread::spawn(move || w.wake());
        q.begin(&p);
        let popped = q.pop();
        t.join().unwrap();
        if popped.is_none() {
            assert_eq!(
                count.0.load(SeqCst),
                1,
                "wake after the poll ended must wake the parent"
            );
            q.begin(&p);
            assert_eq!(q.pop(), Some(0));
        }
    });
}

/// Sends a borrowed waker to another loom thread. Loom has no scoped threads; the
/// tests below join that thread before the borrow ends, as `std::thread::scope` would.
struct Lent(*const std::task::Waker);
// SAFETY: a `Waker` is `Sync`; the pointee outlives the thread (joined before the
// borrow ends).
unsafe impl Send for Lent {}

/// Two threads use child 0's probe waker during its first poll: one clones it, one
/// wakes it. They race to make the lazy allocation; exactly one allocation survives
/// (loom reports a leak or a double free otherwise), the wake is popped once, and the
/// clone is a working node waker that outlives the queue.
#[test]
fn loom_gather_probe_race_makes_one_allocation() {
    loom::model(|| {
        let (_count, p) = parent();
        let mut q = ReadyQueue::new(1);
        let clone = q.with_waker(0, |w| {
            let lent = Lent(w);
            let t = thread::spawn(move || {
                let lent = lent;
                // SAFETY: `w` is alive until this thread is joined below.
                unsafe { (*lent.0).wake_by_ref() };
            });
            let c = w.clone();
            t.join().unwrap();
            c
        });
        q.begin(&p);
        assert_eq!(q.pop(), Some(0));
        assert_eq!(q.pop(), None);
        drop(q);
        clone.wake();
    });
}
