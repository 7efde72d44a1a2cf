//! A slow fetch running concurrently with other work: while the data is on its way,
//! an algorithm keeps printing.
//!
//! `fetch_data` takes 2 s; `print_numbers` prints 0 to 9, one every 0.5 s. Both are
//! spawned as tasks, so the numbers keep coming while the fetch waits, and the fetched
//! data shows up between 3 and 5 — after 2 s. The whole program takes 5 s, not 7 s.
//!
//! ```text
//! cargo run --example fetch_and_count
//! ```
//!
//! Python:
//!
//! ```python
//! async def fetch_data():
//!     print("start fetching")
//!     await asyncio.sleep(2)
//!     print("done fetching")
//!     return {"data": 1}
//!
//! async def print_numbers():
//!     for i in range(10):
//!         print(i)
//!         await asyncio.sleep(0.5)
//!
//! async def main():
//!     fetch = asyncio.create_task(fetch_data())
//!     numbers = asyncio.create_task(print_numbers())
//!     value = await fetch
//!     print(value)
//!     await numbers
//!
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One thing the program printed.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The fetch started.
    FetchStarted,
    /// The fetch returned this value.
    Fetched(u32),
    /// `print_numbers` printed this number.
    Number(u32),
}

/// Every event, with the time it happened at.
#[derive(Debug, Clone)]
pub struct Log {
    start: Instant,
    events: Arc<Mutex<Vec<(Duration, Event)>>>,
}

impl Default for Log {
    fn default() -> Self {
        Self::new()
    }
}

impl Log {
    /// A log whose clock starts now.
    pub fn new() -> Self {
        Log {
            start: Instant::now(),
            events: Arc::default(),
        }
    }

    fn record(&self, event: Event) {
        let at = self.start.elapsed();
        match &event {
            Event::FetchStarted => println!("  [{:.1} s] start fetching", at.as_secs_f64()),
            Event::Fetched(v) => println!("  [{:.1} s] fetched {{data: {v}}}", at.as_secs_f64()),
            Event::Number(n) => println!("  [{:.1} s] {n}", at.as_secs_f64()),
        }
        self.events.lock().unwrap().push((at, event));
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<(Duration, Event)> {
        self.events.lock().unwrap().clone()
    }
}

/// Pretends to fetch data for 2 s.
pub async fn fetch_data(log: Log) -> u32 {
    log.record(Event::FetchStarted);
    sleep(Duration::from_secs(2)).await;
    1
}

/// The "algorithm": prints 0 to 9, one number every 0.5 s.
pub async fn print_numbers(log: Log) {
    for i in 0..10 {
        log.record(Event::Number(i));
        sleep(Duration::from_millis(500)).await;
    }
}

/// Spawns both, reports the fetched value as soon as it is there, then waits for the
/// numbers to finish.
pub async fn fetch_while_counting(log: Log) -> u32 {
    let fetch = spawn(fetch_data(log.clone())); // asyncio.create_task
    let numbers = spawn(print_numbers(log.clone()));
    let value = fetch.await;
    log.record(Event::Fetched(value));
    numbers.await;
    value
}

#[asyncio::async_main]
async fn main() {
    let log = Log::new();
    fetch_while_counting(log.clone()).await;
    println!("finished in {:.1} s", log.start.elapsed().as_secs_f64());
}
