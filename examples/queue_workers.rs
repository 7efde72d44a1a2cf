//! A work queue: three workers share one `Queue`, mark each job done, and `main` waits
//! for the queue to drain with `join()` before cancelling them — the `asyncio.Queue`
//! example of Python's documentation, line for line.
//!
//! Twenty jobs of 0.05–1 s are queued up front; three workers take them in turn. The
//! whole batch takes about a third of the total sleep time, because the workers sleep
//! in parallel.
//!
//! ```text
//! cargo run --example queue_workers
//! ```
//!
//! Python:
//!
//! ```python
//! async def worker(name, queue):
//!     while True:
//!         sleep_for = await queue.get()
//!         await asyncio.sleep(sleep_for)
//!         queue.task_done()
//!         print(f'{name} has slept for {sleep_for:.2f} seconds')
//!
//! async def main():
//!     queue = asyncio.Queue()
//!     total_sleep_time = 0
//!     for _ in range(20):
//!         sleep_for = random.uniform(0.05, 1.0)
//!         total_sleep_time += sleep_for
//!         queue.put_nowait(sleep_for)
//!
//!     tasks = []
//!     for i in range(3):
//!         task = asyncio.create_task(worker(f'worker-{i}', queue))
//!         tasks.append(task)
//!
//!     started_at = time.monotonic()
//!     await queue.join()
//!     total_slept_for = time.monotonic() - started_at
//!
//!     for task in tasks:
//!         task.cancel()
//!     await asyncio.gather(*tasks, return_exceptions=True)
//!
//!     print('====')
//!     print(f'3 workers slept in parallel for {total_slept_for:.2f} seconds')
//!     print(f'total expected sleep time: {total_sleep_time:.2f} seconds')
//!
//! asyncio.run(main())
//! ```
//!
//! Two differences from Python, both Rust's way: the queue is a handle, so each worker
//! gets its own clone of it (all clones are the same queue); and cancelling a task
//! drops it at the `.await` where it waits, so `task.cancel().await` returns `None`
//! instead of raising `CancelledError` into the task.

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::time::Duration;

/// What a worker did: its name and the jobs it slept for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerLog {
    /// `worker-0`, `worker-1`, …
    pub name: String,
    /// The jobs it took, in the order it took them.
    pub jobs: Vec<Duration>,
}

/// The result of a run.
#[derive(Debug)]
pub struct Report {
    /// From the moment the workers start until `join()` returns.
    pub slept_in_parallel: Duration,
    /// The sum of all jobs.
    pub total_sleep_time: Duration,
    /// One log per worker, in worker order.
    pub workers: Vec<WorkerLog>,
}

/// Takes jobs from `queue` forever: sleeps for each, marks it done, logs it. It only
/// stops when cancelled.
async fn worker(name: String, queue: Queue<Duration>, log: Queue<(usize, Duration)>, id: usize) {
    loop {
        // A `Queue` that is never shut down never fails `get`.
        let sleep_for = queue.get().await.expect("the queue is never shut down");
        sleep(sleep_for).await;
        queue.task_done();
        log.put_nowait((id, sleep_for))
            .expect("the log is unbounded");
        println!(
            "{name} has slept for {:.2} seconds",
            sleep_for.as_secs_f64()
        );
    }
}

/// Queues `jobs`, runs `workers` workers until the queue has drained, then cancels them.
pub async fn run(jobs: &[Duration], workers: usize) -> Report {
    let queue = Queue::unbounded();
    let mut total_sleep_time = Duration::ZERO;
    for &sleep_for in jobs {
        total_sleep_time += sleep_for;
        queue
            .put_nowait(sleep_for)
            .expect("an unbounded queue is never full");
    }

    // Each worker reports what it did on a second queue, so the caller can check it.
    let log = Queue::unbounded();
    let tasks: Vec<_> = (0..workers)
        .map(|i| spawn(worker(format!("worker-{i}"), queue.clone(), log.clone(), i)))
        .collect();

    let started_at = Instant::now();
    queue.join().await; // every job has been marked done
    let slept_in_parallel = started_at.elapsed();

    // The workers wait forever on an empty queue: cancel them, and wait until they
    // have stopped (`None`: they were still running, as in Python).
    for task in tasks {
        assert!(task.cancel().await.is_none());
    }

    let mut logs: Vec<WorkerLog> = (0..workers)
        .map(|i| WorkerLog {
            name: format!("worker-{i}"),
            jobs: Vec::new(),
        })
        .collect();
    while let Ok((id, job)) = log.get_nowait() {
        logs[id].jobs.push(job);
    }
    Report {
        slept_in_parallel,
        total_sleep_time,
        workers: logs,
    }
}

/// `n` job lengths spread over 0.05–1 s. A small fixed pseudo-random sequence stands in
/// for Python's `random.uniform`, so runs (and the test) are repeatable.
pub fn jobs(n: usize) -> Vec<Duration> {
    let mut x: u32 = 0x2545_f491;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            Duration::from_millis(50 + u64::from(x % 951))
        })
        .collect()
}

#[asyncio::async_main]
async fn main() {
    let report = run(&jobs(20), 3).await;
    println!("====");
    println!(
        "3 workers slept in parallel for {:.2} seconds",
        report.slept_in_parallel.as_secs_f64()
    );
    println!(
        "total expected sleep time: {:.2} seconds",
        report.total_sleep_time.as_secs_f64()
    );
}
