//! Spawn and await 100,000 trivial tasks: `asyncio::spawn` + `Task` against
//! `tokio::spawn` + `JoinHandle`, on the same event loop (the one `asyncio::run`
//! starts, which is a tokio runtime), both flavors.
//!
//! `asyncio::spawn+debug` is the same with debug mode on (every poll timed).
//!
//! Run: `cargo bench --bench tasks`

use asyncio::runtime::Builder;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 100_000;

async fn asyncio_round() -> usize {
    let tasks: Vec<_> = (0..N).map(|i| asyncio::spawn(async move { i })).collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await;
    }
    sum
}

async fn tokio_round() -> usize {
    let tasks: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap();
    }
    sum
}

/// Debug mode is compiled in but off (explicitly, whatever `ASYNCIO_DEBUG` says).
/// A flavor's name and how to build its loop.
type Flavor = (&'static str, fn() -> Builder);

fn builders() -> [Flavor; 2] {
    [
        ("current_thread", || Builder::new().debug(false)),
        ("multi_thread", || {
            Builder::new().multi_thread().worker_threads(2).debug(false)
        }),
    ]
}

fn spawn_await(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_await_100k");
    g.sample_size(20);
    for (flavor, builder) in builders() {
        // One event loop per sample; only the rounds inside it are timed.
        g.bench_with_input(BenchmarkId::new("asyncio::spawn", flavor), &(), |b, _| {
            b.iter_custom(|iters| {
                builder().run(async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        black_box(asyncio_round().await);
                        total += start.elapsed();
                    }
                    total
                })
            })
        });
        // The same with debug mode on: every poll of every task is timed.
        g.bench_with_input(
            BenchmarkId::new("asyncio::spawn+debug", flavor),
            &(),
            |b, _| {
                b.iter_custom(|iters| {
                    builder().debug(true).run(async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let start = Instant::now();
                            black_box(asyncio_round().await);
                            total += start.elapsed();
                        }
                        total
                    })
                })
            },
        );
        g.bench_with_input(BenchmarkId::new("tokio::spawn", flavor), &(), |b, _| {
            b.iter_custom(|iters| {
                builder().run(async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        black_box(tokio_round().await);
                        total += start.elapsed();
                    }
                    total
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, spawn_await);
criterion_main!(benches);
