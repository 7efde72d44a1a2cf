//! Spawn and await 100,000 trivial tasks: `asyncio::spawn` + `Task` against
//! `tokio::spawn` + `JoinHandle`, on the same event loop (the one `asyncio::run`
//! starts, which is a tokio runtime), both flavors.
//!
//! `asyncio::spawn+debug` is the same with debug mode on (every poll timed).
//!
//! Run: `cargo bench --bench tasks`

use asyncio::runtime::Builder;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::future::Future;
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

/// Runs `iters` rounds on one event loop started by `builder`, timing only the rounds.
fn time_rounds<F: Future<Output = usize>>(
    builder: Builder,
    iters: u64,
    round: fn() -> F,
) -> Duration {
    builder.run(async move {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            black_box(round().await);
            total += start.elapsed();
        }
        total
    })
}

fn spawn_await(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_await_100k");
    g.sample_size(20);
    for (flavor, builder) in builders() {
        g.bench_with_input(BenchmarkId::new("asyncio::spawn", flavor), &(), |b, _| {
            b.iter_custom(|iters| time_rounds(builder(), iters, asyncio_round))
        });
        // The same with debug mode on: every poll of every task is timed.
        let id = BenchmarkId::new("asyncio::spawn+debug", flavor);
        g.bench_with_input(id, &(), |b, _| {
            b.iter_custom(|iters| time_rounds(builder().debug(true), iters, asyncio_round))
        });
        g.bench_with_input(BenchmarkId::new("tokio::spawn", flavor), &(), |b, _| {
            b.iter_custom(|iters| time_rounds(builder(), iters, tokio_round))
        });
    }
    g.finish();
}

criterion_group!(benches, spawn_await);
criterion_main!(benches);
