//! The embedded event (contract §4): an object, a string that encodes JSON (maybe cut at 512
//! characters), a quoted or plain GET string, or a `[GET string, html]` list — and the two
//! event columns whose rules are more than "a key by a rule": answers and correct_map. (The
//! plain ones are entries of the column table.)

use std::borrow::Cow;

use super::convert::{to_float, to_string, to_text, Warnings};
use super::get_payload::{answer_key, decode_get_payload, push_answers, Answers};
use super::json::{dedup_entries, Json, KeyIndex, Kind, Parser};
use super::warning::{Target, Warning};

/// What the event decodes to.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    None,
    /// An object (from the event itself or a decoded string).
    Object(Json<'a>),
    /// An array (problem_graded's `[GET string, html]`).
    List(Json<'a>),
    /// A string that is not JSON: perhaps `key=value&...`.
    Get(&'a str),
}

/// How many strings-inside-strings are unwrapped before giving up.
const MAX_STRING_LEVELS: usize = 3;

/// Decodes a string event and hands the payload to `f`. Continuation style, because the
/// payload borrows the parser's tape, which a nested string may need again.
pub(crate) fn with_string_payload<R>(
    s: &str,
    parser: &mut Parser,
    warnings: &mut Warnings,
    f: impl FnOnce(Payload<'_>, &mut Warnings) -> R,
) -> R {
    decode_level(s, parser, warnings, 0, f)
}

fn decode_level<R>(
    s: &str,
    parser: &mut Parser,
    warnings: &mut Warnings,
    level: usize,
    f: impl FnOnce(Payload<'_>, &mut Warnings) -> R,
) -> R {
    let first = s
        .trim_start_matches(|c: char| c.is_ascii_whitespace())
        .chars()
        .next();
    if !matches!(first, Some('{' | '[' | '"')) {
        return f(Payload::Get(s), warnings);
    }
    let nested: String;
    match parser.parse(s.as_bytes()) {
        Ok(doc) => {
            let root = doc.root();
            match root.kind() {
                Kind::Object(_) => return f(Payload::Object(root), warnings),
                Kind::Array(_) => return f(Payload::List(root), warnings),
                Kind::Str(inner) if level + 1 < MAX_STRING_LEVELS => nested = inner.to_owned(),
                Kind::Str(inner) => return f(Payload::Get(inner), warnings),
                _ => return f(Payload::None, warnings),
            }
        }
        Err(_) if first == Some('"') => {
            // A quoted GET string cut short: no closing quote, still a usable payload.
            return f(
                Payload::Get(&s[s.find('"').map_or(0, |i| i + 1)..]),
                warnings,
            );
        }
        Err(_) => {
            warnings.push(Warning::EventUndecodable);
            return f(Payload::None, warnings);
        }
    }
    decode_level(&nested, parser, warnings, level + 1, f)
}

#[derive(Default, Debug, PartialEq)]
pub(crate) struct CorrectMapEntry<'a> {
    pub answer_id: Cow<'a, str>,
    pub correctness: Option<Cow<'a, str>>,
    pub npoints: Option<f64>,
    pub msg: Option<Cow<'a, str>>,
    pub hint: Option<Cow<'a, str>>,
    pub hintmode: Option<Cow<'a, str>>,
    pub queuestate_key: Option<Cow<'a, str>>,
    pub queuestate_time: Option<Cow<'a, str>>,
}

/// Event types whose GET-style payload holds the submitted answers.
fn carries_get_answers(event_type: &str) -> bool {
    matches!(
        event_type,
        "problem_check" | "problem_save" | "problem_graded"
    )
}

impl<'a> Payload<'a> {
    /// The payload object, if it is one.
    pub fn object(self) -> Option<Json<'a>> {
        match self {
            Payload::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The GET candidate: a string payload, or the first element of a list when a string.
    fn get_candidate(self) -> Option<&'a str> {
        match self {
            Payload::Get(s) => Some(s),
            Payload::List(list) => match list.kind() {
                Kind::Array(mut items) => items.next().and_then(|first| first.as_str()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `problem_id` of the payload (its value of `problem_id` and of `problem` given); for
/// problem_show without one, `problem`.
pub(crate) fn problem_id<'a>(
    problem_id: Option<Json<'a>>,
    problem: Option<Json<'a>>,
    event_type: Option<&str>,
    w: &mut Warnings,
) -> Option<Cow<'a, str>> {
    match problem_id.filter(|v| !v.is_null()) {
        Some(v) => to_string(v, "problem_id", w).0,
        None if event_type == Some("problem_show") => {
            problem.and_then(|v| to_string(v, "problem_id", w).0)
        }
        None => None,
    }
}

/// The answers column: an object payload's `answers` (its value given), or for the problem
/// events whose payload is a GET string, that string decoded.
pub(crate) fn answers_of<'a>(
    payload: Payload<'a>,
    answers_value: Option<Json<'a>>,
    event_type: Option<&str>,
    w: &mut Warnings,
) -> Option<Answers<'a>> {
    if payload.object().is_some() {
        return answers_value.and_then(|a| answers(a, w));
    }
    if !event_type.is_some_and(carries_get_answers) {
        return None;
    }
    payload
        .get_candidate()
        .filter(|s| s.contains('='))
        .and_then(|s| non_empty(decode_get_payload(s)))
}

fn non_empty(a: Answers<'_>) -> Option<Answers<'_>> {
    (!a.is_empty()).then_some(a)
}

/// Server `answers`: an object of id → value or list of values; a string is a GET payload.
fn answers<'a>(v: Json<'a>, w: &mut Warnings) -> Option<Answers<'a>> {
    match v.kind() {
        Kind::Null => None,
        Kind::Object(entries) => {
            let mut out: Answers = Vec::new();
            let mut index = KeyIndex::default();
            for (k, value) in dedup_entries(entries) {
                let key = answer_key(Cow::Borrowed(k));
                let values = match value.kind() {
                    Kind::Array(items) => items.map(to_text).collect(),
                    _ => vec![to_text(value)],
                };
                push_answers(&mut out, &mut index, key, values);
            }
            non_empty(out)
        }
        Kind::Str(s) => non_empty(decode_get_payload(s)),
        kind => {
            w.cannot("answers", &kind, Target::Map);
            None
        }
    }
}

/// The correct_map column from the payload's `correct_map` value.
pub(crate) fn correct_map<'a>(
    v: Json<'a>,
    parser: &mut Parser,
    w: &mut Warnings,
) -> Option<Vec<CorrectMapEntry<'a>>> {
    match v.kind() {
        Kind::Null => None,
        Kind::Object(entries) => {
            let mut out = Vec::new();
            for (id, entry) in dedup_entries(entries) {
                if !matches!(entry.kind(), Kind::Object(_)) {
                    w.push(Warning::CorrectMapEntryNotObject);
                    continue;
                }
                let text = |k: &str| entry.get(k).and_then(to_text);
                let queuestate = entry
                    .get("queuestate")
                    .filter(|q| matches!(q.kind(), Kind::Object(_)));
                out.push(CorrectMapEntry {
                    answer_id: Cow::Borrowed(id),
                    correctness: text("correctness"),
                    npoints: entry
                        .get("npoints")
                        .and_then(|n| to_float(n, "correct_map.npoints", w)),
                    msg: text("msg"),
                    hint: text("hint"),
                    hintmode: text("hintmode"),
                    queuestate_key: queuestate.and_then(|q| q.get("key")).and_then(to_text),
                    queuestate_time: queuestate.and_then(|q| q.get("time")).and_then(to_text),
                });
            }
            Some(out)
        }
        Kind::Str(s) => {
            // A correct_map given as JSON text: decode it and keep owned copies.
            let doc = match parser.parse(s.as_bytes()) {
                Ok(doc) => doc,
                Err(_) => {
                    w.cannot("correct_map", &Kind::Str(""), Target::Map);
                    return None;
                }
            };
            let root = doc.root();
            if !matches!(root.kind(), Kind::Object(_)) {
                w.cannot("correct_map", &Kind::Str(""), Target::Map);
                return None;
            }
            let mut inner = Parser::default();
            correct_map(root, &mut inner, w)
                .map(|entries| entries.into_iter().map(owned_entry).collect())
        }
        kind => {
            w.cannot("correct_map", &kind, Target::Map);
            None
        }
    }
}

fn owned_entry(e: CorrectMapEntry<'_>) -> CorrectMapEntry<'static> {
    let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
    CorrectMapEntry {
        answer_id: Cow::Owned(e.answer_id.into_owned()),
        correctness: own(e.correctness),
        npoints: e.npoints,
        msg: own(e.msg),
        hint: own(e.hint),
        hintmode: own(e.hintmode),
        queuestate_key: own(e.queuestate_key),
        queuestate_time: own(e.queuestate_time),
    }
}
