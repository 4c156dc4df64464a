//! What the user passed → an ordered list of inputs (files, stdin, streams).
//! Paths are checked here, before any thread starts, so a missing file is an error at once.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::input::archive::SourceError;

/// One thing the user named.
pub enum Spec {
    Path(PathBuf),
    Stdin,
    /// An already-open byte stream (a Python file object, say), its display name and, when
    /// it stands for a file found under a directory-like prefix (a remote object), its server.
    Stream {
        name: String,
        server: Option<String>,
        reader: Box<dyn Read + Send>,
    },
}

pub enum Origin {
    File(PathBuf),
    Stdin,
    Stream(Box<dyn Read + Send>),
}

/// One byte stream to read: a file, stdin or a stream.
pub struct Input {
    pub origin: Origin,
    /// `source` of its rows when it is not a tar archive.
    pub name: String,
    /// `server` of its rows when it is not a tar archive (directory input).
    pub server: Option<String>,
}

/// Expands directories (recursively, sorted by relative path) and checks that paths exist.
pub(crate) fn expand(specs: Vec<Spec>) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for spec in specs {
        match spec {
            Spec::Stdin => out.push(Input {
                origin: Origin::Stdin,
                name: "<stdin>".into(),
                server: None,
            }),
            Spec::Stream {
                name,
                server,
                reader,
            } => out.push(Input {
                origin: Origin::Stream(reader),
                name,
                server,
            }),
            Spec::Path(p) => {
                let meta = fs::metadata(&p).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::NotFound(p.display().to_string()),
                    _ => Error::Io(p.display().to_string(), e),
                })?;
                if meta.is_dir() {
                    let mut files = Vec::new();
                    walk(&p, Path::new(""), &mut files)?;
                    files.sort();
                    for rel in files {
                        let mut parts = rel.components();
                        let first = parts.next();
                        let server = match (first, parts.next()) {
                            (Some(f), Some(_)) => {
                                Some(f.as_os_str().to_string_lossy().into_owned())
                            }
                            _ => None,
                        };
                        let full = p.join(&rel);
                        out.push(Input {
                            name: full.display().to_string(),
                            origin: Origin::File(full),
                            server,
                        });
                    }
                } else {
                    out.push(Input {
                        name: p.display().to_string(),
                        origin: Origin::File(p),
                        server: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

fn walk(root: &Path, rel: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let dir = root.join(rel);
    let entries = fs::read_dir(&dir).map_err(|e| Error::Io(dir.display().to_string(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io(dir.display().to_string(), e))?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::Io(entry.path().display().to_string(), e))?;
        let rel = rel.join(entry.file_name());
        if kind.is_dir() {
            walk(root, &rel, files)?;
        } else if kind.is_file() || (kind.is_symlink() && root.join(&rel).is_file()) {
            files.push(rel);
        }
    }
    Ok(())
}

impl Input {
    /// Opens the stream, counting the bytes read from it into `bytes_in`.
    pub fn open(self, bytes_in: Arc<AtomicU64>) -> Result<Box<dyn Read + Send>> {
        let inner: Box<dyn Read + Send> = match self.origin {
            Origin::File(p) => Box::new(fs::File::open(&p).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Error::NotFound(p.display().to_string()),
                _ => Error::Io(p.display().to_string(), e),
            })?),
            Origin::Stdin => Box::new(io::stdin()),
            Origin::Stream(r) => r,
        };
        Ok(Box::new(SourceReader {
            inner,
            count: bytes_in,
        }))
    }
}

/// The user's source: its errors are marked as the source's own (`SourceError`), so they
/// end the read instead of being counted as damage.
pub(crate) struct SourceReader<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for SourceReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::new(e.kind(), SourceError(e.to_string()))),
            }
        };
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_sorted_order_with_servers() {
        let root = std::env::temp_dir().join(format!("edxlog-walk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for f in ["b/2.log", "b/1.log", "a/x/3.log", "top.log"] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"{}\n").unwrap();
        }
        let inputs = expand(vec![Spec::Path(root.clone())]).unwrap();
        let got: Vec<_> = inputs
            .iter()
            .map(|i| {
                (
                    i.name
                        .strip_prefix(&root.display().to_string())
                        .unwrap()
                        .to_string(),
                    i.server.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/a/x/3.log".to_string(), Some("a".to_string())),
                ("/b/1.log".to_string(), Some("b".to_string())),
                ("/b/2.log".to_string(), Some("b".to_string())),
                ("/top.log".to_string(), None),
            ]
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_missing_path_is_not_found() {
        let err = expand(vec![Spec::Path("/no/such/edxlog/file.log".into())])
            .err()
            .unwrap();
        assert!(matches!(err, Error::NotFound(p) if p.contains("/no/such/edxlog/file.log")));
    }
}
