//! The yielder: [`Co`], borrowed from the pinned generator, and its [`Yield`] future.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::slot::Slot;
use crate::sync::waiters::Key;

/// The yielder handed to a generator's body: `co.yield_(v).await` is Python's `yield v`.
///
/// `Co<'a, T>` borrows the generator (`'a` is the body's lifetime, chosen by the
/// generator), so it cannot leave the body: moving it into a spawned task, a
/// `std::thread::spawn`, a `static`, or returning it from the body is a compile error.
/// It is `Copy`, and `yield_` takes `&self`, so futures inside the body (children of
/// `gather!`, `gather_all`, `FuturesUnordered`, `select!`) can share it and yield too.
/// `Co` is `Send` and `Sync` when `T: Send`, so a generator whose body is `Send` is `Send`.
///
/// # Panics
///
/// A yield polled on another thread than the one polling the generator (from inside a
/// `std::thread::scope` in the body) panics: the generator's thread is waiting for that
/// thread, so the value could never be taken.
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::{Co, generator};
/// use futures::StreamExt;
///
/// // A helper that yields through a borrowed yielder, like `yield from`.
/// async fn countdown(co: Co<'_, u32>, from: u32) {
///     for i in (1..=from).rev() {
///         co.yield_(i).await;
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let s = generator(async |co| {
///     countdown(co, 3).await;
///     co.yield_(0).await;
/// });
/// assert_eq!(s.collect::<Vec<_>>().await, [3, 2, 1, 0]);
/// # });
/// ```
pub struct Co<'a, T> {
    pub(super) slot: &'a Slot<T>,
}

impl<T> Clone for Co<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Co<'_, T> {}

impl<T> fmt::Debug for Co<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

impl<'a, T> Co<'a, T> {
    /// Hands `value` to the consumer and suspends until the consumer has taken it
    /// (Python's `yield value`).
    ///
    /// The returned future must be awaited; the value is handed over when it is first
    /// polled.
    ///
    /// # Panics
    ///
    /// When polled on a thread that is not polling the generator (see [`Co`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::generator::generator;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut s = std::pin::pin!(generator(async |co| {
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
    pub fn yield_(&self, value: T) -> Yield<'a, T> {
        Yield {
            slot: self.slot,
            state: State::Start,
            value: MaybeUninit::new(value),
            _pin: PhantomPinned,
        }
    }
}

/// The future returned by [`Co::yield_`].
///
/// It completes once the consumer has taken the value. Several `Yield`s can be in
/// flight at once — for example under `futures::join!` — and the consumer gets their
/// values one at a time.
///
/// # Examples
///
/// ```
/// use asyncio_core::generator::{Yield, generator};
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let s = generator(async |co| {
///     let first: Yield<'_, u32> = co.yield_(1);
///     first.await;
///     // Two children yield through the same yielder.
///     futures::join!(co.yield_(2), co.yield_(3));
/// });
/// assert_eq!(s.collect::<Vec<u32>>().await, [1, 2, 3]);
/// # });
/// ```
#[must_use = "`co.yield_(v)` does nothing unless `.await`ed"]
pub struct Yield<'a, T> {
    slot: &'a Slot<T>,
    state: State,
    /// Initialised exactly in state `Start`.
    value: MaybeUninit<T>,
    /// In state `InPlace` the slot knows us by address.
    _pin: PhantomPinned,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// The value is in `value`.
    Start,
    /// The value is in the slot, which names us as its owner until the generator takes it.
    InPlace,
    /// The value is deposited in the slot's wait list under this key.
    Deposited(Key),
    /// Returned `Ready`.
    Done,
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &(self.state != State::Start))
            .finish_non_exhaustive()
    }
}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of `self`; a `Yield` is `!Unpin`, so its address
        // (its identity in the slot) stays put until it is dropped.
        let this = unsafe { self.get_unchecked_mut() };
        let me = ptr::from_ref(this).cast::<()>();
        let slot = this.slot;
        // The two hot cases first, as plain branches (no jump table).
        if this.state == State::InPlace && !slot.holds(me) {
            this.state = State::Done;
            return Poll::Ready(());
        }
        if this.state == State::Start && slot.is_generator_cx(cx) {
            // SAFETY: `is_generator_cx` returned true for `cx`, just now; in state
            // `Start` the value is initialised and ours, and if `put` moves it out the
            // state says so at once.
            if unsafe { slot.put(me, &this.value) } {
                this.state = State::InPlace;
            }
            // Else another value is in place. We are polled with the generator's own
            // `Context`, so the body's next poll polls us again.
            return Poll::Pending;
        }
        this.poll_slow(cx)
    }
}

impl<T> Yield<'_, T> {
    /// Polled with another `Context` than the generator's, or not finished.
    #[cold]
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let slot = self.slot;
        match self.state {
            State::Start => {
                // Before the value leaves us (a panic here leaves it ours, to drop).
                slot.check_thread();
                // SAFETY: in state `Start` the value is initialised and ours; the state
                // says where it went right after (`deposit` does not panic).
                let value = unsafe { self.value.assume_init_read() };
                self.state = State::Deposited(slot.deposit(cx.waker(), value));
                Poll::Pending
            }
            State::InPlace => {
                // Still in place (the hot path saw it there).
                if !slot.is_generator_cx(cx) {
                    slot.check_thread();
                }
                Poll::Pending
            }
            State::Deposited(key) => {
                if slot.deposit_taken(key, cx.waker()) {
                    self.state = State::Done;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
            State::Done => Poll::Ready(()),
        }
    }
}

impl<T> Drop for Yield<'_, T> {
    fn drop(&mut self) {
        match self.state {
            // SAFETY: in state `Start` the value is initialised, and ours.
            State::Start => unsafe { self.value.assume_init_drop() },
            // Not taken yet: the value goes back to us and is dropped here, outside the
            // slot's lock.
            State::Deposited(key) => drop(self.slot.withdraw(key)),
            // In place, the value belongs to the slot now and is still delivered.
            State::InPlace | State::Done => {}
        }
    }
}

impl<T> futures_core::FusedFuture for Yield<'_, T> {
    /// True once the future returned `Ready` (so `select!` can use `co.yield_(v)`
    /// directly).
    fn is_terminated(&self) -> bool {
        self.state == State::Done
    }
}
