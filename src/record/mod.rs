//! One physical line → blank, reject or a `Record` of typed values (contract §2–§5).
//! No Arrow here: `columns` turns records into batches.

pub(crate) mod convert;
pub(crate) mod course;
pub(crate) mod event;
pub(crate) mod get_payload;
pub(crate) mod json;
pub(crate) mod raw;
pub(crate) mod time;
pub(crate) mod warning;

use std::borrow::Cow;

use convert::string_value;
use event::{with_string_payload, Payload};
use json::{Entries, Json, JsonError, Kind, Parser};
pub use warning::Warning;
pub(crate) use warning::{RejectReason, Warnings};

/// One row's parts, as views into the parsed line (and its decoded event). No value is
/// converted here: the column table says which part fills a column by which rule, so a
/// conversion's warning comes in column order (contract §7).
pub struct Record<'a> {
    /// Zero when not asked for (`Needs::event_id`).
    pub event_id: [u8; 16],
    /// The line's repairs (§2): NUL bytes, invalid UTF-8, a prefix.
    pub repairs: Warnings,
    /// The top-level entries, in document order.
    pub entries: Entries<'a>,
    /// `event_type` by the string rule (no warning here: its column warns).
    pub event_type: Option<Cow<'a, str>>,
    /// `context` when present and not null (of any type).
    pub context: Option<Json<'a>>,
    /// `context.user_id`, when asked for (`Needs::user_id`) and `context` is an object.
    pub context_user_id: Option<Json<'a>>,
    /// `event` when present and not null.
    pub event: Option<Json<'a>>,
    /// The line's own text of `context` when it is an object, and of `event` when it is not a
    /// string (when asked for: `Needs::json_text`).
    pub context_text: Option<&'a str>,
    pub event_text: Option<&'a str>,
    /// course_id and org_id of §5, when asked for (`Needs::course_org`).
    pub course_id: Option<Cow<'a, str>>,
    pub org_id: Option<Cow<'a, str>>,
    /// The decoded event (§4), when asked for (`Needs::payload`); `Payload::None` otherwise.
    pub payload: Payload<'a>,
    /// What decoding the event found wrong.
    pub payload_warnings: Warnings,
}

/// What became of a line that was not a row.
#[derive(Debug, PartialEq)]
pub enum NotARow {
    Blank,
    Reject(RejectReason),
    /// Not one of the event types asked for (`EventTypeFilter`).
    Filtered,
}

/// Which of the costly steps a read needs, from the columns it returns (projection pushdown;
/// `columns::needs_of` derives it from the column table). A part that is not needed is left
/// empty; the rest of the record is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// Hash the line.
    pub event_id: bool,
    /// Find course_id and org_id (§5).
    pub course_org: bool,
    /// Find `context.user_id`.
    pub user_id: bool,
    /// Decode the event (§4).
    pub payload: bool,
    /// Find the source text of `context` and a non-string `event`.
    pub json_text: bool,
}

impl Needs {
    pub const NONE: Needs = Needs {
        event_id: false,
        course_org: false,
        user_id: false,
        payload: false,
        json_text: false,
    };

    pub const ALL: Needs = Needs {
        event_id: true,
        course_org: true,
        user_id: true,
        payload: true,
        json_text: true,
    };

    /// What either needs.
    pub const fn and(self, other: Needs) -> Needs {
        Needs {
            event_id: self.event_id || other.event_id,
            course_org: self.course_org || other.course_org,
            user_id: self.user_id || other.user_id,
            payload: self.payload || other.payload,
            json_text: self.json_text || other.json_text,
        }
    }
}

impl Default for Needs {
    fn default() -> Self {
        Needs::ALL
    }
}

/// Keeps the rows whose `event_type` is one of a set, and skips the others cheaply: a line in
/// whose bytes no wanted name occurs cannot hold one, so it is not even parsed (contract §2a).
pub struct EventTypeFilter {
    names: Vec<String>,
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// `\u`: an escape that could spell any character of a name.
    unicode_escape: memchr::memmem::Finder<'static>,
    /// `\/`, when some name has a `/` (which JSON may write so); None otherwise.
    slash_escape: Option<memchr::memmem::Finder<'static>>,
    /// Some name cannot be found in raw bytes at all (it has a character JSON must escape, or
    /// U+FFFD, which invalid UTF-8 turns into): every line is parsed.
    no_prefilter: bool,
}

impl EventTypeFilter {
    pub fn new(names: impl IntoIterator<Item = String>) -> EventTypeFilter {
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        names.dedup();
        let no_prefilter = names.iter().any(|n| {
            n.is_empty()
                || n.chars()
                    .any(|c| c < ' ' || c == '"' || c == '\\' || c == '\u{fffd}')
        });
        EventTypeFilter {
            finders: names
                .iter()
                .map(|n| memchr::memmem::Finder::new(n.as_bytes()).into_owned())
                .collect(),
            unicode_escape: memchr::memmem::Finder::new(b"\\u").into_owned(),
            slash_escape: names
                .iter()
                .any(|n| n.contains('/'))
                .then(|| memchr::memmem::Finder::new(b"\\/").into_owned()),
            no_prefilter,
            names,
        }
    }

    /// False only when the line cannot hold a wanted event type.
    fn may_match(&self, line: &[u8]) -> bool {
        self.no_prefilter
            || self.finders.iter().any(|f| f.find(line).is_some())
            || self.unicode_escape.find(line).is_some()
            || self
                .slash_escape
                .as_ref()
                .is_some_and(|f| f.find(line).is_some())
    }

    fn accepts(&self, event_type: Option<&str>) -> bool {
        event_type.is_some_and(|t| self.names.iter().any(|n| n == t))
    }
}

/// Bytes trimmed around a line: ASCII whitespace and NUL.
fn is_trimmed(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | 0)
}

/// The line without surrounding whitespace and NULs, and whether a NUL was among them.
pub fn trim_line(raw: &[u8]) -> (&[u8], bool) {
    let start = raw
        .iter()
        .position(|&b| !is_trimmed(b))
        .unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|&b| !is_trimmed(b))
        .map_or(start, |i| i + 1);
    let nul = raw[..start].contains(&0) || raw[end..].contains(&0);
    (&raw[start..end], nul)
}

/// The stable identity of a line: XXH3-128 of its trimmed bytes, big-endian.
pub fn event_id(core: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(core).to_be_bytes()
}

/// Per-thread parsing state, reused from line to line.
#[derive(Default)]
pub struct LineReader {
    line: Parser,
    event: Parser,
    needs: Needs,
    filter: Option<std::sync::Arc<EventTypeFilter>>,
    /// The top-level pairs' source spans, reused from line to line.
    pairs: Vec<raw::Pair>,
}

impl LineReader {
    /// A reader that computes only what `needs` asks for and keeps only the rows `filter`
    /// accepts (the others are `NotARow::Filtered`).
    pub fn new(needs: Needs, filter: Option<std::sync::Arc<EventTypeFilter>>) -> LineReader {
        LineReader {
            needs,
            filter,
            ..LineReader::default()
        }
    }

    /// Reads one physical line (without its `\n`). A row is handed to `on_row`.
    pub fn read_line(&mut self, raw: &[u8], on_row: impl FnOnce(&Record)) -> Result<(), NotARow> {
        let (core, nul_stripped) = trim_line(raw);
        if core.is_empty() {
            return Err(NotARow::Blank);
        }
        if let Some(f) = &self.filter {
            if !f.may_match(core) {
                return Err(NotARow::Filtered);
            }
        }
        let mut repairs = Warnings::default();
        if nul_stripped {
            repairs.push(Warning::NulStripped);
        }
        let text: Cow<str> = match simdutf8::basic::from_utf8(core) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                repairs.push(Warning::InvalidUtf8);
                String::from_utf8_lossy(core)
            }
        };
        let start = if text.starts_with('{') {
            0
        } else {
            match text.find('{') {
                Some(i) => i,
                None => return Err(NotARow::Reject(RejectReason::NotAnObject)),
            }
        };
        let object_text = &text[start..];
        let doc = self
            .line
            .parse(object_text.as_bytes())
            .map_err(|e| match e {
                JsonError::TooDeep => NotARow::Reject(RejectReason::TooDeep),
                JsonError::Invalid(m) if start > 0 => {
                    NotARow::Reject(RejectReason::NoObjectFound(m))
                }
                JsonError::Invalid(m) => NotARow::Reject(RejectReason::InvalidJson(m)),
            })?;
        let root = doc.root();
        let Kind::Object(entries) = root.kind() else {
            return Err(NotARow::Reject(RejectReason::NotAnObject));
        };
        if start > 0 {
            repairs.push(Warning::PrefixStripped { bytes: start });
        }
        let needs = self.needs;
        let event_id = if needs.event_id {
            event_id(core)
        } else {
            [0; 16]
        };
        let top = TopLevel::find(entries.clone());
        let event_type = top.event_type.and_then(string_value);
        if let Some(f) = &self.filter {
            if !f.accepts(event_type.as_deref()) {
                return Err(NotARow::Filtered);
            }
        }
        let context_object = top.context.filter(|c| matches!(c.kind(), Kind::Object(_)));
        let [ctx_course, ctx_org, ctx_user] = context_object
            .filter(|_| needs.course_org || needs.user_id)
            .map(|c| c.lookup(&["course_id", "org_id", "user_id"]))
            .unwrap_or_default();
        let ctx_course = ctx_course.and_then(non_empty_str);
        let page = top.page.and_then(string_value);
        let context_is_object = context_object.is_some();
        let event_is_json = top.event.is_some_and(|e| e.as_str().is_none());
        let (mut context_text, mut event_text) = (None, None);
        if needs.json_text && (context_is_object || event_is_json) {
            self.pairs.clear();
            raw::top_level_pairs(object_text.as_bytes(), doc.structurals(), &mut self.pairs);
            let text_of = |key| raw::last_value(object_text, &self.pairs, key);
            context_text = context_is_object.then(|| text_of("context")).flatten();
            event_text = event_is_json.then(|| text_of("event")).flatten();
        }
        let parts = Parts {
            event_id,
            repairs,
            entries,
            context: top.context,
            context_user_id: ctx_user.filter(|_| needs.user_id),
            event: top.event,
            context_text,
            event_text,
        };
        // The payload is decoded for the event columns, and for course_id when context has
        // none (§5: the payload's own course_id comes next).
        let decode = needs.payload || (needs.course_org && ctx_course.is_none());
        let finish = |payload: Payload<'_>, payload_warnings: Warnings| {
            let (course_id, org_id) = if needs.course_org {
                course_and_org(
                    ctx_course,
                    ctx_org,
                    payload,
                    page.as_ref(),
                    event_type.as_ref(),
                )
            } else {
                (None, None)
            };
            let record = Record {
                event_id: parts.event_id,
                repairs: parts.repairs,
                entries: parts.entries,
                event_type: event_type.clone(),
                context: parts.context,
                context_user_id: parts.context_user_id,
                event: parts.event,
                context_text: parts.context_text,
                event_text: parts.event_text,
                course_id,
                org_id,
                payload: if needs.payload {
                    payload
                } else {
                    Payload::None
                },
                payload_warnings,
            };
            on_row(&record);
        };
        let mut payload_warnings = Warnings::default();
        match top.event.filter(|_| decode).map(|e| (e, e.kind())) {
            Some((_, Kind::Str(s))) => {
                with_string_payload(s, &mut self.event, &mut payload_warnings, |payload, w| {
                    finish(payload, std::mem::take(w))
                })
            }
            Some((e, Kind::Object(_))) => finish(Payload::Object(e), payload_warnings),
            Some((e, Kind::Array(_))) => finish(Payload::List(e), payload_warnings),
            _ => finish(Payload::None, payload_warnings),
        }
        Ok(())
    }
}

/// A record's parts found before the event is decoded.
struct Parts<'a> {
    event_id: [u8; 16],
    repairs: Warnings,
    entries: Entries<'a>,
    context: Option<Json<'a>>,
    context_user_id: Option<Json<'a>>,
    event: Option<Json<'a>>,
    context_text: Option<&'a str>,
    event_text: Option<&'a str>,
}

/// The top-level values the reader itself looks at (the last one when a key repeats); nulls
/// count as absent.
#[derive(Default)]
struct TopLevel<'a> {
    event_type: Option<Json<'a>>,
    page: Option<Json<'a>>,
    context: Option<Json<'a>>,
    event: Option<Json<'a>>,
}

impl<'a> TopLevel<'a> {
    fn find(entries: Entries<'a>) -> TopLevel<'a> {
        let mut top = TopLevel::default();
        for (key, value) in entries {
            let slot = match key {
                "event_type" => &mut top.event_type,
                "page" => &mut top.page,
                "context" => &mut top.context,
                "event" => &mut top.event,
                _ => continue,
            };
            *slot = Some(value);
        }
        let not_null = |v: Option<Json<'a>>| v.filter(|v| !v.is_null());
        TopLevel {
            event_type: not_null(top.event_type),
            page: not_null(top.page),
            context: not_null(top.context),
            event: not_null(top.event),
        }
    }
}

fn non_empty_str(v: Json<'_>) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// `f` applied to the text of a Cow, keeping the borrow when there is one.
fn sub_cow<'a>(c: &Cow<'a, str>, f: fn(&str) -> Option<&str>) -> Option<Cow<'a, str>> {
    match c {
        Cow::Borrowed(s) => f(s).map(Cow::Borrowed),
        Cow::Owned(s) => f(s).map(|sub| Cow::Owned(sub.to_owned())),
    }
}

/// course_id and org_id from context, else the payload, else URLs (contract §5).
fn course_and_org<'a>(
    context_course: Option<&'a str>,
    context_org: Option<Json<'a>>,
    payload: Payload<'a>,
    page: Option<&Cow<'a, str>>,
    event_type: Option<&Cow<'a, str>>,
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let url_shaped_event_type = event_type.filter(|t| t.starts_with('/') || t.starts_with("http"));
    let payload_course = match payload {
        Payload::Object(obj) => obj.get("course_id").and_then(non_empty_str),
        _ => None,
    };
    let course_id = context_course
        .or(payload_course)
        .map(Cow::Borrowed)
        .or_else(|| {
            [page, url_shaped_event_type]
                .into_iter()
                .flatten()
                .find_map(|url| sub_cow(url, course::course_id_from_url))
        });
    let org_id = context_org
        .and_then(non_empty_str)
        .map(Cow::Borrowed)
        .or_else(|| {
            course_id
                .as_ref()
                .and_then(|c| sub_cow(c, course::org_from_course_id))
        });
    (course_id, org_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one line: its repairs' texts, and course_id / org_id / event_type.
    fn read(line: &str) -> Result<(Vec<String>, String), NotARow> {
        read_bytes(line.as_bytes())
    }

    fn read_bytes(line: &[u8]) -> Result<(Vec<String>, String), NotARow> {
        let mut r = LineReader::default();
        let mut out = None;
        r.read_line(line, |rec| {
            out = Some((
                rec.repairs.texts(),
                format!(
                    "course={:?} org={:?} type={:?}",
                    rec.course_id, rec.org_id, rec.event_type
                ),
            ))
        })?;
        Ok(out.unwrap())
    }

    #[test]
    fn blank_lines_of_whitespace_and_nul() {
        assert_eq!(read("").unwrap_err(), NotARow::Blank);
        assert_eq!(read_bytes(b" \t\r\0\0 ").unwrap_err(), NotARow::Blank);
    }

    #[test]
    fn logging_prefix_is_stripped_with_a_warning() {
        let (w, _) = read(r#"2023-05-23 13:53:13,461 INFO 20 [tracking] logger.py:41 - {"username": "a", "event": {}}"#).unwrap();
        assert_eq!(w, ["prefix stripped: 58 bytes"]);
    }

    #[test]
    fn bom_and_nul_damage_are_recovered() {
        let (w, _) = read("\u{feff}{\"username\":\"a\"}").unwrap();
        assert_eq!(w, ["prefix stripped: 3 bytes"]);
        let (w, _) = read_bytes(b"\0\0{\"username\":\"a\"}").unwrap();
        assert_eq!(w, ["nul bytes stripped"]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_the_row_kept() {
        let (w, s) = read_bytes(b"{\"event_type\":\"a\xffb\"}").unwrap();
        assert_eq!(w, ["invalid utf-8 replaced"]);
        assert!(s.contains("type=Some(\"a\u{fffd}b\")"), "{s}");
    }

    #[test]
    fn rejects_say_why() {
        assert_eq!(
            read("[1,2]").unwrap_err(),
            NotARow::Reject(RejectReason::NotAnObject)
        );
        assert_eq!(
            read("# a comment").unwrap_err(),
            NotARow::Reject(RejectReason::NotAnObject)
        );
        assert!(matches!(
            read("{\"a\":1}{\"b\":2}").unwrap_err(),
            NotARow::Reject(RejectReason::InvalidJson(_))
        ));
        assert!(matches!(
            read("x {\"a\":").unwrap_err(),
            NotARow::Reject(RejectReason::NoObjectFound(_))
        ));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(
            read(&deep).unwrap_err(),
            NotARow::Reject(RejectReason::TooDeep)
        );
    }

    #[test]
    fn course_and_org_fall_back_to_urls() {
        let (_, s) = read(r#"{"context":{"course_id":"","org_id":""},"page":"https://x/courses/MITx/6.002x/2012_Fall/courseware"}"#).unwrap();
        assert!(
            s.contains(r#"course=Some("MITx/6.002x/2012_Fall") org=Some("MITx")"#),
            "{s}"
        );
        let (_, s) =
            read(r#"{"event_type":"/courses/course-v1:A+B+C/xblock/x/handler/problem_check"}"#)
                .unwrap();
        assert!(
            s.contains(r#"course=Some("course-v1:A+B+C") org=Some("A")"#),
            "{s}"
        );
        let (_, s) = read(r#"{"event_type":"problem_check courses/course-v1:A+B+C/"}"#).unwrap();
        assert!(s.contains("course=None"), "{s}");
    }

    #[test]
    fn course_comes_from_the_payload_when_context_has_none() {
        let line = r#"{"event_type":"edx.bookmark.added","context":{"course_id":""},"page":"https://x/courses/MITx/6.002x/2012_Fall/","event":"{\"course_id\": \"course-v1:E+F+G\", \"bookmark_id\": \"b\"}"}"#;
        let (_, s) = read(line).unwrap();
        assert!(
            s.contains(r#"course=Some("course-v1:E+F+G") org=Some("E")"#),
            "{s}"
        );
        // Context wins when it has one.
        let line = r#"{"context":{"course_id":"X/Y/Z"},"event":{"course_id":"course-v1:E+F+G"}}"#;
        let (_, s) = read(line).unwrap();
        assert!(s.contains(r#"course=Some("X/Y/Z") org=Some("X")"#), "{s}");
        // Only for course_id, the payload is decoded even when no event column is asked for.
        let mut r = LineReader::new(
            Needs {
                course_org: true,
                ..Needs::NONE
            },
            None,
        );
        let mut course = None;
        r.read_line(br#"{"event":{"course_id":"a/b/c"}}"#, |rec| {
            course = rec.course_id.as_deref().map(str::to_owned);
            assert!(matches!(rec.payload, Payload::None));
        })
        .unwrap();
        assert_eq!(course.as_deref(), Some("a/b/c"));
    }

    #[test]
    fn event_id_ignores_surrounding_whitespace_only() {
        assert_eq!(
            event_id(trim_line(b" {\"a\":1}\r").0),
            event_id(b"{\"a\":1}")
        );
        assert_ne!(event_id(b"{\"a\":1}"), event_id(b"{\"a\": 1}"));
    }
}
