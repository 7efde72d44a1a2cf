//! `#[asyncio::async_test]`: `timeout`, `start_paused`, flavors, and the test attributes
//! it must work with (`#[should_panic]`, `#[ignore]`) in either order.

use asyncio::time::Instant;
use std::thread;
use std::time::Duration;

#[asyncio::async_test]
async fn runs_on_the_test_thread_with_the_current_thread_loop() {
    let here = thread::current().id();
    let spawned = asyncio::spawn(async { thread::current().id() }).await;
    assert_eq!(spawned, here, "the default test loop is single-threaded");
    let rc = std::rc::Rc::new(1);
    assert_eq!(asyncio::spawn_local(async move { *rc }).await, 1);
}

#[asyncio::async_test(flavor = "multi_thread", worker_threads = 1)]
async fn multi_thread_flavor() {
    let here = thread::current().id();
    let spawned = asyncio::spawn(async { thread::current().id() }).await;
    assert_ne!(spawned, here, "a spawned task ran on the test thread");
}

#[asyncio::async_test]
async fn result_return_ok() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "5".parse()?;
    assert_eq!(n, 5);
    Ok(())
}

// --- start_paused ---

#[asyncio::async_test(start_paused)]
async fn start_paused_an_hour_passes_at_once_and_exactly() {
    // The clock is paused: tokio refuses to pause it a second time. (Checked first, so
    // a real clock fails the test here instead of sleeping for an hour.)
    assert!(std::panic::catch_unwind(tokio::time::pause).is_err());
    let start = Instant::now();
    asyncio::sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
}

#[asyncio::async_test(start_paused = true)]
async fn start_paused_true() {
    assert!(std::panic::catch_unwind(tokio::time::pause).is_err());
}

#[asyncio::async_test(start_paused = false)]
async fn start_paused_false_keeps_the_real_clock() {
    // Pausing succeeds only if the clock was running.
    tokio::time::pause();
    tokio::time::resume();
}

#[asyncio::async_test]
async fn default_clock_is_real() {
    tokio::time::pause();
    tokio::time::resume();
}

// --- timeout ---

#[asyncio::async_test(timeout = "250ms", start_paused)]
#[should_panic(expected = "test timed out: it ran longer than its timeout of 250ms")]
async fn timeout_exceeded_names_the_limit() {
    asyncio::sleep(Duration::from_millis(251)).await;
}

#[should_panic(expected = "test timed out: it ran longer than its timeout of 2s")]
#[asyncio::async_test(start_paused, timeout = "2s")]
async fn timeout_in_seconds_exceeded() {
    asyncio::sleep(Duration::from_millis(2001)).await;
}

#[asyncio::async_test(timeout = "2s", start_paused)]
async fn timeout_not_exceeded() {
    let start = Instant::now();
    asyncio::sleep(Duration::from_millis(1999)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(1999));
}

#[asyncio::async_test(timeout = "5s")]
async fn timeout_on_the_real_clock_lets_a_fast_test_pass() {
    asyncio::yield_now().await;
}

// --- #[should_panic] and #[ignore], before and after the attribute ---

#[should_panic(expected = "boom before")]
#[asyncio::async_test]
async fn should_panic_before() {
    asyncio::yield_now().await;
    panic!("boom before");
}

#[asyncio::async_test]
#[should_panic(expected = "boom after")]
async fn should_panic_after() {
    asyncio::yield_now().await;
    panic!("boom after");
}

#[ignore = "run by `ignored_tests_are_registered_and_run_their_body`"]
#[asyncio::async_test]
async fn ignore_before() {
    asyncio::yield_now().await;
    panic!("ignore_before ran");
}

#[asyncio::async_test]
#[ignore]
async fn ignore_after() {
    asyncio::yield_now().await;
    panic!("ignore_after ran");
}

#[ignore]
#[asyncio::async_test]
#[should_panic(expected = "both ran")]
async fn ignore_and_should_panic() {
    asyncio::yield_now().await;
    panic!("both ran");
}

#[asyncio::async_test]
#[ignore = "run by `ignored_tests_are_registered_and_run_their_body`"]
async fn result_err() -> Result<(), String> {
    asyncio::yield_now().await;
    Err("result_err ran".to_string())
}

/// Runs this test binary again to check that the ignored tests above are registered as
/// ignored tests, and that running them runs their async body.
#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn ignored_tests_are_registered_and_run_their_body() {
    use std::process::Command;
    let exe = std::env::current_exe().unwrap();
    let list = Command::new(&exe)
        .args(["--ignored", "--list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let mut ignored: Vec<&str> = list
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .collect();
    ignored.sort_unstable();
    assert_eq!(
        ignored,
        [
            "ignore_after",
            "ignore_and_should_panic",
            "ignore_before",
            "result_err"
        ],
        "listing: {list}"
    );

    // Each of these fails when run, with a message only its body produces.
    for name in ["ignore_before", "ignore_after", "result_err"] {
        let run = Command::new(&exe)
            .args(["--ignored", "--exact", name, "--test-threads=1"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{name} passed: {out}");
        assert!(
            out.contains(&format!("{name} ran")) || err.contains(&format!("{name} ran")),
            "{name} did not run its body: {out} {err}"
        );
    }
    let run = Command::new(&exe)
        .args(["--ignored", "--exact", "ignore_and_should_panic"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
}
