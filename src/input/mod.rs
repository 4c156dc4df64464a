//! Where bytes come from: sources → members → line chunks.

pub mod archive;
pub mod decompress;
pub mod gz;
pub mod lines;
pub mod source;
pub mod untar;
