//! [`scope`]: children polled inside the current task, so they may borrow.

use std::borrow::Cow;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use super::error::{ChildError, Failure, GroupError};
use super::once::Once;
use crate::gather::unwind::{self, caught, drop_quietly};

mod set;

use set::{ChildSet, LocalRef, Payload};

/// The synchronisation types `set` uses (swapped for loom's in the loom test).
mod sync {
    pub(crate) use futures_util::task::AtomicWaker;
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, fence};
}

struct Inner<'env, E> {
    /// The running children.
    set: ChildSet<Inner<'env, E>>,
    /// Ties `Inner` to `'env`: children borrow from it.
    _env: PhantomData<&'env ()>,
    closed: Cell<bool>,
    cancelled: Cell<bool>,
    supervisor: bool,
    failures: RefCell<Vec<Failure<E>>>,
    /// The first panic (of a child or the body, in a poll or in a `Drop`), resumed
    /// once everything else has been dropped.
    panic: Cell<Option<unwind::Payload>>,
}

impl<E> Inner<'_, E> {
    fn fail(&self, failure: Failure<E>) {
        self.failures.borrow_mut().push(failure);
        if !self.supervisor {
            self.cancel();
        }
    }

    fn cancel(&self) {
        self.closed.set(true);
        self.cancelled.set(true);
    }

    /// A child or the body panicked (in its poll, or in the `Drop` of its finished
    /// future): cancel everything; the first panic resumes in the caller.
    #[cold]
    fn panicked(&self, payload: unwind::Payload) {
        match self.panic.take() {
            None => self.panic.set(Some(payload)),
            Some(first) => {
                self.panic.set(Some(first));
                drop_quietly(payload);
            }
        }
        self.cancel();
    }

    /// A `Drop` panicked while a child or the body was being cancelled: part of the
    /// clean-up after the first failure, which it never replaces; the scope's panic
    /// only if nothing failed before.
    #[cold]
    fn cleanup_panicked(&self, payload: unwind::Payload) {
        let first = self.panic.take();
        if first.is_none() && self.failures.borrow().is_empty() {
            self.panic.set(Some(payload));
        } else {
            self.panic.set(first);
            drop_quietly(payload);
        }
        self.cancel();
    }
}

/// Runs `body` with a scope whose children are polled by the scope's own future, then
/// waits for every child: an in-task [`TaskGroup`](super::TaskGroup).
///
/// The children run *inside* the task that awaits the scope (like
/// `FuturesUnordered`), so they may borrow from the caller's stack and need neither
/// `Send` nor `'static`, and the scope works on any executor (it uses no runtime).
/// The semantics are those of [`TaskGroup`](super::TaskGroup): the scope ends when the
/// body and every child have ended; the first failure cancels (drops) every other child
/// and the body and closes the scope; all failures come back as one [`GroupError`]; a
/// panic drops every other child and the body, then resumes; dropping the scope's
/// future drops every child at once; children spawn children through a clone of the
/// [`Scope`] handle; [`supervise_scope`] collects failures without cancelling; a spawn
/// into a closed scope never runs.
///
/// Children make progress whenever the scope's future is polled, including while the
/// body awaits something else. **Caveat:** the children run on the body's thread and
/// task; a body that *blocks* the thread (a sync sleep, a busy loop, a blocking call)
/// stops its children too, and the whole scope is one task to the executor, so it runs
/// on one core. For parallel children use [`TaskGroup`](super::TaskGroup).
///
/// The scope's future is `!Send` (children need not be `Send`), so await it in the
/// main future, in a `spawn_local` task, or under any single-threaded executor.
///
/// Only the children that were woken are polled (O(woken) per wake-up, not O(n)). Each
/// child is one allocation, shared by the scope, the child's wakers and its
/// [`ScopeTask`] handle, like a `FuturesUnordered` node. Unlike a bare
/// `FuturesUnordered` in a `select!` loop (futures-rs#2387), the children are polled on
/// every poll of the scope, so they cannot starve while the body awaits something else;
/// and one poll of the scope polls at most `max(children, 32)` of them before it yields
/// to the executor, so children that keep waking themselves cannot starve it.
///
/// A panic in a child's or the body's `Drop` never aborts and never hides the first
/// failure: the scope catches the first failure, drops everything else outside the
/// unwind (catching each `Drop`'s panic), then reports that failure; a `Drop` that
/// panics when nothing failed before is the scope's panic. Every [`ScopeTask`]
/// resolves, to `Err(ChildError::Panicked)` if its child panicked in its poll or its
/// `Drop`. See the [module docs](super).
///
/// # Panics
///
/// Resumes the first panic of the body or of a child, once every other child and the
/// body have been dropped. Panics if polled after it completed.
///
/// # Examples
///
/// ```
/// use asyncio_core::group::scope;
///
/// let names = vec!["a".to_string(), "b".to_string()]; // borrowed, not moved
/// let total = futures::executor::block_on(scope(async |s| {
///     let lens: Vec<_> = names.iter().map(|n| s.spawn(async move { Ok::<_, ()>(n.len()) })).collect();
///     let mut total = 0;
///     for len in lens {
///         total += len.await.unwrap();
///     }
///     Ok(total)
/// }));
/// assert_eq!(total, Ok(2));
/// ```
pub fn scope<'env, T, E, F, Fut>(body: F) -> impl Future<Output = Result<T, GroupError<E>>>
where
    F: FnOnce(Scope<'env, E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: 'env,
{
    Once::new("scope", start(false, body))
}

/// Like [`scope`], but a failure cancels nothing: every child runs to its end and all
/// failures are collected (a supervisor). A panic still cancels everything.
///
/// ```
/// use asyncio_core::group::{ChildError, supervise_scope};
/// # futures::executor::block_on(async {
/// let err = supervise_scope(async |s| {
///     let bad = s.spawn(async { Err::<(), _>("boom") });
///     let good = s.spawn(async { Ok(1) });
///     assert_eq!(bad.await, Err(ChildError::Failed));
///     assert_eq!(good.await, Ok(1));
///     Ok(())
/// })
/// .await
/// .unwrap_err();
/// assert_eq!(err.into_errors(), vec!["boom"]);
/// # });
/// ```
pub fn supervise_scope<'env, T, E, F, Fut>(
    body: F,
) -> impl Future<Output = Result<T, GroupError<E>>>
where
    F: FnOnce(Scope<'env, E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: 'env,
{
    Once::new("supervise_scope", start(true, body))
}

async fn start<'env, T, E, F, Fut>(supervisor: bool, body: F) -> Result<T, GroupError<E>>
where
    F: FnOnce(Scope<'env, E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: 'env,
{
    let inner = Rc::new(Inner {
        set: ChildSet::new(),
        _env: PhantomData,
        closed: Cell::new(false),
        cancelled: Cell::new(false),
        supervisor,
        failures: RefCell::new(Vec::new()),
        panic: Cell::new(None),
    });
    let fut = body(Scope {
        inner: inner.clone(),
    });
    ScopeFuture {
        body: Some(fut),
        body_running: true,
        inner,
        output: None,
    }
    .await
}

/// The handle a [`scope`]'s body receives: spawns children that may borrow anything
/// that outlives the scope (`'env`). Clone it to let children spawn children.
///
/// ```
/// use asyncio_core::group::{Scope, scope};
/// # futures::executor::block_on(async {
/// let data = vec![1, 2, 3];
/// let data = &data; // children borrow it
/// let out = scope(async |s: Scope<'_, ()>| {
///     let inner = s.clone();
///     let h = s.spawn(async move {
///         let grandchild = inner.spawn(async move { Ok(data.iter().sum::<i32>()) });
///         Ok(grandchild.await.unwrap())
///     });
///     Ok(h.await.unwrap())
/// })
/// .await;
/// assert_eq!(out, Ok(6));
/// # });
/// ```
pub struct Scope<'env, E> {
    inner: Rc<Inner<'env, E>>,
}

impl<E> Clone for Scope<'_, E> {
    fn clone(&self) -> Self {
        Scope {
            inner: self.inner.clone(),
        }
    }
}

impl<E> fmt::Debug for Scope<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("children", &self.inner.set.len())
            .field("closed", &self.inner.closed.get())
            .field("cancelling", &self.inner.cancelled.get())
            .field("supervisor", &self.inner.supervisor)
            .finish()
    }
}

impl<'env, E: 'env> Scope<'env, E> {
    /// Spawns a child into the scope. It starts on the scope's next poll (right after
    /// the body's current poll returns).
    ///
    /// The handle resolves to the child's value (or a [`ChildError`]); dropping it does
    /// not cancel the child. If the scope is closed or cancelling, `future` is dropped
    /// unpolled and the handle resolves to `Err(ChildError::Closed)`.
    ///
    /// ```
    /// use asyncio_core::group::scope;
    /// use std::cell::Cell;
    /// # futures::executor::block_on(async {
    /// let hits = Cell::new(0); // !Sync, borrowed by every child
    /// scope(async |s| {
    ///     for _ in 0..3 {
    ///         let inner = s.clone();
    ///         let hits = &hits;
    ///         s.spawn(async move {
    ///             hits.set(hits.get() + 1);
    ///             inner.spawn(async move { Ok::<_, ()>(hits.set(hits.get() + 10)) });
    ///             Ok(())
    ///         });
    ///     }
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(hits.get(), 33);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> ScopeTask<'env, T>
    where
        F: Future<Output = Result<T, E>> + 'env,
        T: 'env,
    {
        self.spawn_inner(None, Location::caller(), future)
    }

    /// Spawns a named child; the name appears in the [`GroupError`] if it fails.
    ///
    /// ```
    /// use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |s| {
    ///     s.spawn_named("fetch", async { Err::<(), _>("404") });
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(err.failures()[0].name(), Some("fetch"));
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_named<T, F>(
        &self,
        name: impl Into<Cow<'static, str>>,
        future: F,
    ) -> ScopeTask<'env, T>
    where
        F: Future<Output = Result<T, E>> + 'env,
        T: 'env,
    {
        let name: Arc<str> = match name.into() {
            Cow::Borrowed(s) => Arc::from(s),
            Cow::Owned(s) => Arc::from(s),
        };
        self.spawn_inner(Some(name), Location::caller(), future)
    }

    fn spawn_inner<T, F>(
        &self,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
        future: F,
    ) -> ScopeTask<'env, T>
    where
        F: Future<Output = Result<T, E>> + 'env,
        T: 'env,
    {
        let closed = self.inner.closed.get();
        let (future, slot) = if closed {
            drop(future); // never polled
            (None, Slot::Done(Err(ChildError::Closed)))
        } else {
            (Some(future), Slot::Waiting(None))
        };
        let site = Site::new(name, location);
        let cell = ChildCell {
            slot: UnsafeCell::new(slot),
            future: UnsafeCell::new(future),
            site,
            _scope: PhantomData,
        };
        let (node, payload) = if closed {
            set::detached(cell)
        } else {
            self.inner.set.insert(cell)
        };
        // SAFETY: `payload` points to the live cell (kept alive by `node`); the field
        // pointers keep the allocation's provenance.
        let (slot, site) = unsafe {
            let cell = payload.as_ptr();
            (
                NonNull::new_unchecked(ptr::addr_of_mut!((*cell).slot)),
                NonNull::new_unchecked(ptr::addr_of_mut!((*cell).site)),
            )
        };
        ScopeTask {
            node,
            slot,
            site,
            _env: PhantomData,
        }
    }

    /// Whether the scope accepts no more children (it failed or finished).
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// scope(async |s| Ok::<_, ()>(assert!(!s.is_closed()))).await.unwrap();
    /// # });
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }
}

enum Slot<T> {
    Waiting(Option<Waker>),
    Done(Result<T, ChildError>),
    Taken,
}

/// Where a child was spawned, and its name if it has one, in one word (children are
/// many, names rare): a `&'static Location` (tag bit clear) or, for a named child, a
/// `Box<Named>` (tag bit set). Shared by the failure report and the handle.
struct Site(NonNull<()>);

struct Named {
    name: Arc<str>,
    location: &'static Location<'static>,
}

// Both pointees are at least 2-aligned, so bit 0 is free for the tag.
const _: () = assert!(align_of::<Location<'static>>() >= 2 && align_of::<Named>() >= 2);

impl Site {
    fn new(name: Option<Arc<str>>, location: &'static Location<'static>) -> Site {
        match name {
            None => Site(NonNull::from(location).cast()),
            Some(name) => {
                let named = NonNull::from(Box::leak(Box::new(Named { name, location })));
                Site(named.cast().map_addr(|a| a | 1))
            }
        }
    }

    /// The `Box<Named>` pointer, if the tag is set (bit cleared, provenance kept).
    fn named_ptr(&self) -> Option<*mut Named> {
        (self.0.addr().get() & 1 == 1).then(|| self.0.as_ptr().map_addr(|a| a & !1).cast())
    }

    fn named(&self) -> Option<&Named> {
        // SAFETY: a set tag means `Site::new` leaked a `Box<Named>` here, owned by
        // `self` until it is dropped.
        self.named_ptr().map(|ptr| unsafe { &*ptr })
    }

    fn name(&self) -> Option<&Arc<str>> {
        self.named().map(|n| &n.name)
    }

    fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(n) => n.location,
            // SAFETY: a clear tag means the word is a `&'static Location`.
            None => unsafe { self.0.cast::<Location<'static>>().as_ref() },
        }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(ptr) = self.named_ptr() {
            // SAFETY: the box `Site::new` leaked, freed once, here.
            drop(unsafe { Box::from_raw(ptr) });
        }
    }
}

/// A child: its future, the slot its handle reads, and where it was spawned. It lives
/// in the child's node in the scope's [`ChildSet`] (one allocation per child), so it is
/// kept small: the scope's state is passed to each poll rather than stored here.
struct ChildCell<'env, F, T, E> {
    /// Read and written only on the owner's thread, in short accesses that run no user
    /// code while the reference is live (a `RefCell` without the flag word).
    slot: UnsafeCell<Slot<T>>,
    /// Structurally pinned: never moved out, only dropped in place (set to `None`).
    /// Only the set touches it (`Payload::poll`/`cancel`), never re-entrantly.
    future: UnsafeCell<Option<F>>,
    site: Site,
    _scope: PhantomData<fn(&Inner<'env, E>)>,
}

impl<F, T, E> ChildCell<'_, F, T, E> {
    fn complete(&self, res: Result<T, ChildError>) {
        // SAFETY: owner thread; no other reference to the slot is live (see `slot`), and
        // the waker runs after the access.
        let prev = unsafe { std::mem::replace(&mut *self.slot.get(), Slot::Done(res)) };
        if let Slot::Waiting(Some(w)) = prev {
            w.wake();
        }
    }
}

impl<'env, F, T, E> Payload for ChildCell<'env, F, T, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Ctx = Inner<'env, E>;

    fn poll(self: Pin<&Self>, cx: &mut Context<'_>, inner: &Inner<'env, E>) -> Poll<()> {
        let this = self.get_ref();
        // SAFETY: only the set calls `poll` and `cancel`, on the owner's thread and never
        // re-entrantly, so this is the only reference to the future. It is structurally
        // pinned: the cell never moves (it is pinned in its node) and the future is
        // never moved out of the `Option`, only dropped in place (here and in `cancel`).
        let slot = unsafe { &mut *this.future.get() };
        let Some(future) = slot.as_mut() else {
            return Poll::Ready(());
        };
        // A panic is caught here (zero cost when there is none), so the child's handle
        // resolves and nothing unwinds through the set.
        // SAFETY: see above.
        let res = match catch_unwind(AssertUnwindSafe(|| {
            unsafe { Pin::new_unchecked(future) }.poll(cx)
        })) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(res)) => Ok(res),
            Err(payload) => Err(payload),
        };
        // Drop the finished future now, in place (`None` is written even if its `Drop`
        // unwinds).
        let dropped = caught(|| *slot = None);
        let res = match (res, dropped) {
            (Ok(Ok(v)), None) => Ok(v),
            (Ok(Err(e)), dropped) => {
                let site = &this.site;
                inner.fail(Failure::child(e, site.name().cloned(), site.location()));
                // Its own `Drop`, after its `Err`, is clean-up: the `Err` stands.
                if let Some(p) = dropped {
                    drop_quietly(p);
                }
                Err(ChildError::Failed)
            }
            // It returned a value, then its `Drop` panicked: the child's panic.
            (Ok(Ok(v)), Some(p)) => {
                drop_quietly(v);
                inner.panicked(p);
                Err(ChildError::Panicked)
            }
            (Err(payload), dropped) => {
                inner.panicked(payload);
                if let Some(p) = dropped {
                    drop_quietly(p);
                }
                Err(ChildError::Panicked)
            }
        };
        this.complete(res);
        Poll::Ready(())
    }

    fn cancel(self: Pin<&Self>) {
        let this = self.get_ref();
        // SAFETY: as in `poll`.
        let slot = unsafe { &mut *this.future.get() };
        if slot.is_none() {
            return;
        }
        // Drops the future in place; the handle resolves whatever its `Drop` does, and
        // a panic then goes on to the set, which catches it (`ChildSet::cancel_all`).
        match caught(|| *slot = None) {
            None => this.complete(Err(ChildError::Cancelled)),
            Some(payload) => {
                this.complete(Err(ChildError::Panicked));
                resume_unwind(payload)
            }
        }
    }
}

/// A handle to one child of a [`scope`]: a future of its value, like
/// [`GroupTask`](super::GroupTask). Dropping it does not cancel the child.
///
/// ```
/// use asyncio_core::group::scope;
/// # futures::executor::block_on(async {
/// let out = scope(async |s| {
///     let a = s.spawn(async { Ok::<_, ()>("a") });
///     let b = s.spawn(async { Ok("b") });
///     Ok((a.await.unwrap(), b.await.unwrap()))
/// })
/// .await;
/// assert_eq!(out, Ok(("a", "b")));
/// # });
/// ```
pub struct ScopeTask<'env, T> {
    /// Keeps the child's cell alive (`!Send`).
    node: LocalRef,
    /// The cell's slot and site, alive while `node` is.
    slot: NonNull<UnsafeCell<Slot<T>>>,
    site: NonNull<Site>,
    _env: PhantomData<(&'env (), T)>,
}

impl<T> ScopeTask<'_, T> {
    /// The slot; the caller keeps the access short and runs no user code during it.
    fn slot(&self) -> *mut Slot<T> {
        let _ = &self.node;
        // SAFETY: `node` keeps the cell, and so the slot, alive.
        unsafe { self.slot.as_ref() }.get()
    }
}

impl<T> ScopeTask<'_, T> {
    /// The child's name, if it was spawned with one.
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// scope(async |s| {
    ///     assert_eq!(s.spawn_named("x", async { Ok(()) }).name(), Some("x"));
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        // SAFETY: `node` keeps the cell alive; the site is never written after spawn.
        unsafe { self.site.as_ref() }.name().map(|n| &**n)
    }

    /// Whether the child has finished (or never started).
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// scope(async |s| {
    ///     let h = s.spawn(async { Ok(()) });
    ///     assert!(!h.is_finished()); // starts after the body's current poll
    ///     Ok::<_, ()>(())
    /// })
    /// .await
    /// .unwrap();
    /// # });
    /// ```
    pub fn is_finished(&self) -> bool {
        // SAFETY: a short read on the owner's thread (the handle is `!Send`).
        !matches!(unsafe { &*self.slot() }, Slot::Waiting(_))
    }
}

impl<T> Future for ScopeTask<'_, T> {
    type Output = Result<T, ChildError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = self.slot();
        // SAFETY (each access below): the handle is `!Send`, so this is the owner's
        // thread; each access is short and runs no user code while it is live (the
        // waker is cloned before, and the old one dropped after).
        match unsafe { &*slot } {
            Slot::Waiting(Some(w)) if w.will_wake(cx.waker()) => Poll::Pending,
            Slot::Waiting(_) => {
                let waker = cx.waker().clone();
                let old = unsafe { std::mem::replace(&mut *slot, Slot::Waiting(Some(waker))) };
                drop(old);
                Poll::Pending
            }
            Slot::Done(_) => match unsafe { std::mem::replace(&mut *slot, Slot::Taken) } {
                Slot::Done(res) => Poll::Ready(res),
                _ => unreachable!(),
            },
            Slot::Taken => panic!("ScopeTask polled after completion"),
        }
    }
}

impl<T> fmt::Debug for ScopeTask<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeTask")
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

pin_project! {
    struct ScopeFuture<'env, Fut, T, E> {
        #[pin]
        body: Option<Fut>,
        body_running: bool,
        inner: Rc<Inner<'env, E>>,
        output: Option<T>,
    }

    impl<'env, Fut, T, E> PinnedDrop for ScopeFuture<'env, Fut, T, E> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            this.inner.cancel();
            // The body first (as when the scope is cancelled), then every child; a
            // `Scope` that escaped can spawn no more (`closed`). Dropping the scope
            // cancels it: the first `Drop` panic goes on from here (unless this drop
            // is part of an unwind already, where a second panic would abort); the
            // later ones are discarded.
            let body = caught(|| this.body.set(None));
            let children = this.inner.set.close();
            if let Some(p) = body.or(children) {
                if std::thread::panicking() {
                    drop_quietly(p);
                } else {
                    resume_unwind(p);
                }
            }
        }
    }
}

impl<'env, Fut, T, E> ScopeFuture<'env, Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    // Only field projections here, never `&Self`: a shared reference to the whole
    // struct would cover the body future, which may hold references into itself
    // (Stacked Borrows, checked by Miri).

    /// Cancels the body and every child (after the first failure, or a panic): each
    /// `Drop` runs outside any unwind, and its panic is clean-up
    /// ([`Inner::cleanup_panicked`]).
    fn cancel_all(self: Pin<&mut Self>) {
        let mut this = self.project();
        this.inner.cancel();
        if let Some(p) = caught(|| this.body.set(None)) {
            this.inner.cleanup_panicked(p);
        }
        *this.body_running = false;
        if let Some(p) = this.inner.set.cancel_all() {
            this.inner.cleanup_panicked(p);
        }
        this.inner.set.end();
    }

    fn poll_inner(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.as_mut().project();
        let inner: &Inner<'env, E> = this.inner;
        // From here, wakes of children (say by the body) cost no wake of our parent.
        inner.set.begin(cx.waker());
        if *this.body_running {
            let mut body = this.body;
            if let Some(fut) = body.as_mut().as_pin_mut() {
                let polled = catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
                if polled.as_ref().is_ok_and(Poll::is_pending) {
                    // Still running.
                } else {
                    // Finished or panicked: drop it in place now (`None` is written
                    // even if its `Drop` unwinds), as a child's future.
                    let dropped = caught(|| body.set(None));
                    *this.body_running = false;
                    match (polled, dropped) {
                        (Ok(Poll::Ready(Ok(v))), None) => *this.output = Some(v),
                        (Ok(Poll::Ready(Ok(v))), Some(p)) => {
                            drop_quietly(v);
                            inner.panicked(p);
                        }
                        (Ok(Poll::Ready(Err(e))), dropped) => {
                            inner.fail(Failure::body(e));
                            if let Some(p) = dropped {
                                drop_quietly(p);
                            }
                        }
                        (Err(payload), dropped) => {
                            inner.panicked(payload);
                            if let Some(p) = dropped {
                                drop_quietly(p);
                            }
                        }
                        (Ok(Poll::Pending), _) => unreachable!(),
                    }
                }
            }
        }
        if !inner.cancelled.get() {
            // Ends the poll of the set (`POLLING` cleared) whatever it returns.
            inner.set.poll_children(cx, inner, || inner.cancelled.get());
        }
        if inner.cancelled.get() {
            self.cancel_all();
            return Poll::Ready(());
        }
        if !*this.body_running && inner.set.is_empty() {
            inner.closed.set(true);
            inner.set.end();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<'env, Fut, T, E> Future for ScopeFuture<'env, Fut, T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<T, GroupError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Children's and the body's panics are caught where they happen; this catches
        // the rest (say a finished child's output whose `Drop` panics as the set lets
        // go of it), so that nothing is dropped during an unwind here either.
        match catch_unwind(AssertUnwindSafe(|| self.as_mut().poll_inner(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => {
                let this = self.project();
                if let Some(payload) = this.inner.panic.take() {
                    // Everything else is gone: the first panic goes on.
                    resume_unwind(payload);
                }
                let failures = std::mem::take(&mut *this.inner.failures.borrow_mut());
                Poll::Ready(if failures.is_empty() {
                    Ok(this
                        .output
                        .take()
                        .expect("a scope with no failure has the body's value"))
                } else {
                    Err(GroupError::new(failures))
                })
            }
            Err(payload) => {
                // Drop every other child and the body, then let the first panic go on.
                self.as_mut().project().inner.panicked(payload);
                self.as_mut().cancel_all();
                resume_unwind(
                    self.project()
                        .inner
                        .panic
                        .take()
                        .expect("a panic was recorded"),
                )
            }
        }
    }
}
