//! The store's write health: told to the engine (STALL, `/stats`) and the log only when it
//! changes.

use crate::readings::{EngineInput, EngineSender, SourceKind};

/// Whether the store's writes work, told to the engine (STALL, `/stats`) and the log only when
/// it changes.
#[derive(Default)]
pub(super) struct StoreHealth {
    is_failing: bool,
}

impl StoreHealth {
    pub(super) fn failed(&mut self, engine: &EngineSender, reason: &str) {
        if !self.is_failing {
            // The reason names the file and SQLite's complaint; never a request's contents.
            tracing::error!("ledger write failed, retrying until it succeeds: {reason}");
            self.is_failing = true;
            let report = format!("cannot write: {reason}; retrying");
            let _ = engine.blocking_send(EngineInput::Health(SourceKind::Store, Err(report)));
        }
    }

    pub(super) fn succeeded(&mut self, engine: &EngineSender) {
        if self.is_failing {
            tracing::info!("ledger writes succeed again; nothing was lost");
            self.is_failing = false;
            let _ = engine.blocking_send(EngineInput::Health(SourceKind::Store, Ok(())));
        }
    }
}
