//! One input → its members → pieces of lines. Tar archives are walked member by member
//! (`untar`); every member and the outer stream are gunzipped when their magic bytes say gzip
//! (`gz`). Damage gives one event; rows before it are already handed on, and reading goes on
//! after it wherever the stream allows: at the next tar header, at the next gzip member.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::decompress::{binary_kind, is_gzip, is_tar, maybe_gunzip, peek, GZIP_MAGIC};
use super::gz::{gz_damage, DamageKind, GzMembers};
use super::lines::{split_lines, Piece, SplitLimits};
use super::source::Input;
use super::untar::{Next, TarWalker};
use crate::error::Error;

/// Where rows come from: `source` and `server` columns.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Member {
    pub source: String,
    pub server: Option<String>,
    /// A warning for every row (the member's data failed its checks before any row was
    /// handed out: see `read_member_bytes`).
    pub warning: Option<&'static str>,
}

/// What reading an input hands on, in order.
pub enum Event {
    /// A member starts.
    // Only the fuzz harness reads which member (the pipeline's pieces carry it anyway): it
    // checks that every piece belongs to the member that started last.
    #[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
    Member(Arc<Member>),
    Piece(Arc<Member>, Piece),
    /// A whole small tar member as stored, for a worker to read with `read_member_bytes`
    /// (so members inflate in parallel). Its `Member` event comes from there.
    Whole(Arc<Member>, Reading),
    /// The member (or the archive) is damaged: no more lines from it. `line` is the number
    /// the next line would have had.
    Corrupt {
        member: Arc<Member>,
        line: u64,
        message: String,
    },
    /// The member is not text lines (a PNG, say): its lines will all be rejects.
    NotLogs {
        member: Arc<Member>,
        kind: &'static str,
    },
    /// The input could not be opened.
    Failed(Error),
}

/// Shared byte counters, updated as the producer reads.
#[derive(Default)]
pub struct Counters {
    pub bytes_in: Arc<AtomicU64>,
    pub bytes_out: AtomicU64,
    pub members: AtomicU64,
}

/// What the input stage shares with whoever drives it: the counters it updates, and the
/// driver's flag that tells it to stop. Once the flag is set, reading stops at the next read
/// of a member's data (so a long member without a send, such as a line of gigabytes, does not
/// run on).
#[derive(Clone, Copy)]
pub struct Control<'a> {
    pub counters: &'a Counters,
    pub cancel: &'a AtomicBool,
}

/// A member's data that fails once the read is cancelled.
struct Cancellable<'a, R> {
    inner: R,
    cancel: &'a AtomicBool,
}

impl<R: Read> Read for Cancellable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("the read was cancelled"));
        }
        self.inner.read(buf)
    }
}

const SNIFF: usize = 4096;

/// A tar member's stored bytes, and the error that ended their reading early (a cut
/// archive, a corrupt outer gzip stream), which the member's reader meets at their end.
pub struct Reading {
    pub data: Vec<u8>,
    pub error: Option<io::Error>,
}

/// A gzipped tar member read whole is inflated whole first when it inflates to at most this
/// many bytes, so that a failed checksum is known before any of its rows is handed out. Larger
/// ones stream (and their rows before the failure carry no warning). Measured (2 threads, 4
/// members of 23 MB JSON): inflating them whole first cost 16 % of the read time and 43 MB of
/// peak RSS (each worker holds a member's text), so only small members get it.
///
/// With 32 MiB, a read of daily members inflating to ~37 MB each peaked at 329 / 648 / 765 MB
/// RSS on 2 / 8 / 32 threads (benches/compare.py).
pub(crate) const INFLATE_WHOLE_LIMIT: usize = 8 << 20;

/// The warning of rows from gzip data that failed its checks.
pub(crate) const FAILED_CHECKSUM: &str = "member failed its checksum";
pub(crate) const CORRUPT_DATA: &str = "member's compressed data is corrupt";

/// Reads a member that the producer read whole: exactly as `read_member` would have read it
/// from the archive, the same damage at the same place. When it inflates whole within
/// `INFLATE_WHOLE_LIMIT`, the rows of a gzip member whose checksum fails (or whose deflate
/// data is corrupt) get a warning saying so.
pub(crate) fn read_member_bytes(
    reading: Reading,
    member: Arc<Member>,
    ctl: Control<'_>,
    limits: SplitLimits,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    // Only gzipped members are read whole (see `read_tar`), so this is an inflating read.
    let hint = size_hint(&reading.data);
    let reader = io::Cursor::new(reading.data).chain(FailAtEnd(reading.error));
    if hint > INFLATE_WHOLE_LIMIT {
        // Its last trailer says it is too big to hold: it streams.
        return read_member(Box::new(reader), member, ctl, limits, emit);
    }
    let mut gz = GzMembers::new(Cancellable {
        inner: reader,
        cancel: ctl.cancel,
    });
    let mut data = Vec::with_capacity(hint);
    let mut breaks = VecDeque::new();
    let mut verdicts = vec![];
    let whole = loop {
        if data.len() > INFLATE_WHOLE_LIMIT {
            break false;
        }
        let len = data.len();
        let want = (INFLATE_WHOLE_LIMIT + 1 - len).min(256 * 1024);
        data.resize(len + want, 0);
        match gz.read(&mut data[len..]) {
            Ok(0) => {
                data.truncate(len);
                break true;
            }
            Ok(n) => data.truncate(len + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => data.truncate(len),
            Err(e) => {
                data.truncate(len);
                let damage = gz_damage(&e);
                let resumed = damage.is_some_and(|d| d.resumed);
                let verdict = damage.and_then(|d| match d.kind {
                    DamageKind::Checksum => Some(FAILED_CHECKSUM),
                    DamageKind::Corrupt => Some(CORRUPT_DATA),
                    DamageKind::Truncated | DamageKind::NotGzip => None,
                });
                if verdict.is_some() {
                    // Only the failed gzip member's rows: a segment starts at the line
                    // holding its first byte (the earlier members' rows stay unflagged).
                    let began = len.saturating_sub(gz.member_out() as usize);
                    let line_start = memchr::memrchr(b'\n', &data[..began]).map_or(0, |i| i + 1);
                    let segment_start = breaks.back().map_or(0, |(at, _)| *at);
                    if line_start > segment_start {
                        breaks.push_back((line_start, segment_end()));
                        verdicts.push(None);
                    }
                }
                verdicts.push(verdict);
                breaks.push_back((len, e));
                if !resumed {
                    break true;
                }
            }
        }
    };
    if !whole {
        // Too big to hold: what was inflated, then the rest as it streams, no warnings.
        verdicts.clear();
    }
    let replay = Recorded {
        data,
        pos: 0,
        breaks,
        rest: (!whole).then_some(gz),
    };
    read_decoded(Box::new(replay), member, ctl, limits, &verdicts, emit)
}

/// Ends a segment of a member at a line boundary, without damage (see `read_member_bytes`).
#[derive(Debug)]
struct SegmentEnd;

impl std::fmt::Display for SegmentEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the end of a segment")
    }
}

impl std::error::Error for SegmentEnd {}

fn segment_end() -> io::Error {
    io::Error::other(SegmentEnd)
}

fn is_segment_end(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<SegmentEnd>())
}

/// The decompressed size a gzip stream's last trailer gives (modulo 4 GiB; only the last
/// member's in a multi-member stream): a hint, to skip inflating whole what will not fit and
/// to size the buffer of what will.
fn size_hint(gzip: &[u8]) -> usize {
    match gzip.len().checked_sub(4) {
        Some(at) if gzip.len() >= 18 => {
            u32::from_le_bytes(gzip[at..].try_into().expect("4 bytes")) as usize
        }
        _ => 0,
    }
}

/// Decompressed bytes with the read errors met at their places, then (when the whole did not
/// fit) the rest of the stream.
struct Recorded<R> {
    data: Vec<u8>,
    pos: usize,
    breaks: VecDeque<(usize, io::Error)>,
    rest: Option<R>,
}

impl<R: Read> Read for Recorded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let until = match self.breaks.front() {
            Some((at, _)) if *at == self.pos => {
                let (_, e) = self.breaks.pop_front().expect("a break");
                return Err(e);
            }
            Some((at, _)) => *at,
            None => self.data.len(),
        };
        let n = (until - self.pos).min(out.len());
        if n > 0 || out.is_empty() {
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        match &mut self.rest {
            Some(rest) => rest.read(out),
            None => Ok(0),
        }
    }
}

/// Gives `Ok(0)`, or once the error it holds.
struct FailAtEnd(Option<io::Error>);

impl Read for FailAtEnd {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Reads one input to its end. `emit` returns false to stop early; then so does this.
/// Tar members of at most `whole_limit` bytes (as stored) are handed on whole (0: none).
pub fn read_input(
    input: Input,
    ctl: Control<'_>,
    limits: SplitLimits,
    whole_limit: u64,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    let name = input.name.clone();
    let server = input.server.clone();
    let reader = match input.open(ctl.counters.bytes_in.clone()) {
        Ok(r) => r,
        Err(e) => return emit(Event::Failed(e)),
    };
    let whole = Arc::new(Member {
        source: name.clone(),
        server,
        warning: None,
    });
    let outer = match maybe_gunzip(reader).and_then(|r| peek(r, SNIFF)) {
        Ok((head, r)) if is_tar(&head) => {
            return read_tar(r, &name, ctl, limits, whole_limit, emit)
        }
        Ok((_, r)) => r,
        Err(e) => {
            ctl.counters.members.fetch_add(1, Ordering::Relaxed);
            return emit(Event::Member(whole.clone())) && emit(damage(&whole, 1, e, 0));
        }
    };
    read_member(outer, whole, ctl, limits, emit)
}

fn corrupt(member: &Arc<Member>, line: u64, e: &io::Error, offset: u64) -> Event {
    Event::Corrupt {
        member: member.clone(),
        line,
        message: format!(
            "corrupt member {}: {e} (at decompressed byte {offset})",
            member.source
        ),
    }
}

/// Reads one member's lines, gunzipping it when it is gzip (a tar member's data reports a
/// cut archive as an error, so that is damage too).
fn read_member(
    reader: Box<dyn Read + '_>,
    member: Arc<Member>,
    ctl: Control<'_>,
    limits: SplitLimits,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    match maybe_gunzip(reader) {
        Ok(decoded) => read_decoded(decoded, member, ctl, limits, &[], emit),
        Err(e) => {
            ctl.counters.members.fetch_add(1, Ordering::Relaxed);
            emit(Event::Member(member.clone())) && emit(damage(&member, 1, e, 0))
        }
    }
}

/// Reads one member's decompressed lines. Gzip damage that reading resumed after splits them
/// into segments: the damage is one reject numbered as the next line, and the lines after it
/// go on from there (a `SegmentEnd` splits them at a line boundary without damage).
/// `verdicts[i]` is the warning for the rows of segment `i`, if any.
fn read_decoded(
    decoded: Box<dyn Read + '_>,
    member: Arc<Member>,
    ctl: Control<'_>,
    limits: SplitLimits,
    verdicts: &[Option<&'static str>],
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    ctl.counters.members.fetch_add(1, Ordering::Relaxed);
    if !emit(Event::Member(member.clone())) {
        return false;
    }
    let (head, body) = match peek(decoded, SNIFF) {
        Ok(x) => x,
        Err(e) => return emit(damage(&member, 1, e, 0)),
    };
    let mut body = Cancellable {
        inner: body,
        cancel: ctl.cancel,
    };
    if let Some(kind) = binary_kind(&head) {
        if !emit(Event::NotLogs {
            member: member.clone(),
            kind,
        }) {
            return false;
        }
    }
    let (mut lines_before, mut bytes) = (0u64, 0u64);
    for segment in 0.. {
        let rows_of = match verdicts.get(segment).copied().flatten() {
            Some(warning) => Arc::new(Member {
                source: member.source.clone(),
                server: member.server.clone(),
                warning: Some(warning),
            }),
            None => member.clone(),
        };
        let end = split_lines(&mut body, limits, &mut |piece| {
            emit(Event::Piece(rows_of.clone(), renumber(piece, lines_before)))
        });
        ctl.counters
            .bytes_out
            .fetch_add(end.bytes, Ordering::Relaxed);
        bytes += end.bytes;
        if end.stopped {
            return false;
        }
        let Some(e) = end.error else {
            return true;
        };
        if is_segment_end(&e) {
            // At a line boundary: nothing lost, the lines go on.
            lines_before += end.lines;
            continue;
        }
        let line = lines_before + end.lines + 1;
        let resumed = gz_damage(&e).is_some_and(|d| d.resumed);
        if !emit(damage(&member, line, e, bytes)) {
            return false;
        }
        if !resumed {
            return true;
        }
        lines_before = line;
    }
    unreachable!("the segments end")
}

/// A piece of a segment, numbered within the member.
fn renumber(piece: Piece, lines_before: u64) -> Piece {
    match piece {
        Piece::Lines {
            first_line,
            count,
            data,
        } => Piece::Lines {
            first_line: first_line + lines_before,
            count,
            data,
        },
        Piece::LongLine { line, len, head } => Piece::LongLine {
            line: line + lines_before,
            len,
            head,
        },
    }
}

/// A read error is damage to the member, unless it came from the source itself (a disk
/// error, a file object opened in text mode): that ends the read with an I/O error.
fn damage(member: &Arc<Member>, line: u64, e: io::Error, offset: u64) -> Event {
    if e.get_ref().is_some_and(|inner| inner.is::<SourceError>()) {
        return Event::Failed(Error::Io(member.source.clone(), e));
    }
    corrupt(member, line, &e, offset)
}

/// Marks errors of the underlying source, as opposed to damage found while decoding it.
#[derive(Debug)]
pub(crate) struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

fn server_of(path: &str) -> Option<String> {
    let mut parts = path.split('/').filter(|p| !p.is_empty() && *p != ".");
    let first = parts.next()?;
    parts.next().map(|_| first.to_string())
}

/// Walks a tar archive's members (see `untar`: damage is skipped over, one reject per span).
fn read_tar(
    reader: Box<dyn Read + '_>,
    archive_name: &str,
    ctl: Control<'_>,
    limits: SplitLimits,
    whole_limit: u64,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    let mut walker = TarWalker::new(Cancellable {
        inner: reader,
        cancel: ctl.cancel,
    });
    // The last entry's name, and a skipped span whose reject waits for the name after it.
    let mut last: Option<String> = None;
    let mut skipped: Option<Skipped> = None;
    loop {
        let entry = match walker.next_entry() {
            Next::Entry(entry) => entry,
            Next::End => {
                if let Some(s) = skipped.take() {
                    emit(s.event(archive_name, last.as_deref(), None));
                }
                break;
            }
            Next::Fatal { message, at } => {
                let keep_going = match skipped.take() {
                    Some(s) => emit(s.event(archive_name, last.as_deref(), None)),
                    None => true,
                };
                if keep_going {
                    emit(archive_damage(archive_name, &message, at));
                }
                break;
            }
            Next::SourceFailed(e) => {
                return emit(Event::Failed(Error::Io(archive_name.to_string(), e)));
            }
            Next::Skipped { cause, from, to } => {
                let to = to.unwrap_or_else(|| walker.at());
                // Damage right after damage is one span.
                match &mut skipped {
                    Some(s) => s.to = to,
                    None => skipped = Some(Skipped { cause, from, to }),
                }
                continue;
            }
        };
        if let Some(s) = skipped.take() {
            if !emit(s.event(archive_name, last.as_deref(), Some(&entry.name))) {
                return false;
            }
        }
        last = Some(entry.name.clone());
        if !entry.regular {
            continue;
        }
        let declared = entry.size;
        let member = Arc::new(Member {
            server: server_of(&entry.name),
            source: entry.name,
            warning: None,
        });
        let mut data = walker.data();
        // Whole-member reading pays off for gzip (members inflate in parallel); plain members
        // are split by this thread as they stream, which costs no extra copy.
        let mut head = Vec::with_capacity(GZIP_MAGIC.len());
        let head_error = (&mut data)
            .take(GZIP_MAGIC.len() as u64)
            .read_to_end(&mut head)
            .err();
        if whole_limit > 0 && declared <= whole_limit && head_error.is_none() && is_gzip(&head) {
            let mut bytes = Vec::with_capacity(declared as usize);
            bytes.extend_from_slice(&head);
            // On an error, `bytes` keeps what came before it, and the member's reader meets
            // the error after them.
            let error = data.read_to_end(&mut bytes).err();
            if !emit(Event::Whole(member, Reading { data: bytes, error })) {
                return false;
            }
            continue;
        }
        let rest = io::Cursor::new(head)
            .chain(FailAtEnd(head_error))
            .chain(data);
        if !read_member(Box::new(rest), member, ctl, limits, emit) {
            return false;
        }
    }
    // Past the end-of-archive blocks: read the padding too, so `bytes_in` is the whole input.
    walker.drain();
    true
}

/// A damaged span of a tar archive that was skipped.
struct Skipped {
    cause: String,
    from: u64,
    to: u64,
}

impl Skipped {
    fn event(self, archive_name: &str, before: Option<&str>, after: Option<&str>) -> Event {
        let before = before.map_or("at the start of the archive".into(), |n| {
            format!("after {n}")
        });
        let after = after.map_or("up to the end of the archive".into(), |n| {
            format!("before {n}")
        });
        let what = format!(
            "{}; skipped bytes {}..{} {before}, {after}",
            self.cause, self.from, self.to
        );
        archive_damage(archive_name, &what, self.from)
    }
}

fn archive_damage(archive_name: &str, what: &str, offset: u64) -> Event {
    let member = Arc::new(Member {
        source: archive_name.to_string(),
        server: None,
        warning: None,
    });
    Event::Corrupt {
        member,
        line: 1,
        message: format!(
            "corrupt archive {archive_name}: {what} (at decompressed byte {offset} of the archive)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_is_the_first_of_several_components() {
        assert_eq!(server_of("prod-1/tracking.log.gz"), Some("prod-1".into()));
        assert_eq!(server_of("./prod-1/a/b.log"), Some("prod-1".into()));
        assert_eq!(server_of("tracking.log"), None);
        assert_eq!(server_of("./tracking.log"), None);
    }
}
