//! `Semaphore` and `BoundedSemaphore` keep asyncio's semantics: FIFO waiters with no
//! barging, permits released on drop, `forget()` + `release()`, `locked()`, the
//! bounded over-release panic and the `MAX_PERMITS` limit, and a dropped `acquire()`
//! future that loses no permit and blocks nobody, under tokio's two loop flavors and
//! `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use asyncio_core::sync::{BoundedSemaphore, MAX_PERMITS, Semaphore};
use support::{counting_waker, pending, poll, poll_with, ready};

fn panic_message(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

three_ways! {
    /// Permits are counted, taken by `acquire`/`try_acquire` and given back on drop.
    fn permits_are_counted_and_released_on_drop(rt) {
        let sem = Semaphore::new(2);
        assert_eq!(sem.available_permits(), 2);
        assert!(!sem.locked());
        let a = sem.acquire().await;
        let b = sem.try_acquire().expect("one left");
        assert_eq!(sem.available_permits(), 0);
        assert!(sem.locked());
        assert!(sem.try_acquire().is_none());
        drop(a);
        assert_eq!(sem.available_permits(), 1);
        assert!(!sem.locked());
        drop(b);
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(format!("{sem:?}"), "Semaphore { available: 2, waiting: 0 }");

        let zero = Semaphore::new(0);
        assert!(zero.locked());
        let mut acq = zero.acquire();
        pending(&mut acq);
        zero.release();
        drop(ready(&mut acq));
        assert_eq!(zero.available_permits(), 1);
    }
}

three_ways! {
    /// `forget` keeps a permit taken; `release` gives one back (and may raise the count
    /// past the initial value of a plain `Semaphore`, as in asyncio).
    fn forget_and_release(rt) {
        let sem = Semaphore::new(1);
        sem.acquire().await.forget();
        assert_eq!(sem.available_permits(), 0);
        assert!(sem.locked());
        sem.release();
        assert_eq!(sem.available_permits(), 1);
        sem.release();
        assert_eq!(sem.available_permits(), 2);

        let b = BoundedSemaphore::new(2);
        b.acquire().await.forget();
        b.try_acquire().unwrap().forget();
        assert!(b.locked());
        b.release();
        b.release();
        assert_eq!(b.available_permits(), 2);
        drop(b.acquire().await); // back to the bound: no panic
        assert_eq!(b.available_permits(), 2);
    }
}

three_ways! {
    /// Waiters get permits in arrival order; while anyone waits, a newcomer's
    /// `try_acquire` or `acquire` (even polled first) does not take a permit.
    fn waiters_are_served_in_arrival_order_without_barging(rt) {
        let sem = Semaphore::new(1);
        let held = sem.acquire().await;
        let (w1, waker1) = counting_waker();
        let (w2, waker2) = counting_waker();
        let mut a1 = sem.acquire();
        let mut a2 = sem.acquire();
        assert!(poll_with(&mut a1, &waker1).is_pending());
        assert!(poll_with(&mut a2, &waker2).is_pending());
        assert!(sem.locked());
        drop(held); // handed to a1
        assert_eq!((w1.get(), w2.get()), (1, 0));
        assert!(sem.locked(), "the permit belongs to a1 now");
        assert_eq!(sem.available_permits(), 0);
        assert!(sem.try_acquire().is_none(), "try_acquire does not barge");
        let mut late = sem.acquire();
        pending(&mut late); // polled before a1 and a2
        assert!(poll_with(&mut a2, &waker2).is_pending());
        let p1 = ready(&mut a1);
        sem.release(); // an extra permit: a2 is next, not `late`
        assert_eq!(w2.get(), 1);
        pending(&mut late);
        let p2 = ready(&mut a2);
        drop(p1); // to `late`
        let p3 = ready(&mut late);
        assert_eq!(sem.available_permits(), 0);
        drop((p2, p3));
        assert_eq!(sem.available_permits(), 2);
        assert!(!sem.locked());
        assert!(sem.try_acquire().is_some(), "the fast path works again");
    }
}

three_ways! {
    /// The same for a `BoundedSemaphore`.
    fn bounded_waiters_are_fifo_too(rt) {
        let sem = BoundedSemaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut a1 = sem.acquire();
        let mut a2 = sem.acquire();
        pending(&mut a1);
        pending(&mut a2);
        drop(held);
        assert!(sem.try_acquire().is_none());
        pending(&mut a2);
        drop(ready(&mut a1));
        drop(ready(&mut a2));
        assert_eq!(sem.available_permits(), 1);
    }
}

three_ways! {
    /// An `acquire()` dropped before polling, while waiting, or after being handed a
    /// permit but before taking it loses no permit: it goes to the next waiter, or back
    /// to the count.
    fn dropped_acquire_loses_no_permit(rt) {
        let sem = Semaphore::new(1);
        drop(sem.acquire());
        assert_eq!(sem.available_permits(), 1);

        let held = sem.acquire().await;
        let mut a1 = sem.acquire();
        let mut a2 = sem.acquire();
        let (w3, waker3) = counting_waker();
        let mut a3 = sem.acquire();
        pending(&mut a1);
        pending(&mut a2);
        assert!(poll_with(&mut a3, &waker3).is_pending());
        drop(a1); // while waiting
        drop(held); // handed to a2
        assert_eq!(w3.get(), 0);
        drop(a2); // handed, never taken: passed on to a3
        assert_eq!(w3.get(), 1);
        let p3 = ready(&mut a3);
        assert_eq!(sem.available_permits(), 0);
        drop(p3);
        assert_eq!(sem.available_permits(), 1);

        // Handed a permit with nobody behind: it goes back to the count.
        let held = sem.try_acquire().unwrap();
        let mut a4 = sem.acquire();
        pending(&mut a4);
        drop(held);
        assert_eq!(sem.available_permits(), 0);
        drop(a4);
        assert_eq!(sem.available_permits(), 1);
        assert!(!sem.locked());

        // The last waiter leaving while waiting clears the waiting state.
        let zero = Semaphore::new(0);
        let mut a5 = zero.acquire();
        pending(&mut a5);
        drop(a5);
        zero.release();
        assert_eq!(zero.available_permits(), 1);
        assert!(zero.try_acquire().is_some());
    }
}

three_ways! {
    /// The same for a `BoundedSemaphore`: a passed-on permit never trips the bound.
    fn bounded_dropped_acquire_passes_its_permit_on(rt) {
        let sem = BoundedSemaphore::new(1);
        let held = sem.acquire().await;
        let mut a1 = sem.acquire();
        let mut a2 = sem.acquire();
        pending(&mut a1);
        pending(&mut a2);
        drop(held);
        drop(a1);
        drop(ready(&mut a2));
        assert_eq!(sem.available_permits(), 1);
        let held = sem.try_acquire().unwrap();
        let mut a3 = sem.acquire();
        pending(&mut a3);
        drop(held);
        drop(a3);
        assert_eq!(sem.available_permits(), 1);
    }
}

three_ways! {
    /// Releasing several permits while several wait serves them oldest first.
    fn releases_serve_waiters_oldest_first(rt) {
        let sem = Semaphore::new(0);
        let mut futs: Vec<_> = (0..4).map(|_| sem.acquire()).collect();
        for f in &mut futs {
            pending(f);
        }
        sem.release();
        sem.release();
        pending(&mut futs[2]);
        pending(&mut futs[3]);
        let p1 = ready(&mut futs[1]);
        let p0 = ready(&mut futs[0]);
        drop(p1);
        drop(p0);
        let p2 = ready(&mut futs[2]);
        let p3 = ready(&mut futs[3]);
        drop((p2, p3));
        assert_eq!(sem.available_permits(), 2);
    }
}

three_ways! {
    /// Many tasks (threads under `block_on`): never more than `n` inside, every task
    /// gets through, every permit comes back.
    fn limits_concurrency(rt) {
        let (tasks, rounds) = if rt == support::Rt::BlockOn {
            (8, 100)
        } else {
            (32, 100)
        };
        let sem = Arc::new(Semaphore::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (sem, inside, most) = (sem.clone(), inside.clone(), most.clone());
                rt.spawn(async move {
                    for i in 0..rounds {
                        let _p = sem.acquire().await;
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        if i % 2 == 0 {
                            support::yield_now().await;
                        }
                        inside.fetch_sub(1, SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        assert!(
            most.load(SeqCst) <= 3,
            "{} inside at once",
            most.load(SeqCst)
        );
        assert_eq!(sem.available_permits(), 3);
        assert!(!sem.locked());
    }
}

#[test]
#[should_panic(
    expected = "BoundedSemaphore released too many times: it was created with 1 permits and all of them are already free (asyncio raises ValueError here)"
)]
fn bounded_over_release_panics() {
    let sem = BoundedSemaphore::new(1);
    sem.release();
}

#[test]
fn bounded_over_release_after_a_handoff_panics() {
    let sem = BoundedSemaphore::new(1);
    sem.try_acquire().unwrap().forget();
    sem.release();
    let p = sem.try_acquire().unwrap();
    sem.release(); // the permit `p` holds was released by hand: a bug, caught at `p`'s drop
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(p))).unwrap_err();
    assert!(panic_message(e).starts_with("BoundedSemaphore released too many times"));
    assert_eq!(
        sem.available_permits(),
        1,
        "the count never exceeds the bound"
    );
}

#[test]
fn bounded_surplus_dropped_while_unwinding_does_not_abort() {
    let sem = BoundedSemaphore::new(1);
    let p = sem.try_acquire().unwrap();
    sem.release();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _p = p;
        panic!("boom");
    }));
    assert_eq!(panic_message(r.unwrap_err()), "boom");
    assert_eq!(sem.available_permits(), 1);
}

#[test]
#[should_panic(
    expected = "Semaphore::new: 9223372036854775808 permits is more than a semaphore can count (at most asyncio::sync::MAX_PERMITS = 9223372036854775807)"
)]
#[cfg(target_pointer_width = "64")]
fn semaphore_over_max_permits_panics() {
    let _ = Semaphore::new(MAX_PERMITS + 1);
}

#[test]
fn bounded_over_max_permits_panics_with_its_name() {
    let e = std::panic::catch_unwind(|| BoundedSemaphore::new(MAX_PERMITS + 1)).unwrap_err();
    let msg = panic_message(e);
    assert!(
        msg.starts_with(&format!(
            "BoundedSemaphore::new: {} permits is more than a semaphore can count",
            MAX_PERMITS + 1
        )),
        "{msg}"
    );
    assert!(std::panic::catch_unwind(|| Semaphore::new(usize::MAX)).is_err());
}

#[test]
fn max_permits_is_accepted_and_release_past_it_panics() {
    assert_eq!(MAX_PERMITS, usize::MAX >> 1);
    let sem = Semaphore::new(MAX_PERMITS);
    assert_eq!(sem.available_permits(), MAX_PERMITS);
    let p = sem.try_acquire().unwrap();
    assert_eq!(sem.available_permits(), MAX_PERMITS - 1);
    drop(p);
    let e = std::panic::catch_unwind(|| sem.release()).unwrap_err();
    let msg = panic_message(e);
    assert!(
        msg.starts_with("Semaphore::release:") && msg.contains("more than a semaphore can count"),
        "{msg}"
    );
    assert_eq!(sem.available_permits(), MAX_PERMITS);
}

#[test]
fn acquire_polled_after_completion_panics() {
    let sem = Semaphore::new(1);
    let mut a = sem.acquire();
    let p = ready(&mut a);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut a))).unwrap_err();
    assert!(panic_message(e).contains("`Semaphore::acquire` future polled after completion"));
    drop(p);
    let b = BoundedSemaphore::new(1);
    let mut a = b.acquire();
    let p = ready(&mut a);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut a))).unwrap_err();
    assert!(
        panic_message(e).contains("`BoundedSemaphore::acquire` future polled after completion")
    );
    drop(p);
    assert_eq!((sem.available_permits(), b.available_permits()), (1, 1));
}

#[test]
fn semaphores_are_send_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let sem = Semaphore::new(1);
    send_sync(&sem);
    send_sync(&sem.acquire());
    send_sync(&sem.try_acquire().unwrap());
    send_sync(&BoundedSemaphore::new(1));
}
