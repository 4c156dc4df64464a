//! Threads: one producer walks the inputs (open, gunzip, untar) and hands work to parse
//! workers over a bounded channel; workers turn work into batches. Work is either a chunk of
//! lines the producer split, or a whole small tar member (still compressed) that the worker
//! inflates and splits itself, so that several members inflate at once and decompression of
//! one member overlaps parsing of another.
//!
//! Order: each work item gets its own small result channel, and the producer queues those
//! channels in input order; the consumer drains them one after the other. A worker ahead of
//! the consumer blocks on its full channel, so memory stays bounded, and no worker can block
//! the one the consumer waits for (work is taken in order). Dropping the `Pipeline` stops
//! everything: every send fails and each thread returns.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::accounting::{Reject, Stats, DEFAULT_MAX_REJECTS, RAW_LIMIT};
use crate::columns::member_warning::with_warning;
use crate::columns::schema::{column_index, schema};
use crate::columns::BatchBuilder;
use crate::error::{Error, Result};
use crate::input::archive::{read_input, read_member_bytes, Counters, Event, Member, Reading};
use crate::input::lines::{lines_of, Piece, SplitLimits};
use crate::input::source::{expand, Spec};
use crate::record::{EventTypeFilter, LineReader, Needs, NotARow};

/// Results a worker reading a whole member may hold before the consumer takes them:
/// 16 chunks of at most `CHUNK_BYTES` is 64 MiB of text at most per worker.
const AHEAD_RESULTS: usize = 16;

/// How often a waiting consumer checks whether it was cancelled.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Tar members up to this size (as stored) are read whole by the producer and inflated and
/// split by a worker; larger ones are streamed by the producer, so memory stays bounded.
pub const WHOLE_MEMBER_LIMIT: u64 = 16 << 20;

/// The most decompressed bytes in one chunk of lines (and so in one batch). With at most
/// `threads + 1` items in flight this sets the memory of a read: 16 MiB chunks took a 1 GiB
/// read of realistic lines to 474 MB peak RSS on 2 workers; 4 MiB chunks keep it far below
/// 300 MB at the same speed.
const CHUNK_BYTES: usize = 4 << 20;

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
    /// Rejects kept in detail (`Shared::rejects`); later ones are only counted.
    pub max_rejects: usize,
    /// Tar members up to this size are inflated by workers (see `WHOLE_MEMBER_LIMIT`); 0: the
    /// producer reads every member itself.
    pub whole_member_limit: u64,
    /// False: read, inflate and split only, making no rows (the inflate-only ceiling of the
    /// benchmarks: same input stage, same threads). Lines are then counted as blank.
    pub parse: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_size: 65_536,
            threads: None,
            columns: None,
            event_types: None,
            on_error: OnError::Skip,
            max_line_bytes: 64 << 20,
            max_rejects: DEFAULT_MAX_REJECTS,
            whole_member_limit: WHOLE_MEMBER_LIMIT,
            parse: true,
        }
    }
}

/// A unit of work, with the channel its results go to.
struct Work {
    member: Arc<Member>,
    job: Job,
    out: Sender<Done>,
}

enum Job {
    Lines(Piece),
    /// A whole tar member as stored, and the error that cut its reading short, if any.
    Member(Reading),
    Corrupt {
        line: u64,
        message: String,
    },
    NotLogs(&'static str),
    Failed(Error),
}

/// What a worker made of (part of) one `Work`.
#[derive(Default)]
struct Done {
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
    /// The result channels of the work items, in input order.
    order: Option<Receiver<Receiver<Done>>>,
    /// The one being drained.
    current: Option<Receiver<Done>>,
    threads: Vec<JoinHandle<()>>,
    finished: bool,
}

/// What every worker needs to know, shared.
struct WorkerConfig {
    projection: Option<Vec<usize>>,
    on_error: OnError,
    parse: bool,
    needs: Needs,
    filter: Option<Arc<EventTypeFilter>>,
    limits: SplitLimits,
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
        let needs = match &options.columns {
            Some(names) => Needs::of_columns(names.iter().map(String::as_str)),
            None => Needs::ALL,
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
        // Few items in flight: each may hold a whole member (≤ WHOLE_MEMBER_LIMIT) or a chunk.
        let (work_tx, work_rx) = bounded::<Work>(workers);
        // Items in flight: about two per worker, which keeps every worker busy while the
        // consumer drains the oldest, and bounds memory (peak RSS) whatever the input size.
        let (order_tx, order_rx) = bounded::<Receiver<Done>>(workers + 1);
        let limits = SplitLimits {
            max_lines: options.batch_size,
            max_bytes: CHUNK_BYTES,
            max_line_bytes: options.max_line_bytes,
        };
        let config = Arc::new(WorkerConfig {
            projection,
            on_error: options.on_error,
            parse: options.parse,
            needs,
            filter: options
                .event_types
                .map(|names| Arc::new(EventTypeFilter::new(names))),
            limits,
        });
        let mut threads = Vec::new();
        {
            let shared = shared.clone();
            let whole_limit = options.whole_member_limit;
            threads.push(spawn("edxlog-reader", move || {
                produce(inputs, &shared, limits, whole_limit, &work_tx, &order_tx)
            }));
        }
        for i in 0..workers {
            let (rx, config, shared) = (work_rx.clone(), config.clone(), shared.clone());
            threads.push(spawn(&format!("edxlog-parse-{i}"), move || {
                work(&rx, &config, &shared)
            }));
        }
        Ok(Pipeline {
            shared,
            schema: out_schema,
            order: Some(order_rx),
            current: None,
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
            let received = match (&self.current, &self.order) {
                (Some(current), _) => current.recv_timeout(POLL).map(Some),
                (None, Some(order)) => order.recv_timeout(POLL).map(|rx| {
                    self.current = Some(rx);
                    None
                }),
                (None, None) => break,
            };
            let done = match received {
                Ok(Some(done)) => done,
                Ok(None) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    if cancelled() {
                        self.stop();
                        return Err(Error::Cancelled);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    if self.current.take().is_none() {
                        // No more work items: every thread has ended. The end.
                        self.stop();
                        return Ok(None);
                    }
                    continue;
                }
            };
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

    /// Stops the threads: closing our ends makes every send fail, and each thread returns.
    pub fn stop(&mut self) {
        self.finished = true;
        self.shared.counters.cancel.store(true, Ordering::Relaxed);
        self.order = None;
        self.current = None;
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

/// Reads `specs` through the input stage only (open, untar, inflate, split, on `threads`
/// workers as a real read would) and returns the decompressed bytes: the inflate-only
/// ceiling that the benchmarks compare a full read with.
pub fn inflate_only(specs: Vec<Spec>, threads: Option<usize>) -> Result<u64> {
    let mut p = Pipeline::start(
        specs,
        Options {
            threads,
            parse: false,
            ..Options::default()
        },
    )?;
    while p.next_batch()?.is_some() {}
    Ok(p.shared().stats().bytes_out)
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

/// The producer: inputs → work items in order, until the end or until the consumer is gone.
fn produce(
    inputs: Vec<crate::input::source::Input>,
    shared: &Shared,
    limits: SplitLimits,
    whole_limit: u64,
    work_tx: &Sender<Work>,
    order_tx: &Sender<Receiver<Done>>,
) {
    let send = |member: Arc<Member>, job: Job| {
        if shared.counters.cancel.load(Ordering::Relaxed) {
            return false;
        }
        // A chunk of lines gives one result. A whole member gives one per chunk, and its worker
        // must be able to run ahead of the consumer (which may still be draining an earlier
        // member), or members would not be read in parallel: room for up to
        // `AHEAD_RESULTS` chunks, a bounded amount of memory.
        let room = if matches!(job, Job::Member(_)) {
            AHEAD_RESULTS
        } else {
            1
        };
        let (out, results) = bounded(room);
        order_tx.send(results).is_ok() && work_tx.send(Work { member, job, out }).is_ok()
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        for input in inputs {
            let keep_going =
                read_input(input, &shared.counters, limits, whole_limit, &mut |event| {
                    match job_of(event) {
                        None => true,
                        // An input that cannot be opened ends the read.
                        Some((member, job @ Job::Failed(_))) => {
                            send(member, job);
                            false
                        }
                        Some((member, job)) => send(member, job),
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
    Arc::new(Member::default())
}

pub(crate) fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// A worker's reusable state.
struct WorkerState {
    reader: LineReader,
    builder: BatchBuilder,
}

/// A parse worker: work → batches, until the producer is done or the consumer is gone.
fn work(rx: &Receiver<Work>, config: &WorkerConfig, shared: &Shared) {
    let fresh = || WorkerState {
        reader: LineReader::new(config.needs, config.filter.clone()),
        builder: BatchBuilder::default(),
    };
    let mut state = fresh();
    for w in rx.iter() {
        let out = w.out.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(w, &mut state, config, shared)));
        if let Err(panic) = outcome {
            // A bug: the state may be half-written, so start afresh and say so.
            state = fresh();
            let _ = out.send(Done {
                error: Some(Error::Internal(format!(
                    "parse worker panicked: {}",
                    panic_text(&panic)
                ))),
                ..Done::default()
            });
        }
        if shared.counters.cancel.load(Ordering::Relaxed) {
            return;
        }
    }
}

/// Runs one work item, sending its results as they come.
fn run(w: Work, state: &mut WorkerState, config: &WorkerConfig, shared: &Shared) {
    let Work { member, job, out } = w;
    let details = || !shared.rejects_full.load(Ordering::Relaxed);
    let Job::Member(reading) = job else {
        let _ = out.send(do_job(job, &member, state, config, details()));
        return;
    };
    // A whole member: inflated and split here, its events made into jobs as the producer's.
    read_member_bytes(
        reading,
        member.clone(),
        &shared.counters,
        config.limits,
        &mut |event| match job_of(event) {
            None => true,
            Some((_, Job::Member(_))) => unreachable!("a member holds no members"),
            // The event's member: it may carry a warning for its rows.
            Some((member, job)) => out
                .send(do_job(job, &member, state, config, details()))
                .is_ok(),
        },
    );
}

/// The job an input event asks for, and the member it belongs to; None for the start of a
/// member, which needs none.
fn job_of(event: Event) -> Option<(Arc<Member>, Job)> {
    Some(match event {
        Event::Member(_) => return None,
        Event::Piece(member, piece) => (member, Job::Lines(piece)),
        Event::Whole(member, reading) => (member, Job::Member(reading)),
        Event::Corrupt {
            member,
            line,
            message,
        } => (member, Job::Corrupt { line, message }),
        Event::NotLogs { member, kind } => (member, Job::NotLogs(kind)),
        // Fatal errors belong to no member.
        Event::Failed(e) => (no_member(), Job::Failed(e)),
    })
}

/// One job's result. `details` false: rejects are only counted (the kept ones are full).
fn do_job(
    job: Job,
    member: &Member,
    state: &mut WorkerState,
    config: &WorkerConfig,
    details: bool,
) -> Done {
    let mut done = Done::default();
    let source = member.source.as_str();
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
    let WorkerState { reader, builder } = state;
    match job {
        Job::Lines(Piece::Lines { count, .. }) if !config.parse => {
            done.stats.lines += count;
            done.stats.blank += count;
        }
        Job::Lines(Piece::Lines {
            first_line, data, ..
        }) => {
            let server = member.server.as_deref();
            for (i, raw) in lines_of(&data).enumerate() {
                let line = first_line + i as u64;
                let outcome =
                    reader.read_line(raw, |rec| builder.append(source, server, line, rec));
                let counter = match outcome {
                    Ok(()) => &mut done.stats.rows,
                    Err(NotARow::Blank) => &mut done.stats.blank,
                    Err(NotARow::Filtered) => &mut done.stats.filtered,
                    Err(NotARow::Reject(e)) => {
                        reject(&mut done, line, e, raw);
                        continue;
                    }
                };
                *counter += 1;
                done.stats.lines += 1;
            }
            if !builder.is_empty() {
                let finished = builder.finish().map(|b| match member.warning {
                    Some(w) => with_warning(b, w),
                    None => b,
                });
                match finished {
                    Ok(b) => {
                        done.batch = Some(match &config.projection {
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
        Job::Corrupt { line, message } => match config.on_error {
            OnError::Raise => done.error = Some(Error::Archive(message)),
            OnError::Skip => reject(&mut done, line, message, b""),
        },
        Job::NotLogs(kind) => {
            if config.on_error == OnError::Raise {
                done.error = Some(Error::Archive(format!(
                    "{source} is not a tracking log: it looks like {kind}"
                )));
            }
        }
        Job::Failed(e) => done.error = Some(e),
        Job::Member(_) => unreachable!("whole members are run by `run`"),
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
            server: None,
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

    /// A tar of gzipped members, some damaged, in memory.
    fn damaged_export() -> Vec<u8> {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let gz = |text: &str| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let lines = |n: usize, tag: &str| -> String {
            (0..n)
                .map(|i| format!("{{\"username\":\"{tag}{i}\",\"event_type\":\"x\"}}\n"))
                .collect()
        };
        let mut bad_crc = gz(&lines(50, "c"));
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 0xff;
        let cut = gz(&lines(400, "t"));
        let members: Vec<(&str, Vec<u8>)> = vec![
            ("s1/a.log.gz", gz(&lines(300, "a"))),
            ("s1/crc.log.gz", bad_crc),
            ("s1/plain.log", lines(70, "p").into_bytes()),
            ("s2/cut.log.gz", cut[..cut.len() / 2].to_vec()),
            ("s2/empty.log", Vec::new()),
            ("s2/b.log.gz", gz(&lines(900, "b"))),
        ];
        let mut tar = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, data.as_slice()).unwrap();
        }
        tar.into_inner().unwrap()
    }

    fn summary(data: &[u8], options: Options) -> (Vec<String>, Stats, Vec<Reject>) {
        let (batches, stats, rejects) = read_all(data, options);
        let users = batches
            .iter()
            .flat_map(|b| {
                let a = b
                    .column(column_index("username").unwrap())
                    .as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .unwrap()
                    .clone();
                a.iter()
                    .map(|u| u.unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        (users, stats, rejects)
    }

    #[test]
    fn whole_members_read_by_workers_give_what_the_producer_gives() {
        let data = damaged_export();
        let mut cut = data.clone();
        cut.truncate(data.len() - 1500);
        for data in [data, cut] {
            let streamed = summary(
                &data,
                Options {
                    whole_member_limit: 0,
                    threads: Some(1),
                    batch_size: 64,
                    ..Options::default()
                },
            );
            assert!(streamed.1.rejects >= 2, "{:?}", streamed.2);
            assert_eq!(
                streamed.1.lines,
                streamed.1.rows + streamed.1.rejects + streamed.1.blank
            );
            for threads in [1, 2, 3] {
                let whole = summary(
                    &data,
                    Options {
                        threads: Some(threads),
                        batch_size: 64,
                        ..Options::default()
                    },
                );
                assert_eq!(whole, streamed);
            }
        }
    }

    #[test]
    fn inflate_only_counts_what_a_read_decompresses() {
        let data = damaged_export();
        let (_, stats, _) = read_all(&data, Options::default());
        let path = std::env::temp_dir().join(format!("edxlog-inflate-{}.tar", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        let inflated = inflate_only(vec![Spec::Path(path.clone())], Some(2)).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(inflated, stats.bytes_out);
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
