//! The single-threaded step: what an input gives (chunks of a member's lines, and the damage
//! found reading it) → rows and accounting → Arrow batches.
//!
//! A push API in the manner of arrow-json's `Decoder`: push what the input stage hands on,
//! `take` the finished outputs, each a batch with the counters and rejects of the lines it
//! covers (so `lines == rows + rejects + blank + filtered` holds after every output taken).
//! Rows of one member follow rows of the one before in the same batch: a batch ends when it
//! has `batch_size` rows, about `batch_bytes` of text, or at `flush`. The pipeline runs one
//! decoder per worker; `cargo test` and the fuzzers use it directly.
//!
//! ```
//! use edxlog::{Decoder, Member, Options, Plan};
//!
//! let plan = Plan::new(&Options::default()).unwrap();
//! let mut decoder = Decoder::new(plan.into());
//! let member = Member { source: "a.log".into(), ..Member::default() };
//! decoder.push_bytes(&member, b"{\"username\":\"u\"}\nnot json\n");
//! decoder.flush();
//! let out = decoder.take().unwrap();
//! assert_eq!(out.batch.unwrap().num_rows(), 1);
//! assert_eq!((out.stats.lines, out.stats.rows, out.stats.rejects), (2, 1, 1));
//! ```

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::accounting::{Reject, Stats, RAW_LIMIT};
use crate::columns::schema::{column_index, schema};
use crate::columns::BatchBuilder;
use crate::error::{Error, Result};
use crate::input::archive::{Event, Member};
use crate::input::lines::{lines_of, split_lines, Piece, SplitLimits};
use crate::options::{OnError, Options};
use crate::record::{EventTypeFilter, LineReader, Needs, NotARow};

/// The most text (line bytes) in one batch: bounds the memory of a batch whatever `batch_size`.
pub(crate) const BATCH_BYTES: usize = 8 << 20;

/// A read's options, checked and compiled once, shared by every decoder of the read.
pub struct Plan {
    /// Indexes of the returned columns in the full schema; None: all of them.
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    needs: Needs,
    filter: Option<Arc<EventTypeFilter>>,
    on_error: OnError,
    batch_size: usize,
    batch_bytes: usize,
    max_line_bytes: usize,
}

impl Plan {
    /// Checks the options (`Error::Invalid` for a bad one).
    pub fn new(options: &Options) -> Result<Plan> {
        if options.batch_size == 0 {
            return Err(Error::Invalid("batch_size must be at least 1".into()));
        }
        if options.max_line_bytes == 0 {
            return Err(Error::Invalid("max_line_bytes must be at least 1".into()));
        }
        let projection = projection(options.columns.as_deref())?;
        let schema = match &projection {
            Some(p) => Arc::new(schema().project(p).expect("indices come from the schema")),
            None => schema(),
        };
        let needs = crate::columns::needs_of(
            options
                .columns
                .as_ref()
                .map(|names| names.iter().map(String::as_str)),
        );
        Ok(Plan {
            projection,
            schema,
            needs,
            filter: options
                .event_types
                .clone()
                .map(|names| Arc::new(EventTypeFilter::new(names))),
            on_error: options.on_error,
            batch_size: options.batch_size,
            batch_bytes: BATCH_BYTES,
            max_line_bytes: options.max_line_bytes,
        })
    }

    /// The schema of the batches (the requested columns, in the requested order).
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }
}

fn projection(columns: Option<&[String]>) -> Result<Option<Vec<usize>>> {
    let Some(names) = columns else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let i = column_index(n).ok_or_else(|| Error::Invalid(format!("unknown column: {n:?}")))?;
        if out.contains(&i) {
            return Err(Error::Invalid(format!("column named twice: {n:?}")));
        }
        out.push(i);
    }
    Ok(Some(out))
}

/// A finished part of the read: a batch (None when its lines gave no row), the counters of
/// the lines it covers, their rejects in detail, and the error that ended the read, if any.
#[derive(Default)]
pub struct Output {
    pub batch: Option<RecordBatch>,
    pub stats: Stats,
    pub rejects: Vec<Reject>,
    pub error: Option<Error>,
}

/// Lines → batches, one thread. See the module doc.
pub struct Decoder {
    plan: Arc<Plan>,
    reader: LineReader,
    builder: BatchBuilder,
    /// Line bytes appended to `builder` since its last batch.
    text: usize,
    /// Counters and rejects of the lines since the last output.
    pending: Output,
    ready: VecDeque<Output>,
    /// False: rejects are only counted (`rejects_dropped`), their details not built.
    reject_details: bool,
}

impl Decoder {
    pub fn new(plan: Arc<Plan>) -> Decoder {
        Decoder {
            reader: LineReader::new(plan.needs, plan.filter.clone()),
            // The builder returns the projected columns itself.
            builder: BatchBuilder::new(plan.projection.as_deref()),
            plan,
            text: 0,
            pending: Output::default(),
            ready: VecDeque::new(),
            reject_details: true,
        }
    }

    /// Whether rejects from now on are kept in detail (true) or only counted: a reader whose
    /// kept rejects are full stops building details nobody will see.
    pub fn set_reject_details(&mut self, keep: bool) {
        self.reject_details = keep;
    }

    /// Line bytes in the batch being built.
    pub fn buffered_bytes(&self) -> usize {
        self.text
    }

    /// Whole lines of `member`, the first numbered `first_line` (as `Piece::Lines` holds them).
    pub fn push_lines(&mut self, member: &Member, first_line: u64, data: &[u8]) {
        let source = member.source.as_str();
        let server = member.server.as_deref();
        self.builder.set_member_warning(member.warning);
        for (i, raw) in lines_of(data).enumerate() {
            let line = first_line + i as u64;
            let builder = &mut self.builder;
            let outcome = self
                .reader
                .read_line(raw, |rec| builder.append(source, server, line, rec));
            let stats = &mut self.pending.stats;
            match outcome {
                Ok(()) => {
                    stats.lines += 1;
                    stats.rows += 1;
                    self.text += raw.len() + 1;
                    let full = self.builder.len() >= self.plan.batch_size
                        || self.text >= self.plan.batch_bytes;
                    if full {
                        self.end_batch();
                    }
                }
                Err(NotARow::Blank) => {
                    stats.lines += 1;
                    stats.blank += 1;
                }
                Err(NotARow::Filtered) => {
                    stats.lines += 1;
                    stats.filtered += 1;
                }
                Err(NotARow::Reject(e)) => self.reject(source, line, e.to_string(), raw),
            }
        }
    }

    /// What the input stage split: whole lines, or a line over `max_line_bytes`.
    pub(crate) fn push_piece(&mut self, member: &Member, piece: &Piece) {
        match piece {
            Piece::Lines {
                first_line, data, ..
            } => self.push_lines(member, *first_line, data),
            Piece::LongLine { line, len, head } => {
                self.reject(
                    &member.source,
                    *line,
                    format!("line too long: {len} bytes"),
                    head,
                );
            }
        }
    }

    /// A member's decompressed bytes, all of them: split into lines here (the `max_line_bytes`
    /// of the plan applies), as the input stage would.
    pub fn push_bytes(&mut self, member: &Member, mut bytes: &[u8]) {
        let limits = SplitLimits {
            max_lines: self.plan.batch_size,
            max_bytes: self.plan.batch_bytes,
            max_line_bytes: self.plan.max_line_bytes,
        };
        split_lines(&mut bytes, limits, &mut |piece| {
            self.push_piece(member, &piece);
            true
        });
    }

    /// The member (or the archive) is damaged from here: a reject numbered `line`, or the
    /// error that ends the read with `on_error="raise"`.
    pub fn push_corrupt(&mut self, member: &Member, line: u64, message: String) {
        match self.plan.on_error {
            OnError::Raise => self.fail(Error::Archive(message)),
            OnError::Skip => self.reject(&member.source, line, message, b""),
        }
    }

    /// The member is not text lines (`kind`: "PNG image", ...): an error with
    /// `on_error="raise"`; otherwise its lines come next and are rejects.
    pub fn push_not_logs(&mut self, member: &Member, kind: &str) {
        if self.plan.on_error == OnError::Raise {
            self.fail(Error::Archive(format!(
                "{} is not a tracking log: it looks like {kind}",
                member.source
            )));
        }
    }

    /// An error that ends the read: the rows before it are output first, then it.
    pub fn fail(&mut self, error: Error) {
        self.flush();
        self.ready.push_back(Output {
            error: Some(error),
            ..Output::default()
        });
    }

    /// What the input stage hands on. `Event::Whole` (a member still compressed) is for the
    /// pipeline to read first; here it is a bug.
    pub(crate) fn push_event(&mut self, event: Event) {
        match event {
            Event::Member(_) => {}
            Event::Piece(member, piece) => self.push_piece(&member, &piece),
            Event::Corrupt {
                member,
                line,
                message,
            } => self.push_corrupt(&member, line, message),
            Event::NotLogs { member, kind } => self.push_not_logs(&member, kind),
            Event::Failed(e) => self.fail(e),
            Event::Whole(..) => unreachable!("whole members are read before they are decoded"),
        }
    }

    /// Ends the batch being built (if it has rows) and outputs it with the counters and
    /// rejects gathered since the last output.
    pub fn flush(&mut self) {
        let p = &self.pending;
        if self.builder.is_empty() && p.rejects.is_empty() && p.stats == Stats::default() {
            return;
        }
        self.end_batch();
    }

    /// Drops the buffers kept for the next batch (an idle worker's memory); the next batch
    /// makes room for the last one's size again. Only between batches: a batch being built
    /// keeps its buffers.
    pub fn release_buffers(&mut self) {
        self.builder.release_buffers();
    }

    /// The next finished output, oldest first.
    pub fn take(&mut self) -> Option<Output> {
        self.ready.pop_front()
    }

    fn end_batch(&mut self) {
        let mut out = std::mem::take(&mut self.pending);
        self.text = 0;
        if !self.builder.is_empty() {
            match self.builder.finish() {
                Ok(b) => out.batch = Some(b),
                Err(e) => out.error = Some(Error::Internal(format!("building a batch: {e}"))),
            }
        }
        self.ready.push_back(out);
    }

    fn reject(&mut self, source: &str, line: u64, error: String, raw: &[u8]) {
        let stats = &mut self.pending.stats;
        stats.lines += 1;
        stats.rejects += 1;
        if !self.reject_details {
            stats.rejects_dropped += 1;
            return;
        }
        self.pending.rejects.push(Reject {
            source: source.to_string(),
            line,
            error,
            raw: raw[..raw.len().min(RAW_LIMIT)].to_vec(),
        });
    }
}

/// The rejects of a read kept in detail: the first `max` in input order; later ones are only
/// counted (`Stats::rejects_dropped`).
pub(crate) struct RejectLog {
    kept: Vec<Reject>,
    max: usize,
}

impl RejectLog {
    pub(crate) fn new(max: usize) -> RejectLog {
        RejectLog {
            kept: Vec::new(),
            max,
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.kept.len() >= self.max
    }

    /// Keeps what there is room for of `details` (the next rejects in input order) and counts
    /// the others into `stats.rejects_dropped`.
    pub(crate) fn keep(&mut self, mut details: Vec<Reject>, stats: &mut Stats) {
        let room = self.max.saturating_sub(self.kept.len());
        if details.len() > room {
            stats.rejects_dropped += (details.len() - room) as u64;
            details.truncate(room);
        }
        self.kept.extend(details);
    }

    pub(crate) fn rejects(&self) -> &[Reject] {
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int64Array, StringArray};

    fn member(source: &str) -> Member {
        Member {
            source: source.into(),
            server: Some("srv".into()),
            warning: None,
        }
    }

    fn decoder(options: Options) -> Decoder {
        Decoder::new(Arc::new(Plan::new(&options).unwrap()))
    }

    fn outputs(d: &mut Decoder) -> Vec<Output> {
        d.flush();
        std::iter::from_fn(|| d.take()).collect()
    }

    fn column<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
        b.column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<T>()
            .unwrap()
    }

    #[test]
    fn released_buffers_keep_the_projection() {
        let options = Options {
            columns: Some(vec!["username".into(), "line".into()]),
            ..Options::default()
        };
        let mut d = decoder(options);
        d.push_bytes(&member("a.log"), b"{\"username\":\"u\"}\n");
        d.flush();
        d.release_buffers();
        d.push_bytes(&member("b.log"), b"{\"username\":\"v\"}\n");
        for out in outputs(&mut d) {
            let names: Vec<_> = out
                .batch
                .unwrap()
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            assert_eq!(names, ["username", "line"]);
        }
    }

    #[test]
    fn damaged_members_warn_on_their_own_rows_only() {
        let mut d = decoder(Options::default());
        d.push_bytes(&member("ok.log"), b"{\"username\":\"a\"}\n");
        let damaged = Member {
            warning: Some("member failed its checksum"),
            ..member("bad.log")
        };
        d.push_bytes(&damaged, b"{\"username\":\"b\"}\n");
        d.push_bytes(&member("ok2.log"), b"{\"username\":\"c\"}\n");
        let outs = outputs(&mut d);
        assert_eq!(outs.len(), 1);
        let b = outs[0].batch.as_ref().unwrap();
        let warnings = b.column_by_name("warnings").unwrap();
        assert_eq!(b.num_rows(), 3);
        assert!(warnings.is_null(0) && warnings.is_null(2));
        let list = warnings
            .as_any()
            .downcast_ref::<arrow_array::ListArray>()
            .unwrap();
        let row = list.value(1);
        let texts = row.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(texts.value(0), "member failed its checksum");
    }

    #[test]
    fn rows_of_small_members_share_a_batch_and_keep_their_source_and_line() {
        let mut d = decoder(Options::default());
        for m in 0..50 {
            let text: String = (0..20)
                .map(|i| format!("{{\"username\":\"u{m}-{i}\"}}\n"))
                .collect();
            d.push_bytes(&member(&format!("m{m}.log")), text.as_bytes());
        }
        let outs = outputs(&mut d);
        assert_eq!(outs.len(), 1);
        let b = outs[0].batch.as_ref().unwrap();
        assert_eq!(b.num_rows(), 1000);
        assert_eq!(outs[0].stats.rows, 1000);
        let sources = column::<StringArray>(b, "source");
        let lines = column::<Int64Array>(b, "line");
        assert_eq!((sources.value(0), lines.value(0)), ("m0.log", 1));
        assert_eq!((sources.value(21), lines.value(21)), ("m1.log", 2));
        assert_eq!((sources.value(999), lines.value(999)), ("m49.log", 20));
        assert_eq!(column::<StringArray>(b, "server").value(500), "srv");
    }

    #[test]
    fn a_batch_ends_at_batch_size_with_the_counters_of_its_lines() {
        let mut d = decoder(Options {
            batch_size: 3,
            ..Options::default()
        });
        d.push_bytes(
            &member("a"),
            b"{\"username\":\"1\"}\nbad\n\n{\"username\":\"2\"}\n{\"username\":\"3\"}\n{\"username\":\"4\"}\n",
        );
        let outs = outputs(&mut d);
        let rows: Vec<usize> = outs
            .iter()
            .map(|o| o.batch.as_ref().map_or(0, |b| b.num_rows()))
            .collect();
        assert_eq!(rows, [3, 1]);
        let s = &outs[0].stats;
        assert_eq!((s.lines, s.rows, s.rejects, s.blank), (5, 3, 1, 1));
        assert_eq!(outs[0].rejects[0].line, 2);
        assert_eq!((outs[1].stats.lines, outs[1].stats.rows), (1, 1));
    }

    #[test]
    fn counters_without_rows_are_output_too() {
        let mut d = decoder(Options::default());
        d.push_bytes(&member("a"), b"\n\nbad\n");
        d.push_corrupt(&member("a"), 4, "corrupt member a".into());
        let outs = outputs(&mut d);
        assert_eq!(outs.len(), 1);
        assert!(outs[0].batch.is_none());
        assert_eq!((outs[0].stats.lines, outs[0].stats.rejects), (4, 2));
        assert_eq!(outs[0].rejects[1].error, "corrupt member a");
        assert!(outputs(&mut d).is_empty());
    }

    #[test]
    fn raise_outputs_the_rows_before_the_damage_then_the_error() {
        let mut d = decoder(Options {
            on_error: OnError::Raise,
            ..Options::default()
        });
        d.push_bytes(&member("a"), b"{\"username\":\"1\"}\n");
        d.push_corrupt(&member("a"), 2, "corrupt member a".into());
        let outs = outputs(&mut d);
        assert_eq!(outs[0].batch.as_ref().unwrap().num_rows(), 1);
        assert!(matches!(&outs[1].error, Some(Error::Archive(m)) if m == "corrupt member a"));
    }

    #[test]
    fn without_details_rejects_are_only_counted() {
        let mut d = decoder(Options::default());
        d.set_reject_details(false);
        d.push_bytes(&member("a"), b"bad\nworse\n");
        let out = &outputs(&mut d)[0];
        assert!(out.rejects.is_empty());
        assert_eq!((out.stats.rejects, out.stats.rejects_dropped), (2, 2));
    }

    #[test]
    fn the_reject_log_keeps_the_first_ones() {
        let r = |line| Reject {
            source: "a".into(),
            line,
            error: "x".into(),
            raw: vec![],
        };
        let mut log = RejectLog::new(3);
        let mut stats = Stats::default();
        log.keep(vec![r(1), r(2)], &mut stats);
        assert!(!log.is_full());
        log.keep(vec![r(3), r(4), r(5)], &mut stats);
        assert!(log.is_full());
        assert_eq!(stats.rejects_dropped, 2);
        let lines: Vec<u64> = log.rejects().iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 3]);
    }
}
