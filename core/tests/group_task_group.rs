//! `TaskGroup`: every numbered point of the spec, under both loop flavors.
//!
//! Not run under Miri: these need tokio's runtime (multi-threaded too), and the group
//! code they cover has no `unsafe`; `group_scope` is the Miri suite.
#![cfg(not(miri))]

use std::future::{Future, pending};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use asyncio_core::group::{ChildError, GroupError, TaskGroup};
use asyncio_core::runtime::Builder;
use futures::FutureExt;
use tokio::sync::{Barrier, oneshot};
use tokio::task::yield_now;

/// Runs the test body under the current-thread loop, then under a 2-worker
/// multi-threaded loop.
fn both<F, Fut>(f: F)
where
    F: Fn(bool) -> Fut,
    Fut: Future<Output = ()>,
{
    Builder::new().current_thread().run(f(false));
    Builder::new().multi_thread().worker_threads(2).run(f(true));
}

/// Counts destructor runs.
#[derive(Clone, Default)]
struct Probe {
    drops: Arc<AtomicUsize>,
    ran_past: Arc<AtomicBool>,
    started: Arc<AtomicUsize>,
}

struct DropGuard(Arc<AtomicUsize>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

impl Probe {
    /// A child that counts its start, parks forever, and would flag if it ever ran on.
    fn parked<T, E>(&self) -> impl Future<Output = Result<T, E>> + Send + 'static {
        let guard = DropGuard(self.drops.clone());
        let ran_past = self.ran_past.clone();
        let started = self.started.clone();
        async move {
            let _guard = guard;
            started.fetch_add(1, SeqCst);
            pending::<()>().await;
            ran_past.store(true, SeqCst);
            unreachable!()
        }
    }
    fn drops(&self) -> usize {
        self.drops.load(SeqCst)
    }
    fn started(&self) -> usize {
        self.started.load(SeqCst)
    }
    fn ran_past(&self) -> bool {
        self.ran_past.load(SeqCst)
    }
}

async fn wait_until(mut cond: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if cond() {
            return;
        }
        yield_now().await;
    }
    panic!("condition never became true");
}

// 1. spawn / spawn_local / names / handles ------------------------------------------

#[test]
fn handles_return_values_and_carry_names() {
    both(|_| async {
        let out = TaskGroup::run(async |tg| {
            let a = tg.spawn(async { Ok::<_, String>(1) });
            let b = tg.spawn_named("b", async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                Ok(2)
            });
            assert_eq!(b.name(), Some("b"));
            assert_eq!(a.name(), None);
            Ok((a.await.unwrap(), b.await.unwrap()))
        })
        .await;
        assert_eq!(out.unwrap(), (1, 2));
    });
}

#[test]
fn spawn_local_takes_non_send_futures() {
    both(|_| async {
        let out = TaskGroup::run(async |tg| {
            let rc = Rc::new(20);
            let rc2 = rc.clone();
            let h = tg.spawn_local_named("local", async move {
                yield_now().await;
                Ok::<_, ()>(*rc2 + 1)
            });
            assert_eq!(h.name(), Some("local"));
            Ok(h.await.unwrap() + *rc)
        })
        .await;
        assert_eq!(out.unwrap(), 41);
    });
}

// 2. the group finishes only when every child has finished ---------------------------

#[test]
fn waits_for_children_and_grandchildren_spawned_after_the_body() {
    both(|_| async {
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        TaskGroup::run(async |tg| {
            let inner = tg.clone();
            tg.spawn(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let d2 = d.clone();
                // spawned after the body has returned
                inner.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    d2.fetch_add(1, SeqCst);
                    Ok::<_, ()>(())
                });
                d.fetch_add(1, SeqCst);
                Ok(())
            });
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(done.load(SeqCst), 2);
    });
}

// 3. first failure cancels siblings and body; one GroupError -------------------------

#[test]
fn first_child_failure_cancels_siblings_and_body() {
    both(|_| async {
        let p = Probe::default();
        let body_dropped = Arc::new(AtomicUsize::new(0));
        let body_ran_past = Arc::new(AtomicBool::new(false));
        let res = TaskGroup::run(async |tg| {
            let _g = DropGuard(body_dropped.clone());
            for _ in 0..5 {
                tg.spawn(p.parked::<(), &str>());
            }
            wait_until(|| p.started() == 5).await;
            tg.spawn_named("bad", async { Err::<(), _>("boom") });
            pending::<()>().await;
            body_ran_past.store(true, SeqCst);
            Ok(())
        })
        .await;
        let err = res.unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err.failures()[0].name(), Some("bad"));
        assert!(!err.failures()[0].is_body());
        assert_eq!(p.drops(), 5, "every sibling dropped exactly once");
        assert!(!p.ran_past());
        assert_eq!(body_dropped.load(SeqCst), 1);
        assert!(!body_ran_past.load(SeqCst));
        assert_eq!(err.into_errors(), vec!["boom"]);
    });
}

#[test]
fn body_failure_cancels_children() {
    both(|_| async {
        let p = Probe::default();
        let res = TaskGroup::run(async |tg| {
            for _ in 0..3 {
                tg.spawn(p.parked::<(), i32>());
            }
            wait_until(|| p.started() == 3).await;
            Err::<(), _>(7)
        })
        .await;
        let err = res.unwrap_err();
        assert!(err.failures()[0].is_body());
        assert_eq!(err.into_errors(), vec![7]);
        assert_eq!(p.drops(), 3);
        assert!(!p.ran_past());
    });
}

#[test]
fn failure_closes_the_group_and_handles_report_it() {
    both(|_| async {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let s = seen.clone();
        let res = TaskGroup::run(async |tg| {
            let tg2 = tg.clone();
            let (tx, rx) = oneshot::channel::<()>();
            // A child whose destructor (run during cancellation) tries to spawn.
            type Seen = Arc<std::sync::Mutex<Option<(bool, Option<ChildError>)>>>;
            struct SpawnOnDrop(Option<TaskGroup<&'static str>>, Seen);
            impl Drop for SpawnOnDrop {
                fn drop(&mut self) {
                    let tg = self.0.take().unwrap();
                    let ran = Arc::new(AtomicBool::new(false));
                    let r = ran.clone();
                    let h = tg.spawn(async move {
                        r.store(true, SeqCst);
                        Ok(())
                    });
                    let closed = tg.is_closed();
                    let res = h.now_or_never();
                    *self.1.lock().unwrap() =
                        Some((closed && !ran.load(SeqCst), res.map(|r| r.unwrap_err())));
                }
            }
            let guard = SpawnOnDrop(Some(tg2), s);
            tg.spawn(async move {
                let _guard = guard;
                let _ = tx.send(());
                pending::<()>().await;
                Ok(())
            });
            rx.await.unwrap();
            let bad = tg.spawn(async { Err::<(), _>("boom") });
            Ok(bad.await)
        })
        .await;
        assert_eq!(res.unwrap_err().into_errors(), vec!["boom"]);
        assert_eq!(
            *seen.lock().unwrap(),
            Some((true, Some(ChildError::Closed)))
        );
    });
}

#[test]
fn group_error_displays_iterates_and_converts() {
    both(|_| async {
        // Supervisor mode makes several failures deterministic, in order.
        let err: GroupError<String> = TaskGroup::supervise(async |tg| {
            let a = tg.spawn_named("first", async { Err::<(), _>("e1".to_string()) });
            let _ = a.await;
            let b = tg.spawn(async { Err::<(), _>("e2".to_string()) });
            let _ = b.await;
            Err::<(), _>("body".to_string())
        })
        .await
        .unwrap_err();
        assert_eq!(err.len(), 3);
        let names: Vec<_> = err.iter().map(|f| f.name()).collect();
        assert_eq!(names, [Some("first"), None, None]);
        let text = err.to_string();
        assert!(text.starts_with("3 failures in task group:"), "{text}");
        assert!(text.contains("task 'first' (spawned at "), "{text}");
        assert!(text.contains("failed: e1"), "{text}");
        assert!(text.contains("task spawned at "), "{text}");
        assert!(text.contains("the group's body failed: body"), "{text}");
        let errors: Vec<String> = err.into();
        assert_eq!(errors, ["e1", "e2", "body"]);
    });
}

#[test]
fn group_error_is_a_std_error() {
    Builder::new().run(async {
        let err = TaskGroup::run(async |tg| {
            tg.spawn(async { "x".parse::<i32>().map(drop) });
            Ok(())
        })
        .await
        .unwrap_err();
        let dyn_err: &dyn std::error::Error = &err;
        assert!(
            dyn_err
                .source()
                .unwrap()
                .to_string()
                .contains("invalid digit")
        );
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(
            boxed
                .to_string()
                .starts_with("1 failure in task group: task spawned at")
        );
    });
}

// 4. a panic cancels, waits, then resumes with the original payload ------------------

#[derive(Debug, PartialEq)]
struct Payload(u32);

#[test]
fn child_panic_cancels_waits_and_resumes_payload() {
    both(|_| async {
        let p = Probe::default();
        let res = AssertUnwindSafe(TaskGroup::run(async |tg| {
            for _ in 0..4 {
                tg.spawn(p.parked::<(), ()>());
            }
            wait_until(|| p.started() == 4).await;
            tg.spawn(async {
                std::panic::panic_any(Payload(42));
                #[allow(unreachable_code)]
                Ok::<(), ()>(())
            });
            pending::<()>().await;
            Ok(())
        }))
        .catch_unwind()
        .await;
        // When the panic reaches us, every sibling has already been dropped.
        assert_eq!(p.drops(), 4);
        assert!(!p.ran_past());
        let payload = res.unwrap_err();
        assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(42)));
    });
}

#[test]
fn body_panic_cancels_children_and_resumes() {
    both(|_| async {
        let p = Probe::default();
        let res = AssertUnwindSafe(TaskGroup::run(async |tg| {
            for _ in 0..4 {
                tg.spawn(p.parked::<(), ()>());
            }
            wait_until(|| p.started() == 4).await;
            if p.started() == 4 {
                std::panic::panic_any(Payload(7));
            }
            Ok(())
        }))
        .catch_unwind()
        .await;
        assert_eq!(p.drops(), 4);
        let payload = res.unwrap_err();
        assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(7)));
    });
}

// 5. dropping the group's future cancels every child ----------------------------------

#[test]
fn dropping_the_group_future_cancels_every_child_after_one_loop_turn() {
    Builder::new().current_thread().run(async {
        let p = Probe::default();
        let local_drops = Arc::new(AtomicUsize::new(0));
        let ld = local_drops.clone();
        let mut group = Box::pin(TaskGroup::run(async |tg| {
            for _ in 0..8 {
                tg.spawn(p.parked::<(), ()>());
            }
            let g = DropGuard(ld);
            let rc = Rc::new(());
            tg.spawn_local(async move {
                let _g = g;
                let _rc = rc;
                pending::<()>().await;
                Ok(())
            });
            pending::<()>().await;
            Ok(())
        }));
        // Drive the group until every child has started.
        for _ in 0..100 {
            assert!(futures::poll!(group.as_mut()).is_pending());
            yield_now().await;
            if p.started() == 8 {
                break;
            }
        }
        assert_eq!(p.started(), 8);
        assert_eq!(p.drops(), 0);
        drop(group);
        yield_now().await; // one turn of the loop
        assert_eq!(p.drops(), 8);
        assert_eq!(local_drops.load(SeqCst), 1);
        assert!(!p.ran_past());
    });
}

#[test]
fn dropping_the_group_future_cancels_every_child_multi_thread() {
    Builder::new().multi_thread().worker_threads(2).run(async {
        let p = Probe::default();
        let mut group = Box::pin(TaskGroup::run(async |tg| {
            for _ in 0..50 {
                tg.spawn(p.parked::<(), ()>());
            }
            pending::<()>().await;
            Ok(())
        }));
        assert!(futures::poll!(group.as_mut()).is_pending());
        wait_until(|| p.started() == 50).await;
        drop(group);
        // Worker threads drop the children asynchronously (tokio's abort semantics).
        wait_until(|| p.drops() == 50).await;
        assert!(!p.ran_past());
        assert_eq!(p.drops(), 50);
    });
}

#[test]
fn cancelling_the_task_running_the_group_cancels_children() {
    both(|_| async {
        let p = Probe::default();
        let p2 = p.clone();
        let task = asyncio_core::spawn(async move {
            TaskGroup::run(async |tg| {
                for _ in 0..10 {
                    tg.spawn(p2.parked::<(), ()>());
                }
                pending::<()>().await;
                Ok(())
            })
            .await
        });
        wait_until(|| p.started() == 10).await;
        assert_eq!(task.cancel().await.map(|r| r.is_ok()), None);
        wait_until(|| p.drops() == 10).await;
        assert!(!p.ran_past());
    });
}

// 6. children spawn children ----------------------------------------------------------

#[allow(clippy::manual_async_fn)] // recursive: the boxed future must be nameable as Send
fn tree(
    tg: TaskGroup<()>,
    depth: u32,
    leaves: Arc<AtomicUsize>,
) -> impl Future<Output = Result<(), ()>> + Send + 'static {
    async move {
        if depth == 0 {
            leaves.fetch_add(1, SeqCst);
        } else {
            for _ in 0..2 {
                tg.spawn(tree(tg.clone(), depth - 1, leaves.clone()).boxed());
            }
        }
        Ok(())
    }
}

#[test]
fn children_spawn_children_through_a_cloned_handle() {
    both(|_| async {
        let leaves = Arc::new(AtomicUsize::new(0));
        let l = leaves.clone();
        TaskGroup::run(async move |tg| {
            tg.spawn(tree(tg.clone(), 6, l).boxed());
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(leaves.load(SeqCst), 64);
    });
}

// 7. supervisor -----------------------------------------------------------------------

#[test]
fn supervisor_collects_failures_without_cancelling_siblings() {
    both(|_| async {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        let res = TaskGroup::supervise(async |tg| {
            let bad = tg.spawn_named("bad", async { Err::<u32, _>("boom") });
            let slow = tg.spawn_named("slow", async move {
                b.wait().await;
                Ok(5)
            });
            assert_eq!(bad.await, Err(ChildError::Failed));
            assert!(!tg.is_closed());
            barrier.wait().await; // `slow` still runs after `bad` failed
            let late = tg.spawn_named("late", async { Err::<u32, _>("late") });
            assert_eq!(slow.await, Ok(5));
            assert_eq!(late.await, Err(ChildError::Failed));
            Ok(())
        })
        .await;
        let err = res.unwrap_err();
        let names: Vec<_> = err.iter().map(|f| f.name().unwrap()).collect();
        assert_eq!(names, ["bad", "late"]);
    });
}

#[test]
fn supervisor_still_cancels_on_panic() {
    both(|_| async {
        let p = Probe::default();
        let res = AssertUnwindSafe(TaskGroup::supervise(async |tg| {
            tg.spawn(p.parked::<(), ()>());
            wait_until(|| p.started() == 1).await;
            tg.spawn(async {
                std::panic::panic_any(Payload(1));
                #[allow(unreachable_code)]
                Ok::<(), ()>(())
            });
            Ok(())
        }))
        .catch_unwind()
        .await;
        assert_eq!(
            res.unwrap_err().downcast_ref::<Payload>(),
            Some(&Payload(1))
        );
        assert_eq!(p.drops(), 1);
    });
}

// 8. spawning into a closed group never runs ------------------------------------------

#[test]
fn spawn_after_the_group_finished_is_refused() {
    both(|_| async {
        let (tx, rx) = std::sync::mpsc::channel();
        TaskGroup::run(async |tg| {
            tx.send(tg.clone()).unwrap();
            Ok::<_, ()>(())
        })
        .await
        .unwrap();
        let tg = rx.recv().unwrap();
        assert!(tg.is_closed());
        let p = Probe::default();
        let h = tg.spawn(p.parked::<(), ()>());
        assert_eq!(p.drops(), 1, "the refused future is dropped at once");
        assert!(h.is_finished());
        assert_eq!(h.await, Err(ChildError::Closed));
        assert_eq!(p.started(), 0);
    });
}

#[test]
fn abort_cancels_one_child_without_failing_the_group() {
    both(|_| async {
        let p = Probe::default();
        let out = TaskGroup::run(async |tg| {
            let h = tg.spawn(p.parked::<(), ()>());
            wait_until(|| p.started() == 1).await;
            h.abort();
            assert_eq!(h.await, Err(ChildError::Cancelled));
            Ok(3)
        })
        .await;
        assert_eq!(out, Ok(3));
        assert_eq!(p.drops(), 1);
    });
}

#[test]
#[should_panic(expected = "no running event loop")]
fn run_outside_a_loop_panics_with_a_helpful_message() {
    let _ = futures::executor::block_on(TaskGroup::run(async |_tg| Ok::<_, ()>(())));
}
