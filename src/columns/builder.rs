//! Records → one Arrow `RecordBatch`, column by column in schema order.

use std::sync::Arc;

use arrow_array::builder::{
    FixedSizeBinaryBuilder, Float64Builder, Int64Builder, ListBuilder, MapBuilder, MapFieldNames,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{ArrowError, DataType, Field};

use super::schema::{correct_map_fields, schema};
use crate::record::event::CorrectMapEntry;
use crate::record::Record;

/// Appends rows of one member; `finish` makes the batch.
pub struct BatchBuilder {
    source: StringBuilder,
    server: StringBuilder,
    line: Int64Builder,
    event_id: FixedSizeBinaryBuilder,
    time: TimestampMicrosecondBuilder,
    strings: [StringBuilder; 11],
    course_id: StringBuilder,
    org_id: StringBuilder,
    user_id: Int64Builder,
    context: StringBuilder,
    extra: StringBuilder,
    event: StringBuilder,
    problem_id: StringBuilder,
    success: StringBuilder,
    attempts: Int64Builder,
    correct_map: CorrectMapBuilder,
    answers: MapBuilder<StringBuilder, ListBuilder<StringBuilder>>,
    state: StringBuilder,
    video_id: StringBuilder,
    video_code: StringBuilder,
    video_speed: StringBuilder,
    video_time: Float64Builder,
    book_type: StringBuilder,
    book_old: Int64Builder,
    book_new: Int64Builder,
    seq_id: StringBuilder,
    seq_old: Int64Builder,
    seq_new: Int64Builder,
    location: StringBuilder,
    rubric_category: Int64Builder,
    selected_value: Int64Builder,
    warnings: ListBuilder<StringBuilder>,
    rows: usize,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        let s = StringBuilder::new;
        let i = Int64Builder::new;
        BatchBuilder {
            source: s(),
            server: s(),
            line: i(),
            event_id: FixedSizeBinaryBuilder::new(16),
            time: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            strings: std::array::from_fn(|_| s()),
            course_id: s(),
            org_id: s(),
            user_id: i(),
            context: s(),
            extra: s(),
            event: s(),
            problem_id: s(),
            success: s(),
            attempts: i(),
            correct_map: CorrectMapBuilder::default(),
            answers: MapBuilder::new(
                Some(MapFieldNames {
                    entry: "entries".into(),
                    key: "keys".into(),
                    value: "values".into(),
                }),
                s(),
                ListBuilder::new(s()),
            ),
            state: s(),
            video_id: s(),
            video_code: s(),
            video_speed: s(),
            video_time: Float64Builder::new(),
            book_type: s(),
            book_old: i(),
            book_new: i(),
            seq_id: s(),
            seq_old: i(),
            seq_new: i(),
            location: s(),
            rubric_category: i(),
            selected_value: i(),
            warnings: ListBuilder::new(s()),
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
        self.source.append_value(source);
        self.server.append_option(server);
        self.line.append_value(line as i64);
        self.event_id
            .append_value(rec.event_id)
            .expect("event ids are 16 bytes");
        self.time.append_option(rec.time);
        for (b, v) in self.strings.iter_mut().zip(&rec.strings) {
            b.append_option(v.as_deref());
        }
        self.course_id.append_option(rec.course_id.as_deref());
        self.org_id.append_option(rec.org_id.as_deref());
        self.user_id.append_option(rec.user_id);
        self.context.append_option(rec.context.as_deref());
        self.extra.append_option(rec.extra.as_deref());
        self.event.append_option(rec.event.as_deref());
        let f = &rec.fields;
        self.problem_id.append_option(f.problem_id.as_deref());
        self.success.append_option(f.success.as_deref());
        self.attempts.append_option(f.attempts);
        self.correct_map.append(f.correct_map.as_deref());
        match &f.answers {
            Some(answers) => {
                for (k, values) in answers {
                    self.answers.keys().append_value(k);
                    let list = self.answers.values();
                    for v in values {
                        list.values().append_option(v.as_deref());
                    }
                    list.append(true);
                }
                self.answers
                    .append(true)
                    .expect("keys and values stay in step");
            }
            None => self
                .answers
                .append(false)
                .expect("keys and values stay in step"),
        }
        self.state.append_option(f.state.as_deref());
        self.video_id.append_option(f.video_id.as_deref());
        self.video_code.append_option(f.video_code.as_deref());
        self.video_speed.append_option(f.video_speed.as_deref());
        self.video_time.append_option(f.video_time);
        self.book_type.append_option(f.book_type.as_deref());
        self.book_old.append_option(f.book_old);
        self.book_new.append_option(f.book_new);
        self.seq_id.append_option(f.seq_id.as_deref());
        self.seq_old.append_option(f.seq_old);
        self.seq_new.append_option(f.seq_new);
        self.location.append_option(f.location.as_deref());
        self.rubric_category.append_option(f.rubric_category);
        self.selected_value.append_option(f.selected_value);
        if rec.warnings.0.is_empty() {
            self.warnings.append(false);
        } else {
            for w in &rec.warnings.0 {
                self.warnings.values().append_value(w);
            }
            self.warnings.append(true);
        }
    }

    /// The batch of everything appended so far, in schema order; the builder starts afresh.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let mut columns: Vec<ArrayRef> = vec![
            finish_presized(&mut self.source),
            finish_presized(&mut self.server),
            Arc::new(self.line.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.time.finish()),
        ];
        for b in &mut self.strings {
            columns.push(finish_presized(b));
        }
        let rest: Vec<ArrayRef> = vec![
            finish_presized(&mut self.course_id),
            finish_presized(&mut self.org_id),
            Arc::new(self.user_id.finish()),
            finish_presized(&mut self.context),
            finish_presized(&mut self.extra),
            finish_presized(&mut self.event),
            finish_presized(&mut self.problem_id),
            finish_presized(&mut self.success),
            Arc::new(self.attempts.finish()),
            self.correct_map.finish(),
            Arc::new(self.answers.finish()),
            finish_presized(&mut self.state),
            finish_presized(&mut self.video_id),
            finish_presized(&mut self.video_code),
            finish_presized(&mut self.video_speed),
            Arc::new(self.video_time.finish()),
            finish_presized(&mut self.book_type),
            Arc::new(self.book_old.finish()),
            Arc::new(self.book_new.finish()),
            finish_presized(&mut self.seq_id),
            Arc::new(self.seq_old.finish()),
            Arc::new(self.seq_new.finish()),
            finish_presized(&mut self.location),
            Arc::new(self.rubric_category.finish()),
            Arc::new(self.selected_value.finish()),
            Arc::new(self.warnings.finish()),
        ];
        columns.extend(rest);
        // try_new checks every type against THE schema, nested fields included.
        RecordBatch::try_new(schema(), columns)
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
