//! `race_all`: the first of many futures to finish wins.

use core::fmt;
use core::future::{Future, IntoFuture};
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::driver::Driver;

/// Runs every future of `iter` concurrently; the first to finish wins and every other
/// one is dropped (cancelled): `asyncio.wait(aws, return_when=FIRST_COMPLETED)` followed
/// by cancelling the pending set.
///
/// Not biased towards the first future: the first poll starts at a child chosen by a
/// per-thread counter, so when several are ready at once each wins in turn. After the
/// first poll only woken children are polled.
///
/// # Panics
///
/// If `iter` is empty (there would be no winner; `asyncio.wait` raises `ValueError`).
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::race_all;
/// use std::future::{pending, ready};
/// use futures::future::{Either, FutureExt};
///
/// # futures::executor::block_on(async {
/// let winner = race_all([pending::<u8>().left_future(), ready(7).right_future()]).await;
/// assert_eq!(winner, 7);
/// # });
/// ```
pub fn race_all<I>(iter: I) -> RaceAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let mut driver = Driver::new(iter.into_iter().map(IntoFuture::into_future));
    assert!(
        driver.len() > 0,
        "race_all needs at least one future: there is no winner of an empty race"
    );
    driver.set_rotate(super::next_start(driver.len()));
    RaceAll { driver }
}

/// The future returned by [`race_all`].
///
/// It resolves to the winner's output; by then every other child has been dropped.
///
/// # Examples
///
/// ```
/// use asyncio_core::gather::{RaceAll, race_all};
/// use futures::future::{BoxFuture, FutureExt};
/// use std::sync::Arc;
///
/// # futures::executor::block_on(async {
/// let loser_state = Arc::new(());
/// let held = Arc::clone(&loser_state);
/// let racers: Vec<BoxFuture<'static, &str>> = vec![
///     async move {
///         let _held = held; // dropped when this child is cancelled
///         std::future::pending().await
///     }
///     .boxed(),
///     async { "fast" }.boxed(),
/// ];
/// let race: RaceAll<_> = race_all(racers);
/// assert_eq!(race.await, "fast");
/// assert_eq!(Arc::strong_count(&loser_state), 1); // the loser was dropped
/// # });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RaceAll<F> {
    driver: Driver<F, ()>,
}

impl<F: Future> Future for RaceAll<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let d = &mut self.get_mut().driver;
        match d.poll(cx, true, ControlFlow::Break) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(out)) => {
                d.drop_all();
                Poll::Ready(out)
            }
            Poll::Ready(None) => panic!("`race_all` polled after it completed"),
        }
    }
}

impl<F: Future> fmt::Debug for RaceAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RaceAll")
            .field("len", &self.driver.len())
            .finish()
    }
}
