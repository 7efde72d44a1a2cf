//! A background task: a heartbeat keeps beating while `main` works, then is cancelled.
//!
//! `spawn` (asyncio's `create_task`) starts the heartbeat right away; it beats once a
//! second while `main` does 3.5 s of its own work. Then `main` cancels it and waits
//! until it has stopped. Cancelling a Rust future drops it at the `.await` where it was
//! waiting, and its destructors run: the `Drop` of a guard value plays the part of
//! Python's `except asyncio.CancelledError` / `finally` clean-up.
//!
//! ```text
//! cargo run --example heartbeat
//! ```
//!
//! Python:
//!
//! ```python
//! async def heartbeat():
//!     try:
//!         while True:
//!             print("heartbeat")
//!             await asyncio.sleep(1)
//!     finally:
//!         print("heartbeat stopped")
//!
//! async def main():
//!     task = asyncio.create_task(heartbeat())
//!     await asyncio.sleep(3.5)           # main's own work
//!     task.cancel()
//!     try:
//!         await task
//!     except asyncio.CancelledError:
//!         pass
//!
//! asyncio.run(main())
//! ```
//!
//! Unlike asyncio, the task is also cancelled if its `Task` handle is simply dropped:
//! a background task cannot be lost and keep running unobserved (call `.detach()` to
//! let it run on).

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// What the heartbeat shares with whoever watches it.
#[derive(Debug, Default)]
pub struct Pulse {
    /// How many times it has beaten.
    pub beats: AtomicU32,
    /// Whether its clean-up has run.
    pub stopped: AtomicBool,
}

/// Runs when the heartbeat's future is dropped — by cancellation, here.
struct CleanUp(Arc<Pulse>);

impl Drop for CleanUp {
    fn drop(&mut self) {
        println!("  heartbeat stopped");
        self.0.stopped.store(true, Ordering::SeqCst);
    }
}

/// Beats every `period`, forever (until cancelled).
pub async fn heartbeat(period: Duration, pulse: Arc<Pulse>) {
    let start = Instant::now();
    let _clean_up = CleanUp(pulse.clone());
    loop {
        let n = pulse.beats.fetch_add(1, Ordering::SeqCst) + 1;
        println!("  heartbeat {n} at {:.1} s", start.elapsed().as_secs_f64());
        sleep(period).await;
    }
}

/// Starts a heartbeat, works for `work`, cancels the heartbeat. Returns the pulse so a
/// caller can see how many beats happened and that the clean-up ran.
pub async fn work_with_heartbeat(work: Duration, period: Duration) -> Arc<Pulse> {
    let pulse = Arc::new(Pulse::default());
    let task = spawn(heartbeat(period, pulse.clone())); // asyncio.create_task

    println!("  main: working for {:.1} s", work.as_secs_f64());
    sleep(work).await; // main's own work; the heartbeat runs meanwhile
    println!("  main: done, cancelling the heartbeat");

    // task.cancel() + await task: returns once the task's future has been dropped.
    // `None` means it was cancelled before it could finish (a heartbeat never does).
    match task.cancel().await {
        None => println!("  main: the heartbeat was cancelled"),
        Some(()) => println!("  main: the heartbeat had already finished"),
    }
    pulse
}

#[asyncio::async_main]
async fn main() {
    let start = Instant::now();
    let pulse = work_with_heartbeat(Duration::from_secs_f64(3.5), Duration::from_secs(1)).await;
    let beats = pulse.beats.load(Ordering::SeqCst);
    println!(
        "{beats} beats while main worked; finished in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}
