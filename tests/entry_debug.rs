//! The `debug` and `slow_poll` options of `#[async_main]` / `#[async_test]`.
//!
//! Each case below blocks the loop's thread for 20 ms in one poll (a deliberate bug),
//! with a 1 ms threshold, so a warning is certain when debug mode is on. The cases are
//! `#[ignore]`d and run in a child process by the checks at the bottom, which read its
//! stderr (debug warnings go to stderr).

use std::process::Command;
use std::time::Duration;

fn block_the_loop() {
    std::thread::sleep(Duration::from_millis(20));
}

#[asyncio::async_test(debug, slow_poll = "1ms")]
#[ignore = "run in a child process by `debug_option_reports_slow_polls`"]
async fn test_with_debug() {
    block_the_loop();
    asyncio::yield_now().await;
}

#[asyncio::async_test(debug = false, slow_poll = "1ms")]
#[ignore = "run in a child process by `debug_false_wins_over_the_environment`"]
async fn test_with_debug_false() {
    block_the_loop();
    asyncio::yield_now().await;
}

#[asyncio::async_test(slow_poll = "1ms")]
#[ignore = "run in a child process by `slow_poll_alone_leaves_debug_to_the_environment`"]
async fn test_with_slow_poll_only() {
    block_the_loop();
    asyncio::yield_now().await;
}

#[asyncio::async_main(debug = true, slow_poll = "1ms")]
async fn main_with_debug() {
    block_the_loop();
    asyncio::yield_now().await;
}

#[test]
#[ignore = "run in a child process by `debug_option_on_async_main`"]
fn calls_main_with_debug() {
    main_with_debug();
}

/// Runs one ignored test of this binary in a child process; returns its stderr.
fn run_child(name: &str, asyncio_debug: Option<&str>) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", name, "--nocapture"]);
    cmd.env_remove("ASYNCIO_DEBUG")
        .env_remove("ASYNCIO_SLOW_POLL_MS");
    if let Some(v) = asyncio_debug {
        cmd.env("ASYNCIO_DEBUG", v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name} failed: {stdout}");
    assert!(stdout.contains("1 passed"), "{name} did not run: {stdout}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn debug_option_reports_slow_polls() {
    let err = run_child("test_with_debug", None);
    assert!(err.contains("asyncio debug: the main future"), "{err}");
    assert!(
        err.contains("(threshold 1ms)"),
        "slow_poll was not applied: {err}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn debug_false_wins_over_the_environment() {
    let err = run_child("test_with_debug_false", Some("1"));
    assert!(!err.contains("asyncio debug"), "{err}");
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn slow_poll_alone_leaves_debug_to_the_environment() {
    let err = run_child("test_with_slow_poll_only", None);
    assert!(!err.contains("asyncio debug"), "{err}");
    let err = run_child("test_with_slow_poll_only", Some("1"));
    assert!(err.contains("(threshold 1ms)"), "{err}");
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn debug_option_on_async_main() {
    let err = run_child("calls_main_with_debug", None);
    assert!(
        err.contains("asyncio debug: the main future (started at tests/entry_debug.rs:"),
        "{err}"
    );
    assert!(err.contains("(threshold 1ms)"), "{err}");
}
