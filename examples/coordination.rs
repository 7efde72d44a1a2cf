//! asyncio's synchronisation primitives, one small scene each: `Lock`, `Event`,
//! `Condition`, `Barrier`, `BoundedSemaphore` and `PriorityQueue`.
//!
//! ```text
//! cargo run --example coordination
//! ```
//!
//! Python, scene by scene:
//!
//! ```python
//! # Lock: read-modify-write with an await in the middle stays correct
//! async with lock:
//!     balance = account.balance
//!     await asyncio.sleep(0.01)
//!     account.balance = balance + amount
//!
//! # Event: runners wait for the start signal; a late one passes at once
//! await start.wait()          # elsewhere: start.set()
//!
//! # Condition: wait until enough orders are ready
//! async with cond:
//!     await cond.wait_for(lambda: len(orders) >= 2)
//!     take = [orders.pop(0), orders.pop(0)]
//!
//! # Barrier: nobody leaves before the last one arrives
//! index = await barrier.wait()
//!
//! # BoundedSemaphore: a pool of two connections
//! async with pool:
//!     await query()
//!
//! # PriorityQueue: the smallest priority first
//! await queue.put((priority, job))
//! ```
//!
//! The Rust spellings differ in one place: `Lock<T>` and `Condition<T>` *own* the data
//! they protect, and the guard from `lock().await` is the only way to reach it, so the
//! data cannot be touched without the lock.

use asyncio::prelude::*;
use asyncio::time::Instant;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// `Lock`: `deposits` concurrent deposits of 1 into one account, each reading the
/// balance, sleeping 10 ms while holding the lock, then writing. Returns the balance.
pub async fn lock_scene(deposits: u64) -> u64 {
    let account = Arc::new(Lock::new(0u64));
    let tasks: Vec<_> = (0..deposits)
        .map(|_| {
            let account = Arc::clone(&account);
            spawn(async move {
                let mut balance = account.lock().await; // async with lock:
                let read = *balance;
                sleep(Duration::from_millis(10)).await; // held across the await: fine
                *balance = read + 1;
            })
        })
        .collect();
    gather_all(tasks).await;
    *account.lock().await
}

/// `Event`: three runners wait for the start signal, given after 1 s; a fourth arrives
/// after it was given and does not wait. Returns when each runner started.
pub async fn event_scene() -> Vec<Duration> {
    let t0 = Instant::now();
    let start = Arc::new(Event::new());
    let runner = |delay: Duration| {
        let start = Arc::clone(&start);
        spawn(async move {
            sleep(delay).await;
            start.wait().await;
            t0.elapsed()
        })
    };
    let runners: Vec<_> = [0, 100, 200, 1500]
        .map(|ms| runner(Duration::from_millis(ms)))
        .into();
    sleep(Duration::from_secs(1)).await;
    start.set(); // the waiting three go; the set is remembered for the late one
    gather_all(runners).await
}

/// `Condition`: a cook puts an order up every 100 ms; a waiter takes them two at a time
/// with `wait_for`. Returns the pairs the waiter took.
pub async fn condition_scene() -> Vec<[u32; 2]> {
    let pass = Arc::new(Condition::new(Vec::<u32>::new()));
    let cook = {
        let pass = Arc::clone(&pass);
        spawn(async move {
            for order in 1..=6 {
                sleep(Duration::from_millis(100)).await;
                pass.lock().await.push(order);
                pass.notify(1);
            }
        })
    };
    let mut taken = Vec::new();
    for _ in 0..3 {
        let guard = pass.lock().await;
        let mut orders = pass.wait_for(guard, |orders| orders.len() >= 2).await;
        taken.push([orders.remove(0), orders.remove(0)]);
    }
    cook.await;
    taken
}

/// `Barrier`: three hikers reach the summit at 1, 2 and 3 s; they all leave at 3 s.
/// Returns each hiker's (arrival index, time they left).
pub async fn barrier_scene() -> Vec<(usize, Duration)> {
    let t0 = Instant::now();
    let summit = Arc::new(Barrier::new(3));
    let hikers: Vec<_> = [1, 2, 3]
        .map(|s| {
            let summit = Arc::clone(&summit);
            spawn(async move {
                sleep(Duration::from_secs(s)).await;
                let index = summit.wait().await.expect("nobody breaks this barrier");
                (index, t0.elapsed())
            })
        })
        .into();
    gather_all(hikers).await
}

/// `BoundedSemaphore`: five queries through a pool of two connections, 100 ms each.
/// Returns (the most queries at once, the total time).
pub async fn semaphore_scene() -> (usize, Duration) {
    let t0 = Instant::now();
    let pool = Arc::new(BoundedSemaphore::new(2));
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let queries: Vec<_> = (0..5)
        .map(|_| {
            let (pool, now, most) = (Arc::clone(&pool), Arc::clone(&now), Arc::clone(&most));
            spawn(async move {
                let _connection = pool.acquire().await; // async with pool:
                most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                sleep(Duration::from_millis(100)).await;
                now.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    gather_all(queries).await;
    (most.load(Ordering::SeqCst), t0.elapsed())
}

/// `PriorityQueue`: jobs put in any order come out smallest priority first.
pub async fn priority_scene() -> Vec<(u8, &'static str)> {
    let queue = PriorityQueue::unbounded();
    for job in [(3, "backup"), (1, "page the on-call"), (2, "send invoices")] {
        queue.put(job).await.expect("the queue is open");
    }
    let mut order = Vec::new();
    while let Ok(job) = queue.get_nowait() {
        order.push(job);
    }
    order
}

#[asyncio::async_main]
async fn main() {
    println!("Lock: 20 deposits of 1 -> balance {}", lock_scene(20).await);
    for (i, at) in event_scene().await.iter().enumerate() {
        println!("Event: runner {i} started at {:.1} s", at.as_secs_f64());
    }
    for pair in condition_scene().await {
        println!("Condition: took orders {pair:?}");
    }
    for (index, at) in barrier_scene().await {
        println!(
            "Barrier: hiker with index {index} left at {:.1} s",
            at.as_secs_f64()
        );
    }
    let (most, took) = semaphore_scene().await;
    println!(
        "BoundedSemaphore: at most {most} queries at once, {:.1} s in all",
        took.as_secs_f64()
    );
    for (priority, job) in priority_scene().await {
        println!("PriorityQueue: {priority} {job}");
    }
}
