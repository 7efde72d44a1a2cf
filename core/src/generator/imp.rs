//! The implementation of [`super`]: the shared slot, the yielder and the streams.
//! (Separate from `mod.rs` so the loom test can compile it with loom's atomics.)

use super::sync::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, spin_loop};
use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::{PhantomData, PhantomPinned};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

// ---------------------------------------------------------------------------------------
// The shared state
// ---------------------------------------------------------------------------------------
//
// A value reaches the generator by one of two paths:
//
// * **The fast path**, for a yielder polled with the very `Context` the generator is
//   polling its body with (the body itself, `futures::join!`, `select!`: everything that
//   passes its `cx` through). `Context` is neither `Send` nor `Sync`, so a `&mut Context`
//   can only be used on the thread that owns it; if the yielder's `cx` is the `Context`
//   the generator is using right now, the yielder runs on the generator's thread, inside
//   its poll of the body. The `slot` is only ever touched on that path and by the
//   generator after the poll: plain memory, no atomic read-modify-write.
// * **The handoff path**, for a yielder polled through a combinator that makes its own
//   `Context` (`FuturesUnordered`, `gather_all`, a spawned task that stole the `Co`, ...).
//   The yielder keeps the value in its own pinned future, publishes a pointer to it with
//   a `compare_exchange` on `pending`, and the generator claims it with a `swap`.

/// The state a generator shares with its yielder: the one allocation per generator.
struct Shared<T> {
    /// While the generator polls its body: the address of the `Context` it polls it
    /// with (never dereferenced, only compared); null otherwise. A yield seen while it
    /// is null comes from outside the body. `poisoned_marker()` after the body panicked.
    poll_cx: AtomicPtr<()>,
    /// `slot` holds a value (fast path). Written only on the generator's thread; read
    /// (to respect "one item in flight") by handoff yielders.
    full: AtomicBool,
    /// Goes up by one each time the generator takes the value out of `slot`, so a
    /// fast-path yielder can tell its value was taken. Written only by the generator.
    seq: AtomicUsize,
    /// The fast path's value: initialised exactly while `full`. Only accessed on the
    /// generator's thread (see above).
    slot: UnsafeCell<MaybeUninit<T>>,
    /// The handoff path: a yielder's node, published with `compare_exchange(null, node)`,
    /// claimed by the generator with `swap(null)` or retracted by the yielder with
    /// `compare_exchange(node, null)`.
    pending: AtomicPtr<Node<T>>,
    /// The generator is gone.
    closed: AtomicBool,
    /// Handoff yielders that found a value in flight; woken when it is taken. Guarded by
    /// `waiters_lock` (a spin lock, taken only on this slow path).
    waiters: UnsafeCell<Vec<Waker>>,
    waiters_lock: AtomicBool,
    has_waiters: AtomicBool,
}

/// A handoff yielder's value, inside its pinned `Yield` future.
struct Node<T> {
    /// Initialised while the `Yield` is in state `START`, and while `PUBLISHED` until the
    /// generator claims the node and reads it out (then sets `taken`).
    value: UnsafeCell<MaybeUninit<T>>,
    /// Woken by the generator after it took the value.
    waker: UnsafeCell<Option<Waker>>,
    /// Set (`Release`) by the generator when it is done with the node; after that the
    /// generator never touches it again.
    taken: AtomicBool,
}

// SAFETY: `slot` is only accessed on the generator's thread (the fast path is taken only
// by a yielder polled with the generator's own `Context`, which cannot be used from
// another thread); a `Node` is accessed by the generator only between a successful
// `swap` claim and its `taken.store(true, Release)`, during which its owner waits;
// `waiters` is guarded by `waiters_lock`; everything else is atomic. Values of `T` and
// `Waker`s move between threads through it, so `T: Send` is required.
unsafe impl<T: Send> Sync for Shared<T> {}
// SAFETY: as above; `Shared` owns at most one `T` (in `slot`).
unsafe impl<T: Send> Send for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if self.full.load(Ordering::Relaxed) {
            // SAFETY: `full` means `slot` is initialised, and we own it (`&mut self`).
            unsafe { self.slot.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Shared<T> {
    fn new() -> Self {
        Shared {
            poll_cx: AtomicPtr::new(ptr::null_mut()),
            full: AtomicBool::new(false),
            seq: AtomicUsize::new(0),
            slot: UnsafeCell::new(MaybeUninit::uninit()),
            pending: AtomicPtr::new(ptr::null_mut()),
            closed: AtomicBool::new(false),
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
            spin_loop();
        }
        WaitersGuard { shared: self }
    }

    /// Generator side, after polling the body: takes the item in flight, if any.
    #[inline(always)]
    fn take(&self) -> Option<T> {
        if self.full.load(Ordering::Relaxed) {
            // SAFETY: `full` means `slot` is initialised; we are the generator, on its
            // thread, and not inside the body's poll: nobody else touches `slot`.
            let value = unsafe { (*self.slot.get()).assume_init_read() };
            self.full.store(false, Ordering::Relaxed);
            self.seq.store(
                self.seq.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
            if self.has_waiters.load(Ordering::Relaxed) {
                self.wake_waiters();
            }
            return Some(value);
        }
        if self.pending.load(Ordering::Relaxed).is_null() {
            return None;
        }
        self.take_handoff()
    }

    #[cold]
    #[inline(never)]
    fn take_handoff(&self) -> Option<T> {
        let node = self.pending.swap(ptr::null_mut(), Ordering::AcqRel);
        if node.is_null() {
            return None; // retracted meanwhile (another thread).
        }
        // SAFETY: our `swap` claimed the node: its owner (a pinned `Yield`) does not free
        // or touch it until we set `taken`, and it wrote `value` and `waker` before
        // publishing it (`AcqRel` pairs with its `compare_exchange`).
        let (value, waker) = unsafe {
            let node = &*node;
            let value = (*node.value.get()).assume_init_read();
            let waker = (*node.waker.get()).take();
            node.taken.store(true, Ordering::Release);
            (value, waker)
        };
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

    /// Handoff yielder side: wait (registering `waker`) for the item in flight to be
    /// taken. Returns false if it was taken meanwhile.
    fn wait_for_free(&self, waker: &Waker) -> bool {
        {
            let guard = self.lock_waiters();
            // SAFETY: we hold `waiters_lock`.
            let waiters = unsafe { &mut *guard.shared.waiters.get() };
            if !waiters.iter().any(|w| w.will_wake(waker)) {
                waiters.push(waker.clone());
            }
            self.has_waiters.store(true, Ordering::Release);
        }
        // Re-check: the item may have been taken meanwhile (only across threads).
        self.full.load(Ordering::Acquire) || !self.pending.load(Ordering::Acquire).is_null()
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
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::generator::generator;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut s = std::pin::pin!(generator(|co| async move {
    ///     co.yield_("first").await;
    ///     co.yield_("second").await;
    /// }));
    /// // The body stops at each `yield_` until the next item is asked for.
    /// assert_eq!(s.next().await, Some("first"));
    /// assert_eq!(s.next().await, Some("second"));
    /// assert_eq!(s.next().await, None);
    /// # });
    /// ```
    #[inline]
    pub fn yield_(&self, value: T) -> Yield<'_, T> {
        Yield {
            shared: &self.shared,
            state: START,
            node: Node {
                value: UnsafeCell::new(MaybeUninit::new(value)),
                waker: UnsafeCell::new(None),
                taken: AtomicBool::new(false),
            },
            _pin: PhantomPinned,
        }
    }
}

impl<T> fmt::Debug for Co<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

/// The future returned by [`Co::yield_`].
///
/// It completes once the consumer has taken the value and asked for the next item.
/// Because [`Co::yield_`] borrows the yielder, several `Yield`s can be in flight at once
/// — for example under `futures::join!` — and the consumer gets their values one at a
/// time.
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::{Yield, generator};
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let s = generator(|co| async move {
///     let first: Yield<'_, u32> = co.yield_(1);
///     first.await;
///     // Two children yield through the same borrowed yielder.
///     futures::join!(co.yield_(2), co.yield_(3));
/// });
/// let mut items: Vec<u32> = s.collect().await;
/// assert_eq!(items[0], 1);
/// items.sort();
/// assert_eq!(items, [1, 2, 3]);
/// # });
/// ```
#[must_use = "`co.yield_(v)` does nothing unless `.await`ed"]
pub struct Yield<'a, T> {
    shared: &'a Shared<T>,
    /// `START`, `PUBLISHED`, `DONE`, or (fast path) the slot's `seq` when our value went
    /// into it. One integer rather than an enum: two compares, no jump table.
    state: usize,
    node: Node<T>,
    /// A published node must not move.
    _pin: PhantomPinned,
}

/// The value is in `node.value`, not handed over yet.
const START: usize = usize::MAX;
/// Handoff path: `node` is published in `pending` (or claimed by the generator).
const PUBLISHED: usize = usize::MAX - 1;
/// Returned `Ready`.
const DONE: usize = usize::MAX - 2;
/// Fast-path states are `seq & SEQ_MASK`, always below the three above.
const SEQ_MASK: usize = usize::MAX >> 1;

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &(self.state != START))
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
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: we never move out of `self`; `node` stays where it is.
        let this = unsafe { self.get_unchecked_mut() };
        let shared = this.shared;
        let state = this.state;
        if state < DONE {
            // Fast path, value in the slot: done once the generator took it (bumped `seq`).
            if shared.seq.load(Ordering::Relaxed) & SEQ_MASK == state {
                // Not taken yet (the body was polled without the consumer asking for the
                // next item).
                return Poll::Pending;
            }
            this.state = DONE;
            return Poll::Ready(());
        }
        if state == START {
            let poll_cx = shared.poll_cx.load(Ordering::Acquire);
            if ptr::eq(ptr::from_mut(cx).cast::<()>(), poll_cx) {
                // Fast path: we run on the generator's thread, inside its poll of the
                // body (see the comment on `Shared`).
                if shared.full.load(Ordering::Relaxed)
                    || !shared.pending.load(Ordering::Relaxed).is_null()
                {
                    // Another child's value is in flight. We are polled with the
                    // generator's own `Context`, so the next poll of the body polls us
                    // again: nothing to register.
                    return Poll::Pending;
                }
                // SAFETY: in state `START` the node is not published and `value` is
                // initialised and ours; `slot` is only touched on this thread (fast path)
                // and it is empty (`!full`).
                unsafe {
                    let value = (*this.node.value.get()).assume_init_read();
                    (*shared.slot.get()).write(value);
                }
                shared.full.store(true, Ordering::Relaxed);
                this.state = shared.seq.load(Ordering::Relaxed) & SEQ_MASK;
                return Poll::Pending;
            }
            return this.poll_handoff(poll_cx, cx);
        }
        if state == PUBLISHED {
            if this.node.taken.load(Ordering::Acquire) {
                this.state = DONE;
                return Poll::Ready(());
            }
            if shared.closed.load(Ordering::Relaxed) {
                misuse_closed();
            }
            // Still published: the generator wakes `node.waker` once it took it.
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

impl<T> Yield<'_, T> {
    /// Polled with a `Context` that is not the generator's: publish our node.
    #[cold]
    #[inline(never)]
    fn poll_handoff(&mut self, poll_cx: *mut (), cx: &mut Context<'_>) -> Poll<()> {
        let shared = self.shared;
        if poll_cx.is_null() || poll_cx == poisoned_marker() {
            if shared.closed.load(Ordering::Relaxed) {
                misuse_closed();
            }
            misuse_outside();
        }
        loop {
            if shared.full.load(Ordering::Acquire)
                || !shared.pending.load(Ordering::Acquire).is_null()
            {
                // One item in flight: wait for it to be taken.
                if shared.wait_for_free(cx.waker()) {
                    return Poll::Pending;
                }
                continue;
            }
            // SAFETY: the node is not published: its fields are ours.
            unsafe { *self.node.waker.get() = Some(cx.waker().clone()) };
            let node = ptr::from_ref(&self.node).cast_mut();
            if shared
                .pending
                .compare_exchange(ptr::null_mut(), node, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.state = PUBLISHED;
                return Poll::Pending;
            }
        }
    }
}

impl<T> Drop for Yield<'_, T> {
    fn drop(&mut self) {
        if self.state == START {
            // SAFETY: in state `START` the value is initialised and ours.
            unsafe { self.node.value.get_mut().assume_init_drop() };
            return;
        }
        if self.state != PUBLISHED || self.node.taken.load(Ordering::Acquire) {
            return;
        }
        let node = ptr::from_ref(&self.node).cast_mut();
        if self
            .shared
            .pending
            .compare_exchange(node, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // Retracted before the generator saw it: the value is still ours.
            // SAFETY: published-but-unclaimed means initialised, and now unpublished.
            unsafe { self.node.value.get_mut().assume_init_drop() };
        } else {
            // The generator claimed our node and is reading it (on another thread, or we
            // would not be here): wait until it is done before the node goes away.
            while !self.node.taken.load(Ordering::Acquire) {
                spin_loop();
            }
        }
    }
}

impl<T> futures_core::FusedFuture for Yield<'_, T> {
    /// True once the future returned `Ready` (so `select!` can use `co.yield_(v)`
    /// directly).
    fn is_terminated(&self) -> bool {
        self.state == DONE
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
        self.0.closed.store(true, Ordering::Release);
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

/// `Shared::poll_cx` after the body panicked: non-null, and never the address of a
/// `Context` (which is pointer-aligned).
fn poisoned_marker() -> *mut () {
    ptr::dangling_mut::<u8>().cast::<()>()
}

/// Marks the generator poisoned if the body's poll unwinds (forgotten otherwise).
struct PollGuard<'a>(&'a AtomicPtr<()>);

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.0.store(poisoned_marker(), Ordering::Release);
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
        shared.poll_cx.store(ptr::null_mut(), Ordering::Relaxed);
        let mut state = state;
        state.set(State::Done);
        // A value a child put in the slot before the panic is dropped with the slot.
    }

    // `inline(always)`: the hot loop is `poll_next` → body → `Yield::poll` → `take`; when
    // LLVM keeps `poll_next` out of line (several instantiations in one crate) the body's
    // state goes through memory and an item costs about twice as much.
    #[inline(always)]
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Step<T, Fut::Output>> {
        let mut this = self.project();
        let shared: &Shared<T> = &this.handle.0;
        if !shared.poll_cx.load(Ordering::Relaxed).is_null() {
            Self::poisoned(this.state.as_mut(), shared);
        }
        if let StateProj::Init { .. } = this.state.as_mut().project() {
            Self::start(this.state.as_mut(), &this.handle.0);
        }
        let StateProj::Running { body } = this.state.as_mut().project() else {
            return Poll::Ready(Step::End);
        };
        shared
            .poll_cx
            .store(ptr::from_mut(cx).cast::<()>(), Ordering::Release);
        // If the body panics, the guard replaces the `Context` address (soon stale) with
        // `POISONED`; the next poll sees it and ends the stream (see `poisoned`).
        let guard = PollGuard(&shared.poll_cx);
        let res = body.poll(cx);
        std::mem::forget(guard);
        shared.poll_cx.store(ptr::null_mut(), Ordering::Release);
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
    ///
    /// A [`Stream`] of the yielded values that also implements [`FusedStream`]: once the
    /// body has returned, it keeps returning `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::generator::{Co, Generator, generator};
    /// use futures::StreamExt;
    /// use futures::stream::FusedStream;
    ///
    /// # futures::executor::block_on(async {
    /// let g: Generator<char, _, _> = generator(|co: Co<char>| async move {
    ///     co.yield_('a').await;
    /// });
    /// let mut g = std::pin::pin!(g); // the body is not `Unpin`: pin before `next()`
    /// assert!(!g.is_terminated());
    /// assert_eq!(g.next().await, Some('a'));
    /// assert_eq!(g.next().await, None);
    /// assert!(g.is_terminated());
    /// assert_eq!(g.next().await, None); // fused: stays finished
    /// # });
    /// ```
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

    #[inline(always)]
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
    ///
    /// A [`Stream`] of `Result<T, E>`: `Ok` for each yielded value, then `Err(e)` as
    /// the last item if the body returned an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::generator::try_generator;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut lines = std::pin::pin!(try_generator(|co| async move {
    ///     co.yield_("header").await;
    ///     Err::<(), _>("connection reset")
    /// }));
    /// assert_eq!(lines.next().await, Some(Ok("header")));
    /// assert_eq!(lines.next().await, Some(Err("connection reset")));
    /// assert_eq!(lines.next().await, None); // the error ends the stream
    /// # });
    /// ```
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

    #[inline(always)]
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
