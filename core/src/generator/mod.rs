//! Async generators — Python's `async def … yield`, as a [`Stream`](futures_core::Stream).
//!
//! | asyncio | here |
//! |---|---|
//! | `async def gen(n):` … `yield i` | `fn gen(n: u32) -> impl Stream<Item = u32> { generator(move \|co\| async move { … co.yield_(i).await; … }) }` |
//! | `async for i in gen(10):` | `async_for!(i in gen(10) { … })` (see [`crate::iter`]) |
//! | an exception raised in the body | [`try_generator`]: the body returns `Err(e)`, the stream yields `Err(e)` last and ends |
//! | `await agen.aclose()` / garbage collection of a half-consumed generator | drop the stream: the body is dropped at its current `await`, its locals' destructors run |
//! | the body runs only when iterated | the body starts on the first poll and never runs ahead of the consumer |
//!
//! # How it works
//!
//! [`generator`] takes a closure that receives the yielder, a [`Co<T>`], and returns the
//! body future. `co.yield_(v).await` puts `v` in a one-item slot the generator shares
//! with its yielder and suspends the body; the stream hands the value to the consumer.
//! The body is polled again only when the consumer asks for the next item, so the body
//! never runs ahead (one item in flight, natural back-pressure). No thread-local is
//! involved and nothing is allocated per item: the slot lives in one small allocation
//! per generator.
//!
//! [`Co::yield_`] takes `&self`, so children that the body polls — `gather!`,
//! `gather_all`, `FuturesUnordered`, `futures::join!`/`select!` — can share the yielder
//! by reference and yield too. When several children yield at once, the first one fills
//! the slot and the others wait (their wakers are woken when the slot frees), so the
//! consumer gets every value, one at a time.
//!
//! ```
//! use asyncio_core::generator::generator;
//! use futures::StreamExt;
//!
//! # futures::executor::block_on(async {
//! let squares = generator(|co| async move {
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
//! let jobs = generator(|co| async move {
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
//! # Misuse
//!
//! The yielder belongs to its generator's body. Yielding while the generator is not
//! polling its body — from a task the `Co` was moved into, or after the generator was
//! dropped — panics with a message saying so. Every access to the slot is
//! synchronised, so no misuse (even from another thread) can cause undefined behaviour.

mod imp;

pub use imp::{Co, Generator, TryGenerator, Yield, generator, try_generator};

/// The atomics the implementation uses; `core/tests/loom_generator.rs` swaps in loom's.
mod sync {
    pub(super) use std::hint::spin_loop;
    pub(super) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
}
