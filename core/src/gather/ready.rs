//! Per-child wakers and a ready queue: the machinery that lets a join poll only the
//! children whose own waker fired (O(woken) work per wake, no scan over n slots).
//!
//! This is the only module of `gather` with `unsafe` code.
//!
//! # Layout
//!
//! The queue makes at most **one** heap allocation, holding a [`Header`] followed by `n`
//! [`Node`]s, and makes it lazily (see *The first poll* below):
//!
//! - `Header`: a reference count (the owner holds one reference, each cloned waker one
//!   more), the parent's waker (`AtomicWaker`), a `state` word (`POLLING`/`NOTIFIED`
//!   bits, below) and the head of a lock-free stack of queued nodes.
//! - `Node` `i`: child `i`'s waker points here. It holds a `queued` flag (dedup: a child
//!   woken twice before it is polled is queued once), the intrusive `next` link of the
//!   stack, and its index.
//!
//! A waker's data pointer is its node; `clone` bumps the shared count, `drop` releases
//! it, and the last release frees the allocation, so wakers may outlive the join.
//!
//! **Waking** node `i`: if `queued` was already set, nothing; else push the node onto the
//! stack (Treiber push; the consumer only ever takes the whole stack at once, so there
//! is no ABA problem) and set `NOTIFIED`; if the owner is not inside `poll`
//! (`POLLING` clear), wake the parent. Wakes that happen while the owner is polling (a
//! child that completes and wakes a sibling) cost no parent wake at all.
//!
//! **The first poll.** Until the allocation exists, [`ReadyQueue::with_waker`] hands a
//! child a *probe* waker instead of its node's: its data pointer is a small frame on
//! the owner's stack naming the queue and the child's index, valid only while that
//! child is being polled (a `Context`'s waker is borrowed for the poll; the only way to
//! keep a waker longer is to clone it). Cloning or waking a probe makes the allocation
//! (once; concurrent probes on other threads race with a compare-exchange and the loser
//! frees its copy) and then acts exactly like node `i`'s waker: `clone` returns a real
//! node waker, `wake_by_ref` queues node `i`. So a join whose children all finish on
//! their first poll — the common "gather of ready futures" — allocates nothing here,
//! and every other join gets the same per-child wakers as before. [`ReadyQueue::begin`]
//! makes the allocation if no probe did.
//!
//! **Popping** ([`ReadyQueue::pop`]): the owner keeps a private batch; when it is empty
//! it takes the whole stack (one `swap`), reverses it (wake order = poll order, so
//! polling is deterministic for a deterministic wake order) and pops from it. Before the
//! child is polled its `queued` flag is cleared, so a wake during the poll queues it
//! again. `pop` returns `None` only after it has cleared `POLLING` with no wake
//! pending, so a wake that races with the end of a poll is never lost.
//!
//! # Growth
//!
//! The node array is fixed-size: wakers point into it, so it can never move, and
//! `gather_all` does not pay for growth it never does. A set whose children come and go
//! while it runs (`scope`) uses its own structure instead, one allocation per child
//! (`group/scope/set.rs`).
//!
//! # Testing
//!
//! Unit tests below run under Miri (`cargo +nightly miri test -p asyncio-core gather`);
//! `core/tests/loom_gather.rs` model-checks wakes from other threads racing with the
//! owner's polls and drops (`RUSTFLAGS="--cfg loom"`).

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use core::task::{RawWaker, RawWakerVTable, Waker};
use std::alloc::{alloc, dealloc, handle_alloc_error};
use std::mem::ManuallyDrop;

// The parent module provides these: std's atomics and futures' `AtomicWaker` in the
// crate; loom's in `core/tests/loom_gather.rs`, which compiles this file on its own.
use super::sync::{AtomicBool, AtomicPtr, AtomicUsize, AtomicWaker, Ordering, fence};

/// The owner is inside `poll`: wakers need not wake the parent.
const POLLING: usize = 1;
/// A node was queued since the owner last looked.
const NOTIFIED: usize = 2;

/// Shared state at the start of the allocation.
#[repr(C)]
pub(crate) struct Header {
    refs: AtomicUsize,
    state: AtomicUsize,
    head: AtomicPtr<Node>,
    parent: AtomicWaker,
    len: usize,
}

/// One per child; a child's waker points at its node.
#[repr(C)]
pub(crate) struct Node {
    next: AtomicPtr<Node>,
    queued: AtomicBool,
    index: usize,
}

/// Layout of a header followed by `n` nodes, and the offset of node 0.
fn layout(n: usize) -> (Layout, usize) {
    let nodes = Layout::array::<Node>(n).expect("asyncio: too many children");
    let (layout, offset) = Layout::new::<Header>()
        .extend(nodes)
        .expect("asyncio: too many children");
    (layout.pad_to_align(), offset)
}

/// Offset of node 0 from the header; does not depend on `n`.
fn nodes_offset() -> usize {
    layout(0).1
}

/// The owner's handle: creates the allocation, hands out wakers, pops woken indices.
pub(crate) struct ReadyQueue {
    /// The allocation, or null until a probe waker or [`begin`](Self::begin) makes it.
    /// Written once (null -> allocation), possibly by another thread holding a probe
    /// while the owner polls a child; the owner holds one reference to it from then on.
    header: AtomicPtr<Header>,
    /// Number of children (nodes).
    len: usize,
    /// Private FIFO of nodes taken from the stack and not yet popped. Their `queued`
    /// flags are still set, so no waker writes their `next` links.
    batch: *mut Node,
}

// SAFETY: the shared part is atomics and an `AtomicWaker` (Send + Sync); `batch` is
// only touched through `&mut self`.
unsafe impl Send for ReadyQueue {}
// SAFETY: no method takes `&self` to mutate anything.
unsafe impl Sync for ReadyQueue {}

impl ReadyQueue {
    /// A queue for `n` children. Allocates nothing until a waker needs the nodes.
    pub(crate) fn new(n: usize) -> Self {
        ReadyQueue {
            header: AtomicPtr::new(ptr::null_mut()),
            len: n,
            batch: ptr::null_mut(),
        }
    }

    /// The allocation, made now if no waker made it yet.
    fn header(&self) -> &Header {
        // SAFETY: `ensure` returns the live allocation this queue holds a reference to.
        unsafe { &*ensure(&self.header, self.len) }
    }

    /// Starts a poll of the owner: registers the parent's waker and sets `POLLING`.
    /// Makes the allocation if no child's waker has yet.
    pub(crate) fn begin(&mut self, parent: &Waker) {
        let h = self.header();
        h.parent.register(parent);
        h.state.swap(POLLING, Ordering::AcqRel);
    }

    /// Ends a poll that returns `Ready` (or gives up on its own, see `yield_now`):
    /// later wakes wake the parent again.
    pub(crate) fn end(&mut self) {
        self.header().state.swap(0, Ordering::AcqRel);
    }

    /// Runs `f` with child `i`'s waker, without touching the reference count: node
    /// `i`'s waker if the allocation exists, else a probe (see the module docs) that
    /// makes it on first `clone` or wake.
    #[inline]
    pub(crate) fn with_waker<R>(&self, i: usize, f: impl FnOnce(&Waker) -> R) -> R {
        assert!(i < self.len);
        let header = self.header.load(Ordering::Acquire);
        if !header.is_null() {
            // SAFETY: `header` is this queue's live allocation and `i < len`.
            let raw = RawWaker::new(unsafe { node(header, i) }.cast(), &VTABLE);
            // SAFETY: the vtable's contract holds for node pointers (see the functions
            // below); `ManuallyDrop` because this waker owns no reference: the owner's
            // reference keeps the node alive for the duration of `f`.
            let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
            return f(&waker);
        }
        let probe = Probe {
            header: &self.header,
            len: self.len,
            index: i,
        };
        let raw = RawWaker::new(ptr::from_ref(&probe).cast(), &PROBE_VTABLE);
        // SAFETY: the probe vtable's contract holds while `probe` is alive, which is for
        // the whole of `f`; a waker can only outlive `f` through `clone`, which returns
        // a node waker that does not point at `probe`. `ManuallyDrop`: the probe owns
        // nothing (its `drop` is a no-op anyway).
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        f(&waker)
    }

    /// Pops the next woken child, or returns `None` — having cleared `POLLING` — when no
    /// wake is pending. Must be called between `begin` and the end of the poll.
    pub(crate) fn pop(&mut self) -> Option<usize> {
        loop {
            if !self.batch.is_null() {
                let node = self.batch;
                // SAFETY: nodes in the batch are alive (owner reference) and their
                // `next` links are ours until `queued` is cleared below.
                unsafe {
                    self.batch = (*node).next.load(Ordering::Relaxed);
                    (*node).queued.swap(false, Ordering::AcqRel);
                    return Some((*node).index);
                }
            }
            let h = self.header();
            let mut top = h.head.swap(ptr::null_mut(), Ordering::Acquire);
            if top.is_null() {
                match h
                    .state
                    .compare_exchange(POLLING, 0, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return None,
                    Err(_) => {
                        // A waker queued a node after our `swap`: look again.
                        h.state.swap(POLLING, Ordering::AcqRel);
                        continue;
                    }
                }
            }
            // Reverse the taken stack into FIFO order.
            let mut fifo: *mut Node = ptr::null_mut();
            while !top.is_null() {
                // SAFETY: taken nodes are alive and their links are ours (see above).
                unsafe {
                    let next = (*top).next.load(Ordering::Relaxed);
                    (*top).next.store(fifo, Ordering::Relaxed);
                    fifo = top;
                    top = next;
                }
            }
            self.batch = fifo;
        }
    }
}

impl Drop for ReadyQueue {
    fn drop(&mut self) {
        let header = self.header.load(Ordering::Acquire);
        if !header.is_null() {
            // SAFETY: releases the owner's reference exactly once.
            unsafe { release(header) }
        }
    }
}

/// Node `i` of the allocation at `header`, with the provenance of the whole allocation
/// (needed to get back to the header from a waker).
///
/// # Safety
/// `header` must be a live allocation of at least `i + 1` nodes.
unsafe fn node(header: *mut Header, i: usize) -> *const Node {
    // SAFETY: the caller guarantees node `i` lies inside the allocation.
    unsafe {
        header
            .cast::<u8>()
            .add(nodes_offset())
            .cast::<Node>()
            .add(i)
            .cast_const()
    }
}

/// Allocates a header (one reference: the owner's) followed by `n` nodes.
fn allocate(n: usize) -> *mut Header {
    let (layout, offset) = layout(n);
    // SAFETY: the layout has non-zero size (the header is not zero-sized).
    let base = unsafe { alloc(layout) };
    let Some(base) = NonNull::new(base) else {
        handle_alloc_error(layout)
    };
    let header = base.cast::<Header>().as_ptr();
    // SAFETY: `base` is a fresh allocation of `layout`, which holds a `Header` at 0 and
    // `n` `Node`s at `offset`; we initialise each exactly once.
    unsafe {
        header.write(Header {
            refs: AtomicUsize::new(1),
            state: AtomicUsize::new(0),
            head: AtomicPtr::new(ptr::null_mut()),
            parent: AtomicWaker::new(),
            len: n,
        });
        let nodes = base.as_ptr().add(offset).cast::<Node>();
        for i in 0..n {
            nodes.add(i).write(Node {
                next: AtomicPtr::new(ptr::null_mut()),
                queued: AtomicBool::new(false),
                index: i,
            });
        }
    }
    header
}

/// Makes the allocation (for `n` nodes) and publishes it in `slot`, unless another
/// thread did first.
///
/// Threads racing here (probes cloned or woken on several threads during one child
/// poll) each allocate; one compare-exchange wins and the losers free their copy, which
/// nothing else has seen.
#[cold]
#[inline(never)]
fn make(slot: &AtomicPtr<Header>, n: usize) -> *mut Header {
    let new = allocate(n);
    match slot.compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => new,
        Err(won) => {
            // SAFETY: `new` was never published: ours is its only reference.
            unsafe { release(new) };
            won
        }
    }
}

/// The allocation `slot` holds, made now if needed.
#[inline]
fn ensure(slot: &AtomicPtr<Header>, n: usize) -> *mut Header {
    let header = slot.load(Ordering::Acquire);
    if header.is_null() {
        make(slot, n)
    } else {
        header
    }
}

/// What a probe waker's data pointer points at: a frame on the owner's stack, alive
/// while child `index` is polled with it.
struct Probe<'a> {
    header: &'a AtomicPtr<Header>,
    len: usize,
    index: usize,
}

static PROBE_VTABLE: RawWakerVTable = RawWakerVTable::new(
    probe_clone,
    probe_wake_by_ref,
    probe_wake_by_ref,
    probe_drop,
);

/// Node `index` of the probe's queue, making the allocation if needed.
///
/// # Safety
/// `data` must point to a live `Probe`.
unsafe fn probe_node(data: *const ()) -> *const Node {
    // SAFETY: the caller guarantees `data` is a live probe.
    let probe = unsafe { &*data.cast::<Probe<'_>>() };
    let header = ensure(probe.header, probe.len);
    // SAFETY: `ensure` returns the live allocation (the owner, polling, holds its
    // reference), which has `len > index` nodes.
    unsafe { node(header, probe.index) }
}

unsafe fn probe_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live probe (it is only reachable while `with_waker` runs);
    // the node it names is alive, so it can be cloned like a node waker.
    unsafe { clone_waker(probe_node(data).cast()) }
}

/// `wake` and `wake_by_ref` of a probe. A probe waker is never owned (`with_waker`
/// lends it; `clone` returns a node waker), so `wake` by value cannot reach it, and
/// would have nothing to release if it did.
unsafe fn probe_wake_by_ref(data: *const ()) {
    // SAFETY: as in `probe_clone`.
    unsafe { wake_node(probe_node(data)) }
}

unsafe fn probe_drop(_: *const ()) {}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// The header of the allocation `node` lives in.
///
/// # Safety
/// `node` must point to a live node, with the provenance of the whole allocation.
unsafe fn header_of(node: *const Node) -> *const Header {
    // SAFETY: node `index` lies `nodes_offset() + index * size_of::<Node>()` bytes after
    // the header, in the same allocation.
    unsafe {
        let index = (*node).index;
        node.cast::<u8>()
            .sub(nodes_offset() + index * size_of::<Node>())
            .cast::<Header>()
    }
}

/// Queues `node` (if not queued already) and wakes the parent when the owner is not
/// polling.
///
/// # Safety
/// `node` must point to a live node.
unsafe fn wake_node(node: *const Node) {
    // SAFETY: caller guarantees `node` (and so its header) is alive.
    unsafe {
        if (*node).queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let h = &*header_of(node);
        // We own `next` until the node is taken: `queued` went false -> true here.
        let mut head = h.head.load(Ordering::Relaxed);
        loop {
            (*node).next.store(head, Ordering::Relaxed);
            match h.head.compare_exchange_weak(
                head,
                node.cast_mut(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        if h.state.fetch_or(NOTIFIED, Ordering::AcqRel) & POLLING == 0 {
            h.parent.wake();
        }
    }
}

/// Releases one reference; the last one frees the allocation.
///
/// # Safety
/// The caller owns one reference to the live `header`.
unsafe fn release(header: *mut Header) {
    // SAFETY: we own a reference, so the header is alive until our decrement.
    unsafe {
        // Fast path: if ours is the only reference, no other thread can hold a waker
        // (and so none can clone one), so no atomic read-modify-write is needed.
        if (*header).refs.load(Ordering::Acquire) != 1
            && (*header).refs.fetch_sub(1, Ordering::Release) != 1
        {
            return;
        }
        fence(Ordering::Acquire);
        let n = (*header).len;
        let (layout, offset) = layout(n);
        let nodes = header.cast::<u8>().add(offset).cast::<Node>();
        ptr::drop_in_place(ptr::slice_from_raw_parts_mut(nodes, n));
        ptr::drop_in_place(header);
        dealloc(header.cast(), layout);
    }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live node (the waker being cloned holds a reference or is the
    // owner's borrowed waker).
    unsafe {
        let h = &*header_of(data.cast());
        if h.refs.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
            std::process::abort();
        }
    }
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: this waker owns one reference, released after waking.
    unsafe {
        wake_node(data.cast());
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live node.
    unsafe { wake_node(data.cast()) }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker owns one reference.
    unsafe { release(header_of(data.cast()).cast_mut()) }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn parent() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    fn drain(q: &mut ReadyQueue) -> Vec<usize> {
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn gather_ready_queue_fifo_dedup_and_parent_wakes() {
        let (count, p) = parent();
        let mut q = ReadyQueue::new(4);
        q.begin(&p);
        assert_eq!(q.pop(), None);
        let w2 = q.with_waker(2, |w| w.clone());
        let w0 = q.with_waker(0, |w| w.clone());
        // Not polling: each first wake wakes the parent.
        w2.wake_by_ref();
        w2.wake_by_ref(); // dedup
        w0.wake_by_ref();
        assert!(count.0.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        q.begin(&p);
        assert_eq!(drain(&mut q), vec![2, 0]);
        // Wakes while polling do not wake the parent but are popped.
        q.begin(&p);
        let before = count.0.load(std::sync::atomic::Ordering::SeqCst);
        w0.wake_by_ref();
        q.with_waker(3, |w| w.wake_by_ref());
        assert_eq!(drain(&mut q), vec![0, 3]);
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), before);
        drop(w0);
        // A waker outliving the queue stays valid and frees the allocation last.
        drop(q);
        w2.wake_by_ref();
        let w2b = w2.clone();
        w2.wake();
        drop(w2b);
    }

    #[test]
    fn gather_ready_queue_enqueue_and_rewake_during_batch() {
        let (_count, p) = parent();
        let mut q = ReadyQueue::new(3);
        q.begin(&p);
        let wake = |q: &ReadyQueue, i| q.with_waker(i, |w| w.wake_by_ref());
        wake(&q, 1);
        wake(&q, 2);
        assert_eq!(q.pop(), Some(1));
        // Re-wake 1 while 2 is still in the batch: 1 comes after 2.
        wake(&q, 1);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.pop(), None);
        q.end();
    }

    fn allocated(q: &ReadyQueue) -> bool {
        !q.header.load(Ordering::SeqCst).is_null()
    }

    #[test]
    fn gather_ready_queue_probe_allocates_only_when_a_waker_is_kept_or_woken() {
        let (count, p) = parent();
        let mut q = ReadyQueue::new(3);
        // A child that only looks at its waker (or ignores it) costs no allocation.
        q.with_waker(0, |w| assert!(w.will_wake(w)));
        assert!(!allocated(&q));
        // Waking the probe allocates and queues that child.
        q.with_waker(1, |w| w.wake_by_ref());
        assert!(allocated(&q));
        // Cloning a probe after that returns child 2's node waker.
        let w2 = q.with_waker(2, |w| w.clone());
        q.begin(&p);
        assert_eq!(drain(&mut q), vec![1]);
        // No parent was registered when child 1 woke: nothing to wake then.
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        w2.wake_by_ref();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        q.begin(&p);
        assert_eq!(drain(&mut q), vec![2]);
        // The clone outlives the queue and frees the allocation last.
        drop(q);
        w2.wake();
    }

    #[test]
    fn gather_ready_queue_probe_clone_is_a_node_waker() {
        let (count, p) = parent();
        let mut q = ReadyQueue::new(2);
        let w = q.with_waker(1, |w| w.clone());
        assert!(allocated(&q));
        // Later polls of child 1 get a node waker equal to the clone.
        assert!(q.with_waker(1, |now| w.will_wake(now)));
        q.begin(&p);
        assert_eq!(q.pop(), None);
        // Not polling: the first wake wakes the parent.
        w.wake();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        q.begin(&p);
        assert_eq!(drain(&mut q), vec![1]);
    }

    #[test]
    fn gather_ready_queue_probes_used_from_many_threads_during_one_poll() {
        let (_count, p) = parent();
        let mut q = ReadyQueue::new(2);
        let threads = if cfg!(miri) { 3 } else { 8 };
        let clones: Vec<Waker> = q.with_waker(1, |w| {
            // A child's poll lends its waker to scoped threads: they race to make the
            // allocation; exactly one wins and the others free theirs.
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        s.spawn(move || {
                            if t % 2 == 0 {
                                w.wake_by_ref();
                            }
                            w.clone()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            })
        });
        q.begin(&p);
        assert_eq!(drain(&mut q), vec![1]); // queued once, whoever won
        for w in &clones {
            assert!(q.with_waker(1, |now| w.will_wake(now)));
        }
        drop(q);
        for w in clones {
            w.wake();
        }
    }

    #[test]
    fn gather_ready_queue_threads() {
        let (_count, p) = parent();
        let mut q = ReadyQueue::new(8);
        let wakers: Vec<Waker> = (0..8).map(|i| q.with_waker(i, |w| w.clone())).collect();
        let handles: Vec<_> = wakers
            .into_iter()
            .map(|w| std::thread::spawn(move || w.wake()))
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        q.begin(&p);
        let mut got = drain(&mut q);
        got.sort();
        assert_eq!(got, (0..8).collect::<Vec<_>>());
    }
}
