//! Runs the `crawler` example against its own in-process site on the paused clock:
//! every page is found and fetched exactly once, the `Semaphore` caps the requests in
//! flight at exactly its limit, and the crawl overlaps its requests.
//!
//! Real sockets with a paused clock: the site's latencies are virtual, the loopback
//! I/O is real. Time bounds are loose where the kernel's delivery could let the clock
//! jump ahead; the counts are exact.

#[allow(dead_code)]
#[path = "../examples/crawler.rs"]
mod crawler;

use asyncio::runtime::Builder;
use crawler::Server;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn crawl(pages: usize, limit: usize) -> (crawler::Found, Vec<usize>, usize, Duration) {
    Builder::new().start_paused(true).run(async {
        let server = Server::start(pages, Duration::from_millis(200))
            .await
            .unwrap();
        let start = asyncio::time::Instant::now();
        let found = crawler::crawl_site(&server.start_url(), limit).await;
        let elapsed = start.elapsed();
        let mut hits = server.stats.hits.lock().unwrap().clone();
        hits.sort();
        let max = server.stats.max_in_flight.load(Ordering::SeqCst);
        (found, hits, max, elapsed)
    })
}

#[test]
fn every_page_is_fetched_exactly_once_and_the_limit_holds() {
    let (found, hits, max, elapsed) = crawl(100, 8);
    assert!(found.failed.is_empty(), "{:?}", found.failed);
    assert_eq!(hits, (0..100).collect::<Vec<_>>(), "each page hit once");
    assert_eq!(found.pages.len(), 100);
    // The tree is wider than 8 from its fourth level on, so the cap is reached.
    assert_eq!(
        max, 8,
        "at most `limit` requests at once, and the limit is used"
    );
    // 100 requests of 0.2 s, 8 at a time, cannot take less than 2.5 s; one at a time
    // they would take 20 s.
    assert!(elapsed >= Duration::from_millis(2500), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(10),
        "not concurrent: {elapsed:?}"
    );
}

#[test]
fn a_limit_of_one_fetches_one_page_at_a_time() {
    let (found, hits, max, elapsed) = crawl(20, 1);
    assert!(found.failed.is_empty(), "{:?}", found.failed);
    assert_eq!(hits, (0..20).collect::<Vec<_>>());
    assert_eq!(max, 1);
    assert!(elapsed >= Duration::from_secs(4), "{elapsed:?}"); // 20 × 0.2 s
}

#[test]
fn a_dead_link_is_reported_not_fatal() {
    Builder::new().run(async {
        let server = Server::start(3, Duration::ZERO).await.unwrap();
        // Page 0 links to 1 and 2; start from a page past the end instead.
        let url = format!("http://{}/page/7", server.addr);
        let found = crawler::crawl_site(&url, 2).await;
        assert!(found.pages.is_empty());
        assert_eq!(found.failed.len(), 1);
        assert!(found.failed[0].1.contains("404"), "{:?}", found.failed);
    });
}
