//! A forward-only tar reader that resynchronises after damage (contract §1a).
//!
//! Headers are walked here (ustar, GNU and pax: long names from GNU `L` records and pax `path`,
//! sizes from pax `size`, GNU sparse entries skipped with their extension blocks). When a
//! header is damaged — its checksum fails, its numbers do not parse, or a zero block (the end
//! of an archive) is followed by data that is not zeros — the walker scans forward for the next
//! header whose checksum verifies and whose fields are sane (`ustar` magic, a name, a size),
//! first at 512-byte boundaries and, when only an unaligned one turns up and no aligned one
//! follows within [`ALIGNED_PREFERENCE`] bytes, at any byte. Memory stays bounded.

use std::io::{self, Read};

use memchr::memmem;

use super::archive::SourceError;
use super::gz::gz_damage;

const BLOCK: u64 = 512;
const READ_SIZE: usize = 256 * 1024;
/// An unaligned header is taken only when no aligned one is found within this many bytes
/// after it.
pub(crate) const ALIGNED_PREFERENCE: u64 = 64 * 1024;
/// GNU long names and pax records larger than this are damage.
pub(crate) const MAX_META: u64 = 1 << 20;

/// One entry of the archive, its data next.
pub(crate) struct Entry {
    pub name: String,
    pub size: u64,
    /// A regular file ('0', NUL, '7'); everything else is skipped.
    pub regular: bool,
}

/// What the walker found next.
pub(crate) enum Next {
    Entry(Entry),
    /// The archive ended cleanly (or after damage that was already reported).
    End,
    /// Damage that ends the archive: nothing after it can be read.
    Fatal {
        message: String,
        at: u64,
    },
    /// The source itself failed (a disk error): the read ends.
    SourceFailed(io::Error),
    /// Damage at `from`; the bytes up to `to` were skipped (`None`: to the end, no header
    /// was found).
    Skipped {
        cause: String,
        from: u64,
        to: Option<u64>,
    },
}

/// The stream under the archive failed while a member's data was read.
struct Broken {
    message: String,
    /// The stream goes on after the failure (a later gzip member of a `.tar.gz`).
    resumed: bool,
    /// A member's reader saw the error (and reported it).
    reported: bool,
    /// The error, when it is the source's own (a disk error): it ends the read.
    source: Option<io::Error>,
}

pub(crate) struct TarWalker<R> {
    inner: R,
    /// `buf[pos..]` is not consumed yet; `buf[0]` is at archive offset `base`.
    buf: Vec<u8>,
    pos: usize,
    base: u64,
    eof: bool,
    /// Headers are expected at `origin + k * 512` (it moves after a gap in the stream).
    origin: u64,
    broken: Option<Broken>,
    /// Data of the current entry not read yet, and its padding.
    left: u64,
    padding: u64,
    size: u64,
}

impl<R: Read> TarWalker<R> {
    pub(crate) fn new(inner: R) -> Self {
        TarWalker {
            inner,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            origin: 0,
            broken: None,
            left: 0,
            padding: 0,
            size: 0,
        }
    }

    /// The archive offset (in decompressed bytes) of the next byte.
    pub(crate) fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Reads until bytes up to offset `want_end` are buffered (or the stream ends or fails),
    /// dropping those before `keep_from`. A failure is kept in `broken`.
    fn fill(&mut self, keep_from: u64, want_end: u64) {
        let keep_from = keep_from.min(self.at()).max(self.base);
        let drop = (keep_from - self.base) as usize;
        if drop >= READ_SIZE || drop == self.buf.len() {
            self.buf.drain(..drop);
            self.pos -= drop;
            self.base += drop as u64;
        }
        while self.end() < want_end && !self.eof && self.broken.is_none() {
            let len = self.buf.len();
            self.buf.resize(len + READ_SIZE, 0);
            match self.inner.read(&mut self.buf[len..]) {
                Ok(0) => {
                    self.buf.truncate(len);
                    self.eof = true;
                }
                Ok(n) => self.buf.truncate(len + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(len),
                Err(e) => {
                    self.buf.truncate(len);
                    self.failed(e);
                }
            }
        }
    }

    /// The stream under the archive failed: kept in `broken`.
    fn failed(&mut self, e: io::Error) {
        let resumed = gz_damage(&e).is_some_and(|d| d.resumed);
        let is_source = e.get_ref().is_some_and(|i| i.is::<SourceError>());
        self.broken = Some(Broken {
            message: e.to_string(),
            resumed,
            reported: false,
            source: is_source.then_some(e),
        });
    }

    fn available(&self) -> u64 {
        self.end() - self.at()
    }

    /// Skips `n` bytes; false when the stream ends or fails first.
    fn skip(&mut self, mut n: u64) -> bool {
        loop {
            let here = n.min(self.available());
            self.pos += here as usize;
            n -= here;
            if n == 0 {
                return true;
            }
            self.fill(self.at(), self.at() + n.min(READ_SIZE as u64));
            if self.available() == 0 {
                return false;
            }
        }
    }

    /// The next entry, or the end, or damage (after which the walker stands at the next
    /// header it found).
    pub(crate) fn next_entry(&mut self) -> Next {
        // The rest of the previous entry's data, and its padding.
        if let Some(next) = self.finish_entry() {
            return next;
        }
        let mut long_name: Option<Vec<u8>> = None;
        let mut pax_path: Option<Vec<u8>> = None;
        let mut pax_size: Option<u64> = None;
        loop {
            let at = self.at();
            self.fill(at, at + BLOCK);
            if self.available() < BLOCK {
                if let Some(next) = self.stream_failed(at) {
                    return next;
                }
                if self.buf[self.pos..].iter().all(|&b| b == 0) {
                    self.pos = self.buf.len();
                    return Next::End;
                }
                return Next::Fatal {
                    message: "the archive ends inside a header".into(),
                    at,
                };
            }
            let block: [u8; 512] = self.buf[self.pos..][..512].try_into().expect("a block");
            if block.iter().all(|&b| b == 0) {
                self.pos += BLOCK as usize;
                match self.after_zero_block(at) {
                    Some(next) => return next,
                    None => continue,
                }
            }
            let header = match Header::parse(&block) {
                Ok(h) => h,
                Err(why) => return self.resync(why.into(), at, at + 1),
            };
            self.pos += BLOCK as usize;
            match header.kind {
                b'L' | b'x' => {
                    if header.size > MAX_META {
                        return self.resync(
                            format!("a {} byte long-name or pax record", header.size),
                            at,
                            at + 1,
                        );
                    }
                    let Some(data) = self.take(header.size) else {
                        return self.cut(at, "a long-name or pax record");
                    };
                    if header.kind == b'L' {
                        long_name = Some(until_nul(&data).to_vec());
                    } else {
                        let (path, size) = pax_records(&data);
                        pax_path = path.or(pax_path);
                        pax_size = size.or(pax_size);
                    }
                    continue;
                }
                b'K' | b'g' => {
                    if !self.skip(header.size.next_multiple_of(BLOCK)) {
                        return self.cut(at, "a long-link or global pax record");
                    }
                    continue;
                }
                b'S' if block[482] != 0 => {
                    // GNU sparse extension blocks before the data.
                    loop {
                        self.fill(self.at(), self.at() + BLOCK);
                        if self.available() < BLOCK {
                            return self.cut(at, "a sparse file's header");
                        }
                        let more = self.buf[self.pos + 504] != 0;
                        self.pos += BLOCK as usize;
                        if !more {
                            break;
                        }
                    }
                }
                _ => {}
            }
            let name_bytes = pax_path.or(long_name).unwrap_or(header.name);
            let name = String::from_utf8_lossy(&name_bytes).into_owned();
            let size = pax_size.unwrap_or(header.size);
            let regular = match header.kind {
                b'0' | b'7' => true,
                // Old tars mark directories as regular files with a trailing slash.
                0 => !name.ends_with('/'),
                _ => false,
            };
            self.size = size;
            self.left = size;
            self.padding = size.next_multiple_of(BLOCK) - size;
            return Next::Entry(Entry {
                name,
                size,
                regular,
            });
        }
    }

    /// Skips what is left of the current entry. Some(..) when the archive cannot go on as is.
    fn finish_entry(&mut self) -> Option<Next> {
        if self.broken.is_some() {
            // The stream failed inside the entry's data: its reader reported that (or it is
            // reported now); where the stream resumes, tar blocks are aligned afresh.
            self.left = 0;
            self.padding = 0;
            let at = self.at();
            return self.stream_failed(at);
        }
        let rest = self.left + self.padding;
        self.left = 0;
        self.padding = 0;
        if rest > 0 && !self.skip(rest) {
            let at = self.at();
            if let Some(next) = self.stream_failed(at) {
                return Some(next);
            }
            // A member whose data runs past the end was reported by its reader; the padding
            // of the last member may be cut without loss.
            return Some(Next::End);
        }
        None
    }

    /// When the stream under the archive failed at `at`: what that means for the archive.
    fn stream_failed(&mut self, at: u64) -> Option<Next> {
        let b = self.broken.take()?;
        if let Some(e) = b.source {
            return Some(Next::SourceFailed(e));
        }
        if b.resumed {
            self.origin = self.at();
            let cause = format!("the archive's stream was damaged ({})", b.message);
            return Some(self.resync(cause, at, self.at()));
        }
        Some(if b.reported {
            Next::End
        } else {
            Next::Fatal {
                message: b.message,
                at,
            }
        })
    }

    fn cut(&mut self, at: u64, what: &str) -> Next {
        if let Some(next) = self.stream_failed(at) {
            return next;
        }
        Next::Fatal {
            message: format!("the archive ends inside {what}"),
            at,
        }
    }

    /// After a zero block at `at`: the end of the archive when only zeros follow; otherwise
    /// damage (a header zeroed in the middle of the archive), resynchronised past.
    fn after_zero_block(&mut self, at: u64) -> Option<Next> {
        loop {
            self.fill(self.at(), self.at() + READ_SIZE as u64);
            if let Some(i) = self.buf[self.pos..].iter().position(|&b| b != 0) {
                // Data after zeros: the zero block was damage. The scan starts at the block
                // holding the first non-zero byte.
                let block = self.at() + i as u64 / BLOCK * BLOCK;
                return Some(self.resync(
                    "a zero block (the end of an archive) is followed by data".into(),
                    at,
                    block,
                ));
            }
            if self.eof || self.broken.is_some() {
                self.pos = self.buf.len();
                let end = self.at();
                return Some(self.stream_failed(end).unwrap_or(Next::End));
            }
            // Whole blocks only, so the scan can start at a block boundary.
            self.pos += (self.available() / BLOCK * BLOCK) as usize;
        }
    }

    /// `n` bytes of entry data, and its padding skipped; None when the archive ends first.
    fn take(&mut self, n: u64) -> Option<Vec<u8>> {
        let padded = n.next_multiple_of(BLOCK);
        self.fill(self.at(), self.at() + padded);
        if self.available() < n {
            return None;
        }
        let data = self.buf[self.pos..][..n as usize].to_vec();
        self.skip(padded);
        Some(data)
    }

    /// Damage at `from`: scans from `scan_from` for the next header and stands there.
    fn resync(&mut self, cause: String, from: u64, scan_from: u64) -> Next {
        let to = self.scan(scan_from);
        if to.is_none() {
            // Nothing more to read: the rest of the stream was consumed by the scan.
            self.pos = self.buf.len();
        }
        Next::Skipped { cause, from, to }
    }

    /// The first sane header at or after `from` (which must still be buffered): aligned
    /// ones first (see `ALIGNED_PREFERENCE`). The walker then stands there, or at the end.
    fn scan(&mut self, from: u64) -> Option<u64> {
        let finder = memmem::Finder::new(b"ustar");
        // The next position a header may start at, and the first unaligned header found.
        let mut p = from;
        let mut unaligned: Option<u64> = None;
        loop {
            let keep = unaligned.map_or(p, |u| u.min(p));
            self.pos = (keep - self.base) as usize;
            let magic_from = p + 257;
            let found = (magic_from < self.end())
                .then(|| finder.find(&self.buf[(magic_from - self.base) as usize..]))
                .flatten()
                .map(|i| p + i as u64);
            match found {
                Some(c) => {
                    if let Some(u) = unaligned.filter(|&u| c > u + ALIGNED_PREFERENCE) {
                        return self.stand_at(u);
                    }
                    self.fill(keep, c + BLOCK);
                    if self.end() >= c + BLOCK {
                        let at = (c - self.base) as usize;
                        let block: &[u8; 512] = self.buf[at..at + 512].try_into().expect("a block");
                        if is_sane_header(block) {
                            if (c - self.origin) % BLOCK == 0 {
                                return self.stand_at(c);
                            }
                            unaligned.get_or_insert(c);
                        }
                    }
                    p = c + 1;
                }
                None => {
                    if let Some(u) =
                        unaligned.filter(|&u| self.end() > u + ALIGNED_PREFERENCE + 262)
                    {
                        return self.stand_at(u);
                    }
                    if self.eof || self.broken.is_some() {
                        return match unaligned {
                            Some(u) => self.stand_at(u),
                            None => {
                                self.pos = self.buf.len();
                                None
                            }
                        };
                    }
                    // "ustar" may straddle the next read: keep the last bytes.
                    p = p.max(self.end().saturating_sub(261));
                    let keep = unaligned.map_or(p, |u| u.min(p));
                    self.pos = (keep - self.base) as usize;
                    let end = self.end();
                    self.fill(keep, end + 1);
                }
            }
        }
    }

    /// Stands at a header found by a scan: later headers are aligned to it.
    fn stand_at(&mut self, at: u64) -> Option<u64> {
        self.pos = (at - self.base) as usize;
        self.origin = at;
        Some(at)
    }

    /// Reads the current entry's data (the archive ending first is an error).
    pub(crate) fn data(&mut self) -> EntryData<'_, R> {
        EntryData { walker: self }
    }

    /// Reads the rest of the stream (so `bytes_in` counts the whole input).
    pub(crate) fn drain(&mut self) {
        while !self.eof && self.broken.is_none() {
            self.pos = self.buf.len();
            let end = self.end();
            self.fill(end, end + 1);
        }
        self.pos = self.buf.len();
    }
}

/// The data of the current entry.
pub(crate) struct EntryData<'a, R> {
    walker: &'a mut TarWalker<R>,
}

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let w = &mut *self.walker;
        if w.left == 0 || out.is_empty() {
            return Ok(0);
        }
        if w.available() == 0 && out.len() >= READ_SIZE / 4 && !w.eof && w.broken.is_none() {
            // Nothing buffered and a big read: straight into `out`, without a copy.
            w.base = w.end();
            w.buf.clear();
            w.pos = 0;
            let want = (out.len() as u64).min(w.left) as usize;
            match w.inner.read(&mut out[..want]) {
                Ok(0) => w.eof = true,
                Ok(n) => {
                    w.base += n as u64;
                    w.left -= n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
                Err(e) => w.failed(e),
            }
        }
        if w.available() == 0 {
            let at = w.at();
            w.fill(at, at + 1);
        }
        let n = (w.available().min(w.left) as usize).min(out.len());
        if n > 0 {
            out[..n].copy_from_slice(&w.buf[w.pos..w.pos + n]);
            w.pos += n;
            w.left -= n as u64;
            return Ok(n);
        }
        if let Some(b) = &mut w.broken {
            b.reported = true;
            // A source error stays one (it ends the read). Anything else is not gzip damage
            // to this member, which its own reader must not resume after: the stream under
            // the archive failed.
            return Err(match b.source.take() {
                Some(e) => e,
                None => io::Error::other(b.message.clone()),
            });
        }
        let read = w.size - w.left;
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "archive ends inside the member ({read} of {} bytes)",
                w.size
            ),
        ))
    }
}

/// The fields of a header that the walker uses.
struct Header {
    kind: u8,
    name: Vec<u8>,
    size: u64,
}

impl Header {
    fn parse(b: &[u8; 512]) -> Result<Header, &'static str> {
        let Some(stored) = number(&b[148..156]) else {
            return Err("a header's checksum field is not a number");
        };
        if !checksum_matches(b, stored) {
            return Err("a header's checksum does not match");
        }
        let Some(size) = number(&b[124..136]) else {
            return Err("a header's size field is not a number");
        };
        let mut name = until_nul(&b[..100]).to_vec();
        // POSIX ustar keeps the front of a long path in `prefix` (GNU uses those bytes
        // for other things).
        if &b[257..263] == b"ustar\0" {
            let prefix = until_nul(&b[345..500]);
            if !prefix.is_empty() {
                name = [prefix, b"/", &name].concat();
            }
        }
        Ok(Header {
            kind: b[156],
            name,
            size,
        })
    }
}

/// What a resynchronisation scan accepts: a verified checksum, `ustar` magic, a name and a
/// size.
fn is_sane_header(b: &[u8; 512]) -> bool {
    let magic = &b[257..263] == b"ustar\0" || &b[257..263] == b"ustar ";
    magic && b[0] != 0 && Header::parse(b).is_ok()
}

fn checksum_matches(b: &[u8; 512], stored: u64) -> bool {
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &x) in b.iter().enumerate() {
        let x = if (148..156).contains(&i) { b' ' } else { x };
        unsigned += x as u64;
        signed += x as i8 as i64;
    }
    stored == unsigned || stored as i64 == signed
}

/// A numeric header field: octal text (up to a NUL or space; empty is 0) or GNU base-256.
fn number(field: &[u8]) -> Option<u64> {
    if field[0] == 0x80 {
        let mut n = 0u64;
        for &x in &field[1..] {
            if n >> 56 != 0 {
                return None;
            }
            n = (n << 8) | x as u64;
        }
        return Some(n);
    }
    let text = until_nul(field);
    let text = text.trim_ascii();
    if text.is_empty() {
        return Some(0);
    }
    let mut n = 0u64;
    for &x in text {
        if !(b'0'..=b'7').contains(&x) || n >> 60 != 0 {
            return None;
        }
        n = n * 8 + (x - b'0') as u64;
    }
    Some(n)
}

fn until_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// `path` and `size` of pax records (`"<len> <key>=<value>\n"`); parsing stops at the first
/// malformed record.
fn pax_records(mut data: &[u8]) -> (Option<Vec<u8>>, Option<u64>) {
    let (mut path, mut size) = (None, None);
    while let Some(space) = memchr::memchr(b' ', data) {
        let len = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(len) = len.filter(|&l| l > space + 1 && l <= data.len()) else {
            break;
        };
        let record = &data[space + 1..len];
        let Some(record) = record.strip_suffix(b"\n") else {
            break;
        };
        let Some(eq) = memchr::memchr(b'=', record) else {
            break;
        };
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => path = Some(value.to_vec()),
            b"size" => {
                size = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
            }
            _ => {}
        }
        data = &data[len..];
    }
    (path, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    /// What a walk finds, as text: entries with their data, skipped spans, the end.
    fn walk(data: &[u8]) -> Vec<String> {
        let mut w = TarWalker::new(data);
        let mut out = vec![];
        loop {
            match w.next_entry() {
                Next::Entry(e) => {
                    let mut text = String::new();
                    let read = w.data().read_to_string(&mut text);
                    out.push(format!(
                        "{} {} {text:?} {}",
                        e.name,
                        e.regular,
                        read.is_ok()
                    ));
                }
                Next::Skipped { from, to, .. } => out.push(format!("skip {from}..{to:?}")),
                Next::Fatal { message, at } => {
                    out.push(format!("fatal {at}: {message}"));
                    return out;
                }
                Next::SourceFailed(e) => panic!("{e}"),
                Next::End => return out,
            }
        }
    }

    const A: &[u8] = b"{\"a\":1}\n";

    #[test]
    fn long_names_pax_paths_and_skipped_entries() {
        let long = format!("server/{}/tracking.log", "d".repeat(150));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(A.len() as u64);
        b.append_data(&mut h, &long, A).unwrap();
        let mut d = tar::Header::new_gnu();
        d.set_entry_type(tar::EntryType::Directory);
        d.set_size(0);
        b.append_data(&mut d, "server/", &[][..]).unwrap();
        b.append_pax_extensions([("path", b"pax/named.log".as_slice())])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(A.len() as u64);
        b.append_data(&mut h, "short.log", A).unwrap();
        let data = b.into_inner().unwrap();
        assert_eq!(
            walk(&data),
            [
                format!("{long} true \"{{\\\"a\\\":1}}\\n\" true"),
                "server/ false \"\" true".to_string(),
                "pax/named.log true \"{\\\"a\\\":1}\\n\" true".to_string(),
            ]
        );
    }

    #[test]
    fn garbage_between_members_is_skipped_aligned_or_not() {
        let full = tar_of(&[("a.log", A), ("b.log", A)]);
        for garbage in [b"GARBAGE!".repeat(64), b"junk\n".repeat(7)] {
            let data = [&full[..1024], &garbage, &full[1024..]].concat();
            let end = 1024 + garbage.len() as u64;
            assert_eq!(
                walk(&data),
                [
                    "a.log true \"{\\\"a\\\":1}\\n\" true".to_string(),
                    format!("skip 1024..Some({end})"),
                    "b.log true \"{\\\"a\\\":1}\\n\" true".to_string(),
                ]
            );
        }
    }

    #[test]
    fn a_zeroed_or_flipped_header_is_skipped() {
        let full = tar_of(&[("a.log", A), ("b.log", A), ("c.log", A)]);
        let mut zeroed = full.clone();
        zeroed[1024..1536].fill(0);
        let mut flipped = full.clone();
        flipped[1024 + 3] ^= 0x20;
        for (data, from) in [(zeroed, 1024), (flipped, 1024)] {
            let got = walk(&data);
            assert_eq!(got.len(), 3, "{got:?}");
            assert_eq!(got[1], format!("skip {from}..Some(2048)"));
            assert!(got[2].starts_with("c.log true"));
        }
    }

    #[test]
    fn zeros_at_the_end_are_the_end_and_data_after_them_is_damage() {
        let full = tar_of(&[("a.log", A)]);
        assert_eq!(walk(&full).len(), 1);
        let mut padded = full.clone();
        padded.extend([0u8; 300]);
        assert_eq!(walk(&padded).len(), 1);
        let mut junk = full.clone();
        junk.extend(b"trailing junk");
        let n = full.len() as u64;
        assert_eq!(walk(&junk)[1], format!("skip 1024..None"));
        let mut cut = full[..1024 + 100].to_vec();
        cut[1024..].fill(7);
        assert_eq!(
            walk(&cut)[1],
            "fatal 1024: the archive ends inside a header"
        );
        let _ = n;
    }

    #[test]
    fn numbers_are_octal_or_base_256() {
        assert_eq!(number(b"00000001750\0"), Some(1000));
        assert_eq!(number(b"   17 \0\0\0\0\0\0"), Some(15));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"12x4\0"), None);
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[11] = 5;
        big[10] = 1;
        assert_eq!(number(&big), Some(261));
    }

    #[test]
    fn pax_records_give_path_and_size() {
        let data = b"30 mtime=1234567890.123456789\n18 path=a/b/c.log\n15 size=123456\n";
        assert_eq!(
            pax_records(data),
            (Some(b"a/b/c.log".to_vec()), Some(123456))
        );
        assert_eq!(pax_records(b"5 x\n"), (None, None));
    }
}
