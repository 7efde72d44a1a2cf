//! A small `TaskGroup` run on tokio's current-thread runtime that also runs under Miri
//! (it checks the group driver's pin projections against Stacked Borrows: the body
//! borrows its own locals across an `.await`):
//!
//! ```text
//! MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-disable-isolation" \
//!     cargo +nightly miri test -p asyncio-core --test group_task_group_miri
//! ```

use asyncio_core::group::{ChildError, TaskGroup};

#[test]
fn failure_cancels_a_body_that_borrows_its_own_locals() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let err = TaskGroup::run(async |tg| {
            let parked = tg.spawn(std::future::pending::<Result<(), &str>>());
            let local = [1u8; 4];
            let borrowed = &local; // self-reference inside the body future
            tokio::task::yield_now().await;
            tg.spawn(async { Err::<(), _>("boom") });
            assert_eq!(parked.await, Err(ChildError::Cancelled));
            Ok(borrowed[0])
        })
        .await
        .unwrap_err();
        assert_eq!(err.into_errors(), ["boom"]);

        let ok = TaskGroup::run(async |tg| {
            let h = tg.spawn(async {
                tokio::task::yield_now().await;
                Ok::<_, ()>(5)
            });
            Ok(h.await.unwrap())
        })
        .await;
        assert_eq!(ok, Ok(5));
    });
}
