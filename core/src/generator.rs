//! Async generators — Python's `async def … yield`, as a [`Stream`].
//!
//! | asyncio | here |
//! |---|---|
//! | `async def gen(n):` … `yield i` | `fn gen(n: u32) -> impl Stream<Item = u32> { generator(move \|co\| async move { … co.yield_(i).await; … }) }` |
//! | `async for i in gen(10):` | `async_for!(i in gen(10) { … })` (see [`crate::iter`]) |
//! | an exception raised in the body | [`try_generator`]: the body returns `Err(e)`, the stream yields `Err(e)` last and ends |
//! | `await agen.aclose()` / garbage collection of a half-consumed generator | drop the stream: the body is dropped at its current `await`, its locals' destructors run |
//! | the body runs only when iterated | the body starts on the first poll and never runs ahead of the consumer |
//!
//! # How it works
//!
//! [`generator`] takes a closure that receives the yielder, a [`Co<T>`], and returns the
//! body future. `co.yield_(v).await` puts `v` in a one-item slot the generator shares
//! with its yielder and suspends the body; the stream hands the value to the consumer.
//! The body is polled again only when the consumer asks for the next item, so the body
//! never runs ahead (one item in flight, natural back-pressure). No thread-local is
//! involved and nothing is allocated per item: the slot lives in one small allocation
//! per generator.
//!
//! [`Co::yield_`] takes `&self`, so children that the body polls — `gather!`,
//! `gather_all`, `FuturesUnordered`, `futures::join!`/`select!` — can share the yielder
//! by reference and yield too. When several children yield at once, the first one fills
//! the slot and the others wait (their wakers are woken when the slot frees), so the
//! consumer gets every value, one at a time.
//!
//! ```
//! use asyncio_core::generator::generator;
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let squares = generator(|co| async move {
//!     for i in 1..=4u32 {
//!         co.yield_(i * i).await;
//!     }
//! });
//! // Generators are ordinary streams: every `StreamExt` adapter works on them.
//! let v: Vec<u32> = squares.filter(|x| std::future::ready(x % 2 == 0)).collect().await;
//! assert_eq!(v, [4, 16]);
//! # });
//! ```
//!
//! `buffer_unordered` runs a generator of futures a few at a time, and the adapters of
//! tokio-stream (`tokio_stream::StreamExt`: `timeout`, `throttle`, `chunks_timeout`, ...)
//! apply the same way (see the `async_for!` docs in `asyncio` for one):
//!
//! ```
//! use asyncio_core::generator::generator;
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let jobs = generator(|co| async move {
//!     for i in 0..6u64 {
//!         co.yield_(async move { i * 10 }).await; // a stream of futures
//!     }
//! });
//! let mut out: Vec<u64> = jobs.buffer_unordered(3).take(4).collect().await;
//! out.sort();
//! assert_eq!(out, [0, 10, 20, 30]);
//! # });
//! ```
//!
//! # Misuse
//!
//! The yielder belongs to its generator's body. Yielding while the generator is not
//! polling its body — from a task the `Co` was moved into, or after the generator was
//! dropped — panics with a message saying so. Every access to the slot is
//! synchronised, so no misuse (even from another thread) can cause undefined behaviour.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

// ---------------------------------------------------------------------------------------
// The shared slot
// ---------------------------------------------------------------------------------------

// `Shared::state` = `seq << 3 | WAKE? | tag`. `seq` goes up by one each time the
// generator takes a value out of the slot, so a yielder can tell that *its* value was
// taken.
/// Tag: the slot is free.
const EMPTY: usize = 0;
/// Tag: a yielder has claimed the slot and is writing `value` / `yielder_waker`.
const BUSY: usize = 1;
/// Tag: `value` holds an item the generator has not taken yet.
const FULL: usize = 2;
/// Tag: the generator is gone.
const CLOSED: usize = 3;
const TAG: usize = 3;
/// With `FULL`: `yielder_waker` holds a waker to wake once the value is taken.
const WAKE: usize = 4;
const SEQ_SHIFT: u32 = 3;
const SEQ_MASK: usize = !0 << SEQ_SHIFT;

/// The state a generator shares with its yielder: the one allocation per generator.
struct Shared<T> {
    /// The protocol that guards the `UnsafeCell`s below (see the constants above).
    state: AtomicUsize,
    /// While the generator polls its body: the address of the `Waker` it polls it with
    /// (never dereferenced, only compared); null otherwise. A yield seen while it is
    /// null comes from outside the body. Still set at the start of a poll means the
    /// previous poll of the body panicked.
    poll_waker: AtomicPtr<Waker>,
    /// The item in flight: initialised exactly while the tag is `FULL`. Written only by
    /// the yielder that moved the tag `EMPTY → BUSY`; read only by the generator after it
    /// saw `FULL`.
    value: UnsafeCell<MaybeUninit<T>>,
    /// The waker of the yielder whose value is in the slot, when that yielder is not
    /// polled with the generator's own waker (a child of `FuturesUnordered`, ...): it
    /// must be woken to finish once the value is taken. Written by that yielder while it
    /// holds `BUSY`, taken by the generator while `FULL | WAKE`.
    yielder_waker: UnsafeCell<Option<Waker>>,
    /// Yielders that found the slot full; woken when it frees. Guarded by
    /// `waiters_lock` (a spin lock, taken only on this slow path).
    waiters: UnsafeCell<Vec<Waker>>,
    waiters_lock: AtomicBool,
    has_waiters: AtomicBool,
}

// SAFETY: the `UnsafeCell`s are only accessed under the protocol documented on each
// field: moving the tag `EMPTY → BUSY` with a `compare_exchange` gives one yielder
// exclusive access, `FULL` gives the generator exclusive access to `value` and
// `yielder_waker`, and `waiters_lock` guards `waiters`. Values of `T` and `Waker`s move
// between threads through it, so `T: Send` is required (wakers are `Send + Sync`).
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; `Shared` owns at most one `T`.
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() & TAG == FULL {
            // SAFETY: `FULL` means `value` is initialised, and we own it (`&mut self`).
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Shared<T> {
    fn new() -> Self {
        Shared {
            state: AtomicUsize::new(EMPTY),
            poll_waker: AtomicPtr::new(ptr::null_mut()),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            yielder_waker: UnsafeCell::new(None),
            waiters: UnsafeCell::new(Vec::new()),
            waiters_lock: AtomicBool::new(false),
            has_waiters: AtomicBool::new(false),
        }
    }

    fn lock_waiters(&self) -> WaitersGuard<'_, T> {
        while self
            .waiters_lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        WaitersGuard { shared: self }
    }

    /// Generator side: takes the item out of the slot if there is one, and wakes the
    /// yielders that wait for it.
    #[inline]
    fn take(&self) -> Option<T> {
        let cur = self.state.load(Ordering::Acquire);
        if cur & TAG != FULL {
            return None;
        }
        // SAFETY: the tag is `FULL`: `value` is initialised, and no yielder can claim the
        // slot until we store `EMPTY` below, so we have exclusive access (the `Acquire`
        // load pairs with the yielder's `Release` store of `FULL`).
        let value = unsafe { (*self.value.get()).assume_init_read() };
        let waker = if cur & WAKE != 0 {
            // SAFETY: as above; `WAKE` says the yielder stored its waker.
            unsafe { (*self.yielder_waker.get()).take() }
        } else {
            None
        };
        self.state.store(
            (cur & SEQ_MASK).wrapping_add(1 << SEQ_SHIFT) | EMPTY,
            Ordering::Release,
        );
        if let Some(waker) = waker {
            waker.wake();
        }
        if self.has_waiters.load(Ordering::Relaxed) {
            self.wake_waiters();
        }
        Some(value)
    }

    #[cold]
    fn wake_waiters(&self) {
        let waiters = {
            let guard = self.lock_waiters();
            self.has_waiters.store(false, Ordering::Relaxed);
            // SAFETY: we hold `waiters_lock`.
            std::mem::take(unsafe { &mut *guard.shared.waiters.get() })
        };
        for w in waiters {
            w.wake();
        }
    }
}

struct WaitersGuard<'a, T> {
    shared: &'a Shared<T>,
}

impl<T> Drop for WaitersGuard<'_, T> {
    fn drop(&mut self) {
        self.shared.waiters_lock.store(false, Ordering::Release);
    }
}

// ---------------------------------------------------------------------------------------
// The yielder
// ---------------------------------------------------------------------------------------

/// The yielder handed to a generator's body: `co.yield_(v).await` is Python's `yield v`.
///
/// `yield_` takes `&self`, so futures inside the body (children of `gather!`,
/// `gather_all`, `FuturesUnordered`, `select!`) can borrow the yielder and yield too.
/// `Co<T>` is `Send` and `Sync` when `T: Send`, so a generator whose body is `Send` is
/// `Send`.
///
/// # Panics
///
/// Yielding panics when the generator is not polling its body at that moment — the
/// `Co` was moved out of the body (for example into a spawned task), or the generator
/// was dropped.
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::{Co, generator};
/// use futures::StreamExt;
///
/// // A helper that yields through a borrowed yielder, like `yield from`.
/// async fn countdown(co: &Co<u32>, from: u32) {
///     for i in (1..=from).rev() {
///         co.yield_(i).await;
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let s = generator(|co| async move {
///     countdown(&co, 3).await;
///     co.yield_(0).await;
/// });
/// assert_eq!(s.collect::<Vec<_>>().await, [3, 2, 1, 0]);
/// # });
/// ```
pub struct Co<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Co<T> {
    /// Hands `value` to the consumer and suspends until the consumer asks for the next
    /// item (Python's `yield value`).
    ///
    /// The returned future must be awaited; the value is handed over when it is first
    /// polled.
    ///
    /// # Panics
    ///
    /// When polled while the generator is not polling its body (see [`Co`]).
    #[inline]
    pub fn yield_(&self, value: T) -> Yield<'_, T> {
        Yield {
            shared: &self.shared,
            value: Some(value),
            seq: 0,
            done: false,
        }
    }
}

impl<T> fmt::Debug for Co<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

/// The future returned by [`Co::yield_`].
#[must_use = "`co.yield_(v)` does nothing unless `.await`ed"]
pub struct Yield<'a, T> {
    shared: &'a Shared<T>,
    /// `Some` until the value is put in the slot.
    value: Option<T>,
    /// The slot's `state & SEQ_MASK` when our value went in (valid once `value` is
    /// `None`).
    seq: usize,
    /// Returned `Ready` (for `FusedFuture`).
    done: bool,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &self.value.is_none())
            .finish_non_exhaustive()
    }
}

#[cold]
#[inline(never)]
fn misuse_outside() -> ! {
    panic!(
        "`Co::yield_` was polled while its generator was not polling its body: the \
         yielder was moved out of the generator's body (into a spawned task or another \
         thread?). Yield only from the body and from futures the body awaits."
    )
}

#[cold]
#[inline(never)]
fn misuse_closed() -> ! {
    panic!(
        "`Co::yield_` was polled after its generator was dropped: the yielder outlived \
         the generator's body (it was moved into a spawned task?)"
    )
}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let shared = self.shared;
        let Some(value) = self.value.take() else {
            // Our value is in the slot (or was): done once the generator took it.
            let cur = shared.state.load(Ordering::Acquire);
            if cur & SEQ_MASK == self.seq && cur & TAG == FULL {
                return Poll::Pending;
            }
            if cur & TAG == CLOSED {
                misuse_closed();
            }
            self.done = true;
            return Poll::Ready(());
        };
        let poll_waker = shared.poll_waker.load(Ordering::Relaxed);
        if poll_waker.is_null() {
            if shared.state.load(Ordering::Relaxed) & TAG == CLOSED {
                misuse_closed();
            }
            misuse_outside();
        }
        let cur = shared.state.load(Ordering::Relaxed);
        if cur & TAG == EMPTY
            && shared
                .state
                .compare_exchange(cur, cur | BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            // SAFETY: we moved the tag `EMPTY → BUSY`, which gives us exclusive access to
            // `value` (uninitialised while not `FULL`) and `yielder_waker` until we
            // store `FULL` below.
            unsafe { (*shared.value.get()).write(value) };
            let mut next = (cur & SEQ_MASK) | FULL;
            if !ptr::eq(cx.waker(), poll_waker) {
                // Polled through a combinator with its own wakers (`FuturesUnordered`,
                // ...): ask the generator to wake us once it took the value, or we might
                // never be polled again to finish.
                // SAFETY: as above (we hold `BUSY`).
                unsafe { *shared.yielder_waker.get() = Some(cx.waker().clone()) };
                next |= WAKE;
            }
            self.seq = cur & SEQ_MASK;
            shared.state.store(next, Ordering::Release);
            return Poll::Pending;
        }
        self.poll_contended(value, cx)
    }
}

impl<T> Yield<'_, T> {
    /// The slot is taken: another child's value is in flight (or, on misuse, another
    /// thread is writing). Wait for it to free.
    #[cold]
    #[inline(never)]
    fn poll_contended(&mut self, value: T, cx: &mut Context<'_>) -> Poll<()> {
        let shared = self.shared;
        loop {
            let cur = shared.state.load(Ordering::Acquire);
            match cur & TAG {
                EMPTY => {
                    // Freed meanwhile (only across threads): retry the fast path.
                    self.value = Some(value);
                    return Pin::new(self).poll(cx);
                }
                FULL => {
                    {
                        let guard = shared.lock_waiters();
                        // SAFETY: we hold `waiters_lock`.
                        let waiters = unsafe { &mut *guard.shared.waiters.get() };
                        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                            waiters.push(cx.waker().clone());
                        }
                        shared.has_waiters.store(true, Ordering::Relaxed);
                    }
                    // Re-check: the slot may have been freed meanwhile (only possible
                    // across threads, i.e. on misuse).
                    if shared.state.load(Ordering::Acquire) & TAG == FULL {
                        self.value = Some(value);
                        return Poll::Pending;
                    }
                }
                CLOSED => misuse_closed(),
                _ => std::hint::spin_loop(), // BUSY: another thread mid-write (misuse).
            }
        }
    }
}

impl<T> futures_core::FusedFuture for Yield<'_, T> {
    /// True once the future returned `Ready` (so `select!` can use `co.yield_(v)`
    /// directly).
    fn is_terminated(&self) -> bool {
        self.done
    }
}

// ---------------------------------------------------------------------------------------
// The generator core
// ---------------------------------------------------------------------------------------

/// Keeps the shared slot alive and marks it closed when the generator goes away, so a
/// yielder that escaped the body panics instead of yielding into nothing.
struct Handle<T>(Arc<Shared<T>>);

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        // Keep a value a rogue yielder may have left (tag `FULL`) visible to
        // `Shared::drop`; otherwise mark the slot closed.
        let _ = self
            .0
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                (cur & TAG != FULL).then_some(CLOSED)
            });
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    #[project_replace = StateOwned]
    enum State<F, Fut> {
        Init { f: F },
        Running { #[pin] body: Fut },
        Done,
    }
}

pin_project_lite::pin_project! {
    /// The part shared by [`Generator`] and [`TryGenerator`].
    struct Core<T, F, Fut> {
        // Declared first so the body (and the `Co` inside it) is dropped before the
        // handle marks the slot closed.
        #[pin]
        state: State<F, Fut>,
        handle: Handle<T>,
    }
}

enum Step<T, R> {
    Item(T),
    /// A child yielded in the same poll in which the body finished.
    ItemThenDone(T, R),
    Done(R),
    End,
}

impl<T, F, Fut> Core<T, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future,
{
    fn new(f: F) -> Self {
        Core {
            state: State::Init { f },
            handle: Handle(Arc::new(Shared::new())),
        }
    }

    fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// First poll: calls the closure to make the body. (Inlined on purpose: a call that
    /// takes the generator's address stops LLVM from keeping its state in registers.)
    #[inline(always)]
    fn start(mut state: Pin<&mut State<F, Fut>>, shared: &Arc<Shared<T>>) {
        if let StateOwned::Init { f } = state.as_mut().project_replace(State::Done) {
            let co = Co {
                shared: Arc::clone(shared),
            };
            state.set(State::Running { body: f(co) });
        }
    }

    /// The previous poll of the body panicked: the generator is finished.
    #[inline(always)]
    fn poisoned(state: Pin<&mut State<F, Fut>>, shared: &Shared<T>) {
        shared.poll_waker.store(ptr::null_mut(), Ordering::Relaxed);
        let mut state = state;
        state.set(State::Done);
        // A value a child put in the slot before the panic is dropped with the slot.
    }

    #[inline]
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Step<T, Fut::Output>> {
        let mut this = self.project();
        let shared: &Shared<T> = &this.handle.0;
        if !shared.poll_waker.load(Ordering::Relaxed).is_null() {
            Self::poisoned(this.state.as_mut(), shared);
        }
        if let StateProj::Init { .. } = this.state.as_mut().project() {
            Self::start(this.state.as_mut(), &this.handle.0);
        }
        let StateProj::Running { body } = this.state.as_mut().project() else {
            return Poll::Ready(Step::End);
        };
        // Cleared after the poll; if the body panics it stays set (see `poisoned`).
        shared
            .poll_waker
            .store(ptr::from_ref(cx.waker()).cast_mut(), Ordering::Relaxed);
        let res = body.poll(cx);
        shared.poll_waker.store(ptr::null_mut(), Ordering::Relaxed);
        // An item first, even if the body also finished in this poll.
        let item = shared.take();
        match res {
            Poll::Pending => match item {
                Some(item) => Poll::Ready(Step::Item(item)),
                None => Poll::Pending,
            },
            Poll::Ready(out) => {
                this.state.set(State::Done);
                match item {
                    Some(item) => Poll::Ready(Step::ItemThenDone(item, out)),
                    None => Poll::Ready(Step::Done(out)),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// generator()
// ---------------------------------------------------------------------------------------

/// Makes an async generator: a [`Stream`] whose items are the values the body yields
/// with [`Co::yield_`] (Python's `async def` with `yield`).
///
/// `f` receives the yielder and returns the body future. Nothing runs until the stream
/// is first polled; after that the body runs only while the consumer waits for an item,
/// and stops at every `yield_` until the next one is asked for. The stream ends when the
/// body returns. Dropping the stream drops the body wherever it is suspended (its
/// locals' destructors run). A panic in the body resumes in the consumer's poll with the
/// original payload, and the stream is finished afterwards.
///
/// The result is `Send` when `f` and the body are, and implements [`FusedStream`].
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
///     generator(move |co| async move {
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
pub fn generator<T, F, Fut>(f: F) -> Generator<T, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    Generator {
        core: Core::new(f),
        _item: PhantomData,
    }
}

pin_project_lite::pin_project! {
    /// The stream returned by [`generator`].
    #[must_use = "streams do nothing unless polled (iterate with `async_for!` or `StreamExt::next`)"]
    pub struct Generator<T, F, Fut> {
        #[pin]
        core: Core<T, F, Fut>,
        _item: PhantomData<fn() -> T>,
    }
}

impl<T, F, Fut> fmt::Debug for Generator<T, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("done", &matches!(self.core.state, State::Done))
            .finish_non_exhaustive()
    }
}

impl<T, F, Fut> Stream for Generator<T, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    type Item = T;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.project().core.poll_step(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Step::Item(v) | Step::ItemThenDone(v, ())) => Poll::Ready(Some(v)),
            Poll::Ready(Step::Done(()) | Step::End) => Poll::Ready(None),
        }
    }
}

impl<T, F, Fut> FusedStream for Generator<T, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    fn is_terminated(&self) -> bool {
        self.core.is_done()
    }
}

// ---------------------------------------------------------------------------------------
// try_generator()
// ---------------------------------------------------------------------------------------

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
/// let numbers = try_generator(|co| async move {
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
pub fn try_generator<T, E, F, Fut>(f: F) -> TryGenerator<T, E, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    TryGenerator {
        core: Core::new(f),
        error: None,
    }
}

pin_project_lite::pin_project! {
    /// The stream returned by [`try_generator`].
    #[must_use = "streams do nothing unless polled (iterate with `async_for!` or `StreamExt::next`)"]
    pub struct TryGenerator<T, E, F, Fut> {
        #[pin]
        core: Core<T, F, Fut>,
        // An error returned by the body in the same poll a child yielded: delivered next.
        error: Option<E>,
    }
}

impl<T, E, F, Fut> fmt::Debug for TryGenerator<T, E, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGenerator")
            .field("done", &matches!(self.core.state, State::Done))
            .finish_non_exhaustive()
    }
}

impl<T, E, F, Fut> Stream for TryGenerator<T, E, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    type Item = Result<T, E>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        let this = self.project();
        if let Some(e) = this.error.take() {
            return Poll::Ready(Some(Err(e)));
        }
        match this.core.poll_step(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Step::Item(v)) => Poll::Ready(Some(Ok(v))),
            Poll::Ready(Step::ItemThenDone(v, out)) => {
                *this.error = out.err();
                Poll::Ready(Some(Ok(v)))
            }
            Poll::Ready(Step::Done(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Step::Done(Ok(())) | Step::End) => Poll::Ready(None),
        }
    }
}

impl<T, E, F, Fut> FusedStream for TryGenerator<T, E, F, Fut>
where
    F: FnOnce(Co<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    fn is_terminated(&self) -> bool {
        self.error.is_none() && self.core.is_done()
    }
}
