//! Runs the `await_vs_spawn` example on the paused clock and checks what was printed,
//! and when: an awaited worker holds the caller for its 2 s; a spawned one lets the
//! caller go on at once.

#[allow(dead_code)]
#[path = "../examples/await_vs_spawn.rs"]
mod await_vs_spawn;

use asyncio::runtime::Builder;
use await_vs_spawn::Log;
use std::time::Duration;

fn at(ms: u64, line: &str) -> (Duration, String) {
    (Duration::from_millis(ms), line.to_owned())
}

#[test]
fn an_awaited_worker_blocks_the_caller() {
    let lines = Builder::new().start_paused(true).run(async {
        let log = Log::new();
        assert_eq!(await_vs_spawn::awaiting(log.clone()).await, 42);
        log.lines()
    });
    assert_eq!(
        lines,
        [
            at(0, "main: awaiting the worker"),
            at(0, "worker: started"),
            at(2000, "worker: finished"),
            at(2000, "main: goes on"),
            at(3000, "main: own work done, worker returned 42"),
        ]
    );
}

#[test]
fn a_spawned_worker_lets_the_caller_go_on() {
    let lines = Builder::new().start_paused(true).run(async {
        let log = Log::new();
        assert_eq!(await_vs_spawn::spawning(log.clone()).await, 42);
        log.lines()
    });
    assert_eq!(
        lines,
        [
            at(0, "main: spawning the worker"),
            at(0, "main: goes on"),
            at(0, "worker: started"),
            at(1000, "main: own work done, waiting for the worker"),
            at(2000, "worker: finished"),
            at(2000, "main: worker returned 42"),
        ]
    );
}
