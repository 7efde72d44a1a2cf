//! Runs the `fetch_data` example on the paused clock: one awaited fetch returns its
//! data after exactly its 2 s of waiting.

#[allow(dead_code)]
#[path = "../examples/fetch_data.rs"]
mod fetch_data;

use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

#[test]
fn awaiting_the_fetch_returns_its_data_after_two_seconds() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let data = fetch_data::fetch_data("https://example.com").await;
        assert_eq!(data, "Data from https://example.com");
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
}
