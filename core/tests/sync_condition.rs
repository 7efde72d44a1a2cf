//! `Condition<T>` keeps asyncio's semantics: `wait` unlocks, waits for a notification
//! and locks again; `notify(n)` wakes up to n waiters oldest first (`notify(0)` does
//! nothing), `notify_all` wakes all, `wait_for` loops on its predicate; and a `wait`
//! dropped at any point blocks nobody, passing on a notification it was given, under
//! tokio's two loop flavors and `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::Arc;

use asyncio_core::sync::{Condition, ConditionWait, Lock};
use support::{counting_waker, pending, poll, poll_with, ready};

/// Takes the lock and starts a `wait` on it (registered, lock released).
fn start_wait<T>(cond: &Condition<T>) -> ConditionWait<'_, T> {
    let g = cond.try_lock().expect("the lock is free");
    let mut w = cond.wait(g);
    pending(&mut w);
    assert!(!cond.locked(), "a waiting `wait` holds no lock");
    w
}

three_ways! {
    /// `wait` releases the lock while waiting and holds it again when it returns.
    fn wait_unlocks_then_relocks(rt) {
        let cond = Condition::new(0);
        assert_eq!(
            format!("{cond:?}"),
            "Condition { locked: false, waiting: 0, .. }"
        );
        let g = cond.lock().await;
        assert!(cond.locked());
        let (wc, waker) = counting_waker();
        let mut w = cond.wait(g);
        assert!(cond.locked(), "not polled yet: still locked");
        assert!(poll_with(&mut w, &waker).is_pending());
        assert!(!cond.locked());
        assert_eq!(
            format!("{cond:?}"),
            "Condition { locked: false, waiting: 1, .. }"
        );
        *cond.lock().await = 7; // others can take the lock meanwhile
        assert!(
            poll_with(&mut w, &waker).is_pending(),
            "no notification yet"
        );
        let other = cond.try_lock().unwrap();
        cond.notify(1);
        assert_eq!(wc.get(), 1);
        // Notified, but the lock is held: it waits for the lock.
        assert!(poll_with(&mut w, &waker).is_pending());
        drop(other);
        assert_eq!(wc.get(), 2, "unlocking wakes the relocking waiter");
        let g = ready(&mut w);
        assert_eq!(*g, 7);
        assert!(cond.locked());
        drop(g);
        assert!(!cond.locked());
        drop(w);
        assert_eq!(cond.into_inner(), 7);
        assert_eq!(*Condition::<u8>::default().lock().await, 0);
    }
}

three_ways! {
    /// `notify(n)` wakes the `n` oldest waiters; `notify_all` the rest.
    fn notify_n_wakes_the_oldest_n(rt) {
        let cond = Condition::new(Vec::new());
        let mut w1 = start_wait(&cond);
        let mut w2 = start_wait(&cond);
        let mut w3 = start_wait(&cond);
        let mut w4 = start_wait(&cond);
        cond.notify(2);
        pending(&mut w4);
        pending(&mut w3);
        let mut g2 = ready(&mut w2); // notified, and the lock is free
        g2.push(2);
        pending(&mut w1); // notified; waits for the lock g2 holds
        drop(g2);
        ready(&mut w1).push(1);
        pending(&mut w3);
        cond.notify(1);
        pending(&mut w4);
        ready(&mut w3).push(3);
        cond.notify_all();
        ready(&mut w4).push(4);
        assert_eq!(*cond.lock().await, [2, 1, 3, 4]);
        cond.notify(5); // nobody waits: nothing happens, nothing is stored
        let mut w5 = start_wait(&cond);
        pending(&mut w5);
        cond.notify(usize::MAX);
        drop(ready(&mut w5));
    }
}

three_ways! {
    /// `notify_all` wakes every waiter, each once.
    fn notify_all_wakes_everyone(rt) {
        let cond = Condition::new(0);
        let (wc, waker) = counting_waker();
        let mut waits: Vec<_> = (0..5)
            .map(|_| {
                let mut w = cond.wait(cond.try_lock().unwrap());
                assert!(poll_with(&mut w, &waker).is_pending());
                w
            })
            .collect();
        cond.notify_all();
        assert_eq!(wc.get(), 5);
        cond.notify_all();
        assert_eq!(wc.get(), 5);
        for w in &mut waits {
            *ready(w) += 1;
        }
        assert_eq!(*cond.lock().await, 5);
    }
}

three_ways! {
    /// `notify(0)` is a no-op: the waiter keeps waiting.
    fn notify_zero_is_a_no_op(rt) {
        let cond = Condition::new(());
        let (wc, waker) = counting_waker();
        let mut w = cond.wait(cond.lock().await);
        assert!(poll_with(&mut w, &waker).is_pending());
        cond.notify(0);
        assert_eq!(wc.get(), 0);
        assert!(poll_with(&mut w, &waker).is_pending());
        cond.notify(1);
        assert_eq!(wc.get(), 1);
        drop(ready(&mut w));
    }
}

three_ways! {
    /// A notification sent while nobody waits is not kept.
    fn notify_without_waiters_is_not_stored(rt) {
        let cond = Condition::new(());
        cond.notify(1);
        cond.notify_all();
        let mut w = start_wait(&cond);
        pending(&mut w);
        cond.notify(1);
        drop(ready(&mut w));
    }
}

three_ways! {
    /// `wait_for` checks the predicate first and after every wake-up, and returns with
    /// the lock held.
    fn wait_for_loops_until_the_predicate_holds(rt) {
        let cond = Condition::new(5);
        let g = cond.wait_for(cond.lock().await, |n| *n > 3).await;
        assert_eq!(*g, 5);
        assert!(cond.locked());
        drop(g);

        let cond = Condition::new(0);
        let checks = std::cell::Cell::new(0);
        let mut wf = pin!(cond.wait_for(cond.try_lock().unwrap(), |n| {
            checks.set(checks.get() + 1);
            *n >= 3
        }));
        pending(&mut wf);
        for i in 1..=3 {
            *cond.try_lock().unwrap() = i;
            cond.notify_all();
            if i < 3 {
                pending(&mut wf);
            }
        }
        let g = ready(&mut wf);
        assert_eq!(*g, 3);
        assert!(cond.locked());
        drop(g);
        assert_eq!(checks.get(), 4);
    }
}

three_ways! {
    /// A `wait` dropped before its first poll unlocks and consumes no notification.
    fn wait_dropped_before_polling(rt) {
        let cond = Condition::new(());
        let mut w1 = start_wait(&cond);
        let w2 = cond.wait(cond.try_lock().unwrap());
        drop(w2);
        assert!(!cond.locked());
        pending(&mut w1);
        cond.notify(1);
        drop(ready(&mut w1));
    }
}

three_ways! {
    /// A `wait` dropped while waiting leaves the line: the next notification goes to
    /// the next waiter.
    fn wait_dropped_while_waiting(rt) {
        let cond = Condition::new(());
        let w1 = start_wait(&cond);
        let mut w2 = start_wait(&cond);
        drop(w1);
        assert_eq!(
            format!("{cond:?}"),
            "Condition { locked: false, waiting: 1, .. }"
        );
        cond.notify(1);
        drop(ready(&mut w2));
    }
}

three_ways! {
    /// A `wait` dropped after it was notified, before it ran, passes the notification
    /// on to the next waiter (and wakes it).
    fn wait_dropped_after_notify_passes_it_on(rt) {
        let cond = Condition::new(());
        let w1 = start_wait(&cond);
        let (wc, waker) = counting_waker();
        let mut w2 = cond.wait(cond.try_lock().unwrap());
        assert!(poll_with(&mut w2, &waker).is_pending());
        let mut w3 = start_wait(&cond);
        cond.notify(1);
        assert_eq!(wc.get(), 0);
        drop(w1);
        assert_eq!(wc.get(), 1);
        drop(ready(&mut w2));
        pending(&mut w3);
    }
}

three_ways! {
    /// A `wait` dropped while it waits for the lock again (notified, lock busy) passes
    /// the notification on and leaves the lock's queue; one dropped after the lock was
    /// handed to it passes the lock on too.
    fn wait_dropped_while_relocking_passes_it_on(rt) {
        let cond = Condition::new(0);
        let mut w1 = start_wait(&cond);
        let mut w2 = start_wait(&cond);
        let held = cond.try_lock().unwrap();
        cond.notify(1);
        pending(&mut w1); // relocking: waits for `held`
        pending(&mut w2);
        drop(w1);
        drop(held);
        assert!(!cond.locked(), "w1 left the lock's queue");
        *ready(&mut w2) += 1;

        let mut w3 = start_wait(&cond);
        let mut w4 = start_wait(&cond);
        let held = cond.try_lock().unwrap();
        cond.notify(1);
        pending(&mut w3);
        drop(held); // the lock is handed to w3
        assert!(cond.locked());
        drop(w3); // passes the lock and the notification on
        assert!(!cond.locked());
        *ready(&mut w4) += 1;
        assert_eq!(*cond.lock().await, 2);
    }
}

#[test]
#[should_panic(expected = "Condition::wait: the guard belongs to another lock")]
fn wait_with_a_foreign_guard_panics() {
    let cond = Condition::new(0);
    let other = Lock::new(0);
    let g = other.try_lock().unwrap();
    let _w = cond.wait(g);
}

#[test]
fn wait_polled_after_completion_panics() {
    let cond = Condition::new(());
    let mut w = start_wait(&cond);
    cond.notify(1);
    let g = ready(&mut w);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut w)));
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "`Condition::wait` future polled after completion");
    drop(g);
    assert!(!cond.locked());
}

three_ways! {
    /// Producer and consumers on other tasks (threads under `block_on`): every item is
    /// consumed exactly once, and `notify_all` ends the consumers.
    fn producer_and_consumers(rt) {
        let n = 500u64;
        let cond = Arc::new(Condition::new((VecDeque::new(), false)));
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let cond = cond.clone();
                rt.spawn(async move {
                    let mut got = Vec::new();
                    loop {
                        let mut g = cond
                            .wait_for(cond.lock().await, |(q, done)| !q.is_empty() || *done)
                            .await;
                        match g.0.pop_front() {
                            Some(v) => got.push(v),
                            None => return got,
                        }
                    }
                })
            })
            .collect();
        for i in 0..n {
            cond.lock().await.0.push_back(i);
            cond.notify(1);
            if i % 7 == 0 {
                support::yield_now().await;
            }
        }
        cond.lock().await.1 = true;
        cond.notify_all();
        let mut all = Vec::new();
        for c in consumers {
            all.extend(c.await);
        }
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }
}

#[test]
fn condition_is_send_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let cond = Condition::new(String::new());
    send_sync(&cond);
    send_sync(&cond.wait(cond.try_lock().unwrap()));
}
