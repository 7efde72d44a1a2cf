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
    let s = generator(|co| async move {
        for i in 0..5u32 {
            co.yield_(i).await;
        }
    });
    assert_eq!(block_on(s.collect::<Vec<_>>()), [0, 1, 2, 3, 4]);
}

#[test]
fn empty_body_ends_at_once_and_is_fused() {
    let mut s = pin!(generator(|_co: Co<u8>| async {}));
    assert!(!s.is_terminated());
    assert_eq!(block_on(s.next()), None);
    assert!(s.is_terminated());
    assert_eq!(block_on(s.next()), None);
}

#[test]
fn body_starts_on_first_poll() {
    let started = Rc::new(Cell::new(false));
    let flag = started.clone();
    let s = generator(move |co| {
        flag.set(true); // even the closure runs lazily
        async move { co.yield_(1).await }
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
    let mut s = pin!(generator(move |co| async move {
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
    let mut s = Box::pin(generator(move |co| async move {
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
    let mut s = pin!(generator(|co| async move {
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
    let s = try_generator(|co| async move {
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
    let s = try_generator(|co| async move {
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
    let s = generator(|co| async move {
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
    let s = generator(|co| async move {
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
    let s = generator(|co| async move {
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
        generator(|co| async move {
            co.yield_(1).await;
            co.yield_(2).await;
        })
    };
    let s = generator(move |co| async move {
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
    let s = generator(|co| async move {
        co.yield_(String::from("x")).await;
    });
    assert_send(&s);
    assert_send_sync::<Co<String>>();
    let t = try_generator(|co| async move {
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
fn escaped_yielder_panics_while_generator_is_idle_and_after_drop() {
    let escaped: Arc<std::sync::Mutex<Option<Co<u32>>>> = Default::default();
    let slot = escaped.clone();
    let mut s = Box::pin(generator(move |co| async move {
        co.yield_(1).await;
        *slot.lock().unwrap() = Some(co);
        std::future::pending::<()>().await;
    }));
    assert_eq!(block_on(s.next()), Some(1));
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(s.as_mut().poll_next(&mut cx).is_pending());
    let co = escaped.lock().unwrap().take().unwrap();

    // The generator is alive but not polling its body.
    let err = catch_unwind(AssertUnwindSafe(|| block_on(co.yield_(5)))).unwrap_err();
    assert!(panic_message(err).contains("not polling its body"));

    // The generator is gone.
    drop(s);
    let err = catch_unwind(AssertUnwindSafe(|| block_on(co.yield_(6)))).unwrap_err();
    assert!(panic_message(err).contains("after its generator was dropped"));
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
    let s = generator(move |co| async move {
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
    let s = generator(|co| async move {
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
    let s = generator(|co: Co<u8>| async move { co.yield_(1).await });
    assert_eq!(s.size_hint(), (0, None));
}

/// A yielder moved to another thread and used while the generator is polled: each
/// attempt either panics (generator not polling its body) or delivers its value; never a
/// data race (Miri checks this) and never a lost or duplicated value.
#[test]
fn yielder_used_from_another_thread_is_race_free() {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;

    let (tx, rx) = mpsc::channel::<Co<u32>>();
    let s = generator(move |co: Co<u32>| async move {
        tx.send(co).unwrap();
        // Keep the generator alive and polled, without the yielder.
        std::future::poll_fn(|cx: &mut Context<'_>| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        })
        .await;
    });
    let mut s = Box::pin(s);
    let mut cx = Context::from_waker(noop_waker_ref());
    assert!(s.as_mut().poll_next(&mut cx).is_pending());
    let co = rx.recv().unwrap();
    let finished = Arc::new(AtomicBool::new(false));
    let fin = finished.clone();
    let attempts = if cfg!(miri) { 8 } else { 50 };
    let rogue = std::thread::spawn(move || {
        let mut delivered = 0;
        for i in 0..attempts {
            let ok = catch_unwind(AssertUnwindSafe(|| block_on(co.yield_(i)))).is_ok();
            delivered += ok as u32;
        }
        fin.store(true, Ordering::Release);
        delivered
    });
    let mut received = Vec::new();
    while !finished.load(Ordering::Acquire) {
        if let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
            received.push(v);
        }
        std::thread::yield_now();
    }
    // A value published just before the rogue finished is still in the slot.
    if let Poll::Ready(Some(v)) = s.as_mut().poll_next(&mut cx) {
        received.push(v);
    }
    let delivered = rogue.join().unwrap();
    assert_eq!(received.len() as u32, delivered, "{received:?}");
    let mut sorted = received.clone();
    sorted.dedup();
    assert_eq!(sorted, received, "no value twice");
}
