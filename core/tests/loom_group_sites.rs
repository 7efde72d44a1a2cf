//! Model-checks the TaskGroup's spawn-site cache (`core/src/group/sites.rs`) under loom:
//! threads spawning from the same and from different lines race to look up, create and
//! publish sites; every lookup must return a fully built entry for its own key (the
//! `Release` store of `last` against its `Acquire` load), and one key never gets two
//! entries.
//!
//! The module is compiled here on its own (`#[path]`) with loom's atomics, mutex and
//! `Arc` swapped in through the `sync` module below.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_group_sites --release
//! ```
#![cfg(loom)]
#![allow(dead_code, unreachable_pub)]

mod sync {
    pub(crate) use loom::sync::atomic::{AtomicPtr, Ordering};
    pub(crate) use loom::sync::{Arc, Mutex};
}
#[path = "../src/group/sites.rs"]
mod sites;

use loom::sync::Arc;
use loom::thread;
use sites::Sites;

/// An entry: its key, and a field in a loom cell, written when the entry is built: loom
/// reports a causality violation if a reader can reach the entry without the write
/// happening before its read (a publication that is not `Release`/`Acquire`).
struct Entry {
    key: usize,
    check: loom::cell::UnsafeCell<usize>,
}

fn get(sites: &Sites<Entry>, key: usize) -> usize {
    let p = sites.get(
        |e| e.key == key,
        || Entry {
            key,
            check: loom::cell::UnsafeCell::new(key * 10),
        },
    );
    // SAFETY: `get` returns an entry that lives as long as `sites`.
    let e = unsafe { &*p };
    assert_eq!(e.key, key);
    // SAFETY: the cell is only written when the entry is built.
    assert_eq!(e.check.with(|c| unsafe { *c }), key * 10);
    p as usize
}

#[test]
fn loom_sites_concurrent_lookups() {
    loom::model(|| {
        let sites = Arc::new(Sites::<Entry>::new());
        let s1 = sites.clone();
        let t1 = thread::spawn(move || (get(&s1, 1), get(&s1, 2)));
        let s2 = sites.clone();
        let t2 = thread::spawn(move || (get(&s2, 2), get(&s2, 1)));
        let a = get(&sites, 1);
        let (b1, b2) = t1.join().unwrap();
        let (c2, c1) = t2.join().unwrap();
        // One entry per key, whoever created it.
        assert_eq!(a, b1);
        assert_eq!(a, c1);
        assert_eq!(b2, c2);
        assert_ne!(a, b2);
    });
}
