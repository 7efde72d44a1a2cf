//! The stream: [`generator`] and [`try_generator`], and the body's state.

use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use super::slot::Slot;
use super::yielder::Co;

/// The body of a [`generator`]: an async closure that takes the yielder,
/// `async |co| { … }`, for every lifetime of the yielder (so `co` cannot leave the body).
///
/// Implemented for every such closure (and `async fn`); not meant to be implemented
/// by hand.
#[diagnostic::on_unimplemented(
    message = "a generator's body is an async closure: write `generator(async |co| {{ … }})`",
    label = "not an `async |co| {{ … }}` closure"
)]
pub trait GeneratorBody<T>: for<'a> AsyncFnOnce(Co<'a, T>) {}

impl<T, F: for<'a> AsyncFnOnce(Co<'a, T>)> GeneratorBody<T> for F {}

/// The body of a [`try_generator`]: `async |co| { …?; Ok(()) }`, for every lifetime of
/// the yielder.
///
/// Implemented for every such closure (and `async fn`); not meant to be implemented
/// by hand.
#[diagnostic::on_unimplemented(
    message = "a fallible generator's body is an async closure returning `Result<(), E>`: write `try_generator(async |co| {{ …; Ok(()) }})`",
    label = "not an `async |co| {{ …; Ok(()) }}` closure"
)]
pub trait TryGeneratorBody<T, E>: for<'a> AsyncFnOnce(Co<'a, T>) -> Result<(), E> {}

impl<T, E, F: for<'a> AsyncFnOnce(Co<'a, T>) -> Result<(), E>> TryGeneratorBody<T, E> for F {}

pin_project_lite::pin_project! {
    #[project = StateProj]
    #[project_replace = StateOwned]
    enum State<S, Fut> {
        /// `start` calls the body closure with a `Co` for the slot.
        Init { start: S },
        Running { #[pin] body: Fut },
        Done,
    }
}

pin_project_lite::pin_project! {
    /// The stream of both [`generator`] (`R = ()`) and [`try_generator`]
    /// (`R = Result<(), E>`): the body and the slot it yields into.
    ///
    /// The slot is written on the first poll, once the generator is pinned, and is
    /// initialised exactly when `state` is not `Init`: nothing but the closure is written
    /// when the generator is made, so moving it before the first poll (into the stream's
    /// owner, into a task) copies memory that was not just stored to.
    #[must_use = "streams do nothing unless polled (iterate with `async_for!` or `StreamExt::next`)"]
    struct Generator<T, S, Fut, R> {
        #[pin]
        state: State<S, Fut>,
        #[pin]
        slot: MaybeUninit<Slot<T>>,
        // What the body returned in the poll a value was in place: the stream's end next.
        last: Option<R>,
    }

    impl<T, S, Fut, R> PinnedDrop for Generator<T, S, Fut, R> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let started = !matches!(this.state.as_mut().project(), StateProj::Init { .. });
            // The body (and the `Co`s and `Yield`s inside it) goes before the slot they
            // point to.
            this.state.set(State::Done);
            if started {
                // SAFETY: started, so the slot is initialised; it is dropped in place (it
                // is pinned), once: the field itself is a `MaybeUninit`.
                unsafe { this.slot.get_unchecked_mut().assume_init_drop() };
            }
        }
    }
}

/// What a body returns — `()` or `Result<(), E>` — and the items that makes.
trait Outcome<T> {
    type Item;
    fn item(value: T) -> Self::Item;
    /// The stream's last item when the body returned this.
    fn last(self) -> Option<Self::Item>;
}

impl<T> Outcome<T> for () {
    type Item = T;
    fn item(value: T) -> T {
        value
    }
    fn last(self) -> Option<T> {
        None
    }
}

impl<T, E> Outcome<T> for Result<(), E> {
    type Item = Result<T, E>;
    fn item(value: T) -> Result<T, E> {
        Ok(value)
    }
    fn last(self) -> Option<Result<T, E>> {
        self.err().map(Err)
    }
}

impl<T, S, Fut> Generator<T, S, Fut, Fut::Output>
where
    S: FnOnce(*const Slot<T>) -> Fut,
    Fut: Future,
{
    fn new(start: S) -> Self {
        Generator {
            state: State::Init { start },
            slot: MaybeUninit::uninit(),
            last: None,
        }
    }

    /// First poll: writes the slot, then makes the body (moves the closure into its
    /// future).
    #[inline(always)]
    fn start(state: Pin<&mut State<S, Fut>>, slot: Pin<&mut MaybeUninit<Slot<T>>>) {
        let mut state = state;
        // SAFETY: the slot is written in place, not moved; it was uninitialised (state
        // `Init`), and the state leaves `Init` right after, which marks it initialised.
        let slot: &Slot<T> = unsafe { slot.get_unchecked_mut() }.write(Slot::new());
        if let StateOwned::Init { start } = state.as_mut().project_replace(State::Done) {
            state.set(State::Running { body: start(slot) });
        }
    }
}

impl<T, S, Fut> Stream for Generator<T, S, Fut, Fut::Output>
where
    S: FnOnce(*const Slot<T>) -> Fut,
    Fut: Future<Output: Outcome<T>>,
{
    type Item = <Fut::Output as Outcome<T>>::Item;

    // `inline(always)`: the hot loop is `poll_next` → body → `Yield::poll` → `take`; kept
    // in one function, LLVM sees the whole handshake.
    #[inline(always)]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Some(out) = this.last.take() {
            return Poll::Ready(out.last());
        }
        if let StateProj::Init { .. } = this.state.as_mut().project() {
            Self::start(this.state.as_mut(), this.slot.as_mut());
        }
        let StateProj::Running { body } = this.state.as_mut().project() else {
            return Poll::Ready(None);
        };
        // SAFETY: not `Init`, so the slot is initialised (see `Generator`).
        let slot: &Slot<T> = unsafe { this.slot.as_ref().get_ref().assume_init_ref() };
        if slot.is_poisoned() {
            // The previous poll of the body panicked: the generator is finished. (A value
            // a child put in place before the panic is dropped with the slot.)
            this.state.set(State::Done);
            return Poll::Ready(None);
        }
        let res = slot.enter(cx, |cx| body.poll(cx));
        // An item first, even if the body also finished in this poll.
        let item = slot.take().map(<Fut::Output as Outcome<T>>::item);
        let Poll::Ready(out) = res else {
            return item.map_or(Poll::Pending, |v| Poll::Ready(Some(v)));
        };
        // Drops the body; the slot (empty now) stays until the generator goes.
        this.state.set(State::Done);
        match item {
            Some(v) => {
                *this.last = Some(out);
                Poll::Ready(Some(v))
            }
            None => Poll::Ready(out.last()),
        }
    }
}

impl<T, S, Fut> FusedStream for Generator<T, S, Fut, Fut::Output>
where
    S: FnOnce(*const Slot<T>) -> Fut,
    Fut: Future<Output: Outcome<T>>,
{
    fn is_terminated(&self) -> bool {
        self.last.is_none() && matches!(self.state, State::Done)
    }
}

/// The start closure: calls `body` with a yielder for the slot.
///
/// `'g` is the yielder's lifetime in the stored body future's type. The body is an async
/// closure for *every* lifetime (`for<'a> AsyncFnOnce(Co<'a, T>)`), so it cannot rely
/// on `'g`: it can keep `co` no longer than itself. The body lives in the same pinned
/// `Generator` as the slot and is dropped first (its drop), so `co` never outlives the
/// slot.
fn start_with<'g, T: 'g, F, Fut>(body: F) -> impl FnOnce(*const Slot<T>) -> Fut
where
    F: FnOnce(Co<'g, T>) -> Fut,
{
    move |slot| {
        // SAFETY: `slot` points into the pinned `Generator` that will own the returned
        // body future, and outlives it (see above); it is only used through shared
        // references.
        let slot = unsafe { &*slot };
        body(Co { slot })
    }
}

/// Makes an async generator: a [`Stream`] whose items are the values the body yields
/// with [`Co::yield_`] (Python's `async def` with `yield`).
///
/// The body is an async closure that receives the yielder: `async |co| { … }` (or an
/// `async fn(Co<'_, T>)`). Nothing runs until the stream is first polled; after that the
/// body runs only while the consumer waits for an item, and stops at every `yield_`
/// until the next one is asked for. The stream ends when the body returns. Dropping the
/// stream drops the body wherever it is suspended (its locals' destructors run). A panic
/// in the body resumes in the consumer's poll with the original payload, and the stream
/// is finished afterwards.
///
/// The yielder is borrowed from the generator (nothing is allocated, per generator or
/// per item; children that yield through their own `Context` share one wait list), so
/// it cannot leave the body: moving `co` into a spawned task or thread is a
/// compile error. The stream is `Send` when the body is, and implements [`FusedStream`].
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::generator;
/// use futures::{Stream, StreamExt};
///
/// // async def count_to(n):
/// //     for i in range(n):
/// //         yield i
/// fn count_to(n: u32) -> impl Stream<Item = u32> {
///     generator(async move |co| {
///         for i in 0..n {
///             co.yield_(i).await;
///         }
///     })
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(count_to(3).collect::<Vec<_>>().await, [0, 1, 2]);
/// # });
/// ```
pub fn generator<'g, T: 'g, F, Fut>(body: F) -> impl FusedStream<Item = T>
where
    F: GeneratorBody<T> + FnOnce(Co<'g, T>) -> Fut,
    Fut: Future<Output = ()>,
{
    Generator::new(start_with(body))
}

/// Makes a fallible async generator: a stream of `Result<T, E>`.
///
/// Like [`generator`], but the body returns `Result<(), E>`, so `?` works inside it.
/// Each yielded value arrives as `Ok(v)`; if the body returns `Err(e)`, the stream
/// yields `Err(e)` as its last item and ends (an exception raised inside an `async def`
/// generator, in Python terms).
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::try_generator;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let numbers = try_generator(async |co| {
///     for s in ["1", "2", "x", "4"] {
///         let n: i32 = s.parse()?;
///         co.yield_(n).await;
///     }
///     Ok::<(), std::num::ParseIntError>(())
/// });
/// let items: Vec<_> = numbers.collect().await;
/// assert_eq!(items.len(), 3);
/// assert_eq!(items[..2], [Ok(1), Ok(2)]);
/// assert!(items[2].is_err());
/// # });
/// ```
pub fn try_generator<'g, T: 'g, E, F, Fut>(body: F) -> impl FusedStream<Item = Result<T, E>>
where
    F: TryGeneratorBody<T, E> + FnOnce(Co<'g, T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    Generator::new(start_with(body))
}
