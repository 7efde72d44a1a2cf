//! `shield(fut)` (asyncio.shield): dropping the `Shield` detaches the work instead of
//! cancelling it.
#![cfg(not(miri))]

use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asyncio_core::time::Instant;
use asyncio_core::{shield, sleep, timeout};
use futures::FutureExt;
use tokio::sync::oneshot;

/// Counts its drops, then reports the drop on a oneshot (so a test can await it).
struct DropGuard {
    drops: Arc<AtomicUsize>,
    dropped: Option<oneshot::Sender<()>>,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if let Some(tx) = self.dropped.take() {
            let _ = tx.send(());
        }
    }
}

fn guard() -> (Arc<AtomicUsize>, oneshot::Receiver<()>, DropGuard) {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    let g = DropGuard {
        drops: Arc::clone(&drops),
        dropped: Some(tx),
    };
    (drops, rx, g)
}

#[derive(Debug, PartialEq)]
struct Payload(&'static str);

#[tokio::test(start_paused = true)]
async fn a_timeout_drops_the_shield_but_the_work_runs_to_its_end() {
    let (drops, dropped, guard) = guard();
    let completed = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&completed);
    let start = Instant::now();

    let r = timeout(
        Duration::from_secs(1),
        shield(async move {
            let _guard = guard;
            sleep(Duration::from_secs(10)).await;
            done.store(true, SeqCst);
        }),
    )
    .await;
    assert!(r.is_err(), "the caller gave up after 1 s");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(!completed.load(SeqCst));
    assert_eq!(drops.load(SeqCst), 0, "the work was not cancelled");

    dropped.await.unwrap();
    assert!(completed.load(SeqCst), "it ran to its end");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(drops.load(SeqCst), 1);
    sleep(Duration::from_secs(60)).await;
    assert_eq!(drops.load(SeqCst), 1, "dropped exactly once");
}

#[tokio::test(start_paused = true)]
async fn awaiting_the_shield_gives_the_output() {
    let start = Instant::now();
    let out = shield(async {
        sleep(Duration::from_secs(2)).await;
        "saved"
    })
    .await;
    assert_eq!(out, "saved");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn the_work_starts_at_once_even_if_the_shield_is_never_polled() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let s = shield(async move { flag.store(true, SeqCst) });
    sleep(Duration::from_millis(1)).await;
    assert!(ran.load(SeqCst), "shield spawned it as a task");
    drop(s);
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_resumes_in_the_awaiter_with_its_payload() {
    let s = shield(async { panic_any(Payload("shielded")) });
    let payload = AssertUnwindSafe(s).catch_unwind().await.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<Payload>(),
        Some(&Payload("shielded"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_resumes_in_the_awaiter_on_the_multi_threaded_loop() {
    let s = shield(async { panic_any(Payload("mt")) });
    let payload = AssertUnwindSafe(s).catch_unwind().await.unwrap_err();
    assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload("mt")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_shield_detaches_on_the_multi_threaded_loop() {
    let (drops, dropped, guard) = guard();
    let (open, gate) = oneshot::channel::<()>();
    let (tx, rx) = oneshot::channel();
    let s = shield(async move {
        let _guard = guard;
        gate.await.unwrap();
        tx.send(42).unwrap();
    });
    drop(s);
    assert_eq!(drops.load(SeqCst), 0);
    open.send(()).unwrap(); // the work is still waiting for it: not cancelled
    assert_eq!(rx.await.unwrap(), 42);
    dropped.await.unwrap();
    assert_eq!(drops.load(SeqCst), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_shield_inside_a_cancelled_task_keeps_running() {
    let (open, gate) = oneshot::channel::<()>();
    let (tx, rx) = oneshot::channel();
    let outer = asyncio_core::spawn(async move {
        shield(async move {
            gate.await.unwrap();
            tx.send("finished").unwrap();
        })
        .await
    });
    asyncio_core::yield_now().await; // the outer task starts and spawns the work
    assert_eq!(outer.cancel().await, None);
    open.send(()).unwrap();
    assert_eq!(rx.await.unwrap(), "finished");
}

#[test]
fn shield_outside_a_loop_panics_naming_shield() {
    let err = catch_unwind(|| drop(shield(async {}))).unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(msg.starts_with("no running event loop"), "{msg}");
    assert!(msg.contains("`shield`"), "{msg}");
}

/// Runs this test binary again with `ASYNCIO_TEST_CHILD=<mode>` and returns its stderr.
fn child_stderr(test_name: &str, mode: &str) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env("ASYNCIO_TEST_CHILD", mode)
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

/// A panic nobody can retrieve any more is reported as a detached task's: the work of a
/// dropped `Shield`, and a task that `wait` saw panic and that was then detached.
#[test]
fn unretrieved_panics_after_a_dropped_shield_or_a_stashed_detach_are_reported() {
    let name = "unretrieved_panics_after_a_dropped_shield_or_a_stashed_detach_are_reported";
    if let Ok(mode) = std::env::var("ASYNCIO_TEST_CHILD") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            match mode.as_str() {
                "shield" => {
                    let line = line!() + 1;
                    let s = shield(async {
                        sleep(Duration::from_secs(1)).await;
                        panic!("boom after the shield was dropped")
                    });
                    eprintln!("shield at line {line}");
                    drop(s);
                }
                "stashed" => {
                    use asyncio_core::task::{Builder, ReturnWhen, wait};
                    let t = Builder::new()
                        .name("stashed-worker")
                        .spawn(async { panic!("boom before the detach") });
                    let (mut done, _) = wait([t], ReturnWhen::AllCompleted).await;
                    done.pop().unwrap().detach();
                }
                _ => unreachable!(),
            }
            sleep(Duration::from_secs(5)).await;
        });
        return;
    }

    let err = child_stderr(name, "shield");
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("shield at line "))
        .unwrap_or_else(|| panic!("stderr was:\n{err}"));
    let reports: Vec<_> = err
        .lines()
        .filter(|l| l.starts_with("asyncio: task spawned at"))
        .collect();
    assert_eq!(reports.len(), 1, "stderr was:\n{err}");
    assert!(
        reports[0].contains(&format!("core/tests/task_shield.rs:{line}:")),
        "the report names where `shield` was called: {}",
        reports[0]
    );
    assert!(
        reports[0].ends_with("boom after the shield was dropped"),
        "{}",
        reports[0]
    );

    let err = child_stderr(name, "stashed");
    let reports: Vec<_> = err
        .lines()
        .filter(|l| l.starts_with("asyncio: task 'stashed-worker'"))
        .collect();
    assert_eq!(reports.len(), 1, "stderr was:\n{err}");
    assert!(
        reports[0].ends_with("boom before the detach"),
        "{}",
        reports[0]
    );
}
