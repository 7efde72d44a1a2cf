//! An append-only, lock-free-to-read cache of a `TaskGroup`'s spawn sites: the most
//! recently used entry sits behind one atomic pointer, so a loop spawning from one line
//! finds its site with one `Acquire` load and no lock; a miss takes a mutex, searches,
//! and appends. Entries are never removed or moved before the cache is dropped, so a
//! returned pointer stays valid as long as the cache.
//!
//! Generic over the entry type so that `core/tests/loom_group_sites.rs` can model-check
//! it with loom's atomics, mutex and `Arc` (swapped in through `super::sync`).

use std::sync::PoisonError;

use super::sync::{Arc, AtomicPtr, Mutex, Ordering};

pub(crate) struct Sites<S> {
    /// Null, or the entry `get` returned last; points into an `Arc` held by `all`.
    last: AtomicPtr<S>,
    all: Mutex<Vec<Arc<S>>>,
}

impl<S> Sites<S> {
    pub(crate) fn new() -> Self {
        Sites {
            last: AtomicPtr::new(std::ptr::null_mut()),
            all: Mutex::new(Vec::new()),
        }
    }

    /// The entry for which `matches` holds, made by `make` (under the lock, so at most
    /// one entry per key) if there is none. Valid for as long as `self`.
    pub(crate) fn get(&self, matches: impl Fn(&S) -> bool, make: impl FnOnce() -> S) -> *const S {
        let last = self.last.load(Ordering::Acquire);
        // SAFETY: `last` is null or was stored (`Release`) after its entry was fully
        // built and pushed into `all`, which keeps it alive, unmoved, as long as `self`.
        if let Some(site) = unsafe { last.as_ref() } {
            if matches(site) {
                return last;
            }
        }
        let mut all = self.all.lock().unwrap_or_else(PoisonError::into_inner);
        let site: *const S = match all.iter().find(|s| matches(s)) {
            Some(site) => &**site,
            None => {
                let site = Arc::new(make());
                let p: *const S = &*site;
                all.push(site);
                p
            }
        };
        self.last.store(site.cast_mut(), Ordering::Release);
        site
    }
}
