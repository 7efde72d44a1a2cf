//! Gathering many fetches: they all wait at once, and the results come back in the
//! order they were asked for — not the order they finished in.
//!
//! Three fetches take 2 s, 1 s and 2 s. Gathered, they finish in 2 s (not 5 s). Fetch
//! 2 is done first, yet the result list is still `[1, 2, 3]`.
//!
//! `gather!` takes a fixed list of futures (a tuple comes back, each element with its
//! own type); `gather_all` takes any iterator of futures (a `Vec` comes back) — the
//! `asyncio.gather(*coros)` form.
//!
//! ```text
//! cargo run --example three_fetches
//! ```
//!
//! Python:
//!
//! ```python
//! async def fetch_data(id, delay):
//!     print(f"Fetching data for id {id}...")
//!     await asyncio.sleep(delay)
//!     print(f"Data fetched for id {id}")
//!     return {"id": id, "data": f"Sample data for id {id}"}
//!
//! async def main():
//!     results = await asyncio.gather(fetch_data(1, 2), fetch_data(2, 1), fetch_data(3, 2))
//!     for result in results:
//!         print(result)
//!
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::time::Duration;

/// What one fetch returns (the Python dict), plus when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The id asked for.
    pub id: u32,
    /// The payload.
    pub data: String,
    /// When the fetch finished.
    pub fetched_at: Instant,
}

/// Pretends to fetch record `id`, taking `secs` seconds.
pub async fn fetch_data(id: u32, secs: f64) -> Record {
    println!("  fetching data for id {id}...");
    sleep(Duration::from_secs_f64(secs)).await;
    println!("  data fetched for id {id}");
    Record {
        id,
        data: format!("Sample data for id {id}"),
        fetched_at: Instant::now(),
    }
}

/// A fixed set of fetches: `gather!` returns a tuple, in argument order.
pub async fn gather_three() -> (Record, Record, Record) {
    gather!(fetch_data(1, 2.0), fetch_data(2, 1.0), fetch_data(3, 2.0)).await
}

/// Any number of fetches: `gather_all` over an iterator returns a `Vec`, in input order.
pub async fn gather_list(jobs: &[(u32, f64)]) -> Vec<Record> {
    gather_all(jobs.iter().map(|&(id, secs)| fetch_data(id, secs))).await
}

fn show(start: Instant, records: &[Record]) {
    for r in records {
        let at = (r.fetched_at - start).as_secs_f64();
        println!(
            "{{id: {}, data: {:?}}}  (arrived at {at:.1} s)",
            r.id, r.data
        );
    }
    println!("all done in {:.1} s\n", start.elapsed().as_secs_f64());
}

#[asyncio::async_main]
async fn main() {
    let start = Instant::now();
    println!("gather!(...):");
    let (a, b, c) = gather_three().await;
    show(start, &[a, b, c]);

    let start = Instant::now();
    println!("gather_all(list):");
    let records = gather_list(&[(1, 2.0), (2, 1.0), (3, 2.0)]).await;
    show(start, &records);
}
