//! A child's tie to its group in one machine word.
//!
//! Every child of a [`TaskGroup`](super::TaskGroup) needs its group (to report a failure,
//! to leave the live count, to hear a cancellation), its spawn location, its name if it
//! has one, and — once it has been pending — a registration with the group's cancel
//! `Notify`. Stored as plain fields that is five words next to the user's future, and
//! tokio's task cell is rounded up to 128-byte steps: a trivial child then needs a
//! 256-byte cell instead of 128, which glibc serves from its consolidating bins instead of
//! its fast bins, and a group of 100,000 children got 1.4× slower on the current-thread
//! loop (BENCHMARKS.md). So the tie is one tagged pointer:
//!
//! - tag 0: a [`Site`] — the group and a spawn location, shared by every unnamed child
//!   spawned from that line and owned by the group (so no allocation per child);
//! - tag 1: a boxed [`Extra`] owned by this child — the group, the location, the name and
//!   the cancel registration. Named children start here; an unnamed child moves here
//!   the first time it is pending (the allocation the registration needed anyway).
//!
//! Either way the link owns one strong count of the group's `Arc<Shared>` and one count
//! of its live children, both released when the link is dropped (after the child's
//! future: it is declared after it).
//!
//! Bit 1 of the same word ([`FUTURE_GONE`]) records that the child dropped its future
//! itself (the child drops it in place, catching a panic of its `Drop`, so that such
//! a panic is reported, not lost or raised during an unwind), so that it is dropped
//! exactly once.

use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;

use super::Shared;

/// Set in a [`Link`]'s pointer when it points to an [`Extra`], clear for a [`Site`].
const EXTRA: usize = 1;
/// Set in a [`Link`]'s pointer once the child's future has been dropped.
const FUTURE_GONE: usize = 2;
/// Every tag bit: the rest of the word is the pointer.
const TAGS: usize = EXTRA | FUTURE_GONE;

// Both pointees are at least 4-aligned (they start with a pointer), so bits 0 and 1
// are free for the tags.
const _: () = assert!(align_of::<Site<()>>() > TAGS && align_of::<Extra<()>>() > TAGS);

/// A group and a spawn location. Immutable; owned by the group's [`Sites`], so it lives
/// as long as the group's `Shared`.
pub(super) struct Site<E> {
    shared: *const Shared<E>,
    location: &'static Location<'static>,
}

// SAFETY: `shared` is only dereferenced by a `Link`, which holds a strong count of it;
// `Shared<E>` is `Send + Sync` when `E: Send`. Everything else is plain shared data.
unsafe impl<E: Send> Send for Site<E> {}
// SAFETY: as above; a `Site` is never mutated after it is created.
unsafe impl<E: Send> Sync for Site<E> {}

/// The spawn sites of one group (see [`super::super::sites`]).
pub(super) type Sites<E> = super::super::sites::Sites<Site<E>>;

/// The site of `location` in the group at `shared` (whose `Sites` these are).
fn site_of<E>(
    sites: &Sites<E>,
    shared: *const Shared<E>,
    location: &'static Location<'static>,
) -> *const Site<E> {
    sites.get(
        |s| same_location(s.location, location),
        || Site { shared, location },
    )
}

fn same_location(a: &'static Location<'static>, b: &'static Location<'static>) -> bool {
    ptr::eq(a, b) || a == b
}

/// A child's own tie to its group: the group, where it was spawned, its name, and its
/// registration for the group's cancellation.
struct Extra<E> {
    shared: *const Shared<E>,
    location: &'static Location<'static>,
    name: Option<Arc<str>>,
    /// Pinned: never moved out of the box while the box exists.
    notified: Option<OwnedNotified>,
}

/// A child's tie to its group, in one word (see the module docs).
pub(super) struct Link<E> {
    /// A `*const Site<E>` (tag 0) or a `Box<Extra<E>>` (tag [`EXTRA`]).
    ptr: NonNull<u8>,
    _owns: PhantomData<Owns<E>>,
}

/// What a [`Link`] owns, for the drop checker and auto traits.
type Owns<E> = (Arc<Shared<E>>, Box<Extra<E>>);

// SAFETY: a `Link` owns a strong count of `Shared<E>` and maybe a `Box<Extra<E>>`, and
// reads a `Site<E>`; all are `Send` and `Sync` when `E: Send` (the `Extra`'s raw pointer
// is the same strong count).
unsafe impl<E: Send> Send for Link<E> {}
// SAFETY: through `&Link` only shared data is read (the group, the location, the name).
unsafe impl<E: Send> Sync for Link<E> {}

impl<E> Link<E> {
    /// A link for a child of `shared` spawned at `location`, taking over one strong count
    /// of `shared` and one live count (the caller's `enter`).
    pub(super) fn new(
        shared: Arc<Shared<E>>,
        location: &'static Location<'static>,
        name: Option<Arc<str>>,
    ) -> Self {
        let shared = Arc::into_raw(shared);
        match name {
            None => {
                // SAFETY: `shared` is alive: we hold the count we just leaked.
                let site = site_of(unsafe { &(*shared).sites }, shared, location);
                Link {
                    // SAFETY: `Sites::get` returns a pointer to a live entry.
                    ptr: unsafe { NonNull::new_unchecked(site.cast_mut()) }.cast(),
                    _owns: PhantomData,
                }
            }
            Some(name) => Self::extra(Extra {
                shared,
                location,
                name: Some(name),
                notified: None,
            }),
        }
    }

    fn extra(extra: Extra<E>) -> Self {
        let p = NonNull::from(Box::leak(Box::new(extra))).cast::<u8>();
        // `Extra` is 8-aligned, so bit 0 of its address is free for the tag.
        Link {
            ptr: p.map_addr(|a| a | EXTRA),
            _owns: PhantomData,
        }
    }

    fn is_extra(&self) -> bool {
        self.ptr.addr().get() & EXTRA != 0
    }

    fn extra_ptr(&self) -> *mut Extra<E> {
        self.ptr.as_ptr().map_addr(|a| a & !TAGS).cast()
    }

    fn site(&self) -> &Site<E> {
        debug_assert!(!self.is_extra());
        // SAFETY: tag 0: `ptr` (tag bits cleared, provenance kept) points to a `Site`
        // owned by the group, which our strong count keeps alive.
        unsafe { &*self.ptr.as_ptr().map_addr(|a| a & !TAGS).cast::<Site<E>>() }
    }

    /// Whether the child's future has been dropped ([`set_future_gone`]).
    ///
    /// [`set_future_gone`]: Self::set_future_gone
    pub(super) fn future_gone(&self) -> bool {
        self.ptr.addr().get() & FUTURE_GONE != 0
    }

    /// Records that the child's future is being dropped (set before the drop, so that
    /// a `Drop` that unwinds is not run again).
    pub(super) fn set_future_gone(&mut self) {
        self.ptr = self.ptr.map_addr(|a| a | FUTURE_GONE);
    }

    fn extra_ref(&self) -> &Extra<E> {
        // SAFETY: tag 1: `ptr` is our own `Box<Extra>`, alive until `drop`.
        unsafe { &*self.extra_ptr() }
    }

    fn shared_ptr(&self) -> *const Shared<E> {
        if self.is_extra() {
            self.extra_ref().shared
        } else {
            self.site().shared
        }
    }

    /// The child's group.
    pub(super) fn shared(&self) -> &Shared<E> {
        // SAFETY: we hold a strong count of it.
        unsafe { &*self.shared_ptr() }
    }

    pub(super) fn location(&self) -> &'static Location<'static> {
        if self.is_extra() {
            self.extra_ref().location
        } else {
            self.site().location
        }
    }

    pub(super) fn name(&self) -> Option<&Arc<str>> {
        if self.is_extra() {
            self.extra_ref().name.as_ref()
        } else {
            None
        }
    }

    /// Polls for the group's cancellation, registering for it on the first call.
    /// `Ready` means the group is cancelling.
    pub(super) fn poll_cancelled(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // Only while the future lives: the new link below starts with no tag but EXTRA.
        debug_assert!(!self.future_gone());
        if !self.is_extra() {
            let site = self.site();
            let (shared, location) = (site.shared, site.location);
            let extra = Self::extra(Extra {
                shared,
                location,
                name: None,
                notified: None,
            });
            // The strong count and the live count move to the `Extra`: the old link
            // must not release them.
            std::mem::forget(std::mem::replace(self, extra));
        }
        // SAFETY: tag 1 (just ensured): our own box, and `&mut self` makes this the only
        // reference to it.
        let extra = unsafe { &mut *self.extra_ptr() };
        if extra.notified.is_none() {
            // SAFETY: we hold a strong count of the group.
            let shared = unsafe { &*extra.shared };
            extra.notified = Some(shared.cancel.clone().notified_owned());
            // Created, then the flag re-checked: a cancel either set the flag before
            // this point or notifies this `OwnedNotified`.
            if shared.state.is_cancelled() {
                return Poll::Ready(());
            }
        }
        let notified = extra.notified.as_mut().expect("set above");
        // SAFETY: `notified` lives in our box and is never moved: the box is only freed
        // (dropping it in place) when the link is dropped.
        unsafe { Pin::new_unchecked(notified) }.poll(cx)
    }
}

impl<E> Drop for Link<E> {
    fn drop(&mut self) {
        let shared = self.shared_ptr();
        if self.is_extra() {
            // SAFETY: tag 1: the box we leaked in `Link::extra`; nothing else refers to
            // it (a registered `OwnedNotified` unlinks itself as it is dropped).
            drop(unsafe { Box::from_raw(self.extra_ptr()) });
        }
        // SAFETY: our strong count (leaked in `Link::new`) keeps `shared` alive until we
        // give it back here, after leaving the live count.
        unsafe {
            (*shared).release();
            drop(Arc::from_raw(shared));
        }
    }
}
