//! Debug mode: slow polls are reported once, naming the task; awaiting is not blocking;
//! the threshold option and the environment variables are honoured.
//!
//! Each case runs this test binary again in a child process (selected by the
//! `ASYNCIO_DEBUG_CHILD` variable) so that it can read the child's stderr and control
//! its environment.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::runtime::Builder;
use asyncio::{sleep, spawn, task};

const CHILD: &str = "ASYNCIO_DEBUG_CHILD";

/// What a child process runs, by name.
fn child_scenario(name: &str) {
    let block = |ms| std::thread::sleep(Duration::from_millis(ms));
    match name {
        "blocking_task" => Builder::new().debug(true).run(async move {
            task::Builder::new()
                .name("blocker")
                .spawn(async move { block(150) })
                .await;
        }),
        "awaiting_task" => Builder::new().debug(true).run(async {
            task::Builder::new()
                .name("sleeper")
                .spawn(sleep(Duration::from_millis(150)))
                .await;
        }),
        "debug_off" => Builder::new().debug(false).run(async move {
            spawn(async move { block(150) }).await;
        }),
        "threshold_50ms" => Builder::new()
            .debug(true)
            .slow_poll(Duration::from_millis(50))
            .run(async move {
                task::Builder::new()
                    .name("medium")
                    .spawn(async move { block(70) })
                    .await;
            }),
        "default_threshold_70ms_block" => Builder::new().debug(true).run(async move {
            spawn(async move { block(70) }).await;
        }),
        // Debug and threshold from the environment only.
        "env" => Builder::new().run(async move {
            task::Builder::new()
                .name("from-env")
                .spawn(async move { block(70) })
                .await;
        }),
        "blocking_main" => Builder::new().debug(true).run(async move { block(150) }),
        "blocking_worker" => Builder::new()
            .multi_thread()
            .worker_threads(1)
            .debug(true)
            .run(async move {
                task::Builder::new()
                    .name("on-worker")
                    .spawn(async move { block(150) })
                    .await;
            }),
        "blocking_local" => Builder::new().debug(true).run(async move {
            task::Builder::new()
                .name("local-blocker")
                .spawn_local(async move { block(150) })
                .await;
        }),
        "blocking_group_child" => Builder::new().debug(true).run(async move {
            asyncio::TaskGroup::run(async |tg| {
                tg.spawn_named("grouped", async move {
                    block(150);
                    Ok::<_, ()>(())
                });
                Ok(())
            })
            .await
            .unwrap();
        }),
        "tracing_subscriber" => {
            let events = Arc::new(Mutex::new(Vec::new()));
            tracing::subscriber::set_global_default(Recorder(events.clone())).unwrap();
            Builder::new().debug(true).run(async move {
                task::Builder::new()
                    .name("traced")
                    .spawn(async move { block(150) })
                    .await;
            });
            for e in events.lock().unwrap().iter() {
                println!("EVENT {e}");
            }
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// A minimal global `tracing` subscriber that records "LEVEL target message".
struct Recorder(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        let meta = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {} {}", meta.level(), meta.target(), m.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs `scenario` in a child process with `env`; returns its stdout and stderr.
fn run_child(scenario: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, scenario)
        .env_remove("ASYNCIO_DEBUG")
        .env_remove("ASYNCIO_SLOW_POLL_MS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "child {scenario} failed:\n{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// Runs `scenario` in a child process with `env` and returns the debug warnings it
/// printed on stderr.
fn warnings(scenario: &str, env: &[(&str, &str)]) -> Vec<String> {
    let (_, stderr) = run_child(scenario, env);
    stderr
        .lines()
        .filter(|l| l.starts_with("asyncio debug:"))
        .map(str::to_owned)
        .collect()
}

/// The duration a warning says the loop was held, parsed from "held the event loop for
/// 152.3ms".
fn held(warning: &str) -> Duration {
    let rest = warning.split("held the event loop for ").nth(1).unwrap();
    let token = rest.split_whitespace().next().unwrap();
    let (num, scale) = if let Some(n) = token.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = token.strip_suffix("µs") {
        (n, 1e-6)
    } else if let Some(n) = token.strip_suffix('s') {
        (n, 1.0)
    } else {
        panic!("no duration in {warning}")
    };
    Duration::from_secs_f64(num.parse::<f64>().unwrap() * scale)
}

#[test]
fn child_entry() {
    if let Ok(scenario) = std::env::var(CHILD) {
        child_scenario(&scenario);
    }
}

#[test]
fn a_blocking_task_gets_exactly_one_warning_with_its_name_and_duration() {
    let w = warnings("blocking_task", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("task 'blocker'"), "{}", w[0]);
    assert!(w[0].contains("tests/debug_mode.rs"), "{}", w[0]);
    assert!(held(&w[0]) >= Duration::from_millis(150), "{}", w[0]);
    assert!(w[0].contains("asyncio::sleep"), "{}", w[0]);
    assert!(w[0].contains("to_thread"), "{}", w[0]);
}

#[test]
fn a_task_that_awaits_sleep_gets_no_warning() {
    assert_eq!(warnings("awaiting_task", &[]), Vec::<String>::new());
}

#[test]
fn debug_off_reports_nothing() {
    assert_eq!(warnings("debug_off", &[]), Vec::<String>::new());
}

#[test]
fn the_threshold_option_is_honoured() {
    let w = warnings("threshold_50ms", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].contains("task 'medium'") && w[0].contains("threshold 50ms"),
        "{}",
        w[0]
    );
    assert!(held(&w[0]) >= Duration::from_millis(70));
    // The same 70 ms block stays under the default 100 ms threshold.
    assert_eq!(
        warnings("default_threshold_70ms_block", &[]),
        Vec::<String>::new()
    );
}

#[test]
fn the_environment_variables_are_honoured() {
    // ASYNCIO_DEBUG=1 turns debug on; the 70 ms block is under the default threshold...
    assert_eq!(
        warnings("env", &[("ASYNCIO_DEBUG", "1")]),
        Vec::<String>::new()
    );
    // ...and over ASYNCIO_SLOW_POLL_MS=50.
    let w = warnings(
        "env",
        &[("ASYNCIO_DEBUG", "1"), ("ASYNCIO_SLOW_POLL_MS", "50")],
    );
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("task 'from-env'"), "{}", w[0]);
    // Without ASYNCIO_DEBUG, the threshold alone turns nothing on.
    assert_eq!(
        warnings("env", &[("ASYNCIO_SLOW_POLL_MS", "50")]),
        Vec::<String>::new()
    );
}

#[test]
fn the_main_future_worker_tasks_local_tasks_and_group_children_are_all_timed() {
    let w = warnings("blocking_main", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].contains("the main future (started at tests/debug_mode.rs"),
        "{}",
        w[0]
    );

    let w = warnings("blocking_worker", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("task 'on-worker'"), "{}", w[0]);

    let w = warnings("blocking_local", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("task 'local-blocker'"), "{}", w[0]);

    let w = warnings("blocking_group_child", &[]);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("TaskGroup child 'grouped'"), "{}", w[0]);
    assert!(held(&w[0]) >= Duration::from_millis(150), "{}", w[0]);
}

#[test]
fn warnings_go_through_tracing_when_a_subscriber_is_installed() {
    let (stdout, stderr) = run_child("tracing_subscriber", &[]);
    // libtest may print "test child_entry ... " before the first line.
    let events: Vec<_> = stdout
        .lines()
        .filter_map(|l| l.find("EVENT ").map(|i| &l[i..]))
        .collect();
    assert_eq!(events.len(), 1, "{stdout}");
    assert!(
        events[0].starts_with("EVENT WARN asyncio::debug asyncio debug: task 'traced'"),
        "{}",
        events[0]
    );
    assert!(
        !stderr.contains("asyncio debug:"),
        "also printed to stderr:\n{stderr}"
    );
}
