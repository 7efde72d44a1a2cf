//! `asyncio.shield`: work that a cancelled awaiter does not cancel.
//!
//! | asyncio | here |
//! |---|---|
//! | `await asyncio.shield(aw)` | `shield(fut).await` |
//! | the awaiter is cancelled; the shielded task runs on | the [`Shield`] is dropped (a `timeout`, a `race!`, a dropped task); the work runs on, detached |

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Builder, Task};

/// Runs `future` as a task that dropping the awaiter does not cancel: `asyncio.shield(aw)`.
///
/// As `asyncio.shield` wraps its argument in a task, `shield` [spawns](crate::spawn)
/// the future **at once** (so it starts running even if the [`Shield`] is never
/// polled), and returns a [`Shield`], a future of its output. Awaiting the `Shield`
/// gives the output; a panic in the work resumes in the awaiter with its original
/// payload.
///
/// Dropping the `Shield` — because an enclosing [`timeout`](crate::timeout) expired, a
/// `race!` was lost, or the task awaiting it was cancelled — does **not** cancel the
/// work: it is [detached](Task::detach) and runs to its end. If it panics after that,
/// the panic is reported on stderr as a detached task's is ("task exception was never
/// retrieved"). The work still stops when the event loop does.
///
/// Because it becomes a task, the future must be `Send + 'static`, like one given to
/// [`spawn`](crate::spawn): it cannot borrow from the caller, since it may outlive it.
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop.
///
/// # Examples
///
/// ```
/// use asyncio_core::{shield, timeout};
/// use std::time::Duration;
/// use tokio::sync::oneshot;
///
/// # asyncio_core::run(async {
/// let (finish, finished) = oneshot::channel::<()>();
/// let (tx, rx) = oneshot::channel();
/// // The caller gives up after 1 ms, but the save is not cut off half-way.
/// let r = timeout(
///     Duration::from_millis(1),
///     shield(async move {
///         finished.await.unwrap(); // the save takes a while
///         tx.send("saved").unwrap();
///     }),
/// )
/// .await;
/// assert!(r.is_err());
/// finish.send(()).unwrap();
/// assert_eq!(rx.await.unwrap(), "saved"); // it ran on after the timeout
///
/// // Awaited to the end, it gives the output.
/// assert_eq!(shield(async { 5 }).await, 5);
/// # });
/// ```
#[track_caller]
pub fn shield<F>(future: F) -> Shield<F::Output>
where
    F: IntoFuture,
    F::IntoFuture: Send + 'static,
    F::Output: Send + 'static,
{
    crate::runtime::ensure_loop_now("shield");
    Shield {
        task: Some(Builder::new().spawn(future.into_future())),
    }
}

/// The future returned by [`shield`]: the output of the shielded work.
///
/// Dropping it detaches the work instead of cancelling it.
///
/// # Examples
///
/// ```
/// use asyncio_core::task::Shield;
///
/// # asyncio_core::run(async {
/// let s: Shield<u32> = asyncio_core::shield(async { 6 * 7 });
/// assert_eq!(s.await, 42);
/// # });
/// ```
#[must_use = "the shielded work runs anyway; `.await` the Shield for its output (dropping it detaches the work)"]
pub struct Shield<T> {
    /// `None` once the output was handed out.
    task: Option<Task<T>>,
}

impl<T> Future for Shield<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let task = self.task.as_mut().expect("Shield polled after completion");
        let out = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
