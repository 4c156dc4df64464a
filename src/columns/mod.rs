//! Typed values → Arrow: THE column table, the schema derived from it, and the batch builder.

pub mod builder;
mod keys;
pub mod schema;
pub mod table;

pub use builder::BatchBuilder;
pub use table::needs_of;
