//! The event loop — `asyncio.run`.
//!
//! [`run`] is `asyncio.run(main())`: it starts an event loop, drives one future to
//! completion, cancels every task still running, and returns the future's output.
//! [`Builder`] is the same with options (a multi-threaded loop, the paused test clock);
//! `#[asyncio::async_main]` and `#[asyncio::async_test]` expand to it.
//!
//! The backend is tokio: the default loop is a single-threaded tokio runtime with a
//! `LocalSet`, so [`spawn_local`](crate::spawn_local) accepts `!Send` futures, as
//! asyncio's single-threaded loop accepts any coroutine. Everything that talks to tokio
//! directly lives in this module and in [`task`](crate::task) and [`time`](crate::time).
//!
//! ```
//! use asyncio_core::runtime::Builder;
//!
//! // asyncio.run(main())
//! assert_eq!(asyncio_core::run(async { "hello" }), "hello");
//!
//! // The same on a multi-threaded loop with two workers.
//! let total = Builder::new().multi_thread().worker_threads(2).run(async {
//!     let a = asyncio_core::spawn(async { 40 });
//!     let b = asyncio_core::spawn(async { 2 });
//!     a.await + b.await
//! });
//! assert_eq!(total, 42);
//! ```

use std::cell::Cell;
use std::future::Future;
use std::panic::Location;
use std::time::Duration;

/// Which event loop [`Builder::run`] starts.
///
/// # Examples
///
/// ```
/// use asyncio_core::runtime::{Builder, Flavor};
///
/// assert_eq!(Flavor::default(), Flavor::CurrentThread);
/// let n = Builder::new()
///     .flavor(Flavor::MultiThread)
///     .run(async { asyncio_core::spawn(async { 6 * 7 }).await });
/// assert_eq!(n, 42);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Flavor {
    /// One thread runs every task, as in asyncio (the default). `spawn_local` works
    /// everywhere.
    #[default]
    CurrentThread,
    /// A pool of worker threads runs `spawn`ed tasks in parallel. The main future and
    /// its `spawn_local` tasks still run on the calling thread.
    MultiThread,
}

/// Starts an event loop, runs `future` on it to completion, and returns its output:
/// `asyncio.run(main())`.
///
/// The loop is single-threaded (use [`Builder`] for a multi-threaded one). Before `run`
/// returns, every task still running is cancelled — its future is dropped — so their
/// destructors have run when `run` returns, as `asyncio.run` cancels leftover tasks.
///
/// # Panics
///
/// Panics if called from code already running on an event loop (`asyncio::run() cannot
/// be called from a running event loop`): inside async code, `.await` the future instead.
/// A panic in `future` resumes in the caller.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let answer = asyncio_core::run(async {
///     asyncio_core::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    Builder::new().run(future)
}

/// Options for the event loop that [`Builder::run`] starts.
///
/// # Examples
///
/// ```
/// use asyncio_core::runtime::Builder;
///
/// let n = Builder::new()
///     .multi_thread()
///     .worker_threads(2)
///     .run(async {
///         let t = asyncio_core::spawn(async { 21 * 2 });
///         t.await
///     });
/// assert_eq!(n, 42);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a Builder does nothing until `.run(future)` is called"]
pub struct Builder {
    flavor: Flavor,
    worker_threads: Option<usize>,
    start_paused: bool,
    debug: Option<bool>,
    slow_poll: Option<Duration>,
}

impl Builder {
    /// A builder for the default loop: single-threaded, real clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    ///
    /// assert_eq!(Builder::new().run(async { 1 + 1 }), 2);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Selects the loop [`Flavor`].
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::{Builder, Flavor};
    ///
    /// let main_thread = std::thread::current().id();
    /// let worker_thread = Builder::new()
    ///     .flavor(Flavor::MultiThread)
    ///     .worker_threads(1)
    ///     .run(async { asyncio_core::spawn(async { std::thread::current().id() }).await });
    /// // Spawned tasks run on the pool's workers, not on the thread that called `run`.
    /// assert_ne!(worker_thread, main_thread);
    /// ```
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// Shorthand for `.flavor(Flavor::CurrentThread)` (the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    ///
    /// let main_thread = std::thread::current().id();
    /// let task_thread = Builder::new()
    ///     .current_thread()
    ///     .run(async { asyncio_core::spawn(async { std::thread::current().id() }).await });
    /// // One thread runs everything, as in asyncio.
    /// assert_eq!(task_thread, main_thread);
    /// ```
    pub fn current_thread(self) -> Self {
        self.flavor(Flavor::CurrentThread)
    }

    /// Shorthand for `.flavor(Flavor::MultiThread)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    ///
    /// let sums = Builder::new().multi_thread().run(async {
    ///     let a = asyncio_core::spawn(async { (1..=10u32).sum::<u32>() });
    ///     let b = asyncio_core::spawn(async { (11..=20u32).sum::<u32>() });
    ///     (a.await, b.await)
    /// });
    /// assert_eq!(sums, (55, 155));
    /// ```
    pub fn multi_thread(self) -> Self {
        self.flavor(Flavor::MultiThread)
    }

    /// The number of worker threads of a [`Flavor::MultiThread`] loop (default: one per
    /// core). Ignored by the current-thread loop.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    /// use std::collections::HashSet;
    ///
    /// let threads = Builder::new().multi_thread().worker_threads(2).run(async {
    ///     let mut ids = HashSet::new();
    ///     for _ in 0..8 {
    ///         ids.insert(asyncio_core::spawn(async { std::thread::current().id() }).await);
    ///     }
    ///     ids.len()
    /// });
    /// // Spawned tasks ran on at most the two worker threads.
    /// assert!((1..=2).contains(&threads));
    /// ```
    #[track_caller]
    pub fn worker_threads(mut self, n: usize) -> Self {
        assert!(n >= 1, "worker_threads must be at least 1, got 0");
        self.worker_threads = Some(n);
        self
    }

    /// Starts the loop with tokio's paused clock: time only moves when every task is
    /// idle, and then jumps straight to the next timer. Tests that sleep for seconds run
    /// in microseconds, and their timing is exact.
    ///
    /// Needs the `test-util` feature (enable it in `[dev-dependencies]`); only the
    /// current-thread loop supports it.
    ///
    /// # Panics
    ///
    /// [`run`](Self::run) panics if the `test-util` feature is off or the flavor is
    /// multi-threaded.
    ///
    /// # Examples
    ///
    /// (Compiled but not run when this crate's `test-util` feature is off: `run` would
    /// panic.)
    ///
    #[cfg_attr(feature = "test-util", doc = "```")]
    #[cfg_attr(not(feature = "test-util"), doc = "```no_run")]
    /// use asyncio_core::runtime::Builder;
    /// use asyncio_core::time::Instant;
    /// use std::time::Duration;
    ///
    /// let elapsed = Builder::new().start_paused(true).run(async {
    ///     let start = Instant::now();
    ///     asyncio_core::sleep(Duration::from_secs(3600)).await; // returns at once
    ///     start.elapsed()
    /// });
    /// assert_eq!(elapsed, Duration::from_secs(3600));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
        self
    }

    /// Turns [debug mode](crate::debug) on or off: every poll of a task that holds the
    /// loop longer than the [`slow_poll`](Self::slow_poll) threshold logs a warning
    /// naming the task. Without this call, the `ASYNCIO_DEBUG=1` environment variable
    /// decides.
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    /// use std::time::Duration;
    ///
    /// Builder::new()
    ///     .debug(true)
    ///     .slow_poll(Duration::from_millis(50))
    ///     .run(async {
    ///         asyncio_core::sleep(Duration::from_millis(60)).await; // awaiting is fine
    ///     });
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = Some(on);
        self
    }

    /// The debug-mode threshold: a single poll longer than this is reported (asyncio's
    /// `slow_callback_duration`). Default: `ASYNCIO_SLOW_POLL_MS` if set, else 100 ms.
    /// Only used when debug mode is on.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::debug::DEFAULT_SLOW_POLL;
    /// use asyncio_core::runtime::Builder;
    /// use std::time::Duration;
    ///
    /// // Report every poll that holds the loop for more than 20 ms, instead of 100 ms.
    /// let threshold = Duration::from_millis(20);
    /// assert!(threshold < DEFAULT_SLOW_POLL);
    /// let out = Builder::new()
    ///     .debug(true)
    ///     .slow_poll(threshold)
    ///     .run(async { "fast polls are not reported" });
    /// assert_eq!(out, "fast polls are not reported");
    /// ```
    pub fn slow_poll(mut self, threshold: Duration) -> Self {
        self.slow_poll = Some(threshold);
        self
    }

    /// Starts the loop, runs `future` on it to completion, cancels every task still
    /// running, and returns the output. See [`run`].
    ///
    /// # Panics
    ///
    /// As [`run`]; also if the loop cannot be created (the OS refused a thread or an
    /// I/O driver), or for the option conflicts listed on [`start_paused`](Self::start_paused).
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::runtime::Builder;
    /// use std::time::Duration;
    /// use tokio::sync::mpsc::error::TryRecvError;
    ///
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    /// let out = Builder::new().run(async move {
    ///     // Still running when the main future returns: `run` cancels it.
    ///     asyncio_core::spawn(async move {
    ///         let _tx = tx;
    ///         std::future::pending::<()>().await
    ///     })
    ///     .detach();
    ///     asyncio_core::sleep(Duration::from_millis(1)).await;
    ///     "done"
    /// });
    /// assert_eq!(out, "done");
    /// // The leftover task was dropped before `run` returned, and its sender with it.
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    #[track_caller]
    pub fn run<F: Future>(self, future: F) -> F::Output {
        if in_running_loop() {
            panic!(
                "asyncio::run() cannot be called from a running event loop: \
                 you are already inside async code, so `.await` the future instead"
            );
        }
        let threshold = crate::debug::resolve(self.debug, self.slow_poll);
        let rt = self.build_tokio(threshold);
        let local = tokio::task::LocalSet::new();
        let out = {
            let _guard = LoopGuard::enter(threshold);
            match threshold {
                None => local.block_on(&rt, future),
                Some(t) => {
                    let label = crate::debug::TaskLabel {
                        kind: crate::debug::Kind::Main,
                        name: None,
                        location: Location::caller(),
                    };
                    local.block_on(&rt, crate::debug::Instrumented::new(future, label, t))
                }
            }
        };
        // asyncio.run cancels what is left: first the `spawn_local` tasks, then every
        // spawned task (dropping a tokio runtime drops its tasks and waits for workers).
        drop(local);
        drop(rt);
        out
    }

    #[track_caller]
    fn build_tokio(&self, debug: Option<Duration>) -> tokio::runtime::Runtime {
        let mut b = match self.flavor {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                if let Some(n) = self.worker_threads {
                    b.worker_threads(n);
                }
                b
            }
        };
        b.enable_all();
        // tokio's builder has no thread hooks under `--cfg loom` (the loom tests do not
        // start a loop).
        #[cfg(not(loom))]
        b.on_thread_start(move || {
            POOL_THREAD.with(|c| c.set(true));
            DEBUG.with(|c| c.set(debug));
        });
        #[cfg(loom)]
        let _ = debug;
        if self.start_paused {
            assert!(
                self.flavor == Flavor::CurrentThread,
                "start_paused needs the current_thread flavor (the paused clock is \
                 tokio's, which only supports a single-threaded loop)"
            );
            enable_paused_clock(&mut b);
        }
        b.build()
            .unwrap_or_else(|e| panic!("asyncio: failed to start the event loop: {e}"))
    }
}

#[cfg(feature = "test-util")]
fn enable_paused_clock(b: &mut tokio::runtime::Builder) {
    b.start_paused(true);
}

#[cfg(not(feature = "test-util"))]
#[track_caller]
fn enable_paused_clock(_: &mut tokio::runtime::Builder) {
    panic!(
        "start_paused needs asyncio's `test-util` feature; add it where you use the \
         paused clock, e.g. in [dev-dependencies]: \
         asyncio = {{ version = \"0.1\", features = [\"test-util\"] }}"
    );
}

thread_local! {
    /// True while this thread is inside [`Builder::run`].
    static IN_LOOP: Cell<bool> = const { Cell::new(false) };
    /// True on the worker and blocking threads of a loop started by [`Builder::run`].
    static POOL_THREAD: Cell<bool> = const { Cell::new(false) };
    /// The debug-mode threshold of the loop this thread belongs to, if debug is on.
    static DEBUG: Cell<Option<Duration>> = const { Cell::new(None) };
    /// True while this thread runs a [`to_thread`](crate::to_thread) closure.
    static IN_TO_THREAD: Cell<bool> = const { Cell::new(false) };
}

struct LoopGuard(bool, Option<Duration>);

impl LoopGuard {
    fn enter(debug: Option<Duration>) -> Self {
        LoopGuard(
            IN_LOOP.with(|c| c.replace(true)),
            DEBUG.with(|c| c.replace(debug)),
        )
    }
}

impl Drop for LoopGuard {
    fn drop(&mut self) {
        IN_LOOP.with(|c| c.set(self.0));
        DEBUG.with(|c| c.set(self.1));
    }
}

/// The debug-mode slow-poll threshold of the loop running on this thread, if debug
/// mode is on.
#[inline]
pub(crate) fn debug_threshold() -> Option<Duration> {
    DEBUG.with(Cell::get)
}

/// Marks the current thread as running a blocking `to_thread` closure, where starting a
/// nested loop with [`run`] is allowed (it is not async code).
pub(crate) fn in_to_thread<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_TO_THREAD.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(IN_TO_THREAD.with(|c| c.replace(true)));
    f()
}

/// Whether the current thread is running async code on an event loop: inside
/// [`Builder::run`], or inside a task of any tokio runtime (but not in a `to_thread`
/// closure, which may block and so may start a loop of its own).
fn in_running_loop() -> bool {
    IN_LOOP.with(Cell::get) || (tokio::task::try_id().is_some() && !IN_TO_THREAD.with(Cell::get))
}

/// Whether a tokio runtime context is (cheaply) known to be entered on this thread:
/// inside [`Builder::run`], on one of its pool threads, or inside any tokio task. Only a
/// thread-local read, unlike `Handle::try_current`, which clones an `Arc`.
#[inline]
pub(crate) fn surely_in_runtime() -> bool {
    IN_LOOP.with(Cell::get) || POOL_THREAD.with(Cell::get) || tokio::task::try_id().is_some()
}

/// Panics with the "no running event loop" message unless a tokio runtime is entered
/// on this thread. `what` names the function that needs one. The common case is a
/// thread-local read; only off the loop's threads does it ask tokio.
#[track_caller]
#[inline]
pub(crate) fn ensure_loop(what: &str) {
    if !loop_entered() {
        no_loop(what);
    }
}

/// Whether a tokio runtime is entered on this thread: the thread-local check first,
/// tokio's only off the loop's threads.
#[inline]
fn loop_entered() -> bool {
    surely_in_runtime() || tokio::runtime::Handle::try_current().is_ok()
}

/// As [`ensure_loop`], for callers that need the runtime's handle.
#[track_caller]
pub(crate) fn expect_loop(what: &str) -> tokio::runtime::Handle {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => h,
        Err(_) => no_loop(what),
    }
}

#[cold]
#[track_caller]
pub(crate) fn no_loop(what: &str) -> ! {
    panic!(
        "no running event loop: `{what}` must be called from async code running on an \
         event loop; start one with #[asyncio::async_main], #[asyncio::async_test] or \
         asyncio::run(...)"
    )
}

/// As [`ensure_loop`], for the calls that act at once (`spawn`, like asyncio's
/// `create_task`, needs the loop when it is called, not when awaited). The message adds
/// the usual cause: such a call written as `asyncio::run`'s argument runs before the
/// loop starts.
#[track_caller]
#[inline]
pub(crate) fn ensure_loop_now(what: &str) {
    if !loop_entered() {
        no_loop_now(what);
    }
}

#[cold]
#[track_caller]
fn no_loop_now(what: &str) -> ! {
    panic!(
        "no running event loop: `{what}` must be called from async code running on an \
         event loop; start one with #[asyncio::async_main], #[asyncio::async_test] or \
         asyncio::run(...). `{what}` acts at once, so in `asyncio::run({what}(..))` it runs \
         before the loop starts (the argument is evaluated first): wrap it in an async \
         block, `asyncio::run(async {{ {what}(..).await }})`"
    )
}

/// What `#[async_main]` and `#[async_test]` expand to.
#[doc(hidden)]
pub mod __entry {
    use super::Builder;
    use std::future::Future;
    use std::time::Duration;

    /// Runs the body of an `#[async_main]` function.
    #[track_caller]
    pub fn run_main<F: Future>(builder: Builder, body: F) -> F::Output {
        builder.run(body)
    }

    /// Runs the body of an `#[async_test]` function, failing the test with a message
    /// naming the limit if it takes longer than `timeout` (`limit_text` is the limit as
    /// the user wrote it, e.g. `"250ms"`).
    #[track_caller]
    pub fn run_test<F: Future>(
        builder: Builder,
        timeout: Option<(Duration, &'static str)>,
        body: F,
    ) -> F::Output {
        match timeout {
            None => builder.run(body),
            Some((limit, text)) => builder.run(async move {
                match tokio::time::timeout(limit, body).await {
                    Ok(out) => out,
                    Err(_) => panic!("test timed out: it ran longer than its timeout of {text}"),
                }
            }),
        }
    }
}

/// `tokio::task::spawn_local` with asyncio's error messages. The caller has checked
/// that a runtime is entered.
#[track_caller]
pub(crate) fn spawn_local_inner<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if POOL_THREAD.with(Cell::get) && !IN_LOOP.with(Cell::get) {
        panic!(
            "spawn_local() was called on a worker thread of a multi-threaded event loop, \
             where !Send tasks cannot run: call it from the main future (the thread that \
             started the loop), use spawn() for Send futures, or use the default \
             current_thread flavor"
        );
    }
    tokio::task::spawn_local(future)
}
