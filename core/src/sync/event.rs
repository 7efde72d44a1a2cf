//! `asyncio.Event`: a flag that tasks wait for.
//!
//! | asyncio | here |
//! |---|---|
//! | `event = asyncio.Event()` | `let event = Event::new();` |
//! | `await event.wait()` | `event.wait().await` |
//! | `event.set()` / `event.clear()` / `event.is_set()` | the same names |
//!
//! A `set()` is never lost: it wakes every task waiting at that moment, and the flag
//! stays set, so a task that calls `wait()` later returns at once. The tasks waiting at
//! a `set()` are released even if `clear()` follows before they run (CPython's rule;
//! tokio's `Notify::notify_waiters` forgets a signal sent before the waiter arrives, and
//! an event kept only as a `watch` value misses a `set()` + `clear()` pair).
//!
//! ```
//! use asyncio_core::sync::Event;
//! use std::sync::Arc;
//!
//! # asyncio_core::run(async {
//! let ready = Arc::new(Event::new());
//! let waiter = {
//!     let ready = Arc::clone(&ready);
//!     asyncio_core::spawn(async move {
//!         ready.wait().await;
//!         "go"
//!     })
//! };
//! ready.set();
//! assert_eq!(waiter.await, "go");
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::spin::SpinLock;
use super::waiters::{Key, WaitList};
use crate::loom::{AtomicBool, Ordering};

/// `asyncio.Event`: [`wait`](Event::wait) returns once the flag is [`set`](Event::set).
///
/// Runtime-agnostic (only wakers), `Send + Sync`.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::Event;
///
/// # futures::executor::block_on(async {
/// let e = Event::new();
/// e.set(); // before anyone waits: not lost
/// e.wait().await;
/// assert!(e.is_set());
/// e.clear();
/// assert!(!e.is_set());
/// # });
/// ```
pub struct Event {
    /// A copy of `inner.set` for the lock-free fast path; written only under the lock.
    set: AtomicBool,
    inner: SpinLock<WaitList<()>>,
}

impl Event {
    /// An event that is not set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!asyncio_core::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Event {
            set: AtomicBool::new(false),
            inner: SpinLock::new(WaitList::new()),
        }
    }

    /// Sets the flag and wakes every waiting task; later `wait()`s return at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = asyncio_core::sync::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    pub fn set(&self) {
        let mut wakers = Vec::new();
        {
            let mut list = self.inner.lock();
            if self.set.load(Ordering::Relaxed) {
                return;
            }
            self.set.store(true, Ordering::Release);
            list.notify_all(&mut wakers, || ());
        }
        for w in wakers {
            w.wake();
        }
    }

    /// Clears the flag: later `wait()`s wait for the next `set()`. Tasks already
    /// released by a `set()` stay released.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = asyncio_core::sync::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        let _list = self.inner.lock();
        self.set.store(false, Ordering::Release);
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = asyncio_core::sync::Event::new();
    /// assert!(!e.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Waits until the flag is set; returns at once if it is.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let e = asyncio_core::sync::Event::new();
    /// e.set();
    /// e.wait().await; // already set: returns at once
    /// # });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Event::wait`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Event, EventWait};
///
/// # futures::executor::block_on(async {
/// let e = Event::new();
/// e.set();
/// let w: EventWait<'_> = e.wait();
/// w.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<Key>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let event = self.event;
        match self.key {
            None => {
                if event.is_set() {
                    return Poll::Ready(());
                }
                let mut list = event.inner.lock();
                if event.set.load(Ordering::Relaxed) {
                    return Poll::Ready(());
                }
                self.key = Some(list.push(cx.waker()));
                Poll::Pending
            }
            Some(key) => {
                let released = event.inner.lock().poll(key, cx.waker());
                match released {
                    Some(()) => {
                        self.key = None;
                        Poll::Ready(())
                    }
                    None => Poll::Pending,
                }
            }
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.event.inner.lock().remove(key);
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
