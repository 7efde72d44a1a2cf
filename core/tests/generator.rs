//! Generator tests that need no runtime (they also run under Miri:
//! `cargo +nightly miri test -p asyncio-core --test generator`).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use asyncio_core::generator::{Co, generator, try_generator};
use futures::executor::block_on;
use futures::stream::{FusedStream, FuturesUnordered, StreamExt};
use futures::task::noop_waker_ref;
use futures_core::Stream;

#[test]
fn items_in_order() {
    let s = generator(async |co| {
        for i in 0..5u32 {
            co.yield_(i).await;
        }
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [0, 1, 2, 3, 4]);
}

#[test]
fn empty_body_ends_at_once_and_is_fused() {
    let mut s = pin!(generator(async |_co: Co<'_, u8>| {}));
    assert!(!s.is_terminated());
    assert_eq!(block_on(s.next()), None);
    assert!(s.is_terminated());
    assert_eq!(block_on(s.next()), None);
}

#[test]
fn body_starts_on_first_poll() {
    let started = Rc::new(Cell::new(false));
    let flag = started.clone();
    let s = generator(async move |co| {
        flag.set(true);
        co.yield_(1).await
    });
    assert!(!started.get());
    let mut s = pin!(s);
    assert_eq!(block_on(s.next()), Some(1));
    assert!(started.get());
}

#[test]
fn back_pressure_one_item_in_flight() {
    let produced = Rc::new(Cell::new(0usize));
    let p = produced.clone();
    let mut s = pin!(generator(async move |co| {
        for i in 0..100u32 {
            p.set(p.get() + 1);
            co.yield_(i).await;
        }
    }));
    for k in 1..=10 {
        assert_eq!(block_on(s.next()), Some(k as u32 - 1));
        // After the consumer took k items the body produced at most k + 1.
        assert!(
            produced.get() <= k + 1,
            "produced {} after {k}",
            produced.get()
        );
        assert_eq!(produced.get(), k);
    }
}

struct DropCounter(Rc<Cell<usize>>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn drop_mid_iteration_drops_body_locals_once() {
    let drops = Rc::new(Cell::new(0));
    let after = Rc::new(Cell::new(false));
    let (d, a) = (drops.clone(), after.clone());
    let mut s = Box::pin(generator(async move |co| {
        let _guard = DropCounter(d);
        for i in 0..10u32 {
            co.yield_(i).await;
        }
        a.set(true);
    }));
    assert_eq!(block_on(s.next()), Some(0));
    assert_eq!(block_on(s.next()), Some(1));
    assert_eq!(drops.get(), 0);
    drop(s);
    assert_eq!(drops.get(), 1);
    assert!(!after.get());
}

#[test]
fn panic_payload_reaches_consumer_then_stream_ends() {
    #[derive(Debug, PartialEq)]
    struct Boom(u32);
    let mut s = pin!(generator(async |co| {
        co.yield_(1u32).await;
        std::panic::panic_any(Boom(7));
    }));
    assert_eq!(block_on(s.next()), Some(1));
    let err = catch_unwind(AssertUnwindSafe(|| block_on(s.next()))).unwrap_err();
    assert_eq!(err.downcast_ref::<Boom>(), Some(&Boom(7)));
    assert_eq!(block_on(s.next()), None);
    assert!(s.is_terminated());
}

#[test]
fn try_generator_error_is_last_item() {
    let s = try_generator(async |co| {
        co.yield_(1).await;
        co.yield_(2).await;
        Err::<(), _>("bad")?;
        co.yield_(3).await;
        Ok(())
    });
    let mut s = pin!(s);
    let items: Vec<Result<i32, &str>> = block_on((&mut s).collect());
    assert_eq!(items, [Ok(1), Ok(2), Err("bad")]);
    assert!(s.is_terminated());
    assert_eq!(block_on(s.next()), None);
}

#[test]
fn try_generator_ok_ends_without_error() {
    let s = try_generator(async |co| {
        co.yield_('a').await;
        Ok::<(), String>(())
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [Ok('a')]);
}

/// Children of `FuturesUnordered` get their own wakers and are re-polled only when woken:
/// every value must still reach the consumer, one at a time (asynk-strim panics here).
#[test]
fn yield_from_futures_unordered_children() {
    let in_flight_max = Rc::new(Cell::new(0usize));
    let s = generator(async |co| {
        let co = &co;
        let mut children: FuturesUnordered<_> = (0..4u32)
            .map(|c| async move {
                for i in 0..5u32 {
                    co.yield_(c * 100 + i).await;
                }
                c
            })
            .collect();
        let mut finished = Vec::new();
        while let Some(c) = children.next().await {
            finished.push(c);
        }
        finished.sort();
        assert_eq!(finished, [0, 1, 2, 3]);
        co.yield_(999).await;
    });
    let mut s = pin!(s);
    let mut got = Vec::new();
    while let Some(v) = block_on(s.next()) {
        got.push(v);
        in_flight_max.set(in_flight_max.get().max(1));
    }
    assert_eq!(got.len(), 21, "{got:?}");
    assert_eq!(*got.last().unwrap(), 999);
    for c in 0..4u32 {
        let mine: Vec<u32> = got
            .iter()
            .copied()
            .filter(|v| v / 100 == c && *v != 999)
            .collect();
        assert_eq!(mine, (0..5).map(|i| c * 100 + i).collect::<Vec<_>>());
    }
}

/// Same with a poll loop on a noop waker, to check that nothing relies on a wake-up
/// being a spurious re-poll: each poll of the stream must make progress.
#[test]
fn futures_unordered_children_never_stall() {
    let s = generator(async |co| {
        let co = &co;
        let mut children: FuturesUnordered<_> = (0..3u32)
            .map(|c| async move {
                for i in 0..3u32 {
                    co.yield_(c * 10 + i).await;
                }
            })
            .collect();
        while children.next().await.is_some() {}
    });
    let mut s = pin!(s);
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut got = Vec::new();
    let mut polls = 0;
    loop {
        polls += 1;
        assert!(polls < 1000, "stalled after {got:?}");
        match s.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(v)) => got.push(v),
            Poll::Ready(None) => break,
            Poll::Pending => {}
        }
    }
    got.sort();
    assert_eq!(got, [0, 1, 2, 10, 11, 12, 20, 21, 22]);
}

#[test]
fn yield_from_join_all_and_join_and_select() {
    let s = generator(async |co| {
        let co = &co;
        futures::future::join_all((0..3u32).map(|c| async move {
            co.yield_(c).await;
            co.yield_(c + 10).await;
        }))
        .await;
        futures::join!(co.yield_(100), co.yield_(101));
        futures::select! {
            () = co.yield_(200) => {}
        }
    });
    let mut got = block_on(s.collect::<Vec<_>>());
    assert_eq!(got.len(), 9, "{got:?}");
    got.sort();
    assert_eq!(got, [0, 1, 2, 10, 11, 12, 100, 101, 200]);
}

#[test]
fn nested_generator_yields_through_outer_co() {
    // `yield from`: an inner generator's items re-yielded by the outer one.
    let inner = || {
        generator(async |co| {
            co.yield_(1).await;
            co.yield_(2).await;
        })
    };
    let s = generator(async move |co| {
        co.yield_(0).await;
        let mut i = pin!(inner());
        while let Some(v) = i.next().await {
            co.yield_(v).await;
        }
        co.yield_(3).await;
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [0, 1, 2, 3]);
}

#[test]
fn generator_is_send_when_body_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync>() {}
    let s = generator(async |co| {
        co.yield_(String::from("x")).await;
    });
    assert_send(&s);
    assert_send_sync::<Co<'_, String>>();
    let t = try_generator(async |co| {
        co.yield_(1u8).await;
        Ok::<(), std::io::Error>(())
    });
    assert_send(&t);
    // And it really moves across threads.
    let v = std::thread::spawn(move || block_on(s.collect::<Vec<_>>()))
        .join()
        .unwrap();
    assert_eq!(v, ["x"]);
}

fn panic_message(err: Box<dyn std::any::Any + Send>) -> String {
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn many_items_no_leak() {
    let counter = Arc::new(AtomicUsize::new(0));
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let c = counter.clone();
    let s = generator(async move |co| {
        for _ in 0..50 {
            co.yield_(Counted(c.clone())).await;
        }
    });
    let mut s = pin!(s);
    for _ in 0..20 {
        drop(block_on(s.next()));
    }
    assert_eq!(counter.load(Ordering::Relaxed), 20);
}

#[test]
fn works_with_stream_ext_adapters() {
    let s = generator(async |co| {
        for i in 0..10u64 {
            co.yield_(i).await;
        }
    });
    let v: Vec<u64> = block_on(
        s.filter(|x| std::future::ready(x % 2 == 0))
            .map(|x| async move { x * 10 })
            .buffer_unordered(3)
            .take(3)
            .collect(),
    );
    let mut v = v;
    v.sort();
    assert_eq!(v, [0, 20, 40]);
}

#[test]
fn size_hint_is_default() {
    let s = generator(async |co: Co<'_, u8>| co.yield_(1).await);
    assert_eq!(s.size_hint(), (0, None));
}

// --- allocation ------------------------------------------------------------------------

/// Counts the allocations made by the current thread (other tests run in parallel).
struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const-initialised
// thread-local without a destructor, so touching it cannot allocate or recurse.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

/// Drains `s` with a no-op waker (no executor, so nothing else allocates).
fn drain<S: Stream>(s: S) -> usize {
    let mut s = pin!(s);
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut n = 0;
    loop {
        match s.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(_)) => n += 1,
            Poll::Ready(None) => return n,
            Poll::Pending => {}
        }
    }
}

#[test]
fn no_allocation_per_generator_or_per_item() {
    let items = if cfg!(miri) { 20 } else { 1000 };
    // A `Send` body.
    let (allocs, n) = allocations_during(|| {
        drain(generator(async move |co| {
            for i in 0..items {
                co.yield_(i).await;
            }
        }))
    });
    assert_eq!((allocs, n), (0, items as usize));
    // A `!Send` body (it holds an `Rc` across yields), and a fallible one.
    let rc = Rc::new(Cell::new(0u64));
    let (allocs, n) = allocations_during(|| {
        drain(try_generator(async move |co| {
            for i in 0..items {
                rc.set(rc.get() + i);
                co.yield_(rc.get()).await;
            }
            Ok::<(), ()>(())
        }))
    });
    assert_eq!((allocs, n), (0, items as usize));
    // One-item streams, made and drained many times.
    let (allocs, _) = allocations_during(|| {
        for i in 0..items {
            assert_eq!(drain(generator(async move |co| co.yield_(i).await)), 1);
        }
    });
    assert_eq!(allocs, 0);
}

// --- the body's shape ------------------------------------------------------------------

#[test]
fn items_may_borrow_from_the_caller() {
    let words = vec![String::from("a"), String::from("bc")];
    let s = generator(async |co| {
        for w in &words {
            co.yield_(w.as_str()).await;
        }
    });
    assert_eq!(block_on(s.collect::<Vec<&str>>()), ["a", "bc"]);
}

#[test]
fn an_async_fn_is_a_body() {
    async fn evens(co: Co<'_, u32>) {
        for i in (0..6).step_by(2) {
            co.yield_(i).await;
        }
    }
    assert_eq!(block_on(generator(evens).collect::<Vec<_>>()), [0, 2, 4]);
}

#[test]
fn co_is_copy_so_children_can_take_it_by_value() {
    let s = generator(async |co| {
        let kids = (0..3u32).map(|c| async move { co.yield_(c).await });
        futures::future::join_all(kids).await;
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [0, 1, 2]);
}

// --- many yielding children ------------------------------------------------------------

/// A child that yields `per_child` values through `co`, counting every poll of its
/// `Yield`s in `polls`.
async fn counted_child(co: Co<'_, (u32, u32)>, c: u32, per_child: u32, polls: &Cell<usize>) {
    for i in 0..per_child {
        let mut y = pin!(co.yield_((c, i)));
        std::future::poll_fn(|cx| {
            polls.set(polls.get() + 1);
            y.as_mut().poll(cx)
        })
        .await;
    }
}

/// Every value arrives once, in order per child, the children take turns in arrival
/// order, and each item costs O(1) yielder polls, however many children wait.
fn check_children(got: &[(u32, u32)], children: u32, per_child: u32, polls: usize) {
    assert_eq!(got.len(), (children * per_child) as usize);
    for c in 0..children {
        let mine: Vec<u32> = got.iter().filter(|v| v.0 == c).map(|v| v.1).collect();
        assert_eq!(mine, (0..per_child).collect::<Vec<_>>(), "child {c}");
    }
    // Round-robin: every round of `children` items has each child once, in the order
    // of the first round (a waiting child is served before one that yields again).
    let first: Vec<u32> = got[..children as usize].iter().map(|v| v.0).collect();
    for round in got.chunks(children as usize) {
        assert_eq!(round.iter().map(|v| v.0).collect::<Vec<_>>(), first);
    }
    let per_item = polls as f64 / got.len() as f64;
    assert!(
        per_item <= 3.0,
        "{per_item:.2} yielder polls per item with {children} children"
    );
}

#[test]
fn a_thousand_children_under_futures_unordered() {
    let (children, per_child) = if cfg!(miri) { (20, 3) } else { (1000, 5) };
    let polls = Cell::new(0);
    let s = generator(async |co| {
        let polls = &polls;
        let mut kids: FuturesUnordered<_> = (0..children)
            .map(|c| counted_child(co, c, per_child, polls))
            .collect();
        while kids.next().await.is_some() {}
    });
    let got: Vec<(u32, u32)> = block_on(s.collect());
    check_children(&got, children, per_child, polls.get());
}

#[test]
fn a_thousand_children_under_gather_all() {
    let (children, per_child) = if cfg!(miri) { (20, 3) } else { (1000, 5) };
    let polls = Cell::new(0);
    let s = generator(async |co| {
        let polls = &polls;
        asyncio_core::gather_all((0..children).map(|c| counted_child(co, c, per_child, polls)))
            .await;
    });
    let got: Vec<(u32, u32)> = block_on(s.collect());
    check_children(&got, children, per_child, polls.get());
    // gather_all polls its children in index order: so do the turns.
    assert_eq!(got[0].0, 0);
    assert_eq!(got[1].0, 1);
}

#[test]
fn a_dropped_waiting_child_takes_its_value_with_it() {
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    let s = generator(async move |co| {
        let mut kids: FuturesUnordered<_> = (0..3)
            .map(|_| {
                let d = d.clone();
                async move { co.yield_(DropCounter(d)).await }
            })
            .collect();
        // Every child deposits its value; the generator takes the oldest after this
        // poll; then the rest are dropped.
        let mut first = true;
        futures::future::poll_fn(|cx| {
            let _ = kids.poll_next_unpin(cx);
            if std::mem::take(&mut first) {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        drop(kids);
    });
    let got: Vec<DropCounter> = block_on(s.collect());
    assert_eq!(got.len(), 1);
    assert_eq!(drops.get(), 2, "the two undelivered values, once each");
    drop(got);
    assert_eq!(drops.get(), 3);
}

// --- threads ---------------------------------------------------------------------------

#[test]
fn co_is_send_and_sync_for_send_items() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Co<'static, String>>();
    assert_send_sync::<asyncio_core::generator::Yield<'static, String>>();
}

#[test]
fn a_yield_from_a_scoped_thread_panics_instead_of_hanging() {
    struct Counted(u32, Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let s = generator(async move |co| {
        co.yield_(Counted(1, d.clone())).await;
        // Work on other threads inside one poll, sharing the yielder...
        let (err, computed) = std::thread::scope(|s| {
            let bad = s.spawn(|| block_on(co.yield_(Counted(99, d.clone()))));
            let good = s.spawn(|| 2 + 3);
            (bad.join().unwrap_err(), good.join().unwrap())
        });
        // ...the yield from the other thread panicked there, naming the rule,
        let msg = panic_message(err);
        assert!(msg.contains("not polling its generator"), "{msg}");
        // ...and a value computed there is yielded here.
        co.yield_(Counted(computed, d)).await;
    });
    let got: Vec<u32> = block_on(s.map(|c| c.0).collect());
    assert_eq!(got, [1, 5]);
    assert_eq!(drops.load(Ordering::Relaxed), 3, "every value dropped once");
}

#[test]
fn a_yield_polled_in_place_then_moved_to_a_scoped_thread_panics_there() {
    let s = generator(async |co| {
        let mut y = Box::pin(co.yield_(1));
        // In place now (polled with the generator's own `Context`), not yet taken.
        futures::future::poll_fn(|cx| {
            assert!(y.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        let err = std::thread::scope(|s| s.spawn(|| block_on(y.as_mut())).join().unwrap_err());
        assert!(panic_message(err).contains("not polling its generator"));
        y.await;
        co.yield_(2).await;
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [1, 2]);
}

#[test]
fn a_value_in_place_when_the_body_fails_comes_before_the_error() {
    let s = try_generator(async |co| {
        // Polled once with the generator's `Context`, then dropped: the value is in place.
        let mut y = Box::pin(co.yield_(1));
        futures::future::poll_fn(|cx| {
            assert!(y.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        drop(y);
        Err::<(), _>("e")
    });
    let mut s = pin!(s);
    assert_eq!(block_on(s.next()), Some(Ok(1)));
    assert!(!s.is_terminated());
    assert_eq!(block_on(s.next()), Some(Err("e")));
    assert!(s.is_terminated());
    assert_eq!(block_on(s.next()), None);
}
