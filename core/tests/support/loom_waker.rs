//! Shared by the loom tests that compile a waker-based module on its own
//! (`loom_gather.rs`, `loom_scope_set.rs`): futures' `AtomicWaker` API over a loom mutex,
//! and a parent waker that counts its wakes. Included with `#[path]`; not a test crate
//! itself (it lives in a subdirectory).

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Wake, Waker};

/// futures' `AtomicWaker` API over a loom mutex (the module's own logic is what is under
/// test, not `AtomicWaker`).
pub(crate) struct AtomicWaker(loom::sync::Mutex<Option<Waker>>);

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::sync::Mutex::new(None))
    }
    pub(crate) fn register(&self, w: &Waker) {
        *self.0.lock().unwrap() = Some(w.clone());
    }
    pub(crate) fn wake(&self) {
        let w = self.0.lock().unwrap().take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// A parent waker that counts how often it was woken.
pub(crate) struct Count(pub(crate) AtomicUsize);

impl Wake for Count {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A counting parent waker and its counter.
pub(crate) fn parent() -> (std::sync::Arc<Count>, Waker) {
    let c = std::sync::Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}
