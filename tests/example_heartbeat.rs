//! Runs the `heartbeat` example on the paused clock: the background task beats while
//! `main` works, and after `cancel().await` its clean-up has run and it beats no more.

#[allow(dead_code)]
#[path = "../examples/heartbeat.rs"]
mod heartbeat;

use asyncio::runtime::Builder;
use asyncio::sleep;
use asyncio::time::Instant;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[test]
fn the_heartbeat_beats_during_the_work_and_stops_when_cancelled() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let pulse =
            heartbeat::work_with_heartbeat(Duration::from_millis(3500), Duration::from_secs(1))
                .await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(3500),
            "main did not wait longer"
        );
        // Beats at 0, 1, 2 and 3 s.
        assert_eq!(pulse.beats.load(Ordering::SeqCst), 4);
        assert!(
            pulse.stopped.load(Ordering::SeqCst),
            "cancel().await ran the clean-up"
        );

        // Cancelled means gone: time passes, no more beats.
        sleep(Duration::from_secs(5)).await;
        assert_eq!(pulse.beats.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn a_shorter_period_beats_more_often() {
    Builder::new().start_paused(true).run(async {
        let pulse =
            heartbeat::work_with_heartbeat(Duration::from_millis(1000), Duration::from_millis(300))
                .await;
        // Beats at 0, 0.3, 0.6 and 0.9 s.
        assert_eq!(pulse.beats.load(Ordering::SeqCst), 4);
        assert!(pulse.stopped.load(Ordering::SeqCst));
    });
}
