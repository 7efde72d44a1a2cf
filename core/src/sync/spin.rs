//! The lock inside every primitive of this module: a test-and-test-and-set spin lock.
//!
//! Its critical sections are a handful of field updates and a wait-list push or pop —
//! never user code, an `.await` or a wake — so a waiter spins for nanoseconds. Taking it
//! is one compare-and-swap and releasing it a plain store: one atomic read-modify-write
//! per critical section, where `std::sync::Mutex` needs two (its unlock swaps, to learn
//! whether a thread sleeps on the futex). On the machine of BENCHMARKS.md an uncontended
//! RMW costs ≈ 8 ns, and a queue item passes two critical sections (put and get), so
//! this halves the queue's per-item synchronisation. A waiter backs off exponentially
//! (8 to 1,024 jittered spins between attempts), which keeps the line on the holder's
//! core under contention, and after 16 rounds yields its thread to the OS between
//! attempts, so a preempted holder gets the CPU back.

use std::ops::{Deref, DerefMut};

#[cfg(not(loom))]
use std::{cell::UnsafeCell, hint::spin_loop, thread::yield_now};

#[cfg(loom)]
use loom::{cell::UnsafeCell, hint::spin_loop, thread::yield_now};

use crate::loom::{AtomicBool, Ordering};

/// A spin lock around a `T`.
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to the value to one thread at a time (the
// Acquire/Release pair on `locked` orders one holder's accesses before the next's), so
// sharing the lock only ever moves the `T` between threads: `T: Send` suffices, as for
// `std::sync::Mutex`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: the lock owns its `T`; moving the lock moves the `T`.
unsafe impl<T: Send> Send for SpinLock<T> {}

// Like `std::sync::Mutex`: a panic while the lock is held (only our own code runs under
// it — a bound check, an allocation, or a `PriorityQueue` item's `Ord`) releases the lock
// as the guard unwinds, and every critical section leaves its state consistent before
// anything in it can panic, so observing the value after a caught panic is sound and
// meaningful.
impl<T> std::panic::RefUnwindSafe for SpinLock<T> {}
impl<T> std::panic::UnwindSafe for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, spinning (then yielding the thread) while another holds it.
    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        // Exponential backoff: a waiter leaves the lock's cache line alone for a
        // growing, jittered number of spins between attempts, so the holder (and the
        // next holders on its core) run without the line bouncing between cores, and
        // contending waiters do not retry in lockstep.
        // Seeded from this stack frame's address, which differs between threads.
        let here = 0u8;
        let mut backoff = Backoff::new(std::ptr::addr_of!(here).addr());
        loop {
            backoff.snooze();
            if !self.locked.load(Ordering::Relaxed)
                && self
                    .locked
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
        }
    }
}

/// The waiting schedule of [`SpinLock::lock_contended`].
struct Backoff {
    /// Spins before the next attempt (before jitter).
    step: u32,
    rounds: u32,
    /// xorshift state for the jitter.
    seed: u32,
}

impl Backoff {
    const FIRST: u32 = 8;
    const LAST: u32 = 1 << 10;
    /// After this many rounds the waiter gives its thread back to the OS between
    /// attempts, in case the holder was preempted.
    const YIELD_AFTER: u32 = 16;

    fn new(salt: usize) -> Self {
        Backoff {
            step: Self::FIRST,
            rounds: 0,
            seed: (salt as u32 >> 4) | 1,
        }
    }

    fn snooze(&mut self) {
        // Under loom: one scheduling point per attempt. The jitter's seed is a stack
        // address, which would make the model non-deterministic, and every spin would
        // be a branch for loom to explore.
        if cfg!(loom) || self.rounds >= Self::YIELD_AFTER {
            yield_now();
            return;
        }
        self.rounds += 1;
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        // Between step/2 and step·3/2 spins.
        let spins = self.step / 2 + self.seed % self.step;
        for _ in 0..spins {
            spin_loop();
        }
        self.step = (self.step * 2).min(Self::LAST);
    }
}

/// Access to a [`SpinLock`]'s value; releases the lock when dropped.
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> SpinGuard<'_, T> {
    #[cfg(not(loom))]
    fn ptr(&self) -> *mut T {
        self.lock.value.get()
    }

    #[cfg(loom)]
    fn ptr(&self) -> *mut T {
        // loom records the access here, so it checks the holders are ordered.
        self.lock.value.with_mut(|p| p)
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock (its `locked` CAS succeeded and it has not
        // released it), so no other guard exists and no other reference to the value
        // does; the reference lives no longer than `&self`.
        unsafe { &*self.ptr() }
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference.
        unsafe { &mut *self.ptr() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn threads_take_turns() {
        let lock = SpinLock::new(0u64);
        let n = if cfg!(miri) { 50 } else { 10_000 };
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..n {
                        *lock.lock() += 1;
                    }
                });
            }
        });
        assert_eq!(*lock.lock(), 4 * n);
    }
}
