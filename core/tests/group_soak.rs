//! Soak test for `TaskGroup` and `scope`: many rounds of 1,000 children that randomly
//! succeed, fail, panic, get aborted or get cancelled by dropping the group. After
//! every round, every child's destructor has run exactly once, and the bytes allocated
//! (a counting global allocator) are back to where they were.
//!
//! The CI version runs 20 rounds per test. The full soak (200 rounds × 1,000 children
//! per test) is `#[ignore]`d; run it with
//!
//! ```text
//! cargo test -p asyncio-core --release --test group_soak -- --ignored
//! ```

// Thousands of tokio tasks per round: far too slow under Miri, and no unsafe code of
// the group runs here (scope's unsafe is covered by `group_scope` under Miri).
#![cfg(not(miri))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::pending;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU8, Ordering::SeqCst};
use std::task::Poll;

use asyncio_core::group::{TaskGroup, scope, supervise_scope};
use asyncio_core::runtime::{Builder, Flavor};
use futures::FutureExt;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Ok,
    Err,
    Panic,
    Park,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// TaskGroup semantics: the first failure cancels.
    Group,
    /// Failures collected, nothing cancelled (no parked children: they would never end).
    Supervisor,
    /// The group's future is dropped mid-way.
    Drop,
}

struct DropOnce(Arc<[AtomicU8]>, usize);
impl Drop for DropOnce {
    fn drop(&mut self) {
        self.0[self.1].fetch_add(1, SeqCst);
    }
}

/// Yields `n` times, then finishes.
async fn yields(n: u64) {
    let mut left = n;
    futures::future::poll_fn(|cx| {
        if left == 0 {
            Poll::Ready(())
        } else {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

async fn child(kind: Kind, delay: u64, guard: DropOnce) -> Result<(), u32> {
    let _guard = guard;
    yields(delay).await;
    match kind {
        Kind::Ok => Ok(()),
        Kind::Err => Err(delay as u32),
        Kind::Panic => std::panic::panic_any("soak panic"),
        Kind::Park => pending().await,
    }
}

/// One round's plan: a mode, and a kind and delay per child.
fn plan(rng: &mut Rng, n: usize) -> (Mode, Vec<(Kind, u64)>) {
    let mode = match rng.below(3) {
        0 => Mode::Group,
        1 => Mode::Supervisor,
        _ => Mode::Drop,
    };
    let panics = rng.below(4) == 0; // a quarter of the rounds have panicking children
    let mut kids: Vec<(Kind, u64)> = (0..n)
        .map(|_| {
            let kind = match rng.below(100) {
                0..=59 => Kind::Ok,
                60..=79 => Kind::Err,
                80..=81 if panics => Kind::Panic,
                _ if mode == Mode::Supervisor => Kind::Ok,
                _ => Kind::Park,
            };
            (kind, rng.below(4))
        })
        .collect();
    if mode == Mode::Group {
        // Make sure the parked children get cancelled: at least one failure.
        kids[n / 2] = (Kind::Err, 2);
    }
    (mode, kids)
}

/// The soak panics on purpose: keep those quiet, report every other panic.
fn quiet_soak_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"soak panic") {
            default(info);
        }
    }));
}

async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

/// The live byte count once it has stopped changing for 5 ms (at most ≈ 1 s).
async fn steady_live_bytes() -> isize {
    let mut last = LIVE_BYTES.load(SeqCst);
    let mut steady = 0;
    for _ in 0..1_000 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        let now = LIVE_BYTES.load(SeqCst);
        if now == last {
            steady += 1;
            if steady == 5 {
                break;
            }
        } else {
            (last, steady) = (now, 0);
        }
    }
    last
}

fn check_dropped_once(drops: &[AtomicU8]) {
    for (i, d) in drops.iter().enumerate() {
        assert_eq!(
            d.load(SeqCst),
            1,
            "child {i} dropped {} times",
            d.load(SeqCst)
        );
    }
}

/// Baseline after a warm-up, then every later round must end within `SLACK` bytes of
/// it: a per-round leak of even one child (hundreds of bytes) × rounds shows up.
const SLACK: isize = 16 * 1024;

fn soak_task_group(rounds: usize, n: usize, seed: u64, flavor: Flavor) {
    quiet_soak_panics();
    Builder::new()
        .flavor(flavor)
        .worker_threads(2)
        .run(async move {
            let mut rng = Rng(seed);
            let mut baseline = None;
            for round in 0..rounds {
                let (mode, kids) = plan(&mut rng, n);
                let drops: Arc<[AtomicU8]> = (0..n).map(|_| AtomicU8::new(0)).collect();
                let abort_every = if mode == Mode::Supervisor { 0 } else { 7 };
                let body = async |tg: TaskGroup<u32>| {
                    for (i, &(kind, delay)) in kids.iter().enumerate() {
                        let h = tg.spawn(child(kind, delay, DropOnce(drops.clone(), i)));
                        if abort_every != 0 && i % abort_every == 0 {
                            h.abort();
                        }
                    }
                    if mode == Mode::Drop {
                        pending::<()>().await;
                    }
                    Ok(())
                };
                let fut = if mode == Mode::Supervisor {
                    TaskGroup::supervise(body).boxed()
                } else {
                    TaskGroup::run(body).boxed()
                };
                let mut fut = AssertUnwindSafe(fut).catch_unwind();
                if mode == Mode::Drop {
                    for _ in 0..3 {
                        if futures::poll!(&mut fut).is_ready() {
                            break; // a child panicked: the group is over
                        }
                        tokio::task::yield_now().await;
                    }
                    drop(fut);
                } else {
                    match fut.await {
                        Ok(Ok(())) => {
                            assert_eq!(mode, Mode::Supervisor, "Group rounds always fail")
                        }
                        Ok(Err(e)) => assert!(e.len() >= 1),
                        Err(payload) => {
                            assert_eq!(payload.downcast_ref::<&str>(), Some(&"soak panic"))
                        }
                    }
                }
                // Dropped children are freed by the loop at its own pace (tokio aborts
                // asynchronously; ~61 tasks per turn): wait, bounded, for all of them.
                // Yielding alone is not enough under multi_thread: a worker the OS has
                // descheduled (2 cores, 3 busy threads) can hold a child in its LIFO
                // slot, which no other worker steals, for longer than 10,000 yields of
                // this thread take; sleeping parks this thread and lets it run.
                for turn in 0..20_000 {
                    if drops.iter().all(|d| d.load(SeqCst) != 0) {
                        break;
                    }
                    if turn < 1_000 {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                }
                settle().await;
                check_dropped_once(&drops);
                drop(drops);
                drop(kids);
                settle().await;
                // Under multi_thread the round's task cells are freed by the workers after
                // the children's futures were dropped (tokio's own bookkeeping, and the
                // group's abort handles, dropped with its shared state): a read taken
                // during that teardown saw up to ~200 KB more, 1 run in 13. So the
                // baseline is read once the count is steady, and a later round fails only
                // if its count stays above the baseline for 5 s.
                match baseline {
                    None if round == 4 => baseline = Some(steady_live_bytes().await),
                    Some(b) => {
                        let mut live = LIVE_BYTES.load(SeqCst);
                        for _ in 0..5_000 {
                            if live <= b + SLACK {
                                break;
                            }
                            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                            live = LIVE_BYTES.load(SeqCst);
                        }
                        assert!(
                            live <= b + SLACK,
                            "round {round}: {live} bytes live, baseline {b}: the group leaks"
                        );
                    }
                    None => {}
                }
            }
        });
}

fn soak_scope(rounds: usize, n: usize, seed: u64) {
    quiet_soak_panics();
    let mut rng = Rng(seed);
    let mut baseline = None;
    for round in 0..rounds {
        let (mode, kids) = plan(&mut rng, n);
        let drops: Arc<[AtomicU8]> = (0..n).map(|_| AtomicU8::new(0)).collect();
        futures::executor::block_on(async {
            let body = async |s: asyncio_core::group::Scope<'_, u32>| {
                for (i, &(kind, delay)) in kids.iter().enumerate() {
                    s.spawn(child(kind, delay, DropOnce(drops.clone(), i)));
                }
                if mode == Mode::Drop {
                    pending::<()>().await;
                }
                Ok(())
            };
            let fut = if mode == Mode::Supervisor {
                supervise_scope(body).boxed_local()
            } else {
                scope(body).boxed_local()
            };
            let mut fut = AssertUnwindSafe(fut).catch_unwind();
            if mode == Mode::Drop {
                for _ in 0..3 {
                    if futures::poll!(&mut fut).is_ready() {
                        break; // a child panicked: the scope is over
                    }
                }
                drop(fut);
            } else {
                match fut.await {
                    Ok(Ok(())) => assert_eq!(mode, Mode::Supervisor),
                    Ok(Err(e)) => assert!(e.len() >= 1),
                    Err(payload) => assert_eq!(payload.downcast_ref::<&str>(), Some(&"soak panic")),
                }
            }
        });
        check_dropped_once(&drops);
        drop(drops);
        drop(kids);
        let live = LIVE_BYTES.load(SeqCst);
        match baseline {
            None if round == 4 => baseline = Some(live),
            Some(b) => assert!(
                live <= b + SLACK,
                "round {round}: {live} bytes live, baseline {b}"
            ),
            None => {}
        }
    }
}

// The two soaks share the global allocator counter: run them one after the other.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn soak_short() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    soak_task_group(20, 1_000, 0x5eed_0001, Flavor::CurrentThread);
    soak_task_group(20, 1_000, 0x5eed_0003, Flavor::MultiThread);
    soak_scope(20, 1_000, 0x5eed_0002);
}

#[test]
#[ignore = "long soak (200 rounds × 1,000 children, twice); run with --ignored --release"]
fn soak_long() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    soak_task_group(200, 1_000, 0xdead_beef, Flavor::CurrentThread);
    soak_task_group(200, 1_000, 0xbeef_dead, Flavor::MultiThread);
    soak_scope(200, 1_000, 0xcafe_f00d);
}
