//! Threads: one producer walks the inputs (open, gunzip, untar, split lines) and hands numbered
//! pieces to parse workers over a bounded channel; workers turn pieces into batches; the
//! consumer puts results back in input order. Dropping the `Pipeline` stops everything: the
//! channels close and every thread ends at its next send.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::accounting::{Reject, Stats, DEFAULT_MAX_REJECTS, RAW_LIMIT};
use crate::columns::schema::{column_index, schema};
use crate::columns::BatchBuilder;
use crate::error::{Error, Result};
use crate::input::archive::{read_input, Counters, Event, Member};
use crate::input::lines::{lines_of, Piece, SplitLimits};
use crate::input::source::{expand, Spec};
use crate::record::{LineReader, NotARow};

/// The most bytes of lines in one piece of work (and so in one batch). With the channel depths
/// (2 per worker) this sets the memory in flight: about 40 MB per worker. 16 MiB pieces took a
/// 1 GiB read of realistic lines to 474 MB peak RSS on 2 workers; 4 MiB pieces keep it near
/// 165 MB at the same speed (issue 4: ≤ 300 MB).
const PIECE_BYTES: usize = 4 << 20;

/// How often a waiting consumer checks whether it was cancelled.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

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
    pub on_error: OnError,
    pub max_line_bytes: usize,
    /// Rejects kept in detail (`Shared::rejects`); later ones are only counted.
    pub max_rejects: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_size: 65_536,
            threads: None,
            columns: None,
            on_error: OnError::Skip,
            max_line_bytes: 64 << 20,
            max_rejects: DEFAULT_MAX_REJECTS,
        }
    }
}

/// A unit of work, numbered in input order.
struct Work {
    seq: u64,
    member: Arc<Member>,
    job: Job,
}

enum Job {
    Lines(Piece),
    Corrupt { line: u64, message: String },
    NotLogs(&'static str),
    Failed(Error),
}

/// What a worker made of one `Work`.
struct Done {
    seq: u64,
    batch: Option<RecordBatch>,
    rejects: Vec<Reject>,
    stats: Stats,
    error: Option<Error>,
}

/// What the consumer sees of a read, shared with the Python layer.
#[derive(Default)]
pub struct Shared {
    counters: Counters,
    /// Line counts of the results consumed so far (so the invariant always holds).
    consumed: Mutex<Stats>,
    rejects: Mutex<Vec<Reject>>,
    /// At most this many rejects are kept in `rejects`; the rest are counted in
    /// `Stats::rejects_dropped`.
    max_rejects: usize,
    /// Set once `rejects` is full: workers then count rejects without building their details
    /// (every result not yet consumed comes later in input order, so none would be kept).
    rejects_full: AtomicBool,
}

impl Shared {
    pub fn stats(&self) -> Stats {
        let mut s = *self.consumed.lock().unwrap_or_else(|e| e.into_inner());
        s.members = self.counters.members.load(Ordering::Relaxed);
        s.bytes_in = self.counters.bytes_in.load(Ordering::Relaxed);
        s.bytes_out = self.counters.bytes_out.load(Ordering::Relaxed);
        s
    }

    pub fn rejects(&self) -> Vec<Reject> {
        self.rejects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

pub struct Pipeline {
    shared: Arc<Shared>,
    schema: SchemaRef,
    results: Option<Receiver<Done>>,
    pending: BTreeMap<u64, Done>,
    next_seq: u64,
    threads: Vec<JoinHandle<()>>,
    finished: bool,
}

impl Pipeline {
    /// Checks the arguments and inputs, then starts the threads.
    pub fn start(specs: Vec<Spec>, options: Options) -> Result<Pipeline> {
        if options.batch_size == 0 {
            return Err(Error::Invalid("batch_size must be at least 1".into()));
        }
        if options.max_line_bytes == 0 {
            return Err(Error::Invalid("max_line_bytes must be at least 1".into()));
        }
        let projection = projection(options.columns.as_deref())?;
        let out_schema = match &projection {
            Some(p) => Arc::new(schema().project(p).expect("indices come from the schema")),
            None => schema(),
        };
        let inputs = expand(specs)?;
        let workers = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let shared = Arc::new(Shared {
            max_rejects: options.max_rejects,
            rejects_full: AtomicBool::new(options.max_rejects == 0),
            ..Shared::default()
        });
        let (work_tx, work_rx) = bounded::<Work>(workers * 2);
        let (done_tx, done_rx) = bounded::<Done>(workers * 2);
        let mut threads = Vec::new();
        let limits = SplitLimits {
            max_lines: options.batch_size,
            max_bytes: PIECE_BYTES,
            max_line_bytes: options.max_line_bytes,
        };
        {
            let shared = shared.clone();
            threads.push(spawn("edxlog-reader", move || {
                produce(inputs, &shared, limits, &work_tx)
            }));
        }
        for i in 0..workers {
            let (rx, tx) = (work_rx.clone(), done_tx.clone());
            let (projection, on_error) = (projection.clone(), options.on_error);
            let shared = shared.clone();
            threads.push(spawn(&format!("edxlog-parse-{i}"), move || {
                work(
                    &rx,
                    &tx,
                    projection.as_deref(),
                    on_error,
                    &shared.rejects_full,
                )
            }));
        }
        Ok(Pipeline {
            shared,
            schema: out_schema,
            results: Some(done_rx),
            pending: BTreeMap::new(),
            next_seq: 0,
            threads,
            finished: false,
        })
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// The next batch in input order; None at the end. After an error the read is over.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        self.next_batch_polling(&mut || false)
    }

    /// As `next_batch`, calling `cancelled` every `POLL` while it waits; when that says true
    /// the read stops with `Error::Cancelled` (how Ctrl-C reaches a blocked reader).
    pub fn next_batch_polling(
        &mut self,
        cancelled: &mut dyn FnMut() -> bool,
    ) -> Result<Option<RecordBatch>> {
        while !self.finished {
            let done = match self.pending.remove(&self.next_seq) {
                Some(d) => d,
                None => {
                    let Some(results) = self.results.as_ref() else {
                        break;
                    };
                    let received = match results.recv_timeout(POLL) {
                        Ok(d) => Some(d),
                        Err(RecvTimeoutError::Timeout) => {
                            if cancelled() {
                                self.stop();
                                return Err(Error::Cancelled);
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => None,
                    };
                    match received {
                        Some(d) => {
                            self.pending.insert(d.seq, d);
                            continue;
                        }
                        None => {
                            // Every thread has ended and nothing is missing: the end.
                            self.stop();
                            return Ok(None);
                        }
                    }
                }
            };
            self.next_seq += 1;
            let mut stats = done.stats;
            if !done.rejects.is_empty() {
                let mut rejects = self
                    .shared
                    .rejects
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                let room = self.shared.max_rejects.saturating_sub(rejects.len());
                let mut details = done.rejects;
                if details.len() >= room {
                    stats.rejects_dropped += (details.len() - room) as u64;
                    details.truncate(room);
                    self.shared.rejects_full.store(true, Ordering::Relaxed);
                }
                rejects.extend(details);
            }
            {
                let mut consumed = self
                    .shared
                    .consumed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                consumed.add(&stats);
            }
            if let Some(e) = done.error {
                self.stop();
                return Err(e);
            }
            if let Some(b) = done.batch.filter(|b| b.num_rows() > 0) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Stops the threads: closing our end makes every send fail, and each thread returns.
    pub fn stop(&mut self) {
        self.finished = true;
        self.shared.counters.cancel.store(true, Ordering::Relaxed);
        self.results = None;
        self.pending.clear();
        // Threads blocked reading a slow input (stdin) are not joined: they end on their own.
        for t in self.threads.drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Iterator for Pipeline {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_batch().transpose()
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.to_string())
        // Room for serde_json's recursion on the exact path (depth ≤ 1000, checked first).
        .stack_size(16 << 20)
        .spawn(f)
        .expect("spawning a thread")
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

/// The producer: inputs → numbered work, until the end or until the consumer is gone.
fn produce(
    inputs: Vec<crate::input::source::Input>,
    shared: &Shared,
    limits: SplitLimits,
    tx: &Sender<Work>,
) {
    let mut seq = 0u64;
    let mut send = |member: Arc<Member>, job: Job| {
        if shared.counters.cancel.load(Ordering::Relaxed) {
            return false;
        }
        let ok = tx.send(Work { seq, member, job }).is_ok();
        seq += 1;
        ok
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        for input in inputs {
            let keep_going =
                read_input(input, &shared.counters, limits, &mut |event| match event {
                    Event::Member(_) => true,
                    Event::Piece(member, piece) => send(member, Job::Lines(piece)),
                    Event::Corrupt {
                        member,
                        line,
                        message,
                    } => send(member, Job::Corrupt { line, message }),
                    Event::NotLogs { member, kind } => send(member, Job::NotLogs(kind)),
                    Event::Failed(e) => {
                        // An input that cannot be opened ends the read.
                        send(no_member(), Job::Failed(e));
                        false
                    }
                });
            if !keep_going {
                return;
            }
        }
    }));
    if let Err(panic) = result {
        send(
            no_member(),
            Job::Failed(Error::Internal(format!(
                "reader thread panicked: {}",
                panic_text(&panic)
            ))),
        );
    }
}

/// Fatal errors belong to no member.
fn no_member() -> Arc<Member> {
    Arc::new(Member {
        source: String::new(),
        server: None,
    })
}

pub(crate) fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// A parse worker: work → batches, until the producer is done or the consumer is gone.
fn work(
    rx: &Receiver<Work>,
    tx: &Sender<Done>,
    projection: Option<&[usize]>,
    on_error: OnError,
    rejects_full: &AtomicBool,
) {
    let mut reader = LineReader::default();
    let mut builder = BatchBuilder::default();
    for w in rx.iter() {
        let seq = w.seq;
        let done = catch_unwind(AssertUnwindSafe(|| {
            let details = !rejects_full.load(Ordering::Relaxed);
            do_work(w, &mut reader, &mut builder, projection, on_error, details)
        }))
        .unwrap_or_else(|panic| {
            // A bug: the state may be half-written, so start afresh and say so.
            reader = LineReader::default();
            builder = BatchBuilder::default();
            Done {
                seq,
                batch: None,
                rejects: Vec::new(),
                stats: Stats::default(),
                error: Some(Error::Internal(format!(
                    "parse worker panicked: {}",
                    panic_text(&panic)
                ))),
            }
        });
        if tx.send(done).is_err() {
            return;
        }
    }
}

fn do_work(
    w: Work,
    reader: &mut LineReader,
    builder: &mut BatchBuilder,
    projection: Option<&[usize]>,
    on_error: OnError,
    details: bool,
) -> Done {
    let mut done = Done {
        seq: w.seq,
        batch: None,
        rejects: Vec::new(),
        stats: Stats::default(),
        error: None,
    };
    let source = w.member.source.as_str();
    let reject = |done: &mut Done, line: u64, error: String, raw: &[u8]| {
        done.stats.lines += 1;
        done.stats.rejects += 1;
        if !details {
            done.stats.rejects_dropped += 1;
            return;
        }
        done.rejects.push(Reject {
            source: source.to_string(),
            line,
            error,
            raw: raw[..raw.len().min(RAW_LIMIT)].to_vec(),
        });
    };
    match w.job {
        Job::Lines(Piece::Lines {
            first_line, data, ..
        }) => {
            let server = w.member.server.as_deref();
            for (i, raw) in lines_of(&data).enumerate() {
                let line = first_line + i as u64;
                let outcome =
                    reader.read_line(raw, |rec| builder.append(source, server, line, rec));
                match outcome {
                    Ok(()) => {
                        done.stats.lines += 1;
                        done.stats.rows += 1;
                    }
                    Err(NotARow::Blank) => {
                        done.stats.lines += 1;
                        done.stats.blank += 1;
                    }
                    Err(NotARow::Reject(e)) => reject(&mut done, line, e, raw),
                }
            }
            if !builder.is_empty() {
                match builder.finish() {
                    Ok(b) => {
                        done.batch = Some(match projection {
                            Some(p) => b.project(p).expect("projection indices are checked"),
                            None => b,
                        })
                    }
                    Err(e) => done.error = Some(Error::Internal(format!("building a batch: {e}"))),
                }
            }
        }
        Job::Lines(Piece::LongLine { line, len, head }) => {
            reject(
                &mut done,
                line,
                format!("line too long: {len} bytes"),
                &head,
            );
        }
        Job::Corrupt { line, message } => match on_error {
            OnError::Raise => done.error = Some(Error::Archive(message)),
            OnError::Skip => reject(&mut done, line, message, b""),
        },
        Job::NotLogs(kind) => {
            if on_error == OnError::Raise {
                done.error = Some(Error::Archive(format!(
                    "{source} is not a tracking log: it looks like {kind}"
                )));
            }
        }
        Job::Failed(e) => done.error = Some(e),
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn stream(data: &[u8]) -> Spec {
        Spec::Stream {
            name: "mem".into(),
            reader: Box::new(Cursor::new(data.to_vec())),
        }
    }

    fn read_all(data: &[u8], options: Options) -> (Vec<RecordBatch>, Stats, Vec<Reject>) {
        let mut p = Pipeline::start(vec![stream(data)], options).unwrap();
        let batches: Vec<_> = p.by_ref().map(|b| b.unwrap()).collect();
        let shared = p.shared();
        (batches, shared.stats(), shared.rejects())
    }

    #[test]
    fn every_line_is_accounted_for() {
        let data = b"{\"username\":\"a\"}\n\nnot json\n  \n{\"username\":\"b\"}";
        let (batches, stats, rejects) = read_all(data, Options::default());
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 2);
        assert_eq!(
            (stats.lines, stats.rows, stats.rejects, stats.blank),
            (5, 2, 1, 2)
        );
        assert_eq!(rejects[0].line, 3);
        assert_eq!(rejects[0].raw, b"not json");
        assert_eq!(stats.members, 1);
        assert_eq!(stats.bytes_out, data.len() as u64);
    }

    #[test]
    fn order_is_the_input_order_for_any_thread_count() {
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("{{\"username\":\"u{i}\"}}\n").into_bytes())
            .collect();
        let lines = |threads| {
            let (batches, _, _) = read_all(
                &data,
                Options {
                    threads: Some(threads),
                    batch_size: 7,
                    ..Options::default()
                },
            );
            batches
                .iter()
                .flat_map(|b| {
                    let a = b
                        .column(2)
                        .as_any()
                        .downcast_ref::<arrow_array::Int64Array>()
                        .unwrap()
                        .clone();
                    a.values().to_vec()
                })
                .collect::<Vec<_>>()
        };
        let one = lines(1);
        assert_eq!(one, (1..=5000).collect::<Vec<i64>>());
        assert_eq!(lines(3), one);
    }

    #[test]
    fn projection_keeps_the_named_columns_in_the_given_order() {
        let options = Options {
            columns: Some(vec!["event_type".into(), "line".into()]),
            ..Options::default()
        };
        let (batches, _, _) = read_all(b"{\"event_type\":\"x\"}\n", options);
        let names: Vec<_> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["event_type", "line"]);
        assert!(Pipeline::start(
            vec![],
            Options {
                columns: Some(vec!["nope".into()]),
                ..Options::default()
            }
        )
        .is_err());
    }

    #[test]
    fn reject_details_are_capped_but_all_counted() {
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("bad {i}\n{{\"username\":\"u{i}\"}}\n").into_bytes())
            .collect();
        for threads in [1, 3] {
            let (batches, stats, rejects) = read_all(
                &data,
                Options {
                    threads: Some(threads),
                    batch_size: 7,
                    max_rejects: 100,
                    ..Options::default()
                },
            );
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert_eq!(rows, 5000);
            assert_eq!((stats.lines, stats.rejects), (10_000, 5000));
            assert_eq!(stats.rejects_dropped, 4900);
            // The first ones in input order are the ones kept.
            let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
            assert_eq!(lines, (0..100).map(|i| 2 * i + 1).collect::<Vec<u64>>());
        }
        let (_, stats, rejects) = read_all(
            &data,
            Options {
                max_rejects: 0,
                ..Options::default()
            },
        );
        assert!(rejects.is_empty());
        assert_eq!(stats.rejects_dropped, 5000);
    }

    #[test]
    fn not_logs_raise_only_when_asked() {
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        let (_, stats, _) = read_all(png, Options::default());
        assert_eq!(stats.rejects, stats.lines);
        let mut p = Pipeline::start(
            vec![stream(png)],
            Options {
                on_error: OnError::Raise,
                ..Options::default()
            },
        )
        .unwrap();
        assert!(matches!(p.next_batch(), Err(Error::Archive(m)) if m.contains("PNG")));
    }
}
