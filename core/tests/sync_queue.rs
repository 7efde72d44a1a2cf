//! `Queue`, `LifoQueue` and `PriorityQueue` keep asyncio's semantics (FIFO waiters, no
//! barging, `task_done`/`join`, both kinds of `shutdown`, the `_nowait` errors, the
//! `Stream`), and a dropped `get()`/`put()` future loses nothing and blocks nobody, under
//! tokio's two loop flavors and `futures::executor::block_on`.

#[macro_use]
#[path = "support/sync_common.rs"]
mod support;

use asyncio_core::sync::{LifoQueue, PriorityQueue, Queue, QueueShutDown};
use futures::StreamExt;
use futures::stream::FusedStream;
use support::{Drops, Item, counting_waker, id, pending, poll, poll_with, ready};

three_ways! {
    /// Items come out in the order they went in; sizes are exact.
    fn fifo_order_and_sizes(rt) {
        let q = Queue::new(3);
        assert_eq!(q.maxsize(), 3);
        assert!(q.empty() && q.is_empty() && !q.full());
        q.put(1).await.unwrap();
        q.put_nowait(2).unwrap();
        q.put(3).await.unwrap();
        assert_eq!(q.qsize(), 3);
        assert!(q.full() && !q.empty());
        assert_eq!(q.unfinished_tasks(), 3);
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get_nowait(), Ok(2));
        assert_eq!(q.get().await, Ok(3));
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 3, "get does not mark an item done");
    }
}

three_ways! {
    /// `maxsize` 0 means unbounded: `maxsize()` is 0 and `full()` is never true.
    fn zero_maxsize_is_unbounded(rt) {
        for q in [Queue::new(0), Queue::unbounded()] {
            assert_eq!(q.maxsize(), 0);
            for i in 0..1000 {
                q.put_nowait(i).unwrap();
                assert!(!q.full());
            }
            q.put(1000).await.unwrap();
            assert_eq!(q.qsize(), 1001);
        }
        assert_eq!(LifoQueue::<u8>::unbounded().maxsize(), 0);
        assert_eq!(PriorityQueue::<u8>::new(0).maxsize(), 0);
    }
}

three_ways! {
    /// A bound of `usize::MAX` reserves nothing up front (else this would abort).
    fn huge_maxsize_reserves_nothing(rt) {
        let q = Queue::<[u64; 64]>::new(usize::MAX);
        assert_eq!(q.maxsize(), usize::MAX);
        assert!(!q.full());
        q.put([7; 64]).await.unwrap();
        assert_eq!(q.get().await, Ok([7; 64]));
        let l = LifoQueue::<[u64; 64]>::new(usize::MAX);
        l.put_nowait([1; 64]).unwrap();
        let p = PriorityQueue::<[u64; 64]>::new(usize::MAX);
        p.put_nowait([1; 64]).unwrap();
        assert_eq!((l.qsize(), p.qsize()), (1, 1));
    }
}

three_ways! {
    /// Putters waiting on a full queue get the freed slots in arrival order, and a
    /// newcomer (`put_nowait`, or a `put` polled first) does not overtake them.
    fn putters_are_served_in_arrival_order(rt) {
        let q = Queue::new(1);
        q.put_nowait('a').unwrap();
        let mut b = q.put('b');
        let mut c = q.put('c');
        pending(&mut b);
        pending(&mut c);
        let err = q.put_nowait('x').unwrap_err();
        assert!(!err.is_shutdown());
        assert_eq!(err.to_string(), "queue is full");
        assert_eq!(err.into_inner(), 'x');

        assert_eq!(q.get_nowait(), Ok('a'));
        // The slot is reserved for `b`: still full for newcomers.
        assert!(q.full());
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.put_nowait('y').unwrap_err().into_inner(), 'y');
        let mut late = q.put('z');
        pending(&mut late); // polled before `b`, still behind it
        pending(&mut c);
        assert_eq!(ready(&mut b), Ok(()));
        assert_eq!(q.get().await, Ok('b'));
        assert_eq!(ready(&mut c), Ok(()));
        pending(&mut late);
        assert_eq!(q.get().await, Ok('c'));
        assert_eq!(ready(&mut late), Ok(()));
        assert_eq!(q.get().await, Ok('z'));
        assert_eq!(q.unfinished_tasks(), 4);
    }
}

three_ways! {
    /// Getters waiting on an empty queue get the items in arrival order, whatever order
    /// they are polled in, and a newcomer does not overtake them.
    fn getters_are_served_in_arrival_order(rt) {
        let q = Queue::new(0);
        let mut g1 = q.get();
        let mut g2 = q.get();
        let mut g3 = q.get();
        pending(&mut g1);
        pending(&mut g2);
        pending(&mut g3);
        q.put_nowait(1).unwrap();
        q.put(2).await.unwrap();
        // Handed straight to the getters, not queued.
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 2);
        let err = q.get_nowait().unwrap_err();
        assert!(!err.is_shutdown());
        assert_eq!(err.to_string(), "queue is empty");
        let mut newcomer = q.get();
        pending(&mut newcomer);
        assert_eq!(ready(&mut g2), Ok(2));
        assert_eq!(ready(&mut g1), Ok(1));
        q.put_nowait(3).unwrap();
        q.put_nowait(4).unwrap();
        // The newcomer waits behind g3: it gets the later item, even polled first.
        assert_eq!(ready(&mut newcomer), Ok(4));
        assert_eq!(ready(&mut g3), Ok(3));
        assert!(q.get_nowait().is_err());
    }
}

three_ways! {
    /// A put to a waiting getter wakes it.
    fn put_wakes_the_oldest_getter(rt) {
        let q = Queue::new(0);
        let (w1, waker1) = counting_waker();
        let (w2, waker2) = counting_waker();
        let mut g1 = q.get();
        let mut g2 = q.get();
        assert!(poll_with(&mut g1, &waker1).is_pending());
        assert!(poll_with(&mut g2, &waker2).is_pending());
        q.put_nowait(5).unwrap();
        assert_eq!((w1.get(), w2.get()), (1, 0));
        assert_eq!(ready(&mut g1), Ok(5));
        let (wp, wakerp) = counting_waker();
        let q1 = Queue::new(1);
        q1.put_nowait(0).unwrap();
        let mut p = q1.put(1);
        assert!(poll_with(&mut p, &wakerp).is_pending());
        assert_eq!(q1.get_nowait(), Ok(0));
        assert_eq!(wp.get(), 1, "a get freeing a slot wakes the oldest putter");
    }
}

three_ways! {
    /// A `put` dropped before its first poll never puts, and its value is dropped once.
    fn put_dropped_before_polling_drops_its_value(rt) {
        let drops = Drops::new();
        let q = Queue::new(1);
        drop(q.put(drops.item(1)));
        assert_eq!(drops.get(), 1);
        assert_eq!((q.qsize(), q.unfinished_tasks()), (0, 0));
        q.put(drops.item(2)).await.unwrap();
        assert_eq!(id(q.get().await.unwrap()), 2);
        assert_eq!(drops.get(), 2);
    }
}

three_ways! {
    /// A `put` dropped while waiting leaves the line: its value is dropped with it, the
    /// next putter gets the slot, nothing else changes.
    fn put_dropped_while_waiting_leaves_the_line(rt) {
        let drops = Drops::new();
        let q = Queue::new(1);
        q.put_nowait(drops.item(0)).unwrap();
        let mut p1 = q.put(drops.item(1));
        let mut p2 = q.put(drops.item(2));
        pending(&mut p1);
        pending(&mut p2);
        drop(p1);
        assert_eq!(
            drops.get(),
            1,
            "the cancelled put's value is dropped with it"
        );
        assert_eq!(id(q.get().await.unwrap()), 0);
        assert_eq!(ready(&mut p2), Ok(()));
        assert_eq!(id(q.get().await.unwrap()), 2);
        assert_eq!(drops.get(), 3);
        assert_eq!(q.unfinished_tasks(), 2, "the cancelled put never counted");
    }
}

three_ways! {
    /// A `put` dropped after a slot was reserved for it passes the slot to the next
    /// putter, and with no next putter gives the slot back; its value never enters.
    fn put_dropped_after_its_slot_was_reserved_passes_the_slot_on(rt) {
        let drops = Drops::new();
        let q = Queue::new(1);
        q.put_nowait(drops.item(0)).unwrap();
        let (w2, waker2) = counting_waker();
        let mut p1 = q.put(drops.item(1));
        let mut p2 = q.put(drops.item(2));
        pending(&mut p1);
        assert!(poll_with(&mut p2, &waker2).is_pending());
        assert_eq!(id(q.get_nowait().unwrap()), 0); // reserves the slot for p1
        assert_eq!(w2.get(), 0);
        drop(p1);
        assert_eq!(drops.get(), 2);
        assert_eq!(w2.get(), 1, "the slot goes on to p2, which is woken");
        assert!(q.full(), "the slot is p2's");
        assert_eq!(ready(&mut p2), Ok(()));
        assert_eq!(id(q.get_nowait().unwrap()), 2);

        // No next putter: the slot comes back for anyone.
        q.put_nowait(drops.item(3)).unwrap();
        let mut p4 = q.put(drops.item(4));
        pending(&mut p4);
        assert_eq!(id(q.get_nowait().unwrap()), 3);
        assert!(q.full());
        drop(p4);
        assert_eq!(drops.get(), 5);
        assert!(!q.full(), "the reserved slot came back");
        q.put_nowait(drops.item(5)).unwrap();
        assert_eq!(q.qsize(), 1);
        assert_eq!(q.unfinished_tasks(), 4);
    }
}

three_ways! {
    /// A `get` dropped before polling or while waiting takes nothing: the next item goes
    /// to the next getter, or into the queue.
    fn get_dropped_before_or_while_waiting_takes_nothing(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        drop(q.get());
        let mut g1 = q.get();
        let mut g2 = q.get();
        pending(&mut g1);
        pending(&mut g2);
        drop(g1);
        q.put_nowait(drops.item(1)).unwrap();
        assert_eq!(id(ready(&mut g2).unwrap()), 1);
        let mut g3 = q.get();
        pending(&mut g3);
        drop(g3);
        q.put_nowait(drops.item(2)).unwrap();
        assert_eq!(q.qsize(), 1, "no getter left: queued");
        assert_eq!(id(q.get().await.unwrap()), 2);
        assert_eq!(drops.get(), 2);
    }
}

three_ways! {
    /// A `get` that was handed an item and dropped before taking it passes the item to
    /// the next getter (who is woken); nothing is dropped or duplicated.
    fn get_dropped_after_being_handed_an_item_passes_it_to_the_next_getter(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let mut g1 = q.get();
        let mut g2 = q.get();
        let (w2, waker2) = counting_waker();
        pending(&mut g1);
        assert!(poll_with(&mut g2, &waker2).is_pending());
        q.put_nowait(drops.item(1)).unwrap();
        assert_eq!(w2.get(), 0);
        drop(g1);
        assert_eq!(drops.get(), 0, "the item was not dropped with the getter");
        assert_eq!(w2.get(), 1, "the next getter is woken");
        assert_eq!(id(ready(&mut g2).unwrap()), 1);
        assert_eq!(drops.get(), 1);
        assert!(q.get_nowait().is_err());
    }
}

three_ways! {
    /// With no next getter, the handed item goes back to the front of the queue: it is
    /// older than everything put after it.
    fn get_dropped_after_being_handed_an_item_puts_it_back_in_front(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let mut g = q.get();
        pending(&mut g);
        q.put_nowait(drops.item(1)).unwrap();
        q.put_nowait(drops.item(2)).unwrap();
        drop(g);
        assert_eq!(q.qsize(), 2);
        assert_eq!(id(q.get_nowait().unwrap()), 1);
        assert_eq!(id(q.get().await.unwrap()), 2);
        assert_eq!(drops.get(), 2);
        assert_eq!(q.unfinished_tasks(), 2);

        // LIFO: the returned item is the oldest, so it comes out last.
        let l = LifoQueue::new(0);
        let mut g = l.get();
        pending(&mut g);
        l.put_nowait(drops.item(3)).unwrap();
        l.put_nowait(drops.item(4)).unwrap();
        l.put_nowait(drops.item(5)).unwrap();
        drop(g);
        let got: Vec<usize> = (0..3).map(|_| id(l.get_nowait().unwrap())).collect();
        assert_eq!(got, [5, 4, 3]);

        // Priority: back in the heap, in its place.
        let p = PriorityQueue::new(0);
        let mut g = p.get();
        pending(&mut g);
        p.put_nowait(drops.item(7)).unwrap();
        p.put_nowait(drops.item(9)).unwrap();
        p.put_nowait(drops.item(6)).unwrap();
        drop(g);
        let got: Vec<usize> = (0..3).map(|_| id(p.get_nowait().unwrap())).collect();
        assert_eq!(got, [6, 7, 9]);
        assert_eq!(drops.get(), 8);
    }
}

three_ways! {
    /// Dropping a queue (the last handle) drops its items, each once.
    fn dropping_the_queue_drops_its_items(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let q2 = q.clone();
        for i in 0..5 {
            q.put_nowait(drops.item(i)).unwrap();
        }
        drop(q);
        assert_eq!(drops.get(), 0, "another handle still holds the queue");
        drop(q2);
        assert_eq!(drops.get(), 5);
    }
}

three_ways! {
    /// `join` returns exactly when the last `task_done` comes, and wakes every joiner.
    fn join_returns_at_the_last_task_done(rt) {
        let q = Queue::new(0);
        ready(&mut q.join()); // nothing put: at once
        q.join().await;
        for i in 0..3 {
            q.put(i).await.unwrap();
        }
        let (wj, wakerj) = counting_waker();
        let mut j1 = q.join();
        let mut j2 = q.join();
        assert!(poll_with(&mut j1, &wakerj).is_pending());
        pending(&mut j2);
        for left in (0..3).rev() {
            q.get().await.unwrap();
            assert!(poll_with(&mut j1, &wakerj).is_pending());
            q.task_done();
            assert_eq!(q.unfinished_tasks(), left);
            if left > 0 {
                assert!(poll_with(&mut j1, &wakerj).is_pending());
                pending(&mut j2);
                assert_eq!(wj.get(), 0);
            }
        }
        assert_eq!(wj.get(), 1);
        ready(&mut j1);
        ready(&mut j2);
        // A dropped joiner does not disturb the others.
        q.put_nowait(9).unwrap();
        let mut j3 = q.join();
        let mut j4 = q.join();
        pending(&mut j3);
        pending(&mut j4);
        drop(j3);
        q.task_done();
        ready(&mut j4);
    }
}

three_ways! {
    /// Workers on other tasks (threads under `block_on`) process every item before
    /// `join` returns.
    fn join_waits_for_concurrent_workers(rt) {
        let q = Queue::new(4);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, done) = (q.clone(), done.clone());
                rt.spawn(async move {
                    while let Ok(n) = q.get().await {
                        done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                        q.task_done();
                    }
                })
            })
            .collect();
        let n = if cfg!(miri) { 20 } else { 200 };
        for n in 1..=n {
            q.put(n).await.unwrap();
        }
        q.join().await;
        assert_eq!(
            done.load(std::sync::atomic::Ordering::SeqCst),
            n * (n + 1) / 2
        );
        assert_eq!(q.unfinished_tasks(), 0);
        q.shutdown(false);
        for w in workers {
            w.await;
        }
    }
}

#[test]
#[should_panic(
    expected = "Queue::task_done() called more times than there were items put (asyncio raises ValueError here)"
)]
fn task_done_more_often_than_puts_panics() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.get_nowait().unwrap();
    q.task_done();
    q.task_done();
}

#[test]
fn task_done_on_a_fresh_queue_panics_and_leaves_it_usable() {
    let q = Queue::<u8>::new(0);
    let r = std::panic::catch_unwind(|| q.task_done());
    assert!(r.is_err());
    assert_eq!(q.unfinished_tasks(), 0);
    q.put_nowait(1).unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
}

three_ways! {
    /// `shutdown(false)`: puts fail giving the value back, gets drain what is queued and
    /// then fail.
    fn shutdown_drains_then_fails(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        q.put_nowait(drops.item(1)).unwrap();
        q.put_nowait(drops.item(2)).unwrap();
        assert!(!q.is_shutdown());
        q.shutdown(false);
        assert!(q.is_shutdown());
        let err = q.put(drops.item(3)).await.unwrap_err();
        assert_eq!(err.to_string(), "queue is shut down");
        assert_eq!(id(err.into_inner()), 3);
        let err = q.put_nowait(drops.item(4)).unwrap_err();
        assert!(err.is_shutdown());
        assert_eq!(err.to_string(), "queue is shut down");
        assert_eq!(id(err.into_inner()), 4);
        assert_eq!(
            drops.get(),
            2,
            "refused values came back, then were dropped here"
        );
        assert_eq!(q.qsize(), 2);
        assert_eq!(id(q.get().await.unwrap()), 1);
        assert_eq!(id(q.get_nowait().unwrap()), 2);
        assert_eq!(q.get().await, Err(QueueShutDown::new(())));
        let err = q.get_nowait().unwrap_err();
        assert!(err.is_shutdown());
        assert_eq!(err.to_string(), "queue is shut down and empty");
        assert_eq!(q.unfinished_tasks(), 2, "shutdown(false) keeps the count");
        q.task_done();
        q.task_done();
        q.join().await;
        q.shutdown(false); // again: allowed
        assert_eq!(drops.get(), 4);
    }
}

three_ways! {
    /// `shutdown` wakes waiting getters (they fail) and waiting putters (they fail, with
    /// their value back).
    fn shutdown_wakes_waiting_getters_and_putters(rt) {
        let drops = Drops::new();
        let q = Queue::<u8>::new(0);
        let (wg, wakerg) = counting_waker();
        let mut g1 = q.get();
        let mut g2 = q.get();
        assert!(poll_with(&mut g1, &wakerg).is_pending());
        assert!(poll_with(&mut g2, &wakerg).is_pending());
        q.shutdown(false);
        assert_eq!(wg.get(), 2);
        assert!(ready(&mut g1).is_err());
        assert!(ready(&mut g2).is_err());

        for immediate in [false, true] {
            let q = Queue::new(1);
            q.put_nowait(drops.item(0)).unwrap();
            let (wp, wakerp) = counting_waker();
            let mut p1 = q.put(drops.item(1));
            let mut p2 = q.put(drops.item(2));
            assert!(poll_with(&mut p1, &wakerp).is_pending());
            assert!(poll_with(&mut p2, &wakerp).is_pending());
            q.shutdown(immediate);
            assert_eq!(wp.get(), 2);
            assert_eq!(id(ready(&mut p2).unwrap_err().into_inner()), 2);
            assert_eq!(id(ready(&mut p1).unwrap_err().into_inner()), 1);
            assert_eq!(q.unfinished_tasks(), usize::from(!immediate));
        }
        assert_eq!(drops.get(), 6);

        // Under a real executor: a blocked task is released by shutdown.
        let q = Queue::<u8>::new(0);
        let waiter = {
            let q = q.clone();
            rt.spawn(async move { q.get().await })
        };
        support::yield_now().await;
        q.shutdown(false);
        assert_eq!(waiter.await, Err(QueueShutDown::new(())));
    }
}

three_ways! {
    /// A putter whose slot was reserved when the queue shut down fails with its value
    /// back, and the reservation is released.
    fn shutdown_after_a_slot_was_reserved(rt) {
        let drops = Drops::new();
        let q = Queue::new(1);
        q.put_nowait(drops.item(0)).unwrap();
        let mut p = q.put(drops.item(1));
        pending(&mut p);
        assert_eq!(id(q.get_nowait().unwrap()), 0); // p's slot is reserved
        q.shutdown(false);
        assert_eq!(id(ready(&mut p).unwrap_err().into_inner()), 1);
        assert!(!q.full(), "the reservation was released");
        assert!(q.put_nowait(drops.item(2)).unwrap_err().is_shutdown());
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 1);
        assert_eq!(drops.get(), 3);
    }
}

three_ways! {
    /// `shutdown(true)` drops the queued items at once, lowers the unfinished count by as
    /// many, and `join` returns once the items already taken are marked done.
    fn immediate_shutdown_drops_items_and_releases_join(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        for i in 0..5 {
            q.put_nowait(drops.item(i)).unwrap();
        }
        let a = q.get_nowait().unwrap();
        let b = q.get().await.unwrap();
        let (wj, wakerj) = counting_waker();
        let mut j = q.join();
        assert!(poll_with(&mut j, &wakerj).is_pending());
        q.shutdown(true);
        assert_eq!(drops.get(), 3, "the three queued items are dropped at once");
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 2);
        assert_eq!(wj.get(), 0);
        assert!(poll_with(&mut j, &wakerj).is_pending());
        assert!(q.get_nowait().unwrap_err().is_shutdown());
        assert!(q.get().await.is_err());
        drop((a, b));
        q.task_done();
        assert!(poll_with(&mut j, &wakerj).is_pending());
        q.task_done();
        assert_eq!(wj.get(), 1);
        ready(&mut j);
        assert_eq!(drops.get(), 5);

        // Nothing taken: join returns as soon as the queue is emptied.
        let q = Queue::new(0);
        q.put_nowait(drops.item(9)).unwrap();
        let (wj, wakerj) = counting_waker();
        let mut j = q.join();
        assert!(poll_with(&mut j, &wakerj).is_pending());
        q.shutdown(true);
        assert_eq!(wj.get(), 1);
        ready(&mut j);
        assert_eq!(q.unfinished_tasks(), 0);
        assert_eq!(drops.get(), 6);
    }
}

three_ways! {
    /// `shutdown(true)` after `shutdown(false)` drops what is left; waiting getters fail.
    fn immediate_after_plain_shutdown_drops_the_rest(rt) {
        let drops = Drops::new();
        let q = Queue::<u8>::new(0);
        let mut g = q.get();
        pending(&mut g);
        q.shutdown(true);
        assert!(ready(&mut g).is_err());

        let q = Queue::new(0);
        for i in 0..3 {
            q.put_nowait(drops.item(i)).unwrap();
        }
        q.shutdown(false);
        assert_eq!(id(q.get().await.unwrap()), 0);
        q.shutdown(true);
        assert_eq!(drops.get(), 3);
        assert_eq!(q.unfinished_tasks(), 1);
    }
}

three_ways! {
    /// An item handed to a getter before `shutdown(true)` is still delivered to it.
    fn immediate_shutdown_still_delivers_handed_items(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let mut g = q.get();
        pending(&mut g);
        q.put_nowait(drops.item(1)).unwrap();
        q.shutdown(true);
        assert_eq!(drops.get(), 0);
        assert_eq!(id(ready(&mut g).unwrap()), 1);
        assert_eq!(q.unfinished_tasks(), 1);
        q.task_done();
        q.join().await;
    }
}

three_ways! {
    /// An item handed to a getter that is then dropped after `shutdown(true)` is not put
    /// back into the emptied queue: it is dropped like the queued items and counted
    /// done, so `join` is not left waiting for an item nobody can take.
    fn immediate_shutdown_then_dropped_handed_getter(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let mut g = q.get();
        pending(&mut g);
        q.put_nowait(drops.item(1)).unwrap();
        q.shutdown(true);
        drop(g);
        assert_eq!(drops.get(), 1, "the returned item is dropped, never lost");
        assert_eq!(q.qsize(), 0);
        assert_eq!(q.unfinished_tasks(), 0);
        assert!(q.get_nowait().unwrap_err().is_shutdown());
        ready(&mut q.join());

        // After a plain shutdown it goes back to be drained.
        let q = Queue::new(0);
        let mut g = q.get();
        pending(&mut g);
        q.put_nowait(drops.item(2)).unwrap();
        q.shutdown(false);
        drop(g);
        assert_eq!(drops.get(), 1);
        assert_eq!(id(q.get().await.unwrap()), 2);
        assert!(q.get().await.is_err());
    }
}

three_ways! {
    /// `PriorityQueue` gives the smallest item first, also to waiting getters.
    fn priority_queue_smallest_first(rt) {
        let q = PriorityQueue::new(0);
        for n in [5, 1, 4, 2, 3, 1] {
            q.put_nowait(n).unwrap();
        }
        let mut got = Vec::new();
        while let Ok(n) = q.get_nowait() {
            got.push(n);
        }
        assert_eq!(got, [1, 1, 2, 3, 4, 5]);
        let q = PriorityQueue::new(2);
        q.put((3, "c")).await.unwrap();
        q.put((1, "a")).await.unwrap();
        let mut p = q.put((0, "z"));
        pending(&mut p);
        assert_eq!(q.get().await, Ok((1, "a")));
        assert_eq!(ready(&mut p), Ok(()));
        assert_eq!(q.get().await, Ok((0, "z")));
        assert_eq!(q.get().await, Ok((3, "c")));
    }
}

three_ways! {
    /// `LifoQueue` gives the newest item first.
    fn lifo_queue_newest_first(rt) {
        let q = LifoQueue::new(3);
        for n in 1..=3 {
            q.put(n).await.unwrap();
        }
        let mut p = q.put(4);
        pending(&mut p);
        assert_eq!(q.get().await, Ok(3));
        assert_eq!(ready(&mut p), Ok(()));
        assert_eq!(q.get().await, Ok(4));
        assert_eq!(q.get_nowait(), Ok(2));
        assert_eq!(q.get_nowait(), Ok(1));
        assert!(q.get_nowait().is_err());
    }
}

three_ways! {
    /// A queue is a `Stream` of its items that ends once shut down and drained.
    fn stream_ends_at_shutdown_once_drained(rt) {
        let q = Queue::new(0);
        let mut s = q.clone();
        q.put_nowait(1).unwrap();
        assert_eq!(s.next().await, Some(1));
        {
            let mut next = s.next();
            pending(&mut next);
            q.put_nowait(2).unwrap();
            assert_eq!(ready(&mut next), Some(2));
        }
        q.put_nowait(3).unwrap();
        q.put_nowait(4).unwrap();
        q.shutdown(false);
        assert!(!s.is_terminated());
        assert_eq!(s.next().await, Some(3));
        assert_eq!(s.next().await, Some(4));
        assert_eq!(s.next().await, None);
        assert!(s.is_terminated());
        assert_eq!(s.next().await, None);

        // A stream waiting when the queue shuts down ends.
        let q = Queue::<u8>::new(0);
        let mut s = q.clone();
        {
            let mut next = s.next();
            pending(&mut next);
        }
        assert!(!s.is_terminated(), "a waiting stream is not terminated");
        q.shutdown(false);
        assert_eq!(s.next().await, None);

        // Collected by another task.
        let q = Queue::new(2);
        let consumer = {
            let s = q.clone();
            rt.spawn(async move { s.collect::<Vec<u32>>().await })
        };
        for n in 0..50 {
            q.put(n).await.unwrap();
        }
        q.shutdown(false);
        assert_eq!(consumer.await, (0..50).collect::<Vec<_>>());
    }
}

three_ways! {
    /// A stream handle dropped while it waits, after being handed an item, passes the
    /// item on like a dropped `get`.
    fn dropped_waiting_stream_passes_its_item_on(rt) {
        let drops = Drops::new();
        let q = Queue::new(0);
        let mut s = q.clone();
        {
            let mut next = s.next();
            pending(&mut next);
        }
        let mut g = q.get();
        pending(&mut g);
        q.put_nowait(drops.item(1)).unwrap(); // handed to the stream, which is first
        drop(s);
        assert_eq!(drops.get(), 0);
        assert_eq!(id(ready(&mut g).unwrap()), 1);
        assert_eq!(drops.get(), 1);
    }
}

three_ways! {
    /// Clones are handles to one queue.
    fn clones_share_one_queue(rt) {
        let a = Queue::new(2);
        let b = a.clone();
        a.put_nowait(1).unwrap();
        assert_eq!(b.qsize(), 1);
        b.put(2).await.unwrap();
        assert!(a.full());
        assert_eq!(b.get().await, Ok(1));
        assert_eq!(a.get_nowait(), Ok(2));
        b.task_done();
        a.task_done();
        assert_eq!(b.unfinished_tasks(), 0);
        a.shutdown(false);
        assert!(b.is_shutdown());
        let c = b.clone();
        assert!(c.put_nowait(3).unwrap_err().is_shutdown());
        assert_eq!(format!("{a:?}"), format!("{c:?}"));
    }
}

three_ways! {
    /// A blocked put on another task resumes when a get frees room.
    fn put_blocked_on_another_task_resumes(rt) {
        let drops = Drops::new();
        let q = Queue::new(1);
        q.put(drops.item(0)).await.unwrap();
        let putter = {
            let (q, drops) = (q.clone(), drops.clone());
            rt.spawn(async move { q.put(drops.item(1)).await.is_ok() })
        };
        support::until("the putter waits", || {
            q.full() && format!("{q:?}").contains("putters: 1")
        })
        .await;
        assert_eq!(id(q.get().await.unwrap()), 0);
        assert!(putter.await);
        assert_eq!(id(q.get().await.unwrap()), 1);
        assert_eq!(drops.get(), 2);
    }
}

#[test]
fn queue_is_send_sync_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let q = Queue::<String>::new(1);
    send_sync(&q);
    send(&q.put(String::new()));
    send(&q.get());
    send(&q.join());
    send_sync(&PriorityQueue::<u8>::new(0));
    send_sync(&LifoQueue::<u8>::new(0));
}

#[test]
fn put_polled_after_completion_panics() {
    let q = Queue::new(0);
    let mut p = q.put(1);
    assert_eq!(poll(&mut p), std::task::Poll::Ready(Ok(())));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut p)));
    let msg = r.unwrap_err();
    let msg = msg
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| msg.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("polled after completion"), "{msg}");
    assert_eq!(q.qsize(), 1);
}

/// Items are `Item`s (drop-counted) end to end: nothing is dropped before it is taken.
#[test]
fn item_type_is_usable() {
    let drops = Drops::new();
    let q: Queue<Item> = Queue::new(0);
    q.put_nowait(drops.item(3)).unwrap();
    assert_eq!(drops.get(), 0);
    assert_eq!(id(q.get_nowait().unwrap()), 3);
    assert_eq!(drops.get(), 1);
}

#[test]
fn get_polled_after_completion_panics_and_takes_nothing() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let mut g = q.get();
    assert_eq!(poll(&mut g), std::task::Poll::Ready(Ok(1)));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut g)));
    let e = r.unwrap_err();
    let msg = e.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "`Queue::get` future polled after completion");
    assert_eq!(q.get_nowait(), Ok(2), "the second poll took no item");
}
