//! A web crawler that discovers its work as it goes: each page's task spawns a task
//! for every new link it finds, and a `Semaphore` bounds how many requests are in
//! flight at once.
//!
//! The example starts its own small site on `127.0.0.1` (a free port): page `n` links
//! to pages `2n+1` and `2n+2` (up to the last page) and back to page 0, and answers
//! after 0.2 s like a remote server. The crawler starts from page 0, fetches every page
//! exactly once, never has more than `--limit` requests open, and prints what it found.
//!
//! ```text
//! cargo run --example crawler                # 100 pages, 8 at a time
//! cargo run --example crawler -- 500 16      # 500 pages, 16 at a time
//! ```
//!
//! Python (with aiohttp):
//!
//! ```python
//! async def crawl(url, session, limit, seen, tasks):
//!     async with limit:                                   # asyncio.Semaphore(8)
//!         async with session.get(url) as resp:
//!             html = await resp.text()
//!     for link in re.findall(r'href="([^"]+)"', html):
//!         link = urljoin(url, link)
//!         if link not in seen:
//!             seen.add(link)
//!             tasks.append(asyncio.create_task(crawl(link, session, limit, seen, tasks)))
//!
//! async def main(start):
//!     seen, tasks = {start}, []
//!     async with aiohttp.ClientSession() as session:
//!         await crawl(start, session, asyncio.Semaphore(8), seen, tasks)
//!         while tasks:                                    # tasks grows while we wait
//!             await tasks.pop()
//! ```
//!
//! # The boxing recipe
//!
//! A task that spawns more of itself is a *recursive* future: the future of `crawl`
//! contains (through `spawn`) the future of `crawl`. Written as an `async fn` that calls
//! `spawn(crawl(link))`, it does not compile: `spawn` needs the future to be `Send`, and
//! to know whether `crawl`'s future is `Send` the compiler would have to look inside
//! the very body it is checking (rustc 1.95 says E0283, "type annotations needed:
//! cannot satisfy `impl Future<Output = ()>: Send`"; `spawn(Box::pin(crawl(link)))`
//! says the same). The recipe is one plain function returning a boxed future whose
//! type *says* `Send`:
//!
//! ```ignore
//! fn crawl(url: String, ctx: Arc<Crawl>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
//!     Box::pin(async move { /* … spawn(crawl(link, ctx.clone())) … */ })
//! }
//! ```
//!
//! The written-out `dyn Future + Send` lets the compiler check `spawn`'s bound without
//! looking inside, and the box gives the recursive future a known size (an `async fn`
//! that awaits itself directly is E0733, "recursion in an async fn requires boxing",
//! for that reason). It costs one allocation per page, next to a network request.

use asyncio::prelude::*;
use asyncio::task::Task;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the site counts, so a run can be checked from the outside.
#[derive(Debug, Default)]
pub struct SiteStats {
    /// Requests being answered right now.
    in_flight: AtomicUsize,
    /// The most that were ever answered at once.
    pub max_in_flight: AtomicUsize,
    /// Every request, by page.
    pub hits: Mutex<Vec<usize>>,
}

#[derive(Clone)]
struct Site {
    pages: usize,
    latency: Duration,
    stats: Arc<SiteStats>,
}

/// `GET /page/{n}`: an HTML page linking to `2n+1`, `2n+2` and page 0, after `latency`.
async fn page(State(site): State<Site>, Path(n): Path<usize>) -> Result<String, StatusCode> {
    if n >= site.pages {
        return Err(StatusCode::NOT_FOUND);
    }
    let now = site.stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    site.stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
    site.stats.hits.lock().unwrap().push(n);
    sleep(site.latency).await; // a remote server takes its time
    site.stats.in_flight.fetch_sub(1, Ordering::SeqCst);

    let links: String = [2 * n + 1, 2 * n + 2, 0]
        .into_iter()
        .filter(|&k| k < site.pages)
        .map(|k| format!(r#"<li><a href="/page/{k}">page {k}</a></li>"#))
        .collect();
    Ok(format!(
        "<html><body><h1>page {n}</h1><ul>{links}</ul></body></html>"
    ))
}

/// The local site. It stops when this value is dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it has seen.
    pub stats: Arc<SiteStats>,
    _task: Task<std::io::Result<()>>,
}

impl Server {
    /// Serves pages `0..pages` on a free port of 127.0.0.1; each answer takes `latency`.
    pub async fn start(pages: usize, latency: Duration) -> std::io::Result<Self> {
        let stats = Arc::new(SiteStats::default());
        let site = Site {
            pages,
            latency,
            stats: Arc::clone(&stats),
        };
        let app = Router::new().route("/page/{n}", get(page)).with_state(site);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = spawn(async move { axum::serve(listener, app).await });
        Ok(Server {
            addr,
            stats,
            _task: task,
        })
    }

    /// The site's first page.
    pub fn start_url(&self) -> String {
        format!("http://{}/page/0", self.addr)
    }
}

/// What every crawling task shares.
struct Crawl {
    client: reqwest::Client,
    /// At most this many requests at once: `asyncio.Semaphore(limit)`.
    limit: Semaphore,
    /// Every URL some task has claimed. A `std::sync::Mutex` is right here: it is held
    /// for one `insert` and never across an `.await`.
    seen: Mutex<BTreeSet<String>>,
    /// Pages fetched, and the ones that failed.
    fetched: Mutex<Vec<String>>,
    failed: Mutex<Vec<(String, String)>>,
}

/// The links of an HTML page, made absolute against `base` (`http://host:port`).
fn links(base: &str, html: &str) -> Vec<String> {
    html.split(r#"href=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| {
            if href.starts_with("http://") || href.starts_with("https://") {
                href.to_string()
            } else {
                format!("{base}{href}")
            }
        })
        .collect()
}

/// `http://host:port` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// Fetches `url` under the semaphore, then spawns a task for each link nobody has
/// claimed yet, and waits for them. See "The boxing recipe" above for the signature.
fn crawl(url: String, ctx: Arc<Crawl>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        let body = {
            // The permit is held for the request only, not while the children run:
            // otherwise a deep site would hold every permit with waiting parents.
            let _permit = ctx.limit.acquire().await;
            match fetch(&ctx.client, &url).await {
                Ok(body) => body,
                Err(e) => {
                    ctx.failed.lock().unwrap().push((url, e.to_string()));
                    return;
                }
            }
        };
        ctx.fetched.lock().unwrap().push(url.clone());

        let children: Vec<Task<()>> = links(origin(&url), &body)
            .into_iter()
            .filter(|link| ctx.seen.lock().unwrap().insert(link.clone()))
            .map(|link| spawn(crawl(link, Arc::clone(&ctx))))
            .collect();
        for child in children {
            child.await;
        }
    })
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
    client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

/// The result of a crawl.
#[derive(Debug)]
pub struct Found {
    /// Every page fetched, sorted.
    pub pages: Vec<String>,
    /// Pages that failed, with the error.
    pub failed: Vec<(String, String)>,
}

/// Crawls everything reachable from `start`, at most `limit` requests at a time.
pub async fn crawl_site(start: &str, limit: usize) -> Found {
    let ctx = Arc::new(Crawl {
        client: reqwest::Client::builder()
            .user_agent("asyncio-rs example")
            .build()
            .expect("a client without TLS always builds"),
        limit: Semaphore::new(limit),
        seen: Mutex::new(BTreeSet::from([start.to_string()])),
        fetched: Mutex::new(Vec::new()),
        failed: Mutex::new(Vec::new()),
    });
    crawl(start.to_string(), Arc::clone(&ctx)).await;
    let mut pages = std::mem::take(&mut *ctx.fetched.lock().unwrap());
    pages.sort();
    let failed = std::mem::take(&mut *ctx.failed.lock().unwrap());
    Found { pages, failed }
}

#[asyncio::async_main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let pages = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let limit = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);

    let server = Server::start(pages, Duration::from_millis(200)).await?;
    println!("serving {pages} pages on http://{}", server.addr);
    let started = asyncio::time::Instant::now();
    let found = crawl_site(&server.start_url(), limit).await;
    println!(
        "crawled {} pages in {:.2} s, at most {} requests at once (limit {limit})",
        found.pages.len(),
        started.elapsed().as_secs_f64(),
        server.stats.max_in_flight.load(Ordering::SeqCst),
    );
    for (url, e) in &found.failed {
        println!("failed: {url}: {e}");
    }
    Ok(())
}
