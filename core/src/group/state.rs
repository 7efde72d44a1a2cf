//! The group's counter of live children and its closed/cancelled flags, in one atomic
//! word, so that "spawn unless closed" and "close once no child is live" cannot race
//! (a spawn either happens before the group closes, and the group waits for it, or is
//! refused). Shared across threads by `TaskGroup`; model-checked by
//! `core/tests/loom_group.rs`, which compiles this file on its own with loom's atomics.

use super::sync::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};

/// No more spawns are accepted.
const CLOSED: usize = 1;
/// Children and body are being cancelled.
const CANCELLED: usize = 2;
/// One live child.
const ONE: usize = 4;

pub(crate) struct GroupState(AtomicUsize);

impl GroupState {
    pub(crate) fn new() -> Self {
        GroupState(AtomicUsize::new(0))
    }

    /// Registers a child about to be spawned. `Ok(())`: spawn it, and call [`leave`]
    /// when its future is dropped. `Err(last)`: the group is closed; do not run the
    /// child; if `last`, wake the group's driver (this call held the last count).
    ///
    /// [`leave`]: Self::leave
    pub(crate) fn enter(&self) -> Result<(), bool> {
        let prev = self.0.fetch_add(ONE, AcqRel);
        if prev & CLOSED == 0 {
            Ok(())
        } else {
            Err(self.leave())
        }
    }

    /// A child's future was dropped. Returns whether it was the last live child (then
    /// wake the driver).
    pub(crate) fn leave(&self) -> bool {
        let prev = self.0.fetch_sub(ONE, AcqRel);
        debug_assert!(prev >= ONE);
        prev / ONE == 1
    }

    /// Closes the group and marks it cancelled. Returns whether this call did it (then
    /// notify the children and the driver).
    pub(crate) fn cancel(&self) -> bool {
        self.0.fetch_or(CLOSED | CANCELLED, AcqRel) & CANCELLED == 0
    }

    /// Closes the group if no child is live; returns whether it is now closed with no
    /// child live (the group may finish).
    pub(crate) fn try_finish(&self) -> bool {
        let mut cur = self.0.load(Acquire);
        loop {
            if cur >= ONE {
                return false;
            }
            if cur & CLOSED != 0 {
                return true;
            }
            match self
                .0
                .compare_exchange_weak(cur, cur | CLOSED, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.0.load(Acquire) & CLOSED != 0
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Acquire) & CANCELLED != 0
    }

    pub(crate) fn live(&self) -> usize {
        self.0.load(Acquire) / ONE
    }
}
