//! Running futures concurrently and collecting their results — `asyncio.gather` and
//! friends.
//!
//! | asyncio | here |
//! |---|---|
//! | `a, b = await asyncio.gather(fa(), fb())` | `let (a, b) = gather!(fa(), fb()).await;` |
//! | `await asyncio.gather(*aws)` | [`gather_all`]`(aws).await` → `Vec<T>` in input order |
//! | `await asyncio.gather(...)` where a child raises | `try_gather!(...)` / [`try_gather_all`] → `Result<_, E>`; the first `Err` cancels the rest |
//! | `gather(..., return_exceptions=True)` | return `Result`s from the children and use `gather!`/[`gather_all`]: each `Result` is kept |
//! | bounding concurrency with `asyncio.Semaphore(n)` | [`gather_all`]`(aws).limit(n)` |
//! | `for c in asyncio.as_completed(aws): await c` | [`as_completed`]`(aws)` (a `Stream`) |
//! | `asyncio.wait(aws, return_when=FIRST_COMPLETED)` + cancel the rest | `race!(...)` / [`race_all`] |
//!
//! The macros `gather!`, `try_gather!` and `race!` live in the `asyncio` crate; the
//! functions here work on any executor (`futures::executor::block_on`, tokio, ...).
//!
//! ```
//! use asyncio_core::gather::{gather_all, race_all, try_gather_all};
//!
//! # futures::executor::block_on(async {
//! // results = await asyncio.gather(*(square(i) for i in range(4)))
//! let squares = gather_all((0..4u32).map(|i| async move { i * i })).await;
//! assert_eq!(squares, [0, 1, 4, 9]);
//!
//! // The first error wins and cancels the rest.
//! let parsed = try_gather_all(["1", "two", "3"].map(|s| async move { s.parse::<u8>() })).await;
//! assert!(parsed.is_err());
//!
//! // The first future to finish wins.
//! let first = race_all([async { "only" }]).await;
//! assert_eq!(first, "only");
//! # });
//! ```
//!
//! # Differences from asyncio (on purpose)
//!
//! - **The first error cancels the siblings.** `asyncio.gather` propagates the first
//!   exception but leaves the other awaitables running, unobserved. `try_gather!` and
//!   [`try_gather_all`] drop (cancel) every other child at once, as `asyncio.TaskGroup`
//!   does.
//! - **Dropping cancels.** Dropping a gather drops every child still running; nothing
//!   keeps running that no one can observe.
//! - **Panics.** A panicking child's siblings are dropped, then the panic continues in
//!   the awaiter with its original payload.
//! - **Lazy.** Nothing runs until the returned future is awaited or polled.
//!
//! # Failures and `Drop` panics
//!
//! One rule for every join here: when a child fails — it panics, returns the first
//! `Err` of a `try_` join, or wins a race — the join catches that (`catch_unwind`),
//! drops every other child *outside* the unwind (catching each `Drop`'s panic), then
//! reports the first failure: its panic with the original payload, its `Err`, or the
//! winner. A later panic in a sibling's `Drop` never replaces it and never aborts the
//! process. A panic in the `Drop` of a child that finished with a value is that child's
//! panic (it is the only failure); after an `Err` or a win, the child's own `Drop` is
//! clean-up like its siblings'. (Dropping the join itself drops the children in the
//! usual way: a second `Drop` panic there aborts, as for any Rust collection.)
//!
//! # Scheduling
//!
//! `gather!`/`try_gather!`/`race!` — no heap allocation; on each poll every unfinished
//! child is polled, starting one position later than the previous poll (as
//! `tokio::join!` does), so no child is starved by its elder siblings. Per-child wakers
//! would need a heap allocation (a child may keep its waker after the join is gone),
//! which costs more than re-polling a handful of children.
//!
//! [`gather_all`], [`try_gather_all`], [`as_completed`], [`race_all`] — the first poll
//! polls every child once, in input order; afterwards only children whose own waker
//! fired are polled, in wake order, with no scan over all `n` slots. The children live
//! in one buffer and the wakers in one shared allocation, made only when a child keeps
//! or fires its waker: at most three allocations per call (buffer, wakers, output
//! `Vec`), none per child and none per wake — and a single one for children that all
//! finish on their first poll, whose outputs are collected into the children's buffer
//! when an output is at least half a child's size. One poll polls at most `n`
//! woken children, then yields to the executor, so a gather of children that keep
//! re-waking themselves does not starve other tasks.

mod all;
mod as_completed;
mod driver;
#[doc(hidden)]
pub mod fixed;
mod race;
pub(crate) mod ready;
pub(crate) mod unwind;

/// The synchronisation types `ready` uses (swapped for loom's in the loom test).
mod sync {
    pub(crate) use futures_util::task::AtomicWaker;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};
}

pub use all::{GatherAll, TryGatherAll, gather_all, try_gather_all};
pub use as_completed::{AsCompleted, as_completed};
pub use race::{RaceAll, race_all};

use std::cell::Cell;

/// A starting index in `0..len` that changes at every call on this thread, so that
/// races do not favour their first child.
pub(crate) fn next_start(len: usize) -> usize {
    std::thread_local! {
        static NEXT: Cell<usize> = const { Cell::new(0) };
    }
    if len <= 1 {
        return 0;
    }
    NEXT.with(|c| {
        let v = c.get().wrapping_add(1);
        c.set(v);
        v % len
    })
}
