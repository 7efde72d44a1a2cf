//! The group API through the facade and its prelude, with `#[async_test]`.

use asyncio::prelude::*;
use std::time::Duration;

#[asyncio::async_test(start_paused)]
async fn task_group_and_scope_from_the_prelude() {
    let start = asyncio::time::Instant::now();
    let err: GroupError<String> = TaskGroup::run(async |tg| {
        tg.spawn_named("late", async {
            sleep(Duration::from_secs(5)).await; // cancelled at 1 s
            Ok(())
        });
        tg.spawn_named("bad", async {
            sleep(Duration::from_secs(1)).await;
            Err::<(), _>("bad".to_string())
        });
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(err.failures()[0].name(), Some("bad"));

    let local = String::from("borrowed");
    let n = scope(async |s| {
        let h = s.spawn(async {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, ()>(local.len())
        });
        Ok(h.await.unwrap())
    })
    .await;
    assert_eq!(n, Ok(8));
}

#[asyncio::async_test(flavor = "multi_thread", worker_threads = 2)]
async fn task_group_children_run_concurrently_under_multi_thread() {
    use std::sync::Arc;
    use tokio::sync::Barrier;
    // Two children that each wait for the other: a group that ran its children one
    // after the other would deadlock here.
    let barrier = Arc::new(Barrier::new(2));
    let out = TaskGroup::run(async |tg| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let b = barrier.clone();
                tg.spawn(async move {
                    b.wait().await;
                    Ok::<_, ()>(i)
                })
            })
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        Ok(sum)
    })
    .await;
    assert_eq!(out, Ok(1));
}
