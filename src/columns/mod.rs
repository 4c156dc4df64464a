//! Typed values → Arrow: THE schema and the batch builder.

pub mod builder;
pub mod member_warning;
pub mod schema;

pub use builder::BatchBuilder;
pub use schema::{schema, COLUMNS};
