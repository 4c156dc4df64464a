//! A member's decompressed bytes → chunks of whole lines, with line numbers.
//!
//! Memory stays bounded: a line longer than `max_line_bytes` is not buffered; its first
//! `RAW_LIMIT` bytes are kept for the reject and the rest is skipped up to the next `\n`.

use std::io::{ErrorKind, Read};

use memchr::memchr_iter;

use crate::accounting::RAW_LIMIT;

/// What the splitter hands on, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Whole lines (each ends with `\n`, but perhaps the member's last), the first numbered
    /// `first_line`, `count` of them.
    Lines {
        first_line: u64,
        count: u64,
        data: Vec<u8>,
    },
    /// A line longer than the limit: its number, length and first bytes.
    LongLine { line: u64, len: u64, head: Vec<u8> },
}

#[derive(Debug, Clone, Copy)]
pub struct SplitLimits {
    pub max_lines: usize,
    pub max_bytes: usize,
    pub max_line_bytes: usize,
}

/// How a member's reading ended.
#[derive(Debug)]
pub(crate) struct MemberEnd {
    /// Lines handed on (as pieces).
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The read error that cut the member short, if any.
    pub error: Option<std::io::Error>,
    /// Whether `emit` asked to stop.
    pub stopped: bool,
}

const READ_SIZE: usize = 256 * 1024;

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the first chunk buffer of a member reserves: most members of an export are small,
/// and a big one grows it (copying at most `FIRST_CHUNK`) before later chunks reserve in full.
const FIRST_CAPACITY: usize = 64 << 10;
/// The most a chunk buffer reserves up front (chunks are at most `max_bytes` + one line).
const CHUNK_CAPACITY: usize = 16 << 20;

/// Reads `reader` to its end, handing pieces to `emit` (which returns false to stop).
pub(crate) fn split_lines(
    reader: &mut dyn Read,
    limits: SplitLimits,
    emit: &mut dyn FnMut(Piece) -> bool,
) -> MemberEnd {
    let mut s = Splitter::new(limits);
    // One read buffer per thread, reused member after member: a fresh zeroed 256 KiB per
    // member was most of the cost of a member of a few lines.
    let mut buf = READ_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    buf.resize(READ_SIZE, 0);
    let mut bytes = 0u64;
    let error = loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        };
        bytes += n as u64;
        if !s.feed(&buf[..n], emit) {
            break None;
        }
    };
    READ_BUFFER.with(|b| *b.borrow_mut() = buf);
    if !s.stopped {
        s.finish(error.is_none(), emit);
    }
    MemberEnd {
        lines: s.next_line - 1,
        bytes,
        error,
        stopped: s.stopped,
    }
}

struct Splitter {
    limits: SplitLimits,
    /// Whole lines not yet handed on, then the start of a partial line.
    pending: Vec<u8>,
    pending_lines: u64,
    /// Where the partial line starts in `pending`.
    partial_start: usize,
    next_line: u64,
    /// A line over the limit being skipped: its head and length so far.
    long: Option<(Vec<u8>, u64)>,
    stopped: bool,
    /// Chunks of lines handed on so far (for `chunk_bytes`).
    chunks_sent: u32,
    /// Bytes of the last chunk handed on (for `chunk_buffer`).
    last_chunk: usize,
    /// In `finish`: the last chunk is being handed on.
    ending: bool,
}

/// The first chunk of a member holds at most this much; each next one twice as much, up to
/// `max_bytes`. Small first chunks let every worker start at once (and end together), which
/// keeps the fixed cost of a read low; big later ones keep the per-batch cost low.
const FIRST_CHUNK: usize = 256 << 10;

impl Splitter {
    fn new(limits: SplitLimits) -> Splitter {
        let mut s = Splitter {
            limits,
            pending: Vec::new(),
            pending_lines: 0,
            partial_start: 0,
            next_line: 1,
            long: None,
            stopped: false,
            chunks_sent: 0,
            last_chunk: 0,
            ending: false,
        };
        s.pending = Vec::with_capacity(FIRST_CAPACITY);
        s
    }

    /// A buffer for the next chunk with room for all of it (the chunk's size plus one read),
    /// so it never regrows: each doubling of a multi-MiB buffer is a copy and fresh pages.
    /// When chunks end at `max_lines` long before `max_bytes` (a small `batch_size`, or runs
    /// of blank lines), it reserves twice the last chunk instead: a fresh multi-MiB buffer
    /// per chunk of a few lines made the allocator map and unmap memory for every chunk (a
    /// fuzz input of 95,000 blank lines with `batch_size` 7 took 11 s under ASan, 8 s of it
    /// in system calls; 283,000 blank lines still 3.5 s while each buffer kept a read's room).
    fn chunk_buffer(&self) -> Vec<u8> {
        let full = self.chunk_bytes().min(CHUNK_CAPACITY) + READ_SIZE;
        let small = 2 * self.last_chunk;
        if self.last_chunk > 0 && small < full / 2 {
            // Lines ran out before bytes: no room for a whole read either (the buffer grows
            // if one lands in it, which is cheap at this size).
            Vec::with_capacity(small.max(4096))
        } else {
            Vec::with_capacity(full)
        }
    }

    /// The size the chunk being filled may reach.
    fn chunk_bytes(&self) -> usize {
        let ramp = FIRST_CHUNK.saturating_mul(1 << self.chunks_sent.min(16));
        ramp.min(self.limits.max_bytes)
    }

    fn feed(&mut self, mut data: &[u8], emit: &mut dyn FnMut(Piece) -> bool) -> bool {
        while !data.is_empty() {
            if let Some((head, len)) = &mut self.long {
                match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        *len += i as u64;
                        let room = RAW_LIMIT.saturating_sub(head.len());
                        head.extend_from_slice(&data[..room.min(i)]);
                        let (head, len) = self.long.take().expect("long line in progress");
                        let piece = Piece::LongLine {
                            line: self.next_line,
                            len,
                            head,
                        };
                        self.next_line += 1;
                        if !self.send(emit, piece) {
                            return false;
                        }
                        data = &data[i + 1..];
                    }
                    None => {
                        *len += data.len() as u64;
                        let room = RAW_LIMIT.saturating_sub(head.len());
                        head.extend_from_slice(&data[..room.min(data.len())]);
                        return true;
                    }
                }
                continue;
            }
            // Take whole lines one by one up to the chunk limits.
            let mut consumed = 0;
            for nl in memchr_iter(b'\n', data) {
                let line_len = self.pending.len() - self.partial_start + (nl - consumed);
                if line_len > self.limits.max_line_bytes {
                    // An overlong line that ends here: hand on what came before, then it.
                    if !self.flush(emit) {
                        return false;
                    }
                    let mut head = std::mem::take(&mut self.pending);
                    head.extend_from_slice(&data[consumed..nl]);
                    head.truncate(RAW_LIMIT);
                    self.partial_start = 0;
                    let piece = Piece::LongLine {
                        line: self.next_line,
                        len: line_len as u64,
                        head,
                    };
                    self.next_line += 1;
                    if !self.send(emit, piece) {
                        return false;
                    }
                } else {
                    self.pending.extend_from_slice(&data[consumed..=nl]);
                    self.partial_start = self.pending.len();
                    self.pending_lines += 1;
                    if (self.pending_lines as usize >= self.limits.max_lines
                        || self.pending.len() >= self.chunk_bytes())
                        && !self.flush(emit)
                    {
                        return false;
                    }
                }
                consumed = nl + 1;
            }
            let rest = &data[consumed..];
            let partial_len = self.pending.len() - self.partial_start + rest.len();
            if partial_len > self.limits.max_line_bytes {
                // Start skipping: keep the head only.
                if !self.flush(emit) {
                    return false;
                }
                let mut head = std::mem::take(&mut self.pending);
                head.extend_from_slice(&rest[..rest.len().min(RAW_LIMIT)]);
                head.truncate(RAW_LIMIT);
                self.partial_start = 0;
                self.long = Some((head, partial_len as u64));
            } else {
                self.pending.extend_from_slice(rest);
            }
            return true;
        }
        true
    }

    /// Hands on the whole lines gathered so far, keeping any partial line.
    fn flush(&mut self, emit: &mut dyn FnMut(Piece) -> bool) -> bool {
        if self.pending_lines == 0 {
            return true;
        }
        self.chunks_sent += 1;
        self.last_chunk = self.partial_start;
        // At the member's end no chunk follows: no buffer for one.
        let mut next = if self.ending {
            Vec::new()
        } else {
            self.chunk_buffer()
        };
        next.extend_from_slice(&self.pending[self.partial_start..]);
        self.pending.truncate(self.partial_start);
        let mut data = std::mem::replace(&mut self.pending, next);
        if self.ending && data.capacity() > 2 * data.len() {
            // A small member's last chunk may wait in a work item with many others.
            data.shrink_to_fit();
        }
        self.partial_start = 0;
        let piece = Piece::Lines {
            first_line: self.next_line,
            count: self.pending_lines,
            data,
        };
        self.next_line += self.pending_lines;
        self.pending_lines = 0;
        self.send(emit, piece)
    }

    /// At the end of the member: the last line counts even without `\n`. When the member was
    /// cut by an error, a partial last line is dropped (the member's reject covers it).
    fn finish(&mut self, clean_end: bool, emit: &mut dyn FnMut(Piece) -> bool) {
        self.ending = true;
        if let Some((head, len)) = self.long.take() {
            if !self.flush(emit) {
                return;
            }
            if clean_end {
                let piece = Piece::LongLine {
                    line: self.next_line,
                    len,
                    head,
                };
                self.next_line += 1;
                self.send(emit, piece);
            }
            return;
        }
        if clean_end && self.pending.len() > self.partial_start {
            self.partial_start = self.pending.len();
            self.pending_lines += 1;
        } else {
            self.pending.truncate(self.partial_start);
        }
        self.flush(emit);
    }

    fn send(&mut self, emit: &mut dyn FnMut(Piece) -> bool, piece: Piece) -> bool {
        if !emit(piece) {
            self.stopped = true;
        }
        !self.stopped
    }
}

/// Iterates the lines of a `Piece::Lines` buffer, without their `\n`.
pub fn lines_of(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    // memchr finds the newlines a vector at a time; `slice::split` tests byte by byte.
    let mut start = 0;
    let mut ends = memchr_iter(b'\n', data).chain(std::iter::once(data.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = &data[start..end];
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per read, to cross every boundary.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn split(data: &[u8], step: usize, limits: SplitLimits) -> (Vec<(u64, Vec<u8>)>, MemberEnd) {
        let mut out = Vec::new();
        let end = split_lines(&mut Trickle { data, step }, limits, &mut |p| {
            match p {
                Piece::Lines {
                    first_line,
                    count,
                    data,
                } => {
                    let lines: Vec<_> = lines_of(&data).collect();
                    assert_eq!(lines.len() as u64, count);
                    for (i, l) in lines.into_iter().enumerate() {
                        out.push((first_line + i as u64, l.to_vec()));
                    }
                }
                Piece::LongLine { line, len, head } => out.push((
                    line,
                    format!("LONG {len} {}", String::from_utf8_lossy(&head)).into_bytes(),
                )),
            }
            true
        });
        (out, end)
    }

    const WIDE: SplitLimits = SplitLimits {
        max_lines: 3,
        max_bytes: 1 << 20,
        max_line_bytes: 1 << 20,
    };

    #[test]
    fn line_numbers_survive_every_buffer_boundary() {
        let data = b"a\nbb\n\nccc\r\ndddd\ne";
        for step in 1..data.len() + 1 {
            let (lines, end) = split(data, step, WIDE);
            let want: Vec<(u64, Vec<u8>)> = vec![
                (1, b"a".to_vec()),
                (2, b"bb".to_vec()),
                (3, b"".to_vec()),
                (4, b"ccc\r".to_vec()),
                (5, b"dddd".to_vec()),
                (6, b"e".to_vec()),
            ];
            assert_eq!(lines, want, "step {step}");
            assert_eq!(end.lines, 6);
            assert_eq!(end.bytes, data.len() as u64);
        }
    }

    #[test]
    fn trailing_newline_does_not_add_a_line() {
        let (lines, end) = split(b"x\ny\n", 2, WIDE);
        assert_eq!(lines.len(), 2);
        assert_eq!(end.lines, 2);
        let (lines, _) = split(b"", 2, WIDE);
        assert!(lines.is_empty());
    }

    #[test]
    fn overlong_lines_become_long_pieces_with_bounded_heads() {
        let limits = SplitLimits {
            max_lines: 100,
            max_bytes: 1 << 20,
            max_line_bytes: 5,
        };
        let mut data = b"ok\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 10_000));
        data.extend(b"\nfine\n123456");
        for step in [1, 3, 7, 64, 100_000] {
            let (lines, end) = split(&data, step, limits);
            assert_eq!(lines[0], (1, b"ok".to_vec()));
            assert_eq!(lines[1].0, 2);
            assert!(lines[1].1.starts_with(b"LONG 10000 xxxx"));
            assert_eq!(lines[1].1.len(), "LONG 10000 ".len() + RAW_LIMIT);
            assert_eq!(lines[2], (3, b"fine".to_vec()));
            assert_eq!(lines[3], (4, b"LONG 6 123456".to_vec()), "step {step}");
            assert_eq!(end.lines, 4);
        }
    }

    #[test]
    fn chunks_respect_the_line_limit() {
        let mut pieces = 0;
        split_lines(&mut &b"1\n2\n3\n4\n5\n6\n7\n"[..], WIDE, &mut |p| {
            if let Piece::Lines { count, .. } = p {
                assert!(count <= 3);
                pieces += 1;
            }
            true
        });
        assert_eq!(pieces, 3);
    }

    #[test]
    fn a_read_error_keeps_the_whole_lines_before_it() {
        struct Broken(bool);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 {
                    return Err(std::io::Error::other("bad crc"));
                }
                self.0 = true;
                buf[..7].copy_from_slice(b"a\nb\npar");
                Ok(7)
            }
        }
        let mut got = Vec::new();
        let end = split_lines(&mut Broken(false), WIDE, &mut |p| {
            got.push(p);
            true
        });
        assert_eq!(end.lines, 2);
        assert!(end.error.is_some());
        assert_eq!(
            got,
            [Piece::Lines {
                first_line: 1,
                count: 2,
                data: b"a\nb\n".to_vec()
            }]
        );
    }
}
