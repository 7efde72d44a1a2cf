//! `asyncio.Barrier` (Python 3.11): a fixed number of tasks wait for each other.
//!
//! | asyncio | here |
//! |---|---|
//! | `barrier = asyncio.Barrier(3)` | `let barrier = Barrier::new(3);` |
//! | `index = await barrier.wait()` | `let index = barrier.wait().await?;` |
//! | `barrier.abort()` / `barrier.reset()` | [`Barrier::abort`] / [`Barrier::reset`] |
//! | `except asyncio.BrokenBarrierError` | `Err(BrokenBarrierError)` |
//! | `barrier.parties`, `n_waiting`, `broken` | [`parties`](Barrier::parties), [`n_waiting`](Barrier::n_waiting), [`broken`](Barrier::broken) |
//!
//! When the last of `parties` tasks arrives, all of them are released together and the
//! barrier is ready for the next round. Each gets a distinct index in `0..parties`, in
//! arrival order (the last to arrive gets `parties - 1`). A `wait` dropped before the
//! round is complete leaves it, and the round needs one more arrival.
//!
//! ```
//! use asyncio_core::sync::Barrier;
//! use std::sync::Arc;
//!
//! # asyncio_core::run(async {
//! let barrier = Arc::new(Barrier::new(3));
//! let tasks: Vec<_> = (0..3)
//!     .map(|_| {
//!         let b = Arc::clone(&barrier);
//!         asyncio_core::spawn(async move { b.wait().await.unwrap() })
//!     })
//!     .collect();
//! let mut indices = asyncio_core::gather_all(tasks).await;
//! indices.sort();
//! assert_eq!(indices, [0, 1, 2]);
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::spin::SpinLock;
use super::waiters::{Key, WaitList};

/// `asyncio.Barrier`: [`wait`](Barrier::wait) returns once `parties` tasks are waiting.
///
/// Runtime-agnostic (only wakers), `Send + Sync`.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::Barrier;
///
/// # futures::executor::block_on(async {
/// let b = Barrier::new(1);
/// assert_eq!(b.wait().await, Ok(0)); // one party: never waits
/// b.abort();
/// assert!(b.wait().await.is_err());
/// b.reset();
/// assert_eq!(b.wait().await, Ok(0));
/// # });
/// ```
pub struct Barrier {
    parties: usize,
    state: SpinLock<State>,
}

struct State {
    waiters: WaitList<Result<usize, BrokenBarrierError>>,
    broken: bool,
}

impl Barrier {
    /// A barrier for `parties` tasks: `asyncio.Barrier(parties)`.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (asyncio raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = asyncio_core::sync::Barrier::new(4);
    /// assert_eq!(b.parties(), 4);
    /// ```
    #[track_caller]
    pub fn new(parties: usize) -> Self {
        assert!(
            parties > 0,
            "Barrier::new(0): a barrier needs at least one party"
        );
        Barrier {
            parties,
            state: SpinLock::new(State {
                waiters: WaitList::new(),
                broken: false,
            }),
        }
    }

    /// Waits until `parties` tasks are waiting, then returns this task's arrival index
    /// in `0..parties`: `await barrier.wait()`.
    ///
    /// Fails with [`BrokenBarrierError`] if the barrier is broken ([`abort`](Barrier::abort))
    /// or [`reset`](Barrier::reset) while waiting. Dropping the future while it waits
    /// leaves the round.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let b = asyncio_core::sync::Barrier::new(2);
    /// let (x, y) = futures::join!(b.wait(), b.wait());
    /// assert_eq!((x, y), (Ok(0), Ok(1)));
    /// # });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
            done: false,
        }
    }

    /// Breaks the barrier: waiting tasks and every later `wait` fail with
    /// [`BrokenBarrierError`] until [`reset`](Barrier::reset): `barrier.abort()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = asyncio_core::sync::Barrier::new(2);
    /// b.abort();
    /// assert!(b.broken());
    /// ```
    pub fn abort(&self) {
        self.fail_waiters(true);
    }

    /// Returns the barrier to its empty, unbroken state; tasks waiting now fail with
    /// [`BrokenBarrierError`]: `barrier.reset()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = asyncio_core::sync::Barrier::new(2);
    /// b.abort();
    /// b.reset();
    /// assert!(!b.broken());
    /// ```
    pub fn reset(&self) {
        self.fail_waiters(false);
    }

    fn fail_waiters(&self, broken: bool) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.lock();
            state.broken = broken;
            state
                .waiters
                .notify_all(&mut wakers, || Err(BrokenBarrierError));
        }
        for w in wakers {
            w.wake();
        }
    }

    /// The number of tasks needed to pass: `barrier.parties`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(asyncio_core::sync::Barrier::new(3).parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of tasks waiting now: `barrier.n_waiting`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(asyncio_core::sync::Barrier::new(3).n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.state.lock().waiters.len()
    }

    /// Whether the barrier is broken: `barrier.broken`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!asyncio_core::sync::Barrier::new(3).broken());
    /// ```
    pub fn broken(&self) -> bool {
        self.state.lock().broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.waiters.len())
            .field("broken", &state.broken)
            .finish()
    }
}

/// The future returned by [`Barrier::wait`]: resolves to the arrival index.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Barrier, BarrierWait};
///
/// # futures::executor::block_on(async {
/// let b = Barrier::new(1);
/// let w: BarrierWait<'_> = b.wait();
/// assert_eq!(w.await, Ok(0));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<Key>,
    done: bool,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let barrier = self.barrier;
        // Arriving again would count this task twice in the next round.
        assert!(!self.done, "`Barrier::wait` future polled after completion");
        let mut state = barrier.state.lock();
        if let Some(key) = self.key {
            return match state.waiters.poll(key, cx.waker()) {
                Some(r) => {
                    self.key = None;
                    self.done = true;
                    Poll::Ready(r)
                }
                None => Poll::Pending,
            };
        }
        if state.broken {
            self.done = true;
            return Poll::Ready(Err(BrokenBarrierError));
        }
        if state.waiters.len() + 1 < barrier.parties {
            self.key = Some(state.waiters.push(cx.waker()));
            return Poll::Pending;
        }
        // The last arrival releases the round, handing out indices in arrival order.
        let mut wakers = Vec::new();
        let mut index = 0;
        state.waiters.notify_all(&mut wakers, || {
            index += 1;
            Ok(index - 1)
        });
        drop(state);
        for w in wakers {
            w.wake();
        }
        self.done = true;
        Poll::Ready(Ok(barrier.parties - 1))
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.barrier.state.lock().waiters.remove(key);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// A [`Barrier`] was aborted or reset while (or before) this task waited:
/// `asyncio.BrokenBarrierError`.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let b = asyncio_core::sync::Barrier::new(2);
/// b.abort();
/// let err = b.wait().await.unwrap_err();
/// assert_eq!(err.to_string(), "the barrier is broken (aborted or reset)");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken (aborted or reset)")
    }
}

impl std::error::Error for BrokenBarrierError {}
