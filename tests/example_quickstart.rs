//! Runs the quickstart example's dinners on the paused clock: the elapsed virtual time
//! is exact, so the test checks the point of the example — 7.5 s sequential, 3 s
//! concurrent — without a wall-clock assertion.

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

#[test]
fn sequential_dinner_takes_the_sum_of_the_waits() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let dishes = quickstart::sequential().await;
        assert_eq!(dishes, ["steak", "vegetables", "water"]);
        assert_eq!(start.elapsed(), Duration::from_millis(7500));
    });
}

#[test]
fn concurrent_dinner_takes_the_longest_wait() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let dishes = quickstart::concurrent().await;
        assert_eq!(dishes, ["steak", "vegetables", "water"]);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn gathered_dinner_takes_the_longest_wait_with_results_in_order() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let dishes = quickstart::gathered().await;
        assert_eq!(dishes, ["steak", "vegetables", "water"]);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}
