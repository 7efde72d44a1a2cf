//! `Event` keeps asyncio's semantics: a `set()` before anyone waits is not lost, every
//! waiter wakes, `clear()` re-arms, the waiters present at a `set()` are released even
//! if `clear()` follows at once, and a dropped `wait()` future blocks nobody, under
//! tokio's two loop flavors and `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

use asyncio_core::sync::Event;
use support::{counting_waker, pending, poll_with, ready};

three_ways! {
    /// A `set()` before anyone waits is kept: `wait()` returns at once.
    fn set_before_wait_is_not_lost(rt) {
        let e = Event::new();
        assert!(!e.is_set());
        e.set();
        assert!(e.is_set());
        ready(&mut e.wait());
        e.wait().await;
        e.wait().await;
        assert!(e.is_set());
        assert_eq!(format!("{e:?}"), "Event { set: true, .. }");
        assert!(!Event::default().is_set());
    }
}

three_ways! {
    /// `set()` wakes every waiter, each once; a second `set()` wakes nobody again.
    fn set_wakes_every_waiter(rt) {
        let e = Event::new();
        let (wc, waker) = counting_waker();
        let mut waits: Vec<_> = (0..5).map(|_| e.wait()).collect();
        for w in &mut waits {
            assert!(poll_with(w, &waker).is_pending());
            assert!(
                poll_with(w, &waker).is_pending(),
                "polled again: still waiting"
            );
        }
        assert_eq!(wc.get(), 0);
        e.set();
        assert_eq!(wc.get(), 5);
        e.set();
        assert_eq!(wc.get(), 5);
        for w in &mut waits {
            ready(w);
        }
    }
}

three_ways! {
    /// `clear()` re-arms: later waits wait for the next `set()`.
    fn clear_rearms(rt) {
        let e = Event::new();
        e.set();
        e.clear();
        assert!(!e.is_set());
        let mut w = e.wait();
        pending(&mut w);
        pending(&mut w);
        e.set();
        ready(&mut w);
        e.clear();
        e.clear();
        let mut w = e.wait();
        pending(&mut w);
        e.set();
        e.wait().await;
        ready(&mut w);
    }
}

three_ways! {
    /// The waiters present at a `set()` are released even if `clear()` follows before
    /// they run; one that arrives after the `clear()` waits.
    fn set_then_clear_still_releases_present_waiters(rt) {
        let e = Event::new();
        let (wc, waker) = counting_waker();
        let mut w1 = e.wait();
        let mut w2 = e.wait();
        assert!(poll_with(&mut w1, &waker).is_pending());
        assert!(poll_with(&mut w2, &waker).is_pending());
        e.set();
        e.clear();
        assert_eq!(wc.get(), 2);
        let mut late = e.wait();
        pending(&mut late);
        ready(&mut w2);
        ready(&mut w1);
        pending(&mut late);

        // The same with tasks (threads under `block_on`) that run later: each
        // registers, says so, then awaits; one set + clear must release them all.
        let e = Arc::new(Event::new());
        let registered = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let (e, registered) = (e.clone(), registered.clone());
                rt.spawn(async move {
                    let mut w = e.wait();
                    let first = poll_fn(|cx| Poll::Ready(Pin::new(&mut w).poll(cx))).await;
                    assert!(first.is_pending());
                    registered.fetch_add(1, SeqCst);
                    w.await;
                })
            })
            .collect();
        support::until("every waiter registered", || registered.load(SeqCst) == 4).await;
        e.set();
        e.clear();
        for w in waiters {
            w.await;
        }
        assert!(!e.is_set());
    }
}

three_ways! {
    /// A `wait()` dropped before polling, while waiting, or after being released but
    /// before running, blocks nobody: the other waiters are still released.
    fn dropped_waiters_block_nobody(rt) {
        let e = Event::new();
        drop(e.wait());
        let (wc, waker) = counting_waker();
        let mut w1 = e.wait();
        let mut w2 = e.wait();
        let mut w3 = e.wait();
        let mut w4 = e.wait();
        pending(&mut w1);
        assert!(poll_with(&mut w2, &waker).is_pending());
        pending(&mut w3);
        assert!(poll_with(&mut w4, &waker).is_pending());
        drop(w1);
        e.set();
        assert_eq!(wc.get(), 2);
        drop(w3); // released, never ran
        ready(&mut w2);
        ready(&mut w4);
        e.clear();
        let mut w5 = e.wait();
        pending(&mut w5);
        e.set();
        ready(&mut w5);
    }
}

three_ways! {
    /// Tasks (threads under `block_on`) that start waiting before and after `set()` all
    /// return.
    fn waiters_on_other_tasks_all_return(rt) {
        let e = Arc::new(Event::new());
        let early: Vec<_> = (0..8)
            .map(|_| {
                let e = e.clone();
                rt.spawn(async move { e.wait().await })
            })
            .collect();
        support::yield_now().await;
        e.set();
        let late: Vec<_> = (0..8)
            .map(|_| {
                let e = e.clone();
                rt.spawn(async move { e.wait().await })
            })
            .collect();
        for w in early.into_iter().chain(late) {
            w.await;
        }
        assert!(e.is_set());
    }
}

#[test]
fn event_is_send_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let e = Event::new();
    send_sync(&e);
    send_sync(&e.wait());
}
