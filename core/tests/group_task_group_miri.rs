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

/// Every shape of a child's link (see `task_group/link.rs`): unnamed children from two
/// spawn sites (shared sites), children that are pending first (their link moves to
/// its own allocation), named ones; each child's future is dropped exactly once and the
/// group finishes.
#[test]
fn child_links_pending_named_and_shared_sites() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    struct Count(Arc<AtomicUsize>);
    impl Drop for Count {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let sum = rt.block_on(async {
        TaskGroup::run(async |tg| {
            let mut handles = Vec::new();
            for i in 0..3u32 {
                let c = Count(drops.clone());
                handles.push(tg.spawn(async move {
                    let _c = c;
                    Ok::<_, ()>(i)
                }));
                let c = Count(drops.clone());
                handles.push(tg.spawn(async move {
                    let _c = c;
                    tokio::task::yield_now().await; // pending once
                    Ok(10 * i)
                }));
                let c = Count(drops.clone());
                handles.push(tg.spawn_named(format!("n{i}"), async move {
                    let _c = c;
                    tokio::task::yield_now().await;
                    Ok(100 * i)
                }));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            Ok(sum)
        })
        .await
    });
    assert_eq!(sum, Ok(333));
    assert_eq!(drops.load(SeqCst), 9);
}
