//! One awaited call — the first program of every asyncio tutorial.
//!
//! `fetch_data` stands in for a network request: it waits 2 s with `sleep` instead of
//! talking to a server. `.await` suspends `main` until the data is there; while it
//! waits, the event loop is free to run other work (there is none yet: see the
//! `greetings` example for that).
//!
//! ```text
//! cargo run --example fetch_data
//! ```
//!
//! Python:
//!
//! ```python
//! async def fetch_data(url):
//!     print(f"Fetching data from {url}")
//!     await asyncio.sleep(2)
//!     print(f"Data fetched from {url}")
//!     return f"Data from {url}"
//!
//! async def main():
//!     data = await fetch_data("https://example.com")
//!     print(data)
//!
//! asyncio.run(main())
//! ```
//!
//! As in Python, calling `fetch_data(url)` without `.await` runs nothing: it only
//! builds the future (Python's coroutine object). Python warns at run time that the
//! "coroutine was never awaited"; Rust warns at compile time that the future is unused.

use asyncio::prelude::*;
use std::time::Duration;

/// Pretends to download `url`: `async def fetch_data(url)`.
pub async fn fetch_data(url: &str) -> String {
    println!("Fetching data from {url}");
    sleep(Duration::from_secs(2)).await; // the network round trip
    println!("Data fetched from {url}");
    format!("Data from {url}")
}

#[asyncio::async_main] // asyncio.run(main())
async fn main() {
    let start = asyncio::time::Instant::now();
    let data = fetch_data("https://example.com").await;
    println!("{data}");
    println!("took {:.1} s", start.elapsed().as_secs_f64());
}
