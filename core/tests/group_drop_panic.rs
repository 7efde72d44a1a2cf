//! A panic in a child's `Drop` never aborts and never hides the first failure (issue
//! 16, part 4), for `scope` and `TaskGroup`; and `scope(..)`, `TaskGroup::run(..)` and
//! a `GroupTask` polled after completion panic with a message naming the API.
//!
//! The rule: a group catches the first failure (a child's or the body's panic or
//! `Err`), drops everything else outside any unwind, catching the `Drop`s' panics, and
//! then reports that first failure; a later `Drop` panic never replaces it. When the
//! only failure is a `Drop` panic, it is the group's panic. Every handle resolves.
//!
//! The `scope` tests need no runtime (`futures::executor::block_on`), so they also run
//! under Miri: `cargo +nightly miri test -p asyncio-core --test group_drop_panic scope`.

use std::cell::RefCell;
use std::future::{Future, pending};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use asyncio_core::group::{ChildError, GroupTask, ScopeTask, TaskGroup, scope, supervise_scope};
use futures::FutureExt;
use futures::executor::block_on;

// ---------- helpers ----------

/// The message of the panic a child raises itself.
const ORIGINAL: &str = "the original panic";
/// The message of the panic a sibling's (or the body's) `Drop` raises.
const BOMB: &str = "a sibling's Drop panicked";
/// The message of the panic a finished child's own `Drop` raises.
const OWN: &str = "the finished child's own Drop panicked";

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

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

/// A child that never finishes and panics with [`BOMB`] when it is dropped.
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

/// Pending a few times (so the siblings have started), then panics with [`ORIGINAL`];
/// counts its drop.
fn panics_later<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        for _ in 0..3 {
            yield_once().await;
        }
        panic!("the original panic")
    }
}

/// Pending a few times, then returns `out`; counts its drop.
fn ready_later<T: Send + 'static>(
    drops: &Arc<AtomicUsize>,
    out: T,
) -> impl Future<Output = T> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        for _ in 0..3 {
            yield_once().await;
        }
        out
    }
}

/// A future that returns `out` on its first poll and whose own `Drop` then panics
/// with [`OWN`] (the child "returned `Ready(Ok(1))` and its `Drop` panicked").
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

fn assert_payload(p: &(dyn std::any::Any + Send), expected: &str) {
    assert_eq!(
        p.downcast_ref::<&str>(),
        Some(&expected),
        "expected the payload {expected:?}, got {:?}",
        payload_str(p)
    );
}

fn assert_each_dropped_once(counters: &[&Arc<AtomicUsize>]) {
    for (i, c) in counters.iter().enumerate() {
        assert_eq!(c.load(SeqCst), 1, "child {i} must be dropped exactly once");
    }
}

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

#[cfg(not(miri))]
const CHILD_ENV: &str = "ASYNCIO_DROP_PANIC_CHILD";

/// Runs `scenario` in a fresh copy of this test binary (run as the single test `name`),
/// so that an abort there ("panic in a destructor during cleanup") does not take this
/// run down; asserts that the copy neither aborted nor failed, that it ran the test,
/// and that its stderr shows each of `panics` (printed by the panic hook).
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

// ---------- scope ----------

#[test]
fn scope_child_panic_with_drop_panics_in_a_sibling_and_the_body_resumes_the_original() {
    // Aborted before the fix: the body's `Drop` panic replaced the original, and the
    // scope's future, dropped during that unwind, then dropped the sibling bomb.
    in_child_process(
        "scope_child_panic_with_drop_panics_in_a_sibling_and_the_body_resumes_the_original",
        &[ORIGINAL, BOMB],
        scope_child_panic_with_drop_panics,
    );
}

fn scope_child_panic_with_drop_panics() {
    let (bomb, quiet, panicker, body_bomb) = (counter(), counter(), counter(), counter());
    let handles: RefCell<Vec<ScopeTask<'_, ()>>> = RefCell::new(Vec::new());
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(scope(async |s| {
            let _body_bomb = Bomb(body_bomb.clone(), BOMB);
            handles.borrow_mut().extend([
                s.spawn(parked_bomb::<Result<(), ()>>(&bomb)),
                s.spawn(parked(&quiet)),
                s.spawn(panics_later(&panicker)),
            ]);
            pending::<()>().await;
            Ok(())
        }))
    }));
    let payload = res.expect_err("the child's panic must resume in the caller");
    assert_payload(&*payload, ORIGINAL);
    assert_each_dropped_once(&[&bomb, &quiet, &panicker, &body_bomb]);
    // Every handle resolved: the two whose child panicked (in its poll, or in its
    // `Drop`) say so; the quiet one was cancelled.
    let mut handles = handles.into_inner();
    let got: Vec<_> = handles.iter_mut().map(poll_once).collect();
    assert_eq!(
        got,
        [
            Poll::Ready(Err(ChildError::Panicked)),
            Poll::Ready(Err(ChildError::Cancelled)),
            Poll::Ready(Err(ChildError::Panicked)),
        ]
    );
}

#[test]
fn scope_child_err_with_drop_panics_in_a_sibling_and_the_body_returns_the_error() {
    let (bomb, quiet, failing, body_bomb) = (counter(), counter(), counter(), counter());
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(scope(async |s| {
            let _body_bomb = Bomb(body_bomb.clone(), BOMB);
            s.spawn(parked_bomb::<Result<(), &str>>(&bomb));
            s.spawn(parked::<Result<(), &str>>(&quiet));
            s.spawn(ready_later(&failing, Err::<(), _>("the first error")));
            pending::<()>().await;
            Ok(())
        }))
    }));
    let err = res
        .unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)))
        .unwrap_err();
    assert_eq!(err.into_errors(), ["the first error"]);
    assert_each_dropped_once(&[&bomb, &quiet, &failing, &body_bomb]);
}

#[test]
fn scope_task_kept_past_the_scope_resolves_when_its_childs_drop_panics() {
    let (own, quiet) = (counter(), counter());
    let kept: RefCell<Option<ScopeTask<'_, u32>>> = RefCell::new(None);
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(scope(async |s| {
            s.spawn(parked::<Result<(), ()>>(&quiet));
            *kept.borrow_mut() = Some(s.spawn(bomb_future(&own, Ok(1))));
            Ok(())
        }))
    }));
    // The child returned `Ok(1)`, then its `Drop` panicked: the only failure, so the
    // scope resumes that panic, having dropped the sibling.
    let payload = res.expect_err("the Drop's panic must resume in the caller");
    assert_payload(&*payload, OWN);
    assert_each_dropped_once(&[&own, &quiet]);
    let mut handle = kept.into_inner().unwrap();
    assert!(handle.is_finished());
    assert_eq!(
        poll_once(&mut handle),
        Poll::Ready(Err(ChildError::Panicked))
    );
}

#[test]
fn scope_child_err_whose_own_drop_panics_returns_the_error() {
    let (own, quiet) = (counter(), counter());
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(scope(async |s| {
            s.spawn(parked::<Result<(), &str>>(&quiet));
            let h = s.spawn(bomb_future(&own, Err::<(), _>("the first error")));
            assert_eq!(h.await, Err(ChildError::Failed));
            Ok(())
        }))
    }));
    let err = res
        .unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)))
        .unwrap_err();
    assert_eq!(err.into_errors(), ["the first error"]);
    assert_each_dropped_once(&[&own, &quiet]);
}

#[test]
fn supervise_scope_child_panic_with_a_sibling_drop_panic_resumes_the_original() {
    let (bomb, panicker) = (counter(), counter());
    let res = catch_unwind(AssertUnwindSafe(|| {
        block_on(supervise_scope(async |s| {
            s.spawn(parked_bomb::<Result<(), ()>>(&bomb));
            s.spawn(panics_later::<Result<(), ()>>(&panicker));
            Ok(())
        }))
    }));
    assert_payload(&*res.unwrap_err(), ORIGINAL);
    assert_each_dropped_once(&[&bomb, &panicker]);
}

#[test]
fn dropping_a_scope_whose_children_panic_in_drop_does_not_abort() {
    // Cancellation by drop: the first `Drop` panic continues from the drop, the later
    // ones are dropped (a second panic during that unwind would abort).
    in_child_process(
        "dropping_a_scope_whose_children_panic_in_drop_does_not_abort",
        &[BOMB],
        dropping_a_scope_whose_children_panic_in_drop,
    );
}

fn dropping_a_scope_whose_children_panic_in_drop() {
    let (bomb, bomb2, quiet) = (counter(), counter(), counter());
    let res = catch_unwind(AssertUnwindSafe(|| {
        let mut fut = pin!(scope(async |s| {
            s.spawn(parked_bomb::<Result<(), ()>>(&bomb));
            s.spawn(parked::<Result<(), ()>>(&quiet));
            s.spawn(parked_bomb::<Result<(), ()>>(&bomb2));
            pending::<()>().await;
            Ok(())
        }));
        assert!(
            fut.as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
    }));
    assert_payload(&*res.unwrap_err(), BOMB);
    assert_each_dropped_once(&[&bomb, &bomb2, &quiet]);
}

#[test]
#[should_panic(expected = "`scope` polled after it completed")]
fn scope_polled_after_completion_panics_naming_scope() {
    let mut fut = pin!(scope(async |_s| Ok::<_, ()>(1)));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    let _ = fut.as_mut().poll(&mut cx);
}

#[test]
#[should_panic(expected = "`supervise_scope` polled after it completed")]
fn supervise_scope_polled_after_completion_panics_naming_it() {
    let mut fut = pin!(supervise_scope(async |_s| Ok::<_, ()>(1)));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    let _ = fut.as_mut().poll(&mut cx);
}

// ---------- TaskGroup ----------

#[cfg(not(miri))]
mod task_group {
    use super::*;
    use asyncio_core::runtime::Builder;

    /// Runs the test body under the current-thread loop, then under a 2-worker
    /// multi-threaded loop.
    fn both<F, Fut>(f: F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        Builder::new().current_thread().run(f());
        Builder::new().multi_thread().worker_threads(2).run(f());
    }

    /// `fut`, or a failed test if it takes more than 20 s (a group that swallowed the
    /// panic that should have cancelled it never ends).
    async fn within<F: Future>(fut: F) -> F::Output {
        tokio::time::timeout(std::time::Duration::from_secs(20), fut)
            .await
            .expect("the group never finished")
    }

    /// Waits (yielding to the loop) until `n` drops were counted.
    async fn dropped(c: &AtomicUsize, n: usize) {
        for _ in 0..100_000 {
            if c.load(SeqCst) >= n {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("never dropped");
    }

    #[test]
    fn task_group_child_ok_whose_drop_panics_resumes_the_panic_and_its_handle_says_so() {
        both(|| async {
            let (own, quiet) = (counter(), counter());
            let kept: Arc<Mutex<Option<GroupTask<u32>>>> = Arc::default();
            let res = within(
                AssertUnwindSafe(TaskGroup::run(async |tg| {
                    tg.spawn(parked::<Result<(), ()>>(&quiet));
                    *kept.lock().unwrap() = Some(tg.spawn(bomb_future(&own, Ok(1))));
                    Ok(())
                }))
                .catch_unwind(),
            )
            .await;
            let payload = res.expect_err("the child's Drop panic must resume in the caller");
            assert_payload(&*payload, OWN);
            assert_each_dropped_once(&[&own, &quiet]);
            let handle = kept.lock().unwrap().take().unwrap();
            assert_eq!(handle.await, Err(ChildError::Panicked));
        });
    }

    #[test]
    fn task_group_child_panic_with_drop_panics_in_a_sibling_and_the_body_resumes_the_original() {
        both(|| async {
            let (bomb, quiet, panicker, body_bomb) = (counter(), counter(), counter(), counter());
            let res = within(
                AssertUnwindSafe(TaskGroup::run(async |tg| {
                    let _body_bomb = Bomb(body_bomb.clone(), BOMB);
                    tg.spawn(parked_bomb::<Result<(), ()>>(&bomb));
                    tg.spawn(parked::<Result<(), ()>>(&quiet));
                    tg.spawn(panics_later::<Result<(), ()>>(&panicker));
                    pending::<()>().await;
                    Ok(())
                }))
                .catch_unwind(),
            )
            .await;
            assert_payload(&*res.unwrap_err(), ORIGINAL);
            assert_each_dropped_once(&[&bomb, &quiet, &panicker, &body_bomb]);
        });
    }

    #[test]
    fn task_group_child_err_with_drop_panics_in_a_sibling_and_the_body_returns_the_error() {
        both(|| async {
            let (bomb, quiet, failing, body_bomb) = (counter(), counter(), counter(), counter());
            let res = within(
                AssertUnwindSafe(TaskGroup::run(async |tg| {
                    let _body_bomb = Bomb(body_bomb.clone(), BOMB);
                    tg.spawn(parked_bomb::<Result<(), &str>>(&bomb));
                    tg.spawn(parked::<Result<(), &str>>(&quiet));
                    tg.spawn(ready_later(&failing, Err::<(), _>("the first error")));
                    pending::<()>().await;
                    Ok(())
                }))
                .catch_unwind(),
            )
            .await;
            let err = res
                .unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)))
                .unwrap_err();
            assert_eq!(err.into_errors(), ["the first error"]);
            assert_each_dropped_once(&[&bomb, &quiet, &failing, &body_bomb]);
        });
    }

    #[test]
    fn task_group_aborted_child_whose_drop_panics_is_the_groups_panic() {
        both(|| async {
            let (bomb, quiet) = (counter(), counter());
            let kept: Arc<Mutex<Option<GroupTask<()>>>> = Arc::default();
            let res = within(
                AssertUnwindSafe(TaskGroup::run(async |tg| {
                    tg.spawn(parked::<Result<(), ()>>(&quiet));
                    let h = tg.spawn(parked_bomb::<Result<(), ()>>(&bomb));
                    tokio::task::yield_now().await;
                    h.abort();
                    *kept.lock().unwrap() = Some(h);
                    dropped(&bomb, 1).await;
                    Ok(())
                }))
                .catch_unwind(),
            )
            .await;
            assert_payload(
                &*res.expect_err("the only failure is the Drop's panic"),
                BOMB,
            );
            assert_each_dropped_once(&[&bomb, &quiet]);
            let handle = kept.lock().unwrap().take().unwrap();
            assert_eq!(handle.await, Err(ChildError::Panicked));
        });
    }

    #[test]
    #[should_panic(expected = "`GroupTask` polled after it completed")]
    fn group_task_awaited_twice_panics_naming_group_task() {
        Builder::new()
            .current_thread()
            .run(async {
                TaskGroup::run(async |tg| {
                    let mut h = tg.spawn(async { Ok::<_, ()>(1) });
                    assert_eq!((&mut h).await, Ok(1));
                    let _ = (&mut h).await;
                    Ok(())
                })
                .await
            })
            .unwrap();
    }

    #[test]
    #[should_panic(expected = "`GroupTask` polled after it completed")]
    fn group_task_of_a_closed_group_awaited_twice_panics_naming_group_task() {
        Builder::new().current_thread().run(async {
            let mut late = None;
            TaskGroup::run(async |tg| {
                late = Some(tg.clone());
                Ok::<_, ()>(())
            })
            .await
            .unwrap();
            let mut h = late.unwrap().spawn(async { Ok::<_, ()>(1) });
            assert_eq!((&mut h).await, Err(ChildError::Closed));
            let _ = (&mut h).await;
        });
    }

    #[test]
    #[should_panic(expected = "`TaskGroup::run` polled after it completed")]
    fn task_group_run_polled_after_completion_panics_naming_run() {
        Builder::new().current_thread().run(async {
            let mut fut = pin!(TaskGroup::run(async |_tg| Ok::<_, ()>(1)));
            let first = std::future::poll_fn(|cx| fut.as_mut().poll(cx)).await;
            assert_eq!(first, Ok(1));
            let _ = std::future::poll_fn(|cx| fut.as_mut().poll(cx)).await;
        });
    }

    #[test]
    #[should_panic(expected = "`TaskGroup::supervise` polled after it completed")]
    fn task_group_supervise_polled_after_completion_panics_naming_it() {
        Builder::new().current_thread().run(async {
            let mut fut = pin!(TaskGroup::supervise(async |_tg| Ok::<_, ()>(1)));
            let first = std::future::poll_fn(|cx| fut.as_mut().poll(cx)).await;
            assert_eq!(first, Ok(1));
            let _ = std::future::poll_fn(|cx| fut.as_mut().poll(cx)).await;
        });
    }
}

/// The `TaskGroup` cases on tokio's bare current-thread runtime, so that they also run
/// under Miri (the child drops its `ManuallyDrop` future in place and tags its link:
/// `cargo +nightly miri test -p asyncio-core --test group_drop_panic task_group_on`).
#[test]
fn task_group_on_a_bare_current_thread_runtime_reports_drop_panics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        // Ok(1), then the child's `Drop` panics: the group's panic; the handle says so.
        let (own, quiet) = (counter(), counter());
        let kept: Arc<Mutex<Option<GroupTask<u32>>>> = Arc::default();
        let res = AssertUnwindSafe(TaskGroup::run(async |tg| {
            tg.spawn(parked::<Result<(), ()>>(&quiet));
            *kept.lock().unwrap() = Some(tg.spawn(bomb_future(&own, Ok(1))));
            Ok(())
        }))
        .catch_unwind()
        .await;
        assert_payload(&*res.unwrap_err(), OWN);
        assert_each_dropped_once(&[&own, &quiet]);
        let handle = kept.lock().unwrap().take().unwrap();
        assert_eq!(handle.await, Err(ChildError::Panicked));

        // An `Err`, then the siblings' and the body's `Drop`s panic: the `Err` stands.
        let (bomb, failing, body_bomb) = (counter(), counter(), counter());
        let res = AssertUnwindSafe(TaskGroup::run(async |tg| {
            let _body_bomb = Bomb(body_bomb.clone(), BOMB);
            tg.spawn(parked_bomb::<Result<(), &str>>(&bomb));
            tg.spawn(ready_later(&failing, Err::<(), _>("the first error")));
            pending::<()>().await;
            Ok(())
        }))
        .catch_unwind()
        .await;
        let err = res
            .unwrap_or_else(|p| panic!("the Err was replaced by {:?}", payload_str(&*p)))
            .unwrap_err();
        assert_eq!(err.into_errors(), ["the first error"]);
        assert_each_dropped_once(&[&bomb, &failing, &body_bomb]);

        // A named child aborted while parked (its link holds a boxed `Extra`), whose
        // `Drop` panics: the only failure, so the group's panic.
        let bomb = counter();
        let kept: Arc<Mutex<Option<GroupTask<()>>>> = Arc::default();
        let res = AssertUnwindSafe(TaskGroup::run(async |tg| {
            let h = tg.spawn_named("bomb", parked_bomb::<Result<(), ()>>(&bomb));
            tokio::task::yield_now().await;
            h.abort();
            *kept.lock().unwrap() = Some(h);
            pending::<()>().await; // cancelled by the group's panic
            Ok(())
        }))
        .catch_unwind()
        .await;
        assert_payload(&*res.unwrap_err(), BOMB);
        assert_each_dropped_once(&[&bomb]);
        let handle = kept.lock().unwrap().take().unwrap();
        assert_eq!(handle.await, Err(ChildError::Panicked));
    });
}
