//! Spawn and await 100,000 trivial tasks: `asyncio::spawn` + `Task` against
//! `tokio::spawn` + `JoinHandle`, on the same tokio runtime, both flavors.
//!
//! Run: `cargo bench --bench tasks`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const N: usize = 100_000;

fn runtimes() -> Vec<(&'static str, tokio::runtime::Runtime)> {
    vec![
        (
            "current_thread",
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        ),
        (
            "multi_thread",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        ),
    ]
}

fn spawn_await(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_await_100k");
    g.sample_size(20);
    for (flavor, rt) in runtimes() {
        g.bench_with_input(BenchmarkId::new("asyncio::spawn", flavor), &(), |b, _| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..N).map(|i| asyncio::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await;
                    }
                    black_box(sum)
                })
            })
        });
        g.bench_with_input(BenchmarkId::new("tokio::spawn", flavor), &(), |b, _| {
            b.iter(|| {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await.unwrap();
                    }
                    black_box(sum)
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, spawn_await);
criterion_main!(benches);
