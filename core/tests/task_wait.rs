//! `wait(tasks, ReturnWhen::…)` (asyncio.wait) and the `Task` output stash behind it.
//!
//! Every scenario runs under the current-thread and a 2-worker multi-threaded loop. Task
//! completion is driven by gates (oneshot channels), never by the clock, so the order
//! of events is fixed in both flavors.
#![cfg(not(miri))]

use std::future::Future;
use std::panic::{AssertUnwindSafe, panic_any};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};

use asyncio_core::task::{Builder, ReturnWhen, Task, wait};
use futures::FutureExt;
use tokio::sync::oneshot;
use tokio::task::yield_now;

/// Generates `mod $name { current_thread, multi_thread }` running `$body().await`.
macro_rules! both_flavors {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "current_thread")]
            async fn current_thread() {
                super::$name().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                super::$name().await
            }
        }
    )*};
}

/// A task named `name` that returns `value` once its gate is opened (or at once).
fn gated<T: Send + 'static>(name: &'static str, value: T) -> (oneshot::Sender<()>, Task<T>) {
    let (open, gate) = oneshot::channel::<()>();
    let task = Builder::new().name(name).spawn(async move {
        let _ = gate.await;
        value
    });
    (open, task)
}

fn ready<T: Send + 'static>(name: &'static str, value: T) -> Task<T> {
    Builder::new().name(name).spawn(async move { value })
}

/// Waits until `cond()` holds: yields, then naps 1 ms at a time (a worker thread of the
/// multi-threaded loop may need a moment on a busy machine). Bounded, so a broken test
/// fails instead of hanging; no assertion depends on how long it took.
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..100 {
        if cond() {
            return;
        }
        yield_now().await;
    }
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("{what} did not happen");
}

async fn until_finished<T>(task: &Task<T>) {
    until(&format!("{task:?} finishing"), || task.is_finished()).await;
}

/// Awaits `f`, failing the test (instead of hanging it) if it takes more than 10 s of
/// real time: a safety net for a broken `wait`, not a timing assertion.
async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(10), f)
        .await
        .expect("`wait` did not return")
}

/// The names of borrowed tasks.
fn names<T>(items: &[&mut Task<T>]) -> Vec<String> {
    items
        .iter()
        .map(|t| t.name().unwrap_or("?").to_owned())
        .collect()
}

/// The names of owned tasks.
fn task_names<T>(items: &[Task<T>]) -> Vec<&str> {
    items.iter().map(|t| t.name().unwrap_or("?")).collect()
}

/// Counts the polls of the future it wraps.
struct CountPolls<F> {
    polls: Arc<AtomicUsize>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Counts drops; dropped with the future that owns it.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[derive(Debug, PartialEq)]
struct Payload(u32);

// ------------------------------------------------------------ FirstCompleted

both_flavors!(
    first_completed_puts_every_finished_task_in_done_in_input_order,
    first_completed_waits_until_one_is_done,
    first_completed_with_borrowed_tasks,
    first_exception_returns_at_the_first_err,
    first_exception_without_errors_waits_for_all,
    first_exception_counts_a_panic_and_keeps_its_payload,
    all_completed_returns_in_input_order_whatever_the_finishing_order,
    all_completed_with_borrowed_tasks,
    an_already_awaited_borrowed_task_counts_as_done,
    wait_does_not_spin_while_nothing_finishes,
    dropping_the_wait_cancels_owned_tasks,
    dropping_the_wait_leaves_borrowed_tasks_running,
    stashed_output_is_handed_to_cancel,
    stashed_panic_resumes_in_cancel,
);

async fn first_completed_puts_every_finished_task_in_done_in_input_order() {
    let (open0, t0) = gated("t0", 0);
    let t1 = ready("t1", 1);
    let (open2, t2) = gated("t2", 2);
    let t3 = ready("t3", 3);
    until_finished(&t1).await;
    until_finished(&t3).await;

    let (done, pending) = within(wait([t0, t1, t2, t3], ReturnWhen::FirstCompleted)).await;
    assert_eq!(task_names(&done), ["t1", "t3"]);
    assert_eq!(task_names(&pending), ["t0", "t2"]);
    assert!(
        pending.iter().all(|t| !t.is_finished()),
        "nothing is cancelled"
    );

    let mut outputs = Vec::new();
    for t in done {
        outputs.push(t.await);
    }
    assert_eq!(outputs, [1, 3]);

    // The pending tasks kept running: open their gates and take their outputs.
    open0.send(()).unwrap();
    open2.send(()).unwrap();
    let mut outputs = Vec::new();
    for t in pending {
        outputs.push(t.await);
    }
    assert_eq!(outputs, [0, 2]);
}

async fn first_completed_waits_until_one_is_done() {
    let (open0, t0) = gated("t0", "zero");
    let (open1, t1) = gated("t1", "one");
    let mut w = pin!(wait([t0, t1], ReturnWhen::FirstCompleted));
    assert!(futures::poll!(w.as_mut()).is_pending());
    yield_now().await;
    assert!(
        futures::poll!(w.as_mut()).is_pending(),
        "nothing finished yet"
    );

    open1.send(()).unwrap();
    let (done, pending) = within(w).await;
    assert_eq!(task_names(&done), ["t1"]);
    assert_eq!(task_names(&pending), ["t0"]);
    open0.send(()).unwrap();
    for t in pending {
        assert_eq!(t.await, "zero");
    }
    for t in done {
        assert_eq!(t.await, "one");
    }
}

async fn first_completed_with_borrowed_tasks() {
    let (open0, mut t0) = gated("t0", 0);
    let mut t1 = ready("t1", 1);
    until_finished(&t1).await;
    {
        let (done, pending) = within(wait([&mut t0, &mut t1], ReturnWhen::FirstCompleted)).await;
        assert_eq!(names(&done), ["t1"]);
        assert_eq!(names(&pending), ["t0"]);
    }
    assert!(t1.is_finished());
    assert!(!t0.is_finished());
    open0.send(()).unwrap();
    assert_eq!(t0.await, 0);
    assert_eq!(t1.await, 1);
}

// ------------------------------------------------------------ FirstException

async fn first_exception_returns_at_the_first_err() {
    let (open0, t0) = gated("t0", Ok::<u8, String>(0));
    let (open1, t1) = gated("t1", Err("bad".to_string()));
    let (open2, t2) = gated("t2", Ok(2));
    let mut w = pin!(wait([t0, t1, t2], ReturnWhen::FirstException));
    assert!(futures::poll!(w.as_mut()).is_pending());

    open1.send(()).unwrap();
    let (done, pending) = within(w).await;
    assert_eq!(task_names(&done), ["t1"]);
    assert_eq!(task_names(&pending), ["t0", "t2"]);
    for t in done {
        assert_eq!(t.await, Err("bad".to_string()));
    }
    open0.send(()).unwrap();
    open2.send(()).unwrap();
    let mut outputs = Vec::new();
    for t in pending {
        outputs.push(t.await);
    }
    assert_eq!(outputs, [Ok(0), Ok(2)]);
}

async fn first_exception_without_errors_waits_for_all() {
    let (open0, t0) = gated("t0", Ok::<u8, ()>(0));
    let (open1, t1) = gated("t1", Ok(1));
    let mut w = pin!(wait([t0, t1], ReturnWhen::FirstException));
    assert!(futures::poll!(w.as_mut()).is_pending());

    open1.send(()).unwrap();
    for _ in 0..50 {
        yield_now().await;
    }
    assert!(
        futures::poll!(w.as_mut()).is_pending(),
        "an Ok is not an exception: it waits for all"
    );

    open0.send(()).unwrap();
    let (done, pending) = within(w).await;
    assert_eq!(task_names(&done), ["t0", "t1"]);
    assert!(pending.is_empty());
    let mut outputs = Vec::new();
    for t in done {
        outputs.push(t.await);
    }
    assert_eq!(outputs, [Ok(0), Ok(1)]);
}

async fn first_exception_counts_a_panic_and_keeps_its_payload() {
    let (open0, t0) = gated("t0", Ok::<u8, ()>(0));
    let t1: Task<Result<u8, ()>> = Builder::new()
        .name("t1")
        .spawn(async { panic_any(Payload(42)) });

    let (done, pending) = within(wait([t0, t1], ReturnWhen::FirstException)).await;
    assert_eq!(task_names(&done), ["t1"]);
    assert_eq!(task_names(&pending), ["t0"]);

    for t in done {
        let payload = AssertUnwindSafe(t).catch_unwind().await.unwrap_err();
        assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(42)));
    }
    open0.send(()).unwrap();
    for t in pending {
        assert_eq!(t.await, Ok(0));
    }
}

// ------------------------------------------------------------ AllCompleted

async fn all_completed_returns_in_input_order_whatever_the_finishing_order() {
    let (open0, t0) = gated("t0", 'a');
    let (open1, t1) = gated("t1", 'b');
    let (open2, t2) = gated("t2", 'c');
    let mut w = pin!(wait([t0, t1, t2], ReturnWhen::AllCompleted));
    assert!(futures::poll!(w.as_mut()).is_pending());
    open2.send(()).unwrap();
    open1.send(()).unwrap();
    for _ in 0..50 {
        yield_now().await;
    }
    assert!(
        futures::poll!(w.as_mut()).is_pending(),
        "t0 is still running"
    );
    open0.send(()).unwrap();

    let (done, pending) = within(w).await;
    assert!(pending.is_empty());
    assert_eq!(task_names(&done), ["t0", "t1", "t2"]);
    let mut outputs = String::new();
    for t in done {
        outputs.push(t.await);
    }
    assert_eq!(outputs, "abc");
}

async fn all_completed_with_borrowed_tasks() {
    let (open0, mut t0) = gated("t0", 10);
    let (open1, mut t1) = gated("t1", 11);
    open1.send(()).unwrap();
    open0.send(()).unwrap();
    {
        let (done, pending) = within(wait([&mut t0, &mut t1], ReturnWhen::AllCompleted)).await;
        assert_eq!(names(&done), ["t0", "t1"]);
        assert!(pending.is_empty());
    }
    assert_eq!(t0.await + t1.await, 21);
}

async fn an_already_awaited_borrowed_task_counts_as_done() {
    let mut t0 = ready("t0", 0);
    assert_eq!((&mut t0).await, 0);
    assert!(
        t0.is_finished(),
        "is_finished does not panic once the output is taken"
    );
    let (_open1, mut t1) = gated("t1", 1);
    let (done, pending) = within(wait([&mut t0, &mut t1], ReturnWhen::FirstCompleted)).await;
    assert_eq!(names(&done), ["t0"]);
    assert_eq!(names(&pending), ["t1"]);
}

async fn wait_does_not_spin_while_nothing_finishes() {
    let (open0, t0) = gated("t0", 0);
    let (_open1, t1) = gated("t1", 1);
    let polls = Arc::new(AtomicUsize::new(0));
    let waiter = asyncio_core::spawn(CountPolls {
        polls: Arc::clone(&polls),
        inner: Box::pin(async move {
            let (done, _pending) = within(wait([t0, t1], ReturnWhen::FirstCompleted)).await;
            task_names(&done).join(",")
        }),
    });
    until("the first poll of the waiter", || polls.load(SeqCst) >= 1).await;
    for _ in 0..200 {
        yield_now().await;
    }
    assert_eq!(
        polls.load(SeqCst),
        1,
        "polled once, then asleep until a task finishes"
    );
    open0.send(()).unwrap();
    assert_eq!(waiter.await, "t0");
    let polls = polls.load(SeqCst);
    assert!(
        (2..=3).contains(&polls),
        "woken by t0's end only: {polls} polls"
    );
}

async fn dropping_the_wait_cancels_owned_tasks() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut stopped = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (tx, rx) = oneshot::channel::<()>();
        let guard = DropGuard(Arc::clone(&drops));
        tasks.push(asyncio_core::spawn(async move {
            let _guard = guard;
            let _tx = tx; // dropped with the task's future
            std::future::pending::<()>().await
        }));
        stopped.push(rx);
    }
    let mut w = Box::pin(wait(tasks, ReturnWhen::AllCompleted));
    assert!(futures::poll!(w.as_mut()).is_pending());
    yield_now().await;
    assert_eq!(drops.load(SeqCst), 0);

    drop(w); // drops the owned Tasks, which cancels them
    for rx in stopped {
        assert!(
            rx.await.is_err(),
            "the task's future was dropped, not finished"
        );
    }
    assert_eq!(drops.load(SeqCst), 3);
}

async fn dropping_the_wait_leaves_borrowed_tasks_running() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(Arc::clone(&drops));
    let (open, gate) = oneshot::channel::<()>();
    let mut task = asyncio_core::spawn(async move {
        let _guard = guard;
        gate.await.unwrap();
        "still ran"
    });
    {
        let mut w = Box::pin(wait([&mut task], ReturnWhen::AllCompleted));
        assert!(futures::poll!(w.as_mut()).is_pending());
    } // the wait is dropped here
    for _ in 0..50 {
        yield_now().await;
    }
    assert_eq!(drops.load(SeqCst), 0, "not cancelled");
    open.send(()).unwrap();
    assert_eq!(task.await, "still ran");
    assert_eq!(drops.load(SeqCst), 1);
}

// ------------------------------------------------------------ the stash

async fn stashed_output_is_handed_to_cancel() {
    let t = ready("t", 5);
    let (mut done, _) = within(wait([t], ReturnWhen::AllCompleted)).await;
    let t = done.pop().unwrap();
    assert!(t.is_finished());
    assert_eq!(t.cancel().await, Some(5));
}

async fn stashed_panic_resumes_in_cancel() {
    let t: Task<()> = asyncio_core::spawn(async { panic_any(Payload(9)) });
    let (mut done, _) = within(wait([t], ReturnWhen::AllCompleted)).await;
    let t = done.pop().unwrap();
    let payload = AssertUnwindSafe(t.cancel())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(9)));
}

// ------------------------------------------------------------ single cases

#[test]
fn empty_input_returns_at_once_for_every_mode() {
    // No loop is needed: nothing to wait for.
    let (done, pending) =
        futures::executor::block_on(wait(Vec::<Task<u8>>::new(), ReturnWhen::FirstCompleted));
    assert!(done.is_empty() && pending.is_empty());
    let mut w = pin!(wait(
        Vec::<Task<Result<u8, ()>>>::new(),
        ReturnWhen::FirstException
    ));
    let waker = futures::task::noop_waker();
    match w.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready((done, pending)) => assert!(done.is_empty() && pending.is_empty()),
        Poll::Pending => panic!("an empty wait must return on its first poll"),
    }
    let (done, pending) = futures::executor::block_on(wait(
        std::iter::empty::<&mut Task<()>>(),
        ReturnWhen::AllCompleted,
    ));
    assert!(done.is_empty() && pending.is_empty());
}

#[test]
fn the_stash_does_not_grow_task() {
    assert_eq!(
        size_of::<Task<[u8; 4096]>>(),
        size_of::<Task<()>>(),
        "a finished output is boxed"
    );
    // The size before the stash: an `Option<JoinHandle>`, the label (kind, name,
    // location) and the `on_detach` fn pointer. The state's tag hides in a niche.
    assert_eq!(size_of::<Task<()>>(), 6 * size_of::<usize>());
}

#[tokio::test]
async fn detaching_a_stashed_task_is_fine() {
    let t = ready("t", 1);
    let (mut done, _) = within(wait([t], ReturnWhen::AllCompleted)).await;
    done.pop().unwrap().detach();
}

#[tokio::test]
#[should_panic(expected = "Task polled after completion")]
async fn awaiting_a_taken_task_again_panics() {
    let mut t = ready("t", 1);
    assert_eq!((&mut t).await, 1);
    let _ = (&mut t).await;
}
