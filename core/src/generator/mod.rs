//! Async generators — Python's `async def … yield`, as a [`Stream`](futures_core::Stream).
//!
//! | asyncio | here |
//! |---|---|
//! | `async def gen(n):` … `yield i` | `fn gen(n: u32) -> impl Stream<Item = u32> { generator(async move \|co\| { … co.yield_(i).await; … }) }` |
//! | `async for i in gen(10):` | `async_for!(i in gen(10) { … })` (see [`crate::iter`]) |
//! | an exception raised in the body | [`try_generator`]: the body returns `Err(e)`, the stream yields `Err(e)` last and ends |
//! | `await agen.aclose()` / garbage collection of a half-consumed generator | drop the stream: the body is dropped at its current `await`, its locals' destructors run |
//! | the body runs only when iterated | the body starts on the first poll and never runs ahead of the consumer |
//!
//! # How it works
//!
//! [`generator`] takes an async closure that receives the yielder, a [`Co`]:
//! `async |co| { … }`, the same shape as [`scope`](crate::scope) and
//! [`TaskGroup::run`](crate::TaskGroup::run). `co.yield_(v).await` puts `v` in a one-item
//! slot that lives inside the (pinned) generator and suspends the body; the stream hands
//! the value to the consumer. The body is polled again only when the consumer asks for
//! the next item, so the body never runs ahead (one item in flight, natural
//! back-pressure). Nothing is allocated, per generator or per item (children that yield
//! through their own `Context`, below, share one wait list, allocated on first use), and
//! no thread-local carries values.
//!
//! `Co<'a, T>` borrows the generator, and the body must work for every `'a`
//! (`F: for<'a> AsyncFnOnce(Co<'a, T>)`), so the yielder cannot leave the body: moving
//! `co` into `spawn`, `std::thread::spawn` or a `static`, or returning it, does not
//! compile.
//!
//! [`Co::yield_`] takes `&self` (and `Co` is `Copy`), so children that the body polls —
//! `gather!`, `gather_all`, `FuturesUnordered`, `futures::join!`/`select!` — can share
//! the yielder and yield too. When several children yield at once, one value is in
//! place and the others wait in arrival order; each is woken alone, when its value has
//! been taken, so the consumer gets every value once, in order per child, and a thousand
//! waiting children cost what one does.
//!
//! ```
//! use asyncio_core::generator::generator;
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let squares = generator(async |co| {
//!     for i in 1..=4u32 {
//!         co.yield_(i * i).await;
//!     }
//! });
//! // Generators are ordinary streams: every `StreamExt` adapter works on them.
//! let v: Vec<u32> = squares.filter(|x| std::future::ready(x % 2 == 0)).collect().await;
//! assert_eq!(v, [4, 16]);
//! # });
//! ```
//!
//! `buffer_unordered` runs a generator of futures a few at a time, and the adapters of
//! tokio-stream (`tokio_stream::StreamExt`: `timeout`, `throttle`, `chunks_timeout`, ...)
//! apply the same way (see the `async_for!` docs in `asyncio` for one):
//!
//! ```
//! use asyncio_core::generator::generator;
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let jobs = generator(async |co| {
//!     for i in 0..6u64 {
//!         co.yield_(async move { i * 10 }).await; // a stream of futures
//!     }
//! });
//! let mut out: Vec<u64> = jobs.buffer_unordered(3).take(4).collect().await;
//! out.sort();
//! assert_eq!(out, [0, 10, 20, 30]);
//! # });
//! ```
//!
//! # Threads
//!
//! `Co` is `Send` and `Sync` when `T: Send`, so a body may run `std::thread::scope`
//! inside one poll and share `co` with the scoped threads. A yield from such a thread
//! cannot be delivered — the consumer takes values only on the thread that polls the
//! generator, which is waiting for the scope to end — so it panics with a message that
//! says so, instead of hanging. Return the values from the scoped threads and yield
//! them in the body. A yield polled with the generator's own `Context` goes into the
//! slot with plain stores (that `Context` proves the generator's thread); every other
//! path is synchronised, so no misuse can cause undefined behaviour.

mod slot;
mod stream;
mod yielder;

pub use stream::{GeneratorBody, TryGeneratorBody, generator, try_generator};
pub use yielder::{Co, Yield};
