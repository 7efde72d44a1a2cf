//! `asyncio::sync` against its peers, in the same run, each contender given the same
//! shape: the same item type, capacity, number of producer/consumer tasks, runtime.
//!
//! 1. `queue_1m_bounded64/{flavor}/{P}x{C}`: 1,000,000 `u64` through a queue bounded
//!    to 64, with P producer tasks and C consumer tasks (1×1 and 4×4) — `Queue` vs
//!    `async-channel`, `flume`, `kanal` (async API) and, for 1×1, `tokio::sync::mpsc`.
//!    Producers split the items; consumers take until the queue is closed (shut down
//!    for ours, all senders dropped for the channels) and the benchmark checks that
//!    every item arrived.
//! 2. `lock_100x10k/{flavor}`: 100 tasks each lock, bump a counter, yield to the loop
//!    while holding the lock, and unlock, 10,000 times — `Lock` vs `tokio::sync::Mutex`
//!    and `async_lock::Mutex`. `lock_100x10k_short/multi_thread`: the same with no
//!    `.await` while holding (contention comes from the two workers).
//! 3. `semaphore10_1000x1000/{flavor}`: `Semaphore(10)`, 1,000 tasks each acquire,
//!    yield while holding, and release, 1,000 times — vs tokio's and async-lock's.
//!
//! `current_thread` is tokio's single-threaded runtime, `multi_thread` has 2 workers.
//!
//! ```text
//! cargo bench --bench sync -- --warm-up-time 1 --measurement-time 3
//! ```

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tokio::task::yield_now;

const ITEMS: u64 = 1_000_000;
const CAP: usize = 64;

fn runtime(multi: bool) -> tokio::runtime::Runtime {
    let mut b = if multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    b.enable_all().build().unwrap()
}

const FLAVORS: [(&str, bool); 2] = [("current_thread", false), ("multi_thread", true)];

/// One contender's pipeline: `p` producer tasks split `0..ITEMS` and send with
/// `$send`; `c` consumer tasks take with `$recv` (an `Option`) until it says `None`;
/// `$close` runs once the producers are done. Checks that every item arrived exactly
/// once (count and sum). A macro, not a generic function, so each contender's loops are
/// the ones a user would write, with the handle owned by the task.
macro_rules! pipeline {
    ($p:expr, $c:expr, ($tx:ident, $rx:ident) = $make:expr,
     send: |$s:ident, $i:ident| $send:expr, recv: |$r:ident| $recv:expr,
     close: |$cl:ident| $close:expr) => {{
        let (p, c): (u64, u64) = ($p, $c);
        let ($tx, $rx) = $make;
        let per = ITEMS / p;
        let producers: Vec<_> = (0..p)
            .map(|k| {
                let $s = $tx.clone();
                tokio::spawn(async move {
                    for $i in k * per..(k + 1) * per {
                        $send;
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..c)
            .map(|_| {
                let $r = $rx.clone();
                tokio::spawn(async move {
                    let (mut n, mut sum) = (0u64, 0u64);
                    while let Some(x) = $recv {
                        n += 1;
                        sum = sum.wrapping_add(black_box(x));
                    }
                    (n, sum)
                })
            })
            .collect();
        drop($rx);
        for t in producers {
            t.await.unwrap();
        }
        let $cl = $tx;
        $close;
        let (mut n, mut sum) = (0, 0u64);
        for t in consumers {
            let (a, b) = t.await.unwrap();
            n += a;
            sum = sum.wrapping_add(b);
        }
        assert_eq!(n, ITEMS);
        assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
    }};
}

async fn asyncio_queue(p: u64, c: u64) {
    pipeline!(p, c, (tx, rx) = { let q = asyncio::sync::Queue::new(CAP); (q.clone(), q) },
        send: |q, i| q.put(i).await.unwrap(),
        recv: |q| q.get().await.ok(),
        close: |q| q.shutdown(false))
}

async fn async_channel(p: u64, c: u64) {
    pipeline!(p, c, (tx, rx) = async_channel::bounded(CAP),
        send: |tx, i| tx.send(i).await.unwrap(),
        recv: |rx| rx.recv().await.ok(),
        close: |tx| drop(tx))
}

async fn flume(p: u64, c: u64) {
    pipeline!(p, c, (tx, rx) = flume::bounded(CAP),
        send: |tx, i| tx.send_async(i).await.unwrap(),
        recv: |rx| rx.recv_async().await.ok(),
        close: |tx| drop(tx))
}

async fn kanal(p: u64, c: u64) {
    pipeline!(p, c, (tx, rx) = kanal::bounded_async(CAP),
        send: |tx, i| tx.send(i).await.unwrap(),
        recv: |rx| rx.recv().await.ok(),
        close: |tx| drop(tx))
}

/// tokio's receiver is single-consumer: 1×1 only (the same loops by hand).
async fn tokio_mpsc(p: u64) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(CAP);
    let per = ITEMS / p;
    let producers: Vec<_> = (0..p)
        .map(|k| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in k * per..(k + 1) * per {
                    tx.send(i).await.unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = tokio::spawn(async move {
        let (mut n, mut sum) = (0u64, 0u64);
        while let Some(x) = rx.recv().await {
            n += 1;
            sum = sum.wrapping_add(black_box(x));
        }
        (n, sum)
    });
    for t in producers {
        t.await.unwrap();
    }
    let (n, sum) = consumer.await.unwrap();
    assert_eq!(n, ITEMS);
    assert_eq!(sum, ITEMS * (ITEMS - 1) / 2);
}

fn queue(c: &mut Criterion) {
    for (flavor, multi) in FLAVORS {
        let rt = runtime(multi);
        for (p, k) in [(1u64, 1u64), (4, 4)] {
            let mut g = c.benchmark_group(format!("queue_1m_bounded64/{flavor}/{p}x{k}"));
            g.sample_size(10);
            g.bench_function("asyncio Queue", |b| {
                b.iter(|| rt.block_on(asyncio_queue(p, k)))
            });
            g.bench_function("kanal", |b| b.iter(|| rt.block_on(kanal(p, k))));
            g.bench_function("flume", |b| b.iter(|| rt.block_on(flume(p, k))));
            g.bench_function("async-channel", |b| {
                b.iter(|| rt.block_on(async_channel(p, k)))
            });
            if k == 1 {
                g.bench_function("tokio mpsc", |b| b.iter(|| rt.block_on(tokio_mpsc(p))));
            }
            g.finish();
        }
    }
}

const LOCK_TASKS: usize = 100;
const LOCK_ROUNDS: usize = 10_000;

/// Runs `tasks` tasks, each doing `rounds` times `op(shared)`, and returns the shared
/// value for checking.
async fn hammer<S, F, Fut>(shared: Arc<S>, tasks: usize, rounds: usize, op: F)
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let ts: Vec<_> = (0..tasks)
        .map(|_| {
            let s = Arc::clone(&shared);
            tokio::spawn(async move {
                for _ in 0..rounds {
                    op(Arc::clone(&s)).await;
                }
            })
        })
        .collect();
    for t in ts {
        t.await.unwrap();
    }
}

fn lock(c: &mut Criterion) {
    let total = (LOCK_TASKS * LOCK_ROUNDS) as u64;
    for (flavor, multi) in FLAVORS {
        let rt = runtime(multi);
        for held in [true, false] {
            if !held && !multi {
                continue; // no contention at all on one thread without an await inside
            }
            let name = if held {
                "lock_100x10k"
            } else {
                "lock_100x10k_short"
            };
            let mut g = c.benchmark_group(format!("{name}/{flavor}"));
            g.sample_size(10);
            g.bench_function("asyncio Lock", |b| {
                b.iter(|| {
                    rt.block_on(async {
                        let l = Arc::new(asyncio::sync::Lock::new(0u64));
                        hammer(
                            Arc::clone(&l),
                            LOCK_TASKS,
                            LOCK_ROUNDS,
                            move |l| async move {
                                let mut g = l.lock().await;
                                *g += 1;
                                if held {
                                    yield_now().await;
                                }
                            },
                        )
                        .await;
                        assert_eq!(*l.lock().await, total);
                    })
                })
            });
            g.bench_function("tokio Mutex", |b| {
                b.iter(|| {
                    rt.block_on(async {
                        let l = Arc::new(tokio::sync::Mutex::new(0u64));
                        hammer(
                            Arc::clone(&l),
                            LOCK_TASKS,
                            LOCK_ROUNDS,
                            move |l| async move {
                                let mut g = l.lock().await;
                                *g += 1;
                                if held {
                                    yield_now().await;
                                }
                            },
                        )
                        .await;
                        assert_eq!(*l.lock().await, total);
                    })
                })
            });
            g.bench_function("async-lock Mutex", |b| {
                b.iter(|| {
                    rt.block_on(async {
                        let l = Arc::new(async_lock::Mutex::new(0u64));
                        hammer(
                            Arc::clone(&l),
                            LOCK_TASKS,
                            LOCK_ROUNDS,
                            move |l| async move {
                                let mut g = l.lock().await;
                                *g += 1;
                                if held {
                                    yield_now().await;
                                }
                            },
                        )
                        .await;
                        assert_eq!(*l.lock().await, total);
                    })
                })
            });
            g.finish();
        }
    }
}

const SEM_TASKS: usize = 1_000;
const SEM_ROUNDS: usize = 1_000;

fn semaphore(c: &mut Criterion) {
    for (flavor, multi) in FLAVORS {
        let rt = runtime(multi);
        let mut g = c.benchmark_group(format!("semaphore10_1000x1000/{flavor}"));
        g.sample_size(10);
        g.bench_function("asyncio Semaphore", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let s = Arc::new(asyncio::sync::Semaphore::new(10));
                    hammer(Arc::clone(&s), SEM_TASKS, SEM_ROUNDS, |s| async move {
                        let _p = s.acquire().await;
                        yield_now().await;
                    })
                    .await;
                    assert_eq!(s.available_permits(), 10);
                })
            })
        });
        g.bench_function("tokio Semaphore", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let s = Arc::new(tokio::sync::Semaphore::new(10));
                    hammer(Arc::clone(&s), SEM_TASKS, SEM_ROUNDS, |s| async move {
                        let _p = s.acquire().await.unwrap();
                        yield_now().await;
                    })
                    .await;
                    assert_eq!(s.available_permits(), 10);
                })
            })
        });
        g.bench_function("async-lock Semaphore", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let s = Arc::new(async_lock::Semaphore::new(10));
                    hammer(Arc::clone(&s), SEM_TASKS, SEM_ROUNDS, |s| async move {
                        let _p = s.acquire().await;
                        yield_now().await;
                    })
                    .await;
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, queue, lock, semaphore);
criterion_main!(benches);
