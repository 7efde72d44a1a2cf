//! `#[asyncio::async_main]`: both flavors, `Result` and `impl Termination` returns,
//! `crate = "..."`, `worker_threads`, and the attribute on a function other than `main`.

use std::collections::HashSet;
use std::process::{ExitCode, Termination};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

// In a test binary the harness provides the entry point, and rustc keeps this `main`
// as a plain function, so the tests below can call the exact expansion a program gets.
static MAIN_RAN_ON: Mutex<Option<thread::ThreadId>> = Mutex::new(None);

#[asyncio::async_main]
async fn main() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    asyncio::sleep(Duration::from_millis(1)).await;
    assert_eq!(n, 42);
    *MAIN_RAN_ON.lock().unwrap() = Some(thread::current().id());
    Ok(())
}

#[test]
fn main_runs_its_body_on_the_calling_thread() {
    main().unwrap();
    assert_eq!(*MAIN_RAN_ON.lock().unwrap(), Some(thread::current().id()));
}

/// `#[async_main]` on a function that is not `main` turns it into a sync function that
/// starts an event loop on every call.
#[asyncio::async_main]
async fn parse_after_sleep(text: &str) -> Result<u32, String> {
    asyncio::sleep(Duration::from_millis(1)).await;
    text.parse::<u32>().map_err(|e| format!("{text:?}: {e}"))
}

#[test]
fn result_ok_and_err_paths() {
    assert_eq!(parse_after_sleep("7"), Ok(7));
    assert_eq!(
        parse_after_sleep("x"),
        Err("\"x\": invalid digit found in string".to_string())
    );
}

#[asyncio::async_main]
async fn question_mark_returns_the_error() -> Result<u32, std::num::ParseIntError> {
    let a: u32 = "1".parse()?;
    let b: u32 = "not a number".parse()?;
    Ok(a + b)
}

#[test]
fn question_mark_in_the_body_propagates() {
    let err = question_mark_returns_the_error().unwrap_err();
    assert_eq!(err.to_string(), "invalid digit found in string");
}

#[asyncio::async_main]
async fn terminates(code: u8) -> impl Termination {
    asyncio::sleep(Duration::from_millis(1)).await;
    ExitCode::from(code)
}

#[test]
fn impl_termination_return() {
    assert_eq!(terminates(3).report(), ExitCode::from(3));
    assert_eq!(terminates(0).report(), ExitCode::SUCCESS);
}

#[asyncio::async_main]
async fn current_thread_ids() -> (thread::ThreadId, thread::ThreadId) {
    let here = thread::current().id();
    let spawned = asyncio::spawn(async { thread::current().id() }).await;
    (here, spawned)
}

#[test]
fn current_thread_flavor_runs_spawned_tasks_on_the_calling_thread() {
    let (here, spawned) = current_thread_ids();
    assert_eq!(here, thread::current().id());
    assert_eq!(spawned, here);
}

#[asyncio::async_main(flavor = "current_thread")]
async fn spawn_local_not_send() -> usize {
    let rc = std::rc::Rc::new(5);
    let rc2 = rc.clone();
    let task = asyncio::spawn_local(async move { *rc2 + 1 });
    task.await + std::rc::Rc::strong_count(&rc)
}

#[test]
fn explicit_current_thread_accepts_spawn_local() {
    assert_eq!(spawn_local_not_send(), 7);
}

#[asyncio::async_main(flavor = "multi_thread")]
async fn multi_thread_ids() -> (thread::ThreadId, thread::ThreadId) {
    let here = thread::current().id();
    let spawned = asyncio::spawn(async { thread::current().id() }).await;
    (here, spawned)
}

#[test]
fn multi_thread_flavor_runs_spawned_tasks_on_worker_threads() {
    let (here, spawned) = multi_thread_ids();
    assert_eq!(
        here,
        thread::current().id(),
        "the main future runs on the caller"
    );
    assert_ne!(spawned, here, "a spawned task ran on the calling thread");
}

#[asyncio::async_main(worker_threads = 1, flavor = "multi_thread")]
async fn one_worker() -> (thread::ThreadId, HashSet<thread::ThreadId>) {
    let mut tasks = Vec::new();
    for _ in 0..32 {
        tasks.push(asyncio::spawn(async {
            asyncio::yield_now().await;
            thread::current().id()
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await);
    }
    (thread::current().id(), ids)
}

#[test]
fn worker_threads_1_runs_every_task_on_one_worker() {
    let (here, ids) = one_worker();
    assert_eq!(ids.len(), 1, "tasks ran on {ids:?}");
    assert!(!ids.contains(&here));
}

mod renamed {
    use asyncio as aio;

    #[aio::async_main(crate = "aio")]
    pub async fn through_alias() -> u32 {
        aio::spawn(async { 40 + 2 }).await
    }

    #[::asyncio::async_main(crate = "::asyncio")]
    pub async fn absolute_path() -> u32 {
        1
    }
}

#[test]
fn crate_option_uses_the_given_path() {
    assert_eq!(renamed::through_alias(), 42);
    assert_eq!(renamed::absolute_path(), 1);
}

#[asyncio::async_main]
async fn generic_and_patterns<T: std::fmt::Display>((a, b): (T, T), mut n: u32, _: ()) -> String {
    n += 1;
    format!("{a}{b}{n}")
}

#[test]
fn parameters_generics_and_patterns_are_forwarded() {
    assert_eq!(generic_and_patterns((1, 2), 2, ()), "123");
}

#[test]
#[should_panic(expected = "cannot be called from a running event loop")]
fn calling_an_async_main_fn_from_async_code_panics() {
    asyncio::run(async {
        current_thread_ids();
    });
}

#[test]
fn leftover_tasks_are_cancelled_when_the_function_returns() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    #[asyncio::async_main]
    async fn leaves_a_task(drops: Arc<AtomicUsize>) {
        let guard = CountDrop(drops);
        asyncio::spawn(async move {
            let _g = guard;
            asyncio::sleep(Duration::from_secs(3600)).await;
        })
        .detach();
        asyncio::yield_now().await;
    }
    let drops = Arc::new(AtomicUsize::new(0));
    leaves_a_task(drops.clone());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

/// # Safety
///
/// `p` must point to a live `u32`.
#[asyncio::async_main]
async unsafe fn read_after_yield(p: *const u32) -> u32 {
    asyncio::yield_now().await;
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[test]
fn unsafe_fn_stays_unsafe() {
    let x = 9;
    // SAFETY: `x` outlives the call.
    assert_eq!(unsafe { read_after_yield(&x) }, 9);
}
