//! `asyncio.Semaphore` and `asyncio.BoundedSemaphore`.
//!
//! | asyncio | here |
//! |---|---|
//! | `sem = asyncio.Semaphore(10)` | `let sem = Semaphore::new(10);` |
//! | `async with sem: ...` | `let _permit = sem.acquire().await; ...` (released when `_permit` drops) |
//! | `await sem.acquire()` … `sem.release()` | `sem.acquire().await.forget();` … `sem.release();` |
//! | `sem.locked()` | [`Semaphore::locked`] |
//! | `asyncio.BoundedSemaphore(10)` | [`BoundedSemaphore::new(10)`](BoundedSemaphore::new): releasing more than acquired panics (asyncio's `ValueError`) |
//!
//! Waiters are served strictly in arrival order, with no barging: while anyone waits,
//! a released permit goes to the oldest waiter, and a newcomer's `acquire` (or
//! [`try_acquire`](Semaphore::try_acquire)) waits behind it even if it is polled first.
//! An `acquire()` future dropped while waiting leaves the queue; one dropped after it
//! was handed a permit passes the permit to the next waiter.
//!
//! For bounding the concurrency of a batch of futures, [`gather_all(..).limit(n)`]
//! needs no semaphore at all.
//!
//! [`gather_all(..).limit(n)`]: crate::gather::GatherAll::limit
//!
//! ```
//! use asyncio_core::sync::Semaphore;
//! use std::sync::Arc;
//!
//! # asyncio_core::run(async {
//! let sem = Arc::new(Semaphore::new(2)); // at most two at a time
//! let tasks: Vec<_> = (0..5)
//!     .map(|i| {
//!         let sem = Arc::clone(&sem);
//!         asyncio_core::spawn(async move {
//!             let _permit = sem.acquire().await; // async with sem:
//!             i * 10
//!         })
//!     })
//!     .collect();
//! assert_eq!(asyncio_core::gather_all(tasks).await, [0, 10, 20, 30, 40]);
//! assert_eq!(sem.available_permits(), 2);
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::spin::SpinLock;
use super::waiters::{Key, WaitList};
use crate::loom::{AtomicUsize, Ordering};

/// The most permits a semaphore can hold: `usize::MAX / 2` (one bit of the counter
/// flags waiters).
pub const MAX_PERMITS: usize = usize::MAX >> 1;

/// `state`'s low bit: the wait list is not empty (then the permit count is 0).
const WAITERS: usize = 1;
/// One permit in `state`.
const ONE: usize = 2;

/// The counting semaphore behind [`Semaphore`], [`BoundedSemaphore`] and
/// [`Lock`](super::Lock).
///
/// `state` holds `permits << 1 | WAITERS`. Invariant, kept under the `waiters` lock:
/// `WAITERS` is set exactly when the wait list is not empty, and then the count is 0 —
/// a release hands its permit straight to the oldest waiter instead of counting it. So
/// the lock-free fast paths (take a counted permit, count a released one when nobody
/// waits) can never barge ahead of a waiter.
pub(crate) struct RawSemaphore {
    state: AtomicUsize,
    waiters: SpinLock<WaitList<()>>,
    /// The count a release may not exceed (`MAX_PERMITS` unless bounded).
    bound: usize,
}

/// Where an acquiring future stands.
#[derive(Debug)]
pub(crate) enum Acquiring {
    Idle,
    Waiting(Key),
    Done,
}

impl RawSemaphore {
    pub(crate) fn new(permits: usize, bound: usize, what: &str) -> Self {
        assert!(
            permits <= MAX_PERMITS,
            "{what}: {permits} permits is more than a semaphore can count (at most \
             asyncio::sync::MAX_PERMITS = {MAX_PERMITS})"
        );
        RawSemaphore {
            state: AtomicUsize::new(permits * ONE),
            waiters: SpinLock::new(WaitList::new()),
            bound,
        }
    }

    /// Takes a permit if one is counted (never when anyone waits).
    #[inline]
    pub(crate) fn try_acquire(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s < ONE {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(s, s - ONE, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// Polls an acquisition: `Ready` once this waiter holds a permit.
    #[inline]
    pub(crate) fn poll_acquire(
        &self,
        at: &mut Acquiring,
        cx: &mut Context<'_>,
        what: &str,
    ) -> Poll<()> {
        match *at {
            Acquiring::Idle => {
                if self.try_acquire() {
                    *at = Acquiring::Done;
                    return Poll::Ready(());
                }
                self.enqueue(at, cx)
            }
            Acquiring::Waiting(key) => {
                let handed = self.waiters.lock().poll(key, cx.waker());
                match handed {
                    Some(()) => {
                        *at = Acquiring::Done;
                        Poll::Ready(())
                    }
                    None => Poll::Pending,
                }
            }
            Acquiring::Done => panic!("`{what}` future polled after completion"),
        }
    }

    #[cold]
    fn enqueue(&self, at: &mut Acquiring, cx: &mut Context<'_>) -> Poll<()> {
        let mut list = self.waiters.lock();
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s >= ONE {
                // A permit was counted since the fast path looked (so nobody waits).
                match self
                    .state
                    .compare_exchange(s, s - ONE, Ordering::Acquire, Ordering::Acquire)
                {
                    Ok(_) => {
                        *at = Acquiring::Done;
                        return Poll::Ready(());
                    }
                    Err(actual) => s = actual,
                }
            } else if s == WAITERS {
                break;
            } else {
                match self
                    .state
                    .compare_exchange(0, WAITERS, Ordering::Acquire, Ordering::Acquire)
                {
                    Ok(_) => break,
                    Err(actual) => s = actual,
                }
            }
        }
        *at = Acquiring::Waiting(list.push(cx.waker()));
        Poll::Pending
    }

    /// An acquiring future is dropped: leave the queue, or pass on a permit it was
    /// handed but never took.
    pub(crate) fn cancel(&self, at: &Acquiring) {
        if let Acquiring::Waiting(key) = *at {
            let mut list = self.waiters.lock();
            match list.remove(key) {
                None => {
                    if list.is_empty() {
                        // Nobody else changes `state` while `WAITERS` is set.
                        self.state.store(0, Ordering::Release);
                    }
                }
                Some(()) => {
                    drop(list);
                    self.release(1);
                }
            }
        }
    }

    /// Returns `n` permits: to the oldest waiters first, the rest to the count.
    ///
    /// Panics if the count would exceed the bound (a `BoundedSemaphore` released more
    /// often than acquired) — unless the thread is already panicking (a permit dropped
    /// during unwinding), when the surplus is dropped instead of aborting the process.
    #[track_caller]
    pub(crate) fn release(&self, mut n: usize) {
        while n > 0 {
            let mut s = self.state.load(Ordering::Relaxed);
            while s & WAITERS == 0 {
                let count = s / ONE;
                if self.bound - count < n {
                    if std::thread::panicking() {
                        return;
                    }
                    self.over_release(count, n);
                }
                match self.state.compare_exchange_weak(
                    s,
                    s + n * ONE,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return,
                    Err(actual) => s = actual,
                }
            }
            // Someone waits: hand permits over under the lock, oldest first.
            let mut list = self.waiters.lock();
            // The first waker apart: the common `release(1)` (every unlock, every
            // dropped permit) then allocates nothing.
            let mut first = None;
            let mut rest = Vec::new();
            while n > 0 {
                match list.notify_first(()) {
                    Ok(w) if first.is_none() => {
                        first = Some(w);
                        n -= 1;
                    }
                    Ok(w) => {
                        rest.push(w);
                        n -= 1;
                    }
                    Err(()) => break,
                }
            }
            if list.is_empty() && self.state.load(Ordering::Relaxed) == WAITERS {
                self.state.store(0, Ordering::Release);
            }
            drop(list);
            if let Some(w) = first {
                w.wake();
            }
            for w in rest {
                w.wake();
            }
            // Any permits left over go to the count on the next round.
        }
    }

    #[cold]
    #[track_caller]
    fn over_release(&self, count: usize, n: usize) -> ! {
        if self.bound == MAX_PERMITS {
            panic!(
                "Semaphore::release: {count} + {n} permits is more than a semaphore can \
                 count ({MAX_PERMITS})"
            );
        }
        panic!(
            "BoundedSemaphore released too many times: it was created with {} permits \
             and all of them are already free (asyncio raises ValueError here)",
            self.bound
        );
    }

    pub(crate) fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) / ONE
    }

    /// No permit can be taken at once: none counted, or someone waits.
    pub(crate) fn locked(&self) -> bool {
        self.state.load(Ordering::Acquire) < ONE
    }

    pub(crate) fn waiting(&self) -> usize {
        self.waiters.lock().len()
    }
}

impl fmt::Debug for RawSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// `asyncio.Semaphore`: a count of permits; [`acquire`](Semaphore::acquire) waits
/// (FIFO) while none is free.
///
/// Runtime-agnostic: it only uses wakers, so it works under any executor, and it is
/// `Send + Sync` for use from many threads (share it with an `Arc`).
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::Semaphore;
///
/// # futures::executor::block_on(async {
/// let sem = Semaphore::new(1);
/// let permit = sem.acquire().await;
/// assert!(sem.locked());
/// assert!(sem.try_acquire().is_none());
/// drop(permit); // released
/// assert!(!sem.locked());
/// # });
/// ```
pub struct Semaphore {
    raw: RawSemaphore,
}

impl Semaphore {
    /// A semaphore with `permits` free permits: `asyncio.Semaphore(value)`.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::Semaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        Semaphore {
            raw: RawSemaphore::new(permits, MAX_PERMITS, "Semaphore::new"),
        }
    }

    /// Waits for a permit, in arrival order: `await sem.acquire()` / `async with sem`.
    ///
    /// The permit is released when the returned [`SemaphorePermit`] is dropped, or kept
    /// with [`SemaphorePermit::forget`]. Dropping the future while it waits gives up its
    /// place; nothing is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = asyncio_core::sync::Semaphore::new(2);
    /// let a = sem.acquire().await;
    /// let b = sem.acquire().await;
    /// assert_eq!(sem.available_permits(), 0);
    /// drop((a, b));
    /// assert_eq!(sem.available_permits(), 2);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            raw: &self.raw,
            at: Acquiring::Idle,
            what: "Semaphore::acquire",
        }
    }

    /// Takes a permit if one is free and nobody is waiting for one.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().expect("one permit is free");
    /// assert!(sem.try_acquire().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        // `then`, not `then_some`: a permit built eagerly would be dropped on failure,
        // releasing a permit that was never taken.
        self.raw
            .try_acquire()
            .then(|| SemaphorePermit { raw: &self.raw })
    }

    /// Adds a permit: `sem.release()`. Pairs with [`SemaphorePermit::forget`]; a
    /// [`SemaphorePermit`] releases itself when dropped.
    ///
    /// If tasks are waiting, the oldest one gets the permit.
    ///
    /// # Panics
    ///
    /// If the count would exceed [`MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::Semaphore::new(0);
    /// sem.release();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn release(&self) {
        self.raw.release(1);
    }

    /// Whether `acquire` would have to wait: no permit is free, or others are already
    /// waiting (asyncio 3.11's `locked()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::Semaphore::new(1);
    /// assert!(!sem.locked());
    /// let _p = sem.try_acquire();
    /// assert!(sem.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.raw.locked()
    }

    /// The number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::Semaphore::new(4);
    /// let _p = sem.try_acquire();
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.raw.available()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

/// `asyncio.BoundedSemaphore`: a [`Semaphore`] that panics when released more often
/// than acquired, which is always a bug (asyncio raises `ValueError`).
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::BoundedSemaphore;
///
/// # futures::executor::block_on(async {
/// let sem = BoundedSemaphore::new(1);
/// sem.acquire().await.forget(); // held, asyncio style
/// sem.release(); // fine: it was acquired
/// let twice = std::panic::catch_unwind(|| sem.release());
/// assert!(twice.is_err()); // released more than acquired
/// # });
/// ```
pub struct BoundedSemaphore {
    raw: RawSemaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, which is also its bound.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Self {
        BoundedSemaphore {
            raw: RawSemaphore::new(permits, permits, "BoundedSemaphore::new"),
        }
    }

    /// Waits for a permit, in arrival order; see [`Semaphore::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(1);
    /// let p = sem.acquire().await;
    /// assert!(sem.locked());
    /// drop(p);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            raw: &self.raw,
            at: Acquiring::Idle,
            what: "BoundedSemaphore::acquire",
        }
    }

    /// Takes a permit if one is free and nobody is waiting for one.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        // `then`, not `then_some`: a permit built eagerly would be dropped on failure,
        // releasing a permit that was never taken.
        self.raw
            .try_acquire()
            .then(|| SemaphorePermit { raw: &self.raw })
    }

    /// Returns a permit taken with [`SemaphorePermit::forget`].
    ///
    /// # Panics
    ///
    /// If every permit is already free: released more often than acquired.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(1);
    /// sem.acquire().await.forget();
    /// sem.release();
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    #[track_caller]
    pub fn release(&self) {
        self.raw.release(1);
    }

    /// Whether `acquire` would have to wait; see [`Semaphore::locked`].
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(1);
    /// assert!(!sem.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.raw.locked()
    }

    /// The number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = asyncio_core::sync::BoundedSemaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.raw.available()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

/// The future returned by [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Acquire, Semaphore};
///
/// # futures::executor::block_on(async {
/// let sem = Semaphore::new(1);
/// let fut: Acquire<'_> = sem.acquire();
/// let permit = fut.await;
/// drop(permit);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire<'a> {
    raw: &'a RawSemaphore,
    at: Acquiring,
    what: &'static str,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        this.raw
            .poll_acquire(&mut this.at, cx, this.what)
            .map(|()| SemaphorePermit { raw: this.raw })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.raw.cancel(&self.at);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("waiting", &matches!(self.at, Acquiring::Waiting(_)))
            .finish()
    }
}

/// A permit from a [`Semaphore`] or [`BoundedSemaphore`]; released when dropped.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let sem = asyncio_core::sync::Semaphore::new(1);
/// {
///     let _permit = sem.acquire().await; // async with sem:
///     assert_eq!(sem.available_permits(), 0);
/// } // released here
/// assert_eq!(sem.available_permits(), 1);
/// # });
/// ```
#[must_use = "a permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    raw: &'a RawSemaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit acquired without holding this value: asyncio's style of an
    /// `acquire()` now and a `release()` later.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let sem = asyncio_core::sync::Semaphore::new(1);
    /// sem.acquire().await.forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// sem.release();
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.raw.release(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphorePermit")
    }
}
