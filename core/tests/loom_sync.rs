//! Model-checks the spin-lock-protected primitives of `asyncio_core::sync` under loom,
//! two threads at a time: `Semaphore` acquire/release hand-off (no lost wake-up, no
//! permit lost or duplicated, a cancelled waiter racing a release), `Lock` mutual
//! exclusion, `Queue` put/get across threads (a waiting putter and a waiting getter, a
//! cancelled getter racing a put, a cancelled putter racing the get that reserves it a
//! slot), and `Event` set/wait (also set + clear).
//!
//! The crate itself is built with `--cfg loom`, which swaps loom's atomics, `Arc` and
//! `UnsafeCell` into `spin.rs`, `semaphore.rs`, `event.rs` and `queue.rs`
//! (`core/src/loom.rs`). Futures run on `block_on` below, whose waker is a
//! `loom::sync::Notify` the polling thread waits on: a lost wake-up shows as a
//! deadlock. (loom's own `future::block_on` needs its `futures` feature.)
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" \
//!     cargo test -p asyncio-core --release --test loom_sync --target-dir target/loom
//! ```
#![cfg(loom)]

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Wake, Waker};

use asyncio_core::sync::{Event, Lock, Queue, Semaphore};
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Notify};
use loom::thread;

/// Wakes the thread blocked in [`block_on`].
struct Unpark(Notify);

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// Drives `f` to completion on this loom thread, waiting on a `Notify` between polls.
fn block_on<F: Future>(f: F) -> F::Output {
    let unpark = std::sync::Arc::new(Unpark(Notify::new()));
    let waker = Waker::from(unpark.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        unpark.0.wait();
    }
}

/// `loom::model`, also saying how many executions it explored (`--nocapture`).
fn model(name: &str, f: impl Fn() + Sync + Send + 'static) {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    loom::model(move || {
        r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    eprintln!(
        "{name}: {} executions",
        runs.load(std::sync::atomic::Ordering::Relaxed)
    );
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Two threads take turns on one permit: never both inside, both get through (a lost
/// wake-up would deadlock), and the permit comes back.
#[test]
fn semaphore_handoff_between_two_threads() {
    model("semaphore_handoff_between_two_threads", || {
        let sem = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let t = {
            let (sem, inside) = (sem.clone(), inside.clone());
            thread::spawn(move || {
                let p = block_on(sem.acquire());
                assert_eq!(inside.fetch_add(1, SeqCst), 0, "two permit holders");
                inside.fetch_sub(1, SeqCst);
                drop(p);
            })
        };
        let p = block_on(sem.acquire());
        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two permit holders");
        inside.fetch_sub(1, SeqCst);
        drop(p);
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        assert!(!sem.locked());
    });
}

/// A waiter on an empty semaphore is released by a `release()` from another thread.
#[test]
fn semaphore_release_wakes_a_waiter() {
    model("semaphore_release_wakes_a_waiter", || {
        let sem = Arc::new(Semaphore::new(0));
        let t = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        block_on(sem.acquire()).forget();
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 0);
        sem.release();
        assert!(
            sem.try_acquire().is_some(),
            "the fast path works after the race"
        );
    });
}

/// An `acquire()` that registers and is then dropped races a `release()`: whether the
/// permit was handed to it or counted, it is never lost (or doubled).
#[test]
fn semaphore_cancelled_waiter_races_release() {
    model("semaphore_cancelled_waiter_races_release", || {
        let sem = Arc::new(Semaphore::new(0));
        let t = {
            let sem = sem.clone();
            thread::spawn(move || {
                let mut a = sem.acquire();
                if let Poll::Ready(p) = poll_once(&mut a) {
                    drop(p);
                }
                drop(a);
            })
        };
        sem.release();
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
        let p = sem.try_acquire();
        assert!(p.is_some());
        assert!(sem.try_acquire().is_none(), "a permit was doubled");
    });
}

/// A waiter registers, a `release()` on another thread races its drop, and then a new
/// `acquire()` must still get the permit (handed back to the count or never taken).
#[test]
fn semaphore_permit_of_a_dropped_waiter_reaches_the_next_acquire() {
    model(
        "semaphore_permit_of_a_dropped_waiter_reaches_the_next_acquire",
        || {
            let sem = Arc::new(Semaphore::new(0));
            let mut a = sem.acquire();
            assert!(poll_once(&mut a).is_pending());
            let t = {
                let sem = sem.clone();
                thread::spawn(move || sem.release())
            };
            drop(a);
            let p = block_on(sem.acquire());
            t.join().unwrap();
            assert_eq!(sem.available_permits(), 0);
            drop(p);
            assert_eq!(sem.available_permits(), 1);
        },
    );
}

/// Each of two threads takes the one permit twice.
#[test]
fn semaphore_two_rounds_each() {
    model("semaphore_two_rounds_each", || {
        let sem = Arc::new(Semaphore::new(1));
        let t = {
            let sem = sem.clone();
            thread::spawn(move || {
                for _ in 0..2 {
                    drop(block_on(sem.acquire()));
                }
            })
        };
        for _ in 0..2 {
            drop(block_on(sem.acquire()));
        }
        t.join().unwrap();
        assert_eq!(sem.available_permits(), 1);
    });
}

/// Two threads increment under a `Lock`: the total is exact.
#[test]
fn lock_two_threads() {
    model("lock_two_threads", || {
        let lock = Arc::new(Lock::new(0usize));
        let t = {
            let lock = lock.clone();
            thread::spawn(move || *block_on(lock.lock()) += 1)
        };
        *block_on(lock.lock()) += 1;
        t.join().unwrap();
        assert_eq!(*lock.try_lock().unwrap(), 2);
    });
}

/// A producer thread puts three items into `Queue::new(1)` (so its puts may wait for
/// a slot) while the consumer gets them (and may wait for an item): both finish,
/// in FIFO order.
#[test]
fn queue_put_get_across_threads() {
    model("queue_put_get_across_threads", || {
        let q: Queue<usize> = Queue::new(1);
        let t = {
            let q = q.clone();
            thread::spawn(move || {
                block_on(async {
                    for i in 1..=3 {
                        q.put(i).await.unwrap();
                    }
                })
            })
        };
        let got = block_on(async {
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(q.get().await.unwrap());
            }
            got
        });
        t.join().unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 3);
    });
}

/// A putter waiting on a full queue is dropped while another thread's `get` frees (and
/// reserves for it) a slot: the slot is never lost and the item enters at most once.
#[test]
fn queue_cancelled_putter_races_get() {
    model("queue_cancelled_putter_races_get", || {
        let q: Queue<usize> = Queue::new(1);
        q.put_nowait(0).unwrap();
        let mut p = q.put(1);
        assert!(poll_once(&mut p).is_pending());
        let t = {
            let q = q.clone();
            thread::spawn(move || q.get_nowait())
        };
        let put = poll_once(&mut p).is_ready();
        drop(p);
        assert_eq!(t.join().unwrap(), Ok(0));
        if put {
            assert_eq!(q.get_nowait(), Ok(1));
        } else {
            assert_eq!(q.qsize(), 0);
        }
        assert!(
            !q.full(),
            "the slot reserved for the dropped putter was lost"
        );
        q.put_nowait(2).unwrap();
        assert_eq!(q.get_nowait(), Ok(2));
    });
}

/// A `get()` that registers and is then dropped races a `put_nowait`: the item ends up
/// taken by that get or in the queue, exactly once.
#[test]
fn queue_cancelled_getter_races_put() {
    model("queue_cancelled_getter_races_put", || {
        let q: Queue<usize> = Queue::new(0);
        let t = {
            let q = q.clone();
            thread::spawn(move || {
                let mut g = q.get();
                match poll_once(&mut g) {
                    Poll::Ready(r) => Some(r.unwrap()),
                    Poll::Pending => None,
                }
            })
        };
        q.put_nowait(7).unwrap();
        let taken = t.join().unwrap();
        match taken {
            Some(v) => {
                assert_eq!(v, 7);
                assert_eq!(q.qsize(), 0);
            }
            None => {
                assert_eq!(q.qsize(), 1, "the dropped getter's item was lost");
                assert_eq!(q.get_nowait(), Ok(7));
            }
        }
    });
}

/// `set()` on one thread releases a `wait()` on another, whichever runs first.
#[test]
fn event_set_wakes_a_waiter() {
    model("event_set_wakes_a_waiter", || {
        let e = Arc::new(Event::new());
        let t = {
            let e = e.clone();
            thread::spawn(move || e.set())
        };
        block_on(e.wait());
        assert!(e.is_set());
        t.join().unwrap();
    });
}

/// A waiter that registered before `set()` + `clear()` on another thread is still
/// released.
#[test]
fn event_set_then_clear_releases_a_registered_waiter() {
    model("event_set_then_clear_releases_a_registered_waiter", || {
        let e = Arc::new(Event::new());
        let mut w = e.wait();
        assert!(poll_once(&mut w).is_pending());
        let t = {
            let e = e.clone();
            thread::spawn(move || {
                e.set();
                e.clear();
            })
        };
        block_on(w);
        t.join().unwrap();
        assert!(!e.is_set());
    });
}
