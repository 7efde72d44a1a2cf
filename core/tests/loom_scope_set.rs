//! Model-checks `scope`'s child set (`core/src/group/scope/set.rs`) under loom: wakes
//! from other threads race with the owner's polls (the `POLLING`/`NOTIFIED` hand-off
//! and the lock-free stack), with the owner closing the set (wakers must stop pushing
//! and release what they took), and with the release of the last reference to a node
//! and to the shared queue (loom reports a leaked or doubly freed queue `Arc`).
//!
//! The module is compiled here on its own (`#[path]`) with loom's atomics, `Arc` and an
//! `AtomicWaker` stand-in swapped in through the `sync` module below.
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_scope_set --release
//! ```
#![cfg(loom)]
#![allow(dead_code, unreachable_pub)]

#[path = "support/loom_waker.rs"]
mod support;

mod sync {
    pub(crate) use super::support::AtomicWaker;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};
}
#[path = "../src/group/scope/set.rs"]
mod set;

use loom::sync::atomic::Ordering::SeqCst;
use loom::thread;
use set::{ChildSet, Payload, Polled};
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use support::parent;

/// A child that keeps its waker and counts its polls; finishes on its second poll.
struct Child {
    id: usize,
    polls: Cell<usize>,
    waker: Rc<RefCell<Option<Waker>>>,
    seen: Rc<RefCell<Vec<usize>>>,
}

impl Payload for Child {
    type Ctx = ();
    fn poll(self: Pin<&Self>, cx: &mut Context<'_>, _: &()) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.polls.get() == 1 {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            self.seen.borrow_mut().push(self.id);
            Poll::Ready(())
        }
    }
    fn cancel(self: Pin<&Self>) {}
}

/// Inserts `n` children and polls them once, so each has handed out its waker.
fn started(n: usize, p: &Waker) -> (ChildSet<()>, Vec<Waker>, Rc<RefCell<Vec<usize>>>) {
    let set = ChildSet::<()>::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let slots: Vec<_> = (0..n)
        .map(|id| {
            let waker = Rc::new(RefCell::new(None));
            let (handle, _) = set.insert(Child {
                id,
                polls: Cell::new(0),
                waker: waker.clone(),
                seen: seen.clone(),
            });
            drop(handle); // the set keeps the child
            waker
        })
        .collect();
    let mut cx = Context::from_waker(p);
    set.begin(p);
    assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
    let wakers = slots
        .iter()
        .map(|w| w.borrow_mut().take().unwrap())
        .collect();
    (set, wakers, seen)
}

/// Two remote wakes race with an owner poll: every wake is either handled in this poll
/// or wakes the parent, and the next poll handles it.
#[test]
fn loom_scope_set_remote_wakes_are_never_lost() {
    loom::model(|| {
        let (count, p) = parent();
        let (set, mut wakers, seen) = started(2, &p);
        let w1 = wakers.pop().unwrap();
        let w0 = wakers.pop().unwrap();
        let t0 = thread::spawn(move || w0.wake());
        let t1 = thread::spawn(move || {
            w1.wake_by_ref();
            drop(w1);
        });
        let mut cx = Context::from_waker(&p);
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        let handled = seen.borrow().len();
        t0.join().unwrap();
        t1.join().unwrap();
        if handled < 2 {
            assert!(count.0.load(SeqCst) > 0, "lost wake-up: handled {handled}");
        }
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        let mut all = seen.borrow().clone();
        all.sort();
        assert_eq!(all, vec![0, 1]);
        assert!(set.is_empty());
    });
}

/// A waker woken (and cloned, and dropped) on another thread while the owner closes
/// and drops the set: the node and the queue are each freed exactly once, by whoever
/// releases last.
#[test]
fn loom_scope_set_wake_races_with_close() {
    loom::model(|| {
        let (_count, p) = parent();
        let (set, mut wakers, _seen) = started(1, &p);
        let w = wakers.pop().unwrap();
        let t = thread::spawn(move || {
            let w2 = w.clone();
            w.wake();
            w2.wake_by_ref();
        });
        drop(set);
        t.join().unwrap();
    });
}

/// The owner ends a poll while a wake is in flight: the wake is handled in this poll
/// or wakes the parent.
#[test]
fn loom_scope_set_wake_during_poll() {
    loom::model(|| {
        let (count, p) = parent();
        let (set, mut wakers, seen) = started(1, &p);
        let w = wakers.pop().unwrap();
        let woken_before = count.0.load(SeqCst);
        let t = thread::spawn(move || w.wake());
        let mut cx = Context::from_waker(&p);
        set.begin(&p);
        set.poll_children(&mut cx, &(), || false);
        t.join().unwrap();
        if seen.borrow().is_empty() {
            assert_eq!(
                count.0.load(SeqCst),
                woken_before + 1,
                "a wake after the poll ended must wake the parent"
            );
            set.begin(&p);
            set.poll_children(&mut cx, &(), || false);
            assert_eq!(*seen.borrow(), vec![0]);
        }
    });
}
