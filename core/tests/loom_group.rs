//! Model-checks the TaskGroup's live-children counter and closed/cancelled flags
//! (`core/src/group/state.rs`) under loom: spawns from other threads (children spawning
//! grandchildren, a handle kept past the group's end) race with the driver closing the
//! group, and with a cancellation.
//!
//! The module is compiled here on its own (`#[path]`) with loom's atomics swapped in
//! through the `sync` module below.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_group --release
//! ```
#![cfg(loom)]
#![allow(dead_code, unreachable_pub)]

mod sync {
    pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
}
#[path = "../src/group/state.rs"]
mod state;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::thread;
use state::GroupState;

/// A spawn through a handle kept past the group's end races with the driver closing
/// the group: the group never finishes while an accepted child is running, and a
/// refused child never runs.
#[test]
fn late_spawn_vs_finish() {
    loom::model(|| {
        let s = Arc::new(GroupState::new());
        let running = Arc::new(AtomicBool::new(false));
        let (s2, r2) = (s.clone(), running.clone());
        let t = thread::spawn(move || match s2.enter() {
            Ok(()) => {
                r2.store(true, SeqCst);
                r2.store(false, SeqCst);
                s2.leave();
                true
            }
            // Refused. (`last` may be true: the transient count can make the driver's
            // `try_finish` fail, so this call must wake it.)
            Err(_) => false,
        });
        let finished = s.try_finish();
        if finished {
            assert!(
                !running.load(SeqCst),
                "the group finished while a child ran"
            );
        }
        let accepted = t.join().unwrap();
        if finished {
            assert!(!accepted || s.live() == 0);
        }
        // Once every thread is done the group can always finish, and stays closed.
        assert!(s.try_finish());
        assert!(s.is_closed());
        assert!(s.enter().is_err());
    });
}

/// A live child spawning a grandchild is never refused (the group is not closed while
/// a child is live); exactly one `leave` reports "last".
#[test]
fn child_spawns_grandchild_while_driver_tries_to_finish() {
    loom::model(|| {
        let s = Arc::new(GroupState::new());
        assert_eq!(s.enter(), Ok(())); // the child, spawned by the body
        let s2 = s.clone();
        let t = thread::spawn(move || {
            assert_eq!(s2.enter(), Ok(()), "a live child's spawn is accepted");
            let a = s2.leave(); // grandchild done
            let b = s2.leave(); // child done
            (a, b)
        });
        let early = s.try_finish();
        let (a, b) = t.join().unwrap();
        assert!(!a && b, "only the very last leave reports it");
        if early {
            // only possible after both left
            assert_eq!(s.live(), 0);
        }
        assert!(s.try_finish());
    });
}

/// Cancels from two threads: exactly one notifies; spawns after it are refused.
#[test]
fn concurrent_cancels_notify_once() {
    loom::model(|| {
        let s = Arc::new(GroupState::new());
        let s2 = s.clone();
        let t = thread::spawn(move || s2.cancel());
        let mine = s.cancel();
        let theirs = t.join().unwrap();
        assert!(mine ^ theirs, "exactly one cancel notifies");
        assert!(s.is_cancelled() && s.is_closed());
        assert!(s.enter().is_err());
    });
}

/// A spawn racing with a cancel: either accepted (and the group waits for it) or
/// refused; the last leave wakes the driver exactly once.
#[test]
fn spawn_vs_cancel() {
    loom::model(|| {
        let s = Arc::new(GroupState::new());
        assert_eq!(s.enter(), Ok(())); // a live child
        let s2 = s.clone();
        let t = thread::spawn(move || match s2.enter() {
            Ok(()) => s2.leave(),
            Err(last) => last,
        });
        s.cancel();
        let first_last = t.join().unwrap();
        let second_last = s.leave();
        assert!(first_last ^ second_last, "exactly one wake of the driver");
        assert!(s.try_finish());
    });
}
