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

use super::keys::KeyTable;
use super::schema::{correct_map_fields, schema};
use super::table::{ColumnType, Family, Fill, Rule, COLUMNS};
use crate::record::convert::{to_float, to_int, to_string};
use crate::record::event::{answers_of, correct_map, problem_id, CorrectMapEntry};
use crate::record::get_payload::Answers;
use crate::record::json::{write_object, Json, Kind, Parser};
use crate::record::time::parse_time;
use crate::record::warning::{Target, Warning, Warnings};
use crate::record::Record;

/// The most top-level keys the table may give columns (a row's key slots live on the stack).
const MAX_KEYS: usize = 32;
/// The most payload keys the table's columns may read.
const MAX_PAYLOAD_KEYS: usize = 64;

/// Appends rows; `finish` makes the batch.
pub struct BatchBuilder {
    /// One per column of the table, in schema order.
    columns: Vec<Slot>,
    /// Whether a column's fill runs: it is returned, or its side effects are (a warning for
    /// `warnings`, a refused value for `extra`).
    run: Vec<bool>,
    /// The columns returned, in the order asked for.
    projection: Vec<usize>,
    schema: arrow_schema::SchemaRef,
    /// The top-level keys that have a column, and each column's ordinal among them.
    keys: KeyTable,
    key_of_column: Vec<Option<usize>>,
    /// The payload keys the event columns read, and each column's ordinals among them.
    payload_keys: KeyTable,
    payload_keys_of_column: Vec<Vec<usize>>,
    /// The event families, and each column's among them.
    families: Vec<Family>,
    family_of_column: Vec<Option<usize>>,
    /// The columns a row visits.
    plan: RowPlan,
    /// Whether some running column reads the payload object.
    reads_payload: bool,
    /// Parses a `correct_map` given as JSON text.
    side: Parser,
    /// The row's warnings, reused.
    warnings: Warnings,
    /// A warning for every row appended until changed: their member failed a check of its data
    /// (set per member by the decoder; see `input::archive::read_member_bytes`).
    member_warning: Option<&'static str>,
    /// JSON text being written, reused.
    text: String,
    rows: usize,
    /// The builders gave their buffers back (`release_buffers`): the next row makes room again.
    released: bool,
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
        ColumnBuilder::with_capacity(ty, Capacity::default())
    }

    /// A builder with room for `cap` (rows, and string bytes where the type has them; the
    /// nested types, mostly null, start empty).
    fn with_capacity(ty: ColumnType, cap: Capacity) -> ColumnBuilder {
        let Capacity { rows, bytes } = cap;
        match ty {
            ColumnType::Utf8 => ColumnBuilder::Utf8(StringBuilder::with_capacity(rows, bytes)),
            ColumnType::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(rows)),
            ColumnType::Float64 => ColumnBuilder::Float64(Float64Builder::with_capacity(rows)),
            ColumnType::Timestamp => ColumnBuilder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            ),
            ColumnType::EventId => {
                ColumnBuilder::EventId(FixedSizeBinaryBuilder::with_capacity(rows, 16))
            }
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

    /// The string bytes held (0 for the types `with_capacity` does not presize by bytes).
    fn bytes(&self) -> usize {
        match self {
            ColumnBuilder::Utf8(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::EventId(b) => Arc::new(b.finish()),
            ColumnBuilder::StringList(b) => Arc::new(b.finish()),
            ColumnBuilder::CorrectMap(b) => b.finish(),
            ColumnBuilder::Answers(b) => Arc::new(b.finish()),
        }
    }

    fn append_nulls(&mut self, n: usize) {
        match self {
            ColumnBuilder::Utf8(b) => b.append_nulls(n),
            ColumnBuilder::Int64(b) => b.append_nulls(n),
            ColumnBuilder::Float64(b) => b.append_nulls(n),
            ColumnBuilder::Timestamp(b) => b.append_nulls(n),
            ColumnBuilder::EventId(b) => b.append_nulls(n),
            ColumnBuilder::StringList(b) => b.append_nulls(n),
            ColumnBuilder::CorrectMap(b) => b.append_nulls(n),
            ColumnBuilder::Answers(b) => b.append_nulls(n).expect("keys and values stay in step"),
        }
    }
}

/// A column's builder and the rows it holds. A row in which the column has no value does not
/// touch it: the nulls it owes are written in one run when its next value comes, or at
/// `finish`. Most event columns are null in most rows, so a row only visits the columns that
/// may have a value (`RowPlan`), and one `append_nulls` for a run costs less than one
/// `append_null` per row.
struct Slot {
    builder: ColumnBuilder,
    ty: ColumnType,
    /// Rows accounted for in `builder` (values and the nulls written before them).
    rows: usize,
    /// What this column held in the last batch: the next batch's builder starts with room for
    /// as much. A finished builder restarts empty, and regrowing buffers of megabytes by
    /// doubling copies them each time: measured, callgrind, 2 threads, 2017 plain tar, 6.36 G
    /// instructions before, 6.17 G with this. (Room for the biggest batch so far saved 6.06 G
    /// but raised peak RSS at 8 threads by ~30 MB, so the last batch it is.)
    last: Capacity,
}

/// Room in a column builder: rows, and bytes of string values.
#[derive(Debug, Clone, Copy, Default)]
struct Capacity {
    rows: usize,
    bytes: usize,
}

impl Slot {
    /// The builder, ready for the value of row `row` (every caller appends exactly one
    /// value): the rows before it that had none are null.
    #[inline]
    fn at(&mut self, row: usize) -> &mut ColumnBuilder {
        if self.rows < row {
            self.write_nulls_up_to(row);
        }
        self.rows = row + 1;
        &mut self.builder
    }

    #[inline(never)]
    fn write_nulls_up_to(&mut self, row: usize) {
        self.builder.append_nulls(row - self.rows);
        self.rows = row;
    }

    fn str(&mut self, row: usize, v: Option<&str>) {
        if let Some(v) = v {
            self.utf8(row).append_value(v);
        }
    }

    fn int(&mut self, row: usize, v: Option<i64>) {
        if let Some(v) = v {
            match self.at(row) {
                ColumnBuilder::Int64(b) => b.append_value(v),
                _ => unreachable!("the table checks fill and type agree"),
            }
        }
    }

    fn float(&mut self, row: usize, v: Option<f64>) {
        if let Some(v) = v {
            match self.at(row) {
                ColumnBuilder::Float64(b) => b.append_value(v),
                _ => unreachable!("the table checks fill and type agree"),
            }
        }
    }

    fn utf8(&mut self, row: usize) -> &mut StringBuilder {
        match self.at(row) {
            ColumnBuilder::Utf8(b) => b,
            _ => unreachable!("the table checks fill and type agree"),
        }
    }

    /// The column of `rows` rows; the slot starts afresh, with room for as many.
    fn finish(&mut self, rows: usize) -> ArrayRef {
        if self.rows < rows {
            self.write_nulls_up_to(rows);
        }
        self.rows = 0;
        self.last = Capacity {
            rows,
            bytes: self.builder.bytes(),
        };
        let array = self.builder.finish();
        self.builder = ColumnBuilder::with_capacity(self.ty, self.last);
        array
    }

    /// Gives the builder's buffers back (it keeps what it learnt of their sizes).
    fn release(&mut self) {
        debug_assert_eq!(self.rows, 0, "only between batches");
        self.builder = ColumnBuilder::new(self.ty);
    }

    /// Makes room for the last batch again, after `release`.
    fn presize(&mut self) {
        self.builder = ColumnBuilder::with_capacity(self.ty, self.last);
    }
}

/// Which columns a row visits, in schema order (so warnings keep the order of contract §7),
/// as bit masks over the table: a row visits `always`; when its payload is an object, also
/// `any_payload` (payload columns of no family, `correct_map`) and the columns of each family
/// its event type is in. A column left out can only be null in that row.
struct RowPlan {
    always: u128,
    any_payload: u128,
    family: Vec<u128>,
}

impl Default for BatchBuilder {
    /// A builder of every column.
    fn default() -> Self {
        BatchBuilder::new(None)
    }
}

impl BatchBuilder {
    /// A builder of the given columns (indexes into the table, in the order wanted), or of
    /// all. Only the fills these need run.
    pub fn new(projection: Option<&[usize]>) -> BatchBuilder {
        let projection: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..COLUMNS.len()).collect(),
        };
        let wanted = |f: fn(&Fill) -> bool| projection.iter().any(|&i| f(&COLUMNS[i].fill));
        let all = wanted(|f| matches!(f, Fill::Warnings));
        let extra = wanted(|f| matches!(f, Fill::Extra));
        let run: Vec<bool> = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                all || projection.contains(&i) || (extra && c.fill.top_level_key().is_some())
            })
            .collect();
        let schema = if projection.len() == COLUMNS.len()
            && projection.iter().enumerate().all(|(i, &p)| i == p)
        {
            schema()
        } else {
            Arc::new(
                schema()
                    .project(&projection)
                    .expect("projection indexes are columns"),
            )
        };
        let mut key_names = Vec::new();
        let key_of_column = COLUMNS
            .iter()
            .map(|c| {
                c.fill.top_level_key().map(|k| {
                    key_names.push(k);
                    key_names.len() - 1
                })
            })
            .collect();
        assert!(
            key_names.len() <= MAX_KEYS,
            "more top-level key columns than slots"
        );
        let mut payload_names: Vec<&'static str> = Vec::new();
        let payload_keys_of_column = COLUMNS
            .iter()
            .map(|c| {
                c.fill
                    .payload_keys()
                    .iter()
                    .map(|k| match payload_names.iter().position(|n| n == k) {
                        Some(i) => i,
                        None => {
                            payload_names.push(k);
                            payload_names.len() - 1
                        }
                    })
                    .collect()
            })
            .collect();
        assert!(
            payload_names.len() <= MAX_PAYLOAD_KEYS,
            "more payload keys than slots"
        );
        let mut families: Vec<Family> = Vec::new();
        let family_of_column: Vec<Option<usize>> = COLUMNS
            .iter()
            .map(|c| match c.fill {
                Fill::Payload { family, .. } if family.has.is_some() => {
                    Some(match families.iter().position(|f| f.name == family.name) {
                        Some(i) => i,
                        None => {
                            families.push(family);
                            families.len() - 1
                        }
                    })
                }
                _ => None,
            })
            .collect();
        let reads_payload = COLUMNS
            .iter()
            .zip(&run)
            .any(|(c, run)| *run && !c.fill.payload_keys().is_empty());
        assert!(
            COLUMNS.len() <= 128,
            "more columns than the row plan's bits"
        );
        let mut plan = RowPlan {
            always: 0,
            any_payload: 0,
            family: vec![0; families.len()],
        };
        for (i, c) in COLUMNS.iter().enumerate() {
            if !run[i] {
                continue;
            }
            let bit = 1u128 << i;
            // Only these fills give null, and no warning, when the payload is not an object of
            // their family (the other payload fills also look at GET strings and event types).
            match (&c.fill, family_of_column[i]) {
                (Fill::Payload { .. }, Some(f)) => plan.family[f] |= bit,
                (Fill::Payload { .. } | Fill::CorrectMap, None) => plan.any_payload |= bit,
                _ => plan.always |= bit,
            }
        }
        BatchBuilder {
            columns: COLUMNS
                .iter()
                .map(|c| Slot {
                    builder: ColumnBuilder::new(c.ty),
                    ty: c.ty,
                    rows: 0,
                    last: Capacity::default(),
                })
                .collect(),
            run,
            projection,
            schema,
            keys: KeyTable::new(key_names),
            key_of_column,
            payload_keys: KeyTable::new(payload_names),
            payload_keys_of_column,
            families,
            family_of_column,
            plan,
            reads_payload,
            side: Parser::default(),
            warnings: Warnings::default(),
            member_warning: None,
            text: String::new(),
            rows: 0,
            released: false,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The warning the next rows carry last (their member's data failed a check), or none.
    pub fn set_member_warning(&mut self, warning: Option<&'static str>) {
        self.member_warning = warning;
    }

    /// Between batches, gives the column builders' buffers back (an idle worker then holds no
    /// memory); the first row of the next batch makes room for the last batch's size again.
    pub fn release_buffers(&mut self) {
        if self.rows > 0 || self.released {
            return;
        }
        for (slot, run) in self.columns.iter_mut().zip(&self.run) {
            if *run {
                slot.release();
            }
        }
        self.released = true;
    }

    pub fn append(&mut self, source: &str, server: Option<&str>, line: u64, rec: &Record) {
        if self.released {
            self.released = false;
            for (slot, run) in self.columns.iter_mut().zip(&self.run) {
                if *run {
                    slot.presize();
                }
            }
        }
        let row = self.rows;
        self.rows += 1;
        let Self {
            columns,
            keys,
            key_of_column,
            payload_keys,
            payload_keys_of_column,
            families,
            family_of_column,
            plan,
            reads_payload,
            side,
            warnings,
            member_warning,
            text,
            ..
        } = self;
        // The values of the top-level keys that have columns; whether any key has none.
        let mut slots: [Option<Json>; MAX_KEYS] = [None; MAX_KEYS];
        let mut unclaimed = false;
        for (k, v) in rec.entries.clone() {
            match keys.find(k) {
                Some(i) => slots[i] = Some(v),
                None => unclaimed = true,
            }
        }
        // The values of the payload keys the event columns read, in one pass; and which
        // families the event type is in.
        let mut payload_slots: [Option<Json>; MAX_PAYLOAD_KEYS] = [None; MAX_PAYLOAD_KEYS];
        let mut in_family = 0u64;
        let mut visit = plan.always;
        let event_type = rec.event_type.as_deref();
        let payload_object = rec.payload.object().filter(|_| *reads_payload);
        if let Some(obj) = payload_object {
            visit |= plan.any_payload;
            if let Kind::Object(entries) = obj.kind() {
                for (k, v) in entries {
                    if let Some(i) = payload_keys.find(k) {
                        payload_slots[i] = Some(v);
                    }
                }
            }
            for (i, f) in families.iter().enumerate() {
                if f.includes(event_type) {
                    in_family |= 1 << i;
                    visit |= plan.family[i];
                }
            }
        }
        // Top-level keys whose value its column refused: they are kept in `extra`.
        let mut refused = 0u64;
        warnings.0.clear();
        warnings.0.extend_from_slice(&rec.repairs.0);
        let w = warnings;
        while visit != 0 {
            let i = visit.trailing_zeros() as usize;
            visit &= visit - 1;
            let column = &COLUMNS[i];
            let b = &mut columns[i];
            let key = key_of_column[i];
            let slot = key.and_then(|k| slots[k]);
            let mut refuse = || refused |= 1 << key.expect("a column with a key");
            // The column's n-th payload key's value, when the payload is an object of its
            // family.
            let payload_value = |n: usize| {
                payload_object?;
                if family_of_column[i].is_some_and(|f| in_family & (1 << f) == 0) {
                    return None;
                }
                payload_slots[payload_keys_of_column[i][n]]
            };
            match &column.fill {
                Fill::Source => b.utf8(row).append_value(source),
                Fill::Server => b.str(row, server),
                Fill::Line => b.int(row, Some(line as i64)),
                Fill::EventId => match b.at(row) {
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
                    if let Some(t) = time {
                        match b.at(row) {
                            ColumnBuilder::Timestamp(b) => b.append_value(t),
                            _ => unreachable!("the table checks fill and type agree"),
                        }
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
                    b.str(row, value.as_deref());
                }
                Fill::CourseId => b.str(row, rec.course_id.as_deref()),
                Fill::OrgId => b.str(row, rec.org_id.as_deref()),
                Fill::UserId => {
                    let v = rec.context_user_id.and_then(|v| to_int(v, column.name, w));
                    b.int(row, v);
                }
                Fill::Context => match rec.context.map(|c| (c, c.kind())) {
                    Some((c, Kind::Object(_))) => match rec.context_text {
                        Some(source) => b.utf8(row).append_value(source),
                        None => {
                            text.clear();
                            c.write_json(text);
                            b.utf8(row).append_value(&*text);
                        }
                    },
                    Some((_, kind)) => {
                        w.cannot(column.name, &kind, Target::Object);
                        refuse();
                    }
                    None => {}
                },
                Fill::Extra => {
                    if !unclaimed && refused == 0 {
                        continue;
                    }
                    let extra = rec
                        .entries
                        .clone()
                        .filter(|(k, _)| keys.find(k).is_none_or(|i| refused & (1 << i) != 0));
                    if extra.clone().next().is_some() {
                        text.clear();
                        write_object(extra, text);
                        b.utf8(row).append_value(&*text);
                    }
                }
                Fill::Event => {
                    match rec.event.map(|e| (e, e.kind())) {
                        Some((_, Kind::Str(s))) => b.utf8(row).append_value(s),
                        Some((_, _)) if rec.event_text.is_some() => b.str(row, rec.event_text),
                        Some((e, _)) => {
                            text.clear();
                            e.write_json(text);
                            b.utf8(row).append_value(&*text);
                        }
                        None => {}
                    }
                    w.0.extend_from_slice(&rec.payload_warnings.0);
                }
                Fill::Payload { keys, rule, .. } => {
                    let value = (0..keys.len()).find_map(payload_value);
                    match rule {
                        Rule::String => {
                            let v = value.and_then(|v| to_string(v, column.name, w).0);
                            b.str(row, v.as_deref());
                        }
                        Rule::Int => b.int(row, value.and_then(|v| to_int(v, column.name, w))),
                        Rule::Float => {
                            b.float(row, value.and_then(|v| to_float(v, column.name, w)))
                        }
                        Rule::JsonText => {
                            if let Some(v) = value.filter(|v| !v.is_null()) {
                                text.clear();
                                v.write_json(text);
                                b.utf8(row).append_value(&*text);
                            }
                        }
                    }
                }
                Fill::ProblemId => {
                    let v = problem_id(payload_value(0), payload_value(1), event_type, w);
                    b.str(row, v.as_deref());
                }
                Fill::CorrectMap => {
                    if let Some(v) = payload_value(0).and_then(|v| correct_map(v, side, w)) {
                        match b.at(row) {
                            ColumnBuilder::CorrectMap(b) => b.append(Some(&v)),
                            _ => unreachable!("the table checks fill and type agree"),
                        }
                    }
                }
                Fill::Answers => {
                    if let Some(v) = answers_of(rec.payload, payload_value(0), event_type, w) {
                        match b.at(row) {
                            ColumnBuilder::Answers(b) => append_answers(b, &v),
                            _ => unreachable!("the table checks fill and type agree"),
                        }
                    }
                }
                Fill::Warnings => {
                    if let Some(m) = *member_warning {
                        w.push(Warning::MemberDamaged(m));
                    }
                    if w.is_empty() {
                        continue;
                    }
                    let ColumnBuilder::StringList(b) = b.at(row) else {
                        unreachable!("the table checks fill and type agree")
                    };
                    for warning in &w.0 {
                        use std::fmt::Write;
                        let _ = write!(b.values(), "{warning}");
                        b.values().append_value("");
                    }
                    b.append(true);
                }
            }
        }
    }

    /// The batch of everything appended so far, with the columns asked for; the builder
    /// starts afresh.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let rows = std::mem::take(&mut self.rows);
        let mut arrays: Vec<Option<ArrayRef>> = self
            .columns
            .iter_mut()
            .zip(&self.run)
            .map(|(c, run)| run.then(|| c.finish(rows)))
            .collect();
        let columns = self
            .projection
            .iter()
            .map(|&i| arrays[i].take().expect("a returned column runs"))
            .collect();
        // try_new checks every type against THE schema, nested fields included.
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

fn append_answers(
    b: &mut MapBuilder<StringBuilder, ListBuilder<StringBuilder>>,
    answers: &Answers,
) {
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

    fn append_nulls(&mut self, n: usize) {
        for _ in 0..n {
            self.append(None);
        }
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
        let b = row(r#"{"context": {"user_id" : "42", "a":[1, 2.50]} , "event": [ 1e400 ]}"#);
        assert_eq!(cell(&b, "context"), r#"{"user_id" : "42", "a":[1, 2.50]}"#);
        assert_eq!(cell(&b, "event"), "[ 1e400 ]");
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
    fn string_event_is_kept_verbatim_and_any_other_as_its_source_text() {
        assert_eq!(
            cells(r#"{"event":"{\"a\": 1}"}"#, &["event"]),
            [r#"{"a": 1}"#]
        );
        assert_eq!(cells(r#"{"event":{"a": 1}}"#, &["event"]), [r#"{"a": 1}"#]);
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
    fn modern_event_fields() {
        let line = event_line(
            "seek_video",
            r#""{\"id\":\"v\",\"old_time\":2.545294,\"new_time\":141,\"type\":\"onSlideSeek\",\"code\":\"b7x\"}""#,
        );
        assert_eq!(
            cells(
                &line,
                &["video_old_time", "video_new_time", "video_seek_type"]
            ),
            ["2.545294", "141", "onSlideSeek"]
        );
        let line = event_line(
            "speed_change_video",
            r#""{\"current_time\": 34.47, \"old_speed\": \"1.0\", \"new_speed\": \"2.0\"}""#,
        );
        assert_eq!(
            cells(&line, &["video_old_speed", "video_new_speed", "video_time"]),
            ["1.0", "2.0", "34.47"]
        );
        let line = event_line(
            "edx.course.enrollment.mode_changed",
            r#"{"course_id":"course-v1:A+B+C","user_id":2,"mode":"verified"}"#,
        );
        assert_eq!(
            cells(&line, &["enrollment_mode", "course_id", "org_id"]),
            ["verified", "course-v1:A+B+C", "A"]
        );
        let line = event_line(
            "edx.ui.lms.link_clicked",
            r#""{\"target_url\": \"http://x/progress\", \"current_url\": \"http://x/\"}""#,
        );
        assert_eq!(cells(&line, &["target_url"]), ["http://x/progress"]);
        let line = event_line(
            "edx.grades.problem.submitted",
            r#"{"weighted_earned":1,"weighted_possible":"2.5","problem_id":"p"}"#,
        );
        assert_eq!(
            cells(
                &line,
                &["weighted_earned", "weighted_possible", "problem_id"]
            ),
            ["1", "2.5", "p"]
        );
        // Another family's event leaves them null.
        let line = event_line(
            "play_video",
            r#"{"mode":"honor","target_url":"u","weighted_earned":1}"#,
        );
        assert_eq!(
            cells(&line, &["enrollment_mode", "target_url", "weighted_earned"]),
            ["~", "~", "~"]
        );
    }

    #[test]
    fn warnings_follow_schema_order() {
        let line = r#"{"time":1,"username":{},"context":{"user_id":"u"},"event_type":"seq_goto","event":{"old":"x","new":"y","attempts":"z"}}"#;
        assert_eq!(
            cells(line, &["warnings"]),
            ["time: cannot convert number to timestamp | username: cannot convert object to string | user_id: cannot convert string to int64 | attempts: cannot convert string to int64 | seq_old: cannot convert string to int64 | seq_new: cannot convert string to int64"]
        );
    }

    /// Rows skip the columns they have no value for; the nulls they owe are written when the
    /// next value comes, at `finish`, and never leak into the next batch.
    #[test]
    fn skipped_columns_are_null_in_the_right_rows_across_batches() {
        let seq = |n: i64| format!(r#"{{"event_type":"seq_goto","event":{{"old":{n},"new":2}}}}"#);
        let other = r#"{"event_type":"/courses/x/","event":"{\"POST\": {}, \"GET\": {}}"}"#;
        let mut reader = LineReader::default();
        let mut builder = BatchBuilder::default();
        let mut batch = |lines: &[String]| {
            for (i, l) in lines.iter().enumerate() {
                reader
                    .read_line(l.as_bytes(), |rec| builder.append("s", None, i as u64, rec))
                    .unwrap();
            }
            let b = builder.finish().unwrap();
            let old = b
                .column_by_name("seq_old")
                .unwrap()
                .as_primitive::<Int64Type>();
            (0..b.num_rows())
                .map(|i| old.is_valid(i).then(|| old.value(i)))
                .collect::<Vec<_>>()
        };
        let o = other.to_string();
        assert_eq!(
            batch(&[seq(1), o.clone(), o.clone(), seq(4), o.clone()]),
            [Some(1), None, None, Some(4), None]
        );
        assert_eq!(batch(&[o.clone(), seq(7)]), [None, Some(7)]);
        assert_eq!(batch(&[o.clone(), o.clone()]), [None, None]);
        assert_eq!(batch(&[]), Vec::<Option<i64>>::new());
    }

    #[test]
    fn batches_are_the_same_whether_buffers_were_released_between_them_or_not() {
        let lines = [
            r#"{"username":"a","event_type":"seq_goto","event":{"old":1,"new":2},"context":{"course_id":"A/B/C"}}"#,
            r#"{"username":"b","event_type":"/courses/x/","event":"{\"POST\": {}, \"GET\": {}}","time":"2017-01-02T03:04:05+00:00"}"#,
            r#"{"username":"c","event_type":"problem_check","event":"input_1=a&input_2=b","page":"x"}"#,
        ];
        let batches = |release: bool| {
            let mut reader = LineReader::default();
            let mut builder = BatchBuilder::default();
            let mut out = Vec::new();
            for n in [3, 1, 0, 2, 3] {
                if release {
                    builder.release_buffers();
                }
                for (i, l) in lines.iter().cycle().take(n).enumerate() {
                    reader
                        .read_line(l.as_bytes(), |rec| builder.append("s", None, i as u64, rec))
                        .unwrap();
                }
                out.push(builder.finish().unwrap());
            }
            out
        };
        let (kept, released) = (batches(false), batches(true));
        assert_eq!(
            kept.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            [3, 1, 0, 2, 3]
        );
        assert_eq!(kept, released);
    }
}
