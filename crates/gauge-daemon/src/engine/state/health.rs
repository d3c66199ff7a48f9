//! Source health: what each source last said of itself, when it counts as fresh, and the
//! statuses `/stats` shows. STALL is lit when no source the needles draw on is fresh.

use std::time::Duration;

use super::{EngineState, UsageBasis};
use crate::readings::SourceKind;

/// What a source last said of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceHealth {
    /// The last time it worked, unix ms.
    pub last_ok_ms: Option<i64>,
    /// The last error and when, if the newest report was an error.
    pub last_error: Option<(i64, String)>,
}

/// One source's status as `/stats` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceStatus {
    /// The source's name.
    pub source: &'static str,
    /// Whether it counts as fresh now (STALL is lit when none does).
    pub is_fresh: bool,
    /// Its last sign of life, unix ms.
    pub last_ok_ms: Option<i64>,
    /// Its last error, if its newest report was one (a reason, never user data).
    pub last_error: Option<String>,
}

/// How long a source counts as fresh after its last sign of life.
fn fresh_for(kind: SourceKind, official_stale_after: Duration) -> Duration {
    match kind {
        // The transcript watcher and the Prometheus poller report every few seconds.
        SourceKind::Transcripts | SourceKind::Prometheus => Duration::from_secs(30),
        // These speak only when Claude Code does.
        SourceKind::Statusline | SourceKind::Otlp => official_stale_after,
        SourceKind::Oauth => Duration::from_secs(600),
        // The store says so only when a write fails or succeeds again.
        SourceKind::Store => Duration::MAX,
    }
}

impl EngineState {
    /// Every configured source's status at `now_ms`, for `/stats`, in a stable order.
    pub fn source_statuses(&self, now_ms: i64) -> Vec<SourceStatus> {
        let mut statuses: Vec<SourceStatus> = self
            .health
            .iter()
            .map(|(kind, health)| SourceStatus {
                source: kind.as_str(),
                is_fresh: self.is_fresh(*kind, health, now_ms),
                last_ok_ms: health.last_ok_ms,
                last_error: health.last_error.as_ref().map(|(_, reason)| reason.clone()),
            })
            .collect();
        statuses.sort_by_key(|s| s.source);
        statuses
    }

    /// Whether any source the needles draw on is fresh, and what they read can be kept. With a
    /// Prometheus basis, local usage sources do not drive the needles, so their freshness cannot
    /// keep STALL out; a store that cannot write (a full disk) lights STALL whatever the sources
    /// say, until a write succeeds again.
    pub(super) fn any_source_fresh(&self, now_ms: i64) -> bool {
        let is_store_failing = self
            .health
            .get(&SourceKind::Store)
            .is_some_and(|store| store.last_error.is_some());
        let is_aggregate = matches!(self.basis(), UsageBasis::Aggregate(_));
        !is_store_failing
            && self
                .health
                .iter()
                .filter(|(kind, _)| {
                    !(is_aggregate && matches!(kind, SourceKind::Transcripts | SourceKind::Otlp))
                        && **kind != SourceKind::Store
                })
                .any(|(kind, health)| self.is_fresh(*kind, health, now_ms))
    }

    pub(super) fn fresh_ms(&self, kind: SourceKind) -> i64 {
        i64::try_from(fresh_for(kind, self.settings.official_stale_after).as_millis())
            .unwrap_or(i64::MAX)
    }

    /// Fresh: it worked within its freshness span, and its newest report is not an error (a
    /// source that says it is failing is not waited out).
    pub(super) fn is_fresh(&self, kind: SourceKind, health: &SourceHealth, now_ms: i64) -> bool {
        health.last_error.is_none()
            && health
                .last_ok_ms
                .is_some_and(|ok| now_ms.saturating_sub(ok) <= self.fresh_ms(kind))
    }
}
