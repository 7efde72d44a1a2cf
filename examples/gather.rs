//! `asyncio.gather`: three jobs of 1.0 s, 0.5 s and 1.5 s run concurrently, so the
//! whole takes about 1.5 s (the slowest), not 3.0 s (the sum). Results come back in
//! argument order, whatever the order the jobs finish in.
//!
//! ```text
//! cargo run --example gather
//! ```
//!
//! Python:
//!
//! ```python
//! async def job(name, secs):
//!     await asyncio.sleep(secs)
//!     return f"{name} finished after {secs} s"
//!
//! async def main():
//!     start = time.perf_counter()
//!     a, b, c = await asyncio.gather(job("A", 1.0), job("B", 0.5), job("C", 1.5))
//!     print(a, b, c, sep="\n")
//!     print(f"elapsed: {time.perf_counter() - start:.2f} s")
//!     results = await asyncio.gather(*(job(n, 0.1) for n in "xyz"))
//!
//! asyncio.run(main())
//! ```

use asyncio::prelude::*;
use std::time::{Duration, Instant};

async fn job(name: &str, secs: f64) -> String {
    println!("{name}: started");
    sleep(Duration::from_secs_f64(secs)).await;
    println!("{name}: done");
    format!("{name} finished after {secs} s")
}

#[asyncio::async_main]
async fn main() {
    let start = Instant::now();
    let (a, b, c) = gather!(job("A", 1.0), job("B", 0.5), job("C", 1.5)).await;
    println!("{a}\n{b}\n{c}");
    println!(
        "elapsed: {:.2} s (sequential would be 3.00 s)",
        start.elapsed().as_secs_f64()
    );

    // A number of jobs known only at run time: gather_all, results in input order.
    let start = Instant::now();
    let all = gather_all(["x", "y", "z"].map(|n| job(n, 0.1))).await;
    println!("{all:?} in {:.2} s", start.elapsed().as_secs_f64());
}
