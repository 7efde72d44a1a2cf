//! gather!, try_gather!, race!, gather_all, try_gather_all, limit, as_completed, race_all:
//! order, drops, panics, fairness, poll counts, starvation — under both
//! `futures::executor::block_on` (or a hand-driven poll) and tokio.

use std::cell::{Cell, RefCell};
use std::future::{Future, IntoFuture, pending, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use asyncio::gather::{as_completed, gather_all, race_all, try_gather_all};
use asyncio::{gather, race, try_gather};
use futures::StreamExt;
use futures::channel::oneshot;
use futures::executor::block_on;

// ---------- helpers ----------

/// Wraps a future and counts its drops.
struct Tracked<F> {
    inner: Pin<Box<F>>,
    drops: Arc<AtomicUsize>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

fn tracked<F: Future>(drops: &Arc<AtomicUsize>, f: F) -> Tracked<F> {
    Tracked {
        inner: Box::pin(f),
        drops: drops.clone(),
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// A waker that counts its wakes.
struct CountWake(AtomicUsize);
impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<CountWake>, Waker) {
    let c = Arc::new(CountWake(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

fn poll_once<F: Future>(f: Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

/// A future that records each poll in `log` and is pending forever (it does not wake).
struct Recorder {
    id: usize,
    log: Rc<RefCell<Vec<usize>>>,
}
impl Future for Recorder {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        self.log.borrow_mut().push(self.id);
        Poll::Pending
    }
}

/// Re-wakes itself forever and counts its polls.
struct Spinner(Rc<Cell<usize>>);
impl Future for Spinner {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.set(self.0.get() + 1);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Children that complete one at a time in a shuffled order: the child at position `p`
/// completes when polled after position `p - 1` completed, and wakes position `p + 1`.
struct Chain {
    turn: Cell<usize>,
    wakers: RefCell<Vec<Option<Waker>>>,
    polls: Cell<usize>,
}

struct Link {
    pos: usize,
    id: usize,
    chain: Rc<Chain>,
}

impl Future for Link {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let c = &self.chain;
        c.polls.set(c.polls.get() + 1);
        if c.turn.get() == self.pos {
            c.turn.set(self.pos + 1);
            let next = c
                .wakers
                .borrow_mut()
                .get_mut(self.pos + 1)
                .and_then(Option::take);
            if let Some(w) = next {
                w.wake();
            }
            Poll::Ready(self.id)
        } else {
            c.wakers.borrow_mut()[self.pos] = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A deterministic shuffle (xorshift) of `0..n`.
fn shuffled(n: usize, mut seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    v
}

fn chain(n: usize) -> (Rc<Chain>, Vec<Link>) {
    let c = Rc::new(Chain {
        turn: Cell::new(0),
        wakers: RefCell::new(vec![None; n]),
        polls: Cell::new(0),
    });
    let order = shuffled(n, 0x9E37_79B9_7F4A_7C15);
    let links = order
        .iter()
        .enumerate()
        .map(|(id, &pos)| Link {
            pos,
            id,
            chain: c.clone(),
        })
        .collect();
    (c, links)
}

// ---------- gather! ----------

#[test]
fn gather_macro_outputs_in_argument_order_block_on() {
    let (tx_a, rx_a) = oneshot::channel::<&str>();
    let (tx_b, rx_b) = oneshot::channel::<u32>();
    let (tx_c, rx_c) = oneshot::channel::<char>();
    let mut g = pin!(gather!(rx_a, rx_b, rx_c));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    tx_c.send('c').unwrap();
    tx_b.send(2).unwrap();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    tx_a.send("a").unwrap();
    let Poll::Ready((a, b, c)) = poll_once(g.as_mut(), &w) else {
        panic!("not ready")
    };
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), ("a", 2, 'c'));
}

#[tokio::test(start_paused = true)]
async fn gather_macro_runs_concurrently_in_order_tokio() {
    let start = tokio::time::Instant::now();
    let (a, b, c) = gather!(
        async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            "a"
        },
        async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            "b"
        },
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "c"
        },
    )
    .await;
    assert_eq!((a, b, c), ("a", "b", "c"));
    // Paused clock: concurrent, so 30 ms of virtual time, not 60.
    assert_eq!(start.elapsed(), Duration::from_millis(30));
}

struct Seven;
impl IntoFuture for Seven {
    type Output = u8;
    type IntoFuture = std::future::Ready<u8>;
    fn into_future(self) -> Self::IntoFuture {
        ready(7)
    }
}

#[test]
fn gather_macro_accepts_into_future_and_one_argument() {
    let (x,) = block_on(gather!(Seven));
    assert_eq!(x, 7);
    let (a, b) = block_on(gather!(Seven, async { 1u8 }));
    assert_eq!(a + b, 8);
}

#[test]
fn gather_macro_is_lazy() {
    let polled = Cell::new(false);
    let g = gather!(async {
        polled.set(true);
    });
    assert!(!polled.get());
    block_on(g);
    assert!(polled.get());
}

#[test]
fn gather_macro_drops_each_child_once_on_completion() {
    let d = counter();
    block_on(gather!(
        tracked(&d, async { 1 }),
        tracked(&d, async { 2 }),
        tracked(&d, ready(3))
    ));
    assert_eq!(d.load(SeqCst), 3);
}

#[test]
fn gather_macro_drop_mid_flight_drops_every_child_once() {
    let d = counter();
    let (_tx, rx) = oneshot::channel::<()>();
    {
        let mut g = Box::pin(gather!(
            tracked(&d, rx),
            tracked(&d, async { 1 }),
            tracked(&d, pending::<()>())
        ));
        let (_, w) = counting_waker();
        assert!(poll_once(g.as_mut(), &w).is_pending());
        assert_eq!(
            d.load(SeqCst),
            1,
            "a finished child is dropped when it finishes"
        );
    }
    assert_eq!(d.load(SeqCst), 3);
}

#[test]
fn gather_macro_panic_drops_siblings_then_resumes_with_payload() {
    let d = counter();
    let seen_at_panic = Arc::new(AtomicUsize::new(usize::MAX));
    let err = catch_unwind(AssertUnwindSafe(|| {
        let mut g = Box::pin(gather!(
            tracked(&d, pending::<()>()),
            tracked(&d, async { std::panic::panic_any(41_u32) }),
            tracked(&d, pending::<()>()),
        ));
        let (_, w) = counting_waker();
        // Keep the gather alive across the unwind to observe drops done by the gather
        // itself (not by its owner).
        let seen = seen_at_panic.clone();
        let d2 = d.clone();
        let r = catch_unwind(AssertUnwindSafe(|| poll_once(g.as_mut(), &w)));
        seen.store(d2.load(SeqCst), SeqCst);
        std::mem::forget(g); // prove the drops above happened inside `poll`
        if let Err(p) = r {
            std::panic::resume_unwind(p)
        }
    }))
    .unwrap_err();
    assert_eq!(*err.downcast_ref::<u32>().unwrap(), 41);
    assert_eq!(
        seen_at_panic.load(SeqCst),
        3,
        "all children dropped before the panic left poll"
    );
}

#[test]
fn gather_macro_rotates_its_start_index() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let rec = |id| Recorder {
        id,
        log: log.clone(),
    };
    let mut g = pin!(gather!(rec(0), rec(1), rec(2)));
    let (_, w) = counting_waker();
    for _ in 0..3 {
        assert!(poll_once(g.as_mut(), &w).is_pending());
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 1, 2, 0, 2, 0, 1]);
}

// ---------- try_gather! ----------

#[test]
fn try_gather_macro_ok_in_order_and_first_err() {
    let ok: Result<(u8, &str), ()> = block_on(try_gather!(async { Ok(1) }, async { Ok("x") }));
    assert_eq!(ok, Ok((1, "x")));
    let err: Result<(u8, u8), &str> = block_on(try_gather!(async { Ok(1) }, async { Err("bad") }));
    assert_eq!(err, Err("bad"));
}

#[test]
fn try_gather_macro_err_drops_every_other_child_at_once() {
    let d = counter();
    let mut g = pin!(try_gather!(
        tracked(&d, pending::<Result<u8, &str>>()),
        tracked(&d, async { Ok::<u8, &str>(1) }),
        tracked(&d, async { Err::<u8, &str>("boom") }),
        tracked(&d, pending::<Result<u8, &str>>()),
    ));
    let (_, w) = counting_waker();
    assert_eq!(poll_once(g.as_mut(), &w), Poll::Ready(Err("boom")));
    // The gather is still alive: the drops happened when the Err arrived.
    assert_eq!(d.load(SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn try_gather_macro_short_circuits_tokio() {
    let d = counter();
    let start = tokio::time::Instant::now();
    let r: Result<((), ()), &str> = try_gather!(
        tracked(&d, async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        }),
        tracked(&d, async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err("early")
        }),
    )
    .await;
    assert_eq!(r, Err("early"));
    assert_eq!(start.elapsed(), Duration::from_millis(5));
    assert_eq!(d.load(SeqCst), 2);
}

// ---------- race! ----------

#[test]
fn race_macro_first_to_finish_wins_and_losers_are_dropped() {
    let d = counter();
    let (tx, rx) = oneshot::channel::<u8>();
    let mut g = pin!(race!(
        tracked(&d, async { pending::<u8>().await }),
        tracked(&d, async { rx.await.unwrap() }),
        tracked(&d, pending::<u8>()),
    ));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    tx.send(9).unwrap();
    assert_eq!(poll_once(g.as_mut(), &w), Poll::Ready(9));
    assert_eq!(
        d.load(SeqCst),
        3,
        "winner and losers dropped when the race ends"
    );
}

#[test]
fn race_macro_is_not_biased_towards_the_first_argument() {
    let mut wins = [0; 3];
    for _ in 0..300 {
        wins[block_on(race!(ready(0), ready(1), ready(2)))] += 1;
    }
    for w in wins {
        assert!(w >= 50, "unfair: {wins:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn race_macro_tokio() {
    let w = race!(
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "slow"
        },
        async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            "fast"
        },
    )
    .await;
    assert_eq!(w, "fast");
}

// ---------- gather_all ----------

#[test]
fn gather_all_outputs_in_input_order_block_on() {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..50).map(|_| oneshot::channel::<usize>()).unzip();
    let mut g = pin!(gather_all(rxs));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    for (i, tx) in txs.into_iter().enumerate().rev() {
        tx.send(i).unwrap();
    }
    let Poll::Ready(out) = poll_once(g.as_mut(), &w) else {
        panic!("not ready")
    };
    let out: Vec<usize> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(out, (0..50).collect::<Vec<_>>());
}

#[test]
fn gather_all_empty_is_ready_empty() {
    let v: Vec<u8> = block_on(gather_all(Vec::<std::future::Ready<u8>>::new()));
    assert!(v.is_empty());
}

#[test]
fn gather_all_polled_after_completion_panics_with_its_name() {
    let w = Waker::noop();
    let mut all = pin!(gather_all([ready(1u8), ready(2)]));
    assert_eq!(poll_once(all.as_mut(), w), Poll::Ready(vec![1, 2]));
    let err = catch_unwind(AssertUnwindSafe(|| poll_once(all.as_mut(), w))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("`gather_all` polled after it completed")
    );

    let mut all = pin!(try_gather_all([ready(Ok(1u8)), ready(Err("bad"))]));
    assert_eq!(poll_once(all.as_mut(), w), Poll::Ready(Err("bad")));
    let err = catch_unwind(AssertUnwindSafe(|| poll_once(all.as_mut(), w))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("`try_gather_all` polled after it completed")
    );
}

#[tokio::test(start_paused = true)]
async fn gather_all_tokio_concurrent_in_order() {
    let start = tokio::time::Instant::now();
    let out = gather_all((0..100u64).map(|i| async move {
        tokio::time::sleep(Duration::from_millis(100 - i)).await;
        i
    }))
    .await;
    assert_eq!(out, (0..100).collect::<Vec<_>>());
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gather_all_wakes_from_other_threads() {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..64).map(|_| oneshot::channel::<usize>()).unzip();
    let senders = std::thread::spawn(move || {
        for (i, tx) in txs.into_iter().enumerate() {
            tx.send(i).unwrap();
        }
    });
    let out = gather_all(rxs).await;
    senders.join().unwrap();
    assert_eq!(
        out.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        (0..64).collect::<Vec<_>>()
    );
}

#[test]
fn gather_all_drops_each_child_once_on_completion() {
    let d = counter();
    let out = block_on(gather_all((0..40).map(|i| tracked(&d, async move { i }))));
    assert_eq!(out.len(), 40);
    assert_eq!(d.load(SeqCst), 40);
}

#[test]
fn gather_all_drops_finished_children_at_once_and_the_rest_on_drop() {
    let d = counter();
    let (tx, rx) = oneshot::channel::<()>();
    let mut children: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
    children.push(Box::pin(tracked(&d, async {})));
    children.push(Box::pin(tracked(&d, async {
        rx.await.unwrap();
    })));
    children.push(Box::pin(tracked(&d, pending::<()>())));
    let mut g = Box::pin(gather_all(children));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    assert_eq!(
        d.load(SeqCst),
        1,
        "a finished child is dropped when it finishes"
    );
    tx.send(()).unwrap();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    assert_eq!(d.load(SeqCst), 2);
    drop(g);
    assert_eq!(d.load(SeqCst), 3);
}

#[test]
fn gather_all_panic_drops_siblings_then_resumes_with_payload() {
    let d = counter();
    let children: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..10)
        .map(|i| -> Pin<Box<dyn Future<Output = ()>>> {
            if i == 6 {
                Box::pin(tracked(&d, async { panic!("child six") }))
            } else {
                Box::pin(tracked(&d, pending::<()>()))
            }
        })
        .collect();
    let mut g = Box::pin(gather_all(children));
    let (_, w) = counting_waker();
    let err = catch_unwind(AssertUnwindSafe(|| poll_once(g.as_mut(), &w))).unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "child six");
    assert_eq!(
        d.load(SeqCst),
        10,
        "every child dropped by the time the panic left poll"
    );
    drop(g);
    assert_eq!(d.load(SeqCst), 10, "and none twice");
}

#[test]
fn gather_all_panic_reaches_block_on_caller() {
    let err = catch_unwind(|| {
        block_on(gather_all((0..3).map(|i| async move {
            if i == 1 {
                std::panic::panic_any(String::from("payload"));
            }
        })))
    })
    .unwrap_err();
    assert_eq!(err.downcast_ref::<String>().unwrap(), "payload");
}

#[test]
fn gather_all_first_poll_polls_every_child_in_input_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = pin!(gather_all((0..100).map(|id| Recorder {
        id,
        log: log.clone()
    })));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    assert_eq!(*log.borrow(), (0..100).collect::<Vec<_>>());
    // Nobody was woken: the next poll polls nobody.
    assert!(poll_once(g.as_mut(), &w).is_pending());
    assert_eq!(log.borrow().len(), 100);
}

#[test]
fn gather_all_polls_only_woken_children_in_wake_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let wakers: Rc<RefCell<Vec<Option<Waker>>>> = Rc::new(RefCell::new(vec![None; 10]));
    struct W {
        id: usize,
        log: Rc<RefCell<Vec<usize>>>,
        wakers: Rc<RefCell<Vec<Option<Waker>>>>,
    }
    impl Future for W {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.log.borrow_mut().push(self.id);
            self.wakers.borrow_mut()[self.id] = Some(cx.waker().clone());
            Poll::Pending
        }
    }
    let mut g = pin!(gather_all((0..10).map(|id| W {
        id,
        log: log.clone(),
        wakers: wakers.clone()
    })));
    let (parent, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    log.borrow_mut().clear();
    let take = |i: usize| wakers.borrow_mut()[i].take().unwrap();
    let (w7, w2) = (take(7), take(2));
    w7.wake_by_ref();
    w2.wake_by_ref();
    w7.wake_by_ref(); // duplicate: polled once
    assert_eq!(
        parent.0.load(SeqCst),
        1,
        "the parent is woken once per batch"
    );
    assert!(poll_once(g.as_mut(), &w).is_pending());
    assert_eq!(*log.borrow(), [7, 2]);
}

#[test]
fn gather_all_chain_of_10000_costs_at_most_two_polls_per_child() {
    let (c, links) = chain(10_000);
    let out = block_on(gather_all(links));
    assert_eq!(out, (0..10_000).collect::<Vec<_>>());
    let polls = c.polls.get();
    assert!(polls <= 20_000, "{polls} child polls for 10,000 children");
}

#[test]
fn gather_all_one_poll_does_bounded_work() {
    let polls = Rc::new(Cell::new(0));
    let mut g = pin!(gather_all((0..1000).map(|_| Spinner(polls.clone()))));
    let (parent, w) = counting_waker();
    for round in 1..=3 {
        assert!(poll_once(g.as_mut(), &w).is_pending());
        assert!(
            polls.get() <= 2000 * round,
            "poll {round}: {} child polls",
            polls.get()
        );
        assert!(
            parent.0.load(SeqCst) >= round,
            "the gather re-schedules itself"
        );
    }
}

#[test]
fn gather_all_does_not_starve_a_sibling_timer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let spins = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let s = spins.clone();
        let hog = tokio::spawn(gather_all((0..1000).map(move |_| {
            let s = s.clone();
            std::future::poll_fn(move |cx| {
                s.fetch_add(1, SeqCst);
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            })
        })));
        // If one poll of the gather never returned, this timer would never fire.
        tokio::time::sleep(Duration::from_millis(1)).await;
        hog.abort();
    });
    assert!(spins.load(SeqCst) >= 1000);
}

// ---------- limit ----------

/// Returns `Pending` once (after waking itself), then `Ready`.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
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
fn gather_all_limit_bounds_in_flight_and_keeps_order() {
    let active = Rc::new(Cell::new(0));
    let max = Rc::new(Cell::new(0));
    let out = block_on(
        gather_all((0..30).map(|i| {
            let (active, max) = (active.clone(), max.clone());
            async move {
                active.set(active.get() + 1);
                max.set(max.get().max(active.get()));
                for _ in 0..(i % 3) {
                    yield_once().await;
                }
                active.set(active.get() - 1);
                i
            }
        }))
        .limit(4),
    );
    assert_eq!(out, (0..30).collect::<Vec<_>>());
    assert_eq!(max.get(), 4);
}

#[tokio::test(start_paused = true)]
async fn gather_all_limit_tokio_timing() {
    let start = tokio::time::Instant::now();
    let out = gather_all((0..10u64).map(|i| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        i
    }))
    .limit(5)
    .await;
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(20),
        "two waves of five"
    );
}

#[test]
#[should_panic(expected = "the limit must be >= 1")]
fn gather_all_limit_zero_panics() {
    drop(gather_all([ready(1)]).limit(0));
}

#[test]
#[should_panic(expected = "the limit must be >= 1")]
fn try_gather_all_limit_zero_panics() {
    drop(try_gather_all([ready(Ok::<u8, ()>(1))]).limit(0));
}

// ---------- try_gather_all ----------

type BoxedTry = Pin<Box<dyn Future<Output = Result<u8, String>>>>;

#[test]
fn try_gather_all_short_circuits_above_30_children() {
    let d = counter();
    let polls = Rc::new(Cell::new(0));
    let children: Vec<BoxedTry> = (0..100)
        .map(|i| -> BoxedTry {
            let polls = polls.clone();
            Box::pin(tracked(&d, async move {
                polls.set(polls.get() + 1);
                if i == 50 {
                    Err(format!("child {i}"))
                } else {
                    pending().await
                }
            }))
        })
        .collect();
    let mut g = pin!(try_gather_all(children));
    let (_, w) = counting_waker();
    assert_eq!(
        poll_once(g.as_mut(), &w),
        Poll::Ready(Err("child 50".to_string()))
    );
    assert_eq!(polls.get(), 51, "input order, stopping at the first Err");
    assert_eq!(
        d.load(SeqCst),
        100,
        "every child dropped when the Err arrived"
    );
}

#[test]
fn try_gather_all_ok_in_order() {
    let r = block_on(try_gather_all(
        (0..40).map(|i| async move { Ok::<_, ()>(i) }),
    ));
    assert_eq!(r, Ok((0..40).collect::<Vec<_>>()));
    let r = block_on(try_gather_all((0..40).map(|i| async move { Ok::<_, ()>(i) })).limit(3));
    assert_eq!(r, Ok((0..40).collect::<Vec<_>>()));
}

#[tokio::test(start_paused = true)]
async fn try_gather_all_tokio_err_cancels_the_rest() {
    let d = counter();
    let start = tokio::time::Instant::now();
    let r = try_gather_all((0..10u64).map(|i| {
        tracked(&d, async move {
            tokio::time::sleep(Duration::from_millis(if i == 3 { 5 } else { 1000 })).await;
            if i == 3 { Err(i) } else { Ok(i) }
        })
    }))
    .await;
    assert_eq!(r, Err(3));
    assert_eq!(start.elapsed(), Duration::from_millis(5));
    assert_eq!(d.load(SeqCst), 10);
}

// ---------- as_completed ----------

#[test]
fn as_completed_yields_in_completion_order() {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..3).map(|_| oneshot::channel::<usize>()).unzip();
    let mut s = as_completed(rxs.into_iter().map(|rx| async move { rx.await.unwrap() }));
    let (_, w) = counting_waker();
    let mut cx = Context::from_waker(&w);
    assert!(s.poll_next_unpin(&mut cx).is_pending());
    let mut txs: Vec<Option<_>> = txs.into_iter().map(Some).collect();
    let mut got = Vec::new();
    for i in [2, 0, 1] {
        txs[i].take().unwrap().send(i).unwrap();
        match s.poll_next_unpin(&mut cx) {
            Poll::Ready(Some(v)) => got.push(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, [2, 0, 1]);
    assert_eq!(s.poll_next_unpin(&mut cx), Poll::Ready(None));
}

#[tokio::test(start_paused = true)]
async fn as_completed_tokio_and_drop_cancels_the_rest() {
    let d = counter();
    let mut s = as_completed([30u64, 10, 20].map(|ms| {
        tracked(&d, async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
    }));
    assert_eq!(s.next().await, Some(10));
    assert_eq!(s.next().await, Some(20));
    assert_eq!(d.load(SeqCst), 2);
    drop(s);
    assert_eq!(d.load(SeqCst), 3);
}

#[test]
fn as_completed_chain_costs_at_most_two_polls_per_child() {
    let (c, links) = chain(10_000);
    let got: Vec<usize> = block_on(as_completed(links).collect());
    assert_eq!(got.len(), 10_000);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10_000).collect::<Vec<_>>());
    assert!(c.polls.get() <= 20_000, "{} polls", c.polls.get());
}

// ---------- race_all ----------

#[test]
fn race_all_winner_and_losers_dropped() {
    let d = counter();
    let (tx, rx) = oneshot::channel::<u8>();
    let mut children: Vec<Pin<Box<dyn Future<Output = u8>>>> = Vec::new();
    children.push(Box::pin(tracked(&d, pending::<u8>())));
    children.push(Box::pin(tracked(&d, async { rx.await.unwrap() })));
    children.push(Box::pin(tracked(&d, pending::<u8>())));
    let mut g = pin!(race_all(children));
    let (_, w) = counting_waker();
    assert!(poll_once(g.as_mut(), &w).is_pending());
    tx.send(5).unwrap();
    assert_eq!(poll_once(g.as_mut(), &w), Poll::Ready(5));
    assert_eq!(d.load(SeqCst), 3);
}

#[test]
fn race_all_is_not_biased() {
    let mut wins = [0; 4];
    for _ in 0..400 {
        wins[block_on(race_all((0..4).map(ready)))] += 1;
    }
    for w in wins {
        assert!(w >= 50, "unfair: {wins:?}");
    }
}

#[test]
#[should_panic(expected = "race_all needs at least one future")]
fn race_all_empty_panics() {
    drop(race_all(Vec::<std::future::Ready<u8>>::new()));
}

#[tokio::test(start_paused = true)]
async fn race_all_tokio() {
    let w = race_all([30u64, 10, 20].map(|ms| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }))
    .await;
    assert_eq!(w, 10);
}
