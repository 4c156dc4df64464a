//! What a read is asked to do, and THE defaults: the Python layer (`_core.DEFAULTS`, read by
//! `edxlog.read`) and the docs take them from here.

/// Rows per batch at most.
pub const DEFAULT_BATCH_SIZE: usize = 65_536;
/// A longer line is a reject ("line too long"), never buffered whole.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;
/// Rejects kept in detail; later ones are only counted (`Stats::rejects_dropped`), so a file
/// of millions of bad lines keeps memory bounded.
pub const DEFAULT_MAX_REJECTS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Damage becomes counted rejects; reading goes on.
    Skip,
    /// Damage raises `Error::Archive`.
    Raise,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub batch_size: usize,
    pub threads: Option<usize>,
    pub columns: Option<Vec<String>>,
    /// Keep only rows of these event types (skipping the others before the costly work).
    pub event_types: Option<Vec<String>>,
    pub on_error: OnError,
    pub max_line_bytes: usize,
    /// Rejects kept in detail; later ones are only counted.
    pub max_rejects: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_size: DEFAULT_BATCH_SIZE,
            threads: None,
            columns: None,
            event_types: None,
            on_error: OnError::Skip,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_rejects: DEFAULT_MAX_REJECTS,
        }
    }
}
