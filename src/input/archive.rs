//! One input → its members → pieces of lines. Tar archives are walked member by member
//! (GNU long names and PAX headers by the `tar` crate); every member and the outer stream are
//! gunzipped when their magic bytes say gzip. Damage ends a member with one event; rows before
//! it are already handed on.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tar::EntryType;

use super::decompress::{binary_kind, is_gzip, is_tar, maybe_gunzip, peek, GZIP_MAGIC};
use super::lines::{split_lines, Piece, SplitLimits};
use super::source::Input;
use crate::error::Error;

/// Where rows come from: `source` and `server` columns.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    pub source: String,
    pub server: Option<String>,
}

/// What reading an input hands on, in order.
pub enum Event {
    /// A member starts.
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
    /// Set when the consumer is gone: reading stops at the next read of a member's data
    /// (so a long member without a send, such as a line of gigabytes, does not run on).
    pub cancel: AtomicBool,
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

/// Reads a member that the producer read whole: exactly as `read_member` would have read it
/// from the archive, the same damage at the same place.
pub fn read_member_bytes(
    reading: Reading,
    member: Arc<Member>,
    counters: &Counters,
    limits: SplitLimits,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    // Only gzipped members are read whole (see `read_tar`), so this is an inflating read.
    let reader = io::Cursor::new(reading.data).chain(FailAtEnd(reading.error));
    read_member(Box::new(reader), member, counters, limits, emit)
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
    counters: &Counters,
    limits: SplitLimits,
    whole_limit: u64,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    let name = input.name.clone();
    let server = input.server.clone();
    let reader = match input.open(counters.bytes_in.clone()) {
        Ok(r) => r,
        Err(e) => return emit(Event::Failed(e)),
    };
    let whole = Arc::new(Member {
        source: name.clone(),
        server,
    });
    let outer = match maybe_gunzip(reader).and_then(|r| peek(r, SNIFF)) {
        Ok((head, r)) if is_tar(&head) => {
            return read_tar(r, &name, counters, limits, whole_limit, emit)
        }
        Ok((_, r)) => r,
        Err(e) => {
            counters.members.fetch_add(1, Ordering::Relaxed);
            return emit(Event::Member(whole.clone())) && emit(damage(&whole, 1, e, 0));
        }
    };
    read_member(outer, whole, counters, limits, emit)
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

/// Reads one member's lines (a tar member arrives wrapped in `Sized`, so a cut archive is damage).
fn read_member(
    reader: Box<dyn Read + '_>,
    member: Arc<Member>,
    counters: &Counters,
    limits: SplitLimits,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    counters.members.fetch_add(1, Ordering::Relaxed);
    if !emit(Event::Member(member.clone())) {
        return false;
    }
    let (head, body) = match maybe_gunzip(reader).and_then(|r| peek(r, SNIFF)) {
        Ok(x) => x,
        Err(e) => return emit(damage(&member, 1, e, 0)),
    };
    let mut body = Cancellable {
        inner: body,
        cancel: &counters.cancel,
    };
    if let Some(kind) = binary_kind(&head) {
        if !emit(Event::NotLogs {
            member: member.clone(),
            kind,
        }) {
            return false;
        }
    }
    let end = split_lines(&mut body, limits, &mut |piece| {
        emit(Event::Piece(member.clone(), piece))
    });
    counters.bytes_out.fetch_add(end.bytes, Ordering::Relaxed);
    if end.stopped {
        return false;
    }
    match end.error {
        Some(e) => emit(damage(&member, end.lines + 1, e, end.bytes)),
        None => true,
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

/// Notes when the stream under a tar archive fails or ends.
struct EndWatch<R> {
    inner: R,
    ended: Arc<AtomicBool>,
}

impl<R: Read> Read for EndWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        if !buf.is_empty() && !matches!(r, Ok(n) if n > 0) {
            self.ended.store(true, Ordering::Relaxed);
        }
        r
    }
}

/// Marks errors of the underlying source, as opposed to damage found while decoding it.
#[derive(Debug)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceError {}

/// A tar member's data: reaching the end before the size its header declared is an error,
/// so a cut archive is damage like a cut gzip stream (and its partial last line is dropped).
struct Sized<R> {
    inner: R,
    read: u64,
    size: u64,
}

impl<R: Read> Read for Sized<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() && self.read < self.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "archive ends inside the member ({} of {} bytes)",
                    self.read, self.size
                ),
            ));
        }
        Ok(n)
    }
}

fn server_of(path: &str) -> Option<String> {
    let mut parts = path.split('/').filter(|p| !p.is_empty() && *p != ".");
    let first = parts.next()?;
    parts.next().map(|_| first.to_string())
}

fn read_tar(
    reader: Box<dyn Read + '_>,
    archive_name: &str,
    counters: &Counters,
    limits: SplitLimits,
    whole_limit: u64,
    emit: &mut dyn FnMut(Event) -> bool,
) -> bool {
    let outer_ended = Arc::new(AtomicBool::new(false));
    let reader = Box::new(EndWatch {
        inner: reader,
        ended: outer_ended.clone(),
    });
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return emit(archive_damage(archive_name, &e, 0)),
    };
    let mut last_member_failed = false;
    // Where the next header starts (decompressed archive bytes), for the damage message.
    let mut next_header = 0u64;
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            // The archive itself is damaged past here. When a member already reported the
            // damage that ended the stream (a cut .tar.gz), that one reject says it all.
            Err(e) => {
                let same_damage = last_member_failed && outer_ended.load(Ordering::Relaxed);
                return same_damage || emit(archive_damage(archive_name, &e, next_header));
            }
        };
        next_header = entry.raw_file_position() + entry.size().div_ceil(512) * 512;
        if !matches!(
            entry.header().entry_type(),
            EntryType::Regular | EntryType::Continuous
        ) {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let declared = entry.size();
        let member = Arc::new(Member {
            server: server_of(&path),
            source: path,
        });
        let mut sized = Sized {
            inner: entry,
            read: 0,
            size: declared,
        };
        // Whole-member reading pays off for gzip (members inflate in parallel); plain members
        // are split by this thread as they stream, which costs no extra copy.
        let mut head = Vec::with_capacity(GZIP_MAGIC.len());
        let head_error = (&mut sized)
            .take(GZIP_MAGIC.len() as u64)
            .read_to_end(&mut head)
            .err();
        if whole_limit > 0 && declared <= whole_limit && head_error.is_none() && is_gzip(&head) {
            let mut data = Vec::with_capacity(declared as usize);
            data.extend_from_slice(&head);
            // On an error, `data` keeps the bytes before it, and the member's reader meets
            // the error after them.
            let error = sized.read_to_end(&mut data).err();
            last_member_failed = error.is_some();
            if !emit(Event::Whole(member, Reading { data, error })) {
                return false;
            }
            continue;
        }
        let rest = io::Cursor::new(head)
            .chain(FailAtEnd(head_error))
            .chain(sized);
        let mut failed = false;
        let keep_going = read_member(Box::new(rest), member, counters, limits, &mut |ev| {
            failed |= matches!(ev, Event::Corrupt { .. });
            emit(ev)
        });
        if !keep_going {
            return false;
        }
        last_member_failed = failed;
    }
    // Past the end-of-archive blocks: read the padding too, so `bytes_in` is the whole input.
    let mut rest = Cancellable {
        inner: archive.into_inner(),
        cancel: &counters.cancel,
    };
    let _ = io::copy(&mut rest, &mut io::sink());
    true
}

fn archive_damage(archive_name: &str, e: &io::Error, offset: u64) -> Event {
    let member = Arc::new(Member {
        source: archive_name.to_string(),
        server: None,
    });
    Event::Corrupt {
        member,
        line: 1,
        message: format!(
            "corrupt archive {archive_name}: {e} (at decompressed byte {offset} of the archive)"
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
