//! Real HTTP: fetch several URLs at once with `reqwest` and `gather_all`.
//!
//! The example starts its own small JSON server on `127.0.0.1` (a free port), serving
//! user records at `/users/{id}`, each answer delayed by 0.5 s like a remote API. It
//! then fetches five users and one that does not exist, all at once: the six requests
//! take about 0.5 s together, not 3 s. Each result is a `Result`, so the missing user's
//! `404` is reported next to the others instead of aborting the batch (asyncio's
//! `gather(..., return_exceptions=True)`).
//!
//! ```text
//! cargo run --example http_users
//! cargo run --example http_users -- http://127.0.0.1:8000/users/1 http://...   # your URLs
//! ```
//!
//! Given URLs on the command line, it fetches those instead and prints the `login`
//! field of each JSON answer. (The example's reqwest has no TLS feature, so use `http://`
//! URLs.)
//!
//! Python (with aiohttp):
//!
//! ```python
//! async def fetch_login(session, url):
//!     async with session.get(url) as resp:
//!         resp.raise_for_status()
//!         return (await resp.json())["login"]
//!
//! async def main(urls):
//!     async with aiohttp.ClientSession() as session:
//!         logins = await asyncio.gather(*(fetch_login(session, u) for u in urls),
//!                                       return_exceptions=True)
//!     for url, login in zip(urls, logins):
//!         print(url, login)
//!
//! asyncio.run(main(sys.argv[1:]))
//! ```

use asyncio::prelude::*;
use asyncio::task::Task;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

/// A user record, as the server sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The user's login name.
    pub login: String,
    /// A display name (ignored by the client).
    #[serde(default)]
    pub name: String,
}

const USERS: [(&str, &str); 5] = [
    ("octocat", "The Octocat"),
    ("ferris", "Ferris the Crab"),
    ("guido", "Guido van Rossum"),
    ("graydon", "Graydon Hoare"),
    ("ada", "Ada Lovelace"),
];

/// `GET /users/{id}`: the user with id `1..=5` after `latency`, or `404`.
async fn get_user(
    State(latency): State<Duration>,
    Path(id): Path<usize>,
) -> Result<Json<User>, StatusCode> {
    sleep(latency).await; // a remote API takes its time
    let (login, name) = id
        .checked_sub(1)
        .and_then(|i| USERS.get(i))
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(User {
        login: login.to_string(),
        name: name.to_string(),
    }))
}

/// The local JSON API. It stops when this value is dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    _task: Task<std::io::Result<()>>,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1; each answer takes `latency`.
    pub async fn start(latency: Duration) -> std::io::Result<Self> {
        let app = Router::new()
            .route("/users/{id}", get(get_user))
            .with_state(latency);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = spawn(async move { axum::serve(listener, app).await });
        Ok(Server { addr, _task: task })
    }

    /// The URL of user `id`.
    pub fn user_url(&self, id: u32) -> String {
        format!("http://{}/users/{id}", self.addr)
    }
}

/// Fetches `url` and returns the `login` field of the JSON answer.
pub async fn fetch_login(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.json::<User>().await?.login)
}

/// Fetches every URL at once; one `Result` per URL, in input order.
pub async fn fetch_logins(urls: &[String]) -> Vec<Result<String, reqwest::Error>> {
    let client = reqwest::Client::builder()
        .user_agent("asyncio-rs example")
        .build()
        .expect("a client without TLS always builds");
    gather_all(urls.iter().map(|url| fetch_login(&client, url))).await
}

/// An error and its causes, as one line: "error sending request: connection refused".
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

#[asyncio::async_main]
async fn main() -> std::io::Result<()> {
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    let _server; // keeps the local server running until the end of main
    if urls.is_empty() {
        let server = Server::start(Duration::from_millis(500)).await?;
        println!("serving users on http://{}", server.addr);
        urls = [1, 2, 3, 4, 5, 99].map(|id| server.user_url(id)).to_vec();
        _server = server;
    }

    let start = asyncio::time::Instant::now();
    let logins = fetch_logins(&urls).await;
    for (url, login) in urls.iter().zip(&logins) {
        match login {
            Ok(login) => println!("{url}  ->  {login}"),
            Err(e) => println!("{url}  ->  error: {}", with_causes(e)),
        }
    }
    println!(
        "{} requests in {:.2} s",
        urls.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
