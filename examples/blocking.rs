//! Blocking work: CPU-heavy code run on the event loop stalls every task; run on a
//! thread with `to_thread`, it does not.
//!
//! A heartbeat task beats every 0.2 s. Then 1 s of CPU-heavy work (counting primes)
//! runs twice:
//!
//! - **badly**, called directly from async code: it never reaches an `.await`, so the
//!   single event-loop thread is busy and the heartbeat misses every beat;
//! - **well**, with `to_thread(...).await` (asyncio's `to_thread`): the work runs on a
//!   thread pool, the loop stays free, and the heartbeat keeps beating.
//!
//! ```text
//! cargo run --example blocking
//! ASYNCIO_DEBUG=1 cargo run --example blocking   # debug mode reports the bad call
//! ```
//!
//! With `ASYNCIO_DEBUG=1` (Python: `PYTHONASYNCIODEBUG=1`), the bad variant is reported
//! on stderr: `asyncio debug: the main future (started at examples/blocking.rs:…) held
//! the event loop for 1.0s …`.
//!
//! Python:
//!
//! ```python
//! def crunch():                          # CPU-bound: no await anywhere
//!     return sum(1 for n in range(2, 3_000_000) if is_prime(n))
//!
//! async def main():
//!     heartbeat = asyncio.create_task(beat_every(0.2))
//!     crunch()                            # bad: the heartbeat stalls
//!     await asyncio.to_thread(crunch)     # good: the heartbeat goes on
//!     heartbeat.cancel()
//!
//! asyncio.run(main())
//! ```
//!
//! (In Python, pure-Python CPU work in `to_thread` still competes for the GIL; in Rust
//! the thread runs truly in parallel.)

use asyncio::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// CPU-heavy work standing in for hashing, compressing, parsing a large file...: counts
/// primes for at least `min` (real time) and returns how many it found.
pub fn crunch(min: Duration) -> u64 {
    fn is_prime(n: u64) -> bool {
        n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
    }
    let start = std::time::Instant::now();
    let mut primes = 0;
    let mut n = 2;
    while start.elapsed() < min {
        primes += u64::from(is_prime(n));
        n += 1;
    }
    primes
}

/// Beats every `period`, counting its beats in `beats`, until cancelled.
pub async fn heartbeat(period: Duration, beats: Arc<AtomicU32>) {
    loop {
        beats.fetch_add(1, Ordering::SeqCst);
        sleep(period).await;
    }
}

/// What happened to the heartbeat while the work ran.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Beats counted while the work ran.
    pub beats_during_work: u32,
    /// What the work computed.
    pub primes: u64,
}

/// Which way to run the CPU-heavy work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Called directly from async code: holds the event loop.
    Badly,
    /// `to_thread(...).await`: runs on a thread pool.
    Well,
}

/// Starts a heartbeat beating every `period`, runs `work` worth of CPU-heavy work the
/// given `way`, and counts the beats that happened meanwhile.
pub async fn with_heartbeat(way: Way, work: Duration, period: Duration) -> Report {
    let beats = Arc::new(AtomicU32::new(0));
    let ticker = spawn(heartbeat(period, beats.clone()));
    sleep(period / 2).await; // let it beat once: it is alive

    let before = beats.load(Ordering::SeqCst);
    let primes = match way {
        Way::Badly => crunch(work),                         // the loop is held
        Way::Well => to_thread(move || crunch(work)).await, // the loop is free
    };
    let beats_during_work = beats.load(Ordering::SeqCst) - before;

    ticker.cancel().await;
    Report {
        beats_during_work,
        primes,
    }
}

// `pub` only so that this example's test can run this very `main` with
// `ASYNCIO_DEBUG=1` and read the warning.
#[asyncio::async_main]
pub async fn main() {
    let (work, period) = (Duration::from_secs(1), Duration::from_millis(200));
    for way in [Way::Badly, Way::Well] {
        let start = std::time::Instant::now();
        let report = with_heartbeat(way, work, period).await;
        println!(
            "{way:?}: {} primes found; {} heartbeats during {:.1} s of work ({:.1} s in all)",
            report.primes,
            report.beats_during_work,
            work.as_secs_f64(),
            start.elapsed().as_secs_f64(),
        );
    }
}
