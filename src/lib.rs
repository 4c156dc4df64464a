//! edxlog: edX / Open edX tracking logs → Apache Arrow.
//!
//! Data flows one way, and the (private) modules say so:
//! `input` (sources → members → lines) → `record` (one line → typed values)
//! → `columns` (typed values → Arrow batches) → `decode` (single-threaded: lines → batches
//! with every line counted by `accounting`), driven by `pipeline` (threads, order, memory).
//! `python` is the thin PyO3 layer (feature `python`).
//!
//! # Public API
//!
//! Everything a Rust user needs is re-exported here; the modules themselves are private.
//!
//! - Reading with threads: [`Pipeline::start`] takes [`Spec`]s (paths, stdin, streams) and
//!   [`Options`] (with [`OnError`] and the `DEFAULT_*` constants) and yields [`RecordBatch`]es
//!   in input order; [`Pipeline::shared`] gives the [`Stats`] and [`Reject`]s so far.
//!   [`inflate_only`] reads the inputs without parsing (the input stage's ceiling).
//! - Decoding on the caller's thread: a [`Decoder`] built from a [`Plan`] (checked
//!   [`Options`]) takes the lines of a [`Member`] ([`Decoder::push_bytes`],
//!   [`Decoder::push_lines`]) and hands back [`Output`]s: a batch with the [`Stats`] and
//!   [`Reject`]s of the lines it covers.
//! - The tables: [`schema`] (THE batch schema) and [`schema_markdown`] (docs/schema.md);
//!   [`rejects_schema`] and [`rejects_batch`] for the rejects, whose raw bytes are cut at
//!   [`RAW_LIMIT`].
//! - Errors: [`Error`] and [`Result`].
//!
//! The `fuzzing` feature adds a module `fuzzing`: the internals that the fuzz harness
//! (`fuzz/harness.rs`) drives directly. It is not a stable API.
//!
//! ```
//! use edxlog::{Options, Pipeline, Spec};
//!
//! let lines = b"{\"username\":\"u\",\"event_type\":\"play_video\"}\nnot json\n";
//! let spec = Spec::Stream {
//!     name: "a.log".into(),
//!     server: None,
//!     reader: Box::new(std::io::Cursor::new(lines.to_vec())),
//! };
//! let mut p = Pipeline::start(vec![spec], Options::default()).unwrap();
//! let rows: usize = p.by_ref().map(|b| b.unwrap().num_rows()).sum();
//! let stats = p.shared().stats();
//! assert_eq!((rows, stats.lines, stats.rejects), (1, 2, 1));
//! ```
//!
//! [`RecordBatch`]: arrow_array::RecordBatch

mod accounting;
mod columns;
mod decode;
mod error;
mod input;
mod options;
mod pipeline;
mod record;

#[cfg(feature = "python")]
mod python;

pub use accounting::{rejects_batch, rejects_schema, Reject, Stats, RAW_LIMIT};
pub use columns::schema::{schema, schema_markdown};
pub use decode::{Decoder, Output, Plan};
pub use error::{Error, Result};
pub use input::archive::Member;
pub use input::source::Spec;
pub use options::{
    OnError, Options, DEFAULT_BATCH_SIZE, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_REJECTS,
};
pub use pipeline::{inflate_only, Pipeline, Shared};

/// Internals for the fuzz harness (`fuzz/harness.rs`, shared by the cargo-fuzz targets and
/// `tests/fuzz_regressions.rs`): the line reader, the column builder, the input stage and the
/// small parsers, so each can be fuzzed on its own.
///
/// **Not a stable API**: only with the `fuzzing` feature, which nothing but the fuzz crate and
/// this crate's own tests turn on; names and signatures follow the internals freely.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    pub use crate::columns::BatchBuilder;
    pub use crate::input::archive::{read_input, Control, Counters, Event, Member};
    pub use crate::input::lines::{lines_of, Piece, SplitLimits};
    pub use crate::input::source::{Input, Origin};
    pub use crate::record::get_payload::decode_get_payload;
    pub use crate::record::time::parse_time;
    pub use crate::record::{event_id, trim_line, LineReader, NotARow, Record, Warning};
}
