//! Generators on the tokio-backed runtime, with `gather_all`, spawned tasks and
//! tokio-stream adapters. Runtime-free tests live in `core/tests/generator.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncio::prelude::*;
use futures::StreamExt;

#[test]
fn yield_from_children_of_gather_all() {
    let got = asyncio::run(async {
        let s = generator(async |co| {
            let co = &co;
            let out = asyncio::gather_all((0..4u32).map(|c| async move {
                for i in 0..3u32 {
                    co.yield_(c * 10 + i).await;
                }
                c
            }))
            .await;
            assert_eq!(out, [0, 1, 2, 3]);
        });
        s.collect::<Vec<_>>().await
    });
    assert_eq!(got.len(), 12, "{got:?}");
    for c in 0..4u32 {
        let mine: Vec<u32> = got.iter().copied().filter(|v| v / 10 == c).collect();
        assert_eq!(mine, [c * 10, c * 10 + 1, c * 10 + 2]);
    }
}

#[tokio::test(start_paused = true)]
async fn yields_from_futures_unordered_children_with_timers() {
    // Children finish their sleeps at different times and yield while others wait:
    // every value must arrive, none lost, with the paused clock driving the sleeps.
    let s = generator(async |co| {
        let co = &co;
        let mut kids: futures::stream::FuturesUnordered<_> = (0..5u64)
            .map(|c| async move {
                for i in 0..3u64 {
                    tokio::time::sleep(Duration::from_millis(10 * (5 - c))).await;
                    co.yield_(c * 100 + i).await;
                }
            })
            .collect();
        while kids.next().await.is_some() {}
    });
    let mut got: Vec<u64> = s.collect().await;
    assert_eq!(got.len(), 15);
    got.sort();
    let want: Vec<u64> = (0..5)
        .flat_map(|c| (0..3).map(move |i| c * 100 + i))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_moves_between_threads() {
    // `Send` generator driven by a spawned task on a multi-thread runtime.
    let s = generator(async |co| {
        for i in 0..100u64 {
            if i % 10 == 0 {
                tokio::task::yield_now().await;
            }
            co.yield_(i).await;
        }
    });
    let sum = tokio::spawn(async move { s.fold(0, |a, b| async move { a + b }).await })
        .await
        .unwrap();
    assert_eq!(sum, 4950);
}

#[tokio::test]
async fn tokio_stream_adapters() {
    let s = generator(async |co| {
        for i in 0..5u32 {
            co.yield_(i).await;
        }
    });
    use tokio_stream::StreamExt as Tse;
    let evens = Tse::filter(s, |x| x % 2 == 0);
    let v: Vec<u32> = Tse::collect(Tse::map(evens, |x| x + 1)).await;
    assert_eq!(v, [1, 3, 5]);
}

#[tokio::test(start_paused = true)]
async fn buffer_unordered_over_a_generator_of_futures() {
    // A generator of futures, run three at a time.
    let running = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), max.clone());
    let jobs = generator(async move |co| {
        for i in 0..9u64 {
            let (r, m) = (r.clone(), m.clone());
            co.yield_(async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                asyncio::sleep(Duration::from_millis(10)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                i
            })
            .await;
        }
    });
    let mut out: Vec<u64> = jobs.buffer_unordered(3).collect().await;
    out.sort();
    assert_eq!(out, (0..9).collect::<Vec<_>>());
    assert_eq!(max.load(Ordering::SeqCst), 3);
}

#[test]
fn try_generator_with_question_mark_under_asyncio_run() {
    fn parse_all(inputs: Vec<&'static str>) -> impl Stream<Item = Result<i64, String>> {
        try_generator(async move |co| {
            for s in inputs {
                let n: i64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
                co.yield_(n).await;
            }
            Ok(())
        })
    }
    let items = asyncio::run(parse_all(vec!["1", "x", "3"]).collect::<Vec<_>>());
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], Ok(1));
    assert!(items[1].as_ref().unwrap_err().starts_with("x:"));
}

#[tokio::test]
async fn dropping_mid_iteration_under_tokio_runs_destructors() {
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let s = generator(async move |co| {
        let _g = Guard(d);
        for i in 0.. {
            tokio::task::yield_now().await;
            co.yield_(i).await;
        }
    });
    let first: Vec<u32> = s.take(3).collect().await;
    assert_eq!(first, [0, 1, 2]);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
