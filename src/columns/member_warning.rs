//! A warning added to every row of a finished batch: rows of a member whose data failed its
//! checks (see `input::archive::read_member_bytes`). Rebuilding one column of the rare damaged
//! batch keeps the per-row path untouched.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{Array, ListArray, RecordBatch, StringArray};

/// `batch` (of THE schema) with `warning` appended to each row's `warnings`.
pub fn with_warning(batch: RecordBatch, warning: &str) -> RecordBatch {
    let Some((index, _)) = batch.schema().column_with_name("warnings") else {
        return batch;
    };
    let old = batch
        .column(index)
        .as_any()
        .downcast_ref::<ListArray>()
        .expect("warnings is a list of strings");
    let mut list = ListBuilder::new(StringBuilder::new());
    for row in 0..old.len() {
        if old.is_valid(row) {
            let values = old.value(row);
            let values = values
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("warnings is a list of strings");
            for w in values.iter() {
                list.values().append_option(w);
            }
        }
        list.values().append_value(warning);
        list.append(true);
    }
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(list.finish());
    RecordBatch::try_new(batch.schema(), columns).expect("the same schema")
}
