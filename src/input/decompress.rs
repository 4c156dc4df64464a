//! Compression and container sniffing by magic bytes, never by file name.

use std::io::{self, Cursor, Read};

use super::gz::GzMembers;

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads up to `n` bytes from the front of `reader` and gives them back in front of the rest.
/// A read error is not returned here: the bytes before it come first, then the error, so
/// the lines before damage near the start of a stream are still read.
pub(crate) fn peek<'a>(
    mut reader: Box<dyn Read + 'a>,
    n: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + 'a>)> {
    let mut head = Vec::with_capacity(n);
    let mut error = None;
    while head.len() < n {
        let start = head.len();
        head.resize(n, 0);
        match reader.read(&mut head[start..]) {
            Ok(0) => {
                head.truncate(start);
                break;
            }
            Ok(k) => head.truncate(start + k),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => head.truncate(start),
            Err(e) => {
                head.truncate(start);
                error = Some(e);
                break;
            }
        }
    }
    let again = Replay {
        head: Cursor::new(head.clone()),
        error,
        rest: reader,
    };
    Ok((head, Box::new(again)))
}

/// The peeked bytes, then the error met while peeking (if any), then the rest.
struct Replay<R> {
    head: Cursor<Vec<u8>>,
    error: Option<io::Error>,
    rest: R,
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => self.rest.read(buf),
        }
    }
}

/// Whether the bytes start a gzip stream.
pub(crate) fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
}

/// Whether the bytes start a tar archive (POSIX/GNU `ustar` magic at offset 257).
pub(crate) fn is_tar(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

/// The decompressed stream: gzip is unwrapped (all concatenated members, resuming after a
/// damaged one: see `gz`), anything else passes through.
pub(crate) fn maybe_gunzip<'a>(reader: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    let (head, reader) = peek(reader, 2)?;
    Ok(if is_gzip(&head) {
        Box::new(GzMembers::new(reader))
    } else {
        reader
    })
}

/// What a non-tar, non-gzip stream looks like when it is not text lines: a known binary
/// format, or a head with NUL/invalid UTF-8 and no `{` at all.
pub(crate) fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 10] = [
        (b"\x89PNG", "PNG image"),
        (b"\xff\xd8\xff", "JPEG image"),
        (b"%PDF", "PDF document"),
        (b"PK\x03\x04", "zip archive"),
        (b"BZh", "bzip2 data"),
        (b"\xfd7zXZ\x00", "xz data"),
        (b"\x28\xb5\x2f\xfd", "zstd data"),
        (b"7z\xbc\xaf\x27\x1c", "7z archive"),
        (b"\x7fELF", "ELF binary"),
        (b"GIF8", "GIF image"),
    ];
    if let Some((_, name)) = MAGICS.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(name);
    }
    let valid_utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut by the end of the head is still text.
        Err(e) => e.error_len().is_none(),
    };
    let binary = head.contains(&0) || !valid_utf8;
    (binary && !head.contains(&b'{')).then_some("binary data")
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

    fn read_all(r: Box<dyn Read>) -> Vec<u8> {
        let mut out = Vec::new();
        maybe_gunzip(r).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn gzip_is_sniffed_by_magic_not_name() {
        assert_eq!(read_all(Box::new(Cursor::new(gz(b"{}\n")))), b"{}\n");
        assert_eq!(read_all(Box::new(Cursor::new(b"{}\n".to_vec()))), b"{}\n");
        assert_eq!(read_all(Box::new(Cursor::new(Vec::new()))), b"");
    }

    #[test]
    fn concatenated_gzip_members_are_read_whole() {
        let mut both = gz(b"a\n");
        both.extend(gz(b"b\n"));
        assert_eq!(read_all(Box::new(Cursor::new(both))), b"a\nb\n");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let g = gz(&b"{\"a\":1}\n".repeat(1000));
        let cut = g[..g.len() / 2].to_vec();
        let mut out = Vec::new();
        assert!(maybe_gunzip(Box::new(Cursor::new(cut)))
            .unwrap()
            .read_to_end(&mut out)
            .is_err());
    }

    #[test]
    fn damage_in_the_first_bytes_keeps_what_came_before() {
        let g = gz(b"{\"a\":1}\n{\"a\":2}\n");
        let mut bad_crc = g.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 0xff;
        let mut out = Vec::new();
        let mut r = maybe_gunzip(Box::new(Cursor::new(bad_crc))).unwrap();
        let (head, mut r2) = peek(std::mem::replace(&mut r, Box::new(io::empty())), 4096).unwrap();
        assert_eq!(head, b"{\"a\":1}\n{\"a\":2}\n");
        r2.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, head);
    }

    #[test]
    fn binary_heads_are_recognised() {
        assert_eq!(binary_kind(b"\x89PNG\r\n\x1a\n"), Some("PNG image"));
        assert_eq!(binary_kind(b"\x00\x01\x02"), Some("binary data"));
        assert_eq!(binary_kind(b"\x00\x00{\"a\":1}"), None);
        assert_eq!(binary_kind("{\"a\":\"é".as_bytes()), None);
        assert_eq!(binary_kind(&"{\"a\":\"é".as_bytes()[..8]), None);
        assert_eq!(binary_kind(b"# comment\n"), None);
    }
}
