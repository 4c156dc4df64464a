//! Replays the fuzz inputs under plain `cargo test` (stable, no cargo-fuzz): every crash the
//! fuzzers found (`fuzz/regressions/<target>/`) and the hand-made seeds (`fuzz/seeds/<target>/`)
//! go through the same checks as the fuzz targets (`fuzz/harness.rs`).

use std::path::{Path, PathBuf};

#[path = "../fuzz/harness.rs"]
mod harness;

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["regressions", "seeds"] {
        let Ok(dir) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in dir {
            let path = entry.expect("listing fuzz inputs").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `check` on every saved input of `target`, each in a thread with the pipeline's stack
/// size room (JSON nested 1000 levels deep is valid and recursed on the exact path).
fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no saved inputs for {target}");
    for path in files {
        let data = std::fs::read(&path).expect("reading a fuzz input");
        let outcome = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || check(&data))
            .expect("spawning")
            .join();
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn line_record() {
    replay("line_record", harness::line_record);
}

#[test]
fn event() {
    replay("event", harness::event);
}

#[test]
fn get_payload() {
    replay("get_payload", harness::get_payload);
}

#[test]
fn time() {
    replay("time", harness::time);
}

#[test]
fn archive() {
    replay("archive", harness::archive);
}

#[test]
fn pipeline() {
    replay("pipeline", harness::pipeline);
}
