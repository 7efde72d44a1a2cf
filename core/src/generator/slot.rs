//! The slot: where a yielded value waits for the consumer, inside the pinned generator.
//!
//! A value reaches the generator by one of two paths:
//!
//! * **In place**, for a yielder polled with the very `Context` the generator is polling
//!   its body with (the body itself, `futures::join!`, `select!`: everything that passes
//!   its `cx` through). The value is written into `value` with plain stores and read
//!   back by the generator right after the body's poll. Why that is the generator's
//!   thread: see [`Slot::is_generator_cx`].
//! * **Deposited**, for a yielder polled through a combinator that makes its own
//!   `Context` (`FuturesUnordered`, `gather_all`, ...). The value goes into a FIFO list
//!   under a spin lock (the engine of [`crate::sync`]); the generator takes the oldest
//!   when nothing is in place, and wakes that one yielder alone. The list is allocated
//!   on the first deposit, so a generator without such children stays small (it is
//!   moved by value before it is pinned) and allocates nothing.
//!
//! A deposit is only accepted from the thread polling the generator (`thread`): a yield
//! from a scoped thread can never be taken while the generator's thread waits for that
//! thread inside the body's poll, so it panics ([`yield_from_another_thread`]) instead of
//! hanging. That check is diagnostic only — every access it guards is synchronised.

use std::cell::UnsafeCell;
use std::marker::PhantomPinned;
use std::mem::MaybeUninit;
use std::ptr;
use std::task::{Context, Waker};

use crate::loom::{
    AtomicPtr, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use crate::sync::spin::SpinLock;
use crate::sync::waiters::{Key, Removed, WaitList};

/// The value in flight and how yielders reach the consumer. Lives in the pinned generator
/// and is shared, by `&Slot`, with its body's [`Co`](super::Co)s.
pub(super) struct Slot<T> {
    /// The value put in place; initialised exactly while `owner` is not null. Accessed
    /// only on the thread polling the generator (see the `Sync` impl).
    value: UnsafeCell<MaybeUninit<T>>,
    /// The address of the [`Yield`](super::Yield) whose value is in `value`, or null.
    /// Written only on the generator's thread; read by that `Yield` (on any thread) to
    /// learn that its value was taken.
    owner: AtomicPtr<()>,
    /// While the generator polls its body: the address of the `Context` it polls with
    /// (only compared, never dereferenced); null otherwise; `POISONED` after the body's
    /// poll unwound.
    poll_cx: AtomicPtr<()>,
    /// The [`thread_token`] of the thread polling the generator (set by every poll).
    thread: AtomicUsize,
    /// The deposits, once there was one (a `Box`, freed with the slot); else null.
    deposits: AtomicPtr<Deposits<T>>,
    /// `Co`s point here: the generator must not move.
    _pin: PhantomPinned,
}

/// Yielders that deposited their value, oldest first (payload `()`: "taken").
struct Deposits<T> {
    /// How many values wait in `list` (kept under its lock, read without it).
    len: AtomicUsize,
    list: SpinLock<WaitList<(), T>>,
}

// SAFETY: `value` is only touched on the thread that polls the generator — by yielders
// that proved it with `is_generator_cx`, and by the generator itself (`take`, `drop`) —
// so sharing a `&Slot` with other threads (a `Co` in `std::thread::scope`) cannot race
// on it. Every other field is an atomic, or (the deposits) behind a spin lock. Values
// cross threads through the deposits, and the slot moves with the generator, hence
// `T: Send` for both.
unsafe impl<T: Send> Sync for Slot<T> {}
// SAFETY: the slot owns at most one `T` in place and the deposits' `T`s (a `Box`).
unsafe impl<T: Send> Send for Slot<T> {}

/// `poll_cx` after a poll of the body unwound: not null, and never the address of a
/// `Context` (which is pointer-aligned).
fn poisoned() -> *mut () {
    ptr::dangling_mut::<u8>().cast()
}

/// Identifies the calling thread: the address of a thread-local (distinct for every live
/// thread). Read once per poll of a generator and on the deposit path, never per item.
fn thread_token() -> usize {
    #[cfg(not(loom))]
    std::thread_local!(static TOKEN: u8 = const { 0 });
    #[cfg(loom)]
    loom::thread_local!(static TOKEN: u8 = 0);
    TOKEN.with(|t| ptr::from_ref(t).addr())
}

#[cold]
#[inline(never)]
#[track_caller]
fn yield_from_another_thread() -> ! {
    panic!(
        "`Co::yield_` polled on a thread that is not polling its generator: a generator \
         takes yielded values only on the thread that polls it, and that thread is busy \
         inside the body's poll while another thread runs (`std::thread::scope`, rayon), \
         so this yield could never complete. Return the values from the other threads and \
         yield them in the body."
    )
}

/// Clears `poll_cx` when the body's poll unwinds (it is forgotten otherwise).
struct Unwinding<'a>(&'a AtomicPtr<()>);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        self.0.store(poisoned(), Relaxed);
    }
}

impl<T> Slot<T> {
    pub(super) fn new() -> Self {
        Slot {
            value: UnsafeCell::new(MaybeUninit::uninit()),
            owner: AtomicPtr::new(ptr::null_mut()),
            poll_cx: AtomicPtr::new(ptr::null_mut()),
            thread: AtomicUsize::new(0),
            deposits: AtomicPtr::new(ptr::null_mut()),
            _pin: PhantomPinned,
        }
    }

    // ---- generator side ----------------------------------------------------------------

    /// Whether a poll of the body unwound (the generator is finished).
    #[inline(always)]
    pub(super) fn is_poisoned(&self) -> bool {
        !self.poll_cx.load(Relaxed).is_null()
    }

    /// Runs `poll` (the body's poll) with yielders able to reach the slot: records the
    /// `Context` and the thread, then clears the `Context` — also when `poll` unwinds,
    /// which poisons the slot instead.
    #[inline(always)]
    pub(super) fn enter<R>(
        &self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> R,
    ) -> R {
        self.poll_cx.store(ptr::from_mut(cx).cast(), Relaxed);
        let thread = thread_token();
        // Stored only when it changed: a store per poll costs more than a load.
        if self.thread.load(Relaxed) != thread {
            self.thread.store(thread, Relaxed);
        }
        let guard = Unwinding(&self.poll_cx);
        let out = poll(cx);
        std::mem::forget(guard);
        self.poll_cx.store(ptr::null_mut(), Relaxed);
        out
    }

    /// After the body's poll: the value in place, else the oldest deposit.
    #[inline(always)]
    pub(super) fn take(&self) -> Option<T> {
        if !self.owner.load(Relaxed).is_null() {
            // SAFETY: `owner` is set, so `value` is initialised; this is the generator's
            // thread, after the body's poll: no yielder is touching `value`.
            let value = unsafe { (*self.value.get()).assume_init_read() };
            self.owner.store(ptr::null_mut(), Relaxed);
            return Some(value);
        }
        if self.deposits.load(Relaxed).is_null() {
            return None;
        }
        self.take_deposit()
    }

    /// The deposits, if there was one.
    fn deposits(&self) -> Option<&Deposits<T>> {
        // SAFETY: non-null means it points to the `Deposits` we (any thread) published
        // with `Release` in `deposits_or_new`, freed only when the slot is dropped.
        unsafe { self.deposits.load(Acquire).as_ref() }
    }

    #[cold]
    #[inline(never)]
    fn take_deposit(&self) -> Option<T> {
        let deposits = self.deposits()?;
        if deposits.len.load(Relaxed) == 0 {
            return None;
        }
        let (waker, value) = {
            let mut list = deposits.list.lock();
            let taken = list.notify_first_with(()).ok();
            deposits.len.store(list.len(), Relaxed);
            taken?
        };
        waker.wake();
        Some(value)
    }

    // ---- yielder side ------------------------------------------------------------------

    /// Whether `cx` is the `Context` the generator is polling its body with right now —
    /// which proves the caller runs on the generator's thread, inside that poll.
    ///
    /// `Context` is neither `Send` nor `Sync`, so only the generator's thread can hold a
    /// reference to the generator's `Context`, and two live `Context`s have distinct
    /// addresses. A stale `poll_cx` cannot match either: it is cleared before that poll
    /// returns (before its `Context` can be freed), and a `Context` on another thread can
    /// only reuse the address after that free, which happens-after the clear, so that
    /// thread reads the clear or a later value (coherence).
    #[inline(always)]
    pub(super) fn is_generator_cx(&self, cx: &Context<'_>) -> bool {
        ptr::eq(ptr::from_ref(cx).cast::<()>(), self.poll_cx.load(Relaxed))
    }

    /// In-place yield: if the slot is free, moves the value out of `value` into it for
    /// `owner` and returns true.
    ///
    /// # Safety
    ///
    /// `is_generator_cx` returned true for the caller's `Context`, in this poll; `value`
    /// is initialised, and the caller treats it as moved out when this returns true.
    #[inline(always)]
    pub(super) unsafe fn put(&self, owner: *const (), value: &MaybeUninit<T>) -> bool {
        if !self.owner.load(Relaxed).is_null() {
            return false;
        }
        // SAFETY: the slot is empty and, by the caller's proof, we are on the generator's
        // thread inside its poll of the body: nobody else reads or writes `value`; the
        // caller gives up the source value.
        unsafe { (*self.value.get()).write(value.assume_init_read()) };
        self.owner.store(owner.cast_mut(), Relaxed);
        true
    }

    /// Whether the value `owner` put in place is still there.
    #[inline(always)]
    pub(super) fn holds(&self, owner: *const ()) -> bool {
        ptr::eq(self.owner.load(Relaxed), owner)
    }

    /// Panics unless the caller runs on the thread polling the generator, inside its
    /// poll (the only place a yield can be taken from).
    #[inline]
    pub(super) fn check_thread(&self) {
        let cx = self.poll_cx.load(Relaxed);
        if cx.is_null() || cx == poisoned() || self.thread.load(Relaxed) != thread_token() {
            yield_from_another_thread();
        }
    }

    /// The deposits, made on the first deposit.
    fn deposits_or_new(&self) -> &Deposits<T> {
        if let Some(deposits) = self.deposits() {
            return deposits;
        }
        let new = Box::into_raw(Box::new(Deposits {
            len: AtomicUsize::new(0),
            list: SpinLock::new(WaitList::new()),
        }));
        if let Err(_theirs) = self
            .deposits
            .compare_exchange(ptr::null_mut(), new, Release, Relaxed)
        {
            // SAFETY: `new` came from `Box::into_raw` above and was not published.
            drop(unsafe { Box::from_raw(new) });
        }
        self.deposits().expect("published just now")
    }

    /// Deposits `value` after the earlier deposits; `waker` is woken once it is taken.
    /// The caller checked the thread ([`check_thread`](Self::check_thread)).
    #[cold]
    #[inline(never)]
    pub(super) fn deposit(&self, waker: &Waker, value: T) -> Key {
        let deposits = self.deposits_or_new();
        let mut list = deposits.list.lock();
        let key = list.push_with(waker, value);
        deposits.len.store(list.len(), Relaxed);
        key
    }

    /// The deposits of a yielder that holds a key (so there was a deposit).
    fn existing_deposits(&self) -> &Deposits<T> {
        self.deposits().expect("a deposit key without deposits")
    }

    /// Whether the deposit under `key` was taken (the entry is freed then); refreshes the
    /// waker otherwise.
    #[cold]
    #[inline(never)]
    pub(super) fn deposit_taken(&self, key: Key, waker: &Waker) -> bool {
        let taken = self
            .existing_deposits()
            .list
            .lock()
            .poll(key, waker)
            .is_some();
        if !taken {
            self.check_thread();
        }
        taken
    }

    /// A yielder gives up its deposit: returns the value unless it was already taken.
    #[cold]
    #[inline(never)]
    pub(super) fn withdraw(&self, key: Key) -> Option<T> {
        let deposits = self.existing_deposits();
        let mut list = deposits.list.lock();
        let removed = list.remove_with(key);
        deposits.len.store(list.len(), Relaxed);
        match removed {
            Removed::Waiting(value) => Some(value),
            Removed::Notified(()) => None,
        }
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        if !self.owner.load(Relaxed).is_null() {
            // SAFETY: `owner` is set, so `value` is initialised, and we own the slot.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
        let deposits = self.deposits.load(Acquire);
        if !deposits.is_null() {
            // SAFETY: published by `deposits_or_new` from `Box::into_raw`; we own the slot
            // and every `Yield` that used it is gone (the body is dropped first).
            drop(unsafe { Box::from_raw(deposits) });
        }
    }
}
