//! The compile-fail suite: every case in `tests/ui/` must fail to compile with exactly
//! the diagnostics in its `.stderr` file (see CONTRIBUTING.md for how to update them).
//!
//! Each case declares on its first line how many errors it must produce
//! (`// expected errors: N`, normally 1); [`every_case_declares_its_error_count`] checks
//! the `.stderr` files against it, so a change that turns one clear error into a cascade
//! fails CI even if someone accepted the new `.stderr` with `TRYBUILD=overwrite`.

use std::fs;
use std::path::{Path, PathBuf};

#[test]
#[cfg_attr(miri, ignore = "runs rustc")]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// The number `N` of a first line `// expected errors: N`.
fn declared_errors(source: &str) -> Option<usize> {
    source
        .lines()
        .next()?
        .trim()
        .strip_prefix("// expected errors:")?
        .trim()
        .parse()
        .ok()
}

/// The lines of a `.stderr` that start a diagnostic of level error
/// (`error: ...`, `error[E0277]: ...`).
fn error_lines(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("error["))
        .count()
}

fn ui_cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_case_declares_its_error_count() {
    let mut problems = Vec::new();
    for case in ui_cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(&case).unwrap();
        let Some(expected) = declared_errors(&source) else {
            problems.push(format!(
                "tests/ui/{name}: line 1 must be `// expected errors: N` (N = the number of \
                 errors its .stderr holds; say why on line 2 if N > 1)"
            ));
            continue;
        };
        let stderr_path = case.with_extension("stderr");
        let Ok(stderr) = fs::read_to_string(&stderr_path) else {
            problems.push(format!(
                "tests/ui/{name}: no .stderr next to it (generate it with \
                 TRYBUILD=overwrite, then read it)"
            ));
            continue;
        };
        let found = error_lines(&stderr);
        if found != expected {
            problems.push(format!(
                "tests/ui/{name}: declares {expected} error(s) but its .stderr holds {found} \
                 (a cascade of follow-on errors, or a stale header)"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} compile-fail case(s) do not match their declared error count:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn counting_helpers() {
    assert_eq!(
        declared_errors("// expected errors: 1\nfn main() {}"),
        Some(1)
    );
    assert_eq!(declared_errors("//expected errors: 2"), None);
    assert_eq!(declared_errors("fn main() {}\n// expected errors: 1"), None);
    let stderr = "error: first\n --> x\nwarning: w\nerror[E0277]: second\n  = note: error: not a line start\n";
    assert_eq!(error_lines(stderr), 2);
}
