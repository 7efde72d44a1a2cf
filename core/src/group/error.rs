//! The errors of a group: [`GroupError`] (asyncio's `ExceptionGroup`), one [`Failure`]
//! per failed task, and [`ChildError`] (why a child handle has no value).

use std::error::Error;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// Every failure of a [`TaskGroup`](super::TaskGroup) or [`scope`](super::scope()), in
/// the order they happened: asyncio's `ExceptionGroup`.
///
/// Cancelled children are not failures and do not appear here. Each [`Failure`] carries
/// the error, the child's name (if it was spawned with one) and where it was spawned.
/// `GroupError` displays every failure, iterates over them, and converts into a
/// `Vec<E>` of the bare errors.
///
/// # Examples
///
/// ```
/// use asyncio_core::group::TaskGroup;
/// # asyncio_core::run(async {
/// let err = TaskGroup::run(async |tg| {
///     tg.spawn_named("parse", async { "x".parse::<u8>().map(drop) });
///     Ok(())
/// })
/// .await
/// .unwrap_err();
/// assert_eq!(err.len(), 1);
/// assert_eq!(err.failures()[0].name(), Some("parse"));
/// assert!(err.to_string().contains("task 'parse'"));
/// let errors: Vec<std::num::ParseIntError> = err.into();
/// assert_eq!(errors.len(), 1);
/// # });
/// ```
pub struct GroupError<E> {
    failures: Vec<Failure<E>>,
}

impl<E> GroupError<E> {
    pub(crate) fn new(failures: Vec<Failure<E>>) -> Self {
        debug_assert!(!failures.is_empty());
        GroupError { failures }
    }

    /// The failures, in the order they happened.
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |s| {
    ///     s.spawn(async { Err::<(), _>("child") });
    ///     Err::<(), _>("body")
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(err.failures()[0].error(), &"body");
    /// # });
    /// ```
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// How many failures there are (at least one).
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |_s| Err::<(), _>(1)).await.unwrap_err();
    /// assert_eq!(err.len(), 1);
    /// # });
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    /// Iterates over the failures in order.
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |_s| Err::<(), _>(1)).await.unwrap_err();
    /// assert_eq!(err.iter().map(|f| *f.error()).collect::<Vec<_>>(), [1]);
    /// # });
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Failure<E>> {
        self.failures.iter()
    }

    /// The bare errors, in order, without names and locations.
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |_s| Err::<(), _>(7)).await.unwrap_err();
    /// assert_eq!(err.into_errors(), vec![7]);
    /// # });
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.failures.into_iter().map(|f| f.error).collect()
    }

    /// The failures, in order.
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |_s| Err::<(), _>(7)).await.unwrap_err();
    /// assert!(err.into_failures()[0].is_body());
    /// # });
    /// ```
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }
}

impl<E> From<GroupError<E>> for Vec<E> {
    fn from(err: GroupError<E>) -> Vec<E> {
        err.into_errors()
    }
}

impl<E> IntoIterator for GroupError<E> {
    type Item = Failure<E>;
    type IntoIter = std::vec::IntoIter<Failure<E>>;
    fn into_iter(self) -> Self::IntoIter {
        self.failures.into_iter()
    }
}

impl<'a, E> IntoIterator for &'a GroupError<E> {
    type Item = &'a Failure<E>;
    type IntoIter = std::slice::Iter<'a, Failure<E>>;
    fn into_iter(self) -> Self::IntoIter {
        self.failures.iter()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failures.as_slice() {
            [one] => write!(f, "1 failure in task group: {one}"),
            many => {
                write!(f, "{} failures in task group:", many.len())?;
                for (i, failure) in many.iter().enumerate() {
                    write!(f, "\n  [{}] {failure}", i + 1)?;
                }
                Ok(())
            }
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: PartialEq> PartialEq for GroupError<E> {
    fn eq(&self, other: &Self) -> bool {
        self.failures == other.failures
    }
}

impl<E: Eq> Eq for GroupError<E> {}

impl<E: Error + 'static> Error for GroupError<E> {
    /// The first failure's error.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures.first().map(|f| &f.error as _)
    }
}

/// One failure inside a [`GroupError`]: the error, and which task it came from.
///
/// ```
/// # use asyncio_core::group::scope;
/// # futures::executor::block_on(async {
/// let err = scope(async |s| {
///     s.spawn_named("fetch", async { Err::<(), _>("404") });
///     Ok(())
/// })
/// .await
/// .unwrap_err();
/// let failure = &err.failures()[0];
/// assert_eq!((failure.name(), failure.error(), failure.is_body()), (Some("fetch"), &"404", false));
/// assert_eq!(failure.to_string(), format!("task 'fetch' (spawned at {}) failed: 404", failure.location().unwrap()));
/// # });
/// ```
pub struct Failure<E> {
    error: E,
    name: Option<Arc<str>>,
    /// `None` for the body.
    location: Option<&'static Location<'static>>,
}

impl<E> Failure<E> {
    pub(crate) fn child(
        error: E,
        name: Option<Arc<str>>,
        location: &'static Location<'static>,
    ) -> Self {
        Failure {
            error,
            name,
            location: Some(location),
        }
    }

    pub(crate) fn body(error: E) -> Self {
        Failure {
            error,
            name: None,
            location: None,
        }
    }

    /// The error.
    ///
    /// # Examples
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |s| {
    ///     s.spawn(async { "x".parse::<u8>() });
    ///     Ok::<(), _>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// let e: &std::num::ParseIntError = err.failures()[0].error();
    /// assert_eq!(e.to_string(), "invalid digit found in string");
    /// # });
    /// ```
    pub fn error(&self) -> &E {
        &self.error
    }

    /// The error, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |s| {
    ///     s.spawn(async { Err::<(), _>(String::from("disk full")) });
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// let failure = err.into_failures().remove(0);
    /// let message: String = failure.into_error();
    /// assert_eq!(message, "disk full");
    /// # });
    /// ```
    pub fn into_error(self) -> E {
        self.error
    }

    /// The failed child's name, if it was spawned with one (`None` for the body).
    ///
    /// # Examples
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let named = scope(async |s| {
    ///     s.spawn_named("fetch-1", async { Err::<(), _>("404") });
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(named.failures()[0].name(), Some("fetch-1"));
    ///
    /// let unnamed = scope(async |s| {
    ///     s.spawn(async { Err::<(), _>("404") });
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(unnamed.failures()[0].name(), None);
    /// # });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the failed child was spawned (`None` for the body).
    ///
    /// # Examples
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let err = scope(async |s| {
    ///     s.spawn(async { Err::<(), _>("child") }); // this line
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// let location = err.failures()[0].location().unwrap();
    /// assert_eq!(location.line(), line!() - 6);
    ///
    /// let body = scope(async |_s| Err::<(), _>("body")).await.unwrap_err();
    /// assert_eq!(body.failures()[0].location(), None);
    /// # });
    /// ```
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// Whether the failure is the group body's own `Err`, rather than a child's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use asyncio_core::group::scope;
    /// # futures::executor::block_on(async {
    /// let child = scope(async |s| {
    ///     s.spawn(async { Err::<(), _>("child failed") });
    ///     Ok(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert!(!child.failures()[0].is_body());
    ///
    /// let body = scope(async |_s| Err::<(), _>("body failed")).await.unwrap_err();
    /// assert!(body.failures()[0].is_body());
    /// # });
    /// ```
    pub fn is_body(&self) -> bool {
        self.location.is_none()
    }
}

impl<E: PartialEq> PartialEq for Failure<E> {
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error
            && self.name == other.name
            && self.location.map(|l| (l.file(), l.line(), l.column()))
                == other.location.map(|l| (l.file(), l.line(), l.column()))
    }
}

impl<E: Eq> Eq for Failure<E> {}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, self.location) {
            (_, None) => write!(f, "the group's body failed: {}", self.error),
            (Some(name), Some(loc)) => {
                write!(f, "task '{name}' (spawned at {loc}) failed: {}", self.error)
            }
            (None, Some(loc)) => write!(f, "task spawned at {loc} failed: {}", self.error),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("name", &self.name)
            .field("location", &self.location)
            .field("error", &self.error)
            .finish()
    }
}

/// Why a child's handle ([`GroupTask`](super::GroupTask) or
/// [`ScopeTask`](super::ScopeTask)) has no value.
///
/// A failed child's error itself goes to the group's [`GroupError`] (an error value can
/// only be in one place); the handle only says that it failed.
///
/// ```
/// use asyncio_core::group::{ChildError, TaskGroup};
/// # asyncio_core::run(async {
/// let (tx, rx) = std::sync::mpsc::channel();
/// let res = TaskGroup::run(async |tg| {
///     tx.send(tg.clone()).unwrap(); // keep a handle past the group's end
///     let child = tg.spawn(async { Err::<(), _>("no") });
///     Ok(child.await)
/// })
/// .await;
/// // The failure cancelled the body; the group reports it:
/// assert_eq!(res.unwrap_err().into_errors(), vec!["no"]);
///
/// // The group is closed: a late spawn never runs.
/// let late = rx.recv().unwrap().spawn(async { Ok(1) });
/// assert_eq!(late.await, Err(ChildError::Closed));
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildError {
    /// The child returned `Err`; the error is in the group's [`GroupError`].
    Failed,
    /// The child panicked; the panic resumes in whoever awaits the group.
    Panicked,
    /// The child was cancelled (another task failed, the group was cancelled or
    /// dropped, or the child was aborted).
    Cancelled,
    /// The group was already closed or cancelling when the child was spawned, so it
    /// never ran (asyncio's `RuntimeError: TaskGroup is shutting down`).
    Closed,
}

impl ChildError {
    /// Whether the child was cancelled, or never ran because the group was closed.
    ///
    /// ```
    /// assert!(asyncio_core::group::ChildError::Closed.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ChildError::Cancelled | ChildError::Closed)
    }
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChildError::Failed => "the task failed (its error is in the group's GroupError)",
            ChildError::Panicked => "the task panicked",
            ChildError::Cancelled => "the task was cancelled",
            ChildError::Closed => {
                "the task was not started: its group was already closed or cancelling"
            }
        })
    }
}

impl Error for ChildError {}
