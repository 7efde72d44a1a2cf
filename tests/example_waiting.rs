//! Runs the `waiting` example's scenes on the paused clock, where every time is exact:
//! `wait` returns at the right moment and leaves the rest running, `shield` lets the
//! work finish after its awaiter gave up, `timeout_at` cuts a batch at its deadline, and
//! a rescheduled timeout closes an idle session one second after the last message.

#[allow(dead_code)]
#[path = "../examples/waiting.rs"]
mod waiting;

use asyncio::runtime::Builder;
use std::time::Duration;

fn paused<F: std::future::Future>(f: F) -> F::Output {
    Builder::new().start_paused(true).run(f)
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_first_mirror_wins_and_the_others_keep_running() {
    assert_eq!(paused(waiting::fastest_mirror()), (1, ms(1000), ms(3000)));
}

#[test]
fn the_wait_ends_at_the_first_failure() {
    assert_eq!(
        paused(waiting::first_failure()),
        (ms(2000), "check of 2 s failed".to_string(), 1)
    );
}

#[test]
fn the_shielded_save_finishes_after_the_request_timed_out() {
    assert_eq!(paused(waiting::shielded_save()), (true, true, ms(2500)));
}

#[test]
fn the_batch_stops_at_its_deadline() {
    assert_eq!(paused(waiting::batch_deadline()), (4, true));
}

#[test]
fn the_idle_session_closes_a_second_after_the_last_message() {
    assert_eq!(paused(waiting::idle_session()), (3, ms(2500)));
}
