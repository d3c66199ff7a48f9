//! Sources: where usage comes from. Each reads one input (transcripts, the statusLine feed,
//! OTLP, the OAuth endpoint, a Prometheus) and hands what it read to an [`Out`]; nothing flows
//! back.
//!
//! Every source has one shape: its settings (owned by its module, composed by `config`) make a
//! runtime value with `new` or `bind` (which may fail: a busy port, a bad TLS setup), and
//! [`Source::run`] runs it until the shutdown token fires, writing only to its [`Out`].
//! `sources/conformance.rs` holds every source to that contract.
//!
//! Must never: use the engine or the config (values come in ready), or acknowledge input to
//! its sender before [`Out`] says it is stored.

mod out;

pub(crate) mod oauth;
pub(crate) mod otlp;
pub(crate) mod prometheus;
pub(crate) mod statusline;
pub(crate) mod transcripts;

#[cfg(test)]
mod conformance;

use std::future::Future;

use tokio_util::sync::CancellationToken;

pub(crate) use out::Out;
pub use out::ScanProgress;

use crate::readings::SourceKind;

/// A configured source, ready to run.
pub(crate) trait Source: Send + 'static {
    /// Which source this is, for health and logs.
    fn kind(&self) -> SourceKind;

    /// Reads until `shutdown` fires (or `out` closes), then returns promptly: within a second,
    /// whatever it was waiting for.
    fn run(self, out: Out, shutdown: CancellationToken) -> impl Future<Output = ()> + Send;
}
