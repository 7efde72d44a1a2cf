//! TaskGroup and scope against their peers, in the same run.
//!
//! 1. `taskgroup_spawn_join_100k/{current_thread,multi_thread}`: spawn 100,000 trivial
//!    children and wait for all of them — `TaskGroup` vs tokio `JoinSet` vs a
//!    `tokio::spawn` loop awaiting every `JoinHandle`.
//! 2. `scope_10k_shuffled`: 10,000 children that each wait on a oneshot, completed in
//!    a shuffled order — `scope` vs `FuturesUnordered`, on `futures::executor`.
//!
//! ```text
//! cargo bench --bench group -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use asyncio::group::{TaskGroup, scope};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use futures::channel::oneshot;
use futures::stream::FuturesUnordered;

const SPAWN_N: usize = 100_000;
const SCOPE_N: usize = 10_000;

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

/// Puts glibc's allocator in the same state for every contender.
///
/// glibc raises its mmap and trim thresholds (to at most 32 MiB and 64 MiB) each time a
/// large mmapped block is freed, and until then returns freed memory at the top of the
/// heap to the kernel, to fault it back in on the next round. A contender's time then
/// depends on what ran before it in the process: the `JoinHandle` loop took 44 ms with
/// 1.1 million page faults run alone, 31 ms run after `JoinSet` (whose freed buffers had
/// raised the thresholds). Freeing one block just under 32 MiB first (allocated, never
/// touched) puts the thresholds at their ceiling for all, so the figures compare the
/// runtimes' work, not the allocator's history. Other allocators ignore this.
fn settle_allocator() {
    let block: Vec<u8> = Vec::with_capacity((32 << 20) - (64 << 10));
    drop(black_box(block));
}

fn spawn_join(c: &mut Criterion) {
    settle_allocator();
    for (flavor, multi) in [("current_thread", false), ("multi_thread", true)] {
        let rt = runtime(multi);
        let mut g = c.benchmark_group(format!("taskgroup_spawn_join_100k/{flavor}"));
        g.sample_size(10);
        g.bench_function("asyncio TaskGroup", |b| {
            b.iter(|| {
                rt.block_on(async {
                    TaskGroup::run(async |tg| {
                        for i in 0..SPAWN_N {
                            tg.spawn(async move { Ok::<_, ()>(black_box(i)) });
                        }
                        Ok(())
                    })
                    .await
                    .unwrap()
                })
            })
        });
        g.bench_function("tokio JoinSet", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut set = tokio::task::JoinSet::new();
                    for i in 0..SPAWN_N {
                        set.spawn(async move { black_box(i) });
                    }
                    while let Some(r) = set.join_next().await {
                        black_box(r.unwrap());
                    }
                })
            })
        });
        g.bench_function("tokio::spawn + JoinHandle loop", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let handles: Vec<_> = (0..SPAWN_N)
                        .map(|i| tokio::spawn(async move { black_box(i) }))
                        .collect();
                    for h in handles {
                        black_box(h.await.unwrap());
                    }
                })
            })
        });
        // Not a peer: the floor for "spawn, drop the handle, wait for a counter", to
        // show what TaskGroup's bookkeeping costs on top of tokio.
        g.bench_function("floor: tokio::spawn detached + counter", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let left = Arc::new(AtomicUsize::new(SPAWN_N));
                    let done = Arc::new(tokio::sync::Notify::new());
                    for i in 0..SPAWN_N {
                        let (left, done) = (left.clone(), done.clone());
                        drop(tokio::spawn(async move {
                            black_box(i);
                            if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                                done.notify_one();
                            }
                        }));
                    }
                    done.notified().await;
                })
            })
        });
        g.finish();
    }
}

/// A fixed permutation of `0..n` (xorshift Fisher–Yates).
fn shuffled(n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

type Channels = (
    Vec<Option<oneshot::Sender<usize>>>,
    Vec<oneshot::Receiver<usize>>,
);

fn channels() -> Channels {
    (0..SCOPE_N)
        .map(|_| {
            let (tx, rx) = oneshot::channel();
            (Some(tx), rx)
        })
        .unzip()
}

async fn yield_once() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
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

fn scope_shuffled(c: &mut Criterion) {
    let order = shuffled(SCOPE_N);
    let mut g = c.benchmark_group("scope_10k_shuffled");
    g.sample_size(20);
    g.bench_function("asyncio scope", |b| {
        b.iter_batched(
            channels,
            |(mut txs, rxs)| {
                futures::executor::block_on(scope(async |s| {
                    for rx in rxs {
                        s.spawn(async move { rx.await.map(black_box).map_err(drop) });
                    }
                    yield_once().await; // every child is now waiting
                    for &i in &order {
                        txs[i].take().unwrap().send(i).unwrap();
                    }
                    Ok(())
                }))
                .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("FuturesUnordered", |b| {
        b.iter_batched(
            channels,
            |(mut txs, rxs)| {
                futures::executor::block_on(async {
                    let mut set: FuturesUnordered<_> = rxs
                        .into_iter()
                        .map(|rx| async move { rx.await.map(black_box) })
                        .collect();
                    assert!(futures::poll!(set.next()).is_pending());
                    for &i in &order {
                        txs[i].take().unwrap().send(i).unwrap();
                    }
                    while let Some(r) = set.next().await {
                        black_box(r.unwrap());
                    }
                })
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, spawn_join, scope_shuffled);
criterion_main!(benches);
