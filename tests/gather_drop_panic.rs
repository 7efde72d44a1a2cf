//! A panic in a child's `Drop` never aborts and never hides the first failure
//! (issue 16, part 4), for `gather_all`, `gather!`, `try_gather_all`, `try_gather!`,
//! `race_all`, `race!` and `as_completed`: the driver catches the failure, drops the
//! remaining siblings outside any unwind (catching their `Drop`s' panics too), then
//! reports the first failure — its original panic payload, its `Err`, or the winner.
//!
//! A panic while siblings are dropped during an unwind aborts the process ("panic in a
//! destructor during cleanup", exit 134), which would take the whole test binary down.
//! So every scenario where a child panics runs in a fresh copy of this binary
//! ([`in_child_process`]); the scenarios without a child panic run here.

use std::future::{Future, pending, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};

use asyncio::gather::{as_completed, gather_all, race_all, try_gather_all};
use asyncio::{gather, race, try_gather};
use futures::StreamExt;
use futures::executor::block_on;
use futures::future::{BoxFuture, FutureExt};

// ---------- helpers ----------

/// The message of the panic a child raises itself.
const ORIGINAL: &str = "the original panic";
/// The message of the panic a sibling's `Drop` raises.
const BOMB: &str = "a sibling's Drop panicked";

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// The message of the panic a finished child's own `Drop` raises.
const OWN: &str = "the finished child's own Drop panicked";

/// Panics in `Drop` with its message (a `&'static str` payload), after counting the
/// drop.
struct Bomb(Arc<AtomicUsize>, &'static str);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        std::panic::panic_any(self.1);
    }
}

/// Counts its drops (a sibling that drops quietly).
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A child that never finishes and panics when it is dropped.
fn parked_bomb<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let bomb = Bomb(drops.clone(), BOMB);
    async move {
        let _bomb = bomb;
        pending().await
    }
}

/// A child that never finishes and counts its drop.
fn parked<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        pending().await
    }
}

/// A child that is pending on its first poll and panics with [`ORIGINAL`] on the
/// second (so every sibling has started), counting its drop.
fn panics_later<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        yield_once().await;
        panic!("the original panic")
    }
}

/// A child that is pending on its first poll and then returns `out`, counting its drop.
fn ready_later<T: Send + 'static>(
    drops: &Arc<AtomicUsize>,
    out: T,
) -> impl Future<Output = T> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        yield_once().await;
        out
    }
}

/// Pending once (waking itself), then ready.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// A finished future whose own `Drop` panics: it returns `out` on its first poll.
struct BombFuture<T> {
    out: Option<T>,
    _bomb: Bomb,
}

impl<T: Unpin> Future for BombFuture<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        Poll::Ready(self.out.take().expect("polled once"))
    }
}

fn bomb_future<T>(drops: &Arc<AtomicUsize>, out: T) -> BombFuture<T> {
    BombFuture {
        out: Some(out),
        _bomb: Bomb(drops.clone(), OWN),
    }
}

fn payload_str(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<not a string>")
}

/// Runs `f`, expecting it to panic with the [`ORIGINAL`] payload (a `&'static str`).
fn expect_original_panic<R>(f: impl FnOnce() -> R) {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected the child's panic to resume in the caller"),
        Err(p) => p,
    };
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&ORIGINAL),
        "the caller must get the child's original payload, got {:?}",
        payload_str(&*payload)
    );
}

fn assert_each_dropped_once(counters: &[&Arc<AtomicUsize>]) {
    for (i, c) in counters.iter().enumerate() {
        assert_eq!(c.load(SeqCst), 1, "child {i} must be dropped exactly once");
    }
}

#[cfg(not(miri))]
const CHILD_ENV: &str = "ASYNCIO_DROP_PANIC_CHILD";

/// Runs `scenario` in a fresh copy of this test binary (run as the single test `name`),
/// so that an abort there does not take this run down; asserts that the copy neither
/// aborted nor failed, that it ran the test, and that its stderr shows each of
/// `panics` (the original panic and the `Drop`s' panics, printed by the panic hook).
#[cfg(not(miri))]
fn in_child_process(name: &str, panics: &[&str], scenario: impl FnOnce()) {
    if std::env::var_os(CHILD_ENV).is_some() {
        scenario();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_ne!(
            out.status.signal(),
            Some(6),
            "the process aborted (SIGABRT):\n{stderr}"
        );
    }
    assert_ne!(
        out.status.code(),
        Some(134),
        "the process aborted (exit 134):\n{stderr}"
    );
    assert!(
        !stderr.contains("panic in a destructor during cleanup"),
        "a Drop panicked during an unwind:\n{stderr}"
    );
    assert!(
        out.status.success(),
        "the scenario failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test (wrong name?):\n{stdout}"
    );
    for panic in panics {
        assert!(
            stderr.contains(panic),
            "stderr must show the panic {panic:?}:\n{stderr}"
        );
    }
}

/// Miri cannot spawn processes: run the scenario in this one.
#[cfg(miri)]
fn in_child_process(_name: &str, _panics: &[&str], scenario: impl FnOnce()) {
    scenario();
}

// ---------- a child panics, a sibling's Drop panics: the original payload, no abort ----------

#[test]
fn gather_all_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "gather_all_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, u8>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                panics_later(&panicker).boxed(),
            ];
            expect_original_panic(|| block_on(gather_all(children)));
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

#[test]
fn gather_all_limit_child_panic_and_drop_panics_resume_the_original_payload() {
    in_child_process(
        "gather_all_limit_child_panic_and_drop_panics_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            // Two bombs: one started, one never started (both dropped after the panic).
            let (bomb, quiet, panicker, unstarted) = (counter(), counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, u8>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                panics_later(&panicker).boxed(),
                parked_bomb(&unstarted).boxed(),
            ];
            expect_original_panic(|| block_on(gather_all(children).limit(3)));
            assert_each_dropped_once(&[&bomb, &quiet, &panicker, &unstarted]);
        },
    );
}

#[test]
fn gather_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "gather_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker, bomb2) = (counter(), counter(), counter(), counter());
            expect_original_panic(|| {
                block_on(gather!(
                    parked_bomb::<u8>(&bomb),
                    parked::<u16>(&quiet),
                    panics_later::<u32>(&panicker),
                    parked_bomb::<u64>(&bomb2),
                ))
            });
            assert_each_dropped_once(&[&bomb, &quiet, &panicker, &bomb2]);
        },
    );
}

#[test]
fn try_gather_all_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "try_gather_all_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, Result<u8, &str>>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                panics_later(&panicker).boxed(),
            ];
            expect_original_panic(|| block_on(try_gather_all(children)));
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

#[test]
fn try_gather_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "try_gather_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            expect_original_panic(|| {
                block_on(try_gather!(
                    parked_bomb::<Result<u8, ()>>(&bomb),
                    parked::<Result<u16, ()>>(&quiet),
                    panics_later::<Result<u32, ()>>(&panicker),
                ))
            });
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

#[test]
fn race_all_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "race_all_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, u8>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                panics_later(&panicker).boxed(),
            ];
            expect_original_panic(|| block_on(race_all(children)));
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

#[test]
fn race_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "race_macro_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            expect_original_panic(|| {
                block_on(race!(
                    parked_bomb::<u8>(&bomb),
                    parked::<u8>(&quiet),
                    panics_later::<u8>(&panicker),
                ))
            });
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

#[test]
fn as_completed_child_panic_and_sibling_drop_panic_resume_the_original_payload() {
    in_child_process(
        "as_completed_child_panic_and_sibling_drop_panic_resume_the_original_payload",
        &[ORIGINAL, BOMB],
        || {
            let (bomb, quiet, panicker) = (counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, u8>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                panics_later(&panicker).boxed(),
            ];
            let mut stream = as_completed(children);
            expect_original_panic(|| block_on(stream.next()));
            // The stream is over: it dropped every child before the panic went on.
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
            assert!(block_on(stream.next()).is_none());
            drop(stream);
            assert_each_dropped_once(&[&bomb, &quiet, &panicker]);
        },
    );
}

// ---------- an Err + a sibling's Drop panic: the Err comes back ----------

#[test]
fn try_gather_all_err_and_sibling_drop_panic_return_the_err() {
    let (bomb, quiet, failing) = (counter(), counter(), counter());
    let children: Vec<BoxFuture<'static, Result<u8, &str>>> = vec![
        parked_bomb(&bomb).boxed(),
        parked(&quiet).boxed(),
        ready_later(&failing, Err("the first error")).boxed(),
    ];
    let got = catch_unwind(AssertUnwindSafe(|| block_on(try_gather_all(children))));
    let got = got.unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)));
    assert_eq!(got, Err("the first error"));
    assert_each_dropped_once(&[&bomb, &quiet, &failing]);
}

#[test]
fn try_gather_all_err_whose_own_drop_panics_returns_the_err() {
    let (own, quiet) = (counter(), counter());
    let children: Vec<BoxFuture<'static, Result<u8, &str>>> = vec![
        parked(&quiet).boxed(),
        bomb_future(&own, Err("the first error")).boxed(),
    ];
    let got = catch_unwind(AssertUnwindSafe(|| block_on(try_gather_all(children))));
    let got = got.unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)));
    assert_eq!(got, Err("the first error"));
    assert_each_dropped_once(&[&own, &quiet]);
}

#[test]
fn try_gather_macro_err_and_sibling_drop_panic_return_the_err() {
    // Two bombs: before the fix the second panicked while the first unwound (abort).
    in_child_process(
        "try_gather_macro_err_and_sibling_drop_panic_return_the_err",
        &[BOMB],
        || {
            let (bomb, quiet, failing, bomb2) = (counter(), counter(), counter(), counter());
            let got = catch_unwind(AssertUnwindSafe(|| {
                block_on(try_gather!(
                    parked_bomb::<Result<u8, &str>>(&bomb),
                    parked::<Result<u16, &str>>(&quiet),
                    ready_later::<Result<u32, &str>>(&failing, Err("the first error")),
                    parked_bomb::<Result<u64, &str>>(&bomb2),
                ))
            }));
            let got =
                got.unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)));
            assert_eq!(got, Err("the first error"));
            assert_each_dropped_once(&[&bomb, &quiet, &failing, &bomb2]);
        },
    );
}

// ---------- a winner + a loser's Drop panic: the winner comes back ----------

#[test]
fn race_all_winner_and_loser_drop_panic_return_the_winner() {
    // Two bombs: before the fix the second panicked while the first unwound (abort).
    in_child_process(
        "race_all_winner_and_loser_drop_panic_return_the_winner",
        &[BOMB],
        || {
            let (bomb, quiet, winner, bomb2) = (counter(), counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, &str>> = vec![
                parked_bomb(&bomb).boxed(),
                parked(&quiet).boxed(),
                ready_later(&winner, "the winner").boxed(),
                parked_bomb(&bomb2).boxed(),
            ];
            let got = catch_unwind(AssertUnwindSafe(|| block_on(race_all(children))));
            let got =
                got.unwrap_or_else(|p| panic!("the winner was replaced by {:?}", payload_str(&*p)));
            assert_eq!(got, "the winner");
            assert_each_dropped_once(&[&bomb, &quiet, &winner, &bomb2]);
        },
    );
}

#[test]
fn race_macro_winner_and_loser_drop_panic_return_the_winner() {
    // Two bombs: before the fix the second panicked while the first unwound (abort).
    in_child_process(
        "race_macro_winner_and_loser_drop_panic_return_the_winner",
        &[BOMB],
        || {
            let (bomb, quiet, winner, bomb2) = (counter(), counter(), counter(), counter());
            let got = catch_unwind(AssertUnwindSafe(|| {
                block_on(race!(
                    parked_bomb(&bomb),
                    parked(&quiet),
                    ready_later(&winner, "the winner"),
                    parked_bomb(&bomb2),
                ))
            }));
            let got =
                got.unwrap_or_else(|p| panic!("the winner was replaced by {:?}", payload_str(&*p)));
            assert_eq!(got, "the winner");
            assert_each_dropped_once(&[&bomb, &quiet, &winner, &bomb2]);
        },
    );
}

// ---------- the only failure is a Drop panic: it is the panic ----------

#[test]
fn gather_all_child_whose_own_drop_panics_is_a_panic_and_siblings_drop_once() {
    in_child_process(
        "gather_all_child_whose_own_drop_panics_is_a_panic_and_siblings_drop_once",
        &[OWN, BOMB],
        || {
            let (own, quiet, bomb) = (counter(), counter(), counter());
            let children: Vec<BoxFuture<'static, u8>> = vec![
                parked(&quiet).boxed(),
                parked_bomb(&bomb).boxed(),
                bomb_future(&own, 1).boxed(),
            ];
            let payload = catch_unwind(AssertUnwindSafe(|| block_on(gather_all(children))))
                .expect_err("the Drop's panic must resume in the caller");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&OWN));
            assert_each_dropped_once(&[&own, &quiet, &bomb]);
        },
    );
}

#[test]
fn a_ready_gather_is_unaffected() {
    // The happy path keeps its results (and its order) with the catching driver.
    assert_eq!(block_on(gather_all((0..5).map(ready))), [0, 1, 2, 3, 4]);
    assert_eq!(block_on(gather!(ready(1), ready("a"))), (1, "a"));
    assert_eq!(
        block_on(try_gather!(ready(Ok::<_, ()>(1)), ready(Ok(2)))),
        Ok((1, 2))
    );
}
