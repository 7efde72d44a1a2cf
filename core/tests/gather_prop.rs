//! Property test: `gather_all`, `try_gather_all`, `as_completed` and `race_all` driven by
//! a deterministic hand-written executor over random completion orders, duplicated
//! wakes and random cancellation points. Checks: outputs, "only woken children are
//! polled", no lost wake-ups, bounded work per poll, each child dropped exactly once.
//!
//! `gather_small_deterministic_runs` runs the same checks on a few fixed scripts and is
//! small enough for Miri (`cargo +nightly miri test -p asyncio-core --test gather_prop`).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};

use asyncio_core::gather::{as_completed, gather_all, race_all, try_gather_all};
use futures::Stream;
use proptest::prelude::*;

#[derive(Default)]
struct World {
    /// The waker each pending child last registered.
    wakers: Vec<Option<Waker>>,
    /// Set when the executor wakes a child; a child polled without it set (after its
    /// first poll) was polled without being woken.
    woken: Vec<bool>,
    polled_once: Vec<bool>,
    polls: usize,
    drops: Vec<usize>,
}

struct Child {
    id: usize,
    steps_left: usize,
    fail: bool,
    world: Rc<RefCell<World>>,
}

impl Future for Child {
    type Output = Result<usize, usize>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        {
            let mut w = self.world.borrow_mut();
            w.polls += 1;
            if w.polled_once[id] {
                assert!(w.woken[id], "child {id} polled without being woken");
            }
            w.polled_once[id] = true;
            w.woken[id] = false;
        }
        if self.steps_left == 0 {
            return Poll::Ready(if self.fail { Err(id) } else { Ok(id) });
        }
        self.steps_left -= 1;
        self.world.borrow_mut().wakers[id] = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.world.borrow_mut().drops[self.id] += 1;
    }
}

struct Flag(AtomicBool);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Gather,
    TryGather,
    AsCompleted,
    Race,
}

#[derive(Debug, Clone)]
enum Op {
    /// Wake child `i % n` (if it has a waker), `dup` extra times.
    Wake(usize, u8),
    /// Poll the join if its waker fired.
    Poll,
    /// Drop the join now.
    Cancel,
}

/// A type-erased join under test: poll once, report whether it finished.
trait Join {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Option<Vec<Result<usize, usize>>>;
}

struct G<F>(Pin<Box<F>>);
impl<F: Future<Output = Vec<Result<usize, usize>>>> Join for G<F> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Option<Vec<Result<usize, usize>>> {
        match self.0.as_mut().poll(cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }
}

struct T<F>(Pin<Box<F>>);
impl<F: Future<Output = Result<Vec<usize>, usize>>> Join for T<F> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Option<Vec<Result<usize, usize>>> {
        match self.0.as_mut().poll(cx) {
            Poll::Ready(Ok(v)) => Some(v.into_iter().map(Ok).collect()),
            Poll::Ready(Err(e)) => Some(vec![Err(e)]),
            Poll::Pending => None,
        }
    }
}

struct S<St> {
    stream: Pin<Box<St>>,
    got: Vec<Result<usize, usize>>,
}
impl<St: Stream<Item = Result<usize, usize>>> Join for S<St> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Option<Vec<Result<usize, usize>>> {
        loop {
            match self.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(v)) => self.got.push(v),
                Poll::Ready(None) => return Some(std::mem::take(&mut self.got)),
                Poll::Pending => return None,
            }
        }
    }
}

struct R<F>(Pin<Box<F>>);
impl<F: Future<Output = Result<usize, usize>>> Join for R<F> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Option<Vec<Result<usize, usize>>> {
        match self.0.as_mut().poll(cx) {
            Poll::Ready(v) => Some(vec![v]),
            Poll::Pending => None,
        }
    }
}

/// Runs one script; panics (failing the property) on any violated invariant.
fn run(mode: Mode, steps: &[usize], fail_at: Option<usize>, limit: Option<usize>, ops: &[Op]) {
    let n = steps.len();
    let world = Rc::new(RefCell::new(World {
        wakers: vec![None; n],
        woken: vec![false; n],
        polled_once: vec![false; n],
        polls: 0,
        drops: vec![0; n],
    }));
    let children = (0..n).map(|id| Child {
        id,
        steps_left: steps[id],
        fail: fail_at == Some(id),
        world: world.clone(),
    });
    let mut join: Box<dyn Join> = match mode {
        Mode::Gather => {
            let g = gather_all(children);
            Box::new(G(Box::pin(match limit {
                Some(l) => g.limit(l),
                None => g,
            })))
        }
        Mode::TryGather => {
            let g = try_gather_all(children);
            Box::new(T(Box::pin(match limit {
                Some(l) => g.limit(l),
                None => g,
            })))
        }
        Mode::AsCompleted => Box::new(S {
            stream: Box::pin(as_completed(children)),
            got: Vec::new(),
        }),
        Mode::Race => Box::new(R(Box::pin(race_all(children)))),
    };
    let flag = Arc::new(Flag(AtomicBool::new(true)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut result = None;

    let wake = |world: &Rc<RefCell<World>>, i: usize, dup: u8| -> bool {
        let w = {
            let mut wd = world.borrow_mut();
            let Some(w) = wd.wakers[i].take() else {
                return false;
            };
            wd.woken[i] = true;
            w
        };
        for _ in 0..dup {
            w.wake_by_ref();
        }
        w.wake();
        true
    };
    let mut poll = |join: &mut Box<dyn Join>, result: &mut Option<_>| {
        if result.is_some() || !flag.0.swap(false, SeqCst) {
            return;
        }
        let before = world.borrow().polls;
        *result = join.poll_join(&mut cx);
        let did = world.borrow().polls - before;
        assert!(
            did <= 2 * n.max(1),
            "one poll polled {did} children (n = {n})"
        );
    };

    let mut cancelled = false;
    for op in ops {
        match op {
            Op::Wake(i, dup) if n > 0 => {
                wake(&world, i % n, *dup % 3);
            }
            Op::Wake(..) => {}
            Op::Poll => poll(&mut join, &mut result),
            Op::Cancel => {
                cancelled = true;
                break;
            }
        }
    }
    if !cancelled {
        // Drive to completion: wake everyone who waits, poll when woken.
        let mut rounds = 0;
        while result.is_none() {
            rounds += 1;
            assert!(rounds < 10 * (n + 10), "no progress");
            let mut any = false;
            for i in 0..n {
                any |= wake(&world, i, 0);
            }
            if any {
                assert!(
                    flag.0.load(SeqCst),
                    "a child was woken but the join's waker was not"
                );
            }
            poll(&mut join, &mut result);
        }
        let out = result.take().unwrap();
        match mode {
            Mode::Gather => {
                assert_eq!(
                    out,
                    (0..n)
                        .map(|i| if fail_at == Some(i) { Err(i) } else { Ok(i) })
                        .collect::<Vec<_>>()
                );
            }
            Mode::TryGather => match fail_at {
                Some(f) if f < n => assert_eq!(out, vec![Err(f)]),
                _ => assert_eq!(out, (0..n).map(Ok).collect::<Vec<_>>()),
            },
            Mode::AsCompleted => {
                let mut ids: Vec<usize> = out
                    .iter()
                    .map(|r| match r {
                        Ok(i) | Err(i) => *i,
                    })
                    .collect();
                ids.sort();
                assert_eq!(ids, (0..n).collect::<Vec<_>>());
            }
            Mode::Race => assert_eq!(out.len(), 1),
        }
    }
    drop(join);
    let w = world.borrow();
    assert!(w.drops.iter().all(|&d| d == 1), "drop counts {:?}", w.drops);
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, d)| Op::Wake(i, d)),
        4 => Just(Op::Poll),
        1 => Just(Op::Cancel),
    ]
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Gather),
        Just(Mode::TryGather),
        Just(Mode::AsCompleted),
        Just(Mode::Race)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    #[cfg_attr(miri, ignore = "proptest's failure persistence needs the file system")]
    fn gather_random_schedules(
        mode in mode(),
        steps in prop::collection::vec(0usize..4, 1..24),
        fail_at in prop::option::of(0usize..24),
        limit in prop::option::of(1usize..6),
        ops in prop::collection::vec(op(), 0..80),
    ) {
        run(mode, &steps, fail_at, limit, &ops);
    }
}

#[test]
fn gather_small_deterministic_runs() {
    let ops = [
        Op::Poll,
        Op::Wake(1, 2),
        Op::Wake(0, 0),
        Op::Poll,
        Op::Wake(2, 1),
        Op::Poll,
    ];
    for mode in [Mode::Gather, Mode::TryGather, Mode::AsCompleted, Mode::Race] {
        run(mode, &[2, 0, 1, 3], None, None, &ops);
        run(mode, &[2, 0, 1, 3], Some(2), Some(2), &ops);
        run(
            mode,
            &[1, 1, 1],
            None,
            Some(1),
            &[Op::Poll, Op::Wake(0, 1), Op::Cancel],
        );
    }
}
