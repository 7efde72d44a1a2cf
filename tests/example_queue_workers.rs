//! Runs the `queue_workers` example on the paused clock: every job is done exactly
//! once, `join()` returns exactly when the last job is marked done (the greedy
//! schedule's length, computed here independently), and the cancelled workers stop.

#[allow(dead_code)]
#[path = "../examples/queue_workers.rs"]
mod queue_workers;

use asyncio::runtime::Builder;
use std::time::Duration;

/// When the last of `jobs` finishes if `workers` workers each take the next job in
/// FIFO order as soon as they are free.
fn greedy_makespan(jobs: &[Duration], workers: usize) -> Duration {
    let mut free_at = vec![Duration::ZERO; workers];
    for &job in jobs {
        let next = free_at.iter_mut().min().unwrap();
        *next += job;
    }
    free_at.into_iter().max().unwrap()
}

fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort();
    v
}

#[test]
fn three_workers_drain_the_queue_in_a_third_of_the_time() {
    let jobs = queue_workers::jobs(20);
    let report = Builder::new()
        .start_paused(true)
        .run(queue_workers::run(&jobs, 3));

    assert_eq!(report.total_sleep_time, jobs.iter().sum::<Duration>());
    assert_eq!(report.slept_in_parallel, greedy_makespan(&jobs, 3));
    assert!(report.slept_in_parallel < report.total_sleep_time / 2);

    // Every job was taken exactly once, and every worker took part.
    let done: Vec<Duration> = report.workers.iter().flat_map(|w| w.jobs.clone()).collect();
    assert_eq!(sorted(done), sorted(jobs.clone()));
    assert_eq!(report.workers.len(), 3);
    assert!(report.workers.iter().all(|w| !w.jobs.is_empty()));
    // The first three jobs went to the workers in the order they started.
    for (i, w) in report.workers.iter().enumerate() {
        assert_eq!(w.name, format!("worker-{i}"));
        assert_eq!(w.jobs[0], jobs[i]);
    }
}

#[test]
fn one_worker_takes_the_sum_of_the_jobs() {
    let jobs = queue_workers::jobs(7);
    let report = Builder::new()
        .start_paused(true)
        .run(queue_workers::run(&jobs, 1));
    assert_eq!(report.slept_in_parallel, report.total_sleep_time);
    // In FIFO order.
    assert_eq!(report.workers[0].jobs, jobs);
}

#[test]
fn an_empty_queue_joins_at_once() {
    let report = Builder::new()
        .start_paused(true)
        .run(queue_workers::run(&[], 3));
    assert_eq!(report.slept_in_parallel, Duration::ZERO);
    assert!(report.workers.iter().all(|w| w.jobs.is_empty()));
}

#[test]
fn the_jobs_are_between_50_ms_and_1_s() {
    let jobs = queue_workers::jobs(1000);
    assert!(jobs.iter().all(|j| (50..=1000).contains(&j.as_millis())));
    // Spread out, not constant.
    assert!(jobs.iter().any(|j| j.as_millis() < 300));
    assert!(jobs.iter().any(|j| j.as_millis() > 800));
}
