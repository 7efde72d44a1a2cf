//! Small cross-thread runs of `Lock`, `Queue`, `Semaphore`, `Event`, `Condition` and
//! `Barrier` (two std threads, `futures::executor::block_on`, no tokio runtime), sized
//! for Miri, which checks the spin lock's and `Lock`'s `unsafe` against data races and
//! Stacked Borrows:
//!
//! ```text
//! MIRIFLAGS=-Zmiri-strict-provenance cargo +nightly miri test -p asyncio-core --test sync_miri
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};
use std::thread;

use asyncio_core::sync::{Barrier, Condition, Event, Lock, Queue, Semaphore};
use futures::executor::block_on;

/// Counts drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[test]
fn lock_two_threads() {
    let lock = Arc::new(Lock::new(Vec::new()));
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let lock = lock.clone();
            thread::spawn(move || {
                block_on(async {
                    for i in 0..10 {
                        let mut g = lock.lock().await;
                        g.push(t * 100 + i);
                        yield_now().await; // held across a suspension
                        let n = g.len();
                        g[n - 1] += 0;
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut v = block_on(lock.lock()).clone();
    v.sort_unstable();
    let want: Vec<_> = (0..10).chain(100..110).collect();
    assert_eq!(v, want);
    assert!(!lock.locked());
}

#[test]
fn queue_two_threads() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q: Queue<(usize, Counted)> = Queue::new(2);
    let producer = {
        let (q, drops) = (q.clone(), drops.clone());
        thread::spawn(move || {
            block_on(async {
                for i in 0..12 {
                    q.put((i, Counted(drops.clone()))).await.unwrap();
                }
                // A put dropped while waiting: its value never enters the queue.
                let mut p = q.put((99, Counted(drops.clone())));
                let _ = poll(&mut p);
                drop(p);
            })
        })
    };
    let consumer = {
        let q = q.clone();
        thread::spawn(move || {
            block_on(async {
                let mut got = Vec::new();
                for _ in 0..12 {
                    let (i, _c) = q.get().await.unwrap();
                    got.push(i);
                    q.task_done();
                }
                got
            })
        })
    };
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), (0..12).collect::<Vec<_>>());
    // The last put either waited and was dropped (its value with it) or found room.
    while let Ok((i, _c)) = q.get_nowait() {
        assert_eq!(i, 99);
        q.task_done();
    }
    block_on(q.join());
    assert_eq!(drops.load(SeqCst), 13, "every value dropped exactly once");
    assert_eq!(q.qsize(), 0);
}

#[test]
fn queue_handed_item_of_a_dropped_getter_goes_to_another_thread() {
    let q: Queue<usize> = Queue::new(0);
    let mut g = q.get();
    assert!(poll(&mut g).is_pending());
    let waiter = {
        let q = q.clone();
        thread::spawn(move || block_on(q.get()))
    };
    // Wait until the other thread's get is queued behind `g`.
    while !format!("{q:?}").contains("getters: 2") {
        thread::yield_now();
    }
    q.put_nowait(7).unwrap(); // handed to `g`
    drop(g); // passes it on to the other thread's getter
    assert_eq!(waiter.join().unwrap(), Ok(7));
}

#[test]
fn semaphore_two_threads() {
    let sem = Arc::new(Semaphore::new(1));
    let inside = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (sem, inside) = (sem.clone(), inside.clone());
            thread::spawn(move || {
                block_on(async {
                    for _ in 0..8 {
                        let _p = sem.acquire().await;
                        assert_eq!(inside.fetch_add(1, SeqCst), 0);
                        yield_now().await;
                        inside.fetch_sub(1, SeqCst);
                    }
                    // Handed a permit, then dropped: passes it on.
                    let mut a = sem.acquire();
                    let _ = poll(&mut a);
                    drop(a);
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.try_acquire().is_some());
}

#[test]
fn event_two_threads() {
    let e = Arc::new(Event::new());
    let waiter = {
        let e = e.clone();
        thread::spawn(move || {
            block_on(e.wait());
            e.is_set()
        })
    };
    e.set();
    assert!(waiter.join().unwrap());
    e.clear();
    let mut w = e.wait();
    assert!(poll(&mut w).is_pending());
    let setter = {
        let e = e.clone();
        thread::spawn(move || e.set())
    };
    setter.join().unwrap();
    assert!(poll(&mut w).is_ready());
}

#[test]
fn condition_two_threads() {
    let cond = Arc::new(Condition::new(0usize));
    let waiter = {
        let cond = cond.clone();
        thread::spawn(move || {
            block_on(async { *cond.wait_for(cond.lock().await, |n| *n >= 3).await })
        })
    };
    for _ in 0..3 {
        *block_on(cond.lock()) += 1;
        cond.notify_all();
        thread::yield_now();
    }
    assert_eq!(waiter.join().unwrap(), 3);
}

#[test]
fn barrier_two_threads() {
    let b = Arc::new(Barrier::new(2));
    let other = {
        let b = b.clone();
        thread::spawn(move || block_on(async { (b.wait().await, b.wait().await) }))
    };
    let mine = block_on(async { (b.wait().await, b.wait().await) });
    let theirs = other.join().unwrap();
    let mut first = [mine.0.unwrap(), theirs.0.unwrap()];
    first.sort_unstable();
    assert_eq!(first, [0, 1]);
    let mut second = [mine.1.unwrap(), theirs.1.unwrap()];
    second.sort_unstable();
    assert_eq!(second, [0, 1]);
}
