//! Tasks — `asyncio.create_task`, with the garbage-collection gotcha fixed.
//!
//! | asyncio | here |
//! |---|---|
//! | `task = asyncio.create_task(coro())` | `let task = spawn(fut);` (or [`spawn_local`] for `!Send` futures) |
//! | `await task` | `task.await` |
//! | `task.cancel()` | `task.cancel().await` → `Option<T>`, or just drop the `Task` |
//! | `asyncio.create_task(coro(), name="fetch-1")` | `task::Builder::new().name("fetch-1").spawn(fut)` |
//! | `task.done()` | [`Task::is_finished`] |
//! | keeping a reference so the task is not garbage-collected | [`Task::detach`] |
//! | `await asyncio.to_thread(f)` | `to_thread(f).await` |
//! | `await asyncio.sleep(0)` | `yield_now().await` |
//! | `done, pending = await asyncio.wait(tasks, return_when=FIRST_COMPLETED)` | `let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted).await;` (also `FirstException`, `AllCompleted`) |
//! | `await asyncio.shield(aw)` | [`shield`]`(fut).await`: dropping the `Shield` lets the work finish |
//!
//! **Dropping a [`Task`] cancels it.** asyncio keeps only a weak reference to a running
//! task, so a task whose handle is lost may be garbage-collected mid-flight; tokio's
//! `JoinHandle` does the opposite and lets a dropped task run on unobserved. Here the
//! rule is the one of every other value: the task lives as long as its `Task` does.
//! Code after the await point where it was cancelled never runs; to let it run on,
//! call [`Task::detach`]. `Task` is `#[must_use]`, so dropping one by accident warns.
//!
//! A panic inside a task resumes in whoever awaits its `Task`, with the original
//! payload. A detached task that panics is reported on stderr with its name and the
//! place it was spawned (asyncio's "Task exception was never retrieved").
//!
//! **Scheduling order.** As with asyncio's `call_soon`, what becomes ready first runs
//! first: on the default single-threaded loop, tasks woken (or spawned, or yielding with
//! [`yield_now`]) in the order a, b, c are polled a, b, c; so are the children of
//! [`gather_all`](crate::gather_all), [`try_gather_all`](crate::try_gather_all),
//! [`as_completed`](crate::as_completed), [`race_all`](crate::race_all),
//! [`scope`](crate::scope) and [`TaskGroup`](crate::TaskGroup). Three tasks that each
//! print and yield three times print `a0 b0 c0 a1 b1 c1 a2 b2 c2`, as in Python. Not
//! covered: the multi-threaded loop, where two workers run tasks at the same time and
//! steal each other's work, so only the order within one worker's queue is FIFO; and
//! the fixed-arity `gather!`/`try_gather!`/`race!`, which poll every unfinished child
//! on each wake starting one child later each time (`tokio::join!`'s rule, so no child
//! is starved of tokio's cooperative budget).
//!
//! ```
//! use asyncio_core::task::{self, Builder};
//! use std::time::Duration;
//!
//! # asyncio_core::run(async {
//! // task = asyncio.create_task(fetch(), name="fetch-1"); await task
//! let fetch = Builder::new().name("fetch-1").spawn(async { 200 });
//! assert_eq!(fetch.name(), Some("fetch-1"));
//! assert_eq!(fetch.await, 200);
//!
//! // task.cancel(): a task still running is dropped and yields no output.
//! let slow = task::spawn(asyncio_core::sleep(Duration::from_secs(3600)));
//! assert_eq!(slow.cancel().await, None);
//!
//! // await asyncio.to_thread(blocking_fn)
//! assert_eq!(task::to_thread(|| 2 + 2).await, 4);
//! # });
//! ```

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{Location, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::task::{JoinError, JoinHandle};

mod shield;
mod wait;

pub use shield::{Shield, shield};
pub use wait::{
    AllCompleted, FirstCompleted, FirstException, ReturnWhen, Wait, WaitMode, WaitTask, wait,
};

/// Yields to the event loop once, so other tasks can run: `await asyncio.sleep(0)`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// # asyncio_core::run(async {
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&ran);
/// let task = asyncio_core::spawn(async move { flag.store(true, Ordering::SeqCst) });
/// assert!(!ran.load(Ordering::SeqCst)); // the single-threaded loop has not run it yet
/// asyncio_core::yield_now().await; // let it run
/// assert!(ran.load(Ordering::SeqCst));
/// task.await;
/// # });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// It wakes itself and returns `Pending` once, so the task goes to the back of the
/// loop's ready queue: tasks that yield in the order a, b, c run again in that order, as
/// asyncio's `call_soon` callbacks do. (tokio's `yield_now` defers the wake until the
/// loop has checked for I/O and wakes deferred tasks in reverse order; the loop here
/// still checks for I/O every 61 task polls.) Works under any executor.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::YieldNow;
///
/// # futures::executor::block_on(async {
/// let y: YieldNow = asyncio_core::yield_now();
/// y.await;
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

use crate::debug::{Instrumented, Kind, TaskLabel};
use crate::runtime::{ensure_loop_now, expect_loop};

/// A spawned task: a future of its output. Dropping it cancels the task.
///
/// Returned by [`spawn`], [`spawn_local`] and [`Builder`]. Await it for the task's
/// output; a panic in the task resumes in the awaiter.
///
/// **`let _ = spawn(fut);` cancels the task at once**: `_` drops the `Task` on the spot
/// (unlike `let _task = …`, which keeps it to the end of the scope). Keep the handle in a
/// variable, await it, or call [`detach`](Task::detach) to let it run in the background.
/// Clippy's `let_underscore_future` lint catches the mistake.
///
/// **Borrowing instead of moving.** `task.await` and `timeout(d, task)` consume the
/// task, so it cannot be awaited again (E0382), and a timeout that expires cancels it.
/// `&mut task` is a future too: awaiting it borrows the task, so `timeout(d, &mut task)`
/// gives up waiting but leaves the task running, to be awaited later (asyncio's
/// `wait_for(shield(task), d)` idiom).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use asyncio_core::{sleep, spawn, timeout};
///
/// # asyncio_core::run(async {
/// let task = spawn(async { 1 + 1 });
/// assert_eq!(task.await, 2);
///
/// // Wait at most 10 ms, keep the task if it is not done yet.
/// let mut slow = spawn(async {
///     sleep(Duration::from_millis(50)).await;
///     "done"
/// });
/// assert!(timeout(Duration::from_millis(10), &mut slow).await.is_err());
/// assert_eq!(slow.await, "done"); // still running; now awaited to its end
/// # });
/// ```
#[must_use = "dropping a Task cancels it (`let _ = spawn(..)` cancels it at once): `.await` it, keep it in a variable, or call `.detach()` to let it run in the background"]
pub struct Task<T> {
    state: State<T>,
    meta: TaskLabel,
}

/// Where a [`Task`]'s output is.
///
/// [`wait`] learns that a task finished by polling its handle, which hands over the
/// output; it is stashed here until the `Task` is awaited. Boxed, so a `Task<T>` has the
/// same size for every `T` (the box is allocated only by `wait`, never on the plain
/// `spawn` + `.await` path). Two variants, so the tag hides in the niche of `on_detach`:
/// a `Task` is no bigger than it was with a bare `Option<JoinHandle<T>>`.
enum State<T> {
    /// The task may still be running; its handle holds the output once it is done.
    Running {
        handle: JoinHandle<T>,
        /// How to watch the task for an unretrieved panic once detached: spawns the
        /// watcher with `tokio::spawn` or `spawn_local` to match the task's `Send`-ness.
        on_detach: fn(JoinHandle<T>, TaskLabel),
    },
    /// The task finished: `Some` once [`Task::poll_finished`] took its output from the
    /// handle, `None` once the output was handed out.
    Done(Option<Box<Result<T, JoinError>>>),
}

impl<T> Task<T> {
    /// The task's name, if it was given one with [`Builder::name`].
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let t = asyncio_core::task::Builder::new().name("fetch-1").spawn(async {});
    /// assert_eq!(t.name(), Some("fetch-1"));
    /// t.await;
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.meta.name.as_deref()
    }

    /// Where the task was spawned (the caller of `spawn`).
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let t = asyncio_core::spawn(async {});
    /// assert_eq!(t.location().line(), line!() - 1);
    /// t.await;
    /// # });
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.meta.location
    }

    /// Whether the task has finished (returned, panicked or been cancelled):
    /// asyncio's `task.done()`.
    ///
    /// Also `true` once the task's output was taken (after awaiting it through a
    /// `&mut Task`); it never panics.
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let t = asyncio_core::spawn(async {});
    /// asyncio_core::sleep(std::time::Duration::from_millis(1)).await;
    /// assert!(t.is_finished());
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        match &self.state {
            State::Running { handle, .. } => handle.is_finished(),
            State::Done(_) => true,
        }
    }

    /// Lets the task run on in the background, unobserved; its output is discarded.
    ///
    /// It still stops when the event loop does. If it panics, the panic is reported on
    /// stderr with the task's name and spawn location — also when it had already
    /// panicked before the call (say, a task [`wait`] returned as done). Detaching a task
    /// whose output was already taken does nothing.
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// asyncio_core::spawn(async move { tx.send(5).unwrap() }).detach();
    /// assert_eq!(rx.await.unwrap(), 5);
    /// # });
    /// ```
    pub fn detach(mut self) {
        match std::mem::replace(&mut self.state, State::Done(None)) {
            State::Running { handle, on_detach } => on_detach(handle, self.meta.clone()),
            State::Done(Some(res)) => report_unretrieved(*res, &self.meta),
            State::Done(None) => {}
        }
    }

    /// Cancels the task and waits until it has stopped: `task.cancel()`.
    ///
    /// Returns `Some(output)` if the task had already finished, `None` if it was
    /// cancelled. Once this resolves, the task's future has been dropped. If the task
    /// had panicked, the panic resumes here (with its original payload).
    ///
    /// # Panics
    ///
    /// Resumes the task's panic, as said; and panics if the task's output was already
    /// taken (it was awaited through a `&mut Task`).
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let t = asyncio_core::spawn(std::future::pending::<()>());
    /// assert_eq!(t.cancel().await, None);
    ///
    /// let t = asyncio_core::spawn(async { 3 });
    /// asyncio_core::sleep(std::time::Duration::from_millis(1)).await;
    /// assert_eq!(t.cancel().await, Some(3));
    /// # });
    /// ```
    pub async fn cancel(mut self) -> Option<T> {
        let res = match std::mem::replace(&mut self.state, State::Done(None)) {
            State::Running { handle, .. } => {
                handle.abort();
                handle.await
            }
            State::Done(Some(res)) => *res,
            State::Done(None) => panic!("{} was cancelled after its output was taken", self.meta),
        };
        match res {
            Ok(out) => Some(out),
            Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
            Err(_) => None,
        }
    }

    /// Polls the task's handle without taking its output: `Ready` once the task has
    /// finished, with the output stashed in the `Task` for a later `.await`. Registers
    /// `cx`'s waker while the task runs. Used by [`wait`].
    pub(crate) fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let State::Running { handle, .. } = &mut self.state {
            let res = ready!(Pin::new(handle).poll(cx));
            self.state = State::Done(Some(Box::new(res)));
        }
        Poll::Ready(())
    }

    /// Whether [`poll_finished`](Self::poll_finished) saw the task finish (or its output
    /// was taken since).
    pub(crate) fn is_stashed(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Whether the task is stashed as failed: it panicked, it was cancelled (its loop
    /// shut down), or its output is an error by `is_error`.
    pub(crate) fn failed(&self, is_error: impl FnOnce(&T) -> bool) -> bool {
        match &self.state {
            State::Done(Some(res)) => match &**res {
                Ok(out) => is_error(out),
                Err(_) => true,
            },
            State::Running { .. } | State::Done(None) => false,
        }
    }

    /// Turns the task's finished result into its output: resumes a panic, and panics
    /// for a task its loop cancelled.
    fn output(&self, res: Result<T, JoinError>) -> T {
        match res {
            Ok(out) => out,
            Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
            Err(_) => panic!(
                "{} was cancelled because its event loop shut down",
                self.meta
            ),
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let State::Running { handle, .. } = &self.state {
            handle.abort();
        }
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let res = match &mut self.state {
            State::Running { handle, .. } => ready!(Pin::new(handle).poll(cx)),
            State::Done(stash) => *stash.take().expect("Task polled after completion"),
        };
        self.state = State::Done(None);
        Poll::Ready(self.output(res))
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name())
            .field("location", &self.meta.location)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Spawns `future` as a task on the running event loop: `asyncio.create_task(coro)`.
///
/// The future must be `Send + 'static`; under the multi-threaded loop it may run on any
/// worker. For `!Send` futures use [`spawn_local`].
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop.
///
/// # Examples
///
/// ```
/// # asyncio_core::run(async {
/// let a = asyncio_core::spawn(async { "a" });
/// let b = asyncio_core::spawn(async { "b" });
/// assert_eq!((a.await, b.await), ("a", "b"));
/// # });
/// ```
///
/// # A task that spawns more of itself
///
/// An `async fn` that spawns itself (a crawler following links, a tree walk) does not
/// compile: `spawn` needs its future to be `Send`, and to know that the compiler would
/// have to look inside the body it is checking — rustc says "type annotations needed:
/// cannot satisfy `impl Future<Output = ()>: Send`" (E0283), and `spawn(Box::pin(..))`
/// says the same. The fix is a plain function returning a boxed future whose type says
/// `Send`; the `crawler` example of the `asyncio` crate is a whole program built so.
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
///
/// /// Sums 1..=n, one task per step.
/// fn sum_to(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
///     Box::pin(async move {
///         if n == 0 {
///             return 0;
///         }
///         n + asyncio_core::spawn(sum_to(n - 1)).await
///     })
/// }
///
/// assert_eq!(asyncio_core::run(sum_to(10)), 55);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F: Send, // not Send? A `MutexGuard` held across `.await`: drop it first or use `sync::Lock`; `Rc` data: `spawn_local(fut)`
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a `!Send` future as a task on the current thread's loop.
///
/// Works anywhere on the thread that called [`run`](crate::run) (or the thread of
/// `#[async_main]` / `#[async_test]`), in both flavors; in a multi-threaded loop it
/// cannot be called from a task running on a worker thread.
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop, and when
/// called on a worker thread of a multi-threaded loop.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// # asyncio_core::run(async {
/// let shared = Rc::new(5); // Rc is !Send: `spawn` would not accept this future
/// let t = asyncio_core::spawn_local(async move { *shared + 1 });
/// assert_eq!(t.await, 6);
/// # });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn_local(future)
}

/// Runs the blocking closure `f` on the loop's thread pool for blocking work, and
/// resolves to its result: `await asyncio.to_thread(f)`.
///
/// Use it for CPU-heavy work and for blocking calls (sync file or DNS I/O, a sync
/// client) so they do not hold up the event loop. A panic in `f` resumes in the awaiter.
///
/// **Lazy**, like the coroutine `asyncio.to_thread(f)`: nothing runs until the returned
/// [`ToThread`] is first polled, so it can be built before the loop starts
/// (`asyncio::run(to_thread(f))` works). To start the work at once and await it later,
/// spawn it: `spawn(to_thread(f))`.
///
/// Once started, a running closure cannot be interrupted: dropping the future discards
/// the result but lets `f` finish, as in asyncio.
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
///
/// # Examples
///
/// ```
/// # asyncio_core::run(async {
/// let sum = asyncio_core::to_thread(|| (1..=100u64).sum::<u64>()).await;
/// assert_eq!(sum, 5050);
/// # });
/// ```
#[track_caller]
pub fn to_thread<F, R>(f: F) -> ToThread<F, R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    ToThread {
        state: ToThreadState::Start(Some(f)),
        location: Location::caller(),
    }
}

/// The future returned by [`to_thread`]: starts the closure on its first poll.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::ToThread;
///
/// let work: ToThread<_, u32> = asyncio_core::to_thread(|| 6 * 7); // nothing runs yet
/// assert_eq!(asyncio_core::run(work), 42);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them: the closure has not started"]
pub struct ToThread<F, R> {
    state: ToThreadState<F, R>,
    location: &'static Location<'static>,
}

enum ToThreadState<F, R> {
    Start(Option<F>),
    Running(Task<R>),
}

impl<F, R> Unpin for ToThread<F, R> {}

impl<F, R> Future for ToThread<F, R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = &mut *self;
        if let ToThreadState::Start(f) = &mut this.state {
            let f = f
                .take()
                .expect("`to_thread` future polled after completion");
            let handle =
                expect_loop("to_thread").spawn_blocking(|| crate::runtime::in_to_thread(f));
            let label = TaskLabel {
                kind: Kind::Task,
                name: None,
                location: this.location,
            };
            this.state = ToThreadState::Running(Task::new(handle, label, watch_send));
        }
        match &mut this.state {
            ToThreadState::Running(task) => Pin::new(task).poll(cx),
            ToThreadState::Start(_) => unreachable!("started above"),
        }
    }
}

impl<F, R> fmt::Debug for ToThread<F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToThread")
            .field("started", &matches!(self.state, ToThreadState::Running(_)))
            .field("location", &self.location)
            .finish()
    }
}

/// Spawns tasks with options (a name): asyncio's `create_task(coro, name=...)`.
///
/// ```
/// use asyncio_core::task::Builder;
/// # asyncio_core::run(async {
/// let t = Builder::new().name("fetch-1").spawn(async { 200 });
/// assert_eq!(t.name(), Some("fetch-1"));
/// assert_eq!(t.await, 200);
/// # });
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a Builder does nothing until `.spawn(future)` is called"]
pub struct Builder {
    name: Option<Arc<str>>,
}

impl Builder {
    /// A builder with no options set.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::task::Builder;
    ///
    /// # asyncio_core::run(async {
    /// let t = Builder::new().spawn(async { 5 });
    /// assert_eq!(t.name(), None); // no name was set
    /// assert_eq!(t.await, 5);
    /// # });
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the task. The name is returned by [`Task::name`] and appears in reports
    /// about the task (a detached task's panic, debug-mode warnings, group errors).
    ///
    /// Accepts a `&'static str` without allocating a `String`, or an owned `String`.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::task::Builder;
    ///
    /// # asyncio_core::run(async {
    /// let tasks: Vec<_> = (1..=2)
    ///     .map(|i| Builder::new().name(format!("fetch-{i}")).spawn(async move { i }))
    ///     .collect();
    /// assert_eq!(tasks[0].name(), Some("fetch-1"));
    /// assert_eq!(tasks[1].name(), Some("fetch-2"));
    /// # });
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(match name.into() {
            Cow::Borrowed(s) => Arc::from(s),
            Cow::Owned(s) => Arc::from(s),
        });
        self
    }

    /// Spawns a `Send` future; see [`spawn`].
    ///
    /// # Panics
    ///
    /// Panics with `no running event loop` when called outside an event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::task::Builder;
    ///
    /// # asyncio_core::run(async {
    /// let t = Builder::new().name("compute").spawn(async { 6 * 7 });
    /// assert_eq!(t.await, 42);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F: Send, // not Send? A `MutexGuard` held across `.await`: drop it first or use `sync::Lock`; `Rc`: `.spawn_local(fut)`
        F::Output: Send + 'static,
    {
        let label = self.label(Location::caller());
        let handle = match crate::runtime::debug_threshold() {
            None => spawn_send(future),
            Some(t) => spawn_send(Instrumented::new(future, label.clone(), t)),
        };
        Task::new(handle, label, watch_send)
    }

    /// Spawns a `!Send` future on the current thread; see [`spawn_local`].
    ///
    /// # Panics
    ///
    /// As [`spawn_local`]: outside an event loop, or on a worker thread of a
    /// multi-threaded loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::task::Builder;
    /// use std::rc::Rc;
    ///
    /// # asyncio_core::run(async {
    /// let shared = Rc::new(String::from("local")); // Rc is !Send
    /// let t = Builder::new()
    ///     .name("local-task")
    ///     .spawn_local(async move { shared.len() });
    /// assert_eq!(t.name(), Some("local-task"));
    /// assert_eq!(t.await, 5);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let label = self.label(Location::caller());
        ensure_loop_now("spawn_local");
        let handle = match crate::runtime::debug_threshold() {
            None => crate::runtime::spawn_local_inner(future),
            Some(t) => {
                crate::runtime::spawn_local_inner(Instrumented::new(future, label.clone(), t))
            }
        };
        Task::new(handle, label, watch_local)
    }

    fn label(self, location: &'static Location<'static>) -> TaskLabel {
        TaskLabel {
            kind: Kind::Task,
            name: self.name,
            location,
        }
    }
}

impl<T> Task<T> {
    fn new(
        handle: JoinHandle<T>,
        meta: TaskLabel,
        on_detach: fn(JoinHandle<T>, TaskLabel),
    ) -> Self {
        Task {
            state: State::Running { handle, on_detach },
            meta,
        }
    }
}

/// `tokio::spawn` with asyncio's "no running event loop" message.
#[track_caller]
#[inline]
fn spawn_send<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    ensure_loop_now("spawn");
    tokio::spawn(future)
}

fn report_unretrieved<T>(res: Result<T, tokio::task::JoinError>, meta: &TaskLabel) {
    if let Err(e) = res {
        if e.is_panic() {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("<non-string panic payload>");
            crate::debug::emit(&format!(
                "asyncio: {} panicked and nobody awaited it (task exception was never \
                 retrieved): {msg}",
                meta
            ));
        }
    }
}

fn watch_send<T: Send + 'static>(handle: JoinHandle<T>, meta: TaskLabel) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move { report_unretrieved(handle.await, &meta) });
    }
}

fn watch_local<T: 'static>(handle: JoinHandle<T>, meta: TaskLabel) {
    if tokio::runtime::Handle::try_current().is_ok() {
        crate::runtime::spawn_local_inner(async move { report_unretrieved(handle.await, &meta) });
    }
}
