//! THE schema in Arrow terms, derived from the column table (`table.rs`): `edxlog.SCHEMA`,
//! docs/schema.md and the builders read it.

use std::sync::{Arc, OnceLock};

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use super::table::ColumnType;
pub(crate) use super::table::{column_index, COLUMNS};

/// Field-metadata key holding the column's one-line documentation.
pub(crate) const DOC_KEY: &str = "doc";

fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The fields of one `correct_map` entry.
pub(crate) fn correct_map_fields() -> Fields {
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
pub(crate) fn answers_entries_field() -> Arc<Field> {
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

/// The Arrow type of a column type.
pub(crate) fn arrow_type(t: ColumnType) -> DataType {
    match t {
        ColumnType::Utf8 => DataType::Utf8,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ColumnType::EventId => DataType::FixedSizeBinary(16),
        ColumnType::StringList => string_list(),
        ColumnType::CorrectMap => correct_map_type(),
        ColumnType::Answers => answers_type(),
    }
}

/// The Arrow schema, built once from `COLUMNS`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let fields: Vec<Field> = COLUMNS
                .iter()
                .map(|c| {
                    Field::new(c.name, arrow_type(c.ty), c.nullable)
                        .with_metadata([(DOC_KEY.to_string(), c.doc.to_string())].into())
                })
                .collect();
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// docs/schema.md, generated from `COLUMNS` (a test keeps the committed file in step).
pub fn schema_markdown() -> String {
    let mut out = String::from(
        "# Schema\n\nGenerated from the column table in `src/columns/table.rs` (`python -m edxlog.schema_doc > docs/schema.md`); \
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
    fn markdown_lists_every_column() {
        let md = schema_markdown();
        for c in COLUMNS {
            assert!(md.contains(&format!("| {} |", c.name)));
        }
        assert!(md.contains("map<string, list<string>>"));
    }
}
