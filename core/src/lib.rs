//! Runtime types behind the [`asyncio`](https://docs.rs/asyncio) crate.
//!
//! Most users depend on `asyncio`, which re-exports everything here together with the
//! macros (`#[async_main]`, `gather!`, `async_for!`, ...). This crate holds everything
//! that is not a macro:
//!
//! | module | asyncio idea |
//! |---|---|
//! | [`runtime`] | `asyncio.run`, the event loop |
//! | [`debug`] | asyncio's debug mode: slow-callback warnings, unretrieved task panics |
//! | [`task`] | `asyncio.create_task`, `Task`, `asyncio.to_thread`, `asyncio.wait`, `asyncio.shield` |
//! | [`time`] | `asyncio.sleep`, `asyncio.timeout` / `timeout_at` / `wait_for`, `Timeout.reschedule` |
//! | [`gather`] | `asyncio.gather`, `asyncio.as_completed`, `asyncio.wait(FIRST_COMPLETED)` |
//! | [`generator`](mod@generator) | `async def ... yield` (async generators) |
//! | [`iter`] | `async for` (the `AsyncIterable` protocol) |
//! | [`group`] | `asyncio.TaskGroup`, `ExceptionGroup` |
//! | [`sync`] | `asyncio.Queue`, `Lock`, `Event`, `Semaphore`, `BoundedSemaphore`, `Condition`, `Barrier` |
//!
//! The combinators in [`gather`], [`generator`](mod@generator), [`iter`], [`sync`] and [`group::scope`] only poll
//! futures and run on any executor; [`runtime`], [`task`], [`time`] and
//! [`group::TaskGroup`] use the tokio backend.
//!
//! ```
//! use asyncio_core::gather::gather_all;
//! use std::time::Duration;
//!
//! // asyncio.run(main()), where main gathers three tasks
//! let out = asyncio_core::run(async {
//!     let tasks = (1..=3u64).map(|i| {
//!         asyncio_core::spawn(async move {
//!             asyncio_core::sleep(Duration::from_millis(i)).await;
//!             i * 10
//!         })
//!     });
//!     gather_all(tasks).await
//! });
//! assert_eq!(out, [10, 20, 30]);
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod debug;
pub mod gather;
pub mod generator;
pub mod group;
pub mod iter;
mod loom;
pub mod runtime;
pub mod sync;
pub mod task;
pub mod time;

// --- foundation ---
pub use runtime::run;
pub use task::{ReturnWhen, Shield, Task, shield, spawn, spawn_local, to_thread, wait, yield_now};
pub use time::{
    TimeoutError, TimeoutHandle, sleep, sleep_until, timeout, timeout_at, timeout_with,
};
// --- gather ---
pub use gather::{as_completed, gather_all, race_all, try_gather_all};
// --- generator / async_for ---
pub use generator::{Co, generator, try_generator};
pub use iter::AsyncIterable;
// --- group ---
pub use group::{GroupError, TaskGroup, scope};

pub use futures_core::Stream;

#[doc(hidden)]
pub mod __private;
