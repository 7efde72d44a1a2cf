//! Per-child wakers and a ready queue: the machinery that lets a join poll only the
//! children whose own waker fired (O(woken) work per wake, no scan over n slots).
//!
//! This is the only module of `gather` with `unsafe` code.
//!
//! # Layout
//!
//! [`ReadyQueue::new(n)`](ReadyQueue::new) makes **one** heap allocation holding a
//! [`Header`] followed by `n` [`Node`]s:
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
    header: NonNull<Header>,
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
    /// One allocation for `n` children (none for `n == 0`... still one small header).
    pub(crate) fn new(n: usize) -> Self {
        let (layout, offset) = layout(n);
        // SAFETY: the layout has non-zero size (the header is not zero-sized).
        let base = unsafe { alloc(layout) };
        let Some(base) = NonNull::new(base) else {
            handle_alloc_error(layout)
        };
        let header = base.cast::<Header>();
        // SAFETY: `base` is a fresh allocation of `layout`, which holds a `Header` at 0
        // and `n` `Node`s at `offset`; we initialise each exactly once.
        unsafe {
            header.as_ptr().write(Header {
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
        ReadyQueue {
            header,
            batch: ptr::null_mut(),
        }
    }

    /// Number of children.
    pub(crate) fn len(&self) -> usize {
        self.header().len
    }

    fn header(&self) -> &Header {
        // SAFETY: the owner holds a reference, so the header is alive.
        unsafe { self.header.as_ref() }
    }

    /// Raw pointer to node `i`, derived from the allocation's base pointer so that it
    /// carries the provenance of the whole allocation (needed to get back to the header).
    fn node(&self, i: usize) -> *const Node {
        assert!(i < self.len());
        // SAFETY: `i < len`, so the node lies inside the allocation.
        unsafe {
            self.header
                .as_ptr()
                .cast::<u8>()
                .add(nodes_offset())
                .cast::<Node>()
                .add(i)
        }
    }

    /// Starts a poll of the owner: registers the parent's waker and sets `POLLING`.
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

    /// Runs `f` with child `i`'s waker, without touching the reference count.
    #[inline]
    pub(crate) fn with_waker<R>(&self, i: usize, f: impl FnOnce(&Waker) -> R) -> R {
        let raw = RawWaker::new(self.node(i).cast(), &VTABLE);
        // SAFETY: the vtable's contract holds for node pointers (see the functions
        // below); `ManuallyDrop` because this waker owns no reference: the owner's
        // reference keeps the node alive for the duration of `f`.
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
        // SAFETY: releases the owner's reference exactly once.
        unsafe { release(self.header.as_ptr()) }
    }
}

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
