//! [`Once`]: the future `scope`, `supervise_scope`, `TaskGroup::run` and
//! `TaskGroup::supervise` return, so that polling it after it completed panics with a
//! message naming the API (as `gather_all` does), not the compiler's "`async fn`
//! resumed after completion".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pin_project! {
    /// `fut`, which panics with "`what` polled after it completed" when polled after it
    /// returned `Ready` (or panicked).
    pub(crate) struct Once<F> {
        #[pin]
        fut: F,
        what: &'static str,
        done: bool,
    }
}

impl<F> Once<F> {
    pub(crate) fn new(what: &'static str, fut: F) -> Self {
        Once {
            fut,
            what,
            done: false,
        }
    }
}

impl<F: Future> Future for Once<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if *this.done {
            polled_after_completion(this.what);
        }
        // Set while `fut` runs: if it panics, a later poll names the API too.
        *this.done = true;
        let out = this.fut.poll(cx);
        if out.is_pending() {
            *this.done = false;
        }
        out
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn polled_after_completion(what: &str) -> ! {
    panic!("`{what}` polled after it completed")
}
