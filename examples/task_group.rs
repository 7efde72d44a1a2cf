//! A `TaskGroup`: three downloads, one fails.
//!
//! First as asyncio's `TaskGroup`: the failure cancels the two other downloads, and the
//! group returns one `GroupError` naming the failed task. Then as a supervisor: every
//! download runs to its end, and we get every result and every error.
//!
//! ```text
//! cargo run --example task_group
//! ```
//!
//! Python:
//!
//! ```python
//! async def download(name, secs, ok=True):
//!     await asyncio.sleep(secs)
//!     if not ok:
//!         raise ConnectionError(f"{name}: connection reset")
//!     return f"{name} ({int(secs * 1000)} ms)"
//!
//! async def main():
//!     try:
//!         async with asyncio.TaskGroup() as tg:
//!             for name, secs, ok in FILES:
//!                 tg.create_task(download(name, secs, ok), name=name)
//!     except* ConnectionError as eg:
//!         print(eg.exceptions)
//!
//! asyncio.run(main())
//! ```

use asyncio::group::{ChildError, GroupError, TaskGroup};
use asyncio::prelude::*;
use std::fmt;
use std::time::Duration;

/// The three files: name, download time, and whether the download fails.
pub const FILES: [(&str, u64, bool); 3] = [
    ("report.pdf", 300, true),
    ("photo.jpg", 100, false), // fails after 100 ms
    ("video.mp4", 500, true),
];

/// A failed download.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadError(pub String);

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: connection reset", self.0)
    }
}

impl std::error::Error for DownloadError {}

/// Prints "cancelled" if dropped before the download finished: what a cancelled task
/// sees in Rust (its destructors run; no code after its `.await` does).
struct Progress(&'static str, bool);

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.1 {
            println!("  {}: cancelled", self.0);
        }
    }
}

/// Pretends to download `name`, taking `ms` milliseconds.
pub async fn download(name: &'static str, ms: u64, ok: bool) -> Result<String, DownloadError> {
    let mut progress = Progress(name, false);
    println!("  {name}: started");
    sleep(Duration::from_millis(ms)).await;
    progress.1 = true;
    if ok {
        println!("  {name}: done");
        Ok(format!("{name} ({ms} ms)"))
    } else {
        println!("  {name}: failed");
        Err(DownloadError(name.to_string()))
    }
}

/// `async with TaskGroup() as tg`: the first failure cancels the others.
pub async fn all_or_nothing() -> Result<Vec<String>, GroupError<DownloadError>> {
    TaskGroup::run(async |tg| {
        let handles: Vec<_> = FILES
            .iter()
            .map(|&(name, ms, ok)| tg.spawn_named(name, download(name, ms, ok)))
            .collect();
        let mut done = Vec::new();
        for h in handles {
            // A failure cancels this body too, so we never see an Err here.
            done.push(h.await.expect("a failed sibling cancels the body"));
        }
        Ok(done)
    })
    .await
}

/// A supervisor: nothing is cancelled; returns every result and the errors.
pub async fn supervised() -> (
    Vec<(&'static str, Result<String, ChildError>)>,
    Option<GroupError<DownloadError>>,
) {
    let mut results = Vec::new();
    let res = TaskGroup::supervise(async |tg| {
        let handles: Vec<_> = FILES
            .iter()
            .map(|&(name, ms, ok)| (name, tg.spawn_named(name, download(name, ms, ok))))
            .collect();
        for (name, h) in handles {
            results.push((name, h.await));
        }
        Ok(())
    })
    .await;
    (results, res.err())
}

#[asyncio::async_main]
async fn main() {
    println!("TaskGroup (the first failure cancels the rest):");
    match all_or_nothing().await {
        Ok(files) => println!("all downloaded: {files:?}"),
        Err(err) => println!("{err}"),
    }

    println!("\nsupervisor (failures are collected, nothing is cancelled):");
    let (results, errors) = supervised().await;
    for (name, res) in &results {
        match res {
            Ok(v) => println!("  result {name}: {v}"),
            Err(e) => println!("  result {name}: {e}"),
        }
    }
    if let Some(err) = errors {
        println!("{err}");
    }
}
