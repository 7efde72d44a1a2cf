//! Runs the `http_users` example against its own in-process server: every login comes
//! back for the right URL, in input order, and the missing user is a 404 error in its
//! place rather than a failure of the whole batch.
//!
//! Real sockets, so the real clock; only values are asserted, never durations.

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
