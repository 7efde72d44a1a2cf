//! The runtime types behind `gather!`, `try_gather!` and `race!` (fixed arity).
//!
//! The macros expand to a recursive cons-list of children, `Cons<F1, Cons<F2, Nil>>`,
//! wrapped in [`Gather`], [`TryGather`] or [`Race`]. Everything lives inline in the
//! returned future: no heap allocation, and no `unsafe` in the expansion (pinning is
//! projected here with `pin-project-lite`), so crates with `#![forbid(unsafe_code)]` can
//! use the macros.
//!
//! **Scheduling.** Each poll polls every unfinished child, starting one child later than
//! the previous poll (the start index rotates, as in `tokio::join!`), so no child is
//! starved by its elder siblings. We chose this over per-child wakers because a
//! per-child waker must outlive the future (a child may keep a clone), which needs a
//! heap allocation; for the handful of children a macro call holds, re-polling the
//! unfinished ones is cheaper than that allocation. For many children use
//! [`gather_all`](super::gather_all), which polls only woken children.
//!
//! **Panics.** A child's panic (in its poll, or in the `Drop` of its finished future)
//! is caught (`catch_unwind`, zero cost when nothing panics); every other child is then
//! dropped outside the unwind, each `Drop`'s panic caught and discarded, and the first
//! panic continues with its original payload. A `try_gather!`'s first `Err` and a
//! `race!`'s winner end the join the same way: the siblings' `Drop` panics never
//! replace them.
//!
//! These types are public only so that the macros can name them; use the macros.

use core::future::{Future, IntoFuture};
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use pin_project_lite::pin_project;

use super::unwind::{Payload, caught, drop_quietly};

pin_project! {
    /// One child of a join: running, finished with its output stored, or gone.
    #[doc(hidden)]
    #[project = SlotProj]
    #[project_replace = SlotReplace]
    pub enum Slot<F, O> {
        /// Still running.
        Pending { #[pin] fut: F },
        /// Finished; its output waits to be taken.
        Done { out: O },
        /// Output taken, or dropped early.
        Gone,
    }
}

impl<F, O> Slot<F, O> {
    /// A running slot.
    #[inline]
    pub fn new(fut: F) -> Self {
        Slot::Pending { fut }
    }

    /// Takes the stored output. Panics if the slot is not `Done` (a bug in this crate).
    #[inline]
    pub(crate) fn take(self: Pin<&mut Self>) -> O {
        match self.project_replace(Slot::Gone) {
            SlotReplace::Done { out } => out,
            _ => unreachable!("asyncio: output taken from an unfinished child"),
        }
    }

    /// The stored output of a finished slot, by value (its future is gone, so the
    /// slot is no longer pinned). Panics if the slot is not `Done` (a bug in this crate).
    #[inline]
    pub(crate) fn into_out(self) -> O {
        match self {
            Slot::Done { out } => out,
            _ => unreachable!("asyncio: output taken from an unfinished child"),
        }
    }
}

/// A macro argument on its way to becoming a child future.
///
/// The macros call `(&mut Arg(Some(arg))).__asyncio_into_child()`. Method resolution
/// picks [`IntoChild`] when the argument is `IntoFuture` (the impl on `Arg<T>` is found
/// before the one on `&mut Arg<T>`), and [`NotAFutureFallback`] otherwise, whose `T:
/// IsFuture` bound reports one "`T` is not a future" error at the argument and returns
/// a placeholder future, so no follow-on error appears.
#[doc(hidden)]
pub struct Arg<T>(pub Option<T>);

/// The path taken by arguments that are `IntoFuture`.
#[doc(hidden)]
pub trait IntoChild {
    /// The future.
    type Fut: Future;
    /// Converts the argument.
    fn __asyncio_into_child(&mut self) -> Self::Fut;
}

impl<T: IntoFuture> IntoChild for Arg<T> {
    type Fut = T::IntoFuture;
    #[inline(always)]
    fn __asyncio_into_child(&mut self) -> T::IntoFuture {
        match self.0.take() {
            Some(t) => t.into_future(),
            None => unreachable!(),
        }
    }
}

/// Never implemented for a type that is not a future: its only job is the message.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a future",
    label = "not a future",
    note = "`gather!`, `try_gather!` and `race!` take futures or `IntoFuture` values; did you forget to call an `async fn`, or to wrap a value in `async {{ .. }}`?"
)]
pub trait IsFuture {}

impl<F: IntoFuture> IsFuture for F {}

/// The path taken by arguments that are not `IntoFuture`: reports the error.
#[doc(hidden)]
pub trait NotAFutureFallback<T> {
    /// Reports "`T` is not a future" and returns a placeholder.
    fn __asyncio_into_child<O>(&mut self) -> NotAFuture<O>
    where
        T: IsFuture;
}

impl<T> NotAFutureFallback<T> for &mut Arg<T> {
    fn __asyncio_into_child<O>(&mut self) -> NotAFuture<O>
    where
        T: IsFuture,
    {
        NotAFuture(PhantomData)
    }
}

/// Placeholder child for an argument that is not a future (only exists in code that
/// fails to compile).
#[doc(hidden)]
pub struct NotAFuture<O>(PhantomData<fn() -> O>);

impl<O> Future for NotAFuture<O> {
    type Output = O;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<O> {
        Poll::Pending
    }
}

/// The end of a cons-list of children.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Nil;

pin_project! {
    /// A child followed by the rest of the list.
    #[doc(hidden)]
    pub struct Cons<H, T, O> {
        #[pin]
        head: Slot<H, O>,
        #[pin]
        tail: T,
    }
}

impl<H, T, O> Cons<H, T, O> {
    /// Prepends `head` to `tail`.
    #[inline(always)]
    pub fn new(head: H, tail: T) -> Self {
        Cons {
            head: Slot::new(head),
            tail,
        }
    }
}

/// Operations every list supports.
#[doc(hidden)]
pub trait List {
    /// Number of children.
    const LEN: usize;
    /// Drops every child and stored output in place, outside any unwind: a `Drop` that
    /// panics is caught and its payload discarded (this runs after the join's first
    /// failure), and the next child is dropped.
    fn drop_all(self: Pin<&mut Self>);
}

impl List for Nil {
    const LEN: usize = 0;
    #[inline(always)]
    fn drop_all(self: Pin<&mut Self>) {}
}

impl<H, T: List, O> List for Cons<H, T, O> {
    const LEN: usize = 1 + T::LEN;
    #[inline(always)]
    fn drop_all(self: Pin<&mut Self>) {
        let mut this = self.project();
        // `Pin::set` writes `Gone` even when the old value's `Drop` unwinds.
        if let Some(p) = caught(|| this.head.set(Slot::Gone)) {
            drop_quietly(p);
        }
        this.tail.drop_all();
    }
}

/// A list whose children's outputs are collected as they are (`gather!`).
#[doc(hidden)]
pub trait JoinList: List {
    /// The nested tuple `(O1, (O2, ... ()))` of outputs.
    type Output;
    /// Polls the unfinished children whose index `i` (this node is `idx`) lies in
    /// `lo..hi`; returns whether every child in that range is finished.
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> bool;
    /// Takes every output. Only called once all children are finished.
    fn take(self: Pin<&mut Self>) -> Self::Output;
}

impl JoinList for Nil {
    type Output = ();
    #[inline(always)]
    fn poll_range(self: Pin<&mut Self>, _: &mut Context<'_>, _: usize, _: usize, _: usize) -> bool {
        true
    }
    #[inline(always)]
    fn take(self: Pin<&mut Self>) -> Self::Output {}
}

impl<H: Future, T: JoinList> JoinList for Cons<H, T, H::Output> {
    type Output = (H::Output, T::Output);
    #[inline(always)]
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> bool {
        let mut this = self.project();
        let mut done = true;
        if idx >= lo && idx < hi {
            if let SlotProj::Pending { fut } = this.head.as_mut().project() {
                match fut.poll(cx) {
                    Poll::Ready(out) => this.head.set(Slot::Done { out }),
                    Poll::Pending => done = false,
                }
            }
        }
        // `&` (not `&&`): the rest of the range is polled whatever this child did.
        done & this.tail.poll_range(cx, idx + 1, lo, hi)
    }
    #[inline(always)]
    fn take(self: Pin<&mut Self>) -> Self::Output {
        let this = self.project();
        (this.head.take(), this.tail.take())
    }
}

/// A list of `Result` children whose first `Err` ends the join (`try_gather!`).
#[doc(hidden)]
pub trait TryJoinList<E>: List {
    /// The nested tuple `(T1, (T2, ... ()))` of `Ok` values.
    type Output;
    /// Like [`JoinList::poll_range`], but stops at the first `Err` and returns it.
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> Result<bool, E>;
    /// Takes every `Ok` value. Only called once all children are finished.
    fn take(self: Pin<&mut Self>) -> Self::Output;
}

impl<E> TryJoinList<E> for Nil {
    type Output = ();
    #[inline(always)]
    fn poll_range(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: usize,
        _: usize,
        _: usize,
    ) -> Result<bool, E> {
        Ok(true)
    }
    #[inline(always)]
    fn take(self: Pin<&mut Self>) -> Self::Output {}
}

impl<H, T, V, E> TryJoinList<E> for Cons<H, T, V>
where
    H: Future<Output = Result<V, E>>,
    T: TryJoinList<E>,
{
    type Output = (V, T::Output);
    #[inline(always)]
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> Result<bool, E> {
        let mut this = self.project();
        let mut done = true;
        if idx >= lo && idx < hi {
            if let SlotProj::Pending { fut } = this.head.as_mut().project() {
                match fut.poll(cx) {
                    Poll::Ready(Ok(out)) => this.head.set(Slot::Done { out }),
                    Poll::Ready(Err(e)) => return Err(e),
                    Poll::Pending => done = false,
                }
            }
        }
        Ok(done & this.tail.poll_range(cx, idx + 1, lo, hi)?)
    }
    #[inline(always)]
    fn take(self: Pin<&mut Self>) -> Self::Output {
        let this = self.project();
        (this.head.take(), this.tail.take())
    }
}

/// A list whose first finished child wins (`race!`).
#[doc(hidden)]
pub trait RaceList<O>: List {
    /// Polls the children in `lo..hi`; returns the first output.
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> Option<O>;
}

impl<O> RaceList<O> for Nil {
    #[inline(always)]
    fn poll_range(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: usize,
        _: usize,
        _: usize,
    ) -> Option<O> {
        None
    }
}

impl<H, T, O> RaceList<O> for Cons<H, T, ()>
where
    H: Future<Output = O>,
    T: RaceList<O>,
{
    #[inline(always)]
    fn poll_range(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        idx: usize,
        lo: usize,
        hi: usize,
    ) -> Option<O> {
        let this = self.project();
        if idx >= lo && idx < hi {
            if let SlotProj::Pending { fut } = this.head.project() {
                if let Poll::Ready(out) = fut.poll(cx) {
                    return Some(out);
                }
            }
        }
        this.tail.poll_range(cx, idx + 1, lo, hi)
    }
}

/// A child panicked (the panic was caught): drop every child quietly, then let the
/// panic go on with its payload.
#[cold]
#[inline(never)]
fn fail<L: List>(list: Pin<&mut L>, payload: Payload) -> ! {
    list.drop_all();
    resume_unwind(payload)
}

pin_project! {
    /// The future returned by `gather!`: every child's output, in argument order.
    ///
    /// See the module docs for how children are scheduled.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Gather<L, M> {
        #[pin]
        list: L,
        map: M,
        start: usize,
        finished: bool,
    }
}

pin_project! {
    /// The future returned by `try_gather!`: every child's `Ok` value in argument
    /// order, or the first `Err` (the other children are dropped at once).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TryGather<L, M, E> {
        #[pin]
        list: L,
        map: M,
        start: usize,
        finished: bool,
        error: PhantomData<fn() -> E>,
    }
}

pin_project! {
    /// The future returned by `race!`: the output of the first child to finish (the
    /// others are dropped).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Race<L, O> {
        #[pin]
        list: L,
        start: usize,
        finished: bool,
        output: PhantomData<fn() -> O>,
    }
}

impl<L: JoinList, M: Fn(L::Output) -> T, T> Gather<L, M> {
    /// Wraps a list of children; `map` flattens the nested output tuple.
    #[inline(always)]
    pub fn new(list: L, map: M) -> Self {
        Gather {
            list,
            map,
            start: 0,
            finished: false,
        }
    }
}

impl<L: JoinList, M: Fn(L::Output) -> T, T> Future for Gather<L, M> {
    type Output = T;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        assert!(!*this.finished, "`gather!` polled after it completed");
        let start = *this.start;
        *this.start = if start + 1 >= L::LEN { 0 } else { start + 1 };
        let mut list = this.list;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let mut done = list.as_mut().poll_range(cx, 0, start, L::LEN);
            if start != 0 {
                done &= list.as_mut().poll_range(cx, 0, 0, start);
            }
            done
        }));
        let done = match polled {
            Ok(done) => done,
            Err(payload) => {
                *this.finished = true;
                fail(list, payload)
            }
        };
        if done {
            *this.finished = true;
            Poll::Ready((this.map)(list.take()))
        } else {
            Poll::Pending
        }
    }
}

impl<L, M, T, E> TryGather<L, M, E>
where
    L: TryJoinList<E>,
    M: Fn(L::Output) -> T,
{
    /// Wraps a list of `Result` children; `map` flattens the nested output tuple.
    #[inline(always)]
    pub fn new(list: L, map: M) -> Self {
        TryGather {
            list,
            map,
            start: 0,
            finished: false,
            error: PhantomData,
        }
    }
}

impl<L, M, T, E> Future for TryGather<L, M, E>
where
    L: TryJoinList<E>,
    M: Fn(L::Output) -> T,
{
    type Output = Result<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let this = self.project();
        assert!(!*this.finished, "`try_gather!` polled after it completed");
        let start = *this.start;
        *this.start = if start + 1 >= L::LEN { 0 } else { start + 1 };
        let mut list = this.list;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            match list.as_mut().poll_range(cx, 0, start, L::LEN) {
                Ok(a) if start == 0 => Ok(a),
                Ok(a) => list.as_mut().poll_range(cx, 0, 0, start).map(|b| a & b),
                Err(e) => Err(e),
            }
        }));
        let res = match polled {
            Ok(res) => res,
            Err(payload) => {
                *this.finished = true;
                fail(list, payload)
            }
        };
        match res {
            Ok(false) => Poll::Pending,
            Ok(true) => {
                *this.finished = true;
                Poll::Ready(Ok((this.map)(list.take())))
            }
            Err(e) => {
                // The child that failed is still in its slot: its `Drop` is part of the
                // clean-up too, and cannot replace `e`.
                *this.finished = true;
                list.drop_all();
                Poll::Ready(Err(e))
            }
        }
    }
}

impl<L: RaceList<O>, O> Race<L, O> {
    /// Wraps a list of children with the same output type. The first poll starts at a
    /// child chosen by a per-thread counter, so no argument is favoured when several are
    /// ready at once.
    #[inline(always)]
    pub fn new(list: L) -> Self {
        Race {
            list,
            start: super::next_start(L::LEN),
            finished: false,
            output: PhantomData,
        }
    }
}

impl<L: RaceList<O>, O> Future for Race<L, O> {
    type Output = O;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        let this = self.project();
        assert!(!*this.finished, "`race!` polled after it completed");
        let start = *this.start;
        *this.start = if start + 1 >= L::LEN { 0 } else { start + 1 };
        let mut list = this.list;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            match list.as_mut().poll_range(cx, 0, start, L::LEN) {
                Some(out) => Some(out),
                None if start == 0 => None,
                None => list.as_mut().poll_range(cx, 0, 0, start),
            }
        }));
        let res = match polled {
            Ok(res) => res,
            Err(payload) => {
                *this.finished = true;
                fail(list, payload)
            }
        };
        match res {
            Some(out) => {
                // The winner is still in its slot: its `Drop` and the losers' are the
                // clean-up, and cannot replace `out`.
                *this.finished = true;
                list.drop_all();
                Poll::Ready(out)
            }
            None => Poll::Pending,
        }
    }
}
