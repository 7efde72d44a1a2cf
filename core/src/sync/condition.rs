//! `asyncio.Condition`: wait, under a lock, until another task says the data changed.
//!
//! | asyncio | here |
//! |---|---|
//! | `cond = asyncio.Condition()` guarding `items` | `let cond = Condition::new(Vec::new());` |
//! | `async with cond: await cond.wait()` | `let g = cond.lock().await; let g = cond.wait(g).await;` |
//! | `async with cond: await cond.wait_for(pred)` | `let g = cond.wait_for(cond.lock().await, pred).await;` |
//! | `cond.notify(n)` / `cond.notify_all()` | [`Condition::notify`] / [`Condition::notify_all`] |
//!
//! [`wait`](Condition::wait) takes the guard, registers the task, unlocks, waits for a
//! notification, then locks again (waiting its turn in the lock's FIFO queue) and gives
//! the guard back. Because the task is registered before the lock is released, a
//! `notify` made by whoever takes the lock next is never missed. Notifications wake
//! waiters in the order they started waiting. A `wait` dropped after it was notified
//! passes the notification on to the next waiter (CPython 3.13's rule), so a
//! cancellation never swallows a `notify(1)`.
//!
//! ```
//! use asyncio_core::sync::Condition;
//! use std::sync::Arc;
//!
//! # asyncio_core::run(async {
//! let jobs = Arc::new(Condition::new(Vec::new()));
//! let consumer = {
//!     let jobs = Arc::clone(&jobs);
//!     asyncio_core::spawn(async move {
//!         let mut g = jobs.wait_for(jobs.lock().await, |v| !v.is_empty()).await;
//!         g.pop().unwrap()
//!     })
//! };
//! asyncio_core::yield_now().await; // let the consumer start waiting
//! jobs.lock().await.push("job");
//! jobs.notify(1);
//! assert_eq!(consumer.await, "job");
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::lock::{Lock, LockGuard, Locking};
use super::spin::SpinLock;
use super::waiters::{Key, WaitList};

/// `asyncio.Condition` over a [`Lock<T>`](Lock) that it owns.
///
/// Runtime-agnostic (only wakers), `Send + Sync` when `T: Send`.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::Condition;
///
/// # futures::executor::block_on(async {
/// let cond = Condition::new(0);
/// *cond.lock().await += 1;
/// cond.notify_all(); // nobody waits: a no-op
/// assert_eq!(*cond.lock().await, 1);
/// # });
/// ```
pub struct Condition<T: ?Sized> {
    waiters: SpinLock<WaitList<()>>,
    lock: Lock<T>,
}

impl<T> Condition<T> {
    /// A condition whose lock protects `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(String::new());
    /// assert!(!cond.locked());
    /// ```
    pub fn new(value: T) -> Self {
        Condition {
            waiters: SpinLock::new(WaitList::new()),
            lock: Lock::new(value),
        }
    }

    /// The protected value, taking the condition apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(3);
    /// assert_eq!(cond.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.lock.into_inner()
    }
}

impl<T: ?Sized> Condition<T> {
    /// Takes the underlying lock (FIFO): `async with cond:`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let cond = asyncio_core::sync::Condition::new(1);
    /// assert_eq!(*cond.lock().await, 1);
    /// # });
    /// ```
    pub fn lock(&self) -> Locking<'_, T> {
        self.lock.lock()
    }

    /// Takes the underlying lock if it is free and nobody waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(());
    /// assert!(cond.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.lock.try_lock()
    }

    /// Whether the underlying lock is held: `cond.locked()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(());
    /// let g = cond.try_lock();
    /// assert!(cond.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Unlocks, waits for a [`notify`](Condition::notify), locks again and gives the
    /// guard back: `await cond.wait()`.
    ///
    /// As with every condition variable, check your condition again after it returns
    /// (or use [`wait_for`](Condition::wait_for)): another task may have changed the
    /// data first.
    ///
    /// # Panics
    ///
    /// If `guard` belongs to another lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::sync::Condition;
    /// use std::sync::Arc;
    ///
    /// # asyncio_core::run(async {
    /// let cond = Arc::new(Condition::new(false));
    /// let c = Arc::clone(&cond);
    /// let setter = asyncio_core::spawn(async move {
    ///     *c.lock().await = true;
    ///     c.notify_all();
    /// });
    /// let mut g = cond.lock().await;
    /// while !*g {
    ///     g = cond.wait(g).await;
    /// }
    /// setter.await;
    /// # });
    /// ```
    #[track_caller]
    pub fn wait<'a>(&'a self, guard: LockGuard<'a, T>) -> ConditionWait<'a, T> {
        assert!(
            std::ptr::eq(guard.lock_ref(), &self.lock),
            "Condition::wait: the guard belongs to another lock"
        );
        ConditionWait {
            cond: self,
            step: Step::Start(guard),
        }
    }

    /// Waits until `predicate` holds for the protected value, and returns the guard
    /// with the lock held: `await cond.wait_for(predicate)`.
    ///
    /// Checks the predicate first (returning at once if it holds), then after every
    /// wake-up.
    ///
    /// # Panics
    ///
    /// If `guard` belongs to another lock.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let cond = asyncio_core::sync::Condition::new(5);
    /// let g = cond.wait_for(cond.lock().await, |n| *n > 3).await; // already true
    /// assert_eq!(*g, 5);
    /// # });
    /// ```
    pub async fn wait_for<'a, P>(
        &'a self,
        mut guard: LockGuard<'a, T>,
        mut predicate: P,
    ) -> LockGuard<'a, T>
    where
        P: FnMut(&mut T) -> bool,
    {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiting tasks, oldest first: `cond.notify(n)`. `notify(0)` does
    /// nothing, as in asyncio.
    ///
    /// May be called with or without the lock held: a task is registered before its
    /// `wait` unlocks, so a notification sent after the data changed is never missed.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(());
    /// cond.notify(1); // nobody waits: nothing happens
    /// cond.notify(0);
    /// ```
    pub fn notify(&self, n: usize) {
        let mut wakers = Vec::new();
        {
            let mut list = self.waiters.lock();
            for _ in 0..n {
                match list.notify_first(()) {
                    Ok(w) => wakers.push(w),
                    Err(()) => break,
                }
            }
        }
        wake_all(wakers);
    }

    /// Wakes every waiting task: `cond.notify_all()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = asyncio_core::sync::Condition::new(());
    /// cond.notify_all();
    /// ```
    pub fn notify_all(&self) {
        let mut wakers = Vec::new();
        self.waiters.lock().notify_all(&mut wakers, || ());
        wake_all(wakers);
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.locked())
            .field("waiting", &self.waiters.lock().len())
            .finish_non_exhaustive()
    }
}

enum Step<'a, T: ?Sized> {
    /// Not polled yet: still holding the lock.
    Start(LockGuard<'a, T>),
    /// Registered and unlocked.
    Waiting(Key),
    /// Notified; waiting for the lock again.
    Relocking(Locking<'a, T>),
    Done,
}

/// The future returned by [`Condition::wait`]: resolves to the guard, locked again.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Condition, ConditionWait};
///
/// # futures::executor::block_on(async {
/// let cond = Condition::new(());
/// let g = cond.lock().await;
/// let w: ConditionWait<'_, ()> = cond.wait(g);
/// drop(w); // gives up waiting; the lock was never released
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ConditionWait<'a, T: ?Sized> {
    cond: &'a Condition<T>,
    step: Step<'a, T>,
}

impl<'a, T: ?Sized> Future for ConditionWait<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = &mut *self;
        loop {
            match &mut this.step {
                Step::Start(_) => {
                    let key = this.cond.waiters.lock().push(cx.waker());
                    // Unlock only once registered, so no notify is missed.
                    this.step = Step::Waiting(key);
                    return Poll::Pending;
                }
                Step::Waiting(key) => {
                    let notified = this.cond.waiters.lock().poll(*key, cx.waker());
                    match notified {
                        Some(()) => this.step = Step::Relocking(this.cond.lock.lock()),
                        None => return Poll::Pending,
                    }
                }
                Step::Relocking(locking) => {
                    let guard = std::task::ready!(Pin::new(locking).poll(cx));
                    this.step = Step::Done;
                    return Poll::Ready(guard);
                }
                Step::Done => panic!("`Condition::wait` future polled after completion"),
            }
        }
    }
}

impl<T: ?Sized> Drop for ConditionWait<'_, T> {
    fn drop(&mut self) {
        let notified = match std::mem::replace(&mut self.step, Step::Done) {
            Step::Waiting(key) => self.cond.waiters.lock().remove(key).is_some(),
            Step::Relocking(_) => true,
            Step::Start(_) | Step::Done => false,
        };
        if notified {
            self.cond.notify(1);
        }
    }
}

impl<T: ?Sized> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Start(_) => "start",
            Step::Waiting(_) => "waiting",
            Step::Relocking(_) => "relocking",
            Step::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("step", &step)
            .finish()
    }
}
