//! Debug mode — asyncio's `PYTHONASYNCIODEBUG=1` / `asyncio.run(debug=True)`.
//!
//! The most common async bug is a blocking call inside async code: `std::thread::sleep`,
//! a synchronous file or DNS read, a heavy loop. While it runs, the event loop's thread
//! is held and every other task on it waits. Debug mode finds it: every single poll of
//! a task — the main future, a spawned task, a group child — is timed, and one that
//! holds the loop longer than the threshold logs a warning naming the task (its name,
//! or the place it was spawned) and how long it held the loop:
//!
//! ```text
//! asyncio debug: task 'fetch-1' (spawned at src/main.rs:12:5) held the event loop for 152.1ms in one poll (threshold 100ms) ...
//! ```
//!
//! | asyncio | here |
//! |---|---|
//! | `PYTHONASYNCIODEBUG=1` | `ASYNCIO_DEBUG=1` |
//! | `asyncio.run(main(), debug=True)` | `#[async_main(debug)]`, `#[async_test(debug)]`, `runtime::Builder::new().debug(true)` |
//! | `loop.slow_callback_duration = 0.05` | `slow_poll = "50ms"`, `Builder::slow_poll(Duration)`, `ASYNCIO_SLOW_POLL_MS=50` |
//! | "Task exception was never retrieved" | always on: a detached task that panics is reported with its name and spawn location |
//!
//! The default threshold is 100 ms, as asyncio's `slow_callback_duration`. An explicit
//! builder or attribute setting wins over the environment variables.
//!
//! Warnings go to stderr, or — with the `tracing` feature on and a global `tracing`
//! subscriber installed — through `tracing::warn!` (target `asyncio::debug`).
//!
//! When debug mode is off, nothing is timed: spawning checks one thread-local flag.
//!
//! ```
//! use asyncio_core::runtime::Builder;
//! use std::time::Duration;
//!
//! // `asyncio.run(main(), debug=True)` with a 50 ms `slow_callback_duration`:
//! let n = Builder::new()
//!     .debug(true)
//!     .slow_poll(Duration::from_millis(50))
//!     .run(async {
//!         // Awaiting never holds the loop, however long it takes: no warning.
//!         asyncio_core::sleep(Duration::from_millis(80)).await;
//!         // CPU-heavy or blocking work belongs on the blocking pool.
//!         asyncio_core::to_thread(|| (1..=1_000u64).sum::<u64>()).await
//!     });
//! assert_eq!(n, 500_500);
//! ```

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The default slow-poll threshold: asyncio's `slow_callback_duration` (100 ms).
///
/// Used when debug mode is on and neither [`Builder::slow_poll`](crate::runtime::Builder::slow_poll)
/// nor `ASYNCIO_SLOW_POLL_MS` sets another.
///
/// # Examples
///
/// ```
/// use asyncio_core::debug::DEFAULT_SLOW_POLL;
/// use std::time::Duration;
///
/// assert_eq!(DEFAULT_SLOW_POLL, Duration::from_millis(100));
/// // A stricter threshold for a latency-sensitive service:
/// let strict = DEFAULT_SLOW_POLL / 4;
/// assert_eq!(strict, Duration::from_millis(25));
/// ```
pub const DEFAULT_SLOW_POLL: Duration = Duration::from_millis(100);

/// Reads `ASYNCIO_DEBUG` and `ASYNCIO_SLOW_POLL_MS`, and combines them with explicit
/// settings (which win). Returns the threshold if debug mode is on.
pub(crate) fn resolve(debug: Option<bool>, slow_poll: Option<Duration>) -> Option<Duration> {
    let on = debug.unwrap_or_else(|| {
        std::env::var("ASYNCIO_DEBUG").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
    });
    if !on {
        return None;
    }
    Some(slow_poll.unwrap_or_else(|| {
        std::env::var("ASYNCIO_SLOW_POLL_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_SLOW_POLL, Duration::from_millis)
    }))
}

/// What kind of future a [`TaskLabel`] names.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// The future given to `run` / `#[async_main]`.
    Main,
    /// A spawned task.
    Task,
    /// A child of a `TaskGroup`.
    GroupChild,
}

/// Who a slow poll, or an unretrieved panic, belongs to.
#[derive(Clone)]
pub(crate) struct TaskLabel {
    pub(crate) kind: Kind,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) location: &'static Location<'static>,
}

impl fmt::Display for TaskLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.location;
        match (self.kind, &self.name) {
            (Kind::Main, _) => write!(f, "the main future (started at {loc})"),
            (Kind::Task, Some(name)) => write!(f, "task '{name}' (spawned at {loc})"),
            (Kind::Task, None) => write!(f, "task spawned at {loc}"),
            (Kind::GroupChild, Some(name)) => {
                write!(f, "TaskGroup child '{name}' (spawned at {loc})")
            }
            (Kind::GroupChild, None) => write!(f, "TaskGroup child spawned at {loc}"),
        }
    }
}

pin_project_lite::pin_project! {
    /// Times every poll of `inner` and warns about those longer than `threshold`.
    pub(crate) struct Instrumented<F> {
        #[pin]
        inner: F,
        label: TaskLabel,
        threshold: Duration,
    }
}

impl<F> Instrumented<F> {
    pub(crate) fn new(inner: F, label: TaskLabel, threshold: Duration) -> Self {
        Instrumented {
            inner,
            label,
            threshold,
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let start = Instant::now();
        let out = this.inner.poll(cx);
        let held = start.elapsed();
        if held > *this.threshold {
            warn_slow_poll(this.label, held, *this.threshold);
        }
        out
    }
}

/// Warns if the poll that started at `started` took longer than `threshold`; `label`
/// is only built when it did.
#[inline]
pub(crate) fn check_poll(started: Instant, threshold: Duration, label: impl FnOnce() -> TaskLabel) {
    let held = started.elapsed();
    if held > threshold {
        warn_slow_poll(&label(), held, threshold);
    }
}

#[cold]
fn warn_slow_poll(label: &TaskLabel, held: Duration, threshold: Duration) {
    let msg = format!(
        "asyncio debug: {label} held the event loop for {held:.1?} in one poll \
         (threshold {threshold:?}); while it runs no other task on this thread makes \
         progress. Look for a blocking call: use `asyncio::sleep` instead of \
         `std::thread::sleep`, and `asyncio::to_thread(...)` for blocking I/O or \
         CPU-heavy work"
    );
    emit(&msg);
}

/// Writes one diagnostic line: through `tracing` when the feature is on and a global
/// subscriber is installed, to stderr otherwise.
pub(crate) fn emit(msg: &str) {
    #[cfg(feature = "tracing")]
    if tracing::dispatcher::has_been_set() {
        tracing::warn!(target: "asyncio::debug", "{msg}");
        return;
    }
    eprintln!("{msg}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_settings_win_over_the_environment() {
        assert_eq!(resolve(Some(false), None), None);
        assert_eq!(
            resolve(Some(true), Some(Duration::from_millis(5))),
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn labels_name_the_task_or_its_location() {
        let location = Location::caller();
        let named = TaskLabel {
            kind: Kind::Task,
            name: Some("fetch-1".into()),
            location,
        };
        assert!(named.to_string().starts_with("task 'fetch-1' (spawned at "));
        let anon = TaskLabel {
            kind: Kind::Task,
            name: None,
            location,
        };
        assert!(
            anon.to_string()
                .starts_with("task spawned at core/src/debug.rs")
        );
    }
}
