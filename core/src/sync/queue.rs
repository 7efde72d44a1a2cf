//! `asyncio.Queue`, `asyncio.PriorityQueue` and `asyncio.LifoQueue`.
//!
//! | asyncio | here |
//! |---|---|
//! | `q = asyncio.Queue(maxsize=16)` / `asyncio.Queue()` | `let q = Queue::new(16);` / `Queue::unbounded()` (`Queue::new(0)` is unbounded too) |
//! | `await q.put(x)` / `await q.get()` | `q.put(x).await?` / `q.get().await?` (`Err` only once the queue is shut down) |
//! | `q.put_nowait(x)` / `q.get_nowait()` | `q.put_nowait(x)` → `Err(QueueFull)` with `x` back / `q.get_nowait()` → `Err(QueueEmpty)` |
//! | `q.task_done()` / `await q.join()` | [`q.task_done()`](GenericQueue::task_done) / [`q.join().await`](GenericQueue::join) |
//! | `q.shutdown(immediate=False)` (3.13) | [`q.shutdown(false)`](GenericQueue::shutdown); `put` then fails with [`QueueShutDown`], `get` drains, then fails |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | the same names; `maxsize()` is 0 when unbounded |
//! | `async for`-style worker loop | `async_for!(job in q.clone() { … })`: a `Queue` is a `Stream` that ends at shutdown |
//! | `asyncio.PriorityQueue()` / `asyncio.LifoQueue()` | [`PriorityQueue`] (smallest first, like `heapq`) / [`LifoQueue`] (newest first): same methods |
//!
//! A [`Queue`] is a cheap handle (`Clone`, `Send`, `Sync`) to one shared queue with any
//! number of producers and consumers, on one thread or many, under any executor.
//!
//! # Order and cancellation
//!
//! Waiting getters and putters are served in arrival order. A `put` into a queue with
//! waiting getters hands the item straight to the oldest getter; a `get` from a full
//! queue with waiting putters reserves the freed slot for the oldest putter. A newcomer
//! never overtakes them: `put_nowait` reports full while putters wait, `get_nowait`
//! reports empty while getters wait.
//!
//! Dropping a `get()` or `put()` future (a timeout, a `race!`) loses nothing and blocks
//! nobody: a getter that was handed an item gives it to the next getter, or back to the
//! front of the queue; a putter whose slot was reserved passes the slot on, and its
//! value is dropped with the future — a cancelled `put` never puts.
//!
//! # Why our own
//!
//! `async-channel`, `flume`, `kanal` and `tokio::sync::mpsc` are channels: none counts
//! unfinished work for `task_done`/`join`, shuts down with asyncio's drain-then-fail
//! rule, or orders by priority; tokio's receiver cannot be cloned. So the queue is
//! written here: one mutex around the items and three FIFO wait lists (getters,
//! putters, joiners). Wakers are woken after the mutex is released, and values are
//! dropped outside it. BENCHMARKS.md compares it with those channels.
//!
//! ```
//! use asyncio_core::sync::Queue;
//!
//! # asyncio_core::run(async {
//! let q = Queue::new(2);
//! let worker = {
//!     let q = q.clone();
//!     asyncio_core::spawn(async move {
//!         let mut total = 0;
//!         while let Ok(n) = q.get().await {
//!             total += n;
//!             q.task_done();
//!         }
//!         total // the loop ends at shutdown, once the queue is drained
//!     })
//! };
//! for n in 1..=5 {
//!     q.put(n).await.unwrap(); // waits while two items are queued
//! }
//! q.join().await; // every item was marked done
//! q.shutdown(false);
//! assert_eq!(worker.await, 15);
//! # });
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use futures_core::{FusedStream, Stream};

use super::spin::SpinLock;
use super::waiters::{Key, WaitList};
use crate::loom::Arc;

mod order {
    /// Seals [`Order`](super::Order).
    pub trait Sealed {}
}

/// How a [`Queue`] orders its items: [`Fifo`], [`Lifo`] or [`Priority`]. Sealed.
pub trait Order<T>: order::Sealed {
    #[doc(hidden)]
    type Items: Default;
    #[doc(hidden)]
    fn push(items: &mut Self::Items, item: T);
    #[doc(hidden)]
    fn pop(items: &mut Self::Items) -> Option<T>;
    /// Puts back an item that was taken when the queue was empty, so it is older than
    /// every queued item.
    #[doc(hidden)]
    fn unget(items: &mut Self::Items, item: T);
    #[doc(hidden)]
    fn len(items: &Self::Items) -> usize;
}

/// First in, first out: [`Queue`] (`asyncio.Queue`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fifo;

/// Last in, first out: [`LifoQueue`] (`asyncio.LifoQueue`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifo;

/// Smallest first, by `Ord`: [`PriorityQueue`] (`asyncio.PriorityQueue`). Equal items
/// come out in no particular order, as with `heapq`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Priority;

impl order::Sealed for Fifo {}
impl order::Sealed for Lifo {}
impl order::Sealed for Priority {}

impl<T> Order<T> for Fifo {
    type Items = VecDeque<T>;
    fn push(items: &mut VecDeque<T>, item: T) {
        items.push_back(item);
    }
    fn pop(items: &mut VecDeque<T>) -> Option<T> {
        items.pop_front()
    }
    fn unget(items: &mut VecDeque<T>, item: T) {
        items.push_front(item);
    }
    fn len(items: &VecDeque<T>) -> usize {
        items.len()
    }
}

impl<T> Order<T> for Lifo {
    type Items = VecDeque<T>;
    fn push(items: &mut VecDeque<T>, item: T) {
        items.push_back(item);
    }
    fn pop(items: &mut VecDeque<T>) -> Option<T> {
        items.pop_back()
    }
    fn unget(items: &mut VecDeque<T>, item: T) {
        items.push_front(item);
    }
    fn len(items: &VecDeque<T>) -> usize {
        items.len()
    }
}

impl<T: Ord> Order<T> for Priority {
    type Items = BinaryHeap<Reverse<T>>;
    fn push(items: &mut Self::Items, item: T) {
        items.push(Reverse(item));
    }
    fn pop(items: &mut Self::Items) -> Option<T> {
        items.pop().map(|Reverse(t)| t)
    }
    fn unget(items: &mut Self::Items, item: T) {
        items.push(Reverse(item));
    }
    fn len(items: &Self::Items) -> usize {
        items.len()
    }
}

/// `asyncio.PriorityQueue`: a [`Queue`] that gives the smallest item first.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::PriorityQueue;
///
/// # futures::executor::block_on(async {
/// let q = PriorityQueue::unbounded();
/// for job in [(3, "low"), (1, "urgent"), (2, "normal")] {
///     q.put_nowait(job).unwrap();
/// }
/// assert_eq!(q.get().await.unwrap(), (1, "urgent"));
/// assert_eq!(q.get().await.unwrap(), (2, "normal"));
/// # });
/// ```
pub type PriorityQueue<T> = GenericQueue<T, Priority>;

/// `asyncio.LifoQueue`: a [`Queue`] that gives the newest item first.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::LifoQueue;
///
/// # futures::executor::block_on(async {
/// let q = LifoQueue::new(0);
/// q.put(1).await.unwrap();
/// q.put(2).await.unwrap();
/// assert_eq!(q.get().await.unwrap(), 2);
/// # });
/// ```
pub type LifoQueue<T> = GenericQueue<T, Lifo>;

/// `asyncio.Queue`: a cloneable handle to one multi-producer, multi-consumer FIFO queue
/// with asyncio's `task_done`/`join` and `shutdown`.
///
/// Every method is [`GenericQueue`]'s, shared with [`PriorityQueue`] and [`LifoQueue`];
/// see the [module docs](crate::sync) for the asyncio mapping and the order guarantees.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Queue, QueueShutDown};
///
/// # futures::executor::block_on(async {
/// let q = Queue::new(1);
/// q.put("a").await.unwrap();
/// assert!(q.full());
/// assert!(q.put_nowait("b").is_err()); // full: the value comes back in the error
/// assert_eq!(q.get().await, Ok("a"));
/// q.task_done();
/// q.join().await; // returns at once: nothing unfinished
///
/// q.shutdown(false);
/// assert_eq!(q.put("c").await, Err(QueueShutDown::new("c")));
/// # });
/// ```
pub type Queue<T> = GenericQueue<T, Fifo>;

/// The queue behind [`Queue`] (FIFO), [`LifoQueue`] and [`PriorityQueue`]: the three
/// differ only in the [`Order`] in which `get` hands out the items.
///
/// A handle: cloning it gives another handle to the same queue (`Send`/`Sync` when
/// `T: Send`). It is also a [`Stream`] of the items that ends once the queue is shut
/// down and drained.
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{GenericQueue, Lifo, LifoQueue};
///
/// let q: GenericQueue<u8, Lifo> = LifoQueue::new(0);
/// q.put_nowait(1).unwrap();
/// assert_eq!(q.qsize(), 1);
/// ```
pub struct GenericQueue<T, O: Order<T>> {
    shared: Arc<SpinLock<State<T, O>>>,
    /// The stream's pending `get`, if it is waiting.
    next: Option<Key>,
}

struct State<T, O: Order<T>> {
    items: O::Items,
    /// 0 means unbounded.
    maxsize: usize,
    /// Slots freed by a `get` and kept for a putter that has not run yet.
    reserved: usize,
    /// Handed `Some(item)`, or `None` once the queue is shut down.
    getters: WaitList<Option<T>>,
    /// Handed `true` (a slot is reserved) or `false` (shut down).
    putters: WaitList<bool>,
    joiners: WaitList<()>,
    unfinished: usize,
    shut_down: bool,
    /// Set by `shutdown(true)`: an item handed back by a dropped getter is dropped and
    /// counted done, like the queued items were, instead of refilling the queue.
    immediate: bool,
}

/// What a put did, for the caller to finish outside the lock.
enum Put<T> {
    /// Queued, or handed to a getter whose waker is here.
    Done(Option<Waker>),
    Full(T),
    ShutDown(T),
}

impl<T, O: Order<T>> State<T, O> {
    fn has_room(&self) -> bool {
        self.maxsize == 0 || O::len(&self.items) + self.reserved < self.maxsize
    }

    /// Whether a newcomer may put now: room, and no putter waiting ahead of it.
    fn takes_newcomer(&self) -> bool {
        self.putters.is_empty() && self.has_room()
    }

    /// Puts `item` if there is room (or a slot was reserved for it): to the oldest
    /// waiting getter if there is one, else into the queue.
    fn put(&mut self, item: T, reserved: bool) -> Put<T> {
        if reserved {
            self.reserved -= 1;
        }
        if self.shut_down {
            return Put::ShutDown(item);
        }
        if !reserved && !self.takes_newcomer() {
            return Put::Full(item);
        }
        self.unfinished += 1;
        match self.getters.notify_first(Some(item)) {
            Ok(w) => Put::Done(Some(w)),
            Err(item) => {
                O::push(&mut self.items, item.expect("put hands a Some"));
                Put::Done(None)
            }
        }
    }

    /// Takes the next item; a freed slot goes to the oldest waiting putter.
    fn get(&mut self) -> Option<(T, Option<Waker>)> {
        let item = O::pop(&mut self.items)?;
        Some((item, self.grant_slot()))
    }

    /// Reserves a free slot for the oldest waiting putter.
    fn grant_slot(&mut self) -> Option<Waker> {
        if self.putters.is_empty() || !self.has_room() {
            return None;
        }
        let w = self.putters.notify_first(true).ok()?;
        self.reserved += 1;
        Some(w)
    }

    /// A getter that was handed `item` went away: the next getter gets it, or it goes
    /// back to the front.
    fn unget(&mut self, item: T) -> Option<Waker> {
        match self.getters.notify_first(Some(item)) {
            Ok(w) => Some(w),
            Err(item) => {
                O::unget(&mut self.items, item.expect("unget hands a Some"));
                None
            }
        }
    }

    fn task_done(&mut self, wakers: &mut Vec<Waker>) -> bool {
        if self.unfinished == 0 {
            return false;
        }
        self.unfinished -= 1;
        if self.unfinished == 0 {
            self.joiners.notify_all(wakers, || ());
        }
        true
    }
}

impl<T> Queue<T> {
    /// A FIFO queue holding at most `maxsize` items; `0` means unbounded, as in asyncio.
    ///
    /// Nothing is reserved up front, whatever `maxsize` is.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<u32>::new(16);
    /// assert_eq!(q.maxsize(), 16);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self::with_maxsize(maxsize)
    }

    /// A FIFO queue with no size limit: `asyncio.Queue()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<u32>::unbounded();
    /// assert_eq!(q.maxsize(), 0);
    /// assert!(!q.full());
    /// ```
    pub fn unbounded() -> Self {
        Self::with_maxsize(0)
    }
}

impl<T> LifoQueue<T> {
    /// A LIFO queue holding at most `maxsize` items (`0`: unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::LifoQueue::<u8>::new(4);
    /// assert_eq!(q.maxsize(), 4);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self::with_maxsize(maxsize)
    }

    /// A LIFO queue with no size limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::LifoQueue::<u8>::unbounded();
    /// assert_eq!(q.maxsize(), 0);
    /// ```
    pub fn unbounded() -> Self {
        Self::with_maxsize(0)
    }
}

impl<T: Ord> PriorityQueue<T> {
    /// A priority queue holding at most `maxsize` items (`0`: unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::PriorityQueue::<u8>::new(4);
    /// assert_eq!(q.maxsize(), 4);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self::with_maxsize(maxsize)
    }

    /// A priority queue with no size limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::PriorityQueue::<u8>::unbounded();
    /// assert_eq!(q.maxsize(), 0);
    /// ```
    pub fn unbounded() -> Self {
        Self::with_maxsize(0)
    }
}

impl<T, O: Order<T>> GenericQueue<T, O> {
    fn with_maxsize(maxsize: usize) -> Self {
        GenericQueue {
            shared: Arc::new(SpinLock::new(State {
                items: O::Items::default(),
                maxsize,
                reserved: 0,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
                unfinished: 0,
                shut_down: false,
                immediate: false,
            })),
            next: None,
        }
    }

    /// Puts `item` into the queue, waiting while it is full: `await q.put(item)`.
    ///
    /// Fails only once the queue is [shut down](GenericQueue::shutdown), giving the item
    /// back. Dropping the future before it completes drops the item; it never enters
    /// the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put("job").await.unwrap();
    /// assert_eq!(q.qsize(), 1);
    /// # });
    /// ```
    pub fn put(&self, item: T) -> QueuePut<'_, T, O> {
        QueuePut {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    /// Takes the next item, waiting while the queue is empty: `await q.get()`.
    ///
    /// Fails only once the queue is shut down and empty (after `shutdown(false)` the
    /// items already queued are still handed out). Dropping the future while it waits
    /// loses no item.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put_nowait(7).unwrap();
    /// assert_eq!(q.get().await, Ok(7));
    /// # });
    /// ```
    pub fn get(&self) -> QueueGet<'_, T, O> {
        QueueGet {
            queue: self,
            key: None,
            done: false,
        }
    }

    /// Puts `item` if there is room now: `q.put_nowait(item)`.
    ///
    /// Fails with the item in a [`QueueFull`] when the queue is full (or putters are
    /// already waiting) or shut down ([`QueueFull::is_shutdown`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// let err = q.put_nowait(2).unwrap_err();
    /// assert!(!err.is_shutdown());
    /// assert_eq!(err.into_inner(), 2);
    /// ```
    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        let done = self.shared.lock().put(item, false);
        match done {
            Put::Done(w) => {
                if let Some(w) = w {
                    w.wake();
                }
                Ok(())
            }
            Put::Full(value) => Err(QueueFull {
                value,
                shut_down: false,
            }),
            Put::ShutDown(value) => Err(QueueFull {
                value,
                shut_down: true,
            }),
        }
    }

    /// Takes an item if one is queued now: `q.get_nowait()`.
    ///
    /// Fails with [`QueueEmpty`] when nothing is queued (or getters are already
    /// waiting); [`QueueEmpty::is_shutdown`] says whether the queue is also shut down,
    /// so nothing will ever come.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(0);
    /// assert!(q.get_nowait().is_err());
    /// q.put_nowait('x').unwrap();
    /// assert_eq!(q.get_nowait(), Ok('x'));
    /// ```
    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let mut state = self.shared.lock();
        match state.get() {
            Some((item, w)) => {
                drop(state);
                if let Some(w) = w {
                    w.wake();
                }
                Ok(item)
            }
            None => Err(QueueEmpty {
                shut_down: state.shut_down,
            }),
        }
    }

    /// Marks one item taken from the queue as processed: `q.task_done()`.
    ///
    /// Each [`put`](GenericQueue::put) raises the count of unfinished items by one and each
    /// `task_done` lowers it; [`join`](GenericQueue::join) returns when it reaches zero.
    ///
    /// # Panics
    ///
    /// If called more times than items were put (asyncio raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put(1).await.unwrap();
    /// q.get().await.unwrap();
    /// q.task_done();
    /// q.join().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn task_done(&self) {
        let mut wakers = Vec::new();
        let ok = self.shared.lock().task_done(&mut wakers);
        assert!(
            ok,
            "Queue::task_done() called more times than there were items put (asyncio \
             raises ValueError here)"
        );
        for w in wakers {
            w.wake();
        }
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](GenericQueue::task_done): `await q.join()`. Returns at once if nothing is
    /// unfinished.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let q = asyncio_core::sync::Queue::<u8>::new(0);
    /// q.join().await; // nothing was put
    /// # });
    /// ```
    pub fn join(&self) -> QueueJoin<'_, T, O> {
        QueueJoin {
            queue: self,
            key: None,
        }
    }

    /// Shuts the queue down (asyncio 3.13): every later `put` fails with
    /// [`QueueShutDown`] (the value comes back), waiting putters fail at once, and
    /// `get` keeps handing out what is queued, then fails.
    ///
    /// With `immediate`, the queued items are dropped at once, the unfinished count is
    /// lowered by as many (so [`join`](GenericQueue::join) returns once every item already
    /// taken has been marked done), and waiting getters fail. Items already handed to a
    /// getter are still delivered (if that getter is dropped instead, its item is
    /// dropped and counted done like the queued ones). Calling it again is allowed (an
    /// `immediate` call after a plain one drops what is left).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put(1).await.unwrap();
    /// q.shutdown(false);
    /// assert!(q.put(2).await.is_err());
    /// assert_eq!(q.get().await, Ok(1)); // drained first
    /// assert!(q.get().await.is_err()); // then fails
    ///
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put(1).await.unwrap();
    /// q.shutdown(true); // drops the item and marks it done
    /// assert!(q.is_empty());
    /// q.join().await;
    /// # });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        let mut wakers = Vec::new();
        let dropped = {
            let mut state = self.shared.lock();
            state.shut_down = true;
            let dropped = if immediate {
                state.immediate = true;
                let items = std::mem::take(&mut state.items);
                let n = O::len(&items);
                state.unfinished = state.unfinished.saturating_sub(n);
                if n > 0 && state.unfinished == 0 {
                    state.joiners.notify_all(&mut wakers, || ());
                }
                Some(items)
            } else {
                None
            };
            state.getters.notify_all(&mut wakers, || None);
            state.putters.notify_all(&mut wakers, || false);
            dropped
        };
        drop(dropped);
        for w in wakers {
            w.wake();
        }
    }

    /// Whether [`shutdown`](GenericQueue::shutdown) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<()>::new(0);
    /// q.shutdown(false);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shared.lock().shut_down
    }

    /// The number of items queued: `q.qsize()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put_nowait(()).unwrap();
    /// assert_eq!(q.qsize(), 1);
    /// ```
    pub fn qsize(&self) -> usize {
        O::len(&self.shared.lock().items)
    }

    /// Whether no item is queued: `q.empty()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<u8>::new(0);
    /// assert!(q.empty());
    /// ```
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// The same as [`empty`](GenericQueue::empty), under Rust's usual name.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<u8>::new(0);
    /// assert!(q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.empty()
    }

    /// Whether [`put_nowait`](GenericQueue::put_nowait) would fail for lack of room: `q.full()`.
    /// Never true for an unbounded queue. A slot freed by a `get` and reserved for a
    /// waiting putter counts as taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(1);
    /// assert!(!q.full());
    /// q.put_nowait(1).unwrap();
    /// assert!(q.full());
    /// ```
    pub fn full(&self) -> bool {
        !self.shared.lock().takes_newcomer()
    }

    /// The bound given to `new`; `0` when unbounded: `q.maxsize`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(asyncio_core::sync::Queue::<u8>::new(8).maxsize(), 8);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.shared.lock().maxsize
    }

    /// The number of items put and not yet marked done with `task_done`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.shared.lock().unfinished
    }

    /// The stream's get: `Ready(None)` once shut down and empty.
    fn poll_get(&self, key: &mut Option<Key>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.shared.lock();
        let handed = match *key {
            Some(k) => match state.getters.poll(k, cx.waker()) {
                None => return Poll::Pending,
                Some(handed) => {
                    *key = None;
                    return Poll::Ready(handed);
                }
            },
            None => state.get(),
        };
        match handed {
            Some((item, w)) => {
                drop(state);
                if let Some(w) = w {
                    w.wake();
                }
                Poll::Ready(Some(item))
            }
            None if state.shut_down => Poll::Ready(None),
            None => {
                *key = Some(state.getters.push(cx.waker()));
                Poll::Pending
            }
        }
    }

    /// A get future went away while registered.
    fn cancel_get(&self, key: Key) {
        let mut state = self.shared.lock();
        if let Some(Some(item)) = state.getters.remove(key) {
            if state.immediate {
                // Shut down at once after it was handed over: drop it and mark it done.
                let mut wakers = Vec::new();
                state.task_done(&mut wakers);
                drop(state);
                drop(item);
                for w in wakers {
                    w.wake();
                }
                return;
            }
            let w = state.unget(item);
            drop(state);
            if let Some(w) = w {
                w.wake();
            }
        }
    }
}

impl<T, O: Order<T>> Clone for GenericQueue<T, O> {
    /// Another handle to the same queue.
    fn clone(&self) -> Self {
        GenericQueue {
            shared: Arc::clone(&self.shared),
            next: None,
        }
    }
}

impl<T, O: Order<T>> Drop for GenericQueue<T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.next.take() {
            self.cancel_get(key);
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for GenericQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Queue")
            .field("qsize", &O::len(&state.items))
            .field("maxsize", &state.maxsize)
            .field("unfinished", &state.unfinished)
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .field("shut_down", &state.shut_down)
            .finish()
    }
}

/// A queue is a stream of its items, ending once it is shut down and drained:
/// `async_for!(job in queue.clone() { … })`.
///
/// ```
/// use asyncio_core::sync::Queue;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let q = Queue::new(0);
/// for i in 0..3 {
///     q.put_nowait(i).unwrap();
/// }
/// q.shutdown(false);
/// let got: Vec<i32> = q.clone().collect().await;
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
impl<T, O: Order<T>> Stream for GenericQueue<T, O> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        let mut key = this.next.take();
        let r = this.poll_get(&mut key, cx);
        this.next = key;
        r
    }
}

impl<T, O: Order<T>> FusedStream for GenericQueue<T, O> {
    fn is_terminated(&self) -> bool {
        let state = self.shared.lock();
        state.shut_down && O::len(&state.items) == 0 && self.next.is_none()
    }
}

/// The future returned by [`Queue::put`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Queue, QueuePut};
///
/// # futures::executor::block_on(async {
/// let q = Queue::new(0);
/// let put: QueuePut<'_, u8> = q.put(1);
/// put.await.unwrap();
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct QueuePut<'a, T, O: Order<T> = Fifo> {
    queue: &'a GenericQueue<T, O>,
    item: Option<T>,
    key: Option<Key>,
}

impl<T, O: Order<T>> Unpin for QueuePut<'_, T, O> {}

impl<T, O: Order<T>> Future for QueuePut<'_, T, O> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.queue.shared.lock();
        let reserved = match this.key {
            None => false,
            Some(k) => match state.putters.poll(k, cx.waker()) {
                None => return Poll::Pending,
                Some(granted) => {
                    this.key = None;
                    if !granted {
                        drop(state);
                        return Poll::Ready(Err(QueueShutDown::new(this.take_item())));
                    }
                    true
                }
            },
        };
        match state.put(this.take_item(), reserved) {
            Put::Done(w) => {
                drop(state);
                if let Some(w) = w {
                    w.wake();
                }
                Poll::Ready(Ok(()))
            }
            Put::ShutDown(item) => {
                drop(state);
                Poll::Ready(Err(QueueShutDown::new(item)))
            }
            Put::Full(item) => {
                this.item = Some(item);
                this.key = Some(state.putters.push(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl<T, O: Order<T>> QueuePut<'_, T, O> {
    fn take_item(&mut self) -> T {
        self.item
            .take()
            .expect("`Queue::put` future polled after completion")
    }
}

impl<T, O: Order<T>> Drop for QueuePut<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut state = self.queue.shared.lock();
            if let Some(true) = state.putters.remove(key) {
                // Our reserved slot goes to the next putter (or back to the queue).
                state.reserved -= 1;
                let w = state.grant_slot();
                drop(state);
                if let Some(w) = w {
                    w.wake();
                }
            }
        }
        // `self.item`, if still here, is dropped with the future: it never entered.
    }
}

impl<T, O: Order<T>> fmt::Debug for QueuePut<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuePut")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`Queue::get`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Queue, QueueGet};
///
/// # futures::executor::block_on(async {
/// let q = Queue::new(0);
/// q.put_nowait(1u8).unwrap();
/// let get: QueueGet<'_, u8> = q.get();
/// assert_eq!(get.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct QueueGet<'a, T, O: Order<T> = Fifo> {
    queue: &'a GenericQueue<T, O>,
    key: Option<Key>,
    /// Set once it has resolved: polling again would take a second item.
    done: bool,
}

impl<T, O: Order<T>> Future for QueueGet<'_, T, O> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.done, "`Queue::get` future polled after completion");
        let item = ready!(this.queue.poll_get(&mut this.key, cx));
        this.done = true;
        Poll::Ready(item.ok_or(QueueShutDown::new(())))
    }
}

impl<T, O: Order<T>> Drop for QueueGet<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.queue.cancel_get(key);
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for QueueGet<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueGet")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The future returned by [`Queue::join`].
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Queue, QueueJoin};
///
/// # futures::executor::block_on(async {
/// let q = Queue::<u8>::new(0);
/// let join: QueueJoin<'_, u8> = q.join();
/// join.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct QueueJoin<'a, T, O: Order<T> = Fifo> {
    queue: &'a GenericQueue<T, O>,
    key: Option<Key>,
}

impl<T, O: Order<T>> Future for QueueJoin<'_, T, O> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut state = this.queue.shared.lock();
        match this.key {
            Some(k) => match state.joiners.poll(k, cx.waker()) {
                Some(()) => {
                    this.key = None;
                    Poll::Ready(())
                }
                None => Poll::Pending,
            },
            None if state.unfinished == 0 => Poll::Ready(()),
            None => {
                this.key = Some(state.joiners.push(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl<T, O: Order<T>> Drop for QueueJoin<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.queue.shared.lock().joiners.remove(key);
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for QueueJoin<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueJoin")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The error of [`Queue::put_nowait`]: the queue is full (`asyncio.QueueFull`) or shut
/// down; the value comes back.
///
/// # Examples
///
/// ```
/// let q = asyncio_core::sync::Queue::new(1);
/// q.put_nowait("a").unwrap();
/// let err = q.put_nowait("b").unwrap_err();
/// assert_eq!(err.to_string(), "queue is full");
/// assert_eq!(err.into_inner(), "b");
///
/// q.shutdown(false);
/// let err = q.put_nowait("c").unwrap_err();
/// assert!(err.is_shutdown());
/// assert_eq!(err.to_string(), "queue is shut down");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct QueueFull<T> {
    value: T,
    shut_down: bool,
}

impl<T> QueueFull<T> {
    /// The value that was not put.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Whether the put failed because the queue is shut down (rather than full).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::new(0);
    /// q.shutdown(false);
    /// assert!(q.put_nowait(1).unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shut_down
    }
}

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueFull")
            .field("shut_down", &self.shut_down)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.shut_down {
            "queue is shut down"
        } else {
            "queue is full"
        })
    }
}

impl<T> std::error::Error for QueueFull<T> {}

/// The error of [`Queue::get_nowait`]: nothing is queued (`asyncio.QueueEmpty`), and
/// maybe the queue is also shut down.
///
/// # Examples
///
/// ```
/// let q = asyncio_core::sync::Queue::<u8>::new(0);
/// let err = q.get_nowait().unwrap_err();
/// assert!(!err.is_shutdown());
/// assert_eq!(err.to_string(), "queue is empty");
/// q.shutdown(false);
/// assert_eq!(q.get_nowait().unwrap_err().to_string(), "queue is shut down and empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEmpty {
    shut_down: bool,
}

impl QueueEmpty {
    /// Whether the queue is also shut down, so nothing will ever come
    /// (`asyncio.QueueShutDown`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = asyncio_core::sync::Queue::<u8>::new(0);
    /// q.shutdown(false);
    /// assert!(q.get_nowait().unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shut_down
    }
}

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.shut_down {
            "queue is shut down and empty"
        } else {
            "queue is empty"
        })
    }
}

impl std::error::Error for QueueEmpty {}

/// The error of [`Queue::put`] and [`Queue::get`] on a queue that was
/// [shut down](GenericQueue::shutdown): `asyncio.QueueShutDown`. A failed `put` gives its
/// value back (`QueueShutDown<T>`); a failed `get` has none (`QueueShutDown<()>`).
///
/// # Examples
///
/// ```
/// use asyncio_core::sync::{Queue, QueueShutDown};
///
/// # futures::executor::block_on(async {
/// let q = Queue::new(0);
/// q.shutdown(false);
/// let err = q.put(5).await.unwrap_err();
/// assert_eq!(err.to_string(), "queue is shut down");
/// assert_eq!(err.into_inner(), 5);
/// assert_eq!(q.get().await, Err(QueueShutDown::new(())));
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown<T = ()> {
    value: T,
}

impl<T> QueueShutDown<T> {
    /// The error, carrying `value` back.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = asyncio_core::sync::QueueShutDown::new(1);
    /// assert_eq!(e.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> Self {
        QueueShutDown { value }
    }

    /// The value that was not put.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = asyncio_core::sync::QueueShutDown::new("job");
    /// assert_eq!(e.into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueShutDown").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> std::error::Error for QueueShutDown<T> {}
