//! `asyncio.wait`: wait until some or all of a set of tasks are done, and keep the rest
//! running.
//!
//! | asyncio | here |
//! |---|---|
//! | `done, pending = await asyncio.wait(tasks)` | `let (done, pending) = wait(tasks, ReturnWhen::AllCompleted).await;` |
//! | `return_when=asyncio.FIRST_COMPLETED` | [`ReturnWhen::FirstCompleted`] |
//! | `return_when=asyncio.FIRST_EXCEPTION` | [`ReturnWhen::FirstException`] (tasks returning `Result`; a panic counts too) |
//! | `done` and `pending` are sets | two `Vec`s, each in input order |
//! | `asyncio.wait([])` raises `ValueError` | returns two empty `Vec`s at once |

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Task;

mod sealed {
    /// Keeps [`WaitTask`](super::WaitTask) and [`WaitMode`](super::WaitMode) closed:
    /// only this module implements them.
    pub trait Sealed {}
}

/// What [`wait`] accepts as a task: a [`Task<T>`] or a `&mut Task<T>`.
///
/// An owned `Task` is moved into the `wait` and handed back in `done` or `pending`; a
/// `&mut Task` leaves the task with you, so you can await it later by name. The trait is
/// sealed: only these two types implement it.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, Task, WaitTask, spawn, wait};
///
/// // A helper generic over both kinds of item.
/// async fn all_done<W: WaitTask>(tasks: Vec<W>) -> usize {
///     wait(tasks, ReturnWhen::AllCompleted).await.0.len()
/// }
///
/// # asyncio_core::run(async {
/// assert_eq!(all_done(vec![spawn(async { 1 }), spawn(async { 2 })]).await, 2);
///
/// let mut a: Task<i32> = spawn(async { 3 });
/// assert_eq!(all_done(vec![&mut a]).await, 1);
/// assert_eq!(a.await, 3); // still ours
/// # });
/// ```
pub trait WaitTask: sealed::Sealed {
    /// The output of the task.
    type Output;

    #[doc(hidden)]
    fn __task(&mut self) -> &mut Task<Self::Output>;

    #[doc(hidden)]
    fn __is_done(&self) -> bool;
}

impl<T> sealed::Sealed for Task<T> {}
impl<T> sealed::Sealed for &mut Task<T> {}

impl<T> WaitTask for Task<T> {
    type Output = T;

    fn __task(&mut self) -> &mut Task<T> {
        self
    }

    fn __is_done(&self) -> bool {
        self.is_stashed()
    }
}

impl<T> WaitTask for &mut Task<T> {
    type Output = T;

    fn __task(&mut self) -> &mut Task<T> {
        self
    }

    fn __is_done(&self) -> bool {
        self.is_stashed()
    }
}

/// When [`wait`] returns, for tasks whose output is `T`: one of
/// [`ReturnWhen::FirstCompleted`], [`ReturnWhen::FirstException`] or
/// [`ReturnWhen::AllCompleted`].
///
/// Each mode is its own type, so the compiler checks that `FirstException` is used only
/// with tasks that return a `Result` (it has nothing to look for otherwise). The trait is
/// sealed.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, WaitMode, spawn, wait};
///
/// // A helper that lets its caller pick the mode.
/// async fn count_done<M: WaitMode<u8>>(mode: M) -> usize {
///     let tasks = [spawn(async { 1u8 }), spawn(async { 2u8 })];
///     wait(tasks, mode).await.0.len()
/// }
///
/// # asyncio_core::run(async {
/// assert_eq!(count_done(ReturnWhen::AllCompleted).await, 2);
/// assert!(count_done(ReturnWhen::FirstCompleted).await >= 1);
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot wait for tasks that return `{T}`: `ReturnWhen::FirstException` needs tasks whose output is a `Result`",
    label = "`ReturnWhen::FirstException` needs tasks returning `Result<_, _>`",
    note = "use `ReturnWhen::FirstCompleted` or `ReturnWhen::AllCompleted`, or make the tasks return a `Result`"
)]
pub trait WaitMode<T>: sealed::Sealed {
    #[doc(hidden)]
    /// Return as soon as one task is done.
    const __ANY_DONE: bool;

    #[doc(hidden)]
    /// Return as soon as one task failed (as [`__is_error`](Self::__is_error) says, or
    /// by panicking).
    const __ON_ERROR: bool;

    #[doc(hidden)]
    fn __is_error(output: &T) -> bool;
}

/// `asyncio.FIRST_COMPLETED`: [`wait`] returns as soon as at least one task is done.
/// Written [`ReturnWhen::FirstCompleted`].
///
/// Every task done by then is in `done`, not only the first.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, spawn, wait};
///
/// # asyncio_core::run(async {
/// let (done, pending) = wait(
///     [spawn(std::future::pending::<u8>()), spawn(async { 7 })],
///     ReturnWhen::FirstCompleted,
/// )
/// .await;
/// assert_eq!((done.len(), pending.len()), (1, 1));
/// for t in done {
///     assert_eq!(t.await, 7);
/// }
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FirstCompleted;

/// `asyncio.FIRST_EXCEPTION`: [`wait`] returns as soon as a task finishes with `Err` or
/// panics, or else when all are done (like [`AllCompleted`]). Written
/// [`ReturnWhen::FirstException`].
///
/// Needs tasks whose output is a `Result`; with other tasks it is a compile error. A task
/// whose loop cancelled it (the loop shut down) counts as failed too: awaiting it panics.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, spawn, wait};
///
/// # asyncio_core::run(async {
/// let tasks = [
///     spawn(std::future::pending::<Result<u8, String>>()),
///     spawn(async { Err("boom".to_string()) }),
/// ];
/// let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
/// assert_eq!(pending.len(), 1); // the failure did not wait for the never-ending task
/// for t in done {
///     assert_eq!(t.await, Err("boom".to_string()));
/// }
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FirstException;

/// `asyncio.ALL_COMPLETED` (asyncio's default): [`wait`] returns when every task is
/// done. Written [`ReturnWhen::AllCompleted`].
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, spawn, wait};
///
/// # asyncio_core::run(async {
/// let (done, pending) = wait([spawn(async { 1 }), spawn(async { 2 })], ReturnWhen::AllCompleted).await;
/// assert!(pending.is_empty());
/// let mut outputs = Vec::new();
/// for t in done {
///     outputs.push(t.await);
/// }
/// assert_eq!(outputs, [1, 2]); // input order
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AllCompleted;

impl sealed::Sealed for FirstCompleted {}
impl sealed::Sealed for FirstException {}
impl sealed::Sealed for AllCompleted {}

impl<T> WaitMode<T> for FirstCompleted {
    const __ANY_DONE: bool = true;
    const __ON_ERROR: bool = false;

    fn __is_error(_: &T) -> bool {
        false
    }
}

impl<T, E> WaitMode<Result<T, E>> for FirstException {
    const __ANY_DONE: bool = false;
    const __ON_ERROR: bool = true;

    fn __is_error(output: &Result<T, E>) -> bool {
        output.is_err()
    }
}

impl<T> WaitMode<T> for AllCompleted {
    const __ANY_DONE: bool = false;
    const __ON_ERROR: bool = false;

    fn __is_error(_: &T) -> bool {
        false
    }
}

/// asyncio's spelling of the [`wait`] modes: `ReturnWhen::FirstCompleted`,
/// `ReturnWhen::FirstException`, `ReturnWhen::AllCompleted`.
///
/// Each constant is a value of the unit struct of the same name ([`FirstCompleted`],
/// [`FirstException`], [`AllCompleted`]), so the mode is known to the compiler.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{AllCompleted, ReturnWhen};
///
/// // return_when=asyncio.ALL_COMPLETED
/// let mode: AllCompleted = ReturnWhen::AllCompleted;
/// assert_eq!(mode, AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReturnWhen;

#[allow(non_upper_case_globals)]
impl ReturnWhen {
    /// `asyncio.FIRST_COMPLETED`: return when at least one task is done. See
    /// [`FirstCompleted`].
    ///
    /// ```
    /// use asyncio_core::task::{ReturnWhen, spawn, wait};
    /// # asyncio_core::run(async {
    /// let (done, _pending) = wait([spawn(async { 1 })], ReturnWhen::FirstCompleted).await;
    /// assert_eq!(done.len(), 1);
    /// # });
    /// ```
    pub const FirstCompleted: FirstCompleted = FirstCompleted;

    /// `asyncio.FIRST_EXCEPTION`: return when a task returns `Err` or panics, else when
    /// all are done. See [`FirstException`].
    ///
    /// ```
    /// use asyncio_core::task::{ReturnWhen, spawn, wait};
    /// # asyncio_core::run(async {
    /// let tasks = [spawn(async { Ok::<u8, ()>(1) }), spawn(async { Ok(2) })];
    /// let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
    /// assert_eq!((done.len(), pending.len()), (2, 0)); // no error: waited for all
    /// # });
    /// ```
    pub const FirstException: FirstException = FirstException;

    /// `asyncio.ALL_COMPLETED`: return when every task is done. See [`AllCompleted`].
    ///
    /// ```
    /// use asyncio_core::task::{ReturnWhen, spawn, wait};
    /// # asyncio_core::run(async {
    /// let (done, pending) = wait([spawn(async {}), spawn(async {})], ReturnWhen::AllCompleted).await;
    /// assert_eq!((done.len(), pending.len()), (2, 0));
    /// # });
    /// ```
    pub const AllCompleted: AllCompleted = AllCompleted;
}

/// Waits until some or all of `tasks` are done, and returns `(done, pending)`:
/// `done, pending = await asyncio.wait(tasks, return_when=...)`.
///
/// `return_when` is one of [`ReturnWhen::FirstCompleted`] (at least one task is done),
/// [`ReturnWhen::FirstException`] (a task returned `Err` or panicked; otherwise all are
/// done) or [`ReturnWhen::AllCompleted`] (all are done).
///
/// Both `Vec`s keep the input order. Nothing is cancelled: the tasks in `pending` keep
/// running, and you await, [`cancel`](Task::cancel) or drop them as you like. A task in
/// `done` gives its output at once when awaited — a panic resumes there, with its
/// original payload; `wait` itself never panics for a task's panic.
///
/// The items are [`Task<T>`]s, moved in and handed back, or `&mut Task<T>`s, which leave
/// the tasks with you (see [`WaitTask`]). A `&mut Task` that was already awaited counts
/// as done.
///
/// An empty `tasks` returns two empty `Vec`s at once (asyncio raises `ValueError`; here
/// there is nothing to wait for, and no panic).
///
/// `tasks` is collected when `wait` is called; nothing else happens before the first
/// poll of the returned [`Wait`]. **Dropping the `Wait`** drops what it holds: owned
/// `Task`s are then dropped, which cancels them, while tasks passed as `&mut Task` keep
/// running.
///
/// **Cost.** Each wake polls the handle of every task still running (a finished one
/// costs a branch), so a wait over `n` tasks does O(n) work per wake, without spinning:
/// it sleeps until one of the tasks wakes it. To handle many tasks one by one as they
/// finish, [`as_completed`](crate::as_completed) polls only the woken ones. Learning
/// that a task finished takes its output from tokio's handle into a small box inside
/// the `Task` (one allocation per finished task, until it is awaited).
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, spawn, wait};
/// use tokio::sync::oneshot;
///
/// # asyncio_core::run(async {
/// let (release, released) = oneshot::channel();
/// let slow = spawn(async move { released.await.unwrap() });
/// let fast = spawn(async { "fast" });
///
/// let (done, pending) = wait([slow, fast], ReturnWhen::FirstCompleted).await;
/// assert_eq!(done.len(), 1);
/// for t in done {
///     assert_eq!(t.await, "fast");
/// }
///
/// // The pending task kept running: let it finish and take its output.
/// release.send("slow").unwrap();
/// for t in pending {
///     assert_eq!(t.await, "slow");
/// }
/// # });
/// ```
///
/// With borrowed tasks, which stay usable by name:
///
/// ```
/// use asyncio_core::task::{ReturnWhen, spawn, wait};
///
/// # asyncio_core::run(async {
/// let mut a = spawn(async { 1 });
/// let mut b = spawn(async { 2 });
/// let (done, pending) = wait([&mut a, &mut b], ReturnWhen::AllCompleted).await;
/// assert_eq!((done.len(), pending.len()), (2, 0));
/// assert_eq!(a.await + b.await, 3);
/// # });
/// ```
pub fn wait<I, M>(tasks: I, return_when: M) -> Wait<I::Item>
where
    I: IntoIterator,
    I::Item: WaitTask,
    M: WaitMode<<I::Item as WaitTask>::Output>,
{
    let _ = return_when; // the mode is in the type
    Wait {
        tasks: Some(tasks.into_iter().collect()),
        any_done: M::__ANY_DONE,
        is_error: if M::__ON_ERROR {
            Some(M::__is_error)
        } else {
            None
        },
    }
}

/// The future returned by [`wait`]: `(done, pending)` once the mode's condition holds.
///
/// Dropping it drops the tasks it holds: owned [`Task`]s are cancelled, `&mut Task`s
/// are left running.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::{ReturnWhen, Task, Wait, spawn, wait};
///
/// # asyncio_core::run(async {
/// let w: Wait<Task<u8>> = wait([spawn(async { 1 })], ReturnWhen::AllCompleted);
/// let (done, pending) = w.await;
/// assert_eq!((done.len(), pending.len()), (1, 0));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<W: WaitTask> {
    /// `None` once the result was handed out.
    tasks: Option<Vec<W>>,
    /// `FirstCompleted`: return once one task is done.
    any_done: bool,
    /// `FirstException`: what makes an output an error (a panic always counts).
    is_error: Option<fn(&W::Output) -> bool>,
}

// `Wait` never pins the tasks it holds: it polls them through `&mut Task`, whose
// JoinHandle is `Unpin`.
impl<W: WaitTask> Unpin for Wait<W> {}

impl<W: WaitTask> Future for Wait<W> {
    type Output = (Vec<W>, Vec<W>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let tasks = this.tasks.as_mut().expect("`Wait` polled after completion");
        let mut done = 0;
        let mut failed = false;
        for item in tasks.iter_mut() {
            let task = item.__task();
            if task.poll_finished(cx).is_ready() {
                done += 1;
                if let Some(is_error) = this.is_error {
                    failed = failed || task.failed(is_error);
                }
            }
        }
        if done == tasks.len() || (this.any_done && done > 0) || failed {
            let tasks = this.tasks.take().unwrap_or_default();
            Poll::Ready(tasks.into_iter().partition(WaitTask::__is_done))
        } else {
            Poll::Pending
        }
    }
}

impl<W: WaitTask> fmt::Debug for Wait<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tasks = self.tasks.as_deref().unwrap_or_default();
        f.debug_struct("Wait")
            .field("tasks", &tasks.len())
            .field("done", &tasks.iter().filter(|t| t.__is_done()).count())
            .finish()
    }
}
