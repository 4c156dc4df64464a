//! One physical line → blank, reject or a `Record` of typed values (contract §2–§5).
//! No Arrow here: `columns` turns records into batches.

pub mod convert;
pub mod course;
pub mod event;
pub mod get_payload;
pub mod json;
pub mod time;

use std::borrow::Cow;

use convert::{to_int, to_string, Warnings};
use event::{with_string_payload, EventFields, Payload};
use json::{write_object, Json, JsonError, Kind, Parser};

/// The top-level keys that have a string column of their own, in schema order.
pub const STRING_KEYS: [&str; 11] = [
    "username",
    "session",
    "ip",
    "agent",
    "page",
    "host",
    "referer",
    "accept_language",
    "name",
    "event_source",
    "event_type",
];
const EVENT_TYPE: usize = 10;
const PAGE: usize = 4;

/// One row's values, borrowing the parsed line where it can.
pub struct Record<'a> {
    pub event_id: [u8; 16],
    pub time: Option<i64>,
    pub strings: [Option<Cow<'a, str>>; 11],
    pub course_id: Option<Cow<'a, str>>,
    pub org_id: Option<Cow<'a, str>>,
    pub user_id: Option<i64>,
    pub context: Option<String>,
    pub extra: Option<String>,
    pub event: Option<Cow<'a, str>>,
    pub fields: EventFields<'a>,
    pub warnings: Warnings,
}

/// What became of a line that was not a row.
#[derive(Debug, PartialEq)]
pub enum NotARow {
    Blank,
    Reject(String),
    /// Not one of the event types asked for (`EventTypeFilter`).
    Filtered,
}

/// Which of the costly values a read needs, from the columns it returns (projection
/// pushdown). A value that is not needed is left None; the rest of the row is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub event_id: bool,
    pub course_org: bool,
    pub user_id: bool,
    pub context: bool,
    pub extra: bool,
    pub event: bool,
    /// The event-specific columns (problem_id … selected_value): decoding the event.
    pub fields: bool,
}

impl Needs {
    const NONE: Needs = Needs {
        event_id: false,
        course_org: false,
        user_id: false,
        context: false,
        extra: false,
        event: false,
        fields: false,
    };

    pub const ALL: Needs = Needs {
        event_id: true,
        course_org: true,
        user_id: true,
        context: true,
        extra: true,
        event: true,
        fields: true,
    };

    /// What the named columns need. `warnings` needs everything: any step may warn.
    pub fn of_columns<'c>(columns: impl IntoIterator<Item = &'c str>) -> Needs {
        let mut n = Needs::NONE;
        for c in columns {
            match c {
                "warnings" => return Needs::ALL,
                "event_id" => n.event_id = true,
                "course_id" | "org_id" => n.course_org = true,
                "user_id" => n.user_id = true,
                "context" => n.context = true,
                "extra" => n.extra = true,
                "event" => n.event = true,
                c if crate::columns::schema::is_event_field(c) => n.fields = true,
                _ => {}
            }
        }
        n
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
    side: Parser,
    needs: Needs,
    filter: Option<std::sync::Arc<EventTypeFilter>>,
    spare: SpareText,
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
        let mut warnings = Warnings::default();
        if nul_stripped {
            warnings.push("nul bytes stripped");
        }
        let text: Cow<str> = match std::str::from_utf8(core) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                warnings.push("invalid utf-8 replaced");
                String::from_utf8_lossy(core)
            }
        };
        let start = if text.starts_with('{') {
            0
        } else {
            match text.find('{') {
                Some(i) => i,
                None => return Err(NotARow::Reject("not a JSON object".into())),
            }
        };
        let doc = self
            .line
            .parse(text[start..].as_bytes())
            .map_err(|e| match e {
                JsonError::TooDeep => NotARow::Reject(e.to_string()),
                JsonError::Invalid(_) if start > 0 => {
                    NotARow::Reject(format!("no JSON object found: {e}"))
                }
                JsonError::Invalid(_) => NotARow::Reject(e.to_string()),
            })?;
        let root = doc.root();
        let Kind::Object(entries) = root.kind() else {
            return Err(NotARow::Reject("not a JSON object".into()));
        };
        if start > 0 {
            warnings.push(format!("prefix stripped: {start} bytes"));
        }
        let Self {
            event,
            side,
            needs,
            filter,
            spare,
            ..
        } = self;
        let id = if needs.event_id {
            event_id(core)
        } else {
            [0; 16]
        };
        let ctx = Ctx {
            needs: *needs,
            filter: filter.as_deref(),
            event_parser: event,
            side_parser: side,
            spare,
        };
        if build_record(entries, id, warnings, ctx, on_row) {
            Ok(())
        } else {
            Err(NotARow::Filtered)
        }
    }
}

/// Slots of the top-level keys that have columns: time, the string keys, context, event.
struct TopLevel<'a> {
    time: Option<Json<'a>>,
    strings: [Option<Json<'a>>; 11],
    context: Option<Json<'a>>,
    event: Option<Json<'a>>,
    /// Keys no column covers, and values a column refused.
    extra: Vec<(&'a str, Json<'a>)>,
}

fn split_top_level(entries: json::Entries<'_>) -> TopLevel<'_> {
    let mut top = TopLevel {
        time: None,
        strings: [None; 11],
        context: None,
        event: None,
        extra: Vec::new(),
    };
    for (key, value) in entries {
        match key {
            "time" => top.time = Some(value),
            "context" => top.context = Some(value),
            "event" => top.event = Some(value),
            _ => match STRING_KEYS.iter().position(|k| *k == key) {
                Some(i) => top.strings[i] = Some(value),
                None => top.extra.push((key, value)),
            },
        }
    }
    top
}

/// What `build_record` works with besides the line.
struct Ctx<'p> {
    needs: Needs,
    filter: Option<&'p EventTypeFilter>,
    event_parser: &'p mut Parser,
    side_parser: &'p mut Parser,
    spare: &'p mut SpareText,
}

/// Buffers of the JSON texts a row carries, reused from line to line.
#[derive(Default)]
struct SpareText {
    context: String,
    extra: String,
    event: String,
}

/// Builds the row and hands it to `on_row`; false when the filter refuses its event type.
fn build_record<'a>(
    entries: json::Entries<'a>,
    event_id: [u8; 16],
    mut warnings: Warnings,
    ctx: Ctx<'_>,
    on_row: impl FnOnce(&Record),
) -> bool {
    let Ctx {
        needs,
        filter,
        event_parser,
        side_parser,
        spare,
    } = ctx;
    let mut top = split_top_level(entries);
    let time = top.time.and_then(|v| match v.kind() {
        Kind::Null => None,
        Kind::Str(s) => time::parse_time(s).or_else(|| {
            warnings.push("time: unparseable");
            top.extra.push(("time", v));
            None
        }),
        kind => {
            warnings.push(format!(
                "time: cannot convert {} to timestamp",
                kind.type_name()
            ));
            top.extra.push(("time", v));
            None
        }
    });
    let mut strings: [Option<Cow<'a, str>>; 11] = Default::default();
    for (i, slot) in top.strings.iter().enumerate() {
        if let Some(v) = *slot {
            let (value, refused) = to_string(v, STRING_KEYS[i], &mut warnings);
            if refused {
                top.extra.push((STRING_KEYS[i], v));
            }
            strings[i] = value;
        }
    }
    if let Some(f) = filter {
        if !f.accepts(strings[EVENT_TYPE].as_deref()) {
            return false;
        }
    }
    let context = top.context.filter(|c| !c.is_null());
    let context_object = context.filter(|c| matches!(c.kind(), Kind::Object(_)));
    let [ctx_course, ctx_org, ctx_user] = context_object
        .filter(|_| needs.course_org || needs.user_id)
        .map(|c| c.lookup(&["course_id", "org_id", "user_id"]))
        .unwrap_or_default();
    let (course_id, org_id) = if needs.course_org {
        course_and_org(ctx_course, ctx_org, &strings)
    } else {
        (None, None)
    };
    let user_id = ctx_user
        .filter(|_| needs.user_id)
        .and_then(|v| to_int(v, "user_id", &mut warnings));
    let context_text = match (context, context_object) {
        (Some(c), Some(_)) => needs
            .context
            .then(|| reused_text(&mut spare.context, |s| c.write_json(s))),
        (Some(c), None) => {
            warnings.push(format!(
                "context: cannot convert {} to object",
                c.kind().type_name()
            ));
            top.extra.push(("context", c));
            None
        }
        _ => None,
    };
    let extra = (needs.extra && !top.extra.is_empty()).then(|| {
        reused_text(&mut spare.extra, |s| {
            write_object(top.extra.iter().copied(), s)
        })
    });
    // A clone of the (usually borrowed) Cow: `strings` itself moves into the record.
    let event_type = strings[EVENT_TYPE].clone().unwrap_or_default();
    let event_value = top.event.filter(|e| !e.is_null());
    let event_text = event_value.filter(|_| needs.event).map(|e| match e.kind() {
        Kind::Str(s) => Cow::Borrowed(s),
        _ => Cow::Owned(reused_text(&mut spare.event, |s| e.write_json(s))),
    });
    let finish = |fields: EventFields<'_>, warnings: Warnings| {
        let record = Record {
            event_id,
            time,
            strings,
            course_id,
            org_id,
            user_id,
            context: context_text,
            extra,
            event: event_text,
            fields,
            warnings,
        };
        on_row(&record);
        // The texts' buffers serve the next line.
        spare.context = record.context.unwrap_or_default();
        spare.extra = record.extra.unwrap_or_default();
        if let Some(Cow::Owned(e)) = record.event {
            spare.event = e;
        }
    };
    match event_value.filter(|_| needs.fields).map(|e| (e, e.kind())) {
        Some((_, Kind::Str(s))) => {
            with_string_payload(s, event_parser, &mut warnings, |payload, w| {
                let fields = EventFields::from_payload(payload, &event_type, side_parser, w);
                finish(fields, std::mem::take(w))
            })
        }
        Some((e, kind)) => {
            let payload = match kind {
                Kind::Object(_) => Payload::Object(e),
                Kind::Array(_) => Payload::List(e),
                _ => Payload::None,
            };
            let fields =
                EventFields::from_payload(payload, &event_type, side_parser, &mut warnings);
            finish(fields, warnings)
        }
        None => finish(EventFields::default(), warnings),
    }
    true
}

/// Text written into a buffer kept from an earlier line (no allocation once it is big enough).
fn reused_text(buffer: &mut String, write: impl FnOnce(&mut String)) -> String {
    let mut s = std::mem::take(buffer);
    s.clear();
    write(&mut s);
    s
}

/// `f` applied to the text of a Cow, keeping the borrow when there is one.
fn sub_cow<'a>(c: &Cow<'a, str>, f: fn(&str) -> Option<&str>) -> Option<Cow<'a, str>> {
    match c {
        Cow::Borrowed(s) => f(s).map(Cow::Borrowed),
        Cow::Owned(s) => f(s).map(|sub| Cow::Owned(sub.to_owned())),
    }
}

/// course_id and org_id from context, else from URLs (contract §5).
fn course_and_org<'a>(
    context_course: Option<Json<'a>>,
    context_org: Option<Json<'a>>,
    strings: &[Option<Cow<'a, str>>; 11],
) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    let non_empty = |v: Option<Json<'a>>| {
        v.and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(Cow::Borrowed)
    };
    let url_shaped_event_type = strings[EVENT_TYPE]
        .as_ref()
        .filter(|t| t.starts_with('/') || t.starts_with("http"));
    let course_id = non_empty(context_course).or_else(|| {
        [strings[PAGE].as_ref(), url_shaped_event_type]
            .into_iter()
            .flatten()
            .find_map(|url| sub_cow(url, course::course_id_from_url))
    });
    let org_id = non_empty(context_org).or_else(|| {
        course_id
            .as_ref()
            .and_then(|c| sub_cow(c, course::org_from_course_id))
    });
    (course_id, org_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one line and renders the parts a test looks at.
    fn read(line: &str) -> Result<(Vec<String>, String), NotARow> {
        read_bytes(line.as_bytes())
    }

    fn read_bytes(line: &[u8]) -> Result<(Vec<String>, String), NotARow> {
        let mut r = LineReader::default();
        let mut out = None;
        r.read_line(line, |rec| {
            out = Some((
                rec.warnings.0.clone(),
                format!(
                    "time={:?} user={:?} session={:?} course={:?} org={:?} uid={:?} extra={:?} event={:?}",
                    rec.time,
                    rec.strings[0],
                    rec.strings[1],
                    rec.course_id,
                    rec.org_id,
                    rec.user_id,
                    rec.extra,
                    rec.event
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
        let (w, s) = read(r#"2023-05-23 13:53:13,461 INFO 20 [tracking] logger.py:41 - {"username": "a", "event": {}}"#).unwrap();
        assert_eq!(w, ["prefix stripped: 58 bytes"]);
        assert!(s.contains(r#"user=Some("a")"#));
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
        let (w, s) = read_bytes(b"{\"username\":\"a\xffb\"}").unwrap();
        assert_eq!(w, ["invalid utf-8 replaced"]);
        assert!(s.contains("user=Some(\"a\u{fffd}b\")"), "{s}");
    }

    #[test]
    fn rejects_say_why() {
        assert_eq!(
            read("[1,2]").unwrap_err(),
            NotARow::Reject("not a JSON object".into())
        );
        assert_eq!(
            read("# a comment").unwrap_err(),
            NotARow::Reject("not a JSON object".into())
        );
        assert!(
            matches!(read("{\"a\":1}{\"b\":2}").unwrap_err(), NotARow::Reject(e) if e.starts_with("invalid JSON"))
        );
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(
            read(&deep).unwrap_err(),
            NotARow::Reject("nesting deeper than 1000 levels".into())
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
    fn unknown_and_refused_keys_go_to_extra() {
        let (w, s) =
            read(r#"{"username":["x"],"foo":1,"time":5,"user_id":3,"context":{"user_id":"42"}}"#)
                .unwrap();
        assert_eq!(
            w,
            [
                "time: cannot convert number to timestamp",
                "username: cannot convert array to string"
            ]
        );
        assert!(
            s.contains(
                r#"extra=Some("{\"foo\":1,\"user_id\":3,\"time\":5,\"username\":[\"x\"]}")"#
            ),
            "{s}"
        );
        assert!(s.contains("uid=Some(42)"), "{s}");
    }

    #[test]
    fn string_event_is_kept_verbatim_and_object_event_as_compact_json() {
        let (_, s) = read(r#"{"event":"{\"a\": 1}"}"#).unwrap();
        assert!(s.contains(r#"event=Some("{\"a\": 1}")"#), "{s}");
        let (_, s) = read(r#"{"event":{"a": 1}}"#).unwrap();
        assert!(s.contains(r#"event=Some("{\"a\":1}")"#), "{s}");
        let (_, s) = read(r#"{"event":null}"#).unwrap();
        assert!(s.contains("event=None"), "{s}");
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
