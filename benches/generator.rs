//! Generators against their peers, all in the same run.
//!
//! 1. `yield_1m`: yield 1,000,000 `u64` and sum them.
//! 2. `one_item`: create a one-item stream and drain it.
//! 3. `children`: 100,000 items yielded by 10 or by 1,000 children under `gather_all`.
//! 4. `async_for`: `async_for!` over a generator vs a hand-written `while let` loop.
//!
//! Two harnesses for 1 and 2: `noop/` drains each stream with the same minimal poll loop
//! on a no-op waker (no executor in the measurement; it rewards state kept in
//! registers), and `block_on/` with `futures::executor::block_on` and
//! `StreamExt::next`, as users do. Run: `cargo bench --bench generator`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll};

use asyncio::async_for;
use asyncio::generator::generator;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::Stream;
use futures::StreamExt;
use futures::task::noop_waker_ref;

const N: u64 = 1_000_000;

/// Drains `s` with a no-op waker and returns the sum of its items.
#[inline(never)]
fn drain_sum<S: Stream<Item = u64>>(s: S) -> u64 {
    let mut s = pin!(s);
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut sum = 0u64;
    loop {
        match s.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(v)) => sum = sum.wrapping_add(v),
            Poll::Ready(None) => return sum,
            Poll::Pending => {}
        }
    }
}

/// Drains `s` under `futures::executor::block_on` with `StreamExt::next`.
#[inline(never)]
fn block_on_sum<S: Stream<Item = u64>>(s: S) -> u64 {
    futures::executor::block_on(async {
        let mut s = pin!(s);
        let mut sum = 0u64;
        while let Some(v) = s.next().await {
            sum = sum.wrapping_add(v);
        }
        sum
    })
}

/// Polls `f` to completion with a no-op waker.
#[inline(never)]
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(noop_waker_ref());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn gen_asyncio(n: u64) -> impl Stream<Item = u64> {
    generator(async move |co| {
        for i in 0..n {
            co.yield_(black_box(i)).await;
        }
    })
}

/// The same generator as `gen_asyncio`, for the `async_for` group. A separate function
/// (so a separate body type) on purpose: LLVM inlines a function with a single call site
/// whatever its size, and every peer's body in `yield_1m` has one call site
/// (`drain_sum`); sharing `gen_asyncio` with the two `async_for` loops gave ours three,
/// and left its body out of line.
fn gen_asyncio_for_loops(n: u64) -> impl Stream<Item = u64> {
    generator(async move |co| {
        for i in 0..n {
            co.yield_(black_box(i)).await;
        }
    })
}

fn gen_async_stream(n: u64) -> impl Stream<Item = u64> {
    async_stream::stream! {
        for i in 0..n {
            yield black_box(i);
        }
    }
}

fn gen_async_fn_stream(n: u64) -> impl Stream<Item = u64> {
    async_fn_stream::fn_stream(move |e| async move {
        for i in 0..n {
            e.emit(black_box(i)).await;
        }
    })
}

fn gen_asynk_strim(n: u64) -> impl Stream<Item = u64> {
    asynk_strim::stream_fn(move |mut y| async move {
        for i in 0..n {
            y.yield_item(black_box(i)).await;
        }
    })
}

fn gen_unfold(n: u64) -> impl Stream<Item = u64> {
    futures::stream::unfold(0u64, move |i| async move {
        if i < n {
            Some((black_box(i), i + 1))
        } else {
            None
        }
    })
}

fn gen_iter(n: u64) -> impl Stream<Item = u64> {
    futures::stream::iter((0..n).map(black_box))
}

/// The contenders of `yield_1m` and `one_item`, in the order they appear in the tables.
/// A macro, not a table of closures, so each drain is monomorphised for its stream.
macro_rules! contenders {
    ($g:ident, $n:expr, $drain:ident, $check:expr) => {{
        let check = $check;
        $g.bench_function("asyncio::generator", |b| {
            b.iter(|| check($drain(gen_asyncio(black_box($n)))))
        });
        $g.bench_function("async-stream", |b| {
            b.iter(|| check($drain(gen_async_stream(black_box($n)))))
        });
        $g.bench_function("async-fn-stream", |b| {
            b.iter(|| check($drain(gen_async_fn_stream(black_box($n)))))
        });
        $g.bench_function("asynk-strim", |b| {
            b.iter(|| check($drain(gen_asynk_strim(black_box($n)))))
        });
        $g.bench_function("stream::unfold", |b| {
            b.iter(|| check($drain(gen_unfold(black_box($n)))))
        });
        $g.bench_function("stream::iter (floor)", |b| {
            b.iter(|| check($drain(gen_iter(black_box($n)))))
        });
    }};
}

fn yield_1m(c: &mut Criterion) {
    let expected = N * (N - 1) / 2;
    let mut g = c.benchmark_group("yield_1m/noop");
    g.throughput(Throughput::Elements(N));
    contenders!(g, N, drain_sum, |sum| assert_eq!(sum, expected));
    g.finish();
    let mut g = c.benchmark_group("yield_1m/block_on");
    g.throughput(Throughput::Elements(N));
    contenders!(g, N, block_on_sum, |sum| assert_eq!(sum, expected));
    g.finish();
}

fn one_item(c: &mut Criterion) {
    let mut g = c.benchmark_group("one_item/noop");
    contenders!(g, 1, drain_sum, |sum| assert_eq!(sum, 0));
    g.finish();
    let mut g = c.benchmark_group("one_item/block_on");
    contenders!(g, 1, block_on_sum, |sum| assert_eq!(sum, 0));
    g.finish();
}

/// `children` children under `gather_all`, each yielding `per_child` items.
fn gen_children(children: u64, per_child: u64) -> impl Stream<Item = u64> {
    generator(async move |co| {
        asyncio::gather_all((0..children).map(|c| async move {
            for i in 0..per_child {
                co.yield_(black_box(c ^ i)).await;
            }
        }))
        .await;
    })
}

fn children(c: &mut Criterion) {
    const ITEMS: u64 = 100_000;
    let mut g = c.benchmark_group("children");
    g.throughput(Throughput::Elements(ITEMS));
    for n in [10u64, 1000] {
        g.bench_function(format!("gather_all/{n}"), |b| {
            b.iter(|| drain_sum(gen_children(black_box(n), ITEMS / n)))
        });
    }
    g.finish();
}

fn async_for_loop(c: &mut Criterion) {
    let expected = N * (N - 1) / 2;
    let mut g = c.benchmark_group("async_for");
    g.throughput(Throughput::Elements(N));
    g.bench_function("async_for!", |b| {
        b.iter(|| {
            let sum = run(async {
                let mut sum = 0u64;
                async_for!(x in gen_asyncio_for_loops(black_box(N)) {
                    sum = sum.wrapping_add(x);
                });
                sum
            });
            assert_eq!(sum, expected);
        })
    });
    g.bench_function("while let + next()", |b| {
        b.iter(|| {
            let sum = run(async {
                let mut sum = 0u64;
                let mut s = pin!(gen_asyncio_for_loops(black_box(N)));
                while let Some(x) = s.next().await {
                    sum = sum.wrapping_add(x);
                }
                sum
            });
            assert_eq!(sum, expected);
        })
    });
    g.finish();
}

criterion_group!(benches, yield_1m, one_item, children, async_for_loop);
criterion_main!(benches);
