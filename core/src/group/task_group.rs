//! [`TaskGroup`]: spawned children with asyncio's `TaskGroup` semantics.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use pin_project_lite::pin_project;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::error::{ChildError, Failure, GroupError};
use super::once::Once;
use super::state::GroupState;
use crate::gather::unwind::{Payload, caught, drop_quietly};

mod link;
use link::{Link, Sites};

// `repr(C)` with `state` first puts it in the same cache line as the `Arc`'s counts:
// every spawn and every child's end touch both, from different threads under the
// multi-threaded loop, so one contended line instead of two.
#[repr(C)]
struct Shared<E> {
    /// Live children (spawned, future not yet dropped) and the closed/cancelled flags.
    state: GroupState,
    supervisor: bool,
    /// Wakes every child's wrapper when the group is cancelled.
    cancel: Arc<Notify>,
    /// The future that drives the group (`TaskGroup::run`).
    driver: AtomicWaker,
    failures: Mutex<Vec<Failure<E>>>,
    panic: Mutex<Option<Payload>>,
    runtime: tokio::runtime::Handle,
    /// Spawn locations of unnamed children (see [`link`]).
    sites: Sites<E>,
    /// Keeps every child's task cell until this group's side frees it: see
    /// [`Cells`].
    cells: Option<Mutex<Cells>>,
}

/// A reference to each child's tokio task, so that the memory of a finished child is
/// freed by the thread that spawns (in a sweep) or by the group's driver — not by the
/// worker thread that ran the child. Under the multi-threaded loop a free on another
/// thread than the allocation's goes to glibc's arena lock, which the spawning thread
/// is taking for every new task: a group of 100,000 children spent about half its time
/// there (BENCHMARKS.md). A current-thread loop frees on its own thread anyway, so
/// there the list is not kept (`None`).
///
/// Sweeps run when the list has doubled and at least half of it has finished, so they
/// cost O(1) amortized per spawn, never scan children that are all still running, and
/// keep a long-lived group's list within a small multiple of its live children.
struct Cells {
    handles: Vec<tokio::task::AbortHandle>,
    sweep_at: usize,
}

impl Cells {
    const FIRST_SWEEP: usize = 64;

    fn new(runtime: &tokio::runtime::Handle) -> Option<Self> {
        match runtime.runtime_flavor() {
            tokio::runtime::RuntimeFlavor::CurrentThread => None,
            _ => Some(Cells {
                handles: Vec::new(),
                sweep_at: Self::FIRST_SWEEP,
            }),
        }
    }

    fn keep(&mut self, handle: tokio::task::AbortHandle, live: usize) {
        let len = self.handles.len();
        if len >= self.sweep_at {
            // `live` counts children whose future still exists; the rest have finished
            // or are about to.
            if len.saturating_sub(live) >= len / 2 {
                self.handles.retain(|h| !h.is_finished());
            }
            self.sweep_at = (self.handles.len() * 2).max(Self::FIRST_SWEEP);
        }
        self.handles.push(handle);
    }
}

impl<E> Shared<E> {
    /// Cancels every child and the body; closes the group.
    fn cancel(&self) {
        if self.state.cancel() {
            self.cancel.notify_waiters();
            self.driver.wake();
        }
    }

    fn fail(&self, failure: Failure<E>) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(failure);
        if !self.supervisor {
            self.cancel();
        }
    }

    /// A child or the body panicked (in its poll, or in the `Drop` of its finished
    /// future): cancel everything; the first panic resumes in the caller.
    #[cold]
    fn panicked(&self, payload: Payload) {
        let later = {
            let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
            match *slot {
                None => {
                    *slot = Some(payload);
                    None
                }
                Some(_) => Some(payload),
            }
        };
        // A later panic's payload is dropped (outside the lock): only the first resumes.
        if let Some(p) = later {
            drop_quietly(p);
        }
        self.cancel();
    }

    /// A `Drop` panicked while a child or the body was being cancelled: part of the
    /// clean-up after the first failure, which it never replaces; the group's panic
    /// only if nothing failed before (say a child cancelled by `abort`).
    #[cold]
    fn cleanup_panicked(&self, payload: Payload) {
        let later = {
            let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
            let failed = !self
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty();
            if slot.is_none() && !failed {
                *slot = Some(payload);
                None
            } else {
                Some(payload)
            }
        };
        if let Some(p) = later {
            drop_quietly(p);
        }
        self.cancel();
    }

    fn release(&self) {
        if self.state.leave() {
            self.driver.wake();
        }
    }
}

/// A group of spawned tasks that finish together: asyncio's `TaskGroup`.
///
/// | asyncio | here |
/// |---|---|
/// | `async with asyncio.TaskGroup() as tg:` | `TaskGroup::run(async \|tg\| { ... }).await` |
/// | `tg.create_task(coro)` | `tg.spawn(fut)` (`Send`), `tg.spawn_local(fut)` (`!Send`) |
/// | `tg.create_task(coro, name="dl")` | `tg.spawn_named("dl", fut)` |
/// | `await task` (inside the group) | `handle.await` → `Result<T, ChildError>` |
/// | `except* ValueError as eg:` (`ExceptionGroup`) | `Err(GroupError<E>)` |
/// | `KeyboardInterrupt` in a child | a panic: everything is cancelled, then the panic resumes |
/// | cancelling the task running the group | dropping the `run` future |
/// | (no equivalent; cpython#101581) | [`TaskGroup::supervise`] |
///
/// `TaskGroup<E>` is the handle the body receives: cheap to clone, `Send + Sync`, so
/// children can spawn more children (tokio's `JoinSet` needs `&mut`, tokio#6547).
/// Children are tokio tasks, so under the multi-threaded loop they run in parallel.
/// Every child returns `Result<T, E>`; `E` is the group's error type.
///
/// **Semantics** (those of Python 3.11's `TaskGroup`):
/// - The group finishes only when the body and every child have finished — including
///   children spawned by children while the body was already done.
/// - The first failure (a child's `Err` or the body's) cancels every other child and
///   the body, and closes the group. When all have stopped, `run` returns one
///   [`GroupError`] with every failure in order, each with the child's name and spawn
///   location. Cancelled children are not failures.
/// - A panic in a child or the body cancels everything, waits for it to stop, then
///   resumes in the caller with the original payload.
/// - A panic in a `Drop` never aborts and never replaces the first failure; if nothing
///   failed before (a child returned `Ok`, then its `Drop` panicked), it is a panic as
///   above, and the child's handle says `Err(ChildError::Panicked)` (see the
///   [module docs](super)).
/// - Dropping the `run` future cancels every child: none runs past the `.await` it was
///   suspended at, and the loop drops their futures as it reaches them — a handful of
///   children on its next turn; a large group over a few turns (tokio runs about 61
///   tasks per turn), or at once on worker threads under the multi-threaded loop.
/// - Spawning into a closed or cancelling group does not run the future (it is
///   dropped at once); the handle resolves to `Err(ChildError::Closed)`.
///
/// **Cancellation differs from asyncio.** In asyncio a cancelled child gets a
/// `CancelledError` at its `await` and may run async cleanup (`finally: await ...`).
/// Here a cancelled child is *dropped*: its destructors run, but no async code does.
///
/// **Why a closure.** `async with` has no Rust equivalent (there is no async `Drop` to
/// wait for children at the end of a block), so the block becomes an async closure and
/// `run` waits for the children after it returns. The closure cannot forget to wait,
/// and a group cannot be leaked while its children run.
///
/// # Examples
///
/// ```
/// use asyncio_core::group::TaskGroup;
/// use std::time::Duration;
///
/// async fn fetch(n: u64) -> Result<u64, String> {
///     asyncio_core::sleep(Duration::from_millis(n)).await;
///     Ok(n * 10)
/// }
///
/// # asyncio_core::run(async {
/// let total = TaskGroup::run(async |tg| {
///     let a = tg.spawn(fetch(2));
///     let b = tg.spawn_named("b", fetch(1));
///     Ok(a.await.unwrap() + b.await.unwrap())
/// })
/// .await;
/// assert_eq!(total.unwrap(), 30);
/// # });
/// ```
pub struct TaskGroup<E> {
    shared: Arc<Shared<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            shared: self.shared.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("live_children", &self.shared.state.live())
            .field("closed", &self.shared.state.is_closed())
            .field("cancelling", &self.shared.state.is_cancelled())
            .field("supervisor", &self.shared.supervisor)
            .finish()
    }
}

impl<E: Send + 'static> TaskGroup<E> {
    /// Runs `body` with a new group, then waits for every child:
    /// `async with asyncio.TaskGroup() as tg:`.
    ///
    /// Returns the body's value if neither it nor any child failed, or a
    /// [`GroupError`] with every failure. See [`TaskGroup`] for the full semantics.
    ///
    /// # Panics
    ///
    /// Panics with `no running event loop` if awaited outside an event loop. Resumes a
    /// panic of the body or of any child (in a poll or in a `Drop`), after cancelling
    /// and waiting for the rest. Panics if polled after it completed.
    ///
    /// # Examples
    ///
    /// ```
    /// use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// let err = TaskGroup::run(async |tg| {
    ///     tg.spawn_named("ok", async { Ok(1) });
    ///     tg.spawn_named("bad", async { Err::<(), _>("boom") });
    ///     tg.spawn_named("slow", std::future::pending::<Result<(), _>>()); // cancelled by "bad"
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(err.failures()[0].name(), Some("bad"));
    /// assert_eq!(err.into_errors(), vec!["boom"]);
    /// # });
    /// ```
    pub fn run<T, F, Fut>(body: F) -> impl Future<Output = Result<T, GroupError<E>>>
    where
        F: FnOnce(TaskGroup<E>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        Once::new("TaskGroup::run", Self::start(false, body))
    }

    /// Like [`run`](Self::run), but a failure cancels nothing: every child runs to its
    /// end, and all failures are collected (a supervisor, cpython#101581).
    ///
    /// The body's own `Err` is collected too and cancels nothing. A panic still
    /// cancels everything and resumes in the caller.
    ///
    /// ```
    /// use asyncio_core::group::{ChildError, TaskGroup};
    /// # asyncio_core::run(async {
    /// let err = TaskGroup::supervise(async |tg| {
    ///     let bad = tg.spawn(async { Err::<(), _>("boom") });
    ///     let good = tg.spawn(async {
    ///         asyncio_core::sleep(std::time::Duration::from_millis(1)).await;
    ///         Ok(2)
    ///     });
    ///     assert_eq!(bad.await, Err(ChildError::Failed));
    ///     assert_eq!(good.await, Ok(2)); // not cancelled by `bad`
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(err.into_errors(), vec!["boom"]);
    /// # });
    /// ```
    pub fn supervise<T, F, Fut>(body: F) -> impl Future<Output = Result<T, GroupError<E>>>
    where
        F: FnOnce(TaskGroup<E>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        Once::new("TaskGroup::supervise", Self::start(true, body))
    }

    async fn start<T, F, Fut>(supervisor: bool, body: F) -> Result<T, GroupError<E>>
    where
        F: FnOnce(TaskGroup<E>) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let runtime = crate::runtime::expect_loop("TaskGroup::run");
        let shared = Arc::new(Shared {
            state: GroupState::new(),
            supervisor,
            cancel: Arc::new(Notify::new()),
            driver: AtomicWaker::new(),
            failures: Mutex::new(Vec::new()),
            panic: Mutex::new(None),
            sites: Sites::new(),
            cells: Cells::new(&runtime).map(Mutex::new),
            runtime,
        });
        let fut = body(TaskGroup {
            shared: shared.clone(),
        });
        Driver {
            body: Some(fut),
            body_running: true,
            output: None,
            shared,
            done: false,
        }
        .await
    }

    /// Spawns a `Send` child: `tg.create_task(coro)`.
    ///
    /// The returned handle resolves to the child's value; dropping it does not cancel
    /// the child (the group owns its children). If the group is closed or cancelling,
    /// `future` is dropped without being polled and the handle resolves to
    /// `Err(ChildError::Closed)`.
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// let v = TaskGroup::run(async |tg| {
    ///     let inner = tg.clone();
    ///     let outer = tg.spawn(async move {
    ///         // children spawn children through a clone of the handle
    ///         let grandchild = inner.spawn(async { Ok::<_, ()>(20) });
    ///         Ok(grandchild.await.unwrap() + 1)
    ///     });
    ///     Ok(outer.await.unwrap() * 2)
    /// })
    /// .await;
    /// assert_eq!(v, Ok(42));
    /// # });
    /// ```
    ///
    /// A child that spawns more of itself (a tree walk, a crawler) meets the compiler
    /// error of a recursive [`spawn`](crate::spawn) — "cannot satisfy `impl Future:
    /// Send`" — and the same recipe fixes it: a plain function returning a boxed future
    /// whose type says `Send`.
    ///
    /// ```
    /// use asyncio_core::group::TaskGroup;
    /// use std::future::Future;
    /// use std::pin::Pin;
    ///
    /// /// Counts the leaves of a binary tree of the given depth, one child per node.
    /// fn leaves(tg: TaskGroup<()>, depth: u32) -> Pin<Box<dyn Future<Output = Result<u32, ()>> + Send>> {
    ///     Box::pin(async move {
    ///         if depth == 0 {
    ///             return Ok(1);
    ///         }
    ///         let left = tg.spawn(leaves(tg.clone(), depth - 1));
    ///         let right = tg.spawn(leaves(tg.clone(), depth - 1));
    ///         Ok(left.await.unwrap() + right.await.unwrap())
    ///     })
    /// }
    ///
    /// # asyncio_core::run(async {
    /// let n = TaskGroup::run(async |tg| leaves(tg, 4).await).await;
    /// assert_eq!(n, Ok(16));
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_inner(None, Location::caller(), future, |rt, f| rt.spawn(f))
    }

    /// Spawns a `Send` child with a name: `tg.create_task(coro, name=...)`. The name
    /// appears in the [`GroupError`] if the child fails.
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// let err = TaskGroup::run(async |tg| {
    ///     let h = tg.spawn_named(format!("job-{}", 7), async { Err::<(), _>("x") });
    ///     assert_eq!(h.name(), Some("job-7"));
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert!(err.to_string().contains("task 'job-7'"));
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_named<T, F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_inner(Some(arc_name(name)), Location::caller(), future, |rt, f| {
            rt.spawn(f)
        })
    }

    /// Spawns a `!Send` child on the current thread's loop; otherwise as
    /// [`spawn`](Self::spawn).
    ///
    /// # Panics
    ///
    /// As [`spawn_local`](crate::spawn_local): on a worker thread of a multi-threaded
    /// loop.
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// use std::rc::Rc;
    /// # asyncio_core::run(async {
    /// let v = TaskGroup::run(async |tg| {
    ///     let rc = Rc::new(5);
    ///     let h = tg.spawn_local(async move { Ok::<_, ()>(*rc) });
    ///     Ok(h.await.unwrap())
    /// })
    /// .await;
    /// assert_eq!(v, Ok(5));
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_local<T, F>(&self, future: F) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_inner(None, Location::caller(), future, |_, f| {
            crate::runtime::spawn_local_inner(f)
        })
    }

    /// Spawns a named `!Send` child; see [`spawn_local`](Self::spawn_local) and
    /// [`spawn_named`](Self::spawn_named).
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// TaskGroup::run(async |tg| {
    ///     let h = tg.spawn_local_named("local", async { Ok::<_, ()>(()) });
    ///     assert_eq!(h.name(), Some("local"));
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_local_named<T, F>(
        &self,
        name: impl Into<Cow<'static, str>>,
        future: F,
    ) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_inner(Some(arc_name(name)), Location::caller(), future, |_, f| {
            crate::runtime::spawn_local_inner(f)
        })
    }

    #[track_caller]
    fn spawn_inner<T, F>(
        &self,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
        future: F,
        spawn: impl FnOnce(&tokio::runtime::Handle, Child<F, E>) -> JoinHandle<Result<T, ChildError>>,
    ) -> GroupTask<T>
    where
        F: Future<Output = Result<T, E>>,
    {
        let shared = &self.shared;
        if let Err(last) = shared.state.enter() {
            if last {
                shared.driver.wake();
            }
            drop(future);
            return GroupTask {
                handle: None,
                name,
                done: false,
            };
        }
        let child = Child {
            future: ManuallyDrop::new(future),
            link: Link::new(shared.clone(), location, name.clone()),
        };
        let handle = spawn(&shared.runtime, child);
        if let Some(cells) = &shared.cells {
            let live = shared.state.live();
            cells
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .keep(handle.abort_handle(), live);
        }
        GroupTask {
            handle: Some(handle),
            name,
            done: false,
        }
    }

    /// Whether the group accepts no more children (it failed, was cancelled, or
    /// finished).
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// TaskGroup::run(async |tg| {
    ///     assert!(!tg.is_closed());
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state.is_closed()
    }

    /// Whether this group is a supervisor ([`TaskGroup::supervise`]).
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// TaskGroup::supervise(async |tg| {
    ///     assert!(tg.is_supervisor());
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_supervisor(&self) -> bool {
        self.shared.supervisor
    }
}

fn arc_name(name: impl Into<Cow<'static, str>>) -> Arc<str> {
    match name.into() {
        Cow::Borrowed(s) => Arc::from(s),
        Cow::Owned(s) => Arc::from(s),
    }
}

pin_project! {
    /// A child as spawned on the runtime: the user's future, watched for failure,
    /// panic and group cancellation. Two fields only, so that a trivial child fits
    /// tokio's smallest task cell (see [`link`]).
    ///
    /// The child drops its future itself, in place and catching a panic of its `Drop`
    /// ([`drop_future`]): in `poll` as soon as it finished or the group cancels it,
    /// otherwise (aborted, loop shut down) when the child is dropped. `link` records
    /// that it did, so the future is dropped once.
    struct Child<F, E> {
        #[pin]
        future: ManuallyDrop<F>,
        // Declared after `future`: dropped after it, then leaves the live count.
        link: Link<E>,
    }

    impl<F, E> PinnedDrop for Child<F, E> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.link.future_gone() {
                return;
            }
            // Dropped unfinished by the runtime (`abort`, loop shut down): clean-up.
            if let Some(p) = drop_future(this.future, this.link) {
                this.link.shared().cleanup_panicked(p);
                // The runtime catches this (the future's drop always runs under its
                // `catch_unwind`) and reports the handle as panicked.
                if !std::thread::panicking() {
                    resume_unwind(Box::new(DropPanicked));
                }
            }
        }
    }
}

/// The payload a child raises, from its own drop, when its future's `Drop` panicked
/// (the original payload went to the group): the runtime then reports the child's
/// handle as panicked.
struct DropPanicked;

/// Drops the child's future in place, once (the caller checked `future_gone`),
/// returning the panic of its `Drop`.
fn drop_future<F, E>(future: Pin<&mut ManuallyDrop<F>>, link: &mut Link<E>) -> Option<Payload> {
    link.set_future_gone();
    // SAFETY: the future is dropped in place (as its pinning requires) and only once:
    // `future_gone` was clear, and is set before the drop runs.
    caught(|| unsafe { ManuallyDrop::drop(future.get_unchecked_mut()) })
}

/// The child is cancelled by its group: drop its future now.
fn cancelled<F, T, E>(
    future: Pin<&mut ManuallyDrop<F>>,
    link: &mut Link<E>,
) -> Result<T, ChildError> {
    match drop_future(future, link) {
        None => Err(ChildError::Cancelled),
        Some(p) => {
            link.shared().cleanup_panicked(p);
            Err(ChildError::Panicked)
        }
    }
}

impl<F, T, E> Future for Child<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, ChildError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let link = this.link;
        let mut future = this.future;
        // The runtime polls a task no more once it returned `Ready`.
        debug_assert!(!link.future_gone());
        if link.shared().state.is_cancelled() {
            return Poll::Ready(cancelled(future, link));
        }
        // SAFETY: the future is structurally pinned in its `ManuallyDrop` (never moved
        // out, only dropped in place by `drop_future`), and alive (`future_gone` clear).
        let fut = unsafe { future.as_mut().map_unchecked_mut(|f| &mut **f) };
        // Debug mode: the threshold of the loop polling us (a thread-local read, so
        // children carry no field for it).
        let debug = crate::runtime::debug_threshold();
        let started = debug.map(|_| std::time::Instant::now());
        let res = catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
        if let (Some(threshold), Some(started)) = (debug, started) {
            crate::debug::check_poll(started, threshold, || crate::debug::TaskLabel {
                kind: crate::debug::Kind::GroupChild,
                name: link.name().cloned(),
                location: link.location(),
            });
        }
        match res {
            Ok(Poll::Ready(Ok(v))) => match drop_future(future, link) {
                None => Poll::Ready(Ok(v)),
                // It returned a value, then its `Drop` panicked: the child's panic.
                Some(p) => {
                    drop_quietly(v);
                    link.shared().panicked(p);
                    Poll::Ready(Err(ChildError::Panicked))
                }
            },
            Ok(Poll::Ready(Err(e))) => {
                let failure = Failure::child(e, link.name().cloned(), link.location());
                link.shared().fail(failure);
                // Its own `Drop`, after its `Err`, is clean-up: the `Err` stands.
                if let Some(p) = drop_future(future, link) {
                    drop_quietly(p);
                }
                Poll::Ready(Err(ChildError::Failed))
            }
            Ok(Poll::Pending) => match link.poll_cancelled(cx) {
                Poll::Ready(()) => Poll::Ready(cancelled(future, link)),
                Poll::Pending => Poll::Pending,
            },
            Err(payload) => {
                link.shared().panicked(payload);
                if let Some(p) = drop_future(future, link) {
                    drop_quietly(p);
                }
                Poll::Ready(Err(ChildError::Panicked))
            }
        }
    }
}

/// A handle to one child of a [`TaskGroup`]: a future of its value.
///
/// Resolves to `Ok(value)`, or to a [`ChildError`] saying why there is none (the
/// child's error itself goes to the group's [`GroupError`]). Dropping the handle does
/// not cancel the child: the group owns its children. [`abort`](Self::abort) cancels
/// this one child (not a failure).
///
/// ```
/// use asyncio_core::group::{GroupTask, TaskGroup};
/// # asyncio_core::run(async {
/// let sum = TaskGroup::run(async |tg| {
///     let handles: Vec<GroupTask<u32>> = (1..=3).map(|i| tg.spawn(async move { Ok::<_, ()>(i) })).collect();
///     let mut sum = 0;
///     for h in handles {
///         sum += h.await.unwrap();
///     }
///     Ok(sum)
/// })
/// .await;
/// assert_eq!(sum, Ok(6));
/// # });
/// ```
pub struct GroupTask<T> {
    /// `None` if the group was closed at spawn time.
    handle: Option<JoinHandle<Result<T, ChildError>>>,
    name: Option<Arc<str>>,
    /// The handle returned `Ready`: a later poll is a bug, reported by name.
    done: bool,
}

impl<T> GroupTask<T> {
    /// The child's name, if it was spawned with one.
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// TaskGroup::run(async |tg| {
    ///     assert_eq!(tg.spawn_named("a", async { Ok(()) }).name(), Some("a"));
    ///     assert_eq!(tg.spawn(async { Ok(()) }).name(), None);
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Cancels this child only; the group goes on (a cancellation is not a failure).
    ///
    /// ```
    /// use asyncio_core::group::{ChildError, TaskGroup};
    /// # asyncio_core::run(async {
    /// TaskGroup::run(async |tg| {
    ///     let forever = tg.spawn(std::future::pending::<Result<(), ()>>());
    ///     forever.abort();
    ///     assert_eq!(forever.await, Err(ChildError::Cancelled));
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn abort(&self) {
        if let Some(h) = &self.handle {
            h.abort();
        }
    }

    /// Whether the child has finished (or never started).
    ///
    /// ```
    /// # use asyncio_core::group::TaskGroup;
    /// # asyncio_core::run(async {
    /// TaskGroup::run(async |tg| {
    ///     let h = tg.spawn(async { Ok(()) });
    ///     asyncio_core::sleep(std::time::Duration::from_millis(1)).await;
    ///     assert!(h.is_finished());
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Result<T, ChildError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.done {
            group_task_polled_after_completion();
        }
        let out = match self.handle.as_mut() {
            None => Err(ChildError::Closed),
            Some(handle) => match Pin::new(handle).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(res)) => res,
                // Children catch their own panics; a JoinError is an abort or loop
                // shutdown, a panic if the future's `Drop` then panicked.
                Poll::Ready(Err(e)) if e.is_panic() => Err(ChildError::Panicked),
                Poll::Ready(Err(_)) => Err(ChildError::Cancelled),
            },
        };
        self.done = true;
        Poll::Ready(out)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn group_task_polled_after_completion() -> ! {
    panic!("`GroupTask` polled after it completed")
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTask")
            .field("name", &self.name)
            .field("finished", &self.is_finished())
            .finish()
    }
}

pin_project! {
    /// Drives the body, then waits for the children; cancels everything when dropped
    /// unfinished.
    struct Driver<Fut, T, E> {
        // `body_running` mirrors `body.is_some()`: reading the `Option` through a
        // shared reference would cover the (self-referential) body future.
        #[pin]
        body: Option<Fut>,
        body_running: bool,
        output: Option<T>,
        shared: Arc<Shared<E>>,
        done: bool,
    }

    impl<Fut, T, E> PinnedDrop for Driver<Fut, T, E> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if !*this.done {
                this.shared.cancel();
                // Dropping `run`'s future cancels the body too: a panic of its `Drop`
                // goes on from here, unless this drop is part of an unwind already
                // (a second panic would abort).
                if let Some(p) = caught(|| this.body.set(None)) {
                    if std::thread::panicking() {
                        drop_quietly(p);
                    } else {
                        resume_unwind(p);
                    }
                }
            }
        }
    }
}

impl<Fut, T, E> Driver<Fut, T, E> {
    /// Drops the body, cancelled by the group: a panic of its `Drop` is clean-up.
    fn cancel_body(mut body: Pin<&mut Option<Fut>>, running: &mut bool, shared: &Shared<E>) {
        *running = false;
        if let Some(p) = caught(|| body.set(None)) {
            shared.cleanup_panicked(p);
        }
    }
}

impl<Fut, T, E> Future for Driver<Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<T, GroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // `Once` (around `run`'s future) reports a poll after completion by name.
        debug_assert!(!*this.done, "TaskGroup future polled after completion");
        let shared = &**this.shared;
        shared.driver.register(cx.waker());
        if let Some(body) = this.body.as_mut().as_pin_mut() {
            if shared.state.is_cancelled() {
                Self::cancel_body(this.body, this.body_running, shared);
            } else {
                match catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
                    Ok(Poll::Pending) => {}
                    Ok(Poll::Ready(res)) => {
                        // `None` is written even if the body's `Drop` unwinds.
                        let dropped = caught(|| this.body.set(None));
                        *this.body_running = false;
                        match (res, dropped) {
                            (Ok(v), None) => *this.output = Some(v),
                            // It returned a value, then its `Drop` panicked: a panic.
                            (Ok(v), Some(p)) => {
                                drop_quietly(v);
                                shared.panicked(p);
                            }
                            (Err(e), dropped) => {
                                shared.fail(Failure::body(e));
                                if let Some(p) = dropped {
                                    drop_quietly(p);
                                }
                            }
                        }
                    }
                    Err(payload) => {
                        shared.panicked(payload);
                        if let Some(p) = caught(|| this.body.set(None)) {
                            drop_quietly(p);
                        }
                        *this.body_running = false;
                    }
                }
                if *this.body_running && shared.state.is_cancelled() {
                    // A child failed while the body ran: the body is cancelled too.
                    Self::cancel_body(this.body, this.body_running, shared);
                }
            }
        }
        // Closes the group only if no child is live; a spawn racing with this either
        // counted itself first (and we wait for it) or is refused.
        if *this.body_running || !shared.state.try_finish() {
            return Poll::Pending;
        }
        *this.done = true;
        // Every child's future is gone: free their cells here (see `Cells`).
        if let Some(cells) = &shared.cells {
            drop(std::mem::take(
                &mut cells.lock().unwrap_or_else(PoisonError::into_inner).handles,
            ));
        }
        if let Some(payload) = shared
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            resume_unwind(payload);
        }
        let failures = std::mem::take(
            &mut *shared
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        Poll::Ready(if failures.is_empty() {
            Ok(this
                .output
                .take()
                .expect("a group with no failure has the body's value"))
        } else {
            Err(GroupError::new(failures))
        })
    }
}
