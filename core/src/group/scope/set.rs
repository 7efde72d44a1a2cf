//! A growable set of type-erased children, each in **one** allocation that is also the
//! target of its waker: the machinery behind [`scope`](super::scope).
//!
//! `FuturesUnordered<F>` stores each (same-typed) future inline in its task node.
//! `scope`'s children have different types, so a `FuturesUnordered` of them needs a
//! second allocation per child (the boxed future) and a second pointer chase per poll.
//! Here a child's node holds the header the set and the wakers use *and* the child
//! itself (the payload `P`), behind a small per-type vtable.
//!
//! # Layout and ownership
//!
//! A node is `#[repr(C)] Node<P> { header, payload }`, allocated once:
//!
//! - `refs` (atomic) counts what keeps the *memory* alive: each waker, the queue the
//!   node sits in (the incoming list or the wake stack: a node is in at most one, and
//!   `queued` says so), and one reference held by all owner-side handles together. The
//!   last release frees the memory — on any thread, which is why it never drops the
//!   payload.
//! - `local` (a `Cell`, owner thread only) counts owner-side handles: membership in the
//!   set and the [`LocalRef`] the caller got from [`ChildSet::insert`]. When it reaches
//!   zero the payload is dropped in place — always on the owner's thread, so payloads
//!   need not be `Send` — and the owner-side `refs` reference is released.
//! - The set links its live nodes in an intrusive doubly-linked list (no buffer that
//!   grows with the number of children) and holds one shared [`Queue`]: the parent's
//!   waker, a `POLLING`/`NOTIFIED` state word and the head of a lock-free stack of woken
//!   nodes. Each node holds a counted reference to the queue, so a waker that outlives
//!   the set still finds it.
//!
//! **Waking** (any thread): if `queued` was clear, take a queue reference, push the node
//! (Treiber push; the owner only takes the whole stack, so there is no ABA) and set
//! `NOTIFIED`; wake the parent unless the owner is polling. Once the set is closed the
//! stack head is a sentinel that wakers do not push onto: they drop their queue
//! reference instead, so nothing is left queued, unreachable, after the set is gone.
//!
//! **Polling** (owner): new children first, in insertion order, then woken ones in
//! batches: a batch is every node pushed since the last one (one `swap` takes the whole
//! stack), reversed once into wake order and polled oldest first, as asyncio runs ready
//! callbacks (FIFO). The reversal is one more pass over nodes that, with many children,
//! are no longer in cache: the 10,000-child shuffled benchmark went from 2.22 to 2.44 ms
//! with it (`FuturesUnordered` 2.81 ms in the same runs). Every queued child is polled
//! before any node pushed later, so none starves. `queued` is cleared
//! before a child is polled, so a wake during its poll queues it again (for the next
//! batch). A poll does at most `max(len, 32)` child polls, then wakes the parent and
//! yields, so children that keep waking themselves cannot starve the executor.
//!
//! A finished child's node is unlinked, its payload dropped and its last two references
//! released in one step (no atomic read-modify-write when nothing else holds it).
//!
//! # Testing
//!
//! Unit tests below run under Miri (`cargo +nightly miri test -p asyncio-core
//! scope_set`); `core/tests/loom_scope_set.rs` model-checks wakes on other threads racing
//! with the owner's polls, its close and the last release.

use core::alloc::Layout;
use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::{self, NonNull};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::alloc::{alloc, dealloc, handle_alloc_error};

// The parent module provides these: std's in the crate; loom's in
// `core/tests/loom_scope_set.rs`, which compiles this file on its own.
use super::sync::{Arc, AtomicBool, AtomicPtr, AtomicUsize, AtomicWaker, Ordering, fence};

/// The owner is inside a poll: wakers need not wake the parent.
const POLLING: usize = 1;
/// A node was pushed since the owner last looked.
const NOTIFIED: usize = 2;

/// What a set holds: one child. Called only on the owner's thread.
pub(crate) trait Payload {
    /// What the owner passes to every poll (the scope's shared state), so that children
    /// need not each store a pointer to it.
    type Ctx;
    /// Polls the child; `Ready` once it has finished for good. Never called again after
    /// `Ready` or after [`cancel`](Payload::cancel), and never re-entered.
    fn poll(self: Pin<&Self>, cx: &mut Context<'_>, ctx: &Self::Ctx) -> Poll<()>;
    /// Drops the child's future early (the set is being cancelled). May unwind (the
    /// future's `Drop` panicked): [`ChildSet::cancel_all`] catches it.
    fn cancel(self: Pin<&Self>);
}

/// Shared by the set and every node allocated for it.
struct Queue {
    state: AtomicUsize,
    /// Top of the stack of woken nodes; `closed_mark` once the set is closed.
    head: AtomicPtr<Header>,
    parent: AtomicWaker,
}

impl Queue {
    /// The stack head of a closed set: the queue's own address, never a node's.
    fn closed_mark(&self) -> *mut Header {
        (self as *const Queue).cast_mut().cast()
    }
}

struct NodeVTable {
    /// The last argument is a `&P::Ctx`, erased.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>, *const ()) -> Poll<()>,
    cancel: unsafe fn(NonNull<Header>),
    drop_payload: unsafe fn(NonNull<Header>),
    layout: Layout,
}

/// The first field of every node (56 bytes on 64-bit targets).
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    /// Link in the wake stack or the incoming list; written only by whoever set
    /// `queued`.
    next: AtomicPtr<Header>,
    /// Counted reference to the set's queue (`Arc::into_raw`); null for a node that
    /// never joined a set.
    queue: *const Queue,
    vtable: &'static NodeVTable,
    // Owner thread only:
    prev_all: Cell<*const Header>,
    next_all: Cell<*const Header>,
    /// Owner-side handles: at most two (the set's and the caller's).
    local: Cell<u32>,
    queued: AtomicBool,
    in_set: Cell<bool>,
}

#[repr(C)]
struct Node<P> {
    header: Header,
    payload: P,
}

impl<P: Payload> Node<P> {
    const VTABLE: NodeVTable = NodeVTable {
        poll: poll_payload::<P>,
        cancel: cancel_payload::<P>,
        drop_payload: drop_payload::<P>,
        layout: Layout::new::<Node<P>>(),
    };

    /// Allocates a node; `refs` and `local` as given.
    fn alloc(payload: P, queue: *const Queue, refs: usize, local: u32) -> NonNull<Header> {
        let layout = Layout::new::<Node<P>>();
        // SAFETY: a node is never zero-sized (the header is not).
        let raw = unsafe { alloc(layout) }.cast::<Node<P>>();
        let Some(node) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        // SAFETY: fresh allocation for a `Node<P>`, written once.
        unsafe {
            node.as_ptr().write(Node {
                header: Header {
                    refs: AtomicUsize::new(refs),
                    next: AtomicPtr::new(ptr::null_mut()),
                    queue,
                    vtable: &Self::VTABLE,
                    prev_all: Cell::new(ptr::null()),
                    next_all: Cell::new(ptr::null()),
                    local: Cell::new(local),
                    queued: AtomicBool::new(!queue.is_null()),
                    in_set: Cell::new(!queue.is_null()),
                },
                payload,
            });
        }
        node.cast()
    }
}

/// # Safety
/// `h` is a live `Node<P>` whose payload has not been dropped; `ctx` is a live
/// `P::Ctx`; owner thread.
unsafe fn poll_payload<P: Payload>(
    h: NonNull<Header>,
    cx: &mut Context<'_>,
    ctx: *const (),
) -> Poll<()> {
    // SAFETY: per the contract; the payload never moves (it lives in the node until the
    // node is freed), so pinning it is sound.
    unsafe {
        let p = &*ptr::addr_of!((*h.cast::<Node<P>>().as_ptr()).payload);
        Pin::new_unchecked(p).poll(cx, &*ctx.cast::<P::Ctx>())
    }
}

/// # Safety
/// As for [`poll_payload`].
unsafe fn cancel_payload<P: Payload>(h: NonNull<Header>) {
    // SAFETY: as in `poll_payload`.
    unsafe {
        let p = &*ptr::addr_of!((*h.cast::<Node<P>>().as_ptr()).payload);
        Pin::new_unchecked(p).cancel()
    }
}

/// # Safety
/// `h` is a live `Node<P>`; called once, when `local` reaches zero, on the owner thread.
unsafe fn drop_payload<P: Payload>(h: NonNull<Header>) {
    // SAFETY: per the contract; dropped in place, never moved.
    unsafe { ptr::drop_in_place(ptr::addr_of_mut!((*h.cast::<Node<P>>().as_ptr()).payload)) }
}

/// Releases one `refs` reference; the last frees the memory (the payload is already
/// gone) and the node's queue reference.
///
/// # Safety
/// The caller owns one reference to the live node `h`.
unsafe fn release(h: NonNull<Header>) {
    // SAFETY: per the contract.
    unsafe { release_n(h, 1) }
}

/// Releases `n` `refs` references at once.
///
/// # Safety
/// The caller owns `n` references to the live node `h`.
unsafe fn release_n(h: NonNull<Header>, n: usize) {
    // SAFETY: we own references, so the node is alive until our decrement.
    unsafe {
        let header = h.as_ref();
        // Fast path: if ours are the only references, nobody else can hold one (or
        // clone one), so no read-modify-write is needed: the usual end of a child,
        // whose handle and wakers are gone before the set lets go of it.
        if header.refs.load(Ordering::Acquire) != n
            && header.refs.fetch_sub(n, Ordering::Release) != n
        {
            return;
        }
        fence(Ordering::Acquire);
        let layout = header.vtable.layout;
        let queue = header.queue;
        dealloc(h.as_ptr().cast(), layout);
        if !queue.is_null() {
            drop(Arc::from_raw(queue));
        }
    }
}

/// Releases one owner-side handle; the last drops the payload.
///
/// # Safety
/// The caller owns one owner-side handle of the live node `h`; owner thread.
unsafe fn release_local(h: NonNull<Header>) {
    // SAFETY: per the contract, the node and its payload are alive.
    unsafe {
        let header = h.as_ref();
        let left = header.local.get() - 1;
        header.local.set(left);
        if left == 0 {
            (header.vtable.drop_payload)(h);
            release(h);
        }
    }
}

/// An owner-side handle to a node: keeps the payload alive. Dropping it releases it.
/// `!Send`: the payload is only ever touched on the owner's thread.
pub(crate) struct LocalRef {
    node: NonNull<Header>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LocalRef {
    fn drop(&mut self) {
        // SAFETY: a `LocalRef` owns one owner-side handle.
        unsafe { release_local(self.node) }
    }
}

/// Allocates a node that is in no set (its child never runs) and returns the handle and
/// a pointer to its payload, valid while the handle lives.
pub(crate) fn detached<P: Payload>(payload: P) -> (LocalRef, NonNull<P>) {
    let node = Node::alloc(payload, ptr::null(), 1, 1);
    local_ref::<P>(node)
}

fn local_ref<P>(node: NonNull<Header>) -> (LocalRef, NonNull<P>) {
    // SAFETY: `node` is a live `Node<P>`; the pointer keeps the allocation's provenance.
    let payload = unsafe {
        NonNull::new_unchecked(ptr::addr_of_mut!(
            (*node.cast::<Node<P>>().as_ptr()).payload
        ))
    };
    (
        LocalRef {
            node,
            _not_send: PhantomData,
        },
        payload,
    )
}

/// Why [`ChildSet::poll_children`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// No child is queued; later wakes wake the parent.
    Idle,
    /// The budget ran out; the parent was woken to come back.
    Yielded,
    /// `stop` returned true.
    Stopped,
}

/// The owner's side: the live children, the not-yet-polled ones and the woken ones.
/// `!Send` and `!Sync`; all methods take `&self` so that a child may insert into the set
/// that is polling it. `C` is the context every child's poll receives.
pub(crate) struct ChildSet<C> {
    queue: NonNull<Queue>,
    len: Cell<usize>,
    /// Head of the list of live nodes.
    all: Cell<*const Header>,
    /// FIFO of inserted, never-polled nodes (linked through `next`).
    incoming_head: Cell<*const Header>,
    incoming_tail: Cell<*const Header>,
    /// Woken nodes taken from the stack and not yet popped (most recent first).
    batch: Cell<*const Header>,
    closed: Cell<bool>,
    _ctx: PhantomData<fn(&C)>,
}

impl<C> Default for ChildSet<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> ChildSet<C> {
    pub(crate) fn new() -> Self {
        let queue = Arc::new(Queue {
            state: AtomicUsize::new(0),
            head: AtomicPtr::new(ptr::null_mut()),
            parent: AtomicWaker::new(),
        });
        ChildSet {
            // SAFETY: `Arc::into_raw` is never null.
            queue: unsafe { NonNull::new_unchecked(Arc::into_raw(queue).cast_mut()) },
            len: Cell::new(0),
            all: Cell::new(ptr::null()),
            incoming_head: Cell::new(ptr::null()),
            incoming_tail: Cell::new(ptr::null()),
            batch: Cell::new(ptr::null()),
            closed: Cell::new(false),
            _ctx: PhantomData,
        }
    }

    fn queue(&self) -> &Queue {
        // SAFETY: the set holds a reference to its queue until it is dropped.
        unsafe { self.queue.as_ref() }
    }

    /// Number of live children.
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// Adds a child, to be polled first (in insertion order) by the next
    /// [`poll_children`](Self::poll_children). Returns a handle and a pointer to the
    /// payload, valid while the handle lives. If the owner is not polling, the parent
    /// is woken so the new child does not wait for an unrelated wake.
    ///
    /// # Panics
    /// If the set is closed (the caller checks first).
    pub(crate) fn insert<P: Payload<Ctx = C>>(&self, payload: P) -> (LocalRef, NonNull<P>) {
        assert!(!self.closed.get(), "insert into a closed ChildSet");
        // SAFETY: the set's own counted reference to its queue, borrowed (not released).
        let owner = ManuallyDrop::new(unsafe { Arc::from_raw(self.queue.as_ptr().cast_const()) });
        let q = Arc::into_raw(Arc::clone(&owner)); // the node's reference
        // refs: the owner-side handles (1) + the incoming list (1); local: set + caller.
        let node = Node::alloc(payload, q, 2, 2);
        // SAFETY: the node is alive (we hold references); owner thread.
        let h = unsafe { node.as_ref() };
        let head = self.all.get();
        h.next_all.set(head);
        if !head.is_null() {
            // SAFETY: nodes in the list are alive (the set holds a handle on each).
            unsafe { (*head).prev_all.set(node.as_ptr()) };
        }
        self.all.set(node.as_ptr());
        self.len.set(self.len.get() + 1);
        let tail = self.incoming_tail.get();
        if tail.is_null() {
            self.incoming_head.set(node.as_ptr());
        } else {
            // SAFETY: the tail is alive (the incoming list holds a reference) and its
            // `next` is ours (its `queued` flag is set).
            unsafe { (*tail).next.store(node.as_ptr(), Ordering::Relaxed) };
        }
        self.incoming_tail.set(node.as_ptr());
        if self.queue().state.load(Ordering::Relaxed) & POLLING == 0 {
            self.queue().parent.wake();
        }
        local_ref::<P>(node)
    }

    /// Starts a poll: registers the parent's waker and sets `POLLING`, so wakes from
    /// here on (including by code the caller polls before the children) cost no parent
    /// wake.
    pub(crate) fn begin(&self, parent: &Waker) {
        let q = self.queue();
        q.parent.register(parent);
        q.state.swap(POLLING, Ordering::AcqRel);
    }

    /// Ends a poll early (the caller returns `Ready` or gives up): later wakes wake the
    /// parent again.
    pub(crate) fn end(&self) {
        self.queue().state.swap(0, Ordering::AcqRel);
    }

    /// Polls queued children (new ones first, then woken ones) until none is queued,
    /// the budget runs out, or `stop()` holds after a child finished. Every child's
    /// poll receives `ctx`. Must follow [`begin`](Self::begin) in the same poll.
    pub(crate) fn poll_children(
        &self,
        cx: &mut Context<'_>,
        ctx: &C,
        mut stop: impl FnMut() -> bool,
    ) -> Polled {
        let mut budget = self.len.get().max(32);
        loop {
            if budget == 0 {
                self.end();
                cx.waker().wake_by_ref();
                return Polled::Yielded;
            }
            let Some(node) = self.pop() else {
                return Polled::Idle;
            };
            // The queue's reference is released after the poll, even if it unwinds.
            let queued_ref = QueuedRef(node);
            // SAFETY: popped nodes are alive (`queued_ref`); owner thread.
            let h = unsafe { node.as_ref() };
            if !h.in_set.get() {
                continue; // finished or cancelled since it was queued
            }
            budget -= 1;
            let raw = RawWaker::new(node.as_ptr().cast_const().cast(), &WAKER_VTABLE);
            // SAFETY: the vtable's contract holds for node pointers; `ManuallyDrop`
            // because this waker owns no reference (`queued_ref` and the set's handle
            // keep the node alive during the poll).
            let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
            let mut child_cx = Context::from_waker(&waker);
            let ctx = ptr::from_ref(ctx).cast::<()>();
            // SAFETY: the node is in the set, so its payload is alive and unfinished;
            // owner thread; a node is popped once at a time, so this is not re-entered;
            // every node in this set was inserted with a `Payload<Ctx = C>`, and `ctx`
            // is a live `&C`.
            let done = unsafe { (h.vtable.poll)(node, &mut child_cx, ctx) }.is_ready();
            if done {
                std::mem::forget(queued_ref);
                // SAFETY: the node is in the set; this takes it out and releases the
                // set's handle and the queue's reference (owned, `queued_ref` forgotten).
                unsafe { self.finish(node) };
                if stop() {
                    self.end();
                    return Polled::Stopped;
                }
            }
        }
    }

    /// Unlinks a finished node from the list, then releases the set's handle on it and
    /// the queue's reference the caller popped with it — in one step when the set's
    /// handle was the last (the usual case: one decrement, or none, not two).
    ///
    /// # Safety
    /// `node` is in this set and the caller owns the queue's reference to it.
    unsafe fn finish(&self, node: NonNull<Header>) {
        // SAFETY: per the contract, `node` and its list neighbours are alive.
        unsafe {
            let h = node.as_ref();
            let (prev, next) = (h.prev_all.get(), h.next_all.get());
            if prev.is_null() {
                self.all.set(next);
            } else {
                (*prev).next_all.set(next);
            }
            if !next.is_null() {
                (*next).prev_all.set(prev);
            }
            h.in_set.set(false);
            self.len.set(self.len.get() - 1);
            let left = h.local.get() - 1;
            h.local.set(left);
            if left == 0 {
                (h.vtable.drop_payload)(node);
                release_n(node, 2); // the owner-side reference and the queue's
            } else {
                release_n(node, 1); // the queue's; the caller's handle keeps the rest
            }
        }
    }

    /// The next queued node (with the queue's reference, now the caller's), or `None`
    /// — having cleared `POLLING` — when nothing is queued.
    fn pop(&self) -> Option<NonNull<Header>> {
        let incoming = self.incoming_head.get();
        if !incoming.is_null() {
            // SAFETY: the node is alive (the list holds a reference) and its `next` is
            // ours. It has never been polled, so no waker of it exists and no other
            // thread can touch `queued`: a plain store clears it (wakers created from
            // now on reach other threads through synchronising code).
            unsafe {
                let next = (*incoming).next.load(Ordering::Relaxed);
                self.incoming_head.set(next);
                if next.is_null() {
                    self.incoming_tail.set(ptr::null());
                }
                (*incoming).queued.store(false, Ordering::Relaxed);
                return Some(NonNull::new_unchecked(incoming.cast_mut()));
            }
        }
        let take = |list: &Cell<*const Header>| {
            let node = list.get();
            // SAFETY: a listed node is alive (its list holds a reference) and its `next`
            // is ours until `queued` is cleared.
            unsafe {
                list.set((*node).next.load(Ordering::Relaxed));
                (*node).queued.swap(false, Ordering::AcqRel);
                NonNull::new_unchecked(node.cast_mut())
            }
        };
        loop {
            if !self.batch.get().is_null() {
                return Some(take(&self.batch));
            }
            let q = self.queue();
            let top = q.head.swap(ptr::null_mut(), Ordering::Acquire);
            if top.is_null() {
                match q
                    .state
                    .compare_exchange(POLLING, 0, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return None,
                    Err(_) => {
                        // A waker pushed after our `swap`: look again.
                        q.state.swap(POLLING, Ordering::AcqRel);
                        continue;
                    }
                }
            }
            // The stack hands the batch over newest first; reverse it, so children are
            // polled in the order they were woken (asyncio's FIFO `call_soon` order).
            let mut oldest_first: *const Header = ptr::null();
            let mut node: *const Header = top;
            while !node.is_null() {
                // SAFETY: a node in the batch is alive (the queue holds a reference to
                // it) and, while its `queued` flag is set, its `next` is written only by
                // the set's owner — us (a waker writes `next` only after turning
                // `queued` from false to true).
                unsafe {
                    let next = (*node).next.load(Ordering::Relaxed);
                    (*node)
                        .next
                        .store(oldest_first.cast_mut(), Ordering::Relaxed);
                    oldest_first = node;
                    node = next;
                }
            }
            self.batch.set(oldest_first);
        }
    }

    /// Cancels every live child (newest first), dropping its future through
    /// [`Payload::cancel`]; the set stays usable. A `cancel` that panics is caught and
    /// the next child cancelled all the same (a panic there during an unwind would
    /// abort): returns the first such panic, having discarded any later ones.
    pub(crate) fn cancel_all(&self) -> Option<Box<dyn std::any::Any + Send>> {
        let mut first = None;
        // One node at a time from the head: a child's drop may touch the set (drop
        // handles, even insert), so no pointer is kept across `cancel`.
        while let Some(node) = NonNull::new(self.all.get().cast_mut()) {
            // SAFETY: the node is in the set, so it and its payload are alive; owner
            // thread. It is unlinked before its payload runs any code.
            unsafe {
                let h = node.as_ref();
                let next = h.next_all.get();
                self.all.set(next);
                if !next.is_null() {
                    (*next).prev_all.set(ptr::null());
                }
                h.in_set.set(false);
                self.len.set(self.len.get() - 1);
                let guard = LocalRef {
                    node,
                    _not_send: PhantomData,
                };
                let cancel = h.vtable.cancel;
                let cancelled =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cancel(node)));
                drop(guard);
                if let Err(p) = cancelled {
                    if first.is_none() {
                        first = Some(p);
                    } else {
                        forget_quietly(p);
                    }
                }
            }
        }
        first
    }

    /// Cancels every child and closes the queue: inserting is refused from now on, and
    /// wakers no longer push. Idempotent. Returns the first panic of a child's
    /// cancellation, as [`cancel_all`](Self::cancel_all).
    pub(crate) fn close(&self) -> Option<Box<dyn std::any::Any + Send>> {
        let first = self.cancel_all();
        if self.closed.replace(true) {
            return first;
        }
        self.end();
        let q = self.queue();
        let mut top = q.head.swap(q.closed_mark(), Ordering::Acquire);
        while !top.is_null() {
            // SAFETY: taken nodes are alive (the stack's references); we release them.
            unsafe {
                let next = (*top).next.load(Ordering::Relaxed);
                release(NonNull::new_unchecked(top));
                top = next;
            }
        }
        for list in [&self.incoming_head, &self.batch] {
            let mut node = list.replace(ptr::null());
            while !node.is_null() {
                // SAFETY: as above; these lists hold one reference per node.
                unsafe {
                    let next = (*node).next.load(Ordering::Relaxed);
                    release(NonNull::new_unchecked(node.cast_mut()));
                    node = next;
                }
            }
        }
        self.incoming_tail.set(ptr::null());
        first
    }
}

/// Drops a caught panic's payload, discarding (leaking) a panic of its own `Drop`.
fn forget_quietly(p: Box<dyn std::any::Any + Send>) {
    if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(p))) {
        core::mem::forget(p);
    }
}

impl<C> Drop for ChildSet<C> {
    fn drop(&mut self) {
        // Nothing to report to: a child's `Drop` panic here is discarded.
        if let Some(p) = self.close() {
            forget_quietly(p);
        }
        // SAFETY: the set's own reference to its queue, released once.
        unsafe { drop(Arc::from_raw(self.queue.as_ptr().cast_const())) };
    }
}

/// The queue's reference to a popped node, released when the poll ends.
struct QueuedRef(NonNull<Header>);

impl Drop for QueuedRef {
    fn drop(&mut self) {
        // SAFETY: `pop` handed us the queue's reference.
        unsafe { release(self.0) }
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live node (the waker being cloned keeps it alive).
    unsafe {
        let h = &*data.cast::<Header>();
        if h.refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
            std::process::abort();
        }
    }
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: this waker owns one reference, released after waking.
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live node (the waker keeps it alive); only atomics and the
    // queue are touched here, never the owner-only fields or the payload.
    unsafe {
        let node = data.cast::<Header>().cast_mut();
        let h = &*node;
        if h.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        // A node with a waker joined a set (detached nodes are never polled).
        let q = &*h.queue;
        // The stack's reference; we hold one already, so `Relaxed` suffices.
        h.refs.fetch_add(1, Ordering::Relaxed);
        let mut head = q.head.load(Ordering::Relaxed);
        loop {
            if head == q.closed_mark() {
                // The set is gone: nobody will pop this node.
                release(NonNull::new_unchecked(node));
                return;
            }
            // We own `next`: `queued` went false -> true here.
            h.next.store(head, Ordering::Relaxed);
            match q
                .head
                .compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        if q.state.fetch_or(NOTIFIED, Ordering::AcqRel) & POLLING == 0 {
            q.parent.wake();
        }
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker owns one reference.
    unsafe { release(NonNull::new_unchecked(data.cast::<Header>().cast_mut())) }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::AtomicUsize as StdUsize;
    use std::task::Wake;

    struct Count(StdUsize);
    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// A child that logs its polls, finishes after `polls_left` polls, and hands out
    /// its waker.
    struct Probe {
        id: usize,
        polls_left: Cell<usize>,
        log: Rc<RefCell<Vec<String>>>,
        waker: Rc<RefCell<Option<Waker>>>,
        /// Wakes itself on every poll (a busy child).
        busy: bool,
    }

    impl Payload for Probe {
        type Ctx = ();
        fn poll(self: Pin<&Self>, cx: &mut Context<'_>, _: &()) -> Poll<()> {
            self.log.borrow_mut().push(format!("poll {}", self.id));
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            if self.busy {
                cx.waker().wake_by_ref();
            }
            let left = self.polls_left.get() - 1;
            self.polls_left.set(left);
            if left == 0 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
        fn cancel(self: Pin<&Self>) {
            self.log.borrow_mut().push(format!("cancel {}", self.id));
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.log.borrow_mut().push(format!("drop {}", self.id));
        }
    }

    type Log = Rc<RefCell<Vec<String>>>;

    fn probe(
        id: usize,
        polls: usize,
        log: &Log,
        busy: bool,
    ) -> (Probe, Rc<RefCell<Option<Waker>>>) {
        let w = Rc::new(RefCell::new(None));
        (
            Probe {
                id,
                polls_left: Cell::new(polls),
                log: log.clone(),
                waker: w.clone(),
                busy,
            },
            w,
        )
    }

    fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.borrow_mut())
    }

    fn parent() -> (std::sync::Arc<Count>, Waker) {
        let c = std::sync::Arc::new(Count(StdUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn scope_set_order_wakes_and_drops() {
        let log = Log::default();
        let (count, p) = parent();
        let mut cx = Context::from_waker(&p);
        let set = ChildSet::<()>::new();
        let (a, wa) = probe(0, 2, &log, false);
        let (b, wb) = probe(1, 1, &log, false);
        let (c, wc) = probe(2, 3, &log, false);
        let (ha, _) = set.insert(a);
        let (hb, pb) = set.insert(b);
        let (hc, _) = set.insert(c);
        assert_eq!(set.len(), 3);
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        assert_eq!(take(&log), ["poll 0", "poll 1", "poll 2"]);
        assert_eq!(set.len(), 2);
        // b finished, but its handle keeps the payload alive.
        // SAFETY: `hb` is alive.
        assert_eq!(unsafe { pb.as_ref() }.id, 1);
        drop(hb);
        assert_eq!(take(&log), ["drop 1"]);
        // Wake c then a (twice: deduplicated) while not polling: the parent is woken.
        let before = count.0.load(std::sync::atomic::Ordering::SeqCst);
        wc.borrow().as_ref().unwrap().wake_by_ref();
        wa.borrow().as_ref().unwrap().wake_by_ref();
        wa.borrow().as_ref().unwrap().wake_by_ref();
        assert!(count.0.load(std::sync::atomic::Ordering::SeqCst) > before);
        // A stale waker of the finished b: its node is no longer in the set.
        wb.borrow().as_ref().unwrap().wake_by_ref();
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        // In wake order (c, then a), since a42a3e6.
        assert_eq!(take(&log), ["poll 2", "poll 0"]);
        assert_eq!(set.len(), 1);
        drop(ha);
        assert_eq!(take(&log), ["drop 0"]);
        // Cancel what is left: c's future is cancelled, its payload lives on in `hc`.
        set.cancel_all();
        assert_eq!(take(&log), ["cancel 2"]);
        assert!(set.is_empty());
        drop(hc);
        assert_eq!(take(&log), ["drop 2"]);
        // Wakers outlive the set and its payloads.
        let wc = wc.borrow_mut().take().unwrap();
        drop(set);
        wc.wake_by_ref();
        let wc2 = wc.clone(); // a clone woken by value releases its reference
        wc2.wake();
        drop(wc);
        drop(wa);
        drop(wb);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn scope_set_header_is_seven_words() {
        assert_eq!(size_of::<Header>(), 56);
    }

    #[test]
    fn scope_set_budget_yields_to_busy_children() {
        let log = Log::default();
        let (_count, p) = parent();
        let mut cx = Context::from_waker(&p);
        let set = ChildSet::<()>::new();
        let handles: Vec<_> = (0..40)
            .map(|i| set.insert(probe(i, usize::MAX, &log, true).0).0)
            .collect();
        set.begin(&p);
        // 40 new children, then each keeps re-queuing itself: the budget stops it.
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Yielded);
        assert_eq!(take(&log).len(), 40);
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Yielded);
        assert_eq!(take(&log).len(), 40);
        drop(handles);
        drop(set); // cancels all 40, releases the queued references
        let log = take(&log);
        assert_eq!(log.iter().filter(|l| l.starts_with("cancel")).count(), 40);
        assert_eq!(log.iter().filter(|l| l.starts_with("drop")).count(), 40);
    }

    #[test]
    fn scope_set_insert_while_polling_and_stop() {
        // A child that inserts a sibling when polled, through the set itself.
        struct Spawner<'a> {
            set: &'a ChildSet<()>,
            log: Log,
            kept: RefCell<Vec<LocalRef>>,
        }
        impl Payload for Spawner<'_> {
            type Ctx = ();
            fn poll(self: Pin<&Self>, _cx: &mut Context<'_>, _: &()) -> Poll<()> {
                self.log.borrow_mut().push("spawner".into());
                let (h, _) = self.set.insert(probe(9, 1, &self.log, false).0);
                self.kept.borrow_mut().push(h);
                Poll::Ready(())
            }
            fn cancel(self: Pin<&Self>) {}
        }
        let log = Log::default();
        let (count, p) = parent();
        let mut cx = Context::from_waker(&p);
        let set = ChildSet::<()>::new();
        let (h, _) = set.insert(Spawner {
            set: &set,
            log: log.clone(),
            kept: RefCell::new(Vec::new()),
        });
        let (h2, _) = set.insert(probe(1, 1, &log, false).0);
        set.begin(&p);
        let before = count.0.load(std::sync::atomic::Ordering::SeqCst);
        let mut finished = 0;
        assert_eq!(
            set.poll_children(&mut cx, &(), || {
                finished += 1;
                finished == 2
            }),
            Polled::Stopped
        );
        // Inserting while polling did not wake the parent; the grandchild is queued.
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), before);
        assert_eq!(take(&log), ["spawner", "poll 1"]);
        assert_eq!(set.len(), 1);
        set.begin(&p);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        assert_eq!(take(&log), ["poll 9"]);
        // Inserting while idle wakes the parent.
        let before = count.0.load(std::sync::atomic::Ordering::SeqCst);
        let (h3, _) = set.insert(probe(3, 1, &log, false).0);
        assert_eq!(
            count.0.load(std::sync::atomic::Ordering::SeqCst),
            before + 1
        );
        drop((h2, h3));
        drop(h); // drops the Spawner payload, whose `kept` drops the grandchild's handle
        drop(set);
        let log = take(&log);
        assert!(log.contains(&"drop 9".to_string()) && log.contains(&"cancel 3".to_string()));
    }

    #[test]
    fn scope_set_detached_and_threads() {
        let log = Log::default();
        let (h, p) = detached(probe(5, 1, &log, false).0);
        // SAFETY: `h` is alive.
        assert_eq!(unsafe { p.as_ref() }.id, 5);
        drop(h);
        assert_eq!(take(&log), ["drop 5"]);

        let (_count, parent_waker) = parent();
        let mut cx = Context::from_waker(&parent_waker);
        let set = ChildSet::<()>::new();
        let probes: Vec<_> = (0..8).map(|i| probe(i, 2, &log, false)).collect();
        let mut handles = Vec::new();
        let mut wakers = Vec::new();
        for (pr, w) in probes {
            handles.push(set.insert(pr).0);
            wakers.push(w);
        }
        set.begin(&parent_waker);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        let wakers: Vec<Waker> = wakers
            .iter()
            .map(|w| w.borrow_mut().take().unwrap())
            .collect();
        let threads: Vec<_> = wakers
            .into_iter()
            .map(|w| std::thread::spawn(move || w.wake()))
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        take(&log);
        set.begin(&parent_waker);
        assert_eq!(set.poll_children(&mut cx, &(), || false), Polled::Idle);
        let mut polled = take(&log);
        polled.sort();
        assert_eq!(polled.len(), 8);
        assert!(set.is_empty());
        drop(handles);
    }
}
