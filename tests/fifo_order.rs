//! FIFO scheduling, as asyncio's `call_soon`: tasks (and gathered children) that become
//! ready in the order a, b, c run in that order — the order ported asyncio code and its
//! tests rely on. Three workers each log and `yield_now()` three times; asyncio prints
//! `a0 b0 c0 a1 b1 c1 a2 b2 c2`.

use asyncio::prelude::*;
use asyncio::runtime::Builder;
use std::future::Future;
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<String>>>;

async fn worker(name: &'static str, log: Log) {
    for i in 0..3 {
        log.lock().unwrap().push(format!("{name}{i}"));
        yield_now().await;
    }
}

const ASYNCIO: &str = "a0 b0 c0 a1 b1 c1 a2 b2 c2";

fn joined(log: &Log) -> String {
    log.lock().unwrap().join(" ")
}

#[test]
fn spawned_tasks_on_the_default_loop_run_in_fifo_order() {
    let log = Log::default();
    Builder::new().run(async {
        let tasks: Vec<_> = ["a", "b", "c"]
            .map(|n| spawn(worker(n, Arc::clone(&log))))
            .into();
        gather_all(tasks).await;
    });
    assert_eq!(joined(&log), ASYNCIO);
}

#[test]
fn spawn_local_tasks_run_in_fifo_order() {
    let log = Log::default();
    Builder::new().run(async {
        let tasks: Vec<_> = ["a", "b", "c"]
            .map(|n| spawn_local(worker(n, Arc::clone(&log))))
            .into();
        for t in tasks {
            t.await;
        }
    });
    assert_eq!(joined(&log), ASYNCIO);
}

#[test]
fn gather_all_children_run_in_fifo_order() {
    let log = Log::default();
    asyncio::run(gather_all(
        ["a", "b", "c"].map(|n| worker(n, Arc::clone(&log))),
    ));
    assert_eq!(joined(&log), ASYNCIO);
}

#[test]
fn spawned_workers_awaited_by_gather_macro_run_in_fifo_order() {
    // The case: `gather!` of two spawned workers printed `a0 b0 b1 a1 a2 b2`.
    let log = Log::default();
    asyncio::run(async {
        gather!(
            spawn(worker("a", Arc::clone(&log))),
            spawn(worker("b", Arc::clone(&log)))
        )
        .await
    });
    assert_eq!(joined(&log), "a0 b0 a1 b1 a2 b2");
}

#[test]
fn yield_now_works_without_an_event_loop() {
    let log = Log::default();
    futures::executor::block_on(gather_all(
        ["a", "b", "c"].map(|n| worker(n, Arc::clone(&log))),
    ));
    assert_eq!(joined(&log), ASYNCIO);
}

/// A child that parks on its first poll (leaving its waker in `slot`) and, when polled
/// again, logs its name and finishes.
async fn gate(
    name: &'static str,
    slot: Arc<Mutex<Option<std::task::Waker>>>,
    log: Log,
) -> &'static str {
    let mut parked = false;
    std::future::poll_fn(|cx| {
        if parked {
            log.lock().unwrap().push(name.to_string());
            std::task::Poll::Ready(())
        } else {
            parked = true;
            *slot.lock().unwrap() = Some(cx.waker().clone());
            std::task::Poll::Pending
        }
    })
    .await;
    name
}

type Slots = [Arc<Mutex<Option<std::task::Waker>>>; 3];

fn gates(log: &Log) -> (Slots, Vec<impl Future<Output = &'static str> + use<>>) {
    let slots: Slots = Default::default();
    let children = ["a", "b", "c"]
        .into_iter()
        .zip(slots.clone())
        .map(|(n, s)| gate(n, s, Arc::clone(log)))
        .collect();
    (slots, children)
}

/// Wakes the children c, a, b — in that order — once they have all parked.
async fn wake_c_a_b(slots: Slots) {
    while slots.iter().any(|s| s.lock().unwrap().is_none()) {
        yield_now().await;
    }
    for i in [2, 0, 1] {
        slots[i].lock().unwrap().take().unwrap().wake();
    }
}

#[test]
fn children_woken_c_a_b_are_polled_c_a_b() {
    // gather_all
    let log = Log::default();
    let (slots, children) = gates(&log);
    let (out, ()) = futures::executor::block_on(async {
        futures::join!(gather_all(children), wake_c_a_b(slots))
    });
    assert_eq!(out, ["a", "b", "c"], "outputs stay in input order");
    assert_eq!(joined(&log), "c a b", "gather_all");

    // try_gather_all
    let log = Log::default();
    let (slots, children) = gates(&log);
    let ok = children
        .into_iter()
        .map(|c| async move { Ok::<_, ()>(c.await) });
    let (out, ()) = futures::executor::block_on(async {
        futures::join!(try_gather_all(ok), wake_c_a_b(slots))
    });
    assert_eq!(out, Ok(vec!["a", "b", "c"]));
    assert_eq!(joined(&log), "c a b", "try_gather_all");

    // as_completed: finished in wake order
    let log = Log::default();
    let (slots, children) = gates(&log);
    let (order, ()) = futures::executor::block_on(async {
        use futures::StreamExt;
        futures::join!(
            as_completed(children).collect::<Vec<_>>(),
            wake_c_a_b(slots)
        )
    });
    assert_eq!(order, ["c", "a", "b"], "as_completed");

    // race_all: the first woken is polled first and wins
    let log = Log::default();
    let (slots, children) = gates(&log);
    let (winner, ()) = futures::executor::block_on(async {
        futures::join!(race_all(children), wake_c_a_b(slots))
    });
    assert_eq!(winner, "c", "race_all");
}

async fn group_worker(name: &'static str, log: Log) -> Result<(), ()> {
    worker(name, log).await;
    Ok(())
}

#[test]
fn task_group_children_run_in_fifo_order() {
    let log = Log::default();
    let l = Arc::clone(&log);
    asyncio::run(asyncio::TaskGroup::run(async move |tg| {
        for n in ["a", "b", "c"] {
            tg.spawn(group_worker(n, Arc::clone(&l)));
        }
        Ok::<_, ()>(())
    }))
    .unwrap();
    assert_eq!(joined(&log), ASYNCIO);
}

#[test]
fn scope_children_run_in_fifo_order() {
    let log = Log::default();
    futures::executor::block_on(asyncio::scope(async |s| {
        for n in ["a", "b", "c"] {
            s.spawn(group_worker(n, Arc::clone(&log)));
        }
        Ok::<_, ()>(())
    }))
    .unwrap();
    assert_eq!(joined(&log), ASYNCIO);
}

#[test]
fn scope_children_woken_c_a_b_are_polled_c_a_b() {
    let log = Log::default();
    let (slots, children) = gates(&log);
    let ((), ()) = futures::executor::block_on(async {
        let run = asyncio::scope(async |s| {
            for child in children {
                s.spawn(async move {
                    child.await;
                    Ok::<_, ()>(())
                });
            }
            Ok::<_, ()>(())
        });
        futures::join!(async { run.await.unwrap() }, wake_c_a_b(slots))
    });
    assert_eq!(joined(&log), "c a b");
}
