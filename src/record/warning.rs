//! What can be wrong with a row (contract §7) or a line (contract §2), as typed values that
//! print the documented text. Nothing here allocates for the common warnings: column names are
//! the table's own `&'static str`.

use std::fmt;

/// The JSON type a value had, as warnings name it (contract §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    pub fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Bool => "bool",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// What a value was to become when it could not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    String,
    Int64,
    Float64,
    Timestamp,
    Object,
    Map,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::String => "string",
            Target::Int64 => "int64",
            Target::Float64 => "float64",
            Target::Timestamp => "timestamp",
            Target::Object => "object",
            Target::Map => "map",
        }
    }
}

/// One soft problem with a row; `Display` is the text of the `warnings` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// NUL bytes around the line were trimmed.
    NulStripped,
    /// Invalid UTF-8 was replaced by U+FFFD.
    InvalidUtf8,
    /// Text before the first `{` (a logging prefix, a BOM) was dropped.
    PrefixStripped { bytes: usize },
    /// `time` is a string the time rule does not accept.
    TimeUnparseable,
    /// A value of the wrong type for its column (or for a part of one, `correct_map.npoints`).
    CannotConvert {
        column: &'static str,
        from: JsonType,
        to: Target,
    },
    /// A number outside what the column's type holds.
    OutOfRange { column: &'static str },
    /// A string event that starts like JSON but does not parse (often cut at 512 characters).
    EventUndecodable,
    /// A `correct_map` entry that is not an object was skipped.
    CorrectMapEntryNotObject,
    /// The row's member failed a check of its data (a gzip checksum): the text is the input
    /// stage's (`input::archive::FAILED_CHECKSUM`, ...), on every row of that member.
    MemberDamaged(&'static str),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NulStripped => f.write_str("nul bytes stripped"),
            Warning::MemberDamaged(text) => f.write_str(text),
            Warning::InvalidUtf8 => f.write_str("invalid utf-8 replaced"),
            Warning::PrefixStripped { bytes } => write!(f, "prefix stripped: {bytes} bytes"),
            Warning::TimeUnparseable => f.write_str("time: unparseable"),
            Warning::CannotConvert { column, from, to } => write!(
                f,
                "{column}: cannot convert {} to {}",
                from.name(),
                to.name()
            ),
            Warning::OutOfRange { column } => write!(f, "{column}: out of range"),
            Warning::EventUndecodable => f.write_str("event: looks like JSON but does not decode"),
            Warning::CorrectMapEntryNotObject => f.write_str("correct_map: entry is not an object"),
        }
    }
}

/// Warnings of one row, in the order the checks run (contract §7).
#[derive(Default, Debug, Clone, PartialEq)]
pub struct Warnings(pub Vec<Warning>);

impl Warnings {
    pub fn push(&mut self, w: Warning) {
        self.0.push(w);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The texts, as the `warnings` column holds them (for tests; the builder writes them
    /// straight into the column).
    #[cfg(test)]
    pub fn texts(&self) -> Vec<String> {
        self.0.iter().map(Warning::to_string).collect()
    }
}

/// Why a line is a reject and not a row (contract §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// No `{` in the line, or the JSON value is not an object.
    NotAnObject,
    /// Nesting deeper than `json::MAX_DEPTH`.
    TooDeep,
    /// The JSON does not parse; the parser's words.
    InvalidJson(String),
    /// The line had text before its first `{`, and from there on it is no JSON.
    NoObjectFound(String),
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::NotAnObject => f.write_str("not a JSON object"),
            RejectReason::TooDeep => {
                write!(f, "nesting deeper than {} levels", super::json::MAX_DEPTH)
            }
            RejectReason::InvalidJson(m) => write!(f, "invalid JSON: {m}"),
            RejectReason::NoObjectFound(m) => write!(f, "no JSON object found: invalid JSON: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_print_the_documented_text() {
        let w = [
            Warning::NulStripped,
            Warning::InvalidUtf8,
            Warning::PrefixStripped { bytes: 58 },
            Warning::TimeUnparseable,
            Warning::CannotConvert {
                column: "seq_old",
                from: JsonType::String,
                to: Target::Int64,
            },
            Warning::OutOfRange { column: "user_id" },
            Warning::EventUndecodable,
            Warning::CorrectMapEntryNotObject,
        ];
        let texts: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            texts,
            [
                "nul bytes stripped",
                "invalid utf-8 replaced",
                "prefix stripped: 58 bytes",
                "time: unparseable",
                "seq_old: cannot convert string to int64",
                "user_id: out of range",
                "event: looks like JSON but does not decode",
                "correct_map: entry is not an object",
            ]
        );
    }

    #[test]
    fn reject_reasons_print_the_documented_text() {
        assert_eq!(RejectReason::NotAnObject.to_string(), "not a JSON object");
        assert_eq!(
            RejectReason::TooDeep.to_string(),
            "nesting deeper than 1000 levels"
        );
        assert_eq!(
            RejectReason::NoObjectFound("x".into()).to_string(),
            "no JSON object found: invalid JSON: x"
        );
    }
}
