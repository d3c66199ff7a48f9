//! The ledger's side of a hub (one daemon receiving many machines' telemetry): requests recorded
//! with the machine they came from, and usage read back by machine.

use std::sync::{Arc, PoisonError};

use tokio::sync::oneshot;

use super::{FileProgress, LedgerClosed, LedgerHandle, LedgerInput, MachineUsage, Receipt};
use crate::readings::UsageEvent;

impl LedgerHandle {
    /// Queues requests and how far their files were read, for one transaction. A request already
    /// on record under the same dedup key is replaced only when the new copy wins
    /// ([`UsageEvent::beats`]), so one request counts once whichever source reports it.
    /// `hosts[i]` is the machine (`host.name`) `events[i]` came from; missing entries are this
    /// machine.
    pub(crate) async fn record_usage_from(
        &self,
        events: Vec<UsageEvent>,
        hosts: Vec<Option<String>>,
        progress: Vec<FileProgress>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Usage {
            events,
            hosts,
            progress,
            reply,
        };
        self.queue.send(input).await.map_err(|_| LedgerClosed)?;
        Ok(Receipt(receipt))
    }

    /// The usage of every machine since `since_ms` (unix ms), most tokens first: a hub's
    /// breakdown (`/stats` `machines`; reports and pages may use it too). Requests that named no
    /// machine (this machine's transcripts) count under `this_machine`.
    pub(crate) async fn usage_by_machine(
        &self,
        since_ms: i64,
        this_machine: String,
    ) -> Result<Vec<MachineUsage>, String> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            // A poisoned lock only means a reader panicked; the connection is still usable.
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            store
                .usage_by_machine(since_ms, &this_machine)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
