//! [`Out`]: the one way a source hands on what it read. Requests and official samples go to the
//! ledger (durable, deduplicated); everything else (health, the current model, aggregates,
//! metered tach tokens, a reached limit) goes straight to the engine.

use std::sync::Arc;

use tokio::sync::watch;

use crate::ledger::{FileProgress, LedgerClosed, LedgerHandle, Receipt, WriteError};
use crate::readings::{
    EngineInput, EngineSender, ExtraUsage, OfficialSample, PrometheusReading, ScopedSample,
    SourceKind, UsageEvent,
};
use crate::stats::IngestStats;

/// How far a long read (the transcripts' first catch-up) has come, for a progress bar that the
/// command line draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanProgress {
    /// Bytes read so far.
    pub bytes_done: u64,
    /// Bytes to read in all; 0 when no read is under way.
    pub bytes_total: u64,
}

/// Where a source's output goes. Cheap to clone; every clone writes to the same ledger and
/// engine.
#[derive(Clone, Debug)]
pub(crate) struct Out {
    ledger: LedgerHandle,
    engine: EngineSender,
    stats: Arc<IngestStats>,
    progress: Arc<watch::Sender<ScanProgress>>,
}

impl Out {
    /// An output into `ledger` and `engine`, counting into `stats`.
    pub(crate) fn new(
        ledger: LedgerHandle,
        engine: EngineSender,
        stats: Arc<IngestStats>,
        progress: watch::Sender<ScanProgress>,
    ) -> Out {
        Out {
            ledger,
            engine,
            stats,
            progress: Arc::new(progress),
        }
    }

    /// The ingest counters a source adds to.
    pub(crate) fn stats(&self) -> &Arc<IngestStats> {
        &self.stats
    }

    /// Records requests and returns once they are committed: what a source acknowledges to its
    /// sender after this is on disk. `hosts[i]` is the machine (`host.name`) `events[i]` came
    /// from; a missing entry or `None` is this machine.
    pub(crate) async fn usage_from(
        &self,
        events: Vec<UsageEvent>,
        hosts: Vec<Option<String>>,
    ) -> Result<(), WriteError> {
        if events.is_empty() {
            return Ok(());
        }
        let receipt = self
            .ledger
            .record_usage_from(events, hosts, Vec::new())
            .await?;
        receipt.committed().await
    }

    /// Records requests read from files with how far those files were read, in one transaction,
    /// from a source on its own thread. The receipt tells when (and whether) both are stored;
    /// the stored offsets are the proof a restart resumes from.
    pub(crate) fn blocking_file_usage(
        &self,
        events: Vec<UsageEvent>,
        progress: Vec<FileProgress>,
    ) -> Result<Receipt, LedgerClosed> {
        self.ledger.blocking_record_usage(events, progress)
    }

    /// Records the official samples of one reading (one per window) and returns once they are
    /// committed. They reach the engine together, so no frame shows half a reading.
    pub(crate) async fn official(&self, samples: Vec<OfficialSample>) -> Result<(), WriteError> {
        if samples.is_empty() {
            return Ok(());
        }
        let receipt = self.ledger.record_official(samples).await?;
        receipt.committed().await
    }

    /// Claude's readings of windows beyond the two the gauges show; straight to the engine (not
    /// stored: the next reading brings them again).
    pub(crate) async fn scoped(&self, samples: Vec<ScopedSample>) -> Result<(), LedgerClosed> {
        if samples.is_empty() {
            return Ok(());
        }
        self.tell(EngineInput::Scoped(samples)).await
    }

    /// Claude's report of extra usage; straight to the engine.
    pub(crate) async fn extra_usage(&self, extra: ExtraUsage) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Extra(extra)).await
    }

    /// The source is configured, so STALL counts it from now on.
    pub(crate) async fn configured(&self, kind: SourceKind) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Configured(kind)).await
    }

    /// The source works (`Ok`) or fails (`Err`, a short reason that holds no user data).
    pub(crate) async fn health(
        &self,
        kind: SourceKind,
        health: Result<(), String>,
    ) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Health(kind, health)).await
    }

    /// The model Claude Code reports in use right now.
    pub(crate) async fn model(&self, model_id: String) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Model(model_id)).await
    }

    /// Claude reports the usage limit reached until `until_secs` (unix seconds).
    pub(crate) async fn limit_reached(&self, until_secs: i64) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::LimitReached { until_secs }).await
    }

    /// A Prometheus reading: aggregates, not requests, so it is not stored.
    pub(crate) async fn aggregate(&self, reading: PrometheusReading) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Aggregate(reading)).await
    }

    /// Tach tokens known only in aggregate, used at `at_ms`: they move the tach, never the
    /// ledger.
    pub(crate) async fn metered(&self, at_ms: i64, tach_tokens: u64) -> Result<(), LedgerClosed> {
        self.tell(EngineInput::Metered { at_ms, tach_tokens }).await
    }

    /// [`Out::configured`] from a source's own thread.
    pub(crate) fn blocking_configured(&self, kind: SourceKind) -> Result<(), LedgerClosed> {
        self.blocking_tell(EngineInput::Configured(kind))
    }

    /// [`Out::health`] from a source's own thread.
    pub(crate) fn blocking_health(
        &self,
        kind: SourceKind,
        health: Result<(), String>,
    ) -> Result<(), LedgerClosed> {
        self.blocking_tell(EngineInput::Health(kind, health))
    }

    /// [`Out::limit_reached`] from a source's own thread.
    pub(crate) fn blocking_limit_reached(&self, until_secs: i64) -> Result<(), LedgerClosed> {
        self.blocking_tell(EngineInput::LimitReached { until_secs })
    }

    /// Reports how far a long read has come (see [`ScanProgress`]).
    pub(crate) fn scan_progress(&self, progress: ScanProgress) {
        self.progress.send_replace(progress);
    }

    async fn tell(&self, input: EngineInput) -> Result<(), LedgerClosed> {
        self.engine.send(input).await.map_err(|_| LedgerClosed)
    }

    fn blocking_tell(&self, input: EngineInput) -> Result<(), LedgerClosed> {
        self.engine.blocking_send(input).map_err(|_| LedgerClosed)
    }
}
