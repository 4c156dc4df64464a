//! Threads only: this module schedules the work of `decode` (one `Decoder` per worker), keeps
//! the input order and bounds the bytes in flight. Nothing here reads a line.
//!
//! One producer walks the inputs (open, gunzip, untar) and packs what it finds into work
//! items of about `CHUNK_BYTES` of text: a chunk of a big member's lines, or many small
//! members together (chunks of plain ones, and gzipped ones still compressed, which the
//! worker inflates, so that members inflate in parallel). A worker decodes an item into one
//! batch per `batch_size` rows or `BATCH_BYTES` of text, across the members it holds; so
//! ten thousand members of twenty lines give full batches, not ten thousand tiny ones, and
//! the per-item costs (a channel, a thread hand-off, a batch) are paid per few MiB.
//!
//! Order: each work item gets its own small result channel, and the producer queues those
//! channels in input order; the consumer drains them one after the other. Work is taken in
//! order, so no worker can block the one the consumer waits for.
//!
//! Memory: the producer admits an item only while the estimated bytes of the items in flight
//! (their input, and the batches they will make) fit the budget (`in_flight_limit`: enough to
//! keep every worker busy, at most `IN_FLIGHT_BYTES` whatever the number of threads), or while
//! fewer items than `MIN_ITEMS_IN_FLIGHT` are in flight; the consumer gives an item's bytes
//! back when it has taken all its batches. A worker holds at most `RESULTS_AHEAD` batches the
//! consumer has not taken.
//!
//! Dropping the `Pipeline` stops everything: every send fails and each thread returns.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::accounting::{Reject, Stats};
use crate::decode::{Decoder, Output, Plan, RejectLog};
use crate::error::{Error, Result};
use crate::input::archive::{
    read_input, read_member_bytes, Control, Counters, Event, Member, Reading, INFLATE_WHOLE_LIMIT,
};
use crate::input::lines::{Piece, SplitLimits};
use crate::input::source::{expand, Input, Spec};
use crate::options::Options;

/// How often a waiting consumer checks whether it was cancelled.
const POLL: Duration = Duration::from_millis(50);

/// Tar members up to this size (as stored) are read whole by the producer and inflated and
/// split by a worker; larger ones are streamed by the producer, so memory stays bounded.
pub(crate) const WHOLE_MEMBER_LIMIT: u64 = 16 << 20;

/// The most decompressed text in one chunk of a member's lines and in one work item. The
/// first items of a read are smaller (`FIRST_ITEM`, doubling), so every worker starts at once.
const CHUNK_BYTES: usize = 4 << 20;
const FIRST_ITEM: usize = 256 << 10;

/// The estimated bytes of work in flight (items admitted whose batches the consumer has not
/// all taken) at most: with `WORKER_COST` per worker, the memory of a read for any number of
/// threads (it allows 4 workers; 8 and 32 threads then peaked at 266-269 MB of RSS on daily
/// gzipped members, against 405-461 MB with 128 MiB and 10 workers).
pub(crate) const IN_FLIGHT_BYTES: u64 = 96 << 20;

/// The smallest budget, whatever the number of threads.
const MIN_IN_FLIGHT_BYTES: u64 = 64 << 20;

/// Items admitted whatever their cost while fewer are in flight: two workers each inflating a
/// whole daily gzip member (~36 MB of estimated cost each) still run side by side under the
/// 64 MiB budget of two threads.
const MIN_ITEMS_IN_FLIGHT: usize = 2;

/// The budget of `workers` threads: each worker's item and one more queued, and the item the
/// consumer drains. More only holds memory: with a slow consumer (a Parquet writer) the whole
/// budget stays full, so 128 MiB with 2 threads cost ~60 MB of RSS for no speed (measured on a
/// 300 MB tar: `edxlog convert` peaked at 290-344 MB with 128 MiB, 247-256 with 64 MiB).
fn in_flight_limit(workers: usize) -> u64 {
    (ITEM_COST * (2 * workers as u64 + 1)).clamp(MIN_IN_FLIGHT_BYTES, IN_FLIGHT_BYTES)
}

/// The estimated cost of a full work item: its text and the batches it makes.
const ITEM_COST: u64 = CHUNK_BYTES as u64 * (1 + BATCH_PER_TEXT);

/// What a worker holds besides its item, outside the budget's estimate: its builders' buffers
/// (kept for the next item), inflate scratch, and with glibc its own malloc arena. Measured:
/// 8 and 32 threads (10 workers) on daily gzipped members peaked at 405-461 MB of RSS with a
/// 128 MiB budget, ~30 MB a worker over it; so a worker starts only for each
/// `ITEM_COST + WORKER_COST` of budget.
const WORKER_COST: u64 = ITEM_COST;

/// Batches a worker may have made of one item that the consumer has not taken yet.
const RESULTS_AHEAD: usize = 2;

/// The batches an item makes, as a multiple of its text: the builders' buffers are about as
/// big as the text (strings are copied, JSON columns are the source's own text), plus offsets.
const BATCH_PER_TEXT: u64 = 2;

/// Knobs for the tests and benchmarks only (`Pipeline::start_tuned`); users get the defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Tar members up to this size are inflated by workers; 0: the producer reads every one.
    pub whole_member_limit: u64,
    /// Read, inflate and split only, making no rows (the inflate-only ceiling).
    pub inflate_only: bool,
    /// The bytes in flight at most; None: `in_flight_limit` of the number of workers.
    pub in_flight_bytes: Option<u64>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            whole_member_limit: WHOLE_MEMBER_LIMIT,
            inflate_only: false,
            in_flight_bytes: None,
        }
    }
}

/// A unit of work: consecutive pieces of the input, with the channel their outputs go to.
struct Work {
    items: Vec<(Arc<Member>, Job)>,
    out: Sender<Output>,
}

enum Job {
    Piece(Piece),
    /// A whole tar member as stored, and the error that cut its reading short, if any.
    Whole(Reading),
    Corrupt {
        line: u64,
        message: String,
    },
    NotLogs(&'static str),
    Failed(Error),
}

impl Job {
    /// The text it stands for, as far as the producer can tell before inflating.
    fn text_bytes(&self) -> usize {
        match self {
            Job::Piece(Piece::Lines { data, .. }) => data.len(),
            Job::Piece(Piece::LongLine { head, .. }) => head.len(),
            // A gzip stream ends with its size modulo 2^32 (of its last member, when several).
            Job::Whole(r) => match r.data.len().checked_sub(4) {
                Some(at) if r.data.len() >= 18 => {
                    let isize = u32::from_le_bytes(r.data[at..].try_into().expect("4 bytes"));
                    (isize as usize).max(r.data.len())
                }
                _ => r.data.len(),
            },
            _ => 0,
        }
    }

    /// Bytes the job holds until a worker is done with it.
    fn held_bytes(&self) -> usize {
        match self {
            // The compressed bytes, and the text inflated whole before it is split (so that a
            // failed checksum is known before any row is handed out; `INFLATE_WHOLE_LIMIT`).
            Job::Whole(r) => r.data.len() + self.text_bytes().min(INFLATE_WHOLE_LIMIT + 1),
            _ => self.text_bytes(),
        }
    }
}

/// What the consumer sees of a read, shared with the Python layer.
#[derive(Default)]
pub struct Shared {
    counters: Counters,
    /// Line counts of the results consumed so far (so the invariant always holds).
    consumed: Mutex<Stats>,
    rejects: Mutex<Option<RejectLog>>,
    /// Set once the reject log is full: workers then count rejects without building their
    /// details (every result not yet consumed comes later in input order, so none is kept).
    rejects_full: AtomicBool,
    /// The consumer is gone or stopped: every thread returns (the input stage too, at its next
    /// read: `input_control`).
    cancel: AtomicBool,
    budget: Budget,
}

impl Shared {
    pub fn stats(&self) -> Stats {
        let mut s = *lock(&self.consumed);
        s.members = self.counters.members.load(Ordering::Relaxed);
        s.bytes_in = self.counters.bytes_in.load(Ordering::Relaxed);
        s.bytes_out = self.counters.bytes_out.load(Ordering::Relaxed);
        s
    }

    pub fn rejects(&self) -> Vec<Reject> {
        lock(&self.rejects)
            .as_ref()
            .map_or_else(Vec::new, |log| log.rejects().to_vec())
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The input stage's view: our counters to update, our flag to stop at.
    fn input_control(&self) -> Control<'_> {
        Control {
            counters: &self.counters,
            cancel: &self.cancel,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Estimated bytes (and items) in flight, and the producer waiting for room.
#[derive(Default)]
struct Budget {
    used: Mutex<InFlight>,
    freed: Condvar,
    limit: u64,
}

#[derive(Default)]
struct InFlight {
    bytes: u64,
    items: usize,
}

impl Budget {
    /// Waits until `cost` fits (or fewer than `MIN_ITEMS_IN_FLIGHT` items are in flight: an
    /// item bigger than the whole budget still goes), then takes it. False when the read was
    /// cancelled meanwhile.
    fn admit(&self, cost: u64, cancel: &AtomicBool) -> bool {
        let mut used = lock(&self.used);
        while used.items >= MIN_ITEMS_IN_FLIGHT && used.bytes + cost > self.limit {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            used = self
                .freed
                .wait_timeout(used, POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        used.bytes += cost;
        used.items += 1;
        true
    }

    /// An item's batches are all taken: its cost is free again.
    fn release(&self, cost: u64) {
        let mut used = lock(&self.used);
        used.bytes = used.bytes.saturating_sub(cost);
        used.items = used.items.saturating_sub(1);
        self.freed.notify_all();
    }

    /// Wakes a producer waiting for room (to see that the read was cancelled).
    fn wake(&self) {
        self.freed.notify_all();
    }
}

pub struct Pipeline {
    shared: Arc<Shared>,
    schema: SchemaRef,
    /// The result channels of the work items, in input order, with the bytes each holds.
    order: Option<Receiver<(Receiver<Output>, u64)>>,
    /// The one being drained.
    current: Option<(Receiver<Output>, u64)>,
    threads: Vec<JoinHandle<()>>,
    finished: bool,
}

/// What every worker needs to know, shared.
struct WorkerConfig {
    plan: Arc<Plan>,
    limits: SplitLimits,
    inflate_only: bool,
}

impl Pipeline {
    /// Checks the arguments and inputs, then starts the threads.
    pub fn start(specs: Vec<Spec>, options: Options) -> Result<Pipeline> {
        Pipeline::start_tuned(specs, options, Tuning::default())
    }

    /// `start` with internal knobs, for tests and benchmarks.
    pub(crate) fn start_tuned(
        specs: Vec<Spec>,
        options: Options,
        tuning: Tuning,
    ) -> Result<Pipeline> {
        let plan = Arc::new(Plan::new(&options)?);
        let inputs = expand(specs)?;
        // No more workers than the budget keeps busy: the others would only wait for room,
        // each holding its own buffers (and, with glibc, its own malloc arena).
        let most = tuning.in_flight_bytes.unwrap_or(IN_FLIGHT_BYTES);
        let busy = (most / (ITEM_COST + WORKER_COST)).max(1) as usize;
        let workers = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, busy);
        let limit = tuning
            .in_flight_bytes
            .unwrap_or_else(|| in_flight_limit(workers));
        let shared = Arc::new(Shared {
            rejects: Mutex::new(Some(RejectLog::new(options.max_rejects))),
            rejects_full: AtomicBool::new(options.max_rejects == 0),
            budget: Budget {
                limit,
                ..Budget::default()
            },
            ..Shared::default()
        });
        // Items are few MiB each and bounded by the budget: these counts only keep tiny
        // items (an input of empty members) from queueing without end.
        let (work_tx, work_rx) = bounded::<Work>(workers + 64);
        let (order_tx, order_rx) = bounded::<(Receiver<Output>, u64)>(workers + 64);
        let limits = SplitLimits {
            max_lines: options.batch_size,
            max_bytes: CHUNK_BYTES,
            max_line_bytes: options.max_line_bytes,
        };
        let config = Arc::new(WorkerConfig {
            plan: plan.clone(),
            limits,
            inflate_only: tuning.inflate_only,
        });
        let mut threads = Vec::new();
        {
            let shared = shared.clone();
            let mut packer = Packer {
                shared: shared.clone(),
                work_tx,
                order_tx,
                items: Vec::new(),
                text: 0,
                lines: 0,
                cost: 0,
                sent: 0,
                batch_size: options.batch_size,
            };
            let whole_limit = tuning.whole_member_limit;
            threads.push(spawn("edxlog-reader", move || {
                produce(inputs, &shared, limits, whole_limit, &mut packer)
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
            schema: plan.schema(),
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
                (Some((current, _)), _) => current.recv_timeout(POLL).map(Some),
                (None, Some(order)) => order.recv_timeout(POLL).map(|next| {
                    self.current = Some(next);
                    None
                }),
                (None, None) => break,
            };
            let output = match received {
                Ok(Some(output)) => output,
                Ok(None) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    if cancelled() {
                        self.stop();
                        return Err(Error::Cancelled);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => match self.current.take() {
                    // That item is done: its bytes are no longer in flight.
                    Some((_, cost)) => {
                        self.shared.budget.release(cost);
                        continue;
                    }
                    // No more work items: every thread has ended. The end.
                    None => {
                        self.stop();
                        return Ok(None);
                    }
                },
            };
            if let Some(b) = self.consume(output)? {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Counts an output in (keeping its rejects while there is room) and gives its batch.
    fn consume(&mut self, output: Output) -> Result<Option<RecordBatch>> {
        let Output {
            batch,
            mut stats,
            rejects,
            error,
        } = output;
        if !rejects.is_empty() {
            if let Some(log) = lock(&self.shared.rejects).as_mut() {
                log.keep(rejects, &mut stats);
                if log.is_full() {
                    self.shared.rejects_full.store(true, Ordering::Relaxed);
                }
            }
        }
        lock(&self.shared.consumed).add(&stats);
        if let Some(e) = error {
            self.stop();
            return Err(e);
        }
        Ok(batch.filter(|b| b.num_rows() > 0))
    }

    /// Stops the threads: closing our ends makes every send fail, and each thread returns.
    pub fn stop(&mut self) {
        self.finished = true;
        self.shared.cancel.store(true, Ordering::Relaxed);
        self.shared.budget.wake();
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
    let mut p = Pipeline::start_tuned(
        specs,
        Options {
            threads,
            ..Options::default()
        },
        Tuning {
            inflate_only: true,
            ..Tuning::default()
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

/// The producer's side of the work queue: packs consecutive jobs into work items.
struct Packer {
    shared: Arc<Shared>,
    work_tx: Sender<Work>,
    order_tx: Sender<(Receiver<Output>, u64)>,
    items: Vec<(Arc<Member>, Job)>,
    /// Text, lines and estimated cost of `items`.
    text: usize,
    lines: usize,
    cost: u64,
    /// Items sent so far (their size ramps up from `FIRST_ITEM`).
    sent: u32,
    batch_size: usize,
}

impl Packer {
    /// Adds a job; sends the item when it is full. False when the consumer is gone.
    fn add(&mut self, member: Arc<Member>, job: Job) -> bool {
        let text = job.text_bytes();
        let lines = match &job {
            Job::Piece(Piece::Lines { count, .. }) => *count as usize,
            _ => 0,
        };
        // An item of at most `batch_size` lines makes one batch, not a full one and a scrap.
        let full = self.text + text > CHUNK_BYTES || self.lines + lines > self.batch_size;
        if !self.items.is_empty() && full && !self.send() {
            return false;
        }
        let last = matches!(job, Job::Failed(_));
        // Its input, and the batches it makes; a worker makes at most `RESULTS_AHEAD` + 1
        // batches of a whole member before the consumer takes some.
        let batches = text.min((RESULTS_AHEAD + 1) * crate::decode::BATCH_BYTES);
        self.cost += (job.held_bytes() + batches * BATCH_PER_TEXT as usize) as u64;
        self.text += text;
        self.lines += lines;
        self.items.push((member, job));
        let target = FIRST_ITEM
            .saturating_mul(1 << self.sent.min(16))
            .min(CHUNK_BYTES);
        if last || self.text >= target || self.lines >= self.batch_size {
            return self.send();
        }
        true
    }

    /// Sends the item being packed (if any), once the budget has room for it.
    fn send(&mut self) -> bool {
        if self.items.is_empty() {
            return true;
        }
        let (cost, items) = (self.cost, std::mem::take(&mut self.items));
        (self.text, self.lines, self.cost) = (0, 0, 0);
        self.sent += 1;
        let shared = &self.shared;
        if shared.cancelled() || !shared.budget.admit(cost, &shared.cancel) {
            return false;
        }
        let (out, results) = bounded(RESULTS_AHEAD);
        if self.order_tx.send((results, cost)).is_err() {
            return false;
        }
        self.work_tx.send(Work { items, out }).is_ok()
    }
}

/// The producer: inputs → work items in order, until the end or until the consumer is gone.
fn produce(
    inputs: Vec<Input>,
    shared: &Shared,
    limits: SplitLimits,
    whole_limit: u64,
    packer: &mut Packer,
) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        for input in inputs {
            let keep_going = read_input(
                input,
                shared.input_control(),
                limits,
                whole_limit,
                &mut |event| {
                    match job_of(event) {
                        None => true,
                        // An input that cannot be opened ends the read.
                        Some((member, job @ Job::Failed(_))) => {
                            packer.add(member, job);
                            false
                        }
                        Some((member, job)) => packer.add(member, job),
                    }
                },
            );
            if !keep_going {
                return;
            }
        }
        packer.send();
    }));
    if let Err(panic) = result {
        packer.items.clear();
        packer.add(
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

/// A parse worker: work → batches, until the producer is done or the consumer is gone.
fn work(rx: &Receiver<Work>, config: &WorkerConfig, shared: &Shared) {
    let mut decoder = Decoder::new(config.plan.clone());
    loop {
        let w = match rx.try_recv() {
            Ok(w) => w,
            Err(_) => {
                // Idle: give back the builders' buffers (sized for the last batch) while
                // waiting, so idle workers hold no memory.
                decoder.release_buffers();
                match rx.recv() {
                    Ok(w) => w,
                    Err(_) => return,
                }
            }
        };
        let out = w.out.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(w, &mut decoder, config, shared)));
        if let Err(panic) = outcome {
            // A bug: the decoder may be half-written, so start afresh and say so.
            decoder = Decoder::new(config.plan.clone());
            let _ = out.send(Output {
                error: Some(Error::Internal(format!(
                    "parse worker panicked: {}",
                    panic_text(&panic)
                ))),
                ..Output::default()
            });
        }
        if shared.cancelled() {
            return;
        }
    }
}

/// Decodes one work item, sending its outputs as they come. False when the consumer is gone.
fn run(w: Work, decoder: &mut Decoder, config: &WorkerConfig, shared: &Shared) -> bool {
    let Work { items, out } = w;
    let send_ready = |decoder: &mut Decoder| {
        while let Some(output) = decoder.take() {
            if out.send(output).is_err() {
                return false;
            }
        }
        true
    };
    decoder.set_reject_details(!shared.rejects_full.load(Ordering::Relaxed));
    for (member, job) in items {
        match job {
            Job::Piece(_) if config.inflate_only => {}
            Job::Piece(piece) => decoder.push_piece(&member, &piece),
            // A whole member: inflated and split here.
            Job::Whole(reading) => {
                let mut keep_going = true;
                read_member_bytes(
                    reading,
                    member,
                    shared.input_control(),
                    config.limits,
                    &mut |event| {
                        if !(config.inflate_only && matches!(event, Event::Piece(..))) {
                            decoder.push_event(event);
                        }
                        // A big member makes batches of at most a chunk, as if streamed.
                        if decoder.buffered_bytes() >= CHUNK_BYTES {
                            decoder.flush();
                        }
                        keep_going = send_ready(decoder);
                        keep_going
                    },
                );
                if !keep_going {
                    return false;
                }
            }
            Job::Corrupt { line, message } => decoder.push_corrupt(&member, line, message),
            Job::NotLogs(kind) => decoder.push_not_logs(&member, kind),
            Job::Failed(e) => decoder.fail(e),
        }
        if !send_ready(decoder) {
            return false;
        }
    }
    decoder.flush();
    send_ready(decoder)
}

/// The job an input event asks for, and the member it belongs to; None for the start of a
/// member, which needs none.
fn job_of(event: Event) -> Option<(Arc<Member>, Job)> {
    Some(match event {
        Event::Member(_) => return None,
        Event::Piece(member, piece) => (member, Job::Piece(piece)),
        Event::Whole(member, reading) => (member, Job::Whole(reading)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::schema::column_index;
    use crate::options::OnError;
    use std::io::Cursor;

    fn stream(data: &[u8]) -> Spec {
        Spec::Stream {
            name: "mem".into(),
            server: None,
            reader: Box::new(Cursor::new(data.to_vec())),
        }
    }

    fn read_all(data: &[u8], options: Options) -> (Vec<RecordBatch>, Stats, Vec<Reject>) {
        read_all_tuned(data, options, Tuning::default())
    }

    fn read_all_tuned(
        data: &[u8],
        options: Options,
        tuning: Tuning,
    ) -> (Vec<RecordBatch>, Stats, Vec<Reject>) {
        let mut p = Pipeline::start_tuned(vec![stream(data)], options, tuning).unwrap();
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
        summary_tuned(data, options, Tuning::default())
    }

    fn summary_tuned(
        data: &[u8],
        options: Options,
        tuning: Tuning,
    ) -> (Vec<String>, Stats, Vec<Reject>) {
        let (batches, stats, rejects) = read_all_tuned(data, options, tuning);
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
            let streamed = summary_tuned(
                &data,
                Options {
                    threads: Some(1),
                    batch_size: 64,
                    ..Options::default()
                },
                Tuning {
                    whole_member_limit: 0,
                    ..Tuning::default()
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

    /// A tar of `n` members of `lines` lines each, gzipped or plain, in memory.
    fn tar_of_members(n: usize, lines: usize, gzip: bool) -> Vec<u8> {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut tar = tar::Builder::new(Vec::new());
        for m in 0..n {
            let text: String = (0..lines)
                .map(|i| format!("{{\"username\":\"m{m}-{i}\"}}\n"))
                .collect();
            let data = if gzip {
                let mut e = GzEncoder::new(Vec::new(), Compression::fast());
                e.write_all(text.as_bytes()).unwrap();
                e.finish().unwrap()
            } else {
                text.into_bytes()
            };
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, format!("srv/m{m}.log"), data.as_slice())
                .unwrap();
        }
        tar.into_inner().unwrap()
    }

    #[test]
    fn small_members_fill_batches_in_input_order() {
        let want: Vec<String> = (0..300)
            .flat_map(|m| (0..20).map(move |i| format!("m{m}-{i}")))
            .collect();
        for gzip in [false, true] {
            let data = tar_of_members(300, 20, gzip);
            for threads in [1, 3] {
                let options = Options {
                    threads: Some(threads),
                    batch_size: 1000,
                    ..Options::default()
                };
                let (batches, stats, _) = read_all(&data, options.clone());
                let sizes: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
                assert_eq!(sizes, [1000; 6], "gzip {gzip}, threads {threads}");
                assert_eq!((stats.members, stats.rows), (300, 6000));
                let (users, _, _) = summary(&data, options);
                assert_eq!(users, want);
            }
        }
    }

    #[test]
    fn a_budget_smaller_than_one_item_still_reads_everything_in_order() {
        let data = damaged_export();
        let options = Options {
            threads: Some(3),
            batch_size: 64,
            ..Options::default()
        };
        let tiny = Tuning {
            in_flight_bytes: Some(1),
            ..Tuning::default()
        };
        assert_eq!(
            summary_tuned(&data, options.clone(), tiny),
            summary(&data, options)
        );
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
