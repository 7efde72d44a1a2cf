//! Children that hold a `&mut` into their own state (`pin!` of a local future inside an
//! `async` block, as user code does) are sound under `gather_all`: the driver never makes
//! a reference over all the children while they are alive. Run it under Miri (Stacked
//! Borrows): `cargo +nightly miri test -p asyncio-core --test gather_self_ref`.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use futures::executor::block_on;

/// Pending once (waking itself), then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn child(i: u32) -> u32 {
    let mut total = 0;
    for k in 0..3 {
        // `y` is a `Pin<&mut YieldOnce>` into this future's own state, kept across the
        // await: a self-reference the driver must not invalidate.
        let mut y = pin!(YieldOnce(false));
        y.as_mut().await;
        total += i * 10 + k;
    }
    total
}

#[test]
fn self_referential_children_under_gather_all() {
    let out = block_on(asyncio_core::gather_all((0..8).map(child)));
    assert_eq!(out, (0..8).map(|i| 30 * i + 3).collect::<Vec<u32>>());
}

#[test]
fn self_referential_children_under_try_gather_all_and_race_all() {
    let ok = block_on(asyncio_core::try_gather_all(
        (0..4).map(|i| async move { Ok::<_, ()>(child(i).await) }),
    ));
    assert_eq!(ok, Ok(vec![3, 33, 63, 93]));
    let first = block_on(asyncio_core::race_all((0..4).map(child)));
    assert!([3, 33, 63, 93].contains(&first));
}
