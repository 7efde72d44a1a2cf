//! # asyncio for Rust
//!
//! Python's `asyncio` ergonomics — `asyncio.run`, `gather`, `create_task`, `TaskGroup`,
//! async generators and `async for` — built on Rust's own async model, with no loss of
//! speed against hand-written joins.
//!
//! ```
//! use asyncio::prelude::*;
//! use std::time::Duration;
//!
//! async fn fetch(name: &str, secs: f64) -> String {
//!     sleep(Duration::from_secs_f64(secs)).await;
//!     format!("{name} done")
//! }
//!
//! # fn main() {
//! asyncio::run(async {
//!     let task = spawn(async { 40 + 2 });
//!     assert_eq!(fetch("a", 0.01).await, "a done");
//!     assert_eq!(task.await, 42);
//! });
//! # }
//! ```
//!
//! See the README for the full "Coming from Python asyncio" table.
#![deny(missing_docs)]

pub use asyncio_core::*;

/// Runs an `async fn main` on an event loop: `asyncio.run(main())` as an attribute.
///
/// ```no_run
/// #[asyncio::async_main]
/// async fn main() {
///     asyncio::sleep(std::time::Duration::from_millis(10)).await;
///     println!("done");
/// }
/// ```
///
/// Options: `flavor = "current_thread"` (default) or `"multi_thread"`,
/// `worker_threads = N` (multi_thread only), `crate = "path"` for a renamed dependency.
pub use asyncio_macros::async_main;

/// Runs an `async fn` test on a fresh event loop.
///
/// ```
/// #[asyncio::async_test]
/// async fn adds() {
///     assert_eq!(asyncio::spawn(async { 1 + 1 }).await, 2);
/// }
/// ```
///
/// Options: those of [`async_main`], plus `timeout = "250ms"` (units `ms` and `s`) and
/// `start_paused` (tokio's paused clock; needs the `test-util` feature).
pub use asyncio_macros::async_test;

// --- gather: gather!, try_gather!, race! ---

// --- generator: async_for! ---

/// The names most programs need, in one import: `use asyncio::prelude::*;`.
pub mod prelude {
    pub use asyncio_core::Stream;
    pub use asyncio_core::{sleep, sleep_until, spawn, spawn_local, timeout, to_thread};
    // --- gather ---
    // --- generator ---
    // --- group ---
}

#[doc(hidden)]
pub mod __private {
    pub use asyncio_core::__private::*;
    // --- macros used by the macro_rules! wrappers above ---
}
