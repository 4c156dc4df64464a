//! THE column table: the one place a column is defined. Each entry gives the column's name,
//! type, nullability, one-line doc and how it is filled from a parsed record (`Fill`); what a
//! column needs from the line (`Needs`, for projection pushdown), which top-level keys have a
//! column, the builders and the Arrow schema all derive from it.
//!
//! Adding a column is one entry here (in the place the schema should show it), plus the same
//! rule in the reference (`python/edxlog/reference`); docs/contract.md says more.

use crate::record::Needs;

/// A column's type; `schema.rs` maps it to Arrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    Utf8,
    Int64,
    Float64,
    /// Microseconds, UTC.
    Timestamp,
    /// 16 bytes.
    EventId,
    /// `list<string>`.
    StringList,
    /// `list<struct<answer_id, correctness, npoints, ...>>`.
    CorrectMap,
    /// `map<string, list<string>>`.
    Answers,
}

/// How a value of the event payload becomes a column value (contract §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// The string rule: strings as given, numbers as text; a `Utf8` column.
    String,
    /// The int rule; an `Int64` column.
    Int,
    /// The float rule; a `Float64` column.
    Float,
    /// Compact JSON text of any non-null value; a `Utf8` column.
    JsonText,
}

impl Rule {
    pub(crate) const fn column_type(self) -> ColumnType {
        match self {
            Rule::String | Rule::JsonText => ColumnType::Utf8,
            Rule::Int => ColumnType::Int64,
            Rule::Float => ColumnType::Float64,
        }
    }
}

/// The event types whose payload fills a column (contract §4).
#[derive(Clone, Copy)]
pub(crate) struct Family {
    pub name: &'static str,
    /// Whether an `event_type` belongs to the family; None means any event, with or without
    /// an event type.
    pub has: Option<fn(&str) -> bool>,
}

impl Family {
    pub(crate) fn includes(&self, event_type: Option<&str>) -> bool {
        match self.has {
            None => true,
            Some(has) => event_type.is_some_and(has),
        }
    }
}

impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub(crate) const ANY: Family = Family {
    name: "any",
    has: None,
};
pub(crate) const VIDEO: Family = Family {
    name: "`*_video`, `edx.video.*`",
    has: Some(|t| t.ends_with("_video") || t.starts_with("edx.video.")),
};
pub(crate) const BOOK: Family = Family {
    name: "`book`",
    has: Some(|t| t == "book"),
};
pub(crate) const SEQ: Family = Family {
    name: "`seq_*`",
    has: Some(|t| t.starts_with("seq_")),
};
pub(crate) const RUBRIC: Family = Family {
    name: "`rubric_select`, `oe_*`, `peer_grading_*`, `staff_grading_*`",
    has: Some(|t| {
        t == "rubric_select"
            || t.starts_with("oe_")
            || t.starts_with("peer_grading_")
            || t.starts_with("staff_grading_")
    }),
};
pub(crate) const ENROLLMENT: Family = Family {
    name: "`edx.course.enrollment.*`",
    has: Some(|t| t.starts_with("edx.course.enrollment.")),
};
pub(crate) const UI_LMS: Family = Family {
    name: "`edx.ui.lms.*`",
    has: Some(|t| t.starts_with("edx.ui.lms.")),
};
pub(crate) const GRADES_PROBLEM: Family = Family {
    name: "`edx.grades.problem.*`",
    has: Some(|t| t.starts_with("edx.grades.problem.")),
};

/// Where a column's value comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fill {
    /// The member path (or file name).
    Source,
    /// The first directory of the member path.
    Server,
    /// The physical line number.
    Line,
    /// XXH3-128 of the trimmed line.
    EventId,
    /// Top-level `time` by the time rule.
    Time,
    /// A top-level key by the string rule.
    Key(&'static str),
    /// contract §5.
    CourseId,
    OrgId,
    UserId,
    /// Top-level `context` as JSON text.
    Context,
    /// Every top-level key no column claims, and the values a column refused.
    Extra,
    /// Top-level `event` as text.
    Event,
    /// The first of `keys` present in an object payload, for events of `family`.
    Payload {
        family: Family,
        keys: &'static [&'static str],
        rule: Rule,
    },
    /// `problem_id`, or `problem` for problem_show.
    ProblemId,
    CorrectMap,
    Answers,
    /// The row's warnings: the last column, as every other fill may add one.
    Warnings,
}

impl Fill {
    /// What computing this column asks of the line reader.
    pub(crate) fn needs(&self) -> Needs {
        let mut n = Needs::NONE;
        match self {
            Fill::EventId => n.event_id = true,
            Fill::CourseId | Fill::OrgId => n.course_org = true,
            Fill::UserId => n.user_id = true,
            Fill::Context | Fill::Event => n.json_text = true,
            Fill::Payload { .. } | Fill::ProblemId | Fill::CorrectMap | Fill::Answers => {
                n.payload = true
            }
            Fill::Warnings => return Needs::ALL,
            _ => {}
        }
        n
    }

    /// The top-level key this column takes its value from, which therefore is not `extra`.
    pub(crate) fn top_level_key(&self) -> Option<&'static str> {
        match self {
            Fill::Time => Some("time"),
            Fill::Key(k) => Some(k),
            Fill::Context => Some("context"),
            Fill::Event => Some("event"),
            _ => None,
        }
    }

    /// The keys of the payload object this column reads, in order of preference.
    pub(crate) fn payload_keys(&self) -> &'static [&'static str] {
        match self {
            Fill::Payload { keys, .. } => keys,
            Fill::ProblemId => &["problem_id", "problem"],
            Fill::CorrectMap => &["correct_map"],
            Fill::Answers => &["answers"],
            _ => &[],
        }
    }

    /// The column type this fill produces, when it is fixed (a test checks it against the
    /// table's types).
    #[cfg(test)]
    pub fn column_type(&self) -> ColumnType {
        match self {
            Fill::Source
            | Fill::Server
            | Fill::Key(_)
            | Fill::CourseId
            | Fill::OrgId
            | Fill::Context
            | Fill::Extra
            | Fill::Event
            | Fill::ProblemId => ColumnType::Utf8,
            Fill::Line | Fill::UserId => ColumnType::Int64,
            Fill::EventId => ColumnType::EventId,
            Fill::Time => ColumnType::Timestamp,
            Fill::Payload { rule, .. } => rule.column_type(),
            Fill::CorrectMap => ColumnType::CorrectMap,
            Fill::Answers => ColumnType::Answers,
            Fill::Warnings => ColumnType::StringList,
        }
    }
}

pub(crate) struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
    pub doc: &'static str,
    pub fill: Fill,
}

/// A nullable column.
const fn col(name: &'static str, ty: ColumnType, fill: Fill, doc: &'static str) -> Column {
    Column {
        name,
        ty,
        nullable: true,
        doc,
        fill,
    }
}

/// A column that always has a value.
const fn required(name: &'static str, ty: ColumnType, fill: Fill, doc: &'static str) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        doc,
        fill,
    }
}

/// A column from a top-level key by the string rule.
const fn key(name: &'static str, doc: &'static str) -> Column {
    col(name, ColumnType::Utf8, Fill::Key(name), doc)
}

/// A column from the event payload.
const fn payload(
    name: &'static str,
    family: Family,
    keys: &'static [&'static str],
    rule: Rule,
    doc: &'static str,
) -> Column {
    col(
        name,
        rule.column_type(),
        Fill::Payload { family, keys, rule },
        doc,
    )
}

use ColumnType as T;

pub(crate) const COLUMNS: &[Column] = &[
    // Provenance and identity
    required("source", T::Utf8, Fill::Source, "Member path inside the archive, or the file path for non-archive input (`<stdin>`, or the file object's name)."),
    col("server", T::Utf8, Fill::Server, "First directory of the member path (the server the log came from); null when there is none."),
    required("line", T::Int64, Fill::Line, "1-based physical line number within the decompressed member or file."),
    required("event_id", T::EventId, Fill::EventId, "XXH3-128 (seed 0, big-endian) of the line's bytes with surrounding whitespace and NULs trimmed; identical lines get identical ids. Never changes between versions."),
    // Common fields
    col("time", T::Timestamp, Fill::Time, "Event time in UTC; `YYYY-MM-DD[T ]hh:mm:ss[.f][Z|±hh:mm|±hhmm]`, no offset meaning UTC; null (and a warning) when unparseable."),
    key("username", "User who triggered the event; empty for anonymous events."),
    key("session", "Session key; null when missing, empty when given empty."),
    key("ip", "User IP address."),
    key("agent", "Browser user-agent string."),
    key("page", "Page the user was visiting."),
    key("host", "Host that served the request."),
    key("referer", "HTTP referer."),
    key("accept_language", "HTTP Accept-Language."),
    key("name", "Event name (newer logs; often equal to event_type)."),
    key("event_source", "`browser`, `server`, `mobile`, ..."),
    key("event_type", "Type of event (a name, or a URL for implicit server events)."),
    col("course_id", T::Utf8, Fill::CourseId, "From `context.course_id`; else the event payload's `course_id` (`edx.bookmark.*`, enrollment events); else from a course URL in `page` or a URL-shaped `event_type` (`course-v1:Org+Num+Run` or `Org/Num/Run`)."),
    col("org_id", T::Utf8, Fill::OrgId, "From `context.org_id`; else the organisation part of course_id."),
    col("user_id", T::Int64, Fill::UserId, "From `context.user_id` (numeric strings accepted)."),
    col("context", T::Utf8, Fill::Context, "The `context` object as JSON text, as the line writes it; null when absent."),
    col("extra", T::Utf8, Fill::Extra, "Compact JSON text of an object holding every top-level key no column covers (and any value a column could not hold); null when none."),
    col("event", T::Utf8, Fill::Event, "The event payload as text: a string event verbatim, any other JSON value as the line writes it; null when absent."),
    // Event fields (contract §4): from the decoded payload
    col("problem_id", T::Utf8, Fill::ProblemId, "`problem_id` of the payload; for problem_show, `problem`."),
    payload("success", ANY, &["success"], Rule::String, "`success` (correct / incorrect)."),
    payload("attempts", ANY, &["attempts"], Rule::Int, "`attempts`."),
    col("correct_map", T::CorrectMap, Fill::CorrectMap, "`correct_map`, one entry per answer id in payload order."),
    col("answers", T::Answers, Fill::Answers, "Server `answers` and the browser problem_check GET payload, URL-decoded, keys without `input_` and `[]`, repeated keys collected in order."),
    payload("state", ANY, &["state"], Rule::JsonText, "Compact JSON text of `state`."),
    payload("video_id", VIDEO, &["id"], Rule::String, "`id` of video events (`*_video`, `edx.video.*`)."),
    payload("video_code", VIDEO, &["code"], Rule::String, "`code` of video events (YouTube id)."),
    payload("video_speed", VIDEO, &["speed"], Rule::String, "`speed` of video events."),
    payload("video_time", VIDEO, &["currentTime", "current_time"], Rule::Float, "`currentTime` (or `current_time`) of video events, in seconds."),
    payload("video_old_time", VIDEO, &["old_time"], Rule::Float, "`old_time` of video seeks (`seek_video`, `edx.video.position.changed`), in seconds."),
    payload("video_new_time", VIDEO, &["new_time"], Rule::Float, "`new_time` of video seeks, in seconds."),
    payload("video_seek_type", VIDEO, &["type"], Rule::String, "`type` of video seeks (`onSlideSeek`, `onSkipSeek`, ...)."),
    payload("video_old_speed", VIDEO, &["old_speed"], Rule::String, "`old_speed` of `speed_change_video`."),
    payload("video_new_speed", VIDEO, &["new_speed"], Rule::String, "`new_speed` of `speed_change_video`."),
    payload("book_type", BOOK, &["type"], Rule::String, "`type` of `book` events (gotopage, nextpage, ...)."),
    payload("book_old", BOOK, &["old"], Rule::Int, "`old` page of `book` events."),
    payload("book_new", BOOK, &["new"], Rule::Int, "`new` page of `book` events."),
    payload("seq_id", SEQ, &["id"], Rule::String, "`id` of seq_goto / seq_next / seq_prev."),
    payload("seq_old", SEQ, &["old"], Rule::Int, "`old` element of seq_* events."),
    payload("seq_new", SEQ, &["new"], Rule::Int, "`new` element of seq_* events."),
    payload("location", RUBRIC, &["location"], Rule::String, "`location` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    payload("rubric_category", RUBRIC, &["category"], Rule::Int, "`category` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    payload("selected_value", RUBRIC, &["value"], Rule::Int, "`value` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    payload("enrollment_mode", ENROLLMENT, &["mode"], Rule::String, "`mode` of `edx.course.enrollment.*` events (audit, honor, verified, ...)."),
    payload("target_url", UI_LMS, &["target_url"], Rule::String, "`target_url` of `edx.ui.lms.*` events (`link_clicked`, `outline.selected`)."),
    payload("weighted_earned", GRADES_PROBLEM, &["weighted_earned"], Rule::Float, "`weighted_earned` of `edx.grades.problem.*` events."),
    payload("weighted_possible", GRADES_PROBLEM, &["weighted_possible"], Rule::Float, "`weighted_possible` of `edx.grades.problem.*` events."),
    col("warnings", T::StringList, Fill::Warnings, "Soft problems with this row (undecodable JSON-looking event, unparseable time, stripped damage, replaced invalid UTF-8, unconvertible values, a member that failed its gzip checksum or has corrupt compressed data); null when none."),
];

/// Index of a column by name.
pub(crate) fn column_index(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.name == name)
}

/// What a read of the named columns (all of them when None) needs from each line. Unknown
/// names need nothing (the pipeline refuses them before).
pub(crate) fn needs_of<'c>(columns: Option<impl IntoIterator<Item = &'c str>>) -> Needs {
    let Some(names) = columns else {
        return Needs::ALL;
    };
    names
        .into_iter()
        .filter_map(column_index)
        .fold(Needs::NONE, |n, i| n.and(COLUMNS[i].fill.needs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_docs_present() {
        let mut names: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        assert!(COLUMNS.iter().all(|c| !c.doc.is_empty()));
    }

    #[test]
    fn every_fill_produces_its_columns_type() {
        for c in COLUMNS {
            assert_eq!(c.fill.column_type(), c.ty, "column {}", c.name);
        }
    }

    #[test]
    fn warnings_come_last_because_every_fill_before_may_warn() {
        let last = COLUMNS.last().unwrap();
        assert!(matches!(last.fill, Fill::Warnings));
        assert_eq!(
            COLUMNS
                .iter()
                .filter(|c| matches!(c.fill, Fill::Warnings))
                .count(),
            1
        );
    }

    #[test]
    fn top_level_keys_are_claimed_once() {
        let mut keys: Vec<_> = COLUMNS
            .iter()
            .filter_map(|c| c.fill.top_level_key())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn needs_follow_the_columns() {
        assert_eq!(needs_of(Some(["warnings"])), Needs::ALL);
        assert_eq!(needs_of(Some(["username", "time"])), Needs::NONE);
        let n = needs_of(Some(["seq_old", "org_id"]));
        assert!(n.payload && n.course_org && !n.event_id && !n.user_id);
        assert_eq!(needs_of(None::<[&str; 0]>), Needs::ALL);
    }
}
