//! Items used by the macros' expansions. Not public API: no semver guarantees.

pub use crate::runtime::__entry::{run_main, run_test};
pub use core;
pub use std;
// --- generator / async_for ---
pub use crate::iter::{into_stream, next as async_iter_next};
// --- gather ---
pub use crate::gather::fixed::{
    Arg, Cons, Gather, IntoChild, Nil, NotAFutureFallback, Race, TryGather,
};
