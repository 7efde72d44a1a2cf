//! Items used by the macros' expansions. Not public API: no semver guarantees.

pub use crate::runtime::__entry::{run_main, run_test};
pub use core;
pub use std;
