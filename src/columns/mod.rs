//! Typed values → Arrow: THE column table, the schema derived from it, and the batch builder.

pub(crate) mod builder;
mod keys;
pub(crate) mod schema;
pub(crate) mod table;

pub use builder::BatchBuilder;
pub(crate) use table::needs_of;
