//! Ingest counters shared by every source and shown at `/stats`: what was read, what was skipped
//! as malformed, what was rejected. Counts only; never content.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters, updated with relaxed atomics from any task.
#[derive(Debug, Default)]
pub(crate) struct IngestStats {
    /// Transcript lines that carried usage.
    pub transcript_usage_lines: AtomicU64,
    /// Transcript lines that were not valid JSON or failed validation, skipped.
    pub transcript_malformed_lines: AtomicU64,
    /// Transcript lines with usage that failed ccusage's validation (a `null` guarded key, a
    /// negative, fractional or string token count, a bad timestamp or id), skipped as ccusage
    /// skips them.
    pub transcript_rejected_lines: AtomicU64,
    /// Transcript files that could not be read.
    pub transcript_file_errors: AtomicU64,
    /// statusLine payloads accepted.
    pub statusline_payloads: AtomicU64,
    /// statusLine payloads rejected as malformed.
    pub statusline_rejected: AtomicU64,
    /// OTLP requests accepted.
    pub otlp_requests: AtomicU64,
    /// OTLP requests rejected (undecodable, too large).
    pub otlp_rejected: AtomicU64,
    /// Claude Code metric points the mirror of `/metrics` dropped (over its series cap, or with
    /// too many or too long labels).
    pub otlp_points_dropped: AtomicU64,
    /// Prometheus polls made (each is four instant queries).
    pub prometheus_polls: AtomicU64,
    /// Prometheus polls that failed (unreachable, timed out, rejected).
    pub prometheus_poll_errors: AtomicU64,
}

/// A plain copy of the counters, for JSON.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct IngestCounts {
    transcript_usage_lines: u64,
    transcript_malformed_lines: u64,
    transcript_rejected_lines: u64,
    transcript_file_errors: u64,
    statusline_payloads: u64,
    statusline_rejected: u64,
    otlp_requests: u64,
    otlp_rejected: u64,
    otlp_points_dropped: u64,
    prometheus_polls: u64,
    prometheus_poll_errors: u64,
}

impl IngestStats {
    /// Adds `n` to a counter.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The current counts.
    pub(crate) fn snapshot(&self) -> IngestCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IngestCounts {
            transcript_usage_lines: get(&self.transcript_usage_lines),
            transcript_malformed_lines: get(&self.transcript_malformed_lines),
            transcript_rejected_lines: get(&self.transcript_rejected_lines),
            transcript_file_errors: get(&self.transcript_file_errors),
            statusline_payloads: get(&self.statusline_payloads),
            statusline_rejected: get(&self.statusline_rejected),
            otlp_requests: get(&self.otlp_requests),
            otlp_rejected: get(&self.otlp_rejected),
            otlp_points_dropped: get(&self.otlp_points_dropped),
            prometheus_polls: get(&self.prometheus_polls),
            prometheus_poll_errors: get(&self.prometheus_poll_errors),
        }
    }
}
