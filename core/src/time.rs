//! Time — `asyncio.sleep`, `asyncio.timeout`, `asyncio.timeout_at` and `asyncio.wait_for`.
//!
//! | asyncio | here |
//! |---|---|
//! | `await asyncio.sleep(secs)` | `sleep(Duration::from_secs_f64(secs)).await` |
//! | `loop.time()` + `asyncio.sleep` to a deadline | [`sleep_until`]`(Instant)` |
//! | `await asyncio.wait_for(aw, secs)` / `async with asyncio.timeout(secs):` | [`timeout`]`(dur, fut).await` → `Result<T, TimeoutError>` |
//! | `async with asyncio.timeout_at(when):` | [`timeout_at`]`(instant, fut).await` |
//! | `cm.reschedule(when)`, `cm.when()`, `cm.expired()` | [`Timeout::reschedule`] (pinned), [`Timeout::deadline`], [`Timeout::expired`] |
//! | `async with asyncio.timeout(secs) as cm:` whose body calls `cm.reschedule(...)` | [`timeout_with`]`(dur, async \|cm\| { … cm.reschedule(when); … })` |
//! | `asyncio.sleep(0)` (let others run) | [`yield_now`](crate::yield_now) |
//!
//! When the deadline passes, a timeout drops the inner future — Rust's cancellation —
//! and returns `Err(TimeoutError)`.
//!
//! Sleeps and timeouts are lazy, like coroutines: building one needs no event loop and
//! does nothing, and a relative duration counts from the first poll (tokio's `sleep`
//! counts from the call, and needs its runtime then). Polling one needs a running event
//! loop (they use tokio's timer).
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
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::task::coop;

pub use tokio::time::Instant;

/// Waits for `duration`: `await asyncio.sleep(secs)`.
///
/// **Lazy**, like the coroutine `asyncio.sleep(secs)`: building it needs no event loop
/// and does nothing, and the duration counts from the **first poll** (the first
/// `.await`). (tokio's `sleep` instead needs a runtime when it is called and counts from
/// then.) So `asyncio::run(sleep(d))` works, and a sleep built early and awaited later
/// still waits its whole duration.
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
///
/// # Examples
///
/// ```
/// use asyncio_core::time::Instant;
/// use std::time::Duration;
///
/// let nap = asyncio_core::sleep(Duration::from_millis(10)); // no loop needed yet
/// asyncio_core::run(async {
///     let start = Instant::now();
///     nap.await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Deadline::After(duration), "sleep")
}

/// Waits until `deadline`: `asyncio.sleep` to an absolute time (`loop.time()` based).
///
/// Lazy like [`sleep`]: nothing happens until the first poll. A deadline already past
/// completes on the first poll.
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
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
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Deadline::At(deadline), "sleep_until")
}

pin_project_lite::pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`].
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, Sleep, sleep};
    /// use std::pin::pin;
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut nap: std::pin::Pin<&mut Sleep> = pin!(sleep(Duration::from_secs(3600)));
    /// assert_eq!(nap.deadline(), None); // not started: a relative sleep has no deadline yet
    /// let soon = Instant::now() + Duration::from_millis(1);
    /// nap.as_mut().reset(soon); // wake earlier
    /// nap.as_mut().await;
    /// assert!(nap.is_elapsed());
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Sleep {
        // tokio's timer, armed on the first poll.
        #[pin]
        timer: Option<tokio::time::Sleep>,
        deadline: Deadline,
        elapsed: bool,
        what: &'static str,
    }
}

impl Sleep {
    fn new(deadline: Deadline, what: &'static str) -> Self {
        Sleep {
            timer: None,
            deadline,
            elapsed: false,
            what,
        }
    }

    /// When it completes: `None` before the first poll of a relative [`sleep`] (its
    /// duration counts from then).
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::Instant;
    /// use std::time::Duration;
    ///
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(asyncio_core::sleep_until(at).deadline(), Some(at));
    /// assert_eq!(asyncio_core::sleep(Duration::from_secs(1)).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        match self.deadline {
            Deadline::After(_) => None,
            Deadline::At(at) => Some(at),
        }
    }

    /// Whether it has completed.
    ///
    /// # Examples
    ///
    /// ```
    /// # asyncio_core::run(async {
    /// let mut nap = Box::pin(asyncio_core::sleep(std::time::Duration::ZERO));
    /// assert!(!nap.is_elapsed());
    /// nap.as_mut().await;
    /// assert!(nap.is_elapsed());
    /// # });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.elapsed
    }

    /// Moves the deadline, before or during the sleep (also after it completed: it
    /// then waits again, as tokio's `Sleep::reset`).
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::Instant;
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut nap = Box::pin(asyncio_core::sleep(Duration::from_secs(3600)));
    /// let at = Instant::now() + Duration::from_millis(2);
    /// nap.as_mut().reset(at);
    /// assert_eq!(nap.deadline(), Some(at));
    /// nap.await;
    /// assert!(Instant::now() >= at);
    /// # });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = Deadline::At(deadline);
        *this.elapsed = false;
        if let Some(timer) = this.timer.as_pin_mut() {
            timer.reset(deadline);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.timer.is_none() {
            crate::runtime::ensure_loop(this.what);
            let at = this.deadline.fix(Instant::now());
            *this.deadline = Deadline::At(at);
            this.timer.set(Some(tokio::time::sleep_until(at)));
        }
        let timer = this.timer.as_pin_mut().expect("armed above");
        ready!(timer.poll(cx));
        *this.elapsed = true;
        Poll::Ready(())
    }
}

/// A timeout's deadline, before and after its first poll.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// `limit` after the first poll (a relative limit, not yet polled).
    After(Duration),
    /// At this instant ([`timeout_at`], a reschedule, or a relative limit once polled).
    At(Instant),
}

impl Deadline {
    /// The instant it means when first polled at `now`. An overflowing relative limit
    /// never passes: 30 years is tokio's "never" too.
    fn fix(self, now: Instant) -> Instant {
        match self {
            Deadline::After(limit) => now
                .checked_add(limit)
                .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400)),
            Deadline::At(at) => at,
        }
    }
}

pin_project_lite::pin_project! {
    /// The timer half of a timeout, shared by [`Timeout`] and [`TimeoutWith`]: the
    /// deadline, and the tokio timer armed on the first poll.
    #[derive(Debug)]
    struct Clock {
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        deadline: Deadline,
        // When the first poll happened; `None` before it.
        started: Option<Instant>,
        expired: bool,
        // The function that built the timeout, for the "no running event loop" message.
        what: &'static str,
    }
}

impl Clock {
    fn new(deadline: Deadline, what: &'static str) -> Self {
        Clock {
            sleep: None,
            deadline,
            started: None,
            expired: false,
            what,
        }
    }

    fn is_started(&self) -> bool {
        self.started.is_some()
    }

    /// Done: expired, or its future finished (no timer is armed any more).
    fn is_done(&self) -> bool {
        self.started.is_some() && self.sleep.is_none()
    }

    fn deadline(&self) -> Option<Instant> {
        match self.deadline {
            Deadline::After(_) => None,
            Deadline::At(at) => Some(at),
        }
    }

    /// The first poll: fixes the deadline and arms the timer, or fails at once if the
    /// deadline is not in the future (then the caller must not poll its future).
    fn start(self: Pin<&mut Self>) -> Result<(), TimeoutError> {
        let mut this = self.project();
        crate::runtime::ensure_loop(this.what);
        let now = Instant::now();
        let deadline = this.deadline.fix(now);
        *this.deadline = Deadline::At(deadline);
        *this.started = Some(now);
        if deadline <= now {
            *this.expired = true;
            return Err(TimeoutError::new(now, deadline));
        }
        this.sleep.set(Some(tokio::time::sleep_until(deadline)));
        Ok(())
    }

    /// Moves the deadline; does nothing once done.
    fn reschedule(self: Pin<&mut Self>, deadline: Instant) {
        if self.is_done() {
            return;
        }
        let this = self.project();
        *this.deadline = Deadline::At(deadline);
        if let Some(sleep) = this.sleep.as_pin_mut() {
            sleep.reset(deadline);
        }
    }

    /// Polls the timer (armed by [`start`](Self::start)). `had_budget`: whether tokio's
    /// cooperative budget was left before the caller polled its future; if that future
    /// used it up, the timer is polled regardless, so a future that is always ready
    /// cannot keep the timeout from firing (what `tokio::time::timeout` does).
    fn poll_expired(
        self: Pin<&mut Self>,
        had_budget: bool,
        cx: &mut Context<'_>,
    ) -> Poll<TimeoutError> {
        let mut this = self.project();
        let Some(mut sleep) = this.sleep.as_mut().as_pin_mut() else {
            unreachable!("a timeout's timer is polled only while it runs");
        };
        let fired = if had_budget && !coop::has_budget_remaining() {
            pin!(coop::unconstrained(sleep.as_mut())).poll(cx)
        } else {
            sleep.as_mut().poll(cx)
        };
        ready!(fired);
        let deadline = sleep.deadline();
        this.sleep.set(None);
        *this.expired = true;
        let started = this.started.unwrap_or(deadline);
        Poll::Ready(TimeoutError::new(started, deadline))
    }

    /// The future finished in time: disarms the timer.
    fn finish(self: Pin<&mut Self>) {
        self.project().sleep.set(None);
    }
}

/// Runs `future` for at most `limit`: `asyncio.wait_for(aw, timeout)`, or the body of
/// `async with asyncio.timeout(delay):`.
///
/// Resolves to `Ok(output)` if the future finishes in time. Otherwise the future is
/// dropped (cancelled) when the limit passes and the result is `Err(TimeoutError)`,
/// whose message names the limit.
///
/// **Lazy**, like a coroutine: building the timeout needs no event loop and does
/// nothing; the limit counts from the **first poll** (the first `.await`), not from this
/// call. A zero limit fails on the first poll without polling `future` at all (the rule
/// of `asyncio.wait_for(aw, 0)`); `future` is dropped then. If the future and the limit
/// finish in the same poll, the future wins.
///
/// The returned [`Timeout`] can move its deadline while it runs
/// ([`Timeout::reschedule`]); for a body that moves its own deadline, see
/// [`timeout_with`].
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
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
///
/// // Built here, but the limit counts from the first `.await`.
/// let later = timeout(Duration::from_millis(50), sleep(Duration::from_millis(1)));
/// sleep(Duration::from_millis(60)).await;
/// assert_eq!(later.await, Ok(()));
/// # });
/// ```
pub fn timeout<F: IntoFuture>(limit: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Some(future.into_future()),
        clock: Clock::new(Deadline::After(limit), "timeout"),
    }
}

/// Runs `future` until `deadline` at most: `async with asyncio.timeout_at(when):`.
///
/// As [`timeout`], with an absolute deadline (on the loop's clock: [`Instant`]). Lazy
/// too: nothing happens before the first poll. A deadline that has already passed at
/// the first poll fails without polling `future`.
///
/// The [`TimeoutError`] reports [`limit`](TimeoutError::limit) as the time from the
/// first poll to the deadline, and the deadline itself.
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
///
/// # Examples
///
/// ```
/// use asyncio_core::time::{Instant, sleep, timeout_at};
/// use std::time::Duration;
///
/// # asyncio_core::run(async {
/// // One deadline for several steps, as `loop.time() + 0.01` in asyncio.
/// let deadline = Instant::now() + Duration::from_millis(10);
/// let err = timeout_at(deadline, sleep(Duration::from_secs(60))).await.unwrap_err();
/// assert_eq!(err.deadline(), deadline);
///
/// // The deadline has passed now: a future given it is not even polled.
/// let past = timeout_at(deadline, async { unreachable!() }).await;
/// assert!(past.is_err());
///
/// let far = Instant::now() + Duration::from_secs(60);
/// assert_eq!(timeout_at(far, async { 1 }).await, Ok(1));
/// # });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Some(future.into_future()),
        clock: Clock::new(Deadline::At(deadline), "timeout_at"),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`]: asyncio's `Timeout`
    /// context manager around one future.
    ///
    /// It resolves to `Ok(output)` or, once the deadline passes, drops the inner future
    /// and resolves to `Err(TimeoutError)`. Pin it (`std::pin::pin!`) to call
    /// [`reschedule`](Self::reschedule) while it runs. It holds tokio's timer inline: no
    /// allocation.
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
        // `None` once the timeout completed: the future is dropped at that point.
        #[pin]
        future: Option<F>,
        #[pin]
        clock: Clock,
    }
}

impl<F> Timeout<F> {
    /// Moves the deadline to `deadline`, earlier or later: asyncio's
    /// `cm.reschedule(when)`.
    ///
    /// Before the first poll this replaces the limit (the timeout then behaves as
    /// [`timeout_at`]`(deadline, ..)`); while it runs, it re-arms the timer. A deadline
    /// that has already passed expires the timeout at its next poll, after one more poll
    /// of the inner future (before the first poll: without polling it). Once the timeout
    /// has completed this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, sleep, timeout};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut t = std::pin::pin!(timeout(Duration::from_millis(5), sleep(Duration::from_millis(20))));
    /// // More time for this one.
    /// t.as_mut().reschedule(Instant::now() + Duration::from_secs(60));
    /// assert_eq!(t.await, Ok(()));
    /// # });
    /// ```
    pub fn reschedule(self: Pin<&mut Self>, deadline: Instant) {
        self.project().clock.reschedule(deadline);
    }

    /// The deadline: asyncio's `cm.when()`.
    ///
    /// `None` before the first poll of a relative [`timeout`] (its limit counts from
    /// that poll); the deadline given to [`timeout_at`] or [`reschedule`](Self::reschedule)
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, timeout};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut t = std::pin::pin!(timeout(Duration::from_secs(5), std::future::pending::<()>()));
    /// assert_eq!(t.deadline(), None); // not started yet
    /// let before = Instant::now();
    /// assert!(futures::poll!(t.as_mut()).is_pending());
    /// assert!(t.deadline().unwrap() >= before + Duration::from_secs(5));
    /// # });
    /// ```
    #[doc(alias = "when")]
    pub fn deadline(&self) -> Option<Instant> {
        self.clock.deadline()
    }

    /// Whether the deadline passed and the timeout fired: asyncio's `cm.expired()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::timeout;
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut t = std::pin::pin!(timeout(Duration::from_millis(1), std::future::pending::<()>()));
    /// assert!(!t.expired());
    /// assert!(t.as_mut().await.is_err());
    /// assert!(t.expired());
    /// # });
    /// ```
    pub fn expired(&self) -> bool {
        self.clock.expired
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if !this.clock.is_started() {
            if let Err(e) = this.clock.as_mut().start() {
                this.future.set(None); // never polled, as asyncio's wait_for(aw, 0)
                return Poll::Ready(Err(e));
            }
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`Timeout` polled after completion");
        };
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(out) = future.poll(cx) {
            this.future.set(None);
            this.clock.finish();
            return Poll::Ready(Ok(out));
        }
        let err = ready!(this.clock.poll_expired(had_budget, cx));
        this.future.set(None);
        Poll::Ready(Err(err))
    }
}

/// Runs `body` for at most `limit`, handing it a [`TimeoutHandle`] to move its own
/// deadline: `async with asyncio.timeout(delay) as cm:` where the body calls
/// `cm.reschedule(...)`.
///
/// The classic use is an idle timeout: each time data arrives, push the deadline back.
/// Otherwise as [`timeout`]: lazy (`body` is called on the first poll, when the limit
/// starts counting), `Ok(output)` in time, and once the deadline passes the body's
/// future is dropped and the result is `Err(TimeoutError)`. A zero limit fails on the
/// first poll without calling `body`.
///
/// The handle is `Clone + Send`, so the deadline can also be moved from another task;
/// rescheduling wakes the timeout, which re-arms its timer. This is the one timeout
/// that allocates: the handle and the timeout share one `Arc<Mutex<_>>`, created on the
/// first poll.
///
/// # Panics
///
/// Polling it panics with `no running event loop` outside an event loop.
///
/// # Examples
///
/// ```
/// use asyncio_core::time::{Instant, sleep, timeout_with};
/// use std::time::Duration;
///
/// # asyncio_core::run(async {
/// // An idle timeout: 20 ms without a message ends the session.
/// let idle = Duration::from_millis(20);
/// let r = timeout_with(idle, async move |cm| {
///     let mut seen = 0;
///     for _ in 0..3 {
///         sleep(Duration::from_millis(5)).await; // a message arrives
///         seen += 1;
///         cm.reschedule(Instant::now() + idle);
///     }
///     std::future::pending::<()>().await; // then silence
///     seen
/// })
/// .await;
/// assert!(r.is_err());
/// # });
/// ```
pub fn timeout_with<F, Fut>(limit: Duration, body: F) -> TimeoutWith<F, Fut>
where
    F: FnOnce(TimeoutHandle) -> Fut,
    Fut: Future,
{
    TimeoutWith {
        body: Some(body),
        future: None,
        clock: Clock::new(Deadline::After(limit), "timeout_with"),
        shared: None,
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{TimeoutWith, timeout_with};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let t = timeout_with(Duration::from_secs(1), async |cm| cm.deadline());
    /// let deadline = t.await.unwrap();
    /// assert!(deadline > asyncio_core::time::Instant::now());
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TimeoutWith<F, Fut> {
        // The body, until the first poll calls it.
        body: Option<F>,
        // The body's future, from the first poll until the timeout completes.
        #[pin]
        future: Option<Fut>,
        #[pin]
        clock: Clock,
        // Shared with the handles; created on the first poll.
        shared: Option<Arc<Mutex<Shared>>>,
    }

    impl<F, Fut> PinnedDrop for TimeoutWith<F, Fut> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(shared) = this.project().shared.as_ref() {
                let mut s = lock(shared);
                s.done = true;
                s.waker = None;
            }
        }
    }
}

impl<F, Fut> fmt::Debug for TimeoutWith<F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutWith")
            .field("clock", &self.clock)
            .field("started", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, Fut> Future for TimeoutWith<F, Fut>
where
    F: FnOnce(TimeoutHandle) -> Fut,
    Fut: Future,
{
    type Output = Result<Fut::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if !this.clock.is_started() {
            if let Err(e) = this.clock.as_mut().start() {
                *this.body = None; // never called
                return Poll::Ready(Err(e));
            }
            let Some(deadline) = this.clock.deadline() else {
                unreachable!("a started timeout has a deadline");
            };
            let shared = Arc::new(Mutex::new(Shared {
                deadline,
                moved: None,
                waker: None,
                expired: false,
                done: false,
            }));
            let body = this
                .body
                .take()
                .expect("`TimeoutWith` polled after completion");
            this.future.set(Some(body(TimeoutHandle {
                shared: Arc::clone(&shared),
            })));
            *this.shared = Some(shared);
        }
        let (Some(shared), Some(future)) =
            (this.shared.as_ref(), this.future.as_mut().as_pin_mut())
        else {
            panic!("`TimeoutWith` polled after completion");
        };
        let had_budget = coop::has_budget_remaining();
        if let Poll::Ready(out) = future.poll(cx) {
            this.future.set(None);
            this.clock.finish();
            let mut s = lock(shared);
            s.done = true;
            s.waker = None;
            return Poll::Ready(Ok(out));
        }
        {
            // After the body's poll, so a reschedule made in it applies at once.
            let mut s = lock(shared);
            match &s.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => s.waker = Some(cx.waker().clone()),
            }
            if let Some(deadline) = s.moved.take() {
                this.clock.as_mut().reschedule(deadline);
            }
        }
        let err = ready!(this.clock.poll_expired(had_budget, cx));
        this.future.set(None);
        let mut s = lock(shared);
        s.expired = true;
        s.done = true;
        s.waker = None;
        Poll::Ready(Err(err))
    }
}

/// What a [`TimeoutHandle`] shares with its [`TimeoutWith`].
#[derive(Debug)]
struct Shared {
    /// The current deadline (a reschedule updates it at once).
    deadline: Instant,
    /// A reschedule the timeout has not applied to its timer yet.
    moved: Option<Instant>,
    /// The task polling the timeout, woken by a reschedule.
    waker: Option<Waker>,
    expired: bool,
    /// The timeout completed or was dropped: rescheduling does nothing.
    done: bool,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // The state stays consistent at every step, so a panic elsewhere cannot poison it.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The handle that [`timeout_with`] gives its body: asyncio's `cm` in
/// `async with asyncio.timeout(delay) as cm:`.
///
/// Cheap to clone (an `Arc`) and `Send`, so the deadline can be moved from the body or
/// from any other task or thread.
///
/// # Examples
///
/// ```
/// use asyncio_core::time::{Instant, TimeoutHandle, sleep, timeout_with};
/// use std::time::Duration;
///
/// # asyncio_core::run(async {
/// let (tx, rx) = tokio::sync::oneshot::channel::<TimeoutHandle>();
/// let t = asyncio_core::spawn(timeout_with(Duration::from_millis(50), async move |cm| {
///     tx.send(cm).unwrap();
///     sleep(Duration::from_millis(30)).await;
///     "finished"
/// }));
/// // Another task extends the deadline it was handed.
/// let cm = rx.await.unwrap();
/// cm.reschedule(Instant::now() + Duration::from_secs(60));
/// assert_eq!(t.await, Ok("finished"));
/// assert!(!cm.expired());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct TimeoutHandle {
    shared: Arc<Mutex<Shared>>,
}

impl TimeoutHandle {
    /// Moves the deadline to `deadline`, earlier or later: `cm.reschedule(when)`.
    ///
    /// Takes effect at once: the timeout is woken and re-arms its timer (a deadline in
    /// the past expires it, dropping the body's future). Once the timeout has completed
    /// or been dropped this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, sleep, timeout_with};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// // Cut our own time short: give up now rather than in an hour.
    /// let r = timeout_with(Duration::from_secs(3600), async |cm| {
    ///     cm.reschedule(Instant::now());
    ///     sleep(Duration::from_secs(60)).await;
    /// })
    /// .await;
    /// assert!(r.is_err());
    /// # });
    /// ```
    pub fn reschedule(&self, deadline: Instant) {
        let waker = {
            let mut s = lock(&self.shared);
            if s.done {
                return;
            }
            s.deadline = deadline;
            s.moved = Some(deadline);
            s.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The current deadline: `cm.when()`. Reflects a [`reschedule`](Self::reschedule)
    /// at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, timeout_with};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let later = Instant::now() + Duration::from_secs(10);
    /// let r = timeout_with(Duration::from_secs(1), async move |cm| {
    ///     cm.reschedule(later);
    ///     cm.deadline()
    /// })
    /// .await;
    /// assert_eq!(r, Ok(later));
    /// # });
    /// ```
    #[doc(alias = "when")]
    pub fn deadline(&self) -> Instant {
        lock(&self.shared).deadline
    }

    /// Whether the timeout fired: `cm.expired()`. The body never sees `true` (it is
    /// dropped when the timeout fires); another holder of a clone may.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{TimeoutHandle, timeout_with};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let mut handle: Option<TimeoutHandle> = None;
    /// let r = timeout_with(Duration::from_millis(1), async |cm| {
    ///     handle = Some(cm.clone());
    ///     std::future::pending::<()>().await
    /// })
    /// .await;
    /// assert!(r.is_err());
    /// assert!(handle.unwrap().expired());
    /// # });
    /// ```
    pub fn expired(&self) -> bool {
        lock(&self.shared).expired
    }
}

/// The error of a timeout that expired: `asyncio.TimeoutError`.
///
/// [`limit`](Self::limit) is the time the timeout allowed: from its first poll to the
/// deadline it expired at. For [`timeout`]`(limit, ..)` that is exactly `limit`; for
/// [`timeout_at`] or a rescheduled timeout it is the time to the final deadline (zero
/// for a deadline already past at the first poll). [`deadline`](Self::deadline) is that
/// deadline.
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
    deadline: Instant,
}

impl TimeoutError {
    fn new(started: Instant, deadline: Instant) -> Self {
        TimeoutError {
            limit: deadline.saturating_duration_since(started),
            deadline,
        }
    }

    /// The time the timeout allowed, from its first poll to its deadline.
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

    /// The deadline that passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::time::{Instant, timeout_at};
    /// use std::time::Duration;
    ///
    /// # asyncio_core::run(async {
    /// let deadline = Instant::now() + Duration::from_millis(3);
    /// let err = timeout_at(deadline, std::future::pending::<()>()).await.unwrap_err();
    /// assert_eq!(err.deadline(), deadline);
    /// assert!(Instant::now() >= deadline);
    /// # });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation timed out after {:?}", self.limit)
    }
}

impl std::error::Error for TimeoutError {}
