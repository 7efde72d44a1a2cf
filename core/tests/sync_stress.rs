//! Stress: 8 producer and 8 consumer tasks move 8 × 100,000 items through
//! `Queue::new(16)` on tokio's multi-thread loop (2 workers); every item is received
//! exactly once, `join` returns, and the queue ends empty. Also the same with `get` and
//! `put` futures abandoned mid-wait, and a `Lock`/`Semaphore` hand-off storm across
//! threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use asyncio_core::sync::{Lock, Queue, Semaphore};

const PRODUCERS: usize = 8;
const CONSUMERS: usize = 8;
/// Items per producer.
const PER_PRODUCER: usize = 100_000;
const ITEMS: usize = PRODUCERS * PER_PRODUCER;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_8_producers_8_consumers_100k_items_each() {
    let start = Instant::now();
    let q: Queue<usize> = Queue::new(16);
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..ITEMS).map(|_| AtomicU8::new(0)).collect());
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let (q, seen) = (q.clone(), seen.clone());
            tokio::spawn(async move {
                let mut n = 0usize;
                while let Ok(i) = q.get().await {
                    seen[i].fetch_add(1, SeqCst);
                    q.task_done();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            tokio::spawn(async move {
                for i in (p..ITEMS).step_by(PRODUCERS) {
                    q.put(i).await.unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(60), q.join())
        .await
        .expect("join did not return");
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.unfinished_tasks(), 0);
    q.shutdown(false);
    let mut total = 0;
    for c in consumers {
        total += c.await.unwrap();
    }
    assert_eq!(total, ITEMS);
    let wrong: Vec<usize> = (0..ITEMS)
        .filter(|&i| seen[i].load(SeqCst) != 1)
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "items not received exactly once: {wrong:?}"
    );
    assert_eq!(q.qsize(), 0);
    eprintln!(
        "{ITEMS} items through Queue::new(16): {:?}",
        start.elapsed()
    );
}

/// Consumers that give up (drop their `get`) at random while others keep going: still
/// every item exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_with_cancelled_getters_and_putters_loses_nothing() {
    const N: usize = 20_000;
    let q: Queue<usize> = Queue::new(4);
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
    let consumers: Vec<_> = (0..4usize)
        .map(|c| {
            let (q, seen) = (q.clone(), seen.clone());
            tokio::spawn(async move {
                let mut k = c as u64;
                loop {
                    k = k
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let got = if k >> 62 == 0 {
                        // Give up after a yield: the get may have been handed an item.
                        tokio::select! {
                            biased;
                            r = q.get() => Some(r),
                            () = tokio::task::yield_now() => None,
                        }
                    } else {
                        Some(q.get().await)
                    };
                    match got {
                        Some(Ok(i)) => {
                            seen[i].fetch_add(1, SeqCst);
                            q.task_done();
                        }
                        Some(Err(_)) => return,
                        None => {}
                    }
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..4usize)
        .map(|p| {
            let q = q.clone();
            tokio::spawn(async move {
                let mut i = p;
                let mut k = p as u64 + 17;
                while i < N {
                    k = k
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if k >> 62 == 0 {
                        // A put given up after a yield: the item must not enter.
                        let done = tokio::select! {
                            biased;
                            r = q.put(i) => { r.unwrap(); true }
                            () = tokio::task::yield_now() => false,
                        };
                        if !done {
                            continue; // retry the same item
                        }
                    } else {
                        q.put(i).await.unwrap();
                    }
                    i += 4;
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(60), q.join())
        .await
        .expect("join did not return");
    q.shutdown(false);
    for c in consumers {
        c.await.unwrap();
    }
    let wrong: Vec<usize> = (0..N)
        .filter(|&i| seen[i].load(SeqCst) != 1)
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "items not received exactly once: {wrong:?}"
    );
    assert_eq!(q.qsize(), 0);
}

/// Lock and semaphore hand-offs across worker threads, with some waits abandoned: the
/// counters are exact and every permit comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_and_semaphore_handoffs_across_threads() {
    let lock = Arc::new(Lock::new(0usize));
    let sem = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let (lock, sem, inside) = (lock.clone(), sem.clone(), inside.clone());
            tokio::spawn(async move {
                let mut done = 0;
                for i in 0..2_000usize {
                    if (i + t) % 5 == 0 {
                        // An abandoned wait.
                        tokio::select! {
                            biased;
                            _p = sem.acquire() => {}
                            () = tokio::task::yield_now() => {}
                        }
                        continue;
                    }
                    let _p = sem.acquire().await;
                    assert!(inside.fetch_add(1, SeqCst) < 2);
                    *lock.lock().await += 1;
                    inside.fetch_sub(1, SeqCst);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut want = 0;
    for t in tasks {
        want += t.await.unwrap();
    }
    assert_eq!(*lock.lock().await, want);
    assert_eq!(sem.available_permits(), 2);
    assert!(!lock.locked());
}
