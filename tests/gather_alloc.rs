//! Allocation counts of the joins, measured with a counting global allocator (its own
//! test binary, so no other test shares it; counts are per thread, so the test
//! harness's threads do not disturb them).
//!
//! - `gather!` allocates nothing.
//! - `gather_all` of children that all finish on their first poll allocates once: the
//!   children's buffer. Its ready queue is made only when a child keeps or fires its
//!   waker, and the output `Vec` reuses the buffer when an output is at least half a
//!   slot (else it is a fresh, exact-size `Vec`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::{Future, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use asyncio::gather;
use asyncio::gather::{as_completed, gather_all, race_all, try_gather_all};
use futures::StreamExt;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the counter is a const-initialised thread-local `Cell`
// with no destructor, so counting never allocates or re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is `GlobalAlloc::alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocs<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

/// Polls `f` to completion with a no-op waker (allocates nothing itself).
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// If `wait`, returns `Pending` once (waking itself through a clone of its waker);
/// then its value. 16 bytes, so its slot is no bigger than two outputs.
struct YieldOnce {
    value: u64,
    wait: bool,
}

impl Future for YieldOnce {
    type Output = u64;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.wait {
            self.wait = false;
            // Keep a clone, as a child that registers with a reactor would.
            let kept = cx.waker().clone();
            kept.wake();
            return Poll::Pending;
        }
        Poll::Ready(self.value)
    }
}

#[test]
fn gather_macro_allocates_nothing() {
    let (n, out) =
        allocs(|| run(async { gather!(ready(1u64), ready(2u64), async { 3u64 }).await }));
    assert_eq!(out, (1, 2, 3));
    assert_eq!(n, 0);
}

#[test]
fn gather_all_of_ready_children_allocates_once_and_reuses_the_buffer() {
    let (n, out) = allocs(|| run(gather_all((0..10u64).map(ready))));
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    assert_eq!(
        n, 1,
        "children's buffer only: no ready queue, output in place"
    );
    // The reused buffer: at most twice the capacity needed, like a `Vec` grown by push.
    assert!(
        out.capacity() <= 2 * out.len(),
        "capacity {}",
        out.capacity()
    );

    let (n, out) = allocs(|| run(try_gather_all((0..10u64).map(|i| ready(Ok::<_, ()>(i))))));
    assert_eq!(out, Ok((0..10).collect::<Vec<_>>()));
    assert_eq!(n, 1);
}

#[test]
fn gather_all_of_large_futures_returns_an_exact_fresh_vec() {
    // A slot here is > 1 KiB and an output 1 byte: reusing the buffer would keep 1 KiB
    // per output alive, so the output gets its own exact-size `Vec`.
    let children = (0..10u8).map(|i| {
        let big = [i; 1024];
        async move { big[1023] }
    });
    let (n, out) = allocs(|| run(gather_all(children)));
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    assert_eq!(out.capacity(), 10);
    assert_eq!(n, 2, "children's buffer and the output");
}

#[test]
fn gather_all_makes_its_ready_queue_only_for_a_pending_child() {
    let children = (0..10u64).map(|value| YieldOnce {
        value,
        wait: value == 3,
    });
    let (n, out) = allocs(|| run(gather_all(children)));
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    // Buffer + ready queue (made by the probe's clone); waking allocates nothing, and
    // the output reuses the buffer.
    assert_eq!(n, 2);
}

#[test]
fn as_completed_and_race_all_of_ready_children_allocate_once() {
    let (n, sum) =
        allocs(|| run(as_completed((0..10u64).map(ready)).fold(0, |a, x| async move { a + x })));
    assert_eq!(sum, 45);
    assert_eq!(n, 1);
    let (n, first) = allocs(|| run(race_all((0..10u64).map(ready))));
    assert!(first < 10);
    assert_eq!(n, 1);
}
