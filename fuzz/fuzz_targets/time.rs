#![no_main]
//! Fuzz target `time`: the checks live in `fuzz/harness.rs`, shared with
//! `tests/fuzz_regressions.rs` so every saved input is replayed by plain `cargo test`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::time(data));
