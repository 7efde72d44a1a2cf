//! Runs the `three_fetches` example on the paused clock: fetches of 2 s, 1 s and 2 s
//! gathered take exactly 2 s, and the results are in input order although fetch 2
//! arrived first.

#[allow(dead_code)]
#[path = "../examples/three_fetches.rs"]
mod three_fetches;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;
use three_fetches::Record;

fn check(start: Instant, records: &[Record]) {
    let ids: Vec<u32> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3], "results are in input order");
    let arrived: Vec<Duration> = records.iter().map(|r| r.fetched_at - start).collect();
    let secs = Duration::from_secs;
    assert_eq!(
        arrived,
        [secs(2), secs(1), secs(2)],
        "fetch 2 finished first"
    );
    assert_eq!(records[1].data, "Sample data for id 2");
    assert_eq!(
        start.elapsed(),
        secs(2),
        "the waits overlapped: 2 s, not 5 s"
    );
}

#[test]
fn gather_macro_takes_the_longest_wait_and_keeps_argument_order() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let (a, b, c) = three_fetches::gather_three().await;
        check(start, &[a, b, c]);
    });
}

#[test]
fn gather_all_takes_the_longest_wait_and_keeps_input_order() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let records = three_fetches::gather_list(&[(1, 2.0), (2, 1.0), (3, 2.0)]).await;
        check(start, &records);
    });
}
