//! Runs the `greetings` example on the paused clock: awaited in a row, the greetings
//! take exactly 1 s + 2 s; gathered, exactly the longer 2 s.

#[allow(dead_code)]
#[path = "../examples/greetings.rs"]
mod greetings;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

fn greeted() -> (String, String) {
    ("Hello, Alice!".to_owned(), "Hello, Bob!".to_owned())
}

#[test]
fn awaiting_one_after_the_other_takes_three_seconds() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        assert_eq!(greetings::one_after_the_other().await, greeted());
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn gathering_takes_two_seconds_and_keeps_argument_order() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        assert_eq!(greetings::together().await, greeted());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
}
