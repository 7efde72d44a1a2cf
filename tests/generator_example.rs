//! Runs the `async_generator` example on the paused clock: ten items, 100 ms apart.

#[allow(dead_code)]
#[path = "../examples/async_generator.rs"]
mod async_generator;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

#[test]
fn yields_zero_to_nine_with_a_pause_between_items() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        assert_eq!(
            async_generator::consume(10).await,
            (0..10).collect::<Vec<_>>()
        );
        // A pause after each of the ten items (the last one too, as in the Python).
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    });
}

#[test]
fn the_body_does_not_run_ahead_of_the_consumer() {
    use futures::StreamExt;
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let mut s = std::pin::pin!(async_generator::r#gen(3));
        assert_eq!(s.next().await, Some(0));
        // The first item comes at once; the body sleeps only when asked for the next.
        assert_eq!(start.elapsed(), Duration::ZERO);
        asyncio::sleep(Duration::from_millis(500)).await;
        assert_eq!(s.next().await, Some(1));
        assert_eq!(start.elapsed(), Duration::from_millis(600));
    });
}
