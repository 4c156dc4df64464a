//! Core errors. The binding layer maps each kind to one Python exception.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// A path that does not exist.
    NotFound(String),
    /// A corrupt archive or compressed stream, or input that is not logs (`on_error="raise"`).
    Archive(String),
    /// Bad arguments.
    Invalid(String),
    /// Any other I/O failure, with the path.
    Io(String, std::io::Error),
    /// A bug: a panic caught at a thread boundary.
    Internal(String),
    /// The consumer asked to stop (Ctrl-C while waiting).
    Cancelled,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound(p) => write!(f, "no such file or directory: {p}"),
            Error::Archive(m) | Error::Invalid(m) | Error::Internal(m) => f.write_str(m),
            Error::Io(p, e) => write!(f, "{p}: {e}"),
            Error::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
