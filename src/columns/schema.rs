//! THE schema: every column's name, Arrow type and one-line meaning, in output order.
//! The builder, `edxlog.SCHEMA`, docs/schema.md and the tests all read this table.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Field-metadata key holding the column's one-line documentation.
pub const DOC_KEY: &str = "doc";

pub struct ColumnDef {
    pub name: &'static str,
    pub data_type: fn() -> DataType,
    pub doc: &'static str,
}

fn utf8() -> DataType {
    DataType::Utf8
}
fn int64() -> DataType {
    DataType::Int64
}
fn float64() -> DataType {
    DataType::Float64
}
fn event_id_type() -> DataType {
    DataType::FixedSizeBinary(16)
}
fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}
fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The fields of one `correct_map` entry.
pub fn correct_map_fields() -> Fields {
    let s = |n: &str| Field::new(n, DataType::Utf8, true);
    Fields::from(vec![
        s("answer_id"),
        s("correctness"),
        Field::new("npoints", DataType::Float64, true),
        s("msg"),
        s("hint"),
        s("hintmode"),
        s("queuestate_key"),
        s("queuestate_time"),
    ])
}
fn correct_map_type() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(correct_map_fields()),
        true,
    )))
}
/// `map<string, list<string>>` with Arrow's usual `entries`/`keys`/`values` names.
pub fn answers_entries_field() -> Arc<Field> {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", string_list(), true),
        ])),
        false,
    ))
}
fn answers_type() -> DataType {
    DataType::Map(answers_entries_field(), false)
}

macro_rules! col {
    ($name:literal, $ty:ident, $doc:literal) => {
        ColumnDef {
            name: $name,
            data_type: $ty,
            doc: $doc,
        }
    };
}

pub const COLUMNS: &[ColumnDef] = &[
    // Provenance and identity
    col!("source", utf8, "Member path inside the archive, or the file path for non-archive input (`<stdin>`, or the file object's name)."),
    col!("server", utf8, "First directory of the member path (the server the log came from); null when there is none."),
    col!("line", int64, "1-based physical line number within the decompressed member or file."),
    col!("event_id", event_id_type, "XXH3-128 (seed 0, big-endian) of the line's bytes with surrounding whitespace and NULs trimmed; identical lines get identical ids. Never changes between versions."),
    // Common fields
    col!("time", time_type, "Event time in UTC; `YYYY-MM-DD[T ]hh:mm:ss[.f][Z|±hh:mm|±hhmm]`, no offset meaning UTC; null (and a warning) when unparseable."),
    col!("username", utf8, "User who triggered the event; empty for anonymous events."),
    col!("session", utf8, "Session key; null when missing, empty when given empty."),
    col!("ip", utf8, "User IP address."),
    col!("agent", utf8, "Browser user-agent string."),
    col!("page", utf8, "Page the user was visiting."),
    col!("host", utf8, "Host that served the request."),
    col!("referer", utf8, "HTTP referer."),
    col!("accept_language", utf8, "HTTP Accept-Language."),
    col!("name", utf8, "Event name (newer logs; often equal to event_type)."),
    col!("event_source", utf8, "`browser`, `server`, `mobile`, ..."),
    col!("event_type", utf8, "Type of event (a name, or a URL for implicit server events)."),
    col!("course_id", utf8, "From `context.course_id`; else from a course URL in `page` or a URL-shaped `event_type` (`course-v1:Org+Num+Run` or `Org/Num/Run`)."),
    col!("org_id", utf8, "From `context.org_id`; else the organisation part of course_id."),
    col!("user_id", int64, "From `context.user_id` (numeric strings accepted)."),
    col!("context", utf8, "Compact JSON text of the whole `context` object; null when absent."),
    col!("extra", utf8, "Compact JSON text of an object holding every top-level key no column covers (and any value a column could not hold); null when none."),
    col!("event", utf8, "The event payload as text: a string event verbatim, any other JSON value as compact JSON; null when absent."),
    // Event fields
    col!("problem_id", utf8, "`problem_id` of the payload; for problem_show, `problem`."),
    col!("success", utf8, "`success` (correct / incorrect)."),
    col!("attempts", int64, "`attempts`."),
    col!("correct_map", correct_map_type, "`correct_map`, one entry per answer id in payload order."),
    col!("answers", answers_type, "Server `answers` and the browser problem_check GET payload, URL-decoded, keys without `input_` and `[]`, repeated keys collected in order."),
    col!("state", utf8, "Compact JSON text of `state`."),
    col!("video_id", utf8, "`id` of video events (`*_video`, `edx.video.*`)."),
    col!("video_code", utf8, "`code` of video events (YouTube id)."),
    col!("video_speed", utf8, "`speed` of video events."),
    col!("video_time", float64, "`currentTime` (or `current_time`) of video events, in seconds."),
    col!("book_type", utf8, "`type` of `book` events (gotopage, nextpage, ...)."),
    col!("book_old", int64, "`old` page of `book` events."),
    col!("book_new", int64, "`new` page of `book` events."),
    col!("seq_id", utf8, "`id` of seq_goto / seq_next / seq_prev."),
    col!("seq_old", int64, "`old` element of seq_* events."),
    col!("seq_new", int64, "`new` element of seq_* events."),
    col!("location", utf8, "`location` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    col!("rubric_category", int64, "`category` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    col!("selected_value", int64, "`value` of rubric_select and the oe_ / peer_grading_ / staff_grading_ events."),
    col!("warnings", string_list, "Soft problems with this row (undecodable JSON-looking event, unparseable time, stripped damage, replaced invalid UTF-8, unconvertible values); null when none."),
];

/// Whether a column is one of the event fields (from `problem_id` to `selected_value`), which
/// all come from decoding the event payload.
pub fn is_event_field(name: &str) -> bool {
    let index = |n: &str| column_index(n).expect("event field bounds are columns");
    column_index(name).is_some_and(|i| (index("problem_id")..=index("selected_value")).contains(&i))
}

/// The Arrow schema, built once from `COLUMNS`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let fields: Vec<Field> = COLUMNS
                .iter()
                .map(|c| {
                    Field::new(
                        c.name,
                        (c.data_type)(),
                        c.name != "line" && c.name != "event_id" && c.name != "source",
                    )
                    .with_metadata([(DOC_KEY.to_string(), c.doc.to_string())].into())
                })
                .collect();
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// Index of a column by name.
pub fn column_index(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.name == name)
}

/// docs/schema.md, generated from `COLUMNS` (a test keeps the committed file in step).
pub fn schema_markdown() -> String {
    let mut out = String::from(
        "# Schema\n\nGenerated from `src/columns/schema.rs` (`python -m edxlog.schema_doc > docs/schema.md`); \
         do not edit by hand. The exact reading rules are in [contract.md](contract.md).\n\n\
         | column | type | nullable | meaning |\n|---|---|---|---|\n",
    );
    for (c, f) in COLUMNS.iter().zip(schema().fields()) {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.name,
            type_text(f.data_type()),
            if f.is_nullable() { "yes" } else { "no" },
            c.doc.replace('|', "\\|")
        ));
    }
    out
}

/// The type as pyarrow prints it, so docs and `edxlog.SCHEMA` read alike.
fn type_text(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "string".into(),
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "double".into(),
        DataType::FixedSizeBinary(n) => format!("fixed_size_binary[{n}]"),
        DataType::Timestamp(_, _) => "timestamp[us, tz=UTC]".into(),
        DataType::List(f) => format!("list<{}>", type_text(f.data_type())),
        DataType::Struct(fs) => format!(
            "struct<{}>",
            fs.iter()
                .map(|f| format!("{}: {}", f.name(), type_text(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) => format!(
                "map<{}, {}>",
                type_text(kv[0].data_type()),
                type_text(kv[1].data_type())
            ),
            _ => unreachable!(),
        },
        other => format!("{other}"),
    }
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
    fn markdown_lists_every_column() {
        let md = schema_markdown();
        for c in COLUMNS {
            assert!(md.contains(&format!("| {} |", c.name)));
        }
        assert!(md.contains("map<string, list<string>>"));
    }
}
