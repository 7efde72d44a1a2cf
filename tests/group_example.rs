//! Runs the `task_group` example on the paused clock.

#[allow(dead_code)]
#[path = "../examples/task_group.rs"]
mod task_group;

use asyncio::group::ChildError;
use asyncio::runtime::Builder;
use asyncio::time::Instant;
use std::time::Duration;

#[test]
fn the_failure_cancels_the_other_downloads_and_is_named() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let err = task_group::all_or_nothing().await.unwrap_err();
        // Cancelled at the failure (100 ms), not after the slowest download (500 ms).
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert_eq!(err.len(), 1);
        assert_eq!(err.failures()[0].name(), Some("photo.jpg"));
        assert!(err.to_string().contains("task 'photo.jpg'"), "{err}");
        assert_eq!(
            err.into_errors(),
            [task_group::DownloadError("photo.jpg".into())]
        );
    });
}

#[test]
fn the_supervisor_returns_every_result_and_every_error() {
    Builder::new().start_paused(true).run(async {
        let start = Instant::now();
        let (results, errors) = task_group::supervised().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        assert_eq!(
            results,
            [
                ("report.pdf", Ok("report.pdf (300 ms)".to_string())),
                ("photo.jpg", Err(ChildError::Failed)),
                ("video.mp4", Ok("video.mp4 (500 ms)".to_string())),
            ]
        );
        let names: Vec<_> = errors
            .unwrap()
            .iter()
            .map(|f| f.name().unwrap().to_string())
            .collect();
        assert_eq!(names, ["photo.jpg"]);
    });
}
