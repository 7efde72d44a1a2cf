//! Tasks, `run`, time: the foundation's runtime behaviour, checked with drop counters,
//! flags and tokio's paused clock (never wall-clock assertions).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asyncio::runtime::Builder;
use asyncio::task;
use asyncio::time::Instant;
use asyncio::{run, sleep, spawn, spawn_local, timeout, to_thread, yield_now};

/// Counts drops of the value it is attached to.
struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counter() -> (Arc<AtomicUsize>, DropCounter) {
    let c = Arc::new(AtomicUsize::new(0));
    (c.clone(), DropCounter(c))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn both_flavors(f: impl Fn(Builder)) {
    f(Builder::new());
    f(Builder::new().multi_thread().worker_threads(2));
}

// ---------------------------------------------------------------- runtime misuse

#[test]
fn run_inside_a_running_loop_panics_with_a_hint() {
    let err = catch_unwind(|| run(async { run(async {}) })).unwrap_err();
    let msg = panic_message(&*err);
    assert!(
        msg.contains("asyncio::run() cannot be called from a running event loop"),
        "{msg}"
    );
    assert!(msg.contains("`.await` the future instead"), "{msg}");
}

#[test]
fn run_inside_a_worker_task_panics_with_a_hint() {
    let msg = Builder::new().multi_thread().worker_threads(1).run(async {
        let t = spawn(async {
            catch_unwind(|| run(async {}))
                .map_err(|e| panic_message(&*e))
                .unwrap_err()
        });
        t.await
    });
    assert!(
        msg.contains("cannot be called from a running event loop"),
        "{msg}"
    );
}

#[test]
fn run_inside_to_thread_is_allowed() {
    // A to_thread closure is blocking code, not async code: it may start its own loop.
    let n = run(async { to_thread(|| run(async { 7 })).await });
    assert_eq!(n, 7);
}

#[test]
fn spawn_without_a_loop_panics_naming_the_three_ways_to_start_one() {
    for (what, f) in [
        ("spawn", Box::new(|| drop(spawn(async {}))) as Box<dyn Fn()>),
        ("spawn_local", Box::new(|| drop(spawn_local(async {})))),
        ("shield", Box::new(|| drop(asyncio::shield(async {})))),
        // Lazy ones: building needs no loop, their first poll does.
        (
            "to_thread",
            Box::new(|| futures::executor::block_on(to_thread(|| ()))),
        ),
        (
            "sleep",
            Box::new(|| futures::executor::block_on(sleep(Duration::from_secs(1)))),
        ),
        (
            "sleep_until",
            Box::new(|| {
                futures::executor::block_on(asyncio::sleep_until(asyncio::time::Instant::now()))
            }),
        ),
        (
            "timeout",
            Box::new(|| {
                let built = timeout(Duration::from_secs(1), async {});
                let _ = futures::executor::block_on(built);
            }),
        ),
    ] {
        let msg = panic_message(&*catch_unwind(AssertUnwindSafe(f)).unwrap_err());
        assert!(msg.starts_with("no running event loop"), "{what}: {msg}");
        assert!(msg.contains(&format!("`{what}`")), "{what}: {msg}");
        for way in [
            "#[asyncio::async_main]",
            "#[asyncio::async_test]",
            "asyncio::run",
        ] {
            assert!(msg.contains(way), "{what}: {msg}");
        }
    }
}

#[test]
fn spawn_local_on_a_worker_thread_panics_with_a_hint() {
    let msg = Builder::new().multi_thread().worker_threads(1).run(async {
        spawn(async {
            catch_unwind(|| drop(spawn_local(async {})))
                .map_err(|e| panic_message(&*e))
                .unwrap_err()
        })
        .await
    });
    assert!(
        msg.contains("worker thread of a multi-threaded event loop"),
        "{msg}"
    );
    assert!(msg.contains("spawn()"), "{msg}");
}

#[test]
fn spawn_local_works_in_both_flavors_on_the_main_thread() {
    both_flavors(|b| {
        let v = b.run(async {
            let rc = std::rc::Rc::new(20);
            spawn_local(async move { *rc + 1 }).await
        });
        assert_eq!(v, 21);
    });
}

#[test]
#[should_panic(expected = "worker_threads must be at least 1")]
fn zero_worker_threads_is_rejected() {
    let _ = Builder::new().multi_thread().worker_threads(0);
}

// ---------------------------------------------------------------- Task lifecycle

#[test]
fn dropping_a_task_cancels_it() {
    both_flavors(|b| {
        let (drops, guard) = counter();
        let after_await = Arc::new(AtomicBool::new(false));
        let flag = after_await.clone();
        b.run(async move {
            let (started_tx, started_rx) = tokio::sync::oneshot::channel();
            let t = spawn(async move {
                let _guard = guard;
                started_tx.send(()).unwrap();
                sleep(Duration::from_secs(3600)).await;
                flag.store(true, SeqCst);
            });
            started_rx.await.unwrap();
            drop(t);
            // One turn of the loop lets the runtime drop the cancelled future.
            for _ in 0..10 {
                if drops.load(SeqCst) == 1 {
                    break;
                }
                sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(drops.load(SeqCst), 1, "the task's future was not dropped");
        });
        assert!(!after_await.load(SeqCst), "code after the await point ran");
    });
}

#[test]
fn cancel_before_completion_returns_none_and_drops_the_future() {
    both_flavors(|b| {
        let (drops, guard) = counter();
        let after_await = Arc::new(AtomicBool::new(false));
        let flag = after_await.clone();
        b.run(async move {
            let t = spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
                flag.store(true, SeqCst);
                5
            });
            yield_now().await;
            assert_eq!(t.cancel().await, None);
            // cancel().await returns only once the future has been dropped.
            assert_eq!(drops.load(SeqCst), 1);
        });
        assert!(!after_await.load(SeqCst));
    });
}

#[test]
fn cancel_after_completion_returns_the_output() {
    both_flavors(|b| {
        b.run(async {
            let t = spawn(async { 5 });
            while !t.is_finished() {
                yield_now().await;
            }
            assert_eq!(t.cancel().await, Some(5));
        })
    });
}

#[test]
fn detach_keeps_the_task_running() {
    both_flavors(|b| {
        let done = b.run(async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            spawn(async move {
                sleep(Duration::from_millis(5)).await;
                tx.send("ran to the end").unwrap();
            })
            .detach();
            rx.await.unwrap()
        });
        assert_eq!(done, "ran to the end");
    });
}

#[derive(Debug, PartialEq)]
struct CustomPayload(u32);

#[test]
fn a_panic_in_a_task_reaches_the_awaiter_with_its_payload() {
    both_flavors(|b| {
        let err = catch_unwind(AssertUnwindSafe(|| {
            b.run(async {
                spawn(async { std::panic::panic_any(CustomPayload(42)) }).await;
            })
        }))
        .unwrap_err();
        assert_eq!(
            err.downcast_ref::<CustomPayload>(),
            Some(&CustomPayload(42))
        );
    });
}

#[test]
fn a_panic_in_a_local_task_reaches_the_awaiter_with_its_payload() {
    let err = catch_unwind(|| {
        run(async {
            spawn_local(async { std::panic::panic_any(CustomPayload(7)) }).await;
        })
    })
    .unwrap_err();
    assert_eq!(err.downcast_ref::<CustomPayload>(), Some(&CustomPayload(7)));
}

#[test]
fn a_panic_reaches_cancel_too() {
    let err = catch_unwind(|| {
        run(async {
            let t = spawn(async { std::panic::panic_any(CustomPayload(9)) });
            while !t.is_finished() {
                yield_now().await;
            }
            t.cancel().await
        })
    })
    .unwrap_err();
    assert_eq!(err.downcast_ref::<CustomPayload>(), Some(&CustomPayload(9)));
}

#[test]
fn run_cancels_leftover_tasks_before_returning() {
    both_flavors(|b| {
        let (drops, g1) = counter();
        let g2 = DropCounter(drops.clone());
        let g3 = DropCounter(drops.clone());
        let after_await = Arc::new(AtomicUsize::new(0));
        let (a1, a2) = (after_await.clone(), after_await.clone());
        b.run(async move {
            spawn(async move {
                let _g = g1;
                sleep(Duration::from_secs(3600)).await;
                a1.fetch_add(1, SeqCst);
            })
            .detach();
            spawn_local(async move {
                let _g = g2;
                sleep(Duration::from_secs(3600)).await;
                a2.fetch_add(1, SeqCst);
            })
            .detach();
            // A task blocked forever on a channel nobody will send on.
            let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
            spawn(async move {
                let _g = g3;
                let _ = rx.await;
            })
            .detach();
            yield_now().await;
            // `_tx` is still alive here, so the last task is pending when main returns.
            std::mem::forget(_tx);
        });
        assert_eq!(
            drops.load(SeqCst),
            3,
            "run returned before dropping every task"
        );
        assert_eq!(after_await.load(SeqCst), 0);
    });
}

#[test]
fn task_names_and_locations() {
    run(async {
        let t = task::Builder::new().name("fetch-1").spawn(async { 1 });
        assert_eq!(t.name(), Some("fetch-1"));
        assert_eq!(t.location().file(), file!());
        let u = spawn(async { 2 });
        assert_eq!(u.name(), None);
        assert_eq!(u.location().line(), line!() - 2);
        let owned = task::Builder::new()
            .name(format!("job-{}", 3))
            .spawn_local(async { 3 });
        assert_eq!(owned.name(), Some("job-3"));
        assert_eq!(t.await + u.await + owned.await, 6);
    });
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

#[test]
fn a_detached_task_that_panics_is_reported_with_its_name_and_location() {
    if let Ok(mode) = std::env::var("ASYNCIO_TEST_CHILD") {
        run(async {
            match mode.as_str() {
                "detached" => {
                    task::Builder::new()
                        .name("lost-worker")
                        .spawn(async { panic!("boom in the background") })
                        .detach();
                }
                "awaited" => {
                    let t = task::Builder::new()
                        .name("awaited-worker")
                        .spawn(async { panic!("boom in the foreground") });
                    let joined = tokio::spawn(t).await;
                    assert!(joined.unwrap_err().is_panic());
                }
                _ => unreachable!(),
            }
            sleep(Duration::from_millis(20)).await;
        });
        return;
    }
    let name = "a_detached_task_that_panics_is_reported_with_its_name_and_location";
    let err = child_stderr(name, "detached");
    let reports: Vec<_> = err
        .lines()
        .filter(|l| l.starts_with("asyncio: task 'lost-worker'"))
        .collect();
    assert_eq!(reports.len(), 1, "stderr was:\n{err}");
    assert!(reports[0].contains("tests/tasks.rs"), "{}", reports[0]);
    assert!(reports[0].contains("never retrieved"), "{}", reports[0]);
    assert!(
        reports[0].contains("boom in the background"),
        "{}",
        reports[0]
    );

    let err = child_stderr(name, "awaited");
    assert!(
        !err.contains("asyncio: task"),
        "an awaited task's panic was reported as unretrieved:\n{err}"
    );
}

// ---------------------------------------------------------------- time

#[test]
fn timeout_expires_on_the_paused_clock() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let r = timeout(Duration::from_secs(5), sleep(Duration::from_secs(3600))).await;
        assert_eq!(r.unwrap_err().limit(), Duration::from_secs(5));
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    });
}

#[test]
fn timeout_error_names_the_limit_and_is_a_std_error() {
    let err = Builder::new().start_paused(true).run(async {
        timeout(Duration::from_millis(250), std::future::pending::<()>())
            .await
            .unwrap_err()
    });
    assert_eq!(err.limit(), Duration::from_millis(250));
    assert_eq!(err.to_string(), "operation timed out after 250ms");
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().contains("250ms"));
}

#[test]
fn timeout_drops_the_inner_future_when_it_expires() {
    let (drops, guard) = counter();
    Builder::new().start_paused(true).run(async move {
        let r = timeout(Duration::from_secs(1), async move {
            let _g = guard;
            sleep(Duration::from_secs(10)).await;
        })
        .await;
        assert!(r.is_err());
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn sleep_and_sleep_until_advance_exactly_on_the_paused_clock() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        sleep(Duration::from_secs(2)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        asyncio::sleep_until(start + Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    });
}

#[test]
fn concurrent_sleeps_take_the_longest_not_the_sum() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let a = spawn(sleep(Duration::from_secs(1)));
        let b = spawn(sleep(Duration::from_secs(2)));
        a.await;
        b.await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
}

// ---------------------------------------------------------------- to_thread

#[test]
fn to_thread_runs_off_the_loop_thread() {
    both_flavors(|b| {
        let (loop_thread, worker_thread) = b.run(async {
            let here = std::thread::current().id();
            let there = to_thread(|| std::thread::current().id()).await;
            (here, there)
        });
        assert_ne!(loop_thread, worker_thread);
    });
}

#[test]
fn to_thread_propagates_its_panic() {
    let err =
        catch_unwind(|| run(async { to_thread(|| std::panic::panic_any(CustomPayload(3))).await }))
            .unwrap_err();
    assert_eq!(err.downcast_ref::<CustomPayload>(), Some(&CustomPayload(3)));
}

#[test]
fn multi_thread_runs_spawned_tasks_on_worker_threads() {
    let (main_thread, task_thread) = Builder::new().multi_thread().worker_threads(2).run(async {
        let main = std::thread::current().id();
        (main, spawn(async { std::thread::current().id() }).await)
    });
    assert_ne!(main_thread, task_thread);
}
