//! The embedded event (contract §4): an object, a string that encodes JSON (maybe cut at 512
//! characters), a quoted or plain GET string, or a `[GET string, html]` list — and the event
//! fields each family of event types takes from it.

use std::borrow::Cow;

use super::convert::{to_float, to_int, to_string, to_text, Warnings};
use super::get_payload::{answer_key, decode_get_payload, push_answers, Answers};
use super::json::{dedup_entries, Json, KeyIndex, Kind, Parser};

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

pub const UNDECODABLE: &str = "event: looks like JSON but does not decode";

/// Decodes a string event and hands the payload to `f`. Continuation style, because the
/// payload borrows the parser's tape, which a nested string may need again.
pub fn with_string_payload<R>(
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
            warnings.push(UNDECODABLE);
            return f(Payload::None, warnings);
        }
    }
    decode_level(&nested, parser, warnings, level + 1, f)
}

/// Event fields, filled from the payload.
#[derive(Default)]
pub struct EventFields<'a> {
    pub problem_id: Option<Cow<'a, str>>,
    pub success: Option<Cow<'a, str>>,
    pub attempts: Option<i64>,
    pub correct_map: Option<Vec<CorrectMapEntry<'a>>>,
    pub answers: Option<Answers<'a>>,
    pub state: Option<String>,
    pub video_id: Option<Cow<'a, str>>,
    pub video_code: Option<Cow<'a, str>>,
    pub video_speed: Option<Cow<'a, str>>,
    pub video_time: Option<f64>,
    pub book_type: Option<Cow<'a, str>>,
    pub book_old: Option<i64>,
    pub book_new: Option<i64>,
    pub seq_id: Option<Cow<'a, str>>,
    pub seq_old: Option<i64>,
    pub seq_new: Option<i64>,
    pub location: Option<Cow<'a, str>>,
    pub rubric_category: Option<i64>,
    pub selected_value: Option<i64>,
}

#[derive(Default, Debug, PartialEq)]
pub struct CorrectMapEntry<'a> {
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

enum Family {
    Video,
    Book,
    Seq,
    Rubric,
    Other,
}

fn family(event_type: &str) -> Family {
    if event_type.ends_with("_video") || event_type.starts_with("edx.video.") {
        Family::Video
    } else if event_type == "book" {
        Family::Book
    } else if event_type.starts_with("seq_") {
        Family::Seq
    } else if event_type == "rubric_select"
        || event_type.starts_with("oe_")
        || event_type.starts_with("peer_grading_")
        || event_type.starts_with("staff_grading_")
    {
        Family::Rubric
    } else {
        Family::Other
    }
}

impl<'a> EventFields<'a> {
    pub fn from_payload(
        payload: Payload<'a>,
        event_type: &str,
        parser: &mut Parser,
        w: &mut Warnings,
    ) -> Self {
        let mut ev = EventFields::default();
        let get_candidate = match payload {
            Payload::Get(s) => Some(s),
            Payload::List(list) => match list.kind() {
                Kind::Array(mut items) => items.next().and_then(|first| first.as_str()),
                _ => None,
            },
            _ => None,
        };
        if let Payload::Object(obj) = payload {
            ev.fill_from_object(obj, event_type, parser, w);
        }
        if ev.answers.is_none() && carries_get_answers(event_type) {
            if let Some(s) = get_candidate.filter(|s| s.contains('=')) {
                ev.answers = non_empty(decode_get_payload(s));
            }
        }
        ev
    }

    fn fill_from_object(
        &mut self,
        obj: Json<'a>,
        event_type: &str,
        parser: &mut Parser,
        w: &mut Warnings,
    ) {
        // Every key any family reads, looked up in one pass over the object.
        let [problem_id, problem, success, attempts, cm, answers_value, state, id, code, speed, current_time, current_time_snake, typ, old, new, location, category, value] =
            obj.lookup(&[
                "problem_id",
                "problem",
                "success",
                "attempts",
                "correct_map",
                "answers",
                "state",
                "id",
                "code",
                "speed",
                "currentTime",
                "current_time",
                "type",
                "old",
                "new",
                "location",
                "category",
                "value",
            ]);
        let text = |v: Option<Json<'a>>, column: &str, w: &mut Warnings| {
            v.and_then(|v| to_string(v, column, w).0)
        };
        let int = |v: Option<Json<'a>>, column: &str, w: &mut Warnings| {
            v.and_then(|v| to_int(v, column, w))
        };
        let problem_id = problem_id.filter(|v| !v.is_null());
        self.problem_id = problem_id.and_then(|v| to_string(v, "problem_id", w).0);
        if problem_id.is_none() && event_type == "problem_show" {
            self.problem_id = text(problem, "problem_id", w);
        }
        self.success = text(success, "success", w);
        self.attempts = int(attempts, "attempts", w);
        if let Some(cm) = cm {
            self.correct_map = correct_map(cm, parser, w);
        }
        if let Some(a) = answers_value {
            self.answers = answers(a, w);
        }
        self.state = state.filter(|v| !v.is_null()).map(|v| {
            let mut s = String::new();
            v.write_json(&mut s);
            s
        });
        match family(event_type) {
            Family::Video => {
                self.video_id = text(id, "video_id", w);
                self.video_code = text(code, "video_code", w);
                self.video_speed = text(speed, "video_speed", w);
                let time = current_time.or(current_time_snake);
                self.video_time = time.and_then(|v| to_float(v, "video_time", w));
            }
            Family::Book => {
                self.book_type = text(typ, "book_type", w);
                self.book_old = int(old, "book_old", w);
                self.book_new = int(new, "book_new", w);
            }
            Family::Seq => {
                self.seq_id = text(id, "seq_id", w);
                self.seq_old = int(old, "seq_old", w);
                self.seq_new = int(new, "seq_new", w);
            }
            Family::Rubric => {
                self.location = text(location, "location", w);
                self.rubric_category = int(category, "rubric_category", w);
                self.selected_value = int(value, "selected_value", w);
            }
            Family::Other => {}
        }
    }
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
            w.push(format!(
                "answers: cannot convert {} to map",
                kind.type_name()
            ));
            None
        }
    }
}

fn correct_map<'a>(
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
                    w.push("correct_map: entry is not an object");
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
                    w.push("correct_map: cannot convert string to map");
                    return None;
                }
            };
            let root = doc.root();
            if !matches!(root.kind(), Kind::Object(_)) {
                w.push("correct_map: cannot convert string to map");
                return None;
            }
            let mut inner = Parser::default();
            correct_map(root, &mut inner, w)
                .map(|entries| entries.into_iter().map(owned_entry).collect())
        }
        kind => {
            w.push(format!(
                "correct_map: cannot convert {} to map",
                kind.type_name()
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(event_type: &str, event_json: &str) -> (Vec<String>, String) {
        // Returns the warnings and a debug rendering of the interesting fields.
        let mut outer = Parser::default();
        let mut inner = Parser::default();
        let mut side = Parser::default();
        let line = format!(r#"{{"event":{event_json}}}"#);
        let doc = outer
            .parse(line.as_bytes())
            .unwrap_or_else(|e| panic!("{line} {e:?}"));
        let ev = doc.root().get("event").unwrap();
        let mut w = Warnings::default();
        let summary = match ev.kind() {
            Kind::Str(s) => with_string_payload(s, &mut inner, &mut w, |p, w| {
                summarize(&EventFields::from_payload(p, event_type, &mut side, w))
            }),
            Kind::Object(_) => summarize(&EventFields::from_payload(
                Payload::Object(ev),
                event_type,
                &mut side,
                &mut w,
            )),
            Kind::Array(_) => summarize(&EventFields::from_payload(
                Payload::List(ev),
                event_type,
                &mut side,
                &mut w,
            )),
            _ => String::new(),
        };
        (w.0, summary)
    }

    fn summarize(e: &EventFields) -> String {
        let answers = e.answers.as_ref().map(|a| {
            a.iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.iter()
                            .map(|x| x.as_deref().unwrap_or("~"))
                            .collect::<Vec<_>>()
                            .join("|")
                    )
                })
                .collect::<Vec<_>>()
                .join(";")
        });
        format!(
            "answers={:?} problem_id={:?} video={:?}/{:?} seq={:?}/{:?}/{:?} book={:?}/{:?}/{:?} cm={:?}",
            answers, e.problem_id, e.video_id, e.video_time, e.seq_id, e.seq_old, e.seq_new,
            e.book_type, e.book_old, e.book_new, e.correct_map.as_ref().map(|c| c.len())
        )
    }

    #[test]
    fn quoted_get_payload_decodes_to_answers() {
        let (w, s) = fields_of(
            "problem_check",
            r#""\"input_i4x-edX-E929-problem-4_2_1=3.14&input_i4x-edX-E929-problem-4_3_1=4500\"""#,
        );
        assert!(w.is_empty());
        assert!(
            s.contains(
                r#"answers=Some("i4x-edX-E929-problem-4_2_1=3.14;i4x-edX-E929-problem-4_3_1=4500")"#
            ),
            "{s}"
        );
    }

    #[test]
    fn unquoted_get_payload_with_checkbox_keys_decodes_to_answers() {
        let (_, s) = fields_of(
            "problem_check",
            r#""input_p_2_1%5B%5D=choice_1&input_p_2_1%5B%5D=choice_3""#,
        );
        assert!(
            s.contains(r#"answers=Some("p_2_1=choice_1|choice_3")"#),
            "{s}"
        );
    }

    #[test]
    fn problem_graded_list_takes_the_get_string() {
        let (_, s) = fields_of(
            "problem_graded",
            r#"["input_p_2_1=choice_2", "<div>html</div>"]"#,
        );
        assert!(s.contains(r#"answers=Some("p_2_1=choice_2")"#), "{s}");
    }

    #[test]
    fn cut_json_string_warns_and_fills_nothing() {
        let (w, s) = fields_of("problem_check", r#""{\"POST\": {\"input_x\": [\"1\"""#);
        assert_eq!(w, [UNDECODABLE]);
        assert!(s.starts_with("answers=None"), "{s}");
    }

    #[test]
    fn video_and_seq_and_book_fields_by_family() {
        let (_, s) = fields_of(
            "play_video",
            r#""{\"id\":\"v1\",\"currentTime\":1.264,\"code\":\"FU3\",\"speed\":\"1.0\"}""#,
        );
        assert!(s.contains(r#"video=Some("v1")/Some(1.264)"#), "{s}");
        let (_, s) = fields_of("seq_goto", r#""{\"id\":\"s\",\"old\":\"3\",\"new\":5}""#);
        assert!(s.contains(r#"seq=Some("s")/Some(3)/Some(5)"#), "{s}");
        let (_, s) = fields_of("book", r#"{"type":"gotopage","old":2,"new":25}"#);
        assert!(
            s.contains(r#"book=Some("gotopage")/Some(2)/Some(25)"#),
            "{s}"
        );
        // The same keys mean nothing for another family.
        let (_, s) = fields_of("page_close", r#"{"id":"x","old":1}"#);
        assert!(s.contains("seq=None/None/None"), "{s}");
    }

    #[test]
    fn server_answers_and_correct_map() {
        let (w, s) = fields_of(
            "problem_check",
            r#"{"answers":{"p_2_1":["choice_1","choice_2"],"p_3_1":"x","p_4_1":7},
               "correct_map":{"p_2_1":{"correctness":"correct","npoints":null,"queuestate":null},"p_3_1":"junk"}}"#,
        );
        assert_eq!(w, ["correct_map: entry is not an object"]);
        assert!(
            s.contains(r#"answers=Some("p_2_1=choice_1|choice_2;p_3_1=x;p_4_1=7")"#),
            "{s}"
        );
        assert!(s.contains("cm=Some(1)"), "{s}");
    }

    #[test]
    fn problem_show_takes_problem() {
        let (_, s) = fields_of(
            "problem_show",
            r#"{"problem":"i4x://MITx/6.00x/problem/L15"}"#,
        );
        assert!(
            s.contains(r#"problem_id=Some("i4x://MITx/6.00x/problem/L15")"#),
            "{s}"
        );
    }
}
