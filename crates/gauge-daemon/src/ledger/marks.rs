//! Alert marks through the writer: the alerts record what they said before they say it, so a
//! restart neither repeats an alert nor forgets one it had already decided on.

use tokio::sync::oneshot;

use super::{LedgerClosed, LedgerHandle, LedgerInput, Receipt};

/// One alert mark: a key the alerts choose and a number (a threshold fired or not, the last
/// reset time seen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AlertMark {
    /// The alert's key, e.g. `fuel:5h:0.5`.
    pub key: String,
    /// Its value.
    pub value: i64,
    /// When it was set, unix ms.
    pub at_ms: i64,
}

impl LedgerHandle {
    /// Queues alert marks for the next transaction; the [`Receipt`] says when they are on disk.
    pub(crate) async fn record_alert_marks(
        &self,
        marks: Vec<AlertMark>,
    ) -> Result<Receipt, LedgerClosed> {
        let (reply, receipt) = oneshot::channel();
        let input = LedgerInput::Marks { marks, reply };
        self.queue.send(input).await.map_err(|_| LedgerClosed)?;
        Ok(Receipt(receipt))
    }
}
