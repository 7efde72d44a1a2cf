//! Runs the `llm_batch` example against its own in-process endpoint (real sockets, so
//! the real clock, with short latencies and backoffs; only counts are asserted, never
//! durations): the scripted 429s, 500s and hangs give the same counts on every run,
//! and the endpoint never sees more than 4 requests at once.

#[allow(dead_code)]
#[path = "../examples/llm_batch.rs"]
mod llm_batch;

use asyncio::runtime::Builder;
use indicatif::ProgressBar;
use llm_batch::{Config, Failure, Reply, Server};
use std::sync::atomic::Ordering;
use std::time::Duration;

fn config(concurrency: usize) -> Config {
    Config {
        concurrency,
        // Only the scripted hangs may reach this; a normal answer takes 5 ms.
        timeout: Duration::from_secs(1),
        max_attempts: 4,
        backoff: Duration::from_millis(5),
    }
}

#[test]
fn the_summary_counts_successes_retries_and_failures() {
    Builder::new().run(async {
        let server = Server::start(Duration::from_millis(5)).await.unwrap();
        let summary = llm_batch::run_batch(
            &server.url,
            llm_batch::prompts(20),
            config(4),
            ProgressBar::hidden(),
        )
        .await;

        // Prompt 19 always fails; everything else eventually succeeds.
        assert_eq!((summary.succeeded, summary.failed), (19, 1));
        // Retries: 3 and 13 once (429), 6 and 16 twice (500), 8 and 18 once (hang),
        // 19 three times before giving up: 2 + 4 + 2 + 3.
        assert_eq!(summary.retries, 11);
        assert_eq!(server.stats.requests.load(Ordering::SeqCst), 20 + 11);
        // The hung requests' handlers were dropped when the client timed out and
        // closed the connection, so nothing is left in flight.
        assert_eq!(server.stats.in_flight.load(Ordering::SeqCst), 0);

        let ids: Vec<u32> = summary.outcomes.iter().map(|o| o.id).collect();
        assert_eq!(ids, (0..20).collect::<Vec<_>>(), "outcomes in input order");
        let attempts: Vec<u32> = summary.outcomes.iter().map(|o| o.attempts).collect();
        let expected: Vec<u32> = (0..20)
            .map(|id| match id {
                19 => 4,
                _ if id % 10 == 6 => 3,
                _ if matches!(id % 10, 3 | 8) => 2,
                _ => 1,
            })
            .collect();
        assert_eq!(attempts, expected);

        let o = &summary.outcomes;
        assert_eq!(o[19].result, Err(Failure::Status(500)));
        assert!(o[8].result.as_ref().unwrap().starts_with("Answer 8:"));
        assert!(o[0].result.as_ref().unwrap().starts_with("Answer 0:"));
    });
}

#[test]
fn at_most_the_limit_of_requests_are_in_flight() {
    for limit in [4, 2] {
        let max = Builder::new().run(async {
            let server = Server::start(Duration::from_millis(5)).await.unwrap();
            let summary = llm_batch::run_batch(
                &server.url,
                llm_batch::prompts(20),
                config(limit),
                ProgressBar::hidden(),
            )
            .await;
            assert_eq!(summary.succeeded, 19);
            server.stats.max_in_flight.load(Ordering::SeqCst)
        });
        assert!(max <= limit, "{max} requests at once with limit {limit}");
        assert!(max >= 1);
    }
}

#[test]
fn without_a_limit_more_requests_overlap() {
    // The control for the test above: the same batch unbounded overlaps more than 4.
    let max = Builder::new().run(async {
        let server = Server::start(Duration::from_millis(50)).await.unwrap();
        llm_batch::run_batch(
            &server.url,
            llm_batch::prompts(20),
            config(20),
            ProgressBar::hidden(),
        )
        .await;
        server.stats.max_in_flight.load(Ordering::SeqCst)
    });
    assert!(max > 4, "only {max} at once without a limit");
}

#[test]
fn the_script_is_what_the_summary_assumes() {
    assert_eq!(llm_batch::script(3, 1), Reply::RateLimited);
    assert_eq!(llm_batch::script(3, 2), Reply::Ok);
    assert_eq!(llm_batch::script(16, 2), Reply::ServerError);
    assert_eq!(llm_batch::script(18, 1), Reply::Hang);
    assert_eq!(llm_batch::script(19, 9), Reply::ServerError);
    assert!(!Failure::Status(400).is_retryable());
    assert!(Failure::Status(429).is_retryable() && Failure::Timeout.is_retryable());
}
