//! Structured concurrency — asyncio's `TaskGroup` and `ExceptionGroup`.
//!
//! Two tiers, with the same semantics:
//!
//! - [`TaskGroup`]: children are spawned on the event loop (in parallel under the
//!   multi-threaded loop). They must be `Send + 'static` ([`TaskGroup::spawn`]) or run
//!   on the loop's thread ([`TaskGroup::spawn_local`]).
//! - [`scope()`]: children are polled by the scope's own future, inside the current
//!   task, so they may borrow from the caller's stack, need neither `Send` nor
//!   `'static`, and run on any executor (no runtime needed).
//!
//! | asyncio | here |
//! |---|---|
//! | `async with asyncio.TaskGroup() as tg:` | `TaskGroup::run(async \|tg\| { ... }).await` or `scope(async \|s\| { ... }).await` |
//! | `tg.create_task(coro(), name="dl")` | `tg.spawn(fut)`, `tg.spawn_named("dl", fut)`, `tg.spawn_local(fut)` |
//! | `task = tg.create_task(...)`; `await task` | `let h = tg.spawn(...)`; `h.await` → `Result<T, ChildError>` |
//! | the first exception cancels the siblings and the body | the first `Err` (child or body) does the same |
//! | `ExceptionGroup` / `except*` | [`GroupError<E>`]: every [`Failure`] in order, with the child's name |
//! | `KeyboardInterrupt`/`SystemExit` in a child | a panic: cancel all, wait, resume the panic |
//! | `RuntimeError: TaskGroup is shutting down` | the handle resolves to [`ChildError::Closed`]; the future never runs |
//! | cancelling the task that runs the group | dropping the group's future |
//! | a supervisor (not in asyncio, cpython#101581) | [`TaskGroup::supervise`], [`supervise_scope`] |
//!
//! **Cancellation is drop.** asyncio delivers `CancelledError` at the child's `await`,
//! and the child may `await` cleanup in `finally`. A Rust future is cancelled by
//! dropping it: its destructors run, but no async cleanup does, and no code after the
//! `.await` it was suspended at ever runs.
//!
//! Every child returns `Result<T, E>` with the group's `E`; a child that cannot fail
//! returns `Ok(value)`.
//!
//! **A panic in a `Drop` never aborts and never hides the first failure.** Both tiers
//! catch a failure where it happens (a child's or the body's panic, in its poll or in
//! the `Drop` of its finished future, or its `Err`), drop everything else *outside* the
//! unwind, catching each `Drop`'s panic, and then report that first failure: the
//! [`GroupError`], or the panic with its original payload. A `Drop` that panics while
//! children are cancelled never replaces it; when nothing failed before (a child that
//! returned `Ok` and then panicked in `Drop`, one cancelled by `abort`), that panic is
//! the group's, resumed in the caller. Every handle resolves, to
//! `Err(ChildError::Panicked)` when its child panicked in its poll or its `Drop`.
//!
//! ```
//! use asyncio_core::group::{TaskGroup, scope};
//! use std::time::Duration;
//!
//! # asyncio_core::run(async {
//! // async with asyncio.TaskGroup() as tg: ...
//! let err = TaskGroup::run(async |tg| {
//!     tg.spawn_named("slow", async {
//!         asyncio_core::sleep(Duration::from_secs(10)).await; // cancelled by "bad"
//!         Ok(())
//!     });
//!     tg.spawn_named("bad", async { Err::<(), _>("boom") });
//!     Ok(())
//! })
//! .await
//! .unwrap_err();
//! assert_eq!(err.to_string().lines().count(), 1);
//! assert_eq!(err.failures()[0].name(), Some("bad"));
//!
//! // The same with borrowing children, polled inside this task:
//! let words = ["a", "bb", "ccc"];
//! let total = scope(async |s| {
//!     let lens: Vec<_> = words.iter().map(|w| s.spawn(async move { Ok::<_, ()>(w.len()) })).collect();
//!     let mut total = 0;
//!     for len in lens {
//!         total += len.await.unwrap();
//!     }
//!     Ok(total)
//! })
//! .await;
//! assert_eq!(total, Ok(6));
//! # });
//! ```

mod error;
mod once;
mod scope;
mod sites;
mod state;
mod task_group;

/// The synchronisation types `state` and `sites` use; `core/tests/loom_group.rs` and
/// `core/tests/loom_group_sites.rs` swap in loom's.
mod sync {
    pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Mutex};
}

pub use error::{ChildError, Failure, GroupError};
pub use scope::{Scope, ScopeTask, scope, supervise_scope};
pub use task_group::{GroupTask, TaskGroup};
