//! `cargo run --release --example read -- PATH [THREADS] [--inflate-only] [--columns a,b,c]`:
//! the pipeline alone, without Python, for profilers (`perf record`, `valgrind --tool=callgrind`).
use std::time::Instant;

use edxlog::{inflate_only, Options, Pipeline, Spec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("usage: read PATH [THREADS]");
    let threads = args.get(1).and_then(|t| t.parse().ok());
    let start = Instant::now();
    if args.iter().any(|a| a == "--inflate-only") {
        let bytes = inflate_only(vec![Spec::Path(path.into())], threads).expect("inflate");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "inflate only: {:.1} MB in {secs:.2} s: {:.0} MB/s",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        );
        return;
    }
    let columns = args
        .iter()
        .position(|a| a == "--columns")
        .and_then(|i| args.get(i + 1))
        .map(|c| c.split(',').map(str::to_string).collect());
    let mut p = Pipeline::start(
        vec![Spec::Path(path.into())],
        Options {
            threads,
            columns,
            ..Options::default()
        },
    )
    .expect("start");
    let mut rows = 0;
    for b in p.by_ref() {
        rows += b.expect("batch").num_rows();
    }
    let s = p.shared().stats();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{rows} rows, {} lines, {} rejects, {:.1} MB in {secs:.2} s: {:.0} MB/s",
        s.lines,
        s.rejects,
        s.bytes_out as f64 / 1e6,
        s.bytes_out as f64 / 1e6 / secs
    );
}
