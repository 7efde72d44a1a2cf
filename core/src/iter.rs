//! The `AsyncIterable` protocol behind `async_for!` — Python's `async for`.
//!
//! | asyncio | here |
//! |---|---|
//! | `async for x in aiterable:` | `async_for!(x in stream { … })` |
//! | `__aiter__` | [`AsyncIterable::into_stream`] |
//! | `__anext__` / `anext(it)` | [`next`] (or `futures::StreamExt::next`) |
//! | `break` / `continue` / `for … else` | `break` / `continue` / labels (`async_for!('outer: x in s { … })`) |
//!
//! Every [`Stream`] is async iterable — including `&mut S` for `S: Stream + Unpin`, so
//! a loop can stop early and the rest of the stream be consumed later. A type that is
//! not a stream is rejected with an error in words:
//!
//! ```text
//! error[E0277]: `Vec<i32>` is not an async iterable
//! ```
//!
//! For a plain iterator use `for`, or turn it into a stream with
//! `futures::stream::iter(...)`.
//!
//! The other way round — a plain `for` over a generator or any other stream — the
//! compiler says "`impl FusedStream + Stream<Item = u32>` is not an iterator" (or names
//! the stream type) and cannot be taught to mention `async_for!`: the hint would have
//! to sit on std's `Iterator`. The fix is always the same: `for x in s { … }` →
//! `async_for!(x in s { … })`, inside async code.
//!
//! Without the `asyncio` macros, the loop `async_for!` writes is a `while let` over
//! [`next`]:
//!
//! ```
//! use asyncio_core::iter::{AsyncIterable, next};
//! use std::pin::pin;
//!
//! # futures::executor::block_on(async {
//! // async for word in aiterable: ...
//! let mut words = pin!(futures::stream::iter(["a", "bb", "ccc"]).into_stream());
//! let mut total = 0;
//! while let Some(word) = next(words.as_mut()).await {
//!     total += word.len();
//! }
//! assert_eq!(total, 6);
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// Something `async_for!` can loop over (Python's `__aiter__`).
///
/// Implemented for every [`Stream`]. Implement it for your own type to make it usable
/// in `async_for!` without calling a method first. Its `Stream` type must be named: for
/// a stream made by a [`generator`](fn@crate::generator) or a chain of adapters, use
/// [`BoxStream`] (or [`LocalBoxStream`] when it is not `Send`) and box it — see the
/// second example.
///
/// # Examples
///
/// ```
/// use asyncio_core::iter::AsyncIterable;
/// use futures::StreamExt;
///
/// struct Countdown(u32);
///
/// impl AsyncIterable for Countdown {
///     type Item = u32;
///     type Stream = futures::stream::Iter<std::iter::Rev<std::ops::Range<u32>>>;
///     fn into_stream(self) -> Self::Stream {
///         futures::stream::iter((0..self.0).rev())
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let v: Vec<u32> = Countdown(3).into_stream().collect().await;
/// assert_eq!(v, [2, 1, 0]);
/// # });
/// ```
///
/// Python's `__aiter__` written as an async generator:
///
/// ```
/// use asyncio_core::generator;
/// use asyncio_core::iter::{AsyncIterable, BoxStream};
/// use futures::StreamExt;
///
/// /// class Ticker:
/// ///     async def __aiter__(self):
/// ///         for i in range(self.n): yield i
/// struct Ticker {
///     n: u32,
/// }
///
/// impl AsyncIterable for Ticker {
///     type Item = u32;
///     type Stream = BoxStream<'static, u32>;
///     fn into_stream(self) -> Self::Stream {
///         Box::pin(generator(async move |co| {
///             for i in 0..self.n {
///                 co.yield_(i).await;
///             }
///         }))
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let v: Vec<u32> = Ticker { n: 3 }.into_stream().collect().await;
/// assert_eq!(v, [0, 1, 2]);
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an async iterable",
    label = "not a `Stream` or `AsyncIterable`",
    note = "`async_for!` loops over streams; for an iterator use a plain `for` loop, or wrap it with `futures::stream::iter(...)`"
)]
pub trait AsyncIterable {
    /// The type of the items.
    type Item;
    /// The stream that yields them.
    type Stream: Stream<Item = Self::Item>;
    /// Turns `self` into the stream to loop over.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::iter::AsyncIterable;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// // A `Stream` is its own async iterable.
    /// let s = futures::stream::iter(["a", "b"]).into_stream();
    /// assert_eq!(s.collect::<Vec<_>>().await, ["a", "b"]);
    /// # });
    /// ```
    fn into_stream(self) -> Self::Stream;
}

// `do_not_recommend`: a non-stream is reported as "not an async iterable", without a
// list of every `Stream` type in scope.
#[diagnostic::do_not_recommend]
impl<S: Stream> AsyncIterable for S {
    type Item = S::Item;
    type Stream = S;
    #[inline]
    fn into_stream(self) -> S {
        self
    }
}

/// A boxed stream that is `Send`: a nameable type for any stream, e.g. as
/// [`AsyncIterable::Stream`] of your own type (the same type as `futures`'
/// `BoxStream`).
///
/// # Examples
///
/// ```
/// use asyncio_core::iter::BoxStream;
/// use futures::StreamExt;
///
/// fn evens(n: u32) -> BoxStream<'static, u32> {
///     Box::pin(futures::stream::iter(0..n).filter(|x| std::future::ready(x % 2 == 0)))
/// }
/// # futures::executor::block_on(async {
/// assert_eq!(evens(5).collect::<Vec<_>>().await, [0, 2, 4]);
/// # });
/// ```
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = T> + Send + 'a>>;

/// A boxed stream that need not be `Send` (one holding an `Rc`, say): the `!Send`
/// counterpart of [`BoxStream`].
///
/// # Examples
///
/// ```
/// use asyncio_core::iter::LocalBoxStream;
/// use futures::StreamExt;
/// use std::rc::Rc;
///
/// fn shared_words(words: Rc<Vec<&'static str>>) -> LocalBoxStream<'static, &'static str> {
///     Box::pin(futures::stream::iter(0..words.len()).map(move |i| words[i]))
/// }
/// # futures::executor::block_on(async {
/// let words = Rc::new(vec!["a", "b"]);
/// assert_eq!(shared_words(words).collect::<Vec<_>>().await, ["a", "b"]);
/// # });
/// ```
pub type LocalBoxStream<'a, T> = Pin<Box<dyn Stream<Item = T> + 'a>>;

/// `async_for!`'s first step: [`AsyncIterable::into_stream`] as a function.
#[doc(hidden)]
#[inline]
pub fn into_stream<I: AsyncIterable>(iterable: I) -> I::Stream {
    iterable.into_stream()
}

/// The next item of a pinned stream (Python's `anext`): a future of `Option<Item>`.
///
/// ```
/// use asyncio_core::iter::next;
/// use std::pin::pin;
///
/// # futures::executor::block_on(async {
/// let mut s = pin!(futures::stream::iter([1, 2]));
/// assert_eq!(next(s.as_mut()).await, Some(1));
/// assert_eq!(next(s.as_mut()).await, Some(2));
/// assert_eq!(next(s.as_mut()).await, None);
/// # });
/// ```
#[inline]
pub fn next<S: Stream + ?Sized>(stream: Pin<&mut S>) -> Next<'_, S> {
    Next { stream }
}

/// The future returned by [`next`].
///
/// # Examples
///
/// ```
/// use asyncio_core::iter::{Next, next};
/// use std::pin::pin;
///
/// # futures::executor::block_on(async {
/// let mut s = pin!(futures::stream::iter(["only"]));
/// let fut: Next<'_, _> = next(s.as_mut());
/// assert_eq!(fut.await, Some("only"));
/// assert_eq!(next(s.as_mut()).await, None);
/// # });
/// ```
#[must_use = "futures do nothing unless `.await`ed"]
pub struct Next<'a, S: ?Sized> {
    stream: Pin<&'a mut S>,
}

impl<S: ?Sized> fmt::Debug for Next<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

impl<S: Stream + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.stream.as_mut().poll_next(cx)
    }
}
