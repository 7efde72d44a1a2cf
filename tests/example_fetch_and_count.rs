//! Runs the `fetch_and_count` example on the paused clock: the numbers keep coming
//! every 0.5 s while the fetch waits, the fetched value arrives at exactly 2 s, and the
//! whole run takes 5 s (not 2 + 5).

#[allow(dead_code)]
#[path = "../examples/fetch_and_count.rs"]
mod fetch_and_count;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use fetch_and_count::{Event, Log};
use std::time::Duration;

#[test]
fn the_numbers_keep_coming_while_the_fetch_waits() {
    let (events, elapsed) = Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let log = Log::new();
        assert_eq!(fetch_and_count::fetch_while_counting(log.clone()).await, 1);
        (log.events(), start.elapsed())
    });
    assert_eq!(elapsed, Duration::from_secs(5));

    let numbers: Vec<(Duration, u32)> = events
        .iter()
        .filter_map(|(at, e)| match e {
            Event::Number(n) => Some((*at, *n)),
            _ => None,
        })
        .collect();
    let expected: Vec<(Duration, u32)> = (0..10)
        .map(|i| (Duration::from_millis(500 * u64::from(i)), i))
        .collect();
    assert_eq!(
        numbers, expected,
        "one number every 0.5 s, never held up by the fetch"
    );

    let at = |wanted: Event| events.iter().find(|(_, e)| *e == wanted).map(|(at, _)| *at);
    assert_eq!(at(Event::FetchStarted), Some(Duration::ZERO));
    assert_eq!(at(Event::Fetched(1)), Some(Duration::from_secs(2)));
    // In print order: after 3 (1.5 s) and before 5 (2.5 s).
    let pos = |wanted: Event| events.iter().position(|(_, e)| *e == wanted).unwrap();
    assert!(pos(Event::Number(3)) < pos(Event::Fetched(1)));
    assert!(pos(Event::Fetched(1)) < pos(Event::Number(5)));
}
