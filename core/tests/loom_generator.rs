//! Model-checks the generator's cross-thread paths under loom (the crate is built with
//! loom's atomics and spin lock through `crate::loom` when `--cfg loom` is set):
//!
//! 1. a yield polled on another thread while the generator's thread is inside the
//!    body's poll (a scoped thread) panics there, while the body yields in place on the
//!    generator's thread: each value is delivered or dropped exactly once;
//! 2. a thread that keeps the yielder across polls (what a sound "async scoped thread"
//!    API could allow) and yields while the generator's thread polls the body and takes
//!    values: the yield panics in every interleaving, and the values are delivered once;
//! 3. a generator with a deposited value (a child polled with its own `Context`) moves
//!    to another thread and is dropped there: the deposit is withdrawn and dropped once.
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --release \
//!     --target-dir target/loom --test loom_generator
//! ```
#![cfg(loom)]

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::{Context, Poll};

use asyncio_core::generator::{Co, generator};
use futures::task::noop_waker;
use futures_core::Stream;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};

/// Counts its drops, so a value dropped twice (or never) shows up.
struct Tracked(Arc<AtomicUsize>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// loom has no `thread::scope`: runs `f` on a loom thread while `meanwhile` runs here,
/// then joins it, as `std::thread::scope` would, so borrowing `co` there is sound.
fn scoped<'a>(f: impl FnOnce() + Send + 'a, meanwhile: impl FnOnce()) {
    let f: Box<dyn FnOnce() + Send + 'a> = Box::new(f);
    // SAFETY: the thread is joined below, before anything `f` borrows can go away (no
    // panic can skip the join: `f` catches its own, `meanwhile` only asserts what the
    // test already requires).
    let f: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(f) };
    let t = loom::thread::spawn(f);
    meanwhile();
    t.join().unwrap();
}

fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    pin!(f).poll(&mut cx)
}

#[test]
fn a_yield_from_a_scoped_thread_panics_while_the_body_yields_in_place() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let s = generator(async move |co: Co<'_, Tracked>| {
            let mut theirs = Some(Tracked(d.clone()));
            // Our own yield, polled with the generator's `Context` (in place), while the
            // other thread yields.
            let mut mine = pin!(co.yield_(Tracked(d)));
            std::future::poll_fn(|cx| {
                scoped(
                    || {
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            poll_once(co.yield_(theirs.take().unwrap()))
                        }));
                        assert!(r.is_err(), "a yield from another thread must panic");
                    },
                    || assert!(mine.as_mut().poll(cx).is_pending()),
                );
                Poll::Ready(())
            })
            .await;
            mine.await;
        });
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut s = Box::pin(s);
        let mut delivered = 0;
        loop {
            match s.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(v)) => {
                    delivered += 1;
                    drop(v);
                }
                Poll::Ready(None) => break,
                Poll::Pending => {}
            }
        }
        drop(s);
        assert_eq!(delivered, 1);
        assert_eq!(drops.load(Ordering::Relaxed), 2, "each value dropped once");
    });
}

#[test]
fn a_thread_that_keeps_the_yielder_across_polls_panics_in_every_interleaving() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (d, d2) = (drops.clone(), drops.clone());
        let handle: Arc<loom::sync::Mutex<Option<loom::thread::JoinHandle<()>>>> =
            Default::default();
        let h = handle.clone();
        let s = generator(async move |co: Co<'_, Tracked>| {
            let co: Co<'static, Tracked> = {
                // SAFETY: the thread below is joined before the generator is dropped
                // (after the stream ends, in the model), so `co` outlives its use there.
                unsafe { std::mem::transmute(co) }
            };
            let t = loom::thread::spawn(move || {
                let r = catch_unwind(AssertUnwindSafe(|| poll_once(co.yield_(Tracked(d2)))));
                assert!(r.is_err(), "a yield from another thread must panic");
            });
            *h.lock().unwrap() = Some(t);
            co.yield_(Tracked(d.clone())).await;
            co.yield_(Tracked(d)).await;
        });
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut s = Box::pin(s);
        let mut delivered = 0;
        while let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
            delivered += 1;
            drop(v);
        }
        handle.lock().unwrap().take().unwrap().join().unwrap();
        drop(s);
        assert_eq!(delivered, 2);
        assert_eq!(drops.load(Ordering::Relaxed), 3, "each value dropped once");
    });
}

#[test]
fn a_deposit_is_withdrawn_when_the_generator_is_dropped_on_another_thread() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let s = generator(async move |co: Co<'_, Tracked>| {
            // Polled with its own `Context`: the value is deposited, not put in place.
            let mut y = pin!(co.yield_(Tracked(d)));
            std::future::poll_fn(|_| {
                assert!(poll_once(y.as_mut()).is_pending());
                Poll::<()>::Pending
            })
            .await;
        });
        let mut s = Box::pin(s);
        // Polled here: the deposit is made, and taken by this very poll.
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let first = s.as_mut().poll_next(&mut cx);
        assert!(matches!(first, Poll::Ready(Some(_))));
        drop(first);
        // The yield still holds its (taken) entry; the generator moves to another
        // thread and is dropped there.
        let t = loom::thread::spawn(move || drop(s));
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
}
