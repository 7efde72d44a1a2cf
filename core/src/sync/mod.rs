//! asyncio's synchronisation primitives — `asyncio.Queue`, `Lock`, `Event`,
//! `Semaphore`, `BoundedSemaphore`, `Condition`, `Barrier` — with asyncio's names and
//! semantics, safe to share across threads.
//!
//! | asyncio | here |
//! |---|---|
//! | `asyncio.Queue(maxsize)`, `PriorityQueue`, `LifoQueue` | [`Queue`], [`PriorityQueue`], [`LifoQueue`] |
//! | `asyncio.Lock()` | [`Lock<T>`](Lock): owns the data it protects |
//! | `asyncio.Event()` | [`Event`] |
//! | `asyncio.Semaphore(n)`, `BoundedSemaphore(n)` | [`Semaphore`], [`BoundedSemaphore`] |
//! | `asyncio.Condition()` | [`Condition<T>`](Condition): over a `Lock<T>` |
//! | `asyncio.Barrier(n)` | [`Barrier`] |
//! | `asyncio.wait`, `asyncio.shield` | [`task::wait`](crate::task::wait), [`task::shield`](crate::task::shield) (they need tasks) |
//!
//! # The rules every primitive keeps
//!
//! - **FIFO, no barging.** Waiters are served in arrival order. While anyone waits, a
//!   newcomer — even one that is polled first, even a `try_`/`_nowait` call — does not
//!   overtake them.
//! - **A dropped waiter loses nothing and blocks nobody.** Dropping a `get()`, `put()`,
//!   `acquire()`, `lock()` or `wait()` future (a timeout, a `race!`, a cancelled task)
//!   removes it from the queue; if it had already been handed something — an item, a
//!   permit, the lock, a notification — it passes that on to the next waiter.
//! - **Runtime-agnostic.** Only wakers: they work under the event loop of either flavor,
//!   under `futures::executor::block_on`, or any other executor, and from many threads
//!   (`Send + Sync`; share one with an `Arc`, or clone a [`Queue`] handle).
//! - **No user code under our locks.** Wakers are woken and values dropped after the
//!   internal mutex is released. (A [`PriorityQueue`] compares items with their `Ord`
//!   while it holds the mutex; keep `Ord` cheap.)
//!
//! # What they are built on, and why
//!
//! One engine: a FIFO wait list (`waiters.rs`: a slab of entries linked in arrival
//! order, O(1) push, notify and remove, no `unsafe`) inside each primitive's lock (a
//! spin lock, `spin.rs`: one compare-and-swap to take, a plain store to release, held
//! only for a few field updates). A
//! waiter's entry keeps what it was handed until its future takes it, which is what
//! makes "a dropped waiter passes it on" hold for every primitive. [`Semaphore`],
//! [`BoundedSemaphore`] and [`Lock`] add a lock-free fast path: one atomic
//! compare-and-swap to take or return a permit while nobody waits.
//!
//! We considered building on the well-kept crates. tokio's `Mutex` and `Semaphore` are
//! FIFO-fair and loom-tested, and async-lock's are runtime-agnostic too, but neither
//! gives asyncio's `BoundedSemaphore` check or `locked()` meaning "would wait", and the
//! queue needs semantics no channel crate has (`task_done`/`join`, drain-then-fail
//! shutdown, priority order, several consumers). One small engine for all of them keeps
//! every primitive's cancellation rule the same, and BENCHMARKS.md measures it against
//! tokio, async-lock, async-channel, flume and kanal in the same runs.
//!
//! # Examples
//!
//! asyncio's documented `Queue` example — workers, `task_done`, `join` — is the
//! `queue_workers` example of the `asyncio` crate. In short:
//!
//! ```
//! use asyncio_core::sync::{Lock, Queue};
//! use std::sync::Arc;
//!
//! # asyncio_core::run(async {
//! let queue = Queue::new(8);
//! let total = Arc::new(Lock::new(0u64));
//! let workers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let (queue, total) = (queue.clone(), Arc::clone(&total));
//!         asyncio_core::spawn(async move {
//!             while let Ok(n) = queue.get().await {
//!                 *total.lock().await += n;
//!                 queue.task_done();
//!             }
//!         })
//!     })
//!     .collect();
//! for n in 1..=100 {
//!     queue.put(n).await.unwrap();
//! }
//! queue.join().await; // every item processed
//! assert_eq!(*total.lock().await, 5050);
//! queue.shutdown(false); // the workers' get() now fails and they return
//! asyncio_core::gather_all(workers).await;
//! # });
//! ```

mod barrier;
mod condition;
mod event;
mod lock;
mod queue;
mod semaphore;
pub(crate) mod spin;
pub(crate) mod waiters;

pub use barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use condition::{Condition, ConditionWait};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockGuard, Locking};
pub use queue::{
    Fifo, GenericQueue, Lifo, LifoQueue, Order, Priority, PriorityQueue, Queue, QueueEmpty,
    QueueFull, QueueGet, QueueJoin, QueuePut, QueueShutDown,
};
pub use semaphore::{Acquire, BoundedSemaphore, MAX_PERMITS, Semaphore, SemaphorePermit};
