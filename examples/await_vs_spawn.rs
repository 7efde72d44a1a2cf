//! `.await` vs `spawn`: awaiting a worker makes the caller wait for it; spawning it
//! lets the caller go on while the worker runs.
//!
//! A worker takes 2 s. Awaited directly, `main` continues only when it is done.
//! Spawned as a task (asyncio's `create_task`), `main` continues at once, does 1 s of
//! its own work, and then collects the worker's result — 2 s in all, not 3 s.
//!
//! ```text
//! cargo run --example await_vs_spawn
//! ```
//!
//! Python:
//!
//! ```python
//! async def worker():
//!     print("worker: started")
//!     await asyncio.sleep(2)
//!     print("worker: finished")
//!     return 42
//!
//! async def awaiting():
//!     result = await worker()              # main waits here for 2 s
//!     print("main: goes on")
//!     await asyncio.sleep(1)                # main's own work, after: 3 s in all
//!
//! async def spawning():
//!     task = asyncio.create_task(worker())  # the worker starts in the background
//!     print("main: goes on")
//!     await asyncio.sleep(1)                # main's own work, meanwhile
//!     result = await task                   # only the remaining 1 s: 2 s in all
//! ```
//!
//! As in asyncio, a spawned task starts running at the caller's next `.await` (the
//! event loop is single-threaded), so "main: goes on" is printed before "worker:
//! started".

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The lines the program printed, each with the time it was printed at.
#[derive(Debug, Clone)]
pub struct Log {
    start: Instant,
    lines: Arc<Mutex<Vec<(Duration, String)>>>,
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
            lines: Arc::default(),
        }
    }

    /// Prints `line` with the elapsed time, and records it.
    pub fn say(&self, line: impl Into<String>) {
        let (at, line) = (self.start.elapsed(), line.into());
        println!("  [{:.1} s] {line}", at.as_secs_f64());
        self.lines.lock().unwrap().push((at, line));
    }

    /// Everything said so far.
    pub fn lines(&self) -> Vec<(Duration, String)> {
        self.lines.lock().unwrap().clone()
    }
}

/// Works for 2 s and returns 42.
pub async fn worker(log: Log) -> u32 {
    log.say("worker: started");
    sleep(Duration::from_secs(2)).await;
    log.say("worker: finished");
    42
}

/// Awaits the worker: the caller is suspended until the worker is done.
pub async fn awaiting(log: Log) -> u32 {
    log.say("main: awaiting the worker");
    let result = worker(log.clone()).await;
    log.say("main: goes on");
    sleep(Duration::from_secs(1)).await; // main's own work, after the worker's
    log.say(format!("main: own work done, worker returned {result}"));
    result
}

/// Spawns the worker: the caller goes on, and collects the result later.
pub async fn spawning(log: Log) -> u32 {
    log.say("main: spawning the worker");
    let task = spawn(worker(log.clone())); // asyncio.create_task
    log.say("main: goes on");
    sleep(Duration::from_secs(1)).await; // main's own work, while the worker runs
    log.say("main: own work done, waiting for the worker");
    let result = task.await;
    log.say(format!("main: worker returned {result}"));
    result
}

#[asyncio::async_main]
async fn main() {
    println!("await:");
    let log = Log::new();
    awaiting(log.clone()).await;
    println!("took {:.1} s\n", log.start.elapsed().as_secs_f64());

    println!("spawn:");
    let log = Log::new();
    spawning(log.clone()).await;
    println!("took {:.1} s", log.start.elapsed().as_secs_f64());
}
