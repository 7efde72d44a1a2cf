//! Runs the `http_users` example against its own in-process server: every login comes
//! back for the right URL, in input order, and the missing user is a 404 error in its
//! place rather than a failure of the whole batch.
//!
//! Real sockets: the value tests use the real clock and assert no durations; the
//! overlap test uses the paused clock, where only the server's latency takes time.

#[allow(dead_code)]
#[path = "../examples/http_users.rs"]
mod http_users;

use asyncio::runtime::Builder;
use http_users::Server;
use std::time::Duration;

#[test]
fn the_logins_come_back_in_input_order() {
    Builder::new().run(async {
        let server = Server::start(Duration::from_millis(20)).await.unwrap();
        let urls: Vec<String> = [3, 1, 99, 5, 2].map(|id| server.user_url(id)).to_vec();
        let logins = http_users::fetch_logins(&urls).await;
        assert_eq!(logins.len(), 5);

        let ok: Vec<Option<&str>> = logins.iter().map(|r| r.as_deref().ok()).collect();
        assert_eq!(
            ok,
            [
                Some("guido"),
                Some("octocat"),
                None,
                Some("ada"),
                Some("ferris")
            ]
        );
        let missing = logins[2].as_ref().unwrap_err();
        assert_eq!(missing.status(), Some(reqwest::StatusCode::NOT_FOUND));
    });
}

#[test]
fn a_stopped_server_is_an_error_in_its_place() {
    Builder::new().run(async {
        let live = Server::start(Duration::ZERO).await.unwrap();
        let stopped = Server::start(Duration::ZERO).await.unwrap();
        let urls = [live.user_url(4), stopped.user_url(1)];
        // Dropping a `Server` cancels its task, which closes its port.
        drop(stopped);
        asyncio::sleep(Duration::from_millis(10)).await;

        let logins = http_users::fetch_logins(&urls).await;
        assert_eq!(logins[0].as_deref().ok(), Some("graydon"));
        assert!(
            logins[1].as_ref().unwrap_err().is_connect(),
            "{:?}",
            logins[1]
        );
    });
}

#[test]
fn the_requests_overlap() {
    // On the paused clock the server's 0.5 s latencies are virtual; the loopback I/O is
    // real but takes no virtual time. One after the other, six requests would take
    // exactly 3 s; overlapped they take 0.5 s. The bound leaves room for the kernel
    // delivering a request late, which would only let time jump one latency ahead.
    let elapsed = Builder::new().start_paused(true).run(async {
        let server = Server::start(Duration::from_millis(500)).await.unwrap();
        let urls: Vec<String> = [1, 2, 3, 4, 5, 99].map(|id| server.user_url(id)).to_vec();
        let start = asyncio::time::Instant::now();
        let logins = http_users::fetch_logins(&urls).await;
        assert_eq!(logins.iter().filter(|r| r.is_ok()).count(), 5);
        start.elapsed()
    });
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "not concurrent: {elapsed:?}"
    );
}
