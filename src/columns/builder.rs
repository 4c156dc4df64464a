//! Records → one Arrow `RecordBatch`: each column of the table is filled by its `Fill`, in
//! schema order, so the warnings of the conversions come in that order too (contract §7).

use std::sync::Arc;

use arrow_array::builder::{
    FixedSizeBinaryBuilder, Float64Builder, Int64Builder, ListBuilder, MapBuilder, MapFieldNames,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{ArrowError, DataType, Field};

use super::schema::{correct_map_fields, schema};
use super::table::{ColumnType, Fill, Rule, COLUMNS};
use crate::record::convert::{to_float, to_int, to_string};
use crate::record::event::{answers_of, correct_map_of, problem_id, CorrectMapEntry};
use crate::record::get_payload::Answers;
use crate::record::json::{write_object, Json, Kind, Parser};
use crate::record::time::parse_time;
use crate::record::warning::{Target, Warning, Warnings};
use crate::record::Record;

/// The most top-level keys the table may give columns (a row's key slots live on the stack).
const MAX_KEYS: usize = 32;

/// Appends rows; `finish` makes the batch.
pub struct BatchBuilder {
    /// One per column of the table, in schema order.
    columns: Vec<ColumnBuilder>,
    keys: TopLevelKeys,
    /// Parses a `correct_map` given as JSON text.
    side: Parser,
    /// The row's warnings, reused.
    warnings: Warnings,
    /// JSON text being written, reused.
    text: String,
    rows: usize,
}

/// The top-level keys that have a column (`Fill::top_level_key`), by ordinal.
struct TopLevelKeys {
    names: Vec<&'static str>,
    /// For each column, the ordinal of its key.
    of_column: Vec<Option<usize>>,
}

impl TopLevelKeys {
    fn from_table() -> TopLevelKeys {
        let mut names = Vec::new();
        let of_column = COLUMNS
            .iter()
            .map(|c| {
                c.fill.top_level_key().map(|k| {
                    names.push(k);
                    names.len() - 1
                })
            })
            .collect();
        assert!(
            names.len() <= MAX_KEYS,
            "more top-level key columns than slots"
        );
        TopLevelKeys { names, of_column }
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|k| k.len() == key.len() && *k == key)
    }
}

enum ColumnBuilder {
    Utf8(StringBuilder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Timestamp(TimestampMicrosecondBuilder),
    EventId(FixedSizeBinaryBuilder),
    StringList(ListBuilder<StringBuilder>),
    CorrectMap(Box<CorrectMapBuilder>),
    Answers(Box<MapBuilder<StringBuilder, ListBuilder<StringBuilder>>>),
}

impl ColumnBuilder {
    fn new(ty: ColumnType) -> ColumnBuilder {
        match ty {
            ColumnType::Utf8 => ColumnBuilder::Utf8(StringBuilder::new()),
            ColumnType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
            ColumnType::Float64 => ColumnBuilder::Float64(Float64Builder::new()),
            ColumnType::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            ColumnType::EventId => ColumnBuilder::EventId(FixedSizeBinaryBuilder::new(16)),
            ColumnType::StringList => {
                ColumnBuilder::StringList(ListBuilder::new(StringBuilder::new()))
            }
            ColumnType::CorrectMap => ColumnBuilder::CorrectMap(Box::default()),
            ColumnType::Answers => ColumnBuilder::Answers(Box::new(MapBuilder::new(
                Some(MapFieldNames {
                    entry: "entries".into(),
                    key: "keys".into(),
                    value: "values".into(),
                }),
                StringBuilder::new(),
                ListBuilder::new(StringBuilder::new()),
            ))),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Utf8(b) => finish_presized(b),
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::EventId(b) => Arc::new(b.finish()),
            ColumnBuilder::StringList(b) => Arc::new(b.finish()),
            ColumnBuilder::CorrectMap(b) => b.finish(),
            ColumnBuilder::Answers(b) => Arc::new(b.finish()),
        }
    }

    fn utf8(&mut self) -> &mut StringBuilder {
        match self {
            ColumnBuilder::Utf8(b) => b,
            _ => unreachable!("the table checks fill and type agree"),
        }
    }
    fn int64(&mut self) -> &mut Int64Builder {
        match self {
            ColumnBuilder::Int64(b) => b,
            _ => unreachable!("the table checks fill and type agree"),
        }
    }
    fn float64(&mut self) -> &mut Float64Builder {
        match self {
            ColumnBuilder::Float64(b) => b,
            _ => unreachable!("the table checks fill and type agree"),
        }
    }
}

impl Default for BatchBuilder {
    fn default() -> Self {
        BatchBuilder {
            columns: COLUMNS.iter().map(|c| ColumnBuilder::new(c.ty)).collect(),
            keys: TopLevelKeys::from_table(),
            side: Parser::default(),
            warnings: Warnings::default(),
            text: String::new(),
            rows: 0,
        }
    }
}

impl BatchBuilder {
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn append(&mut self, source: &str, server: Option<&str>, line: u64, rec: &Record) {
        self.rows += 1;
        let Self {
            columns,
            keys,
            side,
            warnings,
            text,
            ..
        } = self;
        let mut slots: [Option<Json>; MAX_KEYS] = [None; MAX_KEYS];
        for (k, v) in rec.entries.clone() {
            if let Some(i) = keys.find(k) {
                slots[i] = Some(v);
            }
        }
        // Top-level keys whose value its column refused: they are kept in `extra`.
        let mut refused = 0u64;
        warnings.0.clear();
        warnings.0.extend_from_slice(&rec.repairs.0);
        let w = warnings;
        let event_type = rec.event_type.as_deref();
        for ((column, b), key) in COLUMNS.iter().zip(columns.iter_mut()).zip(&keys.of_column) {
            let slot = key.and_then(|k| slots[k]);
            let mut refuse = || refused |= 1 << key.expect("a column with a key");
            match column.fill {
                Fill::Source => b.utf8().append_value(source),
                Fill::Server => b.utf8().append_option(server),
                Fill::Line => b.int64().append_value(line as i64),
                Fill::EventId => match b {
                    ColumnBuilder::EventId(b) => b
                        .append_value(rec.event_id)
                        .expect("event ids are 16 bytes"),
                    _ => unreachable!("the table checks fill and type agree"),
                },
                Fill::Time => {
                    let time = slot.and_then(|v| match v.kind() {
                        Kind::Null => None,
                        Kind::Str(s) => parse_time(s).or_else(|| {
                            w.push(Warning::TimeUnparseable);
                            refuse();
                            None
                        }),
                        kind => {
                            w.cannot(column.name, &kind, Target::Timestamp);
                            refuse();
                            None
                        }
                    });
                    match b {
                        ColumnBuilder::Timestamp(b) => b.append_option(time),
                        _ => unreachable!("the table checks fill and type agree"),
                    }
                }
                Fill::Key(_) => {
                    let value = slot.and_then(|v| {
                        let (value, refused) = to_string(v, column.name, w);
                        if refused {
                            refuse();
                        }
                        value
                    });
                    b.utf8().append_option(value);
                }
                Fill::CourseId => b.utf8().append_option(rec.course_id.as_deref()),
                Fill::OrgId => b.utf8().append_option(rec.org_id.as_deref()),
                Fill::UserId => {
                    let v = rec.context_user_id.and_then(|v| to_int(v, column.name, w));
                    b.int64().append_option(v);
                }
                Fill::Context => match rec.context.map(|c| (c, c.kind())) {
                    Some((c, Kind::Object(_))) => {
                        text.clear();
                        c.write_json(text);
                        b.utf8().append_value(&*text);
                    }
                    Some((_, kind)) => {
                        w.cannot(column.name, &kind, Target::Object);
                        refuse();
                        b.utf8().append_null();
                    }
                    None => b.utf8().append_null(),
                },
                Fill::Extra => {
                    let extra = rec
                        .entries
                        .clone()
                        .filter(|(k, _)| keys.find(k).is_none_or(|i| refused & (1 << i) != 0));
                    if extra.clone().next().is_some() {
                        text.clear();
                        write_object(extra, text);
                        b.utf8().append_value(&*text);
                    } else {
                        b.utf8().append_null();
                    }
                }
                Fill::Event => {
                    match rec.event.map(|e| (e, e.kind())) {
                        Some((_, Kind::Str(s))) => b.utf8().append_value(s),
                        Some((e, _)) => {
                            text.clear();
                            e.write_json(text);
                            b.utf8().append_value(&*text);
                        }
                        None => b.utf8().append_null(),
                    }
                    w.0.extend_from_slice(&rec.payload_warnings.0);
                }
                Fill::Payload { family, keys, rule } => {
                    let value = rec
                        .payload
                        .object()
                        .filter(|_| family.includes(event_type))
                        .and_then(|obj| obj.get_first_of(keys));
                    match rule {
                        Rule::String => {
                            let v = value.and_then(|v| to_string(v, column.name, w).0);
                            b.utf8().append_option(v);
                        }
                        Rule::Int => {
                            let v = value.and_then(|v| to_int(v, column.name, w));
                            b.int64().append_option(v);
                        }
                        Rule::Float => {
                            let v = value.and_then(|v| to_float(v, column.name, w));
                            b.float64().append_option(v);
                        }
                        Rule::JsonText => match value.filter(|v| !v.is_null()) {
                            Some(v) => {
                                text.clear();
                                v.write_json(text);
                                b.utf8().append_value(&*text);
                            }
                            None => b.utf8().append_null(),
                        },
                    }
                }
                Fill::ProblemId => {
                    let v = problem_id(rec.payload, event_type, w);
                    b.utf8().append_option(v);
                }
                Fill::CorrectMap => {
                    let v = correct_map_of(rec.payload, side, w);
                    match b {
                        ColumnBuilder::CorrectMap(b) => b.append(v.as_deref()),
                        _ => unreachable!("the table checks fill and type agree"),
                    }
                }
                Fill::Answers => {
                    let v = answers_of(rec.payload, event_type, w);
                    match b {
                        ColumnBuilder::Answers(b) => append_answers(b, v.as_ref()),
                        _ => unreachable!("the table checks fill and type agree"),
                    }
                }
                Fill::Warnings => match b {
                    ColumnBuilder::StringList(b) => {
                        if w.is_empty() {
                            b.append(false);
                        } else {
                            for warning in &w.0 {
                                use std::fmt::Write;
                                let _ = write!(b.values(), "{warning}");
                                b.values().append_value("");
                            }
                            b.append(true);
                        }
                    }
                    _ => unreachable!("the table checks fill and type agree"),
                },
            }
        }
    }

    /// The batch of everything appended so far, in schema order; the builder starts afresh.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        // try_new checks every type against THE schema, nested fields included.
        RecordBatch::try_new(schema(), columns)
    }
}

fn append_answers(
    b: &mut MapBuilder<StringBuilder, ListBuilder<StringBuilder>>,
    answers: Option<&Answers>,
) {
    match answers {
        Some(answers) => {
            for (k, values) in answers {
                b.keys().append_value(k);
                let list = b.values();
                for v in values {
                    list.values().append_option(v.as_deref());
                }
                list.append(true);
            }
            b.append(true).expect("keys and values stay in step");
        }
        None => b.append(false).expect("keys and values stay in step"),
    }
}

/// Finishes a string column and starts the next batch's with room for as much: a finished
/// builder restarts empty, and regrowing multi-MiB buffers by doubling copies them each time.
fn finish_presized(b: &mut StringBuilder) -> ArrayRef {
    let (items, bytes) = (b.offsets_slice().len() - 1, b.values_slice().len());
    let array = Arc::new(b.finish());
    *b = StringBuilder::with_capacity(items, bytes);
    array
}

/// `list<struct<...>>` built from flat children, which keeps the struct fields plain.
#[derive(Default)]
struct CorrectMapBuilder {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    answer_id: StringBuilder,
    correctness: StringBuilder,
    npoints: Float64Builder,
    msg: StringBuilder,
    hint: StringBuilder,
    hintmode: StringBuilder,
    queuestate_key: StringBuilder,
    queuestate_time: StringBuilder,
    entries: i32,
}

impl CorrectMapBuilder {
    fn append(&mut self, entries: Option<&[CorrectMapEntry]>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        for e in entries.unwrap_or_default() {
            self.answer_id.append_value(&e.answer_id);
            self.correctness.append_option(e.correctness.as_deref());
            self.npoints.append_option(e.npoints);
            self.msg.append_option(e.msg.as_deref());
            self.hint.append_option(e.hint.as_deref());
            self.hintmode.append_option(e.hintmode.as_deref());
            self.queuestate_key
                .append_option(e.queuestate_key.as_deref());
            self.queuestate_time
                .append_option(e.queuestate_time.as_deref());
            self.entries += 1;
        }
        self.offsets.push(self.entries);
        self.valid.push(entries.is_some());
    }

    fn finish(&mut self) -> ArrayRef {
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.answer_id.finish()),
            Arc::new(self.correctness.finish()),
            Arc::new(self.npoints.finish()),
            Arc::new(self.msg.finish()),
            Arc::new(self.hint.finish()),
            Arc::new(self.hintmode.finish()),
            Arc::new(self.queuestate_key.finish()),
            Arc::new(self.queuestate_time.finish()),
        ];
        let structs = StructArray::new(correct_map_fields(), children, None);
        let mut offsets = std::mem::take(&mut self.offsets);
        if offsets.is_empty() {
            offsets.push(0);
        }
        let valid = std::mem::take(&mut self.valid);
        self.entries = 0;
        let field = Arc::new(Field::new(
            "item",
            DataType::Struct(correct_map_fields()),
            true,
        ));
        Arc::new(ListArray::new(
            field,
            OffsetBuffer::new(offsets.into()),
            Arc::new(structs),
            Some(NullBuffer::from(valid)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::LineReader;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_array::Array;

    /// One line through the reader and the builder: the row as a batch.
    fn row(line: &str) -> RecordBatch {
        let mut reader = LineReader::default();
        let mut builder = BatchBuilder::default();
        reader
            .read_line(line.as_bytes(), |rec| builder.append("s", None, 1, rec))
            .unwrap();
        builder.finish().unwrap()
    }

    /// A cell of the one-row batch as text (`~` for null).
    fn cell(batch: &RecordBatch, name: &str) -> String {
        let c = batch.column_by_name(name).unwrap();
        if c.is_null(0) {
            return "~".into();
        }
        match c.data_type() {
            DataType::Utf8 => c.as_string::<i32>().value(0).to_string(),
            DataType::Int64 => c.as_primitive::<Int64Type>().value(0).to_string(),
            DataType::Float64 => c.as_primitive::<Float64Type>().value(0).to_string(),
            DataType::List(_) if name == "warnings" => {
                let list = c.as_list::<i32>().value(0);
                let texts = list.as_string::<i32>();
                texts.iter().flatten().collect::<Vec<_>>().join(" | ")
            }
            DataType::List(_) => format!("{} entries", c.as_list::<i32>().value_length(0)),
            DataType::Map(_, _) => {
                let m = c.as_map();
                let keys = m.keys().as_string::<i32>();
                let values = m.values().as_list::<i32>();
                (0..m.value_length(0) as usize)
                    .map(|i| {
                        let v = values.value(i);
                        let v = v.as_string::<i32>();
                        format!(
                            "{}={}",
                            keys.value(i),
                            v.iter()
                                .map(|x| x.unwrap_or("~"))
                                .collect::<Vec<_>>()
                                .join("|")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            }
            other => format!("{other}"),
        }
    }

    fn cells(line: &str, names: &[&str]) -> Vec<String> {
        let b = row(line);
        names.iter().map(|n| cell(&b, n)).collect()
    }

    fn event_line(event_type: &str, event_json: &str) -> String {
        format!(r#"{{"event_type":"{event_type}","event":{event_json}}}"#)
    }

    #[test]
    fn unknown_and_refused_keys_go_to_extra_in_document_order() {
        let b =
            row(r#"{"username":["x"],"foo":1,"time":5,"user_id":3,"context":{"user_id":"42"}}"#);
        assert_eq!(
            cell(&b, "warnings"),
            "time: cannot convert number to timestamp | username: cannot convert array to string"
        );
        assert_eq!(
            cell(&b, "extra"),
            r#"{"username":["x"],"foo":1,"time":5,"user_id":3}"#
        );
        assert_eq!(cell(&b, "user_id"), "42");
        assert_eq!(cell(&b, "context"), r#"{"user_id":"42"}"#);
    }

    #[test]
    fn a_key_given_twice_is_refused_only_when_its_last_value_is() {
        let b = row(r#"{"username":["x"],"username":"a"}"#);
        assert_eq!(cell(&b, "username"), "a");
        assert_eq!(cell(&b, "extra"), "~");
        let b = row(r#"{"username":"a","username":["x"]}"#);
        assert_eq!(cell(&b, "extra"), r#"{"username":["x"]}"#);
    }

    #[test]
    fn string_event_is_kept_verbatim_and_object_event_as_compact_json() {
        assert_eq!(
            cells(r#"{"event":"{\"a\": 1}"}"#, &["event"]),
            [r#"{"a": 1}"#]
        );
        assert_eq!(cells(r#"{"event":{"a": 1}}"#, &["event"]), [r#"{"a":1}"#]);
        assert_eq!(cells(r#"{"event":null}"#, &["event"]), ["~"]);
    }

    #[test]
    fn context_that_is_no_object_is_refused_into_extra() {
        let b = row(r#"{"context":[1],"user_id":"x"}"#);
        assert_eq!(cell(&b, "context"), "~");
        assert_eq!(cell(&b, "extra"), r#"{"context":[1],"user_id":"x"}"#);
        assert_eq!(
            cell(&b, "warnings"),
            "context: cannot convert array to object"
        );
    }

    #[test]
    fn unparseable_time_warns_and_is_kept_in_extra() {
        let b = row(r#"{"time":"yesterday"}"#);
        assert_eq!(cell(&b, "time"), "~");
        assert_eq!(cell(&b, "extra"), r#"{"time":"yesterday"}"#);
        assert_eq!(cell(&b, "warnings"), "time: unparseable");
    }

    #[test]
    fn quoted_get_payload_decodes_to_answers() {
        let line = event_line(
            "problem_check",
            r#""\"input_i4x-edX-E929-problem-4_2_1=3.14&input_i4x-edX-E929-problem-4_3_1=4500\"""#,
        );
        assert_eq!(
            cells(&line, &["answers", "warnings"]),
            [
                "i4x-edX-E929-problem-4_2_1=3.14;i4x-edX-E929-problem-4_3_1=4500",
                "~"
            ]
        );
    }

    #[test]
    fn unquoted_get_payload_with_checkbox_keys_decodes_to_answers() {
        let line = event_line(
            "problem_check",
            r#""input_p_2_1%5B%5D=choice_1&input_p_2_1%5B%5D=choice_3""#,
        );
        assert_eq!(cells(&line, &["answers"]), ["p_2_1=choice_1|choice_3"]);
    }

    #[test]
    fn problem_graded_list_takes_the_get_string() {
        let line = event_line(
            "problem_graded",
            r#"["input_p_2_1=choice_2", "<div>html</div>"]"#,
        );
        assert_eq!(cells(&line, &["answers"]), ["p_2_1=choice_2"]);
    }

    #[test]
    fn cut_json_string_warns_and_fills_nothing() {
        let line = event_line("problem_check", r#""{\"POST\": {\"input_x\": [\"1\"""#);
        assert_eq!(
            cells(&line, &["answers", "warnings"]),
            ["~", "event: looks like JSON but does not decode"]
        );
    }

    #[test]
    fn video_and_seq_and_book_fields_by_family() {
        let line = event_line(
            "play_video",
            r#""{\"id\":\"v1\",\"currentTime\":1.264,\"code\":\"FU3\",\"speed\":\"1.0\"}""#,
        );
        assert_eq!(
            cells(
                &line,
                &["video_id", "video_time", "video_code", "video_speed"]
            ),
            ["v1", "1.264", "FU3", "1.0"]
        );
        let line = event_line("seq_goto", r#""{\"id\":\"s\",\"old\":\"3\",\"new\":5}""#);
        assert_eq!(
            cells(&line, &["seq_id", "seq_old", "seq_new"]),
            ["s", "3", "5"]
        );
        let line = event_line("book", r#"{"type":"gotopage","old":2,"new":25}"#);
        assert_eq!(
            cells(&line, &["book_type", "book_old", "book_new"]),
            ["gotopage", "2", "25"]
        );
        // The same keys mean nothing for another family.
        let line = event_line("page_close", r#"{"id":"x","old":1}"#);
        assert_eq!(
            cells(&line, &["seq_id", "seq_old", "video_id"]),
            ["~", "~", "~"]
        );
        // current_time only when currentTime is absent.
        let line = event_line("pause_video", r#"{"current_time":2,"currentTime":null}"#);
        assert_eq!(cells(&line, &["video_time"]), ["~"]);
        let line = event_line("pause_video", r#"{"current_time":2}"#);
        assert_eq!(cells(&line, &["video_time"]), ["2"]);
    }

    #[test]
    fn server_answers_and_correct_map() {
        let line = event_line(
            "problem_check",
            r#"{"answers":{"p_2_1":["choice_1","choice_2"],"p_3_1":"x","p_4_1":7},
               "correct_map":{"p_2_1":{"correctness":"correct","npoints":null,"queuestate":null},"p_3_1":"junk"}}"#,
        );
        assert_eq!(
            cells(&line, &["answers", "correct_map", "warnings"]),
            [
                "p_2_1=choice_1|choice_2;p_3_1=x;p_4_1=7",
                "1 entries",
                "correct_map: entry is not an object"
            ]
        );
    }

    #[test]
    fn problem_show_takes_problem() {
        let line = event_line(
            "problem_show",
            r#"{"problem":"i4x://MITx/6.00x/problem/L15"}"#,
        );
        assert_eq!(
            cells(&line, &["problem_id"]),
            ["i4x://MITx/6.00x/problem/L15"]
        );
        let line = event_line(
            "problem_check",
            r#"{"problem":"i4x://MITx/6.00x/problem/L15"}"#,
        );
        assert_eq!(cells(&line, &["problem_id"]), ["~"]);
    }

    #[test]
    fn warnings_follow_schema_order() {
        let line = r#"{"time":1,"username":{},"context":{"user_id":"u"},"event_type":"seq_goto","event":{"old":"x","new":"y","attempts":"z"}}"#;
        assert_eq!(
            cells(line, &["warnings"]),
            ["time: cannot convert number to timestamp | username: cannot convert object to string | user_id: cannot convert string to int64 | attempts: cannot convert string to int64 | seq_old: cannot convert string to int64 | seq_new: cannot convert string to int64"]
        );
    }
}
