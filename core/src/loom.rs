//! The one switch between std's synchronisation types and loom's model-checked ones.
//!
//! Code that shares state across threads imports its atomics and locks from here, so a
//! `RUSTFLAGS="--cfg loom"` build model-checks it with [loom](https://docs.rs/loom)
//! without a second copy of the code. Not to be confused with the public
//! [`sync`](crate::sync) module, asyncio's synchronisation primitives.

#[cfg(not(loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
