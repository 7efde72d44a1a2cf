//! `Lock<T>` keeps asyncio's semantics: FIFO waiters with no barging, `try_lock`,
//! `locked()`, a guard that derefs to the data and unlocks on drop, data kept exclusive
//! across `.await` by many tasks, and a dropped `lock()` future that loses nothing and
//! blocks nobody, under tokio's two loop flavors and `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use asyncio_core::sync::Lock;
use support::{counting_waker, pending, poll, poll_with, ready};

three_ways! {
    /// The guard derefs to the data; dropping it unlocks.
    fn guard_derefs_and_unlocks_on_drop(rt) {
        let lock = Lock::new(vec![1]);
        assert!(!lock.locked());
        {
            let mut g = lock.lock().await;
            assert!(lock.locked());
            g.push(2);
            assert_eq!(g.len(), 2);
            assert_eq!(format!("{g:?}"), "[1, 2]");
            assert!(lock.try_lock().is_none());
        }
        assert!(!lock.locked());
        let g = lock.try_lock().expect("free again");
        assert_eq!(*g, [1, 2]);
        assert_eq!(format!("{lock:?}"), "Lock { locked: true, .. }");
        drop(g);
        let mut lock = lock;
        lock.get_mut().push(3);
        assert_eq!(lock.into_inner(), [1, 2, 3]);
        assert_eq!(Lock::<u8>::default().into_inner(), 0);
        assert_eq!(Lock::from("x").into_inner(), "x");
        let g = Lock::new(5);
        assert_eq!(g.lock().await.to_string(), "5");
    }
}

three_ways! {
    /// An unsized value behind a lock.
    fn unsized_value(rt) {
        let lock: Box<Lock<[u8]>> = Box::new(Lock::new([1, 2, 3]));
        lock.lock().await[0] = 9;
        assert_eq!(&*lock.try_lock().unwrap(), &[9, 2, 3]);
    }
}

three_ways! {
    /// Waiters get the lock in arrival order, whatever order they are polled in, and a
    /// newcomer (`try_lock`, or a `lock()` polled first) never overtakes them.
    fn waiters_are_served_in_arrival_order(rt) {
        let lock = Lock::new(Vec::new());
        let g = lock.lock().await;
        let mut l1 = lock.lock();
        let mut l2 = lock.lock();
        let mut l3 = lock.lock();
        pending(&mut l1);
        pending(&mut l2);
        pending(&mut l3);
        assert!(lock.try_lock().is_none());
        drop(g); // handed to l1
        assert!(
            lock.locked(),
            "handed to a waiter that has not run: still locked"
        );
        assert!(lock.try_lock().is_none(), "try_lock does not barge");
        let mut late = lock.lock();
        pending(&mut late);
        pending(&mut l3);
        pending(&mut l2);
        let mut g1 = ready(&mut l1);
        g1.push(1);
        drop(g1);
        pending(&mut late);
        pending(&mut l3);
        ready(&mut l2).push(2);
        pending(&mut late);
        ready(&mut l3).push(3);
        ready(&mut late).push(4);
        assert!(!lock.locked());
        assert_eq!(*lock.lock().await, [1, 2, 3, 4]);
    }
}

three_ways! {
    /// Unlocking wakes the oldest waiter, and only it.
    fn unlock_wakes_the_oldest_waiter(rt) {
        let lock = Lock::new(());
        let g = lock.try_lock().unwrap();
        let (w1, waker1) = counting_waker();
        let (w2, waker2) = counting_waker();
        let mut l1 = lock.lock();
        let mut l2 = lock.lock();
        assert!(poll_with(&mut l1, &waker1).is_pending());
        assert!(poll_with(&mut l2, &waker2).is_pending());
        drop(g);
        assert_eq!((w1.get(), w2.get()), (1, 0));
        drop(ready(&mut l1));
        assert_eq!((w1.get(), w2.get()), (1, 1));
        drop(ready(&mut l2));
        assert!(!lock.locked());
    }
}

three_ways! {
    /// A `lock()` future dropped before polling, while waiting, or after being handed
    /// the lock but before taking it: the lock goes on to the next waiter, or is free.
    fn dropped_lock_futures_lose_nothing(rt) {
        let lock = Lock::new(0);
        drop(lock.lock());
        assert!(!lock.locked());

        let g = lock.lock().await;
        let mut l1 = lock.lock();
        let mut l2 = lock.lock();
        let mut l3 = lock.lock();
        pending(&mut l1);
        pending(&mut l2);
        pending(&mut l3);
        drop(l1); // while waiting
        drop(g); // handed to l2
        let (w3, waker3) = counting_waker();
        assert!(poll_with(&mut l3, &waker3).is_pending());
        drop(l2); // handed, never taken: passes the lock on to l3
        assert_eq!(w3.get(), 1);
        *ready(&mut l3) += 1;
        assert!(!lock.locked());

        // Handed the lock with nobody behind it: the lock becomes free.
        let g = lock.try_lock().unwrap();
        let mut l4 = lock.lock();
        pending(&mut l4);
        drop(g);
        assert!(lock.locked());
        drop(l4);
        assert!(!lock.locked());
        assert_eq!(*lock.try_lock().expect("free"), 1);

        // The last waiter leaving makes the fast path work again.
        let g = lock.try_lock().unwrap();
        let mut l5 = lock.lock();
        pending(&mut l5);
        drop(l5);
        drop(g);
        assert!(!lock.locked());
        assert!(lock.try_lock().is_some());
    }
}

three_ways! {
    /// Many tasks (threads under `block_on`) increment one counter, holding the guard
    /// across `.await`: it reaches the exact total and no two are ever inside at once.
    fn data_stays_exclusive_across_await(rt) {
        let (tasks, rounds) = if cfg!(miri) {
            (2, 10)
        } else if rt == support::Rt::BlockOn {
            (8, 200)
        } else {
            (32, 300)
        };
        let lock = Arc::new(Lock::new(0u64));
        let inside = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                rt.spawn(async move {
                    for i in 0..rounds {
                        let mut g = lock.lock().await;
                        assert!(!inside.swap(true, SeqCst), "two holders at once");
                        let v = *g;
                        if i % 3 == 0 {
                            support::yield_now().await;
                        }
                        *g = v + 1;
                        inside.store(false, SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        assert_eq!(*lock.lock().await, tasks * rounds);
        assert!(!lock.locked());
    }
}

#[test]
fn lock_future_polled_after_completion_panics() {
    let lock = Lock::new(());
    let mut l = lock.lock();
    let g = ready(&mut l);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut l)));
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("`Lock::lock` future polled after completion"),
        "{msg}"
    );
    drop(g);
    assert!(!lock.locked());
}

#[test]
fn lock_and_guard_are_send_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let lock = Lock::new(String::new());
    send_sync(&lock);
    send(&lock.lock());
    send_sync(&lock.try_lock().unwrap());
}
