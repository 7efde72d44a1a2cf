//! A batch of API calls the way people call LLM APIs: bounded concurrency, a timeout
//! per request, retries with exponential backoff, and a progress bar.
//!
//! The example starts a local JSON endpoint (`POST /v1/complete` on 127.0.0.1, a free
//! port) that answers each prompt after some latency — and, like a real hosted model,
//! sometimes answers `429 Too Many Requests` or `500`, or never answers at all. Which
//! request fails is scripted from the prompt id and the attempt number, so every run
//! gives the same summary. Then it sends 20 prompts:
//!
//! - `gather_all(...).limit(4)`: at most 4 requests in flight (asyncio: a
//!   `Semaphore(4)` around each call);
//! - `timeout(...)` on each attempt (asyncio: `asyncio.timeout` / `wait_for`);
//! - on `429`, `5xx`, a timeout or a connection error, a retry after 0.25 s, 0.5 s,
//!   1 s... (up to 4 attempts);
//! - an `indicatif` progress bar while it runs, then a summary.
//!
//! ```text
//! cargo run --example llm_batch
//! ```
//!
//! Python:
//!
//! ```python
//! from tqdm.asyncio import tqdm_asyncio
//!
//! async def complete(session, sem, prompt):
//!     for attempt in range(1, MAX_ATTEMPTS + 1):
//!         try:
//!             async with sem:
//!                 async with asyncio.timeout(TIMEOUT):
//!                     async with session.post(URL, json=prompt) as resp:
//!                         if resp.status == 429 or resp.status >= 500:
//!                             raise RetryableError(resp.status)
//!                         return (await resp.json())["text"]
//!         except (RetryableError, TimeoutError, aiohttp.ClientError) as e:
//!             if attempt == MAX_ATTEMPTS:
//!                 return e
//!             await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
//!
//! async def main():
//!     sem = asyncio.Semaphore(4)
//!     async with aiohttp.ClientSession() as session:
//!         results = await tqdm_asyncio.gather(*(complete(session, sem, p) for p in prompts))
//! ```
//!
//! One difference: `.limit(4)` bounds the whole call — backoff sleeps included — where
//! the Python semaphore is released while a call sleeps before its retry.

use asyncio::prelude::*;
use asyncio::task::Task;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------- the endpoint ---

/// The request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prompt {
    /// Which prompt of the batch this is.
    pub id: u32,
    /// The text to complete.
    pub prompt: String,
}

/// The answer body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Completion {
    /// The prompt's id.
    pub id: u32,
    /// The completion.
    pub text: String,
}

/// How the endpoint answers one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `200` with a completion.
    Ok,
    /// `429 Too Many Requests`.
    RateLimited,
    /// `500 Internal Server Error`.
    ServerError,
    /// No answer at all: only the client's timeout ends the wait.
    Hang,
}

/// The endpoint's script: how it answers attempt `attempt` (1-based) of prompt `id`.
/// Prompts ending in 3 are rate-limited once, in 6 fail twice, in 8 hang once, and
/// prompt 19 is always broken.
pub fn script(id: u32, attempt: u32) -> Reply {
    match (id % 10, attempt) {
        _ if id == 19 => Reply::ServerError,
        (3, 1) => Reply::RateLimited,
        (6, 1 | 2) => Reply::ServerError,
        (8, 1) => Reply::Hang,
        _ => Reply::Ok,
    }
}

/// What the endpoint saw.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests received.
    pub requests: AtomicUsize,
    /// Requests being handled right now.
    pub in_flight: AtomicUsize,
    /// The most requests ever handled at once.
    pub max_in_flight: AtomicUsize,
}

/// Counts a request as in flight until dropped (also when the client gives up and the
/// handler is cancelled).
struct InFlight(Arc<Stats>);

impl InFlight {
    fn enter(stats: &Arc<Stats>) -> Self {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(stats.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Endpoint {
    latency: Duration,
    stats: Arc<Stats>,
    attempts: Mutex<HashMap<u32, u32>>,
}

async fn complete(State(ep): State<Arc<Endpoint>>, Json(p): Json<Prompt>) -> Response {
    let _in_flight = InFlight::enter(&ep.stats);
    let attempt = {
        let mut attempts = ep.attempts.lock().unwrap();
        let n = attempts.entry(p.id).or_insert(0);
        *n += 1;
        *n
    };
    sleep(ep.latency).await; // the model thinks
    match script(p.id, attempt) {
        Reply::Ok => {
            let text = format!("Answer {}: Rayleigh scattering.", p.id);
            Json(Completion { id: p.id, text }).into_response()
        }
        Reply::RateLimited => StatusCode::TOO_MANY_REQUESTS.into_response(),
        Reply::ServerError => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Reply::Hang => std::future::pending().await,
    }
}

/// The local endpoint. It stops when this value is dropped.
pub struct Server {
    /// The URL to `POST` prompts to.
    pub url: String,
    /// What the endpoint saw.
    pub stats: Arc<Stats>,
    _task: Task<std::io::Result<()>>,
}

impl Server {
    /// Starts the endpoint on a free port of 127.0.0.1; each answer takes `latency`.
    pub async fn start(latency: Duration) -> std::io::Result<Self> {
        let stats = Arc::new(Stats::default());
        let endpoint = Endpoint {
            latency,
            stats: stats.clone(),
            attempts: Mutex::default(),
        };
        let app = Router::new()
            .route("/v1/complete", post(complete))
            .with_state(Arc::new(endpoint));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let task = spawn(async move { axum::serve(listener, app).await });
        Ok(Server {
            url: format!("http://{addr}/v1/complete"),
            stats,
            _task: task,
        })
    }
}

// ------------------------------------------------------------------ the client ---

/// How the batch is sent.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// At most this many calls at once.
    pub concurrency: usize,
    /// The limit for one attempt.
    pub timeout: Duration,
    /// Attempts per prompt, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The endpoint answered with this status.
    Status(u16),
    /// No answer within [`Config::timeout`].
    Timeout,
    /// The connection failed, or the answer was not the expected JSON.
    Transport(String),
}

impl Failure {
    /// Whether trying again may help: rate limits, server errors, timeouts, transport.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::Status(s) => *s == 429 || *s >= 500,
            Failure::Timeout | Failure::Transport(_) => true,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(s) => write!(f, "HTTP {s}"),
            Failure::Timeout => write!(f, "timed out"),
            Failure::Transport(e) => write!(f, "{e}"),
        }
    }
}

/// What happened to one prompt.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The prompt's id.
    pub id: u32,
    /// The completion, or the last failure.
    pub result: Result<String, Failure>,
    /// How many attempts were made.
    pub attempts: u32,
}

/// One attempt, bounded by `limit`.
async fn attempt(
    client: &reqwest::Client,
    url: &str,
    prompt: &Prompt,
    limit: Duration,
) -> Result<String, Failure> {
    let call = async {
        let transport = |e: reqwest::Error| Failure::Transport(e.to_string());
        let response = client
            .post(url)
            .json(prompt)
            .send()
            .await
            .map_err(transport)?;
        if !response.status().is_success() {
            return Err(Failure::Status(response.status().as_u16()));
        }
        Ok(response.json::<Completion>().await.map_err(transport)?.text)
    };
    timeout(limit, call).await.unwrap_or(Err(Failure::Timeout))
}

/// Sends `prompt`, retrying retryable failures with exponential backoff.
async fn complete_with_retries(
    client: &reqwest::Client,
    url: &str,
    prompt: Prompt,
    cfg: &Config,
    progress: &ProgressBar,
    retries: &AtomicUsize,
) -> Outcome {
    let mut wait = cfg.backoff;
    let mut n = 0;
    loop {
        n += 1;
        match attempt(client, url, &prompt, cfg.timeout).await {
            Err(failure) if failure.is_retryable() && n < cfg.max_attempts => {
                let total = retries.fetch_add(1, Ordering::SeqCst) + 1;
                progress.set_message(format!("{total} retries"));
                progress.suspend(|| {
                    println!(
                        "prompt {:>2}: {failure}, retrying in {:.2} s",
                        prompt.id,
                        wait.as_secs_f64()
                    )
                });
                sleep(wait).await;
                wait *= 2;
            }
            result => {
                progress.inc(1);
                return Outcome {
                    id: prompt.id,
                    result,
                    attempts: n,
                };
            }
        }
    }
}

/// The batch's result.
#[derive(Debug)]
pub struct Summary {
    /// One outcome per prompt, in input order.
    pub outcomes: Vec<Outcome>,
    /// Prompts that got a completion.
    pub succeeded: usize,
    /// Prompts that failed after their last attempt (or a non-retryable failure).
    pub failed: usize,
    /// Attempts that were retried.
    pub retries: usize,
}

/// Sends every prompt to `url` as `cfg` says, showing progress on `progress`.
pub async fn run_batch(
    url: &str,
    prompts: Vec<Prompt>,
    cfg: Config,
    progress: ProgressBar,
) -> Summary {
    let client = reqwest::Client::new();
    let retries = AtomicUsize::new(0);
    progress.set_length(prompts.len() as u64);
    let calls = prompts
        .into_iter()
        .map(|p| complete_with_retries(&client, url, p, &cfg, &progress, &retries));
    let outcomes = gather_all(calls).limit(cfg.concurrency).await;
    progress.finish_and_clear();

    let succeeded = outcomes.iter().filter(|o| o.result.is_ok()).count();
    Summary {
        failed: outcomes.len() - succeeded,
        succeeded,
        retries: retries.into_inner(),
        outcomes,
    }
}

/// `n` prompts with ids `0..n`.
pub fn prompts(n: u32) -> Vec<Prompt> {
    (0..n)
        .map(|id| Prompt {
            id,
            prompt: format!("Question {id}: why is the sky blue?"),
        })
        .collect()
}

#[asyncio::async_main]
async fn main() -> std::io::Result<()> {
    let server = Server::start(Duration::from_millis(400)).await?;
    println!("endpoint: {}", server.url);
    let cfg = Config {
        concurrency: 4,
        timeout: Duration::from_millis(1500),
        max_attempts: 4,
        backoff: Duration::from_millis(250),
    };

    let progress = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} prompts  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let start = asyncio::time::Instant::now();
    let summary = run_batch(&server.url, prompts(20), cfg, progress).await;

    for o in &summary.outcomes {
        match &o.result {
            Ok(text) => println!("prompt {:>2}: {text:?} ({} attempts)", o.id, o.attempts),
            Err(e) => println!("prompt {:>2}: FAILED: {e} ({} attempts)", o.id, o.attempts),
        }
    }
    println!(
        "\n{} succeeded, {} failed, {} retries; {} requests, at most {} at once; {:.1} s",
        summary.succeeded,
        summary.failed,
        summary.retries,
        server.stats.requests.load(Ordering::SeqCst),
        server.stats.max_in_flight.load(Ordering::SeqCst),
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}
