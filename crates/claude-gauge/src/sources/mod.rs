//! Sources: where usage comes from. Each turns its input into [`crate::usage`] values and sends
//! them on, through the ledger, to the engine. Nothing flows back.

pub(crate) mod oauth;
pub(crate) mod prometheus;
pub(crate) mod statusline;
pub(crate) mod transcripts;
