//! The FIFO list of waiting futures that every primitive in this module is built on.
//!
//! A [`WaitList`] lives inside the primitive's mutex. A future that has to wait
//! [`push`](WaitList::push)es itself and keeps the returned [`Key`]; a notifier takes the
//! oldest waiter with [`notify_first`](WaitList::notify_first), hands it a payload (an
//! item, a permit, a result) and wakes it once the mutex is released. The waiter's entry
//! stays allocated, holding the payload, until its owner [`poll`](WaitList::poll)s it or
//! [`remove`](WaitList::remove)s it on drop — so a future dropped after it was handed
//! something gets the payload back and passes it on, and nothing is lost.
//!
//! A waiter may also leave a deposit `D` with its entry ([`push_with`](WaitList::push_with)),
//! which the notifier takes together with its waker
//! ([`notify_first_with`](WaitList::notify_first_with)): the generator's yielders wait
//! this way, each with the value it yields (`D = T`, `P = ()`). The primitives leave none
//! (`D = ()`).
//!
//! Entries live in a slab (a `Vec` with a free list) linked in arrival order by index:
//! push, notify and remove are O(1), and no allocation happens once the slab has grown to
//! the largest number of simultaneous waiters. No `unsafe`: the links are indices.

use std::task::Waker;

const NIL: u32 = u32::MAX;

/// A waiter's place in a [`WaitList`]: returned by [`WaitList::push`], valid until the
/// entry is polled to completion or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(u32);

enum State<P, D> {
    /// On the free list; `Slot::next` links to the next free slot.
    Free,
    /// Linked in arrival order, waiting for a payload, with the waiter's deposit.
    Waiting(Waker, D),
    /// Unlinked: the payload was handed over and the owner has not taken it yet.
    Notified(P),
}

struct Slot<P, D> {
    prev: u32,
    next: u32,
    state: State<P, D>,
}

/// What [`WaitList::remove_with`] found in the entry it freed.
pub(crate) enum Removed<P, D> {
    /// The entry was still waiting: its deposit comes back.
    Waiting(D),
    /// A payload had been handed over and not yet taken: the caller must pass it on.
    Notified(P),
}

/// Waiting futures in arrival order, each eventually handed a payload `P` (and each
/// leaving a deposit `D` for the notifier, if `D` is not `()`).
pub(crate) struct WaitList<P, D = ()> {
    slots: Vec<Slot<P, D>>,
    head: u32,
    tail: u32,
    free: u32,
    waiting: usize,
}

impl<P, D> Default for WaitList<P, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> WaitList<P> {
    /// Appends a waiter that will be woken through `waker`.
    pub(crate) fn push(&mut self, waker: &Waker) -> Key {
        self.push_with(waker, ())
    }

    /// The owner gives up: unlinks a waiting entry (`None`) or takes a payload that was
    /// handed over but not yet taken (`Some`), which the caller must pass on. Frees the
    /// entry either way.
    pub(crate) fn remove(&mut self, key: Key) -> Option<P> {
        match self.remove_with(key) {
            Removed::Waiting(()) => None,
            Removed::Notified(p) => Some(p),
        }
    }

    /// Hands `payload` to the oldest waiter and returns its waker (to be woken after the
    /// lock is released), or gives the payload back if nobody waits.
    pub(crate) fn notify_first(&mut self, payload: P) -> Result<Waker, P> {
        self.notify_first_with(payload).map(|(w, ())| w)
    }

    /// Hands a payload made by `make` to every waiter, oldest first, pushing their wakers
    /// onto `wakers`.
    pub(crate) fn notify_all(&mut self, wakers: &mut Vec<Waker>, mut make: impl FnMut() -> P) {
        wakers.reserve(self.waiting);
        while self.head != NIL {
            if let Ok(w) = self.notify_first(make()) {
                wakers.push(w);
            }
        }
    }
}

impl<P, D> WaitList<P, D> {
    /// An empty list; allocates nothing until the first waiter.
    pub(crate) const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            waiting: 0,
        }
    }

    /// Whether no future is waiting (handed-over entries not yet taken do not count).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// How many futures are waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    /// Appends a waiter that will be woken through `waker`, leaving `deposit` for the
    /// notifier.
    pub(crate) fn push_with(&mut self, waker: &Waker, deposit: D) -> Key {
        let slot = Slot {
            prev: self.tail,
            next: NIL,
            state: State::Waiting(waker.clone(), deposit),
        };
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = slot;
            i
        } else {
            let i = u32::try_from(self.slots.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("more than u32::MAX - 1 futures waiting on one primitive");
            self.slots.push(slot);
            i
        };
        match self.tail {
            NIL => self.head = i,
            t => self.slots[t as usize].next = i,
        }
        self.tail = i;
        self.waiting += 1;
        Key(i)
    }

    /// The owner's poll: takes the payload if one was handed over (freeing the entry),
    /// otherwise refreshes the stored waker.
    pub(crate) fn poll(&mut self, key: Key, waker: &Waker) -> Option<P> {
        let slot = &mut self.slots[key.0 as usize];
        match &mut slot.state {
            State::Waiting(w, _) => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                None
            }
            State::Notified(_) => Some(self.release(key)),
            State::Free => unreachable!("wait-list key polled after its entry was freed"),
        }
    }

    /// The owner gives up: unlinks a waiting entry (giving its deposit back) or takes a
    /// payload that was handed over but not yet taken. Frees the entry either way.
    pub(crate) fn remove_with(&mut self, key: Key) -> Removed<P, D> {
        match self.slots[key.0 as usize].state {
            State::Waiting(..) => {
                self.unlink(key.0);
                match self.free_slot(key.0) {
                    State::Waiting(_, d) => Removed::Waiting(d),
                    _ => unreachable!("the entry was waiting"),
                }
            }
            State::Notified(_) => Removed::Notified(self.release(key)),
            State::Free => unreachable!("wait-list key removed after its entry was freed"),
        }
    }

    /// Hands `payload` to the oldest waiter and returns its waker (to be woken after the
    /// lock is released) and deposit, or gives the payload back if nobody waits.
    pub(crate) fn notify_first_with(&mut self, payload: P) -> Result<(Waker, D), P> {
        let i = self.head;
        if i == NIL {
            return Err(payload);
        }
        self.unlink(i);
        match std::mem::replace(&mut self.slots[i as usize].state, State::Notified(payload)) {
            State::Waiting(w, d) => Ok((w, d)),
            _ => unreachable!("a linked wait-list entry is always waiting"),
        }
    }

    fn release(&mut self, key: Key) -> P {
        let slot = &mut self.slots[key.0 as usize];
        match std::mem::replace(&mut slot.state, State::Free) {
            State::Notified(p) => {
                slot.next = self.free;
                self.free = key.0;
                p
            }
            _ => unreachable!("released a wait-list entry that holds no payload"),
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let s = &self.slots[i as usize];
            (s.prev, s.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slots[n as usize].prev = prev,
        }
        self.waiting -= 1;
    }

    /// Puts entry `i` on the free list and returns what it held.
    fn free_slot(&mut self, i: u32) -> State<P, D> {
        let slot = &mut self.slots[i as usize];
        let old = std::mem::replace(&mut slot.state, State::Free);
        slot.next = self.free;
        self.free = i;
        old
    }
}

impl<P, D> std::fmt::Debug for WaitList<P, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitList")
            .field("waiting", &self.waiting)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_payloads() {
        let w = Waker::noop();
        let mut l = WaitList::new();
        let a = l.push(w);
        let b = l.push(w);
        let c = l.push(w);
        assert_eq!(l.len(), 3);
        assert!(l.notify_first('a').is_ok());
        assert!(l.notify_first('b').is_ok());
        assert_eq!(l.len(), 1);
        // b's payload waits for b, whatever order the owners poll in.
        assert_eq!(l.poll(b, w), Some('b'));
        assert_eq!(l.poll(c, w), None);
        assert_eq!(l.poll(a, w), Some('a'));
        assert!(l.notify_first('c').is_ok());
        assert!(l.is_empty());
        assert!(matches!(l.notify_first('d'), Err('d')));
        assert_eq!(l.remove(c), Some('c'));
    }

    #[test]
    fn remove_from_the_middle_keeps_the_order_and_reuses_slots() {
        let w = Waker::noop();
        let mut l = WaitList::new();
        let keys: Vec<Key> = (0..5).map(|_| l.push(w)).collect();
        assert_eq!(l.remove(keys[2]), None);
        assert_eq!(l.remove(keys[0]), None);
        assert_eq!(l.remove(keys[4]), None);
        assert_eq!(l.len(), 2);
        let again = l.push(w); // reuses a freed slot
        assert!(l.slots.len() == 5);
        for p in [1, 3, 5] {
            l.notify_first(p).unwrap();
        }
        assert_eq!(l.poll(keys[1], w), Some(1));
        assert_eq!(l.poll(keys[3], w), Some(3));
        assert_eq!(l.poll(again, w), Some(5));
    }

    #[test]
    fn notify_all_hands_every_waiter_a_payload_in_order() {
        let w = Waker::noop();
        let mut l = WaitList::new();
        let keys: Vec<Key> = (0..4).map(|_| l.push(w)).collect();
        let mut n = 0;
        let mut wakers = Vec::new();
        l.notify_all(&mut wakers, || {
            n += 1;
            n
        });
        assert_eq!(wakers.len(), 4);
        let got: Vec<_> = keys.iter().map(|&k| l.poll(k, w)).collect();
        assert_eq!(got, [Some(1), Some(2), Some(3), Some(4)]);
    }
}
