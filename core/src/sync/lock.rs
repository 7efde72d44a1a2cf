//! `asyncio.Lock`, the Rust way: the lock owns the data it protects.
//!
//! | asyncio | here |
//! |---|---|
//! | `lock = asyncio.Lock()` guarding `self.balance` | `let balance = Lock::new(0);` |
//! | `async with lock: self.balance += 1` | `*balance.lock().await += 1;` |
//! | `await lock.acquire()` … `lock.release()` | `let guard = balance.lock().await;` … `drop(guard);` |
//! | `lock.locked()` | [`Lock::locked`] |
//!
//! Waiters get the lock in arrival order (FIFO, no barging): unlocking hands the lock
//! straight to the oldest waiter, and a `lock()` future dropped while waiting leaves
//! the queue — or, if it had already been handed the lock, passes it on.
//!
//! # Why not `std::sync::Mutex` across `.await`
//!
//! Holding a guard across `.await` is what an async lock is for. A `std::sync::Mutex`
//! guard held across `.await` blocks the *thread* of any other task that calls
//! `lock()`: on the single-threaded loop that thread is the loop itself, so if the
//! holder is waiting to be resumed on it, nothing can resume it — a deadlock; on a
//! multi-threaded loop it stalls a worker. (Its guard is also `!Send`, so `spawn`
//! rejects such a future.) A [`Lock`] makes the other tasks *wait* instead: they yield
//! to the loop, which runs the holder to its `unlock`. A std mutex is still the right
//! tool for a short critical section with no `.await` inside.
//!
//! ```
//! use asyncio_core::sync::Lock;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! # asyncio_core::run(async {
//! let balance = Arc::new(Lock::new(100));
//! let withdraw = |amount| {
//!     let balance = Arc::clone(&balance);
//!     asyncio_core::spawn(async move {
//!         let mut b = balance.lock().await; // async with lock:
//!         if *b >= amount {
//!             asyncio_core::sleep(Duration::from_millis(1)).await; // held across .await
//!             *b -= amount;
//!         }
//!     })
//! };
//! let (a, b) = (withdraw(80), withdraw(80));
//! a.await;
//! b.await;
//! assert_eq!(*balance.lock().await, 20); // only one withdrawal went through
//! # });
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::semaphore::{Acquiring, RawSemaphore};

/// `asyncio.Lock` that owns the data it protects; [`lock`](Lock::lock) waits (FIFO) and
/// gives a guard that unlocks when dropped.
///
/// Runtime-agnostic (only wakers), `Send + Sync` when `T: Send`.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::Lock;
///
/// # futures::executor::block_on(async {
/// let names = Lock::new(Vec::new());
/// names.lock().await.push("ada");
/// assert_eq!(*names.lock().await, ["ada"]);
/// assert!(!names.locked());
/// # });
/// ```
pub struct Lock<T: ?Sized> {
    sem: RawSemaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a `LockGuard`, and the semaphore (one
// permit) lets at most one guard exist at a time; handing a `&Lock` to other threads
// therefore hands them exclusive access in turn, which needs `T: Send` (not `Sync`),
// exactly as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Sync for Lock<T> {}
// SAFETY: moving the lock moves the value; nothing in it is tied to a thread.
unsafe impl<T: ?Sized + Send> Send for Lock<T> {}

impl<T> Lock<T> {
    /// An unlocked lock protecting `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let counter = asyncio_core::sync::Lock::new(0u64);
    /// assert!(!counter.locked());
    /// ```
    pub fn new(value: T) -> Self {
        Lock {
            sem: RawSemaphore::new(1, 1, "Lock::new"),
            value: UnsafeCell::new(value),
        }
    }

    /// The protected value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = asyncio_core::sync::Lock::new(String::from("x"));
    /// assert_eq!(lock.into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Lock<T> {
    /// Waits for the lock, in arrival order: `async with lock:`.
    ///
    /// The lock is held until the returned [`LockGuard`] is dropped; holding it across
    /// `.await` is fine. Dropping the future while it waits gives up its place.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let lock = asyncio_core::sync::Lock::new(1);
    /// let mut g = lock.lock().await;
    /// *g += 1;
    /// assert!(lock.locked());
    /// drop(g);
    /// assert_eq!(*lock.lock().await, 2);
    /// # });
    /// ```
    pub fn lock(&self) -> Locking<'_, T> {
        Locking {
            lock: self,
            at: Acquiring::Idle,
        }
    }

    /// Takes the lock if it is free and nobody is waiting for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = asyncio_core::sync::Lock::new(());
    /// let g = lock.try_lock().expect("free");
    /// assert!(lock.try_lock().is_none());
    /// drop(g);
    /// assert!(lock.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.sem.try_acquire().then(|| LockGuard::new(self))
    }

    /// Whether the lock is held (or handed to a waiter that has not run yet):
    /// `lock.locked()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = asyncio_core::sync::Lock::new(());
    /// let g = lock.try_lock();
    /// assert!(lock.locked());
    /// drop(g);
    /// assert!(!lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.sem.locked()
    }

    /// The protected value, without locking: `&mut self` proves nobody else holds it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = asyncio_core::sync::Lock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    fn from(value: T) -> Self {
        Lock::new(value)
    }
}

impl<T: ?Sized> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Lock::lock`]: resolves to a [`LockGuard`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Lock, Locking};
///
/// # futures::executor::block_on(async {
/// let lock = Lock::new(5);
/// let fut: Locking<'_, i32> = lock.lock();
/// assert_eq!(*fut.await, 5);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Locking<'a, T: ?Sized> {
    lock: &'a Lock<T>,
    at: Acquiring,
}

impl<'a, T: ?Sized> Future for Locking<'a, T> {
    type Output = LockGuard<'a, T>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = &mut *self;
        let lock = this.lock;
        lock.sem
            .poll_acquire(&mut this.at, cx, "Lock::lock")
            .map(|()| LockGuard::new(lock))
    }
}

impl<T: ?Sized> Drop for Locking<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.cancel(&self.at);
    }
}

impl<T: ?Sized> fmt::Debug for Locking<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locking")
            .field("waiting", &matches!(self.at, Acquiring::Waiting(_)))
            .finish()
    }
}

/// Exclusive access to a [`Lock`]'s value; unlocks when dropped.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let lock = asyncio_core::sync::Lock::new(vec![1]);
/// let mut guard = lock.lock().await;
/// guard.push(2); // DerefMut
/// assert_eq!(guard.len(), 2); // Deref
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, T: ?Sized> {
    lock: &'a Lock<T>,
    /// `Send` iff `T: Send`, `Sync` iff `T: Sync`, like `&mut T`.
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> LockGuard<'a, T> {
    fn new(lock: &'a Lock<T>) -> Self {
        LockGuard {
            lock,
            _marker: PhantomData,
        }
    }

    /// The lock this guard holds (for [`Condition`](super::Condition)).
    pub(crate) fn lock_ref(&self) -> &'a Lock<T> {
        self.lock
    }
}

impl<T: ?Sized> Deref for LockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock's only permit, so no other guard (and no
        // `&mut` from `get_mut`, which needs `&mut Lock`) exists while it lives.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow through the guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
