//! Runs the `odd_even` example on the paused clock: the two gathered printers
//! interleave into 1 2 3 4 5, each number at its exact time, and their results come
//! back in argument order.

#[allow(dead_code)]
#[path = "../examples/odd_even.rs"]
mod odd_even;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use odd_even::Printed;
use std::time::Duration;

#[test]
fn two_gathered_printers_print_one_to_five_in_order() {
    let printed = Printed::default();
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let results = odd_even::both(&printed).await;
        assert_eq!(results, ("odds done", "evens done"));
        // The last sleeps (odds: 0.4 + 0.2 s, evens: 0.3 + 0.3 s) end together.
        assert_eq!(start.elapsed(), Duration::from_millis(600));
    });
    let ms = Duration::from_millis;
    assert_eq!(
        printed.into_inner(),
        [
            (ms(0), 1),
            (ms(0), 2),
            (ms(200), 3),
            (ms(300), 4),
            (ms(400), 5)
        ]
    );
}
