//! Where bytes come from: sources → members → line chunks.

pub(crate) mod archive;
pub(crate) mod decompress;
pub(crate) mod gz;
pub(crate) mod lines;
pub(crate) mod source;
pub(crate) mod untar;
