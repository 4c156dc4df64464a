//! Every line is counted: `lines == rows + rejects + blank + filtered`, on every input.

/// Counters of one read. Workers fill their own and the pipeline adds them up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Physical lines seen (plus one per corrupt member, which is also a reject).
    pub lines: u64,
    pub rows: u64,
    pub rejects: u64,
    pub blank: u64,
    /// Lines skipped because their event type was not asked for (`event_types=`).
    pub filtered: u64,
    /// Members (files, tar members, streams) opened.
    pub members: u64,
    /// Bytes read from the sources as stored (compressed where they are).
    pub bytes_in: u64,
    /// Decompressed bytes of all members.
    pub bytes_out: u64,
    /// Rejects counted in `rejects` whose details were not kept (over `max_rejects`).
    pub rejects_dropped: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.lines += o.lines;
        self.rows += o.rows;
        self.rejects += o.rejects;
        self.blank += o.blank;
        self.filtered += o.filtered;
        self.members += o.members;
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        self.rejects_dropped += o.rejects_dropped;
    }
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
