//! Runs the `coordination` example's scenes on the paused clock, where every time is
//! exact: each primitive does what its asyncio namesake does.

#[allow(dead_code)]
#[path = "../examples/coordination.rs"]
mod coordination;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

fn paused<F: std::future::Future>(f: F) -> F::Output {
    Builder::new().start_paused(true).run(f)
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_lock_keeps_read_modify_write_correct_across_an_await() {
    let (balance, took) = paused(async {
        let t0 = Instant::now();
        (coordination::lock_scene(20).await, t0.elapsed())
    });
    assert_eq!(balance, 20, "no deposit was lost");
    assert_eq!(took, ms(200), "the deposits ran one at a time");
}

#[test]
fn the_event_releases_every_waiter_and_remembers_the_set() {
    assert_eq!(
        paused(coordination::event_scene()),
        [ms(1000), ms(1000), ms(1000), ms(1500)]
    );
}

#[test]
fn the_condition_waiter_takes_orders_two_at_a_time() {
    assert_eq!(
        paused(coordination::condition_scene()),
        [[1, 2], [3, 4], [5, 6]]
    );
}

#[test]
fn the_barrier_holds_everyone_until_the_last_arrives() {
    assert_eq!(
        paused(coordination::barrier_scene()),
        [(0, ms(3000)), (1, ms(3000)), (2, ms(3000))]
    );
}

#[test]
fn the_pool_of_two_runs_two_queries_at_a_time() {
    assert_eq!(paused(coordination::semaphore_scene()), (2, ms(300)));
}

#[test]
fn the_priority_queue_gives_the_smallest_first() {
    assert_eq!(
        paused(coordination::priority_scene()),
        [(1, "page the on-call"), (2, "send invoices"), (3, "backup")]
    );
}
