//! `gather_all` and `try_gather_all`: joins over an iterator of futures.

use core::convert::Infallible;
use core::fmt;
use core::future::{Future, IntoFuture};
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::driver::Driver;

/// Runs every future of `iter` concurrently and returns their outputs in input order:
/// `await asyncio.gather(*aws)`.
///
/// The first poll polls every child once, in input order; after that only children
/// whose own waker fired are polled (O(woken) work per wake, however many children
/// there are). The children live in one buffer: a constant number of allocations per
/// call, none per child. Call [`limit`](GatherAll::limit) to run at most `n` at a time.
///
/// Dropping the returned future drops (cancels) every child still running. A panic in
/// a child drops the others, then resumes in the awaiter with its original payload.
/// Works on any executor.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::gather_all;
///
/// # futures::executor::block_on(async {
/// let doubled = gather_all((1..=3).map(|i| async move { i * 2 })).await;
/// assert_eq!(doubled, vec![2, 4, 6]);
/// # });
/// ```
pub fn gather_all<I>(iter: I) -> GatherAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    GatherAll {
        driver: Driver::new(iter.into_iter().map(IntoFuture::into_future)),
    }
}

/// The future returned by [`gather_all`].
///
/// It resolves to the outputs in input order, whatever order the children finished
/// in. [`limit`](Self::limit) caps how many run at once.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::{GatherAll, gather_all};
/// use futures::channel::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel::<&str>();
/// let waits = async move { rx.await.unwrap() }; // finishes last
/// let sends = async move {
///     tx.send("from second").unwrap();
///     "second"
/// };
/// let all: GatherAll<_> = gather_all([
///     futures::future::Either::Left(waits),
///     futures::future::Either::Right(sends),
/// ]);
/// // Input order, not completion order.
/// assert_eq!(all.await, ["from second", "second"]);
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct GatherAll<F: Future> {
    driver: Driver<F, F::Output>,
}

impl<F: Future> GatherAll<F> {
    /// Runs at most `n` children at a time; the next one starts as soon as one
    /// finishes (like an `asyncio.Semaphore(n)` around each). Outputs stay in input
    /// order.
    ///
    /// # Panics
    ///
    /// If `n == 0` (the limit must be ≥ 1), or if called after the first poll.
    ///
    /// ```
    /// use asyncio_core::gather::gather_all;
    ///
    /// # futures::executor::block_on(async {
    /// let out = gather_all((0..10).map(|i| async move { i })).limit(3).await;
    /// assert_eq!(out, (0..10).collect::<Vec<_>>());
    /// # });
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        self.driver.set_limit(n);
        self
    }
}

impl<F: Future> Future for GatherAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let d = &mut self.get_mut().driver;
        match d.poll::<Infallible>(cx, true, ControlFlow::Continue) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(never)) => match never {},
            Poll::Ready(None) => Poll::Ready(d.take_all("gather_all")),
        }
    }
}

impl<F: Future> fmt::Debug for GatherAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherAll")
            .field("len", &self.driver.len())
            .field("remaining", &self.driver.remaining())
            .finish()
    }
}

/// Like [`gather_all`] for children returning `Result`: all `Ok` values in input order,
/// or the first `Err`.
///
/// The first `Err` drops (cancels) every other child at once and is returned. This
/// differs from `asyncio.gather`, which leaves the other children running after an
/// exception; it matches `asyncio.TaskGroup`. Unlike futures' `try_join_all` (which stops
/// short-circuiting above 30 children), this always short-circuits, whatever the
/// number of children, and polls in a deterministic order: input order on the first
/// poll, then wake order.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::try_gather_all;
///
/// # futures::executor::block_on(async {
/// let ok = try_gather_all(["1", "2"].map(|s| async move { s.parse::<u8>() })).await;
/// assert_eq!(ok, Ok(vec![1, 2]));
/// let err = try_gather_all(["1", "x"].map(|s| async move { s.parse::<u8>() })).await;
/// assert!(err.is_err());
/// # });
/// ```
pub fn try_gather_all<I, T, E>(iter: I) -> TryGatherAll<<I::Item as IntoFuture>::IntoFuture, T>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    TryGatherAll {
        driver: Driver::new(iter.into_iter().map(IntoFuture::into_future)),
    }
}

/// The future returned by [`try_gather_all`].
///
/// It resolves to `Ok` with every value in input order, or to the first `Err`, having
/// dropped (cancelled) the children still running.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::{TryGatherAll, try_gather_all};
/// use futures::future::{BoxFuture, FutureExt};
///
/// # futures::executor::block_on(async {
/// let children: Vec<BoxFuture<'static, Result<u8, &str>>> = vec![
///     std::future::pending().boxed(), // never finishes: cancelled by the error
///     async { Err("bad input") }.boxed(),
/// ];
/// let all: TryGatherAll<_, u8> = try_gather_all(children);
/// assert_eq!(all.await, Err("bad input"));
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryGatherAll<F, T> {
    driver: Driver<F, T>,
}

impl<F, T, E> TryGatherAll<F, T>
where
    F: Future<Output = Result<T, E>>,
{
    /// Runs at most `n` children at a time; see [`GatherAll::limit`].
    ///
    /// # Panics
    ///
    /// If `n == 0` (the limit must be ≥ 1), or if called after the first poll.
    ///
    /// ```
    /// use asyncio_core::gather::try_gather_all;
    ///
    /// # futures::executor::block_on(async {
    /// let out = try_gather_all((0..5).map(|i| async move { Ok::<_, ()>(i) })).limit(2).await;
    /// assert_eq!(out, Ok(vec![0, 1, 2, 3, 4]));
    /// # });
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        self.driver.set_limit(n);
        self
    }
}

impl<F, T, E> Future for TryGatherAll<F, T>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let d = &mut self.get_mut().driver;
        let r = d.poll(cx, true, |r| match r {
            Ok(t) => ControlFlow::Continue(t),
            Err(e) => ControlFlow::Break(e),
        });
        match r {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(e)) => {
                d.drop_all();
                Poll::Ready(Err(e))
            }
            Poll::Ready(None) => Poll::Ready(Ok(d.take_all("try_gather_all"))),
        }
    }
}

impl<F: Future, T> fmt::Debug for TryGatherAll<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGatherAll")
            .field("len", &self.driver.len())
            .field("remaining", &self.driver.remaining())
            .finish()
    }
}
