//! Model-checks the generator's cross-thread hand-off (`core/src/generator/imp.rs`) under
//! loom: a yielder polled from another thread (a `Co` moved out of the body) publishes
//! its value while the generator polls its body, then drops its `Yield` — the retract
//! (`compare_exchange`) races with the generator's claim (`swap`). In every interleaving
//! the value must be delivered or dropped exactly once, and never read after free.
//!
//! The module is compiled here on its own (`#[path]`) with loom's atomics swapped in
//! through the `sync` module below.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_generator --release
//! ```
#![cfg(loom)]
#![allow(dead_code, unreachable_pub, missing_docs)]

mod sync {
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }
}

#[path = "../src/generator/imp.rs"]
mod imp;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use futures::task::noop_waker;
use futures_core::Stream;
use imp::{Co, generator};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Counts its drops, so a value dropped twice (or never) shows up.
struct Tracked(Arc<AtomicUsize>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn handoff_from_another_thread_races_with_claim_and_retract() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let body_polling = Arc::new(AtomicBool::new(false));
        let published = Arc::new(AtomicBool::new(false));
        let co_slot: Arc<loom::sync::Mutex<Option<Co<Tracked>>>> = Default::default();

        let (bp, pb, slot) = (body_polling.clone(), published.clone(), co_slot.clone());
        let s = generator(move |co: Co<Tracked>| async move {
            *slot.lock().unwrap() = Some(co);
            // Each poll: tell the other thread we are inside the body, and stay inside
            // until it has published its value (so its yield sees the generator polling).
            std::future::poll_fn(move |_cx: &mut Context<'_>| {
                bp.store(true, Ordering::SeqCst);
                while !pb.load(Ordering::SeqCst) {
                    loom::thread::yield_now();
                }
                Poll::<()>::Pending
            })
            .await;
        });

        let d = drops.clone();
        let (bp, pb, slot) = (body_polling.clone(), published.clone(), co_slot.clone());
        let rogue = loom::thread::spawn(move || {
            while !bp.load(Ordering::SeqCst) {
                loom::thread::yield_now();
            }
            let co = slot.lock().unwrap().take().unwrap();
            let waker = noop_waker();
            let mut cx = Context::from_waker(&waker);
            {
                let mut y = pin!(co.yield_(Tracked(d)));
                // Polled with our own `Context`: the hand-off path, publishing the node.
                assert!(y.as_mut().poll(&mut cx).is_pending());
                pb.store(true, Ordering::SeqCst);
                // Dropped at once: retract, unless the generator already claimed it.
            }
            drop(co);
        });

        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        // Boxed, not `pin!`ed, so that `drop(s)` below really drops the generator.
        let mut s = Box::pin(s);
        let mut delivered = 0;
        // First poll: the body runs, waits for the publish, returns Pending; then the
        // generator tries to claim the published node.
        if let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
            delivered += 1;
            drop(v);
        }
        rogue.join().unwrap();
        let drops_now = drops.load(Ordering::SeqCst);
        // Delivered to us (and dropped here), or retracted and dropped by its yielder:
        // exactly one drop either way.
        assert_eq!(drops_now, 1, "delivered {delivered}");
        drop(s);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}
