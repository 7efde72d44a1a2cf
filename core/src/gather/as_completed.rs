//! `as_completed`: a stream of outputs in completion order.

use core::fmt;
use core::future::{Future, IntoFuture};
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::{FusedStream, Stream};

use super::driver::Driver;

/// Runs every future of `iter` concurrently and yields each output as soon as its
/// future finishes: `for coro in asyncio.as_completed(aws): result = await coro`.
///
/// Built on the same machinery as [`gather_all`](super::gather_all): one buffer for the
/// children, O(woken) work per wake. Dropping the stream drops every child still
/// running.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::as_completed;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let mut done = as_completed([1, 2, 3].map(|i| async move { i * 10 }));
/// let mut seen = Vec::new();
/// while let Some(v) = done.next().await {
///     seen.push(v);
/// }
/// seen.sort();
/// assert_eq!(seen, vec![10, 20, 30]);
/// # });
/// ```
pub fn as_completed<I>(iter: I) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompleted {
        driver: Driver::new(iter.into_iter().map(IntoFuture::into_future)),
    }
}

/// The stream returned by [`as_completed`].
///
/// Its `size_hint` is exact (the number of children still running), and it implements
/// [`FusedStream`]: once every output was yielded it keeps returning `None`.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::{AsCompleted, as_completed};
/// use futures::stream::{FusedStream, Stream, StreamExt};
///
/// # futures::executor::block_on(async {
/// let mut s: AsCompleted<_> = as_completed(['a', 'b'].map(|c| async move { c }));
/// assert_eq!(s.size_hint(), (2, Some(2)));
/// let first = s.next().await.unwrap();
/// assert_eq!(s.size_hint(), (1, Some(1)));
/// let second = s.next().await.unwrap();
/// assert_ne!(first, second);
/// assert_eq!(s.next().await, None);
/// assert!(s.is_terminated());
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F> {
    driver: Driver<F, ()>,
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        // An item does not end the stream: a panic of its child's `Drop` is that
        // child's panic.
        self.get_mut().driver.poll(cx, false, ControlFlow::Break)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.driver.remaining();
        (n, Some(n))
    }
}

impl<F: Future> FusedStream for AsCompleted<F> {
    fn is_terminated(&self) -> bool {
        self.driver.remaining() == 0
    }
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.driver.remaining())
            .finish()
    }
}
