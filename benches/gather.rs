//! gather benchmarks against their peers, in the same run (see BENCHMARKS.md).
//!
//! Every join is driven by the same minimal executor (poll with a no-op waker until
//! ready), so the figures are the join's own cost, not an executor's.
//!
//! 1. `five_ready`: 5 ready futures — `gather!` vs `futures::join!`, `tokio::join!`,
//!    futures-concurrency's tuple `.join()`.
//! 2. `ready/n`: `gather_all` of n ready futures vs `join_all`, `FuturesOrdered`,
//!    `FuturesUnordered`, futures-concurrency `Vec::join`.
//! 3. `chain/n`: the same n children completing one at a time in shuffled order (each
//!    completion wakes the next) vs the same peers.
//! 4. `as_completed/n`: `as_completed` vs `FuturesUnordered` on workload 3.

use std::cell::{Cell, RefCell};
use std::future::{Future, ready};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asyncio::gather::{as_completed, gather_all};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use futures::stream::{FuturesOrdered, FuturesUnordered};
use futures_concurrency::prelude::*;

fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn five_ready(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather/five_ready");
    g.bench_function("asyncio::gather!", |b| {
        b.iter(|| {
            run(asyncio::gather!(
                ready(black_box(1u64)),
                ready(black_box(2u64)),
                ready(black_box(3u64)),
                ready(black_box(4u64)),
                ready(black_box(5u64)),
            ))
        })
    });
    g.bench_function("futures::join!", |b| {
        b.iter(|| {
            run(async {
                futures::join!(
                    ready(black_box(1u64)),
                    ready(black_box(2u64)),
                    ready(black_box(3u64)),
                    ready(black_box(4u64)),
                    ready(black_box(5u64)),
                )
            })
        })
    });
    g.bench_function("tokio::join!", |b| {
        b.iter(|| {
            run(async {
                tokio::join!(
                    ready(black_box(1u64)),
                    ready(black_box(2u64)),
                    ready(black_box(3u64)),
                    ready(black_box(4u64)),
                    ready(black_box(5u64)),
                )
            })
        })
    });
    g.bench_function("futures-concurrency tuple join", |b| {
        b.iter(|| {
            run((
                ready(black_box(1u64)),
                ready(black_box(2u64)),
                ready(black_box(3u64)),
                ready(black_box(4u64)),
                ready(black_box(5u64)),
            )
                .join())
        })
    });
    g.finish();
}

const SIZES: [usize; 4] = [10, 31, 1000, 10_000];

fn ready_n(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather/ready");
    for n in SIZES {
        let inputs = || (0..n as u64).map(|i| ready(black_box(i)));
        g.bench_with_input(BenchmarkId::new("asyncio::gather_all", n), &n, |b, _| {
            b.iter(|| run(gather_all(inputs())))
        });
        g.bench_with_input(BenchmarkId::new("join_all", n), &n, |b, _| {
            b.iter(|| run(futures::future::join_all(inputs())))
        });
        g.bench_with_input(BenchmarkId::new("FuturesOrdered", n), &n, |b, _| {
            b.iter(|| run(inputs().collect::<FuturesOrdered<_>>().collect::<Vec<_>>()))
        });
        g.bench_with_input(BenchmarkId::new("FuturesUnordered", n), &n, |b, _| {
            b.iter(|| {
                run(inputs()
                    .collect::<FuturesUnordered<_>>()
                    .collect::<Vec<_>>())
            })
        });
        g.bench_with_input(
            BenchmarkId::new("futures-concurrency Vec::join", n),
            &n,
            |b, _| b.iter(|| run(inputs().collect::<Vec<_>>().join())),
        );
    }
    g.finish();
}

// ----- the chain workload: one completion per wake, shuffled order -----

struct Chain {
    turn: Cell<usize>,
    wakers: RefCell<Vec<Option<Waker>>>,
}

struct Link {
    pos: usize,
    id: usize,
    chain: Rc<Chain>,
}

impl Future for Link {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let c = &self.chain;
        if c.turn.get() == self.pos {
            c.turn.set(self.pos + 1);
            let next = c
                .wakers
                .borrow_mut()
                .get_mut(self.pos + 1)
                .and_then(Option::take);
            if let Some(w) = next {
                w.wake();
            }
            Poll::Ready(self.id)
        } else {
            c.wakers.borrow_mut()[self.pos] = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

fn shuffled(n: usize) -> Vec<usize> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    v
}

fn links(order: &[usize]) -> Vec<Link> {
    let c = Rc::new(Chain {
        turn: Cell::new(0),
        wakers: RefCell::new(vec![None; order.len()]),
    });
    order
        .iter()
        .enumerate()
        .map(|(id, &pos)| Link {
            pos,
            id,
            chain: c.clone(),
        })
        .collect()
}

fn chain_n(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather/chain");
    for n in SIZES {
        let order = shuffled(n);
        let setup = || links(&order);
        g.bench_with_input(BenchmarkId::new("asyncio::gather_all", n), &n, |b, _| {
            b.iter_batched(setup, |l| run(gather_all(l)), BatchSize::SmallInput)
        });
        g.bench_with_input(BenchmarkId::new("join_all", n), &n, |b, _| {
            b.iter_batched(
                setup,
                |l| run(futures::future::join_all(l)),
                BatchSize::SmallInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("FuturesOrdered", n), &n, |b, _| {
            b.iter_batched(
                setup,
                |l| {
                    run(l
                        .into_iter()
                        .collect::<FuturesOrdered<_>>()
                        .collect::<Vec<_>>())
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("FuturesUnordered", n), &n, |b, _| {
            b.iter_batched(
                setup,
                |l| {
                    run(l
                        .into_iter()
                        .collect::<FuturesUnordered<_>>()
                        .collect::<Vec<_>>())
                },
                BatchSize::SmallInput,
            )
        });
        // Quadratic (a full slot scan per wake): ~0.3 s per join at 10,000, skipped there.
        if n <= 1000 {
            g.bench_with_input(
                BenchmarkId::new("futures-concurrency Vec::join", n),
                &n,
                |b, _| b.iter_batched(setup, |l| run(l.join()), BatchSize::SmallInput),
            );
        }
    }
    g.finish();
}

fn as_completed_n(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather/as_completed");
    for n in SIZES {
        let order = shuffled(n);
        let setup = || links(&order);
        g.bench_with_input(BenchmarkId::new("asyncio::as_completed", n), &n, |b, _| {
            b.iter_batched(
                setup,
                |l| run(as_completed(l).fold(0usize, |a, v| async move { a + v })),
                BatchSize::SmallInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("FuturesUnordered", n), &n, |b, _| {
            b.iter_batched(
                setup,
                |l| {
                    run(l
                        .into_iter()
                        .collect::<FuturesUnordered<_>>()
                        .fold(0usize, |a, v| async move { a + v }))
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = five_ready, ready_n, chain_n, as_completed_n
}
criterion_main!(benches);
