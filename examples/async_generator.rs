//! Async generators and `async for`: a generator that yields 0..n with a pause between
//! items, consumed with `async_for!`.
//!
//! ```text
//! cargo run --example async_generator
//! ```
//!
//! Python:
//!
//! ```python
//! async def gen(n):
//!     for i in range(n):
//!         yield i
//!         await asyncio.sleep(0.1)
//!
//! async def main():
//!     async for i in gen(10):
//!         print(i)
//!
//! asyncio.run(main())
//! ```

use std::time::Duration;

use asyncio::prelude::*;

/// `async def gen(n): ... yield i ...` — a stream of `0..n`, pausing between items.
///
/// The body runs only while the consumer waits for the next item: after
/// `co.yield_(i).await` it stays suspended until `async_for!` asks again.
///
/// The body is an async closure (`async move |co| { … }`, the shape of `scope` and
/// `TaskGroup::run` too). `co` borrows the generator: it can be shared with futures the
/// body awaits, but not moved into a spawned task — that does not compile.
///
/// (`gen` is a reserved keyword in Rust 2024 — kept for native generators — so the
/// Python name needs the raw-identifier prefix `r#`.)
pub fn r#gen(n: u32) -> impl Stream<Item = u32> {
    generator(async move |co| {
        for i in 0..n {
            co.yield_(i).await;
            sleep(Duration::from_millis(100)).await;
        }
    })
}

/// `async for i in gen(n): ...`, collecting what it saw.
pub async fn consume(n: u32) -> Vec<u32> {
    let mut seen = Vec::new();
    // A plain `for` does not compile here:
    //
    //     for i in r#gen(n) { ... }
    //     // error[E0277]: `impl Stream<Item = u32>` is not an iterator
    //
    // A stream's items arrive asynchronously (getting one needs an `.await`), and `for`
    // only calls the synchronous `Iterator::next`. `async_for!` awaits each item:
    async_for!(i in r#gen(n) {
        println!("{i}");
        seen.push(i);
    });
    seen
}

#[asyncio::async_main]
async fn main() {
    let seen = consume(10).await;
    println!("got {} items", seen.len());
}
