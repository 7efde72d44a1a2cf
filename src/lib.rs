#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub use asyncio_core::*;

/// Runs an `async fn` on a new event loop: `asyncio.run(main())` as an attribute.
///
/// ```
/// use std::time::Duration;
///
/// #[asyncio::async_main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let port: u16 = "8080".parse()?;
///     asyncio::sleep(Duration::from_millis(10)).await;
///     println!("listening on {port}");
///     Ok(())
/// }
/// ```
///
/// The function becomes a plain `fn` with the same name, parameters and return type
/// that starts an event loop ([`runtime::Builder`]), drives the body to completion,
/// cancels every task still running (as `asyncio.run` does) and returns the body's
/// value. Any return type works: `()`, `Result<(), E>` (an `Err` makes the program
/// exit with an error, as for a sync `main`), `impl std::process::Termination`.
///
/// # Options
///
/// | Option | Meaning |
/// |---|---|
/// | `flavor = "current_thread"` | The default: one thread runs every task, as in asyncio; [`spawn_local`] accepts `!Send` futures. |
/// | `flavor = "multi_thread"` | [`spawn`]ed tasks run in parallel on a pool of worker threads (the body itself still runs on the calling thread). |
/// | `worker_threads = N` | The size of that pool (`multi_thread` only, `N ≥ 1`; default: one per core). |
/// | `debug` (or `debug = true` / `false`) | [Debug mode](debug): a poll that holds the loop longer than the threshold logs a warning naming the task. Without the option, the `ASYNCIO_DEBUG` environment variable decides. |
/// | `slow_poll = "50ms"` | The debug-mode threshold (units `ms` and `s`; default 100 ms or `ASYNCIO_SLOW_POLL_MS`). |
/// | `crate = "path"` | Where the `asyncio` crate is, when it is renamed or re-exported (default `::asyncio`). |
///
/// ```
/// #[asyncio::async_main(flavor = "multi_thread", worker_threads = 4)]
/// async fn main() {
///     let caller = std::thread::current().id();
///     let worker = asyncio::spawn(async { std::thread::current().id() }).await;
///     assert_ne!(caller, worker);
/// }
/// ```
///
/// With a renamed dependency (`aio = { package = "asyncio", ... }`) or an alias:
///
/// ```
/// use asyncio as aio;
///
/// #[aio::async_main(crate = "aio")]
/// async fn main() {
///     assert_eq!(aio::spawn(async { 6 * 7 }).await, 42);
/// }
/// ```
///
/// # Mistakes it reports
///
/// Each of these is one compile error at the faulty token, and the function is still
/// emitted, so no follow-on error ("`main` function not found", "`main` function is not
/// allowed to be `async`", errors inside the body) appears: a missing `async`; `main`
/// with parameters; a method (`self`); an unknown, duplicate or badly-valued option;
/// `worker_threads` without `flavor = "multi_thread"`, or `worker_threads = 0`; a
/// malformed `slow_poll`.
/// The body stays in a real `async fn` with your return type, so a wrong `?` or a wrong
/// return value is reported once, at your line, exactly as in any `async fn`.
///
/// # On other functions
///
/// On a function other than `main`, the attribute makes a synchronous function that
/// starts a new event loop every time it is called (parameters are passed through).
/// Calling it from async code panics (`asyncio::run() cannot be called from a running
/// event loop`): `.await` an `async fn` there instead.
///
/// ```
/// #[asyncio::async_main]
/// async fn fetch_len(url: &str) -> usize {
///     asyncio::sleep(std::time::Duration::from_millis(1)).await;
///     url.len()
/// }
///
/// # fn main() {
/// assert_eq!(fetch_len("https://example.com"), 19); // a plain call: no `.await`
/// # }
/// ```
///
/// Limitation: the body is moved into a nested `async fn`, so it cannot name `Self` or
/// the generic parameters of an enclosing `impl` block.
pub use asyncio_macros::async_main;

/// Runs an `async fn` test on a fresh event loop: a `#[test]` whose body may `.await`.
///
/// ```
/// use std::time::Duration;
///
/// #[asyncio::async_test]
/// async fn adds() {
///     assert_eq!(asyncio::spawn(async { 1 + 1 }).await, 2);
/// }
///
/// // The paused clock: the hour passes at once, and exactly.
/// #[asyncio::async_test(start_paused, timeout = "2s")]
/// async fn sleeps_an_hour() {
///     let start = asyncio::time::Instant::now();
///     asyncio::sleep(Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// }
/// # fn main() {}
/// ```
///
/// The attribute adds `#[test]` itself; writing `#[test]` as well is an error (after
/// the attribute: "second test attribute"; before it, rustc's "async functions cannot
/// be used for tests"). `#[should_panic]` and `#[ignore]` work before or after it. The test may return `Result<(), E>`, as a sync test may. Each test gets its own
/// loop, and tasks still running at its end are cancelled.
///
/// # Options
///
/// Those of [`async_main`] (the default flavor is `current_thread` here too), plus:
///
/// | Option | Meaning |
/// |---|---|
/// | `timeout = "250ms"` / `timeout = "5s"` | Fails the test with `test timed out: it ran longer than its timeout of 250ms` if it runs longer (a whole number, unit `ms` or `s`). With `start_paused` the limit is in virtual time. |
/// | `start_paused` (or `start_paused = true` / `false`) | Starts the loop with tokio's paused clock: time moves only when every task is idle, then jumps to the next timer, so sleeps cost nothing and elapsed times are exact. `current_thread` only; needs the `test-util` feature (`asyncio = { ..., features = ["test-util"] }` in `[dev-dependencies]`). |
///
/// Misuse is reported as for [`async_main`]: one error at the faulty token and no
/// follow-on errors (a missing `async`, parameters, a malformed or zero `timeout`, an
/// unknown or duplicate option, `start_paused` with `multi_thread`).
pub use asyncio_macros::async_test;

// --- gather: gather!, try_gather!, race! ---

/// Runs futures concurrently and returns all their outputs, in argument order:
/// `a, b = await asyncio.gather(fa(), fb())`.
///
/// ```text
/// gather!(f1, f2, ..., fN).await  ->  (O1, O2, ..., ON)
/// ```
///
/// Each argument is anything [`IntoFuture`](std::future::IntoFuture); at least one is
/// needed. The returned future is lazy (nothing runs until it is awaited) and
/// `#[must_use]`. Dropping it drops (cancels) every child still running. If a child
/// panics, the others are dropped and the panic continues in the awaiter with its
/// original payload.
///
/// **Cost.** No heap allocation: the children live inline in the returned future, as
/// with `futures::join!`. On each wake every unfinished child is polled, starting one
/// child later than the previous poll (as `tokio::join!` does), so no argument is
/// starved by the ones before it. We chose rotation over per-child wakers because a
/// per-child waker may outlive the join (a child can keep a clone), which forces a heap
/// allocation, and for the handful of children of a macro call re-polling is cheaper
/// than that allocation. For many children (or a number known only at run time) use
/// [`gather_all`], which polls only the children that were woken.
///
/// The expansion contains no `unsafe`, so it works in crates with
/// `#![forbid(unsafe_code)]`. Works on any executor. An argument that is not a future
/// is reported as "`T` is not a future" at that argument (rustc repeats the error at
/// the macro call when the bad argument is not the first one).
///
/// # Examples
///
/// ```
/// use asyncio::prelude::*;
/// use std::time::Duration;
///
/// async fn fetch(name: &str, ms: u64) -> String {
///     sleep(Duration::from_millis(ms)).await;
///     format!("{name} done")
/// }
///
/// # asyncio::run(async {
/// let (a, b, n) = gather!(fetch("a", 20), fetch("b", 10), async { 42 }).await;
/// assert_eq!((a.as_str(), b.as_str(), n), ("a done", "b done", 42));
/// # });
/// ```
///
/// For `gather(..., return_exceptions=True)`, return `Result`s from the children:
/// `gather!` keeps each one. For "first error cancels the rest", see [`try_gather!`].
#[macro_export]
macro_rules! gather {
    ($($t:tt)*) => {
        $crate::__private::gather!($crate; $($t)*)
    };
}

/// Like [`gather!`] for futures returning `Result`: `Ok` with every value in argument
/// order, or the first `Err`.
///
/// ```text
/// try_gather!(f1, ..., fN).await  ->  Result<(T1, ..., TN), E>
/// ```
///
/// The first `Err` drops (cancels) every other child at once and is returned. This
/// differs from `asyncio.gather`, which propagates the first exception but leaves the
/// other awaitables running; here nothing keeps running that no one can observe (the
/// behaviour of `asyncio.TaskGroup`). All children must share the error type `E`.
/// Otherwise as [`gather!`]: lazy, `#[must_use]`, no allocation, rotating poll order.
///
/// # Examples
///
/// ```
/// use asyncio::prelude::*;
///
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// # futures::executor::block_on(async {
/// let (n, m) = try_gather!(parse("1"), parse("2")).await?;
/// assert_eq!(n + m, 3);
/// assert!(try_gather!(parse("1"), parse("x")).await.is_err());
/// # Ok::<(), std::num::ParseIntError>(())
/// # }).unwrap();
/// ```
#[macro_export]
macro_rules! try_gather {
    ($($t:tt)*) => {
        $crate::__private::try_gather!($crate; $($t)*)
    };
}

/// Runs futures concurrently; the first to finish wins and the others are dropped
/// (cancelled): `asyncio.wait(..., return_when=FIRST_COMPLETED)` plus cancelling the
/// rest.
///
/// ```text
/// race!(f1, ..., fN).await  ->  O   (every fi has output O)
/// ```
///
/// Not biased towards the first argument: the first poll starts at a child picked by a
/// per-thread counter and later polls rotate, so when several children are ready at
/// once each wins in turn. No allocation, no `unsafe` in the expansion. For a number of
/// futures known only at run time use [`race_all`].
///
/// # Examples
///
/// ```
/// use asyncio::prelude::*;
/// use std::time::Duration;
///
/// # asyncio::run(async {
/// let winner = race!(
///     async { sleep(Duration::from_millis(50)).await; "slow" },
///     async { sleep(Duration::from_millis(1)).await; "fast" },
/// )
/// .await;
/// assert_eq!(winner, "fast");
/// # });
/// ```
#[macro_export]
macro_rules! race {
    ($($t:tt)*) => {
        $crate::__private::race!($crate; $($t)*)
    };
}

// --- generator: async_for! ---

/// Python's `async for`: loops over a stream (anything [`AsyncIterable`]).
///
/// ```text
/// async_for!(pattern in stream { body })
/// async_for!('label: pattern in stream { body })
/// ```
///
/// | Python | here |
/// |---|---|
/// | `async for x in agen():` | `async_for!(x in agen() { … });` |
/// | `async for (k, v) in pairs():` | `async_for!((k, v) in pairs() { … });` |
/// | `break` / `continue` | `break` / `continue`, labels: `async_for!('outer: x in s { … break 'outer; })` |
///
/// The stream is pinned by the macro, so `!Unpin` streams (like a [`generator()`]) need no
/// `pin!`. Pass `&mut s` (for `s: Stream + Unpin`) to keep the stream after the loop.
/// The pattern must be irrefutable, as in `for`. The macro expands to a `loop` around
/// `next(stream).await`, so it works only in async code (an `async fn` or `async`
/// block), and costs what that hand-written loop costs.
///
/// A plain `for` does not work on a stream (`E0277: … is not an iterator`): a stream's
/// items arrive asynchronously. And a value that is not a stream is rejected in words:
/// "`Vec<i32>` is not an async iterable" (use `for`, or `futures::stream::iter(v)`).
///
/// # Examples
///
/// ```
/// use asyncio::prelude::*;
///
/// fn count_to(n: u32) -> impl Stream<Item = u32> {
///     generator(async move |co| {
///         for i in 0..n {
///             co.yield_(i).await;
///         }
///     })
/// }
///
/// # asyncio::run(async {
/// let mut seen = Vec::new();
/// async_for!(i in count_to(10) {
///     if i % 2 == 1 {
///         continue;
///     }
///     if i > 6 {
///         break;
///     }
///     seen.push(i);
/// });
/// assert_eq!(seen, [0, 2, 4, 6]);
///
/// // Destructuring, labels, and breaking out of an enclosing loop:
/// let pairs = || futures::stream::iter([(1, 'a'), (2, 'b'), (3, 'c')]);
/// let mut found = None;
/// 'outer: for round in 0.. {
///     async_for!('inner: (n, c) in pairs() {
///         if round == 1 && n == 2 {
///             found = Some(c);
///             break 'outer;
///         }
///         if n == 2 {
///             continue 'inner;
///         }
///     });
/// }
/// assert_eq!(found, Some('b'));
/// # });
/// ```
///
/// Any stream adapter works on the way in, here tokio-stream's:
///
/// ```
/// use asyncio::prelude::*;
/// use tokio_stream::StreamExt as _;
///
/// # asyncio::run(async {
/// let words = generator(async |co| {
///     for w in ["a", "bb", "ccc", "dddd"] {
///         co.yield_(w).await;
///     }
/// });
/// let mut lens = Vec::new();
/// async_for!(n in words.map(str::len).skip(1) {
///     lens.push(n);
/// });
/// assert_eq!(lens, [2, 3, 4]);
/// # });
/// ```
#[macro_export]
macro_rules! async_for {
    ($($t:tt)*) => {
        $crate::__private::async_for!($crate; $($t)*)
    };
}

/// The names most programs need, in one import: `use asyncio::prelude::*;`.
///
/// ```
/// use asyncio::prelude::*;
/// use std::time::Duration;
///
/// #[asyncio::async_main]
/// async fn main() {
///     let (a, b) = gather!(async { 1 }, async { 2 }).await;
///     let task = spawn(async { sleep(Duration::from_millis(1)).await; 3 });
///     let mut total = a + b + task.await;
///     async_for!(x in generator(async |co| { co.yield_(4).await }) {
///         total += x;
///     });
///     assert_eq!(total, 10);
/// }
/// ```
pub mod prelude {
    pub use asyncio_core::Stream;
    pub use asyncio_core::{sleep, sleep_until, spawn, spawn_local, timeout, to_thread, yield_now};
    // --- waiting on tasks, shielding, deadlines ---
    pub use asyncio_core::{ReturnWhen, shield, timeout_at, wait};
    // --- gather ---
    pub use crate::{gather, race, try_gather};
    pub use asyncio_core::{as_completed, gather_all, race_all, try_gather_all};
    // --- generator ---
    pub use crate::async_for;
    pub use asyncio_core::{AsyncIterable, Co, generator, try_generator};
    // --- group ---
    pub use asyncio_core::group::{GroupError, TaskGroup, scope};
    // --- sync ---
    pub use asyncio_core::sync::{
        Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, PriorityQueue, Queue,
        QueueShutDown, Semaphore,
    };
}

#[doc(hidden)]
pub mod __private {
    pub use asyncio_core::__private::*;
    // --- macros used by the macro_rules! wrappers above ---
    pub use asyncio_macros::async_for;
    pub use asyncio_macros::{gather, race, try_gather};
}
