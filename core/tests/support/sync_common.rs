//! Shared by the `sync_*.rs` tests: the `three_ways!` macro that runs one async body
//! under tokio's current-thread loop, tokio's multi-thread loop (2 workers) and
//! `futures::executor::block_on`; a runtime-agnostic `spawn`; manual polling with
//! counting wakers; and items that count their drops. Included with `#[path]`; not a
//! test crate itself (it lives in a subdirectory).
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use futures::FutureExt;
use futures::future::BoxFuture;

/// Where a `three_ways!` body runs; [`Rt::spawn`] starts a concurrent task there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rt {
    /// `#[tokio::test]`: the current-thread loop.
    CurrentThread,
    /// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`.
    MultiThread,
    /// `futures::executor::block_on`; `spawn` starts an OS thread running `block_on`.
    BlockOn,
}

impl Rt {
    /// Runs `fut` concurrently: a tokio task, or (under `BlockOn`) a new thread that
    /// `block_on`s it. The returned future gives its output, re-raising its panic.
    pub fn spawn<F>(self, fut: F) -> BoxFuture<'static, F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Rt::CurrentThread | Rt::MultiThread => {
                let handle = tokio::spawn(fut);
                async move {
                    match handle.await {
                        Ok(v) => v,
                        Err(e) => resume_unwind(e.into_panic()),
                    }
                }
                .boxed()
            }
            Rt::BlockOn => {
                let (tx, rx) = futures::channel::oneshot::channel();
                std::thread::spawn(move || {
                    let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        futures::executor::block_on(fut)
                    }));
                    let _ = tx.send(out);
                });
                async move {
                    match rx.await.expect("the spawned thread went away") {
                        Ok(v) => v,
                        Err(p) => resume_unwind(p),
                    }
                }
                .boxed()
            }
        }
    }
}

/// Defines a module `$name` with three tests that run the same `async` body: one per
/// [`Rt`]. The body gets the `Rt` as `$rt`.
#[allow(unused_macros)]
macro_rules! three_ways {
    ($(#[$meta:meta])* fn $name:ident($rt:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_variables)]
            async fn body($rt: $crate::support::Rt) $body

            #[tokio::test]
            async fn current_thread() {
                body($crate::support::Rt::CurrentThread).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                body($crate::support::Rt::MultiThread).await
            }

            #[test]
            fn block_on() {
                futures::executor::block_on(body($crate::support::Rt::BlockOn))
            }
        }
    };
}

/// Returns `Pending` once (waking itself first), like `tokio::task::yield_now`, under
/// any executor.
pub async fn yield_now() {
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

/// Yields until `cond` holds (at most a few hundred thousand times, then panics).
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200_000 {
        if cond() {
            return;
        }
        yield_now().await;
        if cfg!(not(miri)) {
            std::thread::yield_now();
        }
    }
    panic!("timed out waiting until {what}");
}

/// Polls `f` once with a no-op waker.
pub fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls `f` once with `waker`.
pub fn poll_with<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Polls `f` once, asserting it is still pending.
#[track_caller]
pub fn pending<F: Future + Unpin>(f: &mut F) {
    assert!(poll(f).is_pending(), "expected the future to be pending");
}

/// Polls `f` once, asserting it is ready, and returns its output.
#[track_caller]
pub fn ready<F: Future + Unpin>(f: &mut F) -> F::Output {
    match poll(f) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected the future to be ready"),
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
pub struct WakeCount(AtomicUsize);

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A counting waker and its counter.
pub fn counting_waker() -> (Arc<WakeCount>, Waker) {
    let c = Arc::new(WakeCount::default());
    (c.clone(), Waker::from(c))
}

impl WakeCount {
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Counts drops of the [`Item`]s made from it.
#[derive(Clone, Default)]
pub struct Drops(Arc<AtomicUsize>);

impl Drops {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn item(&self, id: usize) -> Item {
        Item {
            id,
            drops: self.0.clone(),
        }
    }
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// A value that counts its drop; compares by `id`.
#[derive(Debug)]
pub struct Item {
    pub id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

/// Takes `item`'s id, dropping it.
pub fn id(item: Item) -> usize {
    item.id
}
