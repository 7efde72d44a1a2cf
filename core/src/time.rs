//! Time — `asyncio.sleep`, `asyncio.timeout` and `asyncio.wait_for`.
//!
//! | asyncio | here |
//! |---|---|
//! | `await asyncio.sleep(secs)` | `sleep(Duration::from_secs_f64(secs)).await` |
//! | `loop.time()` + `asyncio.sleep` to a deadline | [`sleep_until`]`(Instant)` |
//! | `await asyncio.wait_for(aw, secs)` / `async with asyncio.timeout(secs)` | [`timeout`]`(dur, fut).await` → `Result<T, TimeoutError>` |
//! | `asyncio.sleep(0)` (let others run) | [`yield_now`](crate::yield_now) |
//!
//! When the limit passes, [`timeout`] drops the inner future — Rust's cancellation —
//! and returns `Err(TimeoutError)`.
//!
//! These need a running event loop (they use tokio's timer).
//!
//! ```
//! use asyncio_core::time::{Instant, sleep, timeout};
//! use std::time::Duration;
//!
//! # asyncio_core::run(async {
//! let start = Instant::now();
//! sleep(Duration::from_millis(5)).await; // await asyncio.sleep(0.005)
//! assert!(start.elapsed() >= Duration::from_millis(5));
//!
//! // await asyncio.wait_for(never_finishes(), 0.01) raises TimeoutError
//! let r = timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
//! assert_eq!(r.unwrap_err().limit(), Duration::from_millis(10));
//! # });
//! ```

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use tokio::time::{Instant, Sleep};

/// Waits for `duration`: `await asyncio.sleep(secs)`.
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # asyncio_core::run(async {
/// asyncio_core::sleep(Duration::from_millis(10)).await;
/// # });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    crate::runtime::ensure_loop("sleep");
    tokio::time::sleep(duration)
}

/// Waits until `deadline`.
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop.
///
/// # Examples
///
/// ```
/// use asyncio_core::time::Instant;
/// use std::time::Duration;
/// # asyncio_core::run(async {
/// let deadline = Instant::now() + Duration::from_millis(10);
/// asyncio_core::sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    crate::runtime::ensure_loop("sleep_until");
    tokio::time::sleep_until(deadline)
}

/// Runs `future` for at most `limit`: `asyncio.wait_for(aw, timeout)`.
///
/// Resolves to `Ok(output)` if the future finishes in time. Otherwise the future is
/// dropped (cancelled) and the result is `Err(TimeoutError)`, whose message names the
/// limit.
///
/// # Panics
///
/// Panics with `no running event loop` when called outside an event loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use asyncio_core::{sleep, timeout};
/// # asyncio_core::run(async {
/// let slow = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
/// let err = slow.unwrap_err();
/// assert_eq!(err.to_string(), "operation timed out after 5ms");
///
/// let fast = timeout(Duration::from_secs(60), async { 7 }).await;
/// assert_eq!(fast, Ok(7));
/// # });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(limit: Duration, future: F) -> Timeout<F::IntoFuture> {
    crate::runtime::ensure_loop("timeout");
    Timeout {
        inner: tokio::time::timeout(limit, future.into_future()),
        limit,
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`].
    ///
    /// It resolves to `Ok(output)` or, once the limit passes, drops the inner future and
    /// resolves to `Err(TimeoutError)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Timeout, TimeoutError};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let fut: Timeout<_> = asyncio_core::timeout(Duration::from_secs(1), async { "in time" });
    /// assert_eq!(fut.await, Ok("in time"));
    ///
    /// let never = asyncio_core::timeout(Duration::from_millis(1), std::future::pending::<()>());
    /// assert!(matches!(never.await, Err(TimeoutError { .. })));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        inner: tokio::time::Timeout<F>,
        limit: Duration,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let limit = *this.limit;
        this.inner
            .poll(cx)
            .map(|r| r.map_err(|_| TimeoutError { limit }))
    }
}

/// The error of a [`timeout`] that expired: `asyncio.TimeoutError`.
///
/// ```
/// # use std::time::Duration;
/// # asyncio_core::run(async {
/// let err = asyncio_core::timeout(Duration::ZERO, std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.limit(), Duration::ZERO);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutError {
    limit: Duration,
}

impl TimeoutError {
    /// The limit that was exceeded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let limit = Duration::from_millis(3);
    /// let err = asyncio_core::timeout(limit, std::future::pending::<()>())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.limit(), limit);
    /// # });
    /// ```
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation timed out after {:?}", self.limit)
    }
}

impl std::error::Error for TimeoutError {}
