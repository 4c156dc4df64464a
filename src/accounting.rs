//! Every line is counted: `lines == rows + rejects + blank + filtered`, on every input.
//! THE counters (`Stats`, whose field list `Stats::FIELDS` the Python layer reads) and THE
//! rejects table (`rejects_schema`, `rejects_batch`) are defined here only.

use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

/// Declares `Stats` once: its fields, their docs, `FIELDS`, `values` and `add` follow.
macro_rules! stats {
    ($($(#[doc = $doc:literal])* $field:ident),* $(,)?) => {
        /// Counters of one read. Workers fill their own and the pipeline adds them up.
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
        pub struct Stats {
            $($(#[doc = $doc])* pub $field: u64,)*
        }

        impl Stats {
            /// The counters' names, in order (`reader.stats` keys).
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The counters, in the order of `FIELDS`.
            pub fn values(&self) -> Vec<u64> {
                vec![$(self.$field),*]
            }

            pub fn add(&mut self, o: &Stats) {
                $(self.$field += o.$field;)*
            }
        }
    };
}

stats! {
    /// Physical lines seen (plus one per corrupt member, which is also a reject).
    lines,
    rows,
    rejects,
    blank,
    /// Lines skipped because their event type was not asked for (`event_types=`).
    filtered,
    /// Members (files, tar members, streams) opened.
    members,
    /// Bytes read from the sources as stored (compressed where they are).
    bytes_in,
    /// Decompressed bytes of all members.
    bytes_out,
    /// Rejects counted in `rejects` whose details were not kept (over `max_rejects`).
    rejects_dropped,
}

/// A line (or a corrupt member) that gave no row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub source: String,
    pub line: u64,
    pub error: String,
    /// The physical line without `\n`, truncated to `RAW_LIMIT` bytes; empty for members.
    pub raw: Vec<u8>,
}

/// How much of a rejected line is kept.
pub const RAW_LIMIT: usize = 4096;

/// The schema of `reader.rejects()`: one row per `Reject`.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("error", DataType::Utf8, false),
        Field::new("raw", DataType::Binary, false),
    ]))
}

/// The rejects as one batch of `rejects_schema`.
pub fn rejects_batch(rejects: &[Reject]) -> Result<RecordBatch, ArrowError> {
    let (mut source, mut line, mut error, mut raw) = (
        StringBuilder::new(),
        Int64Builder::new(),
        StringBuilder::new(),
        BinaryBuilder::new(),
    );
    for r in rejects {
        source.append_value(&r.source);
        line.append_value(r.line as i64);
        error.append_value(&r.error);
        raw.append_value(&r.raw);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(source.finish()),
        Arc::new(line.finish()),
        Arc::new(error.finish()),
        Arc::new(raw.finish()),
    ];
    RecordBatch::try_new(rejects_schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_fields_name_the_values_in_order() {
        let s = Stats {
            lines: 1,
            rejects_dropped: 9,
            ..Stats::default()
        };
        let pairs: Vec<(&str, u64)> = Stats::FIELDS.iter().copied().zip(s.values()).collect();
        assert_eq!(pairs[0], ("lines", 1));
        assert_eq!(pairs.last(), Some(&("rejects_dropped", 9)));
        assert_eq!(Stats::FIELDS.len(), 9);
    }

    #[test]
    fn rejects_become_one_batch() {
        let b = rejects_batch(&[Reject {
            source: "a".into(),
            line: 3,
            error: "bad".into(),
            raw: b"x".to_vec(),
        }])
        .unwrap();
        assert_eq!((b.num_rows(), b.schema()), (1, rejects_schema()));
    }
}
