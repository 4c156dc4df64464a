//! Multi-member gzip that survives a bad member (contract §1a).
//!
//! The members of a gzip stream (logrotate and pigz write several) are inflated one after the
//! other. When one is damaged — its deflate data is corrupt, its checksum or length does not
//! match, it is cut short, or bytes that are not gzip sit between members — the read returns
//! one error ([`GzDamage`]) and then carries on with the next gzip member it can find: the
//! next `1f 8b 08` whose flags are sane, whose header parses and whose first
//! [`TRIAL_INPUT`] compressed bytes inflate without error. The search starts at the damaged
//! member's second byte, or at most [`LOOKBACK`] bytes before the point where the damage was
//! found (a corrupt member can be decoded past its real end). Zero bytes after a member are
//! padding, not damage (as gzip(1) and Python's `gzip` read them).

use std::io::{self, Read};

use flate2::{Crc, Decompress, FlushDecompress, Status};
use memchr::memmem;

/// How much is read from the source at a time.
const READ_SIZE: usize = 256 * 1024;
/// The resynchronisation scan starts at most this many bytes before the point where the damage
/// was found (and never before the damaged member's second byte).
pub(crate) const LOOKBACK: u64 = 64 * 1024;
/// A candidate member is taken when this many compressed bytes after its header inflate
/// without error (or it inflates to its end and its checksum matches).
pub(crate) const TRIAL_INPUT: usize = 32 * 1024;
/// A gzip header (with its optional name, comment and extra field) longer than this is damage.
pub(crate) const MAX_HEADER: usize = 64 * 1024;

const MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];

/// The error a damaged member gives, once; reading goes on after it when `resumed`.
#[derive(Debug)]
pub(crate) struct GzDamage {
    pub message: String,
    /// A later member was found: the next read returns its data.
    pub resumed: bool,
    pub kind: DamageKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DamageKind {
    /// The member inflated to its end but its CRC-32 or length does not match: its data
    /// (already returned) may be wrong.
    Checksum,
    /// The deflate data is invalid: the data returned before the error may be wrong.
    Corrupt,
    /// The stream ends inside a member: the data before the cut is sound.
    Truncated,
    /// Bytes that are not a gzip member where one should start.
    NotGzip,
}

impl std::fmt::Display for GzDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GzDamage {}

/// The damage a read error stands for, if it is gzip damage.
pub(crate) fn gz_damage(e: &io::Error) -> Option<&GzDamage> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<GzDamage>())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a member header; `true` after a member (zero padding may come first).
    Header(bool),
    Body,
    Trailer,
    Done,
}

/// The decompressed bytes of every gzip member of `inner`, in order.
pub(crate) struct GzMembers<R> {
    inner: R,
    /// Compressed bytes; `buf[pos..]` are not consumed yet. `buf[0]` is at offset `base`.
    buf: Vec<u8>,
    pos: usize,
    base: u64,
    eof: bool,
    state: State,
    inflate: Decompress,
    crc: Crc,
    /// Members begun, and where the current one starts (compressed offset).
    members: u64,
    member_start: u64,
    member_out: u64,
}

impl<R: Read> GzMembers<R> {
    pub(crate) fn new(inner: R) -> Self {
        GzMembers {
            inner,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            state: State::Header(false),
            inflate: Decompress::new(false),
            crc: Crc::new(),
            members: 0,
            member_start: 0,
            member_out: 0,
        }
    }

    /// Decompressed bytes of the current (or the damaged) member so far.
    pub(crate) fn member_out(&self) -> u64 {
        self.member_out
    }

    fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Reads until the buffer holds bytes up to offset `want_end` (or the source ends),
    /// dropping the bytes before offset `keep_from`.
    fn fill(&mut self, keep_from: u64, want_end: u64) -> io::Result<()> {
        let keep_from = keep_from.min(self.at()).max(self.base);
        let drop = (keep_from - self.base) as usize;
        if drop >= READ_SIZE {
            self.buf.drain(..drop);
            self.pos -= drop;
            self.base += drop as u64;
        }
        while self.end() < want_end && !self.eof {
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
                    // The source failed: that is not gzip damage, and nothing comes after it.
                    self.state = State::Done;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Bytes the reading of the current member must keep: the scan after a failure may go
    /// back up to `LOOKBACK`, never before the member's second byte.
    fn keep_from(&self) -> u64 {
        (self.member_start + 1).max(self.at().saturating_sub(LOOKBACK))
    }

    fn read_header(&mut self, after_member: bool) -> io::Result<()> {
        if after_member {
            loop {
                self.fill(self.at(), self.at() + 1)?;
                match self.buf[self.pos..].iter().position(|&b| b != 0) {
                    Some(i) => {
                        self.pos += i;
                        break;
                    }
                    None if self.eof => {
                        self.pos = self.buf.len();
                        break;
                    }
                    None => self.pos = self.buf.len(),
                }
            }
        }
        self.fill(self.at(), self.at() + MAX_HEADER as u64)?;
        let head = &self.buf[self.pos..];
        if head.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        let start = self.at();
        match parse_header(head) {
            Ok(len) => {
                self.pos += len;
                self.members += 1;
                self.member_start = start;
                self.member_out = 0;
                self.crc.reset();
                self.inflate.reset(false);
                self.state = State::Body;
                Ok(())
            }
            Err(why) => {
                let what = if after_member {
                    format!(
                        "the bytes at compressed byte {start} after gzip member {} are not a \
                         gzip member ({why})",
                        self.members
                    )
                } else {
                    format!(
                        "gzip member {} at compressed byte {start}: {why}",
                        self.members + 1
                    )
                };
                Err(self.damage(DamageKind::NotGzip, what, start, start + 1))
            }
        }
    }

    fn read_body(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos == self.buf.len() && !self.eof {
                self.fill(self.keep_from(), self.end() + 1)?;
            }
            let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
            let result = self
                .inflate
                .decompress(&self.buf[self.pos..], out, FlushDecompress::None);
            let consumed = (self.inflate.total_in() - in0) as usize;
            let produced = (self.inflate.total_out() - out0) as usize;
            self.pos += consumed;
            self.crc.update(&out[..produced]);
            self.member_out += produced as u64;
            match result {
                Err(e) => {
                    let why = e.message().unwrap_or("invalid data").to_string();
                    let what = format!(
                        "gzip member {} at compressed byte {} is corrupt ({why}, found at \
                         compressed byte {})",
                        self.members,
                        self.member_start,
                        self.at()
                    );
                    let from = self.keep_from();
                    return Err(self.damage(DamageKind::Corrupt, what, self.member_start, from));
                }
                Ok(Status::StreamEnd) => {
                    self.state = State::Trailer;
                    if produced > 0 {
                        return Ok(produced);
                    }
                    return self.read_trailer().map(|()| 0);
                }
                Ok(_) if produced > 0 => return Ok(produced),
                Ok(_) if self.pos == self.buf.len() && self.eof => {
                    let what = format!(
                        "gzip member {} at compressed byte {} is cut short (the stream ends at \
                         compressed byte {})",
                        self.members,
                        self.member_start,
                        self.at()
                    );
                    let at = self.at();
                    return Err(self.damage(DamageKind::Truncated, what, self.member_start, at));
                }
                Ok(_) => {}
            }
        }
    }

    fn read_trailer(&mut self) -> io::Result<()> {
        self.fill(self.at(), self.at() + 8)?;
        let t = &self.buf[self.pos..];
        if t.len() < 8 {
            let what = format!(
                "gzip member {} at compressed byte {} is cut short in its trailer",
                self.members, self.member_start
            );
            self.pos = self.buf.len();
            let at = self.at();
            return Err(self.damage(DamageKind::Truncated, what, self.member_start, at));
        }
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        self.pos += 8;
        let bad = if crc != self.crc.sum() {
            Some("checksum")
        } else if len != self.member_out as u32 {
            Some("length")
        } else {
            None
        };
        if let Some(bad) = bad {
            let what = format!(
                "gzip member {} at compressed byte {} does not have a matching {bad}",
                self.members, self.member_start
            );
            let at = self.at();
            return Err(self.damage(DamageKind::Checksum, what, at, at));
        }
        self.state = State::Header(true);
        Ok(())
    }

    /// The error for damage to the span starting at `span_from`; the next member is searched
    /// from `scan_from` on, and reading goes on there.
    fn damage(
        &mut self,
        kind: DamageKind,
        what: String,
        span_from: u64,
        scan_from: u64,
    ) -> io::Error {
        let lost_before = self.member_out;
        // Whether anything follows the damage (else there is nothing to skip or resume).
        if let Err(e) = self.fill(scan_from.min(self.at()), scan_from + 1) {
            return e;
        }
        let more = self.end() > scan_from;
        let found = match self.scan(scan_from) {
            Ok(found) => found,
            Err(e) => return e,
        };
        let (resumed, tail) = match found {
            Some(next) => {
                self.pos = (next - self.base) as usize;
                self.state = State::Header(false);
                let mut tail = if next > span_from {
                    format!(
                        "; skipped compressed bytes {span_from}..{next} to the next gzip member"
                    )
                } else {
                    "; the next gzip member follows".to_string()
                };
                // The damaged member's own trailer sits just before the next member: its
                // length field says how much of the member is lost.
                if kind == DamageKind::Corrupt && next >= span_from + 18 && next - 4 >= self.base {
                    let t = &self.buf[(next - 4 - self.base) as usize..][..4];
                    let size = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64;
                    // Only when deflate could have held that much (1032:1 at most): the
                    // bytes before the next member need not be a trailer.
                    if size > lost_before && size <= 1032 * (next - span_from) {
                        tail += &format!(
                            " (its trailer gives {size} decompressed bytes, {lost_before} were read)"
                        );
                    }
                }
                (true, tail)
            }
            None => {
                self.pos = self.buf.len();
                self.state = State::Done;
                let tail = if more { "; no gzip member follows" } else { "" };
                (false, tail.to_string())
            }
        };
        io::Error::new(
            io::ErrorKind::InvalidData,
            GzDamage {
                message: what + &tail,
                resumed,
                kind,
            },
        )
    }

    /// The offset of the next member at or after `from` that parses and inflates, if any.
    fn scan(&mut self, from: u64) -> io::Result<Option<u64>> {
        let finder = memmem::Finder::new(MAGIC);
        let mut p = from.max(self.base);
        loop {
            let found = finder.find(&self.buf[(p - self.base) as usize..]);
            let Some(i) = found else {
                if self.eof {
                    return Ok(None);
                }
                p = p.max(self.end().saturating_sub(MAGIC.len() as u64 - 1));
                self.pos = (p - self.base) as usize;
                self.fill(p, self.end() + 1)?;
                continue;
            };
            let c = p + i as u64;
            self.pos = (c - self.base) as usize;
            // Keeping the 4 bytes before `c`: the damaged member's length field.
            self.fill(
                c.saturating_sub(4),
                c + (MAX_HEADER + TRIAL_INPUT + 8) as u64,
            )?;
            if inflates(&self.buf[(c - self.base) as usize..]) {
                return Ok(Some(c));
            }
            p = c + 1;
        }
    }
}

impl<R: Read> Read for GzMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header(after) => {
                    self.read_header(after)?;
                }
                State::Body => {
                    let n = self.read_body(out)?;
                    if n > 0 {
                        return Ok(n);
                    }
                }
                State::Trailer => self.read_trailer()?,
            }
        }
    }
}

/// The length of the gzip header at the start of `b`, or why it is not one (RFC 1952).
/// The header CRC (FHCRC) is skipped, not checked, as Python's `gzip` does.
pub(crate) fn parse_header(b: &[u8]) -> Result<usize, &'static str> {
    if b.len() < 10 {
        return Err("too short for a gzip header");
    }
    if b[..2] != MAGIC[..2] {
        return Err("no gzip magic");
    }
    if b[2] != 8 {
        return Err("unknown compression method");
    }
    let flags = b[3];
    if flags & 0xe0 != 0 {
        return Err("reserved flags set");
    }
    let mut at = 10usize;
    if flags & 0x04 != 0 {
        let Some(x) = b.get(at..at + 2) else {
            return Err("header cut short");
        };
        at += 2 + u16::from_le_bytes([x[0], x[1]]) as usize;
    }
    for flag in [0x08, 0x10] {
        if flags & flag != 0 {
            match b.get(at..).and_then(|rest| memchr::memchr(0, rest)) {
                Some(nul) => at += nul + 1,
                None => return Err("header cut short"),
            }
        }
    }
    if flags & 0x02 != 0 {
        at += 2;
    }
    if at > b.len() || at > MAX_HEADER {
        return Err("header cut short");
    }
    Ok(at)
}

/// Whether `b` starts a gzip member that inflates: its header parses and its first
/// `TRIAL_INPUT` compressed bytes inflate without error (a member that ends within them
/// must have a matching checksum and length).
fn inflates(b: &[u8]) -> bool {
    let Ok(header) = parse_header(b) else {
        return false;
    };
    let body = &b[header..];
    let input = &body[..body.len().min(TRIAL_INPUT)];
    let mut d = Decompress::new(false);
    let mut crc = Crc::new();
    let mut scratch = vec![0u8; 64 * 1024];
    loop {
        let (in0, out0) = (d.total_in(), d.total_out());
        let result = d.decompress(&input[in0 as usize..], &mut scratch, FlushDecompress::None);
        let produced = (d.total_out() - out0) as usize;
        crc.update(&scratch[..produced]);
        match result {
            Err(_) => return false,
            Ok(Status::StreamEnd) => {
                let end = d.total_in() as usize;
                return match body.get(end..end + 8) {
                    Some(t) => {
                        u32::from_le_bytes([t[0], t[1], t[2], t[3]]) == crc.sum()
                            && u32::from_le_bytes([t[4], t[5], t[6], t[7]]) == crc.amount()
                    }
                    // Cut in its trailer: what it holds is still readable.
                    None => true,
                };
            }
            Ok(_) if d.total_in() == in0 && produced == 0 => return true,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// A segment's bytes and the damage (kind, resumed, message) that ended it.
    type Segment = (Vec<u8>, Option<(DamageKind, bool, String)>);

    fn segments(data: Vec<u8>) -> Vec<Segment> {
        let mut r = GzMembers::new(io::Cursor::new(data));
        let mut out = vec![(Vec::new(), None)];
        let mut buf = [0u8; 1000];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.last_mut().unwrap().0.extend_from_slice(&buf[..n]),
                Err(e) => {
                    let d = gz_damage(&e).expect("gzip damage");
                    out.last_mut().unwrap().1 = Some((d.kind, d.resumed, d.message.clone()));
                    if !d.resumed {
                        return out;
                    }
                    out.push((Vec::new(), None));
                }
            }
        }
    }

    fn text(n: usize, tag: &str) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{{\"{tag}\":{i}}}\n").into_bytes())
            .collect()
    }

    #[test]
    fn sound_members_read_whole_with_zero_padding_between() {
        let mut data = gz(b"a\n");
        data.extend(gz(b""));
        data.extend([0u8; 7]);
        data.extend(gz(b"b\n"));
        data.extend([0u8; 3]);
        assert_eq!(segments(data), vec![(b"a\nb\n".to_vec(), None)]);
        assert_eq!(segments(Vec::new()), vec![(Vec::new(), None)]);
    }

    #[test]
    fn a_corrupt_middle_member_is_skipped_and_the_next_one_read() {
        let (a, b, c) = (text(500, "a"), text(3000, "b"), text(500, "c"));
        let (ga, mut gb, gc) = (gz(&a), gz(&b), gz(&c));
        // The first deflate block's header: BTYPE 11 is invalid.
        gb[10] = 0xff;
        let b_start = ga.len();
        let c_start = ga.len() + gb.len();
        let data = [ga, gb.clone(), gc].concat();
        let segs = segments(data);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].0, a);
        let (kind, resumed, message) = segs[0].1.clone().unwrap();
        assert_eq!((kind, resumed), (DamageKind::Corrupt, true));
        assert!(
            message.starts_with(&format!(
                "gzip member 2 at compressed byte {b_start} is corrupt"
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "skipped compressed bytes {b_start}..{c_start} to the next gzip member (its \
                 trailer gives {} decompressed bytes",
                b.len()
            )),
            "{message}"
        );
        assert_eq!(segs[1], (c, None));
    }

    #[test]
    fn a_bad_checksum_resumes_right_after_the_member() {
        let mut ga = gz(b"a\n");
        let n = ga.len();
        ga[n - 8] ^= 1;
        let data = [ga, gz(b"b\n")].concat();
        let segs = segments(data);
        assert_eq!(segs[0].0, b"a\n");
        let (kind, resumed, message) = segs[0].1.clone().unwrap();
        assert_eq!((kind, resumed), (DamageKind::Checksum, true));
        assert_eq!(
            message,
            format!(
                "gzip member 1 at compressed byte 0 does not have a matching checksum; the \
                 next gzip member follows"
            )
        );
        assert_eq!(segs[1], (b"b\n".to_vec(), None));
    }

    #[test]
    fn garbage_between_members_and_at_the_end() {
        let data = [
            gz(b"a\n"),
            b"garbage!".to_vec(),
            gz(b"b\n"),
            b"tail".to_vec(),
        ]
        .concat();
        let segs = segments(data);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].0, b"a\n");
        assert_eq!(segs[0].1.as_ref().unwrap().0, DamageKind::NotGzip);
        assert_eq!(segs[1].0, b"b\n");
        let (kind, resumed, message) = segs[1].1.clone().unwrap();
        assert_eq!((kind, resumed), (DamageKind::NotGzip, false));
        assert!(message.ends_with("; no gzip member follows"), "{message}");
        assert!(
            message.starts_with("the bytes at compressed byte"),
            "{message}"
        );
    }

    #[test]
    fn a_cut_last_member_keeps_what_came_before() {
        let a = text(2000, "a");
        let g = gz(&a);
        let segs = segments(g[..g.len() / 2].to_vec());
        assert!(a.starts_with(&segs[0].0) && !segs[0].0.is_empty());
        let (kind, resumed, _) = segs[0].1.clone().unwrap();
        assert_eq!((kind, resumed), (DamageKind::Truncated, false));
    }

    #[test]
    fn a_damaged_first_header_is_skipped() {
        let mut ga = gz(b"a\n");
        ga[2] = 9; // not deflate
        let segs = segments([ga, gz(b"b\n")].concat());
        assert_eq!(segs[0].0, b"");
        assert!(segs[0]
            .1
            .as_ref()
            .unwrap()
            .2
            .contains("unknown compression method"));
        assert_eq!(segs[1], (b"b\n".to_vec(), None));
    }

    #[test]
    fn headers_with_optional_fields_parse() {
        let mut h = vec![0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3, 2, 0, b'x', b'y'];
        h.extend(b"name\0comment\0");
        h.extend([0, 0]);
        assert_eq!(parse_header(&h), Ok(h.len()));
        assert_eq!(parse_header(&h[..h.len() - 3]), Err("header cut short"));
        h[3] = 0x20;
        assert_eq!(parse_header(&h), Err("reserved flags set"));
    }
}
