//! edxlog: edX / Open edX tracking logs → Apache Arrow.
//!
//! Data flows one way, and the modules say so:
//! `input` (sources → members → lines) → `record` (one line → typed values)
//! → `columns` (typed values → Arrow batches), driven by `pipeline` (threads, order)
//! with `accounting` keeping every line counted. `python` is the thin PyO3 layer.

pub mod accounting;
pub mod columns;
pub mod decode;
pub mod error;
pub mod input;
pub mod options;
pub mod pipeline;
pub mod record;

#[cfg(feature = "python")]
mod python;
