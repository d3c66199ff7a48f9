//! The ledger: the one way usage reaches the engine. Sources hand it requests and official
//! samples; it deduplicates them across sources, keeps them durable, and forwards what changed
//! to the engine.
//!
//! Sources only ever see [`LedgerHandle`]; what stands behind it (the SQLite store and its writer
//! task) is this module's business.

use crate::engine::{EngineInput, EngineSender};
use crate::usage::{OfficialSample, UsageEvent};

/// The ledger has shut down; the daemon is stopping.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the ledger has shut down")]
pub(crate) struct LedgerClosed;

/// A cheap, cloneable handle that sources write through.
#[derive(Clone, Debug)]
pub(crate) struct LedgerHandle {
    engine: EngineSender,
}

impl LedgerHandle {
    /// A handle that forwards straight to the engine (no durable store).
    pub(crate) fn forwarding(engine: EngineSender) -> LedgerHandle {
        LedgerHandle { engine }
    }

    /// Records requests. A request already on record under the same dedup key is replaced only
    /// when the new one carries more tokens (ccusage's rule), so one request counts once whichever
    /// source reports it.
    pub(crate) async fn record_usage(&self, events: Vec<UsageEvent>) -> Result<(), LedgerClosed> {
        if events.is_empty() {
            return Ok(());
        }
        self.engine
            .send(EngineInput::Usage(events))
            .await
            .map_err(|_| LedgerClosed)
    }

    /// Records one official sample.
    pub(crate) async fn record_official(&self, sample: OfficialSample) -> Result<(), LedgerClosed> {
        self.engine
            .send(EngineInput::Official(sample))
            .await
            .map_err(|_| LedgerClosed)
    }

    /// Passes a non-durable input (health, model, limit) straight to the engine.
    pub(crate) async fn notify(&self, input: EngineInput) -> Result<(), LedgerClosed> {
        self.engine.send(input).await.map_err(|_| LedgerClosed)
    }
}
