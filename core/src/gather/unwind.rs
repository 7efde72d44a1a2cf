//! The one rule every join and group follows when a child fails (a panic, an `Err` of a
//! `try_` join, a race's winner): catch the failure, drop what is left *outside* any
//! unwind — catching each `Drop`'s panic — then report the first failure. A `Drop`
//! that panics while another panic unwinds aborts the process ("panic in a destructor
//! during cleanup"), so nothing here drops a child during an unwind. Shared by
//! `gather` and `group`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A caught panic's payload.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// Runs `f` (a drop), returning the panic it raised, if any.
#[inline]
pub(crate) fn caught(f: impl FnOnce()) -> Option<Payload> {
    catch_unwind(AssertUnwindSafe(f)).err()
}

/// Drops `value`, swallowing a panic from its `Drop`: for what is dropped after the
/// first failure, which a later panic must not replace. A payload whose own `Drop`
/// panics is leaked rather than dropped again.
#[cold]
pub(crate) fn drop_quietly<T>(value: T) {
    if let Some(p) = caught(move || drop(value)) {
        if let Some(p) = caught(move || drop(p)) {
            std::mem::forget(p);
        }
    }
}
