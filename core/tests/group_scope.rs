//! `scope`: the spec's points 2–8 plus borrowing, `!Send` children and running on any
//! executor. Runtime-free (futures' `block_on`), so these run under Miri too:
//! `cargo +nightly miri test -p asyncio-core --test group_scope`.

use std::cell::{Cell, RefCell};
use std::future::{Future, pending};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::task::Poll;

use asyncio_core::group::{ChildError, Scope, ScopeTask, scope, supervise_scope};
use futures::FutureExt;
use futures::channel::oneshot;
use futures::executor::block_on;

/// Counts drops, starts and "ran past the await" with plain cells (children are !Send).
#[derive(Default)]
struct Probe {
    drops: Cell<usize>,
    started: Cell<usize>,
    ran_past: Cell<bool>,
}

struct Guard<'a>(&'a Cell<usize>);
impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

impl Probe {
    fn parked<T, E>(&self) -> impl Future<Output = Result<T, E>> + '_ {
        let guard = Guard(&self.drops);
        async move {
            let _g = guard;
            self.started.set(self.started.get() + 1);
            pending::<()>().await;
            self.ran_past.set(true);
            unreachable!()
        }
    }
}

/// Yields to the executor once.
async fn yield_once() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
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

#[test]
fn children_borrow_the_callers_stack_and_need_not_be_send() {
    let words = ["alpha".to_string(), "be".to_string()];
    let log = RefCell::new(Vec::new()); // !Sync; borrowed by every child
    let out = block_on(scope(async |s| {
        let handles: Vec<_> = words
            .iter()
            .map(|w| {
                let log = &log;
                let rc = Rc::new(w.len()); // !Send inside the child
                s.spawn(async move {
                    yield_once().await;
                    log.borrow_mut().push(w.as_str());
                    Ok::<_, ()>(*rc)
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        Ok(total)
    }));
    assert_eq!(out, Ok(7));
    assert_eq!(log.into_inner().len(), 2);
}

#[test]
fn children_progress_while_the_body_awaits_something_else() {
    // The body waits on a channel that only a child can fill: a scope that did not
    // poll its children while the body is pending would hang here.
    let out = block_on(scope(async |s| {
        let (tx, rx) = oneshot::channel();
        s.spawn(async move {
            yield_once().await;
            tx.send(5).unwrap();
            Ok::<_, ()>(())
        });
        Ok(rx.await.unwrap())
    }));
    assert_eq!(out, Ok(5));
}

#[test]
#[cfg_attr(miri, ignore)] // tokio's timer driver
fn works_on_tokio_too() {
    asyncio_core::run(async {
        let v = 3;
        let out = scope(async |s| {
            let h = s.spawn_named("t", async {
                asyncio_core::sleep(std::time::Duration::from_millis(1)).await;
                Ok::<_, ()>(v * 2)
            });
            Ok(h.await.unwrap())
        })
        .await;
        assert_eq!(out, Ok(6));
    });
}

// 2. waits for every child ------------------------------------------------------------

#[test]
fn waits_for_children_spawned_after_the_body_returned() {
    let done = Cell::new(0);
    block_on(scope(async |s| {
        let inner = s.clone();
        let done = &done;
        s.spawn(async move {
            yield_once().await;
            inner.spawn(async move {
                yield_once().await;
                done.set(done.get() + 1);
                Ok::<_, ()>(())
            });
            done.set(done.get() + 1);
            Ok(())
        });
        Ok(())
    }))
    .unwrap();
    assert_eq!(done.get(), 2);
}

// 3. first failure cancels; GroupError -------------------------------------------------

#[test]
fn first_failure_cancels_siblings_and_body() {
    let p = Probe::default();
    let body_drops = Cell::new(0);
    let body_ran_past = Cell::new(false);
    let err = block_on(scope(async |s| {
        let _g = Guard(&body_drops);
        for _ in 0..5 {
            s.spawn(p.parked::<(), &str>());
        }
        yield_once().await; // children start
        assert_eq!(p.started.get(), 5);
        s.spawn_named("bad", async { Err::<(), _>("boom") });
        pending::<()>().await;
        body_ran_past.set(true);
        Ok(())
    }))
    .unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err.failures()[0].name(), Some("bad"));
    assert_eq!(p.drops.get(), 5);
    assert!(!p.ran_past.get());
    assert_eq!(body_drops.get(), 1);
    assert!(!body_ran_past.get());
    assert!(err.to_string().contains("task 'bad'"));
}

#[test]
fn body_failure_cancels_children_and_handles_report_cancelled() {
    let p = Probe::default();
    let seen = RefCell::new(None);
    let err = block_on(scope(async |s| {
        s.spawn(p.parked::<(), i32>());
        let watched = s.spawn(p.parked::<(), i32>());
        let seen = &seen;
        // A second-level observer: a child awaiting its sibling's handle is cancelled
        // with everything else, so record through a drop guard instead.
        struct Record<'a, 'b>(&'a RefCell<Option<bool>>, ScopeTask<'b, ()>);
        impl Drop for Record<'_, '_> {
            fn drop(&mut self) {
                *self.0.borrow_mut() = Some(self.1.is_finished());
            }
        }
        let rec = Record(seen, watched);
        yield_once().await;
        drop(rec);
        Err::<(), _>(9)
    }))
    .unwrap_err();
    assert!(err.failures()[0].is_body());
    assert_eq!(err.into_errors(), vec![9]);
    assert_eq!(p.drops.get(), 2);
    assert_eq!(*seen.borrow(), Some(false));
}

#[test]
fn supervisor_failures_come_in_order_with_names() {
    let err = block_on(supervise_scope(async |s| {
        let a = s.spawn_named("a", async { Err::<(), _>("e1") });
        assert_eq!(a.await, Err(ChildError::Failed));
        let b = s.spawn(async { Err::<(), _>("e2") });
        assert_eq!(b.await, Err(ChildError::Failed));
        Err::<(), _>("body")
    }))
    .unwrap_err();
    let names: Vec<_> = err.iter().map(|f| f.name()).collect();
    assert_eq!(names, [Some("a"), None, None]);
    let text = err.to_string();
    assert!(text.starts_with("3 failures in task group:"), "{text}");
    assert_eq!(Vec::from(err), ["e1", "e2", "body"]);
}

#[test]
fn supervisor_does_not_cancel_siblings() {
    let finished = Cell::new(false);
    let err = block_on(supervise_scope(async |s| {
        let (tx, rx) = oneshot::channel::<()>();
        let slow = s.spawn(async {
            rx.await.unwrap();
            finished.set(true);
            Ok(1)
        });
        let bad = s.spawn(async { Err::<i32, _>("boom") });
        assert_eq!(bad.await, Err(ChildError::Failed));
        assert!(!s.is_closed());
        tx.send(()).unwrap();
        assert_eq!(slow.await, Ok(1));
        Ok(())
    }))
    .unwrap_err();
    assert!(finished.get());
    assert_eq!(err.into_errors(), ["boom"]);
}

// 4. panic -----------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Payload(u32);

#[test]
fn child_panic_drops_the_others_then_resumes_the_payload() {
    let p = Probe::default();
    let drops_when_caught = Cell::new(usize::MAX);
    let res = block_on(
        AssertUnwindSafe(scope(async |s| {
            for _ in 0..3 {
                s.spawn(p.parked::<(), ()>());
            }
            yield_once().await;
            s.spawn(async {
                std::panic::panic_any(Payload(3));
                #[allow(unreachable_code)]
                Ok(())
            });
            pending::<()>().await;
            Ok(())
        }))
        .catch_unwind()
        .map(|r| {
            drops_when_caught.set(p.drops.get());
            r
        }),
    );
    assert_eq!(
        res.unwrap_err().downcast_ref::<Payload>(),
        Some(&Payload(3))
    );
    assert_eq!(
        drops_when_caught.get(),
        3,
        "siblings dropped before the panic resumed"
    );
    assert!(!p.ran_past.get());
}

#[test]
fn body_panic_drops_children_then_resumes() {
    let p = Probe::default();
    let res = block_on(
        AssertUnwindSafe(scope(async |s| {
            s.spawn(p.parked::<(), ()>());
            yield_once().await;
            if p.started.get() == 1 {
                std::panic::panic_any(Payload(4));
            }
            Ok(())
        }))
        .catch_unwind(),
    );
    assert_eq!(
        res.unwrap_err().downcast_ref::<Payload>(),
        Some(&Payload(4))
    );
    assert_eq!(p.drops.get(), 1);
}

// 5. dropping the scope's future drops every child at once ------------------------------

#[test]
fn dropping_the_scope_future_drops_every_child() {
    let p = Probe::default();
    let p = &p;
    block_on(async {
        let mut fut = Box::pin(scope(async |s| {
            for _ in 0..10 {
                s.spawn(p.parked::<(), ()>());
            }
            // one child not yet started (spawned from inside a child)
            let inner = s.clone();
            s.spawn(async move {
                inner.spawn(p.parked::<(), ()>());
                pending::<()>().await;
                Ok(())
            });
            pending::<()>().await;
            Ok(())
        }));
        assert!(futures::poll!(fut.as_mut()).is_pending());
        assert_eq!(p.started.get(), 11);
        drop(fut);
        // no loop turn needed: the children lived inside the dropped future
        assert_eq!(p.drops.get(), 11);
        assert!(!p.ran_past.get());
    });
}

// 6. children spawn children ------------------------------------------------------------

fn tree<'a>(
    s: Scope<'a, ()>,
    depth: u32,
    leaves: &'a Cell<u32>,
) -> futures::future::LocalBoxFuture<'a, Result<(), ()>> {
    async move {
        if depth == 0 {
            leaves.set(leaves.get() + 1);
        } else {
            for _ in 0..2 {
                s.spawn(tree(s.clone(), depth - 1, leaves));
            }
        }
        Ok(())
    }
    .boxed_local()
}

#[test]
fn children_spawn_children() {
    let leaves = Cell::new(0);
    block_on(scope(async |s| {
        s.spawn(tree(s.clone(), 7, &leaves));
        Ok(())
    }))
    .unwrap();
    assert_eq!(leaves.get(), 128);
}

// 8. closed scope -----------------------------------------------------------------------

#[test]
fn spawn_into_a_cancelling_scope_never_runs() {
    let ran = Cell::new(false);
    let seen = Cell::new(None);
    let err = block_on(scope(async |s| {
        struct SpawnOnDrop<'a>(
            Scope<'a, &'static str>,
            &'a Cell<bool>,
            &'a Cell<Option<ChildError>>,
        );
        impl Drop for SpawnOnDrop<'_> {
            fn drop(&mut self) {
                let ran = self.1;
                let h = self.0.spawn(async move {
                    ran.set(true);
                    Ok(())
                });
                assert!(self.0.is_closed());
                self.2.set(h.now_or_never().map(|r| r.unwrap_err()));
            }
        }
        let guard = SpawnOnDrop(s.clone(), &ran, &seen);
        s.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
            Ok(())
        });
        yield_once().await;
        s.spawn(async { Err::<(), _>("boom") });
        pending::<()>().await;
        Ok(())
    }))
    .unwrap_err();
    assert_eq!(err.into_errors(), ["boom"]);
    assert_eq!(seen.get(), Some(ChildError::Closed));
    assert!(!ran.get());
}

#[test]
fn spawn_after_the_scope_finished_is_refused() {
    let p = Probe::default();
    let leaked: RefCell<Option<Scope<'_, ()>>> = RefCell::new(None);
    block_on(scope(async |s| {
        *leaked.borrow_mut() = Some(s.clone());
        Ok(())
    }))
    .unwrap();
    let s = leaked.borrow_mut().take().unwrap();
    assert!(s.is_closed());
    let h = s.spawn(p.parked::<(), ()>());
    assert_eq!(p.drops.get(), 1);
    assert_eq!(p.started.get(), 0);
    assert_eq!(block_on(h), Err(ChildError::Closed));
}

#[test]
fn handles_kept_past_the_scope_report_cancelled_and_do_not_keep_futures_alive() {
    let p = Probe::default();
    let kept = RefCell::new(Vec::new());
    let err = block_on(scope(async |s| {
        for _ in 0..4 {
            kept.borrow_mut().push(s.spawn(p.parked::<(), &str>()));
        }
        yield_once().await;
        s.spawn(async { Err::<(), _>("boom") });
        Ok(())
    }))
    .unwrap_err();
    assert_eq!(err.into_errors(), ["boom"]);
    // The handles are alive, but every child's future has been dropped.
    assert_eq!(p.drops.get(), 4);
    assert!(!p.ran_past.get());
    for h in kept.into_inner() {
        assert!(h.is_finished());
        assert_eq!(block_on(h), Err(ChildError::Cancelled));
    }
}

struct D<'a>(&'a Cell<u32>);
impl Drop for D<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

async fn mix_body<'a>(
    s: Scope<'a, u32>,
    kinds: &'a [u64],
    drops: &'a [Cell<u32>],
    supervisor: bool,
    drop_midway: bool,
) -> Result<(), u32> {
    for (i, &k) in kinds.iter().enumerate() {
        let d = D(&drops[i]);
        let inner = s.clone();
        s.spawn(async move {
            let _d = d;
            yield_once().await;
            match k {
                0..=4 => Ok(()),
                5 | 6 => Err(i as u32),
                7 => {
                    inner.spawn(async { Ok(()) });
                    Ok(())
                }
                8 if !supervisor => pending().await,
                9 if i == 3 => std::panic::panic_any(Payload(9)),
                _ => Ok(()),
            }
        });
    }
    if drop_midway {
        pending::<()>().await;
    }
    Ok(())
}

/// A small random mix (success, failure, panic, parked, nested spawns, dropped
/// mid-way) — sized so it also runs under Miri, which checks the scope's `unsafe`
/// pin projection in every path. `group_soak` runs the large version.
#[test]
fn random_mix_drops_every_child_exactly_once() {
    use std::panic::catch_unwind;
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let rounds = if cfg!(miri) { 6 } else { 200 };
    for _ in 0..rounds {
        let n = 12;
        let drops: Vec<Cell<u32>> = (0..n).map(|_| Cell::new(0)).collect();
        let mut kinds: Vec<u64> = (0..n).map(|_| next(10)).collect();
        let supervisor = next(2) == 0;
        if !supervisor {
            kinds[6] = 5; // a failure, so parked children are cancelled and the scope ends
        }
        let drop_midway = next(3) == 0;
        let body = |s| mix_body(s, &kinds, &drops, supervisor, drop_midway);
        let res = catch_unwind(AssertUnwindSafe(|| {
            block_on(async {
                let mut fut = Box::pin(async {
                    if supervisor {
                        supervise_scope(body).await
                    } else {
                        scope(body).await
                    }
                });
                if drop_midway {
                    for _ in 0..3 {
                        if futures::poll!(fut.as_mut()).is_ready() {
                            break;
                        }
                    }
                    None
                } else {
                    Some(fut.await)
                }
            })
        }));
        match res {
            Err(p) => assert_eq!(p.downcast_ref::<Payload>(), Some(&Payload(9))),
            Ok(Some(Err(e))) => assert!(e.iter().all(|f| kinds[*f.error() as usize] >= 5)),
            Ok(Some(Ok(()))) | Ok(None) => {}
        }
        for (i, d) in drops.iter().enumerate() {
            assert_eq!(
                d.get(),
                1,
                "child {i} (kind {}) dropped {} times",
                kinds[i],
                d.get()
            );
        }
    }
}

/// 10,000 children completing one at a time in a shuffled order (each completion
/// fires the next child's channel) cost exactly 2 polls per child: one to start, one
/// when woken — no scan over the other children.
#[test]
fn one_at_a_time_costs_two_polls_per_child() {
    let n = if cfg!(miri) { 200 } else { 10_000 };
    let polls = Cell::new(0usize);
    let finished = RefCell::new(Vec::new());
    // A fixed permutation (7919 is prime, so coprime with n): the k-th to finish is
    // child order[k].
    let order: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| oneshot::channel::<()>()).unzip();
    let mut txs: Vec<Option<_>> = txs.into_iter().map(Some).collect();
    let mut next: Vec<Option<oneshot::Sender<()>>> = (0..n).map(|_| None).collect();
    for k in 0..n - 1 {
        next[order[k]] = txs[order[k + 1]].take();
    }
    let first = txs[order[0]].take().unwrap();
    let (polls_ref, finished_ref) = (&polls, &finished);
    block_on(scope(async |s| {
        for (i, (mut rx, mut then)) in rxs.into_iter().zip(next).enumerate() {
            s.spawn(futures::future::poll_fn(move |cx| {
                polls_ref.set(polls_ref.get() + 1);
                if rx.poll_unpin(cx).is_pending() {
                    return Poll::Pending;
                }
                finished_ref.borrow_mut().push(i);
                if let Some(tx) = then.take() {
                    tx.send(()).unwrap();
                }
                Poll::Ready(Ok::<_, ()>(()))
            }));
        }
        yield_once().await; // every child is waiting
        first.send(()).unwrap();
        Ok(())
    }))
    .unwrap();
    assert_eq!(*finished.borrow(), order);
    assert_eq!(polls.get(), 2 * n);
}

/// Children that wake themselves on every poll do not keep the scope's poll going:
/// each poll of the scope polls at most `max(children, 32)` of them, then the scope
/// wakes itself and returns, so the executor can run other tasks.
#[test]
fn busy_children_yield_to_the_executor() {
    struct Count(std::sync::atomic::AtomicUsize);
    impl std::task::Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let n = if cfg!(miri) { 50 } else { 1000 };
    let polls = Cell::new(0usize);
    let stop = Cell::new(false);
    let (polls_ref, stop_ref) = (&polls, &stop);
    let mut fut = std::pin::pin!(scope(async |s| {
        for _ in 0..n {
            s.spawn(futures::future::poll_fn(move |cx| {
                polls_ref.set(polls_ref.get() + 1);
                if stop_ref.get() {
                    return Poll::Ready(Ok::<_, ()>(()));
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }));
        }
        Ok(())
    }));
    let count = std::sync::Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
    let waker = std::task::Waker::from(count.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    let woken = || count.0.load(std::sync::atomic::Ordering::SeqCst);
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(polls.get(), n); // every new child once, then the budget ran out
    assert_eq!(woken(), 1); // the scope asked to be polled again
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(polls.get(), 2 * n);
    assert_eq!(woken(), 2);
    stop.set(true);
    assert!(fut.as_mut().poll(&mut cx).is_ready());
    assert_eq!(polls.get(), 3 * n);
}

/// A child spawned while the scope is idle (from outside its poll, through a `Scope`
/// that escaped) wakes the scope: it does not wait for an unrelated wake.
#[test]
fn a_spawn_into_an_idle_scope_wakes_it() {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let spawner = pool.spawner();
    let (scope_tx, scope_rx) = oneshot::channel::<Scope<'static, ()>>();
    let (gate_tx, gate_rx) = oneshot::channel::<()>();
    let done = Rc::new(Cell::new(false));
    let done_ref = done.clone();
    spawner
        .spawn_local(async move {
            scope(async move |s: Scope<'static, ()>| {
                assert!(scope_tx.send(s.clone()).is_ok());
                s.spawn(async move { gate_rx.await.map_err(drop) }); // keeps it open
                Ok(())
            })
            .await
            .unwrap();
            done_ref.set(true);
        })
        .unwrap();
    spawner
        .spawn_local(async move {
            let s = scope_rx.await.unwrap();
            // The scope is idle now: its only child waits for the gate.
            s.spawn(async move { gate_tx.send(()).map_err(drop) });
        })
        .unwrap();
    pool.run_until_stalled();
    assert!(done.get());
}

/// Children woken from other threads: 4 threads fire the children's channels in an
/// interleaved order while the scope polls, for many rounds. Every child finishes with
/// its own value and is dropped exactly once (the cross-thread wake path of the scope's
/// set, beyond its loom model).
#[test]
fn children_woken_from_other_threads() {
    let (rounds, n) = if cfg!(miri) { (2, 16) } else { (50, 400) };
    for round in 0..rounds {
        let drops: Vec<Cell<usize>> = (0..n).map(|_| Cell::new(0)).collect();
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| oneshot::channel::<usize>()).unzip();
        // Thread t fires senders t, t + 4, t + 8, ... (in reverse on odd rounds).
        let mut per_thread: Vec<Vec<(usize, oneshot::Sender<usize>)>> =
            (0..4).map(|_| Vec::new()).collect();
        for (i, tx) in txs.into_iter().enumerate() {
            per_thread[i % 4].push((i, tx));
        }
        let drops_ref = &drops;
        let total = block_on(scope(async |s| {
            let handles: Vec<_> = rxs
                .into_iter()
                .enumerate()
                .map(|(i, rx)| {
                    let guard = Guard(&drops_ref[i]);
                    s.spawn(async move {
                        let _g = guard;
                        rx.await.map_err(drop)
                    })
                })
                .collect();
            yield_once().await; // every child is waiting
            let threads: Vec<_> = per_thread
                .drain(..)
                .map(|mut senders| {
                    if round % 2 == 1 {
                        senders.reverse();
                    }
                    std::thread::spawn(move || {
                        for (i, tx) in senders {
                            tx.send(i).unwrap();
                        }
                    })
                })
                .collect();
            let mut total = 0;
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await, Ok(i));
                total += i;
            }
            for t in threads {
                t.join().unwrap();
            }
            Ok::<_, ()>(total)
        }))
        .unwrap();
        assert_eq!(total, n * (n - 1) / 2);
        assert!(drops.iter().all(|d| d.get() == 1));
    }
}
