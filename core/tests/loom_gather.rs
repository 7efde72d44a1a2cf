//! Model-checks the gather ready queue and waker reference counts under loom: wakes from
//! other threads race with the owner's polls, with the end of the join, and with the
//! drop of the last waker.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p asyncio-core --test loom_gather --release
//! ```
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use asyncio_core::gather::{as_completed, gather_all};
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;

/// Pending until its thread sets `done`, then ready with its index.
struct Child {
    i: usize,
    shared: Arc<Shared>,
}

struct Shared {
    done: Vec<AtomicBool>,
    wakers: Mutex<Vec<Option<Waker>>>,
}

impl Future for Child {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let mut w = self.shared.wakers.lock().unwrap();
        if self.shared.done[self.i].load(SeqCst) {
            return Poll::Ready(self.i);
        }
        w[self.i] = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn setup(n: usize) -> (Arc<Shared>, Vec<Child>) {
    let shared = Arc::new(Shared {
        done: (0..n).map(|_| AtomicBool::new(false)).collect(),
        wakers: Mutex::new(vec![None; n]),
    });
    let children = (0..n).map(|i| Child { i, shared: shared.clone() }).collect();
    (shared, children)
}

fn finish(shared: &Arc<Shared>, i: usize, extra_wake: bool) {
    let waker = {
        let mut w = shared.wakers.lock().unwrap();
        shared.done[i].store(true, SeqCst);
        w[i].take()
    };
    if let Some(w) = waker {
        if extra_wake {
            let c = w.clone();
            c.wake_by_ref();
            drop(c);
        }
        w.wake();
    }
}

#[test]
fn loom_gather_all_two_remote_wakers() {
    loom::model(|| {
        let (shared, children) = setup(2);
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let s = shared.clone();
                thread::spawn(move || finish(&s, i, i == 0))
            })
            .collect();
        let out = loom::future::block_on(gather_all(children));
        assert_eq!(out, vec![0, 1]);
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn loom_as_completed_remote_waker_outlives_stream() {
    loom::model(|| {
        let (shared, children) = setup(2);
        let s = shared.clone();
        let t = thread::spawn(move || finish(&s, 1, true));
        finish(&shared, 0, false);
        let mut stream = Box::pin(as_completed(children));
        // Take one item, then drop the stream while the remote wake may be in flight.
        let first = loom::future::block_on(futures::future::poll_fn(|cx| {
            futures::Stream::poll_next(stream.as_mut(), cx)
        }));
        assert!(first.is_some());
        drop(stream);
        t.join().unwrap();
    });
}
