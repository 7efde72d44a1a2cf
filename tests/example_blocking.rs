//! Runs the `blocking` example: CPU-heavy work called directly from async code stalls
//! a heartbeat task (no beats at all while it runs), the same work in `to_thread` does
//! not; and with `ASYNCIO_DEBUG=1` the example's `main` gets the debug-mode warning for
//! the bad call, and only for it.
//!
//! The heartbeat is checked by counting beats, not by timing them: a held loop cannot
//! run the heartbeat at all, so the bad count is exactly 0 however fast the machine.
//! The debug-mode cases run this test binary again as a child process (selected by
//! `EXAMPLE_BLOCKING_CHILD`) to control its environment and read its stderr.

#[allow(dead_code)]
#[path = "../examples/blocking.rs"]
mod blocking;

use asyncio::runtime::Builder;
use blocking::Way;
use std::process::Command;
use std::time::Duration;

#[test]
fn blocking_work_on_the_loop_stalls_the_heartbeat() {
    let report = Builder::new().run(blocking::with_heartbeat(
        Way::Badly,
        Duration::from_millis(150),
        Duration::from_millis(10),
    ));
    assert_eq!(
        report.beats_during_work, 0,
        "the loop was held: no task could run"
    );
    assert!(report.primes > 0);
}

#[test]
fn work_in_to_thread_lets_the_heartbeat_go_on() {
    let report = Builder::new().run(blocking::with_heartbeat(
        Way::Well,
        Duration::from_millis(300),
        Duration::from_millis(10),
    ));
    assert!(
        report.beats_during_work >= 1,
        "the loop stayed free while the work ran on a thread: {report:?}"
    );
    assert!(report.primes > 0);
}

#[test]
fn the_primes_are_counted_right() {
    // At least 1 ms of counting covers more than the first few numbers: 2, 3, 5, 7.
    assert!(blocking::crunch(Duration::from_millis(1)) >= 4);
}

const CHILD: &str = "EXAMPLE_BLOCKING_CHILD";

#[test]
fn child_entry() {
    if std::env::var_os(CHILD).is_some() {
        blocking::main(); // the example's own `#[asyncio::async_main] fn main`
    }
}

/// Runs the example's `main` in a child process and returns its debug warnings.
fn debug_warnings(debug_env: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("ASYNCIO_DEBUG")
        .env_remove("ASYNCIO_SLOW_POLL_MS");
    if let Some(v) = debug_env {
        cmd.env("ASYNCIO_DEBUG", v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "child failed:\n{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Badly: ") && stdout.contains("Well: "),
        "{stdout}"
    );
    stderr
        .lines()
        .filter(|l| l.starts_with("asyncio debug:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn with_asyncio_debug_the_bad_call_is_reported() {
    let w = debug_warnings(Some("1"));
    assert_eq!(w.len(), 1, "one warning, for the bad variant only: {w:#?}");
    assert!(w[0].contains("the main future"), "{}", w[0]);
    assert!(w[0].contains("examples/blocking.rs"), "{}", w[0]);
    // The bad call crunches for 1 s in one poll, well over the 100 ms threshold.
    assert!(held(&w[0]) >= Duration::from_secs(1), "{}", w[0]);
}

/// How long a warning says the loop was held: "held the event loop for 1.0s".
fn held(warning: &str) -> Duration {
    let rest = warning.split("held the event loop for ").nth(1).unwrap();
    let token = rest.split_whitespace().next().unwrap();
    let (number, scale) = match token.strip_suffix("ms") {
        Some(n) => (n, 1e-3),
        None => (token.strip_suffix('s').unwrap(), 1.0),
    };
    Duration::from_secs_f64(number.parse::<f64>().unwrap() * scale)
}

#[test]
fn without_asyncio_debug_nothing_is_reported() {
    assert_eq!(debug_warnings(None), Vec::<String>::new());
}
