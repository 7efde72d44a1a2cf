//! The engine shared by `gather_all`, `try_gather_all`, `as_completed` and `race_all`:
//! a boxed slice of children plus a [`ReadyQueue`].
//!
//! - The first poll polls every child once, in input order (under `limit(n)`: the
//!   first `n`). After that only children whose own waker fired are polled, in wake
//!   order: O(woken) work, never a scan over all slots.
//! - Allocations: the children's buffer; the ready queue, made only once a child keeps
//!   or fires its waker (see `ready.rs`); and for `gather_all`/`try_gather_all` the
//!   output `Vec`, which reuses the children's buffer when an output is at least half a
//!   slot. At most three per join, none per child, none per wake; one for a join of
//!   children that all finish on their first poll (`join_all` makes two).
//! - One poll does bounded work: at most `n` children started plus `n` woken children
//!   polled; then the driver wakes its own task and returns `Pending`, so a join of
//!   children that keep re-waking themselves cannot starve its neighbours.
//! - Each child is dropped in place the moment it finishes. If a child panics (in its
//!   poll or in the `Drop` that follows its output), the panic is caught, every other
//!   child is dropped outside the unwind (their `Drop`s' panics caught and discarded),
//!   then the first panic continues with its original payload. The same quiet drop
//!   ends a join that broke (a `try_` join's `Err`, a race's winner).

use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::fixed::{Slot, SlotProj};
use super::ready::ReadyQueue;
use super::unwind::{caught, drop_quietly};

pub(crate) struct Driver<F, O> {
    slots: Box<[Slot<F, O>]>,
    queue: ReadyQueue,
    /// Children `0..started` (in rotated order) have been polled at least once.
    started: usize,
    /// Index of the first child to start (non-zero only for `race_all`).
    rotate: usize,
    in_flight: usize,
    limit: usize,
    /// Children not finished yet.
    remaining: usize,
    /// The outputs were taken (`take_all`) or dropped (`drop_all`): the join is over.
    taken: bool,
}

impl<F: Future, O> Driver<F, O> {
    pub(crate) fn new(children: impl Iterator<Item = F>) -> Self {
        let slots: Box<[Slot<F, O>]> = children.map(Slot::new).collect();
        let n = slots.len();
        Driver {
            slots,
            queue: ReadyQueue::new(n),
            started: 0,
            rotate: 0,
            in_flight: 0,
            limit: usize::MAX,
            remaining: n,
            taken: false,
        }
    }

    /// The number of children.
    ///
    /// Read from the slice's pointer metadata, never through a `&[Slot]`: under Stacked
    /// Borrows a shared reference over the slots is a read of every child, which
    /// invalidates the `&mut` a child holds into its own state (`pin!` in an `async fn`)
    /// — Miri reports such a child as undefined behaviour.
    pub(crate) fn len(&self) -> usize {
        (&raw const *self.slots).len()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.remaining
    }

    pub(crate) fn set_limit(&mut self, limit: usize) {
        assert!(
            limit >= 1,
            "the limit must be >= 1 (got 0): at least one child must run"
        );
        assert!(
            self.started == 0,
            "`limit` must be set before the first poll"
        );
        self.limit = limit;
    }

    pub(crate) fn set_rotate(&mut self, rotate: usize) {
        let n = self.len();
        if n != 0 {
            self.rotate = rotate % n;
        }
    }

    fn slot(slots: &mut [Slot<F, O>], i: usize) -> Pin<&mut Slot<F, O>> {
        // SAFETY: the slots live in a boxed slice that is never reallocated or moved
        // out of; a slot's future is only ever dropped in place (`Pin::set`), so it
        // stays at this address from its first poll until it is dropped.
        unsafe { Pin::new_unchecked(&mut slots[i]) }
    }

    /// Takes every output, in input order, once all children have finished.
    ///
    /// When an output is at least half the size of a slot, the outputs are collected in
    /// place into the children's buffer (std's in-place `collect` does it when the
    /// alignments match), so the join returns its `Vec` without allocating one: the
    /// `Vec` then has up to twice the capacity it needs, no more than a `Vec` grown by
    /// `push` may have. Otherwise (big futures, small outputs) a fresh exact-size `Vec`
    /// is allocated, so a join of large futures does not keep their buffer alive.
    ///
    /// # Panics
    ///
    /// If the outputs were already taken: `what` (the API's name) was polled after it
    /// completed.
    pub(crate) fn take_all(&mut self, what: &str) -> Vec<O> {
        assert!(!self.taken, "`{what}` polled after it completed");
        self.taken = true;
        let slots = core::mem::take(&mut self.slots);
        // Every child is finished (`Done`), its future dropped in place: the slots are
        // no longer pinned and may be moved out.
        if const { size_of::<Slot<F, O>>() <= 2 * size_of::<O>() } {
            slots.into_vec().into_iter().map(Slot::into_out).collect()
        } else {
            let mut out = Vec::with_capacity(slots.len());
            out.extend(slots.into_vec().into_iter().map(Slot::into_out));
            out
        }
    }

    /// Drops every child and stored output now, outside any unwind: a `Drop` that
    /// panics is caught and its payload discarded (this runs after the join's first
    /// failure, which a later panic must not replace), and the next slot is dropped.
    pub(crate) fn drop_all(&mut self) {
        for i in 0..self.len() {
            let mut slot = Self::slot(&mut self.slots, i);
            // `Pin::set` writes `Gone` even when the old value's `Drop` unwinds, so a
            // slot is never dropped twice.
            if let Some(p) = caught(|| slot.set(Slot::Gone)) {
                drop_quietly(p);
            }
        }
        self.remaining = 0;
        // No outputs left to take: a later `take_all` means a poll after completion.
        self.taken = true;
    }

    /// Polls children until `on_ready` breaks (→ `Ready(Some(b))`), every child is
    /// finished (→ `Ready(None)`), no child is woken (→ `Pending`) or the budget is
    /// spent (→ self-wake, `Pending`). `on_ready` maps a finished child's output to the
    /// value stored in its slot, or breaks.
    ///
    /// `break_ends_join`: a break is the join's outcome (a `try_` join's `Err`, a
    /// race's winner), so the `Drop` of the child that broke is part of the clean-up
    /// and its panic is discarded; otherwise (`as_completed`'s items) that panic is the
    /// child's.
    ///
    /// # Panics
    ///
    /// If a child panics, in its poll or in the `Drop` of its finished future: every
    /// other child is dropped first (see [`drop_all`](Self::drop_all)), then the panic
    /// continues with its payload.
    #[inline]
    pub(crate) fn poll<B>(
        &mut self,
        cx: &mut Context<'_>,
        break_ends_join: bool,
        on_ready: impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Poll<Option<B>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        // Zero cost while nothing panics; a panic is caught here, not unwound through
        // the children's drops.
        match catch_unwind(AssertUnwindSafe(|| {
            self.poll_inner(cx, break_ends_join, on_ready)
        })) {
            Ok(out) => out,
            Err(payload) => self.fail(payload),
        }
    }

    /// A child panicked: drop the rest quietly, then let the panic go on.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, payload: super::unwind::Payload) -> ! {
        self.drop_all();
        resume_unwind(payload)
    }

    fn poll_inner<B>(
        &mut self,
        cx: &mut Context<'_>,
        break_ends_join: bool,
        mut on_ready: impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Poll<Option<B>> {
        // The parent's waker is registered (and `POLLING` set) only before the first
        // `pop`: a join whose children all finish while being started never touches the
        // shared atomics. Wakes that happen before `begin` are in the stack and popped.
        let mut begun = false;
        let budget = self.len();
        let mut popped = 0;
        loop {
            if let Some(done) = self.start(break_ends_join, &mut on_ready) {
                self.end(begun);
                return done;
            }
            if !begun {
                self.queue.begin(cx.waker());
                begun = true;
            }
            if popped >= budget {
                self.queue.end();
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let Some(i) = self.queue.pop() else {
                return Poll::Pending;
            };
            popped += 1;
            let step = poll_child(
                &mut self.slots,
                &self.queue,
                i,
                break_ends_join,
                &mut on_ready,
            );
            let done = match step {
                Step::Pending | Step::Stale => continue,
                Step::Finished => {
                    self.in_flight -= 1;
                    self.remaining -= 1;
                    self.remaining == 0
                }
                Step::Break(b) => {
                    self.in_flight -= 1;
                    self.remaining -= 1;
                    self.queue.end();
                    return Poll::Ready(Some(b));
                }
            };
            if done {
                self.queue.end();
                return Poll::Ready(None);
            }
        }
    }

    /// Starts children (first polls, in rotated input order) while the limit allows.
    /// Returns `Some` when the join is over: every child finished, or `on_ready` broke.
    ///
    /// The counters live in locals for the loop (written back on the way out), so the
    /// per-child work of a join of ready futures stays in registers; if a child
    /// panics, [`poll`](Self::poll) drops every child and the counters no longer
    /// matter.
    #[inline]
    fn start<B>(
        &mut self,
        break_ends_join: bool,
        on_ready: &mut impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Option<Poll<Option<B>>> {
        let n = self.len();
        let slots = &mut *self.slots;
        let limit = self.limit;
        let rotate = self.rotate;
        let mut started = self.started;
        let mut in_flight = self.in_flight;
        let mut remaining = self.remaining;
        let mut done = None;
        while started < n && in_flight < limit {
            // Only `race_all` rotates; the branch is the same every iteration.
            let i = if rotate == 0 {
                started
            } else if started < n - rotate {
                started + rotate
            } else {
                started - (n - rotate)
            };
            started += 1;
            match poll_child(slots, &self.queue, i, break_ends_join, on_ready) {
                Step::Pending => in_flight += 1,
                Step::Stale => {}
                Step::Finished => {
                    remaining -= 1;
                    if remaining == 0 {
                        done = Some(Poll::Ready(None));
                        break;
                    }
                }
                Step::Break(b) => {
                    remaining -= 1;
                    done = Some(Poll::Ready(Some(b)));
                    break;
                }
            }
        }
        self.started = started;
        self.in_flight = in_flight;
        self.remaining = remaining;
        done
    }

    #[inline]
    fn end(&mut self, begun: bool) {
        if begun {
            self.queue.end();
        }
    }
}

/// What polling one child did.
enum Step<B> {
    /// Still running.
    Pending,
    /// Already finished: a stale wake.
    Stale,
    /// Finished; its mapped output is stored in its slot.
    Finished,
    /// Finished, and `on_ready` broke with this value.
    Break(B),
}

/// Polls child `i` if it is still running, with its own waker. A panic of its poll
/// unwinds to [`Driver::poll`]; so does one of the `Drop` of its finished future,
/// unless the output broke a join that `break_ends_join` (see [`Driver::poll`]).
///
/// `inline(always)`: with the caught drop LLVM stopped inlining it into the two loops
/// (about 20 more instructions per child poll, measured with `cachegrind`).
#[inline(always)]
fn poll_child<F: Future, O, B>(
    slots: &mut [Slot<F, O>],
    queue: &ReadyQueue,
    i: usize,
    break_ends_join: bool,
    on_ready: &mut impl FnMut(F::Output) -> ControlFlow<B, O>,
) -> Step<B> {
    let mut slot = Driver::slot(slots, i);
    let SlotProj::Pending { fut } = slot.as_mut().project() else {
        return Step::Stale;
    };
    let poll = queue.with_waker(i, |w| fut.poll(&mut Context::from_waker(w)));
    let Poll::Ready(out) = poll else {
        return Step::Pending;
    };
    // The output is in hand: a panicking `Drop` of the finished future must not drop
    // it during the unwind (it may panic too), so the drop is caught here.
    let dropped = caught(|| slot.set(Slot::Gone));
    match on_ready(out) {
        ControlFlow::Continue(o) => {
            if let Some(p) = dropped {
                drop_panicked(o, p)
            }
            slot.set(Slot::Done { out: o });
            Step::Finished
        }
        ControlFlow::Break(b) => {
            if let Some(p) = dropped {
                if break_ends_join {
                    drop_quietly(p); // the join's outcome stands
                } else {
                    drop_panicked(b, p)
                }
            }
            Step::Break(b)
        }
    }
}

/// A finished child's `Drop` panicked and nothing failed before: that panic is the
/// child's. Drops its output quietly, then continues the panic (to [`Driver::poll`]).
#[cold]
#[inline(never)]
fn drop_panicked<T>(out: T, payload: super::unwind::Payload) -> ! {
    drop_quietly(out);
    resume_unwind(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "the limit must be >= 1")]
    fn gather_driver_limit_zero_panics() {
        let mut d: Driver<core::future::Ready<u8>, u8> =
            Driver::new([core::future::ready(1)].into_iter());
        d.set_limit(0);
    }

    #[test]
    fn gather_driver_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Driver<core::future::Ready<u8>, u8>>();
    }
}
