//! The engine shared by `gather_all`, `try_gather_all`, `as_completed` and `race_all`:
//! a boxed slice of children plus a [`ReadyQueue`].
//!
//! - The first poll polls every child once, in input order (under `limit(n)`: the
//!   first `n`). After that only children whose own waker fired are polled, in wake
//!   order: O(woken) work, never a scan over all slots.
//! - Allocations: the children's buffer, the ready queue, and (for `gather_all`) the
//!   output `Vec` — a constant number per join, none per child, none per wake.
//! - One poll does bounded work: at most `n` children started plus `n` woken children
//!   polled; then the driver wakes its own task and returns `Pending`, so a join of
//!   children that keep re-waking themselves cannot starve its neighbours.
//! - Each child is dropped in place the moment it finishes; if a child panics, every
//!   other child is dropped before the panic continues (payload untouched).

use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::fixed::{Slot, SlotProj};
use super::ready::ReadyQueue;

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
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
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
        if !self.slots.is_empty() {
            self.rotate = rotate % self.slots.len();
        }
    }

    fn slot(slots: &mut [Slot<F, O>], i: usize) -> Pin<&mut Slot<F, O>> {
        // SAFETY: the slots live in a boxed slice that is never reallocated or moved
        // out of; a slot's future is only ever dropped in place (`Pin::set`), so it
        // stays at this address from its first poll until it is dropped.
        unsafe { Pin::new_unchecked(&mut slots[i]) }
    }

    /// Takes the output of finished child `i`.
    pub(crate) fn take(&mut self, i: usize) -> O {
        Self::slot(&mut self.slots, i).take()
    }

    /// Drops every child and stored output now.
    pub(crate) fn drop_all(&mut self) {
        for i in 0..self.slots.len() {
            Self::slot(&mut self.slots, i).set(Slot::Gone);
        }
        self.remaining = 0;
    }

    /// Polls children until `on_ready` breaks (→ `Ready(Some(b))`), every child is
    /// finished (→ `Ready(None)`), no child is woken (→ `Pending`) or the budget is
    /// spent (→ self-wake, `Pending`). `on_ready` maps a finished child's output to the
    /// value stored in its slot, or breaks.
    pub(crate) fn poll<B>(
        &mut self,
        cx: &mut Context<'_>,
        on_ready: impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Poll<Option<B>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let mut guard = DropOnUnwind(Some(self));
        let out = guard.get().poll_inner(cx, on_ready);
        guard.0 = None;
        out
    }

    fn poll_inner<B>(
        &mut self,
        cx: &mut Context<'_>,
        mut on_ready: impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Poll<Option<B>> {
        let n = self.slots.len();
        // The parent's waker is registered (and `POLLING` set) only before the first
        // `pop`: a join whose children all finish while being started never touches the
        // shared atomics. Wakes that happen before `begin` are in the stack and popped.
        let mut begun = false;
        let budget = n;
        let mut popped = 0;
        loop {
            while self.started < n && self.in_flight < self.limit {
                let mut i = self.started + self.rotate;
                if i >= n {
                    i -= n;
                }
                self.started += 1;
                self.in_flight += 1;
                if let Some(b) = self.poll_child(i, &mut on_ready) {
                    self.end(begun);
                    return Poll::Ready(Some(b));
                }
                if self.remaining == 0 {
                    self.end(begun);
                    return Poll::Ready(None);
                }
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
            if let Some(b) = self.poll_child(i, &mut on_ready) {
                self.queue.end();
                return Poll::Ready(Some(b));
            }
            if self.remaining == 0 {
                self.queue.end();
                return Poll::Ready(None);
            }
        }
    }

    #[inline]
    fn end(&mut self, begun: bool) {
        if begun {
            self.queue.end();
        }
    }

    /// Polls child `i` if it is still running.
    #[inline]
    fn poll_child<B>(
        &mut self,
        i: usize,
        on_ready: &mut impl FnMut(F::Output) -> ControlFlow<B, O>,
    ) -> Option<B> {
        let mut slot = Self::slot(&mut self.slots, i);
        let SlotProj::Pending { fut } = slot.as_mut().project() else {
            return None; // a stale wake of a finished child
        };
        let poll = self
            .queue
            .with_waker(i, |w| fut.poll(&mut Context::from_waker(w)));
        let Poll::Ready(out) = poll else { return None };
        slot.set(Slot::Gone);
        self.in_flight -= 1;
        self.remaining -= 1;
        match on_ready(out) {
            ControlFlow::Continue(o) => {
                slot.set(Slot::Done { out: o });
                None
            }
            ControlFlow::Break(b) => Some(b),
        }
    }
}

/// Drops every child if a child's poll unwinds.
struct DropOnUnwind<'a, F: Future, O>(Option<&'a mut Driver<F, O>>);

impl<F: Future, O> DropOnUnwind<'_, F, O> {
    fn get(&mut self) -> &mut Driver<F, O> {
        self.0.as_deref_mut().expect("armed")
    }
}

impl<F: Future, O> Drop for DropOnUnwind<'_, F, O> {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            d.drop_all();
        }
    }
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
