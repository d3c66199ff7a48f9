//! The history page's data, read on the handle's reader connection (never the writer's), on a
//! blocking thread so the async tasks are not held up by SQLite.

use std::sync::{Arc, PoisonError};

pub(crate) use super::store::{DayCost, HourTokens, OfficialPoint};
use super::LedgerHandle;

/// Everything `GET /history.json` shows, as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StoredHistory {
    /// Official readings since the span's start, one per window and bucket, oldest first.
    pub official: Vec<OfficialPoint>,
    /// Tokens per hour and model since the span's start.
    pub tokens_per_hour: Vec<HourTokens>,
    /// Cost per local day and model over everything stored.
    pub cost_per_day: Vec<DayCost>,
}

impl LedgerHandle {
    /// The history since `since_ms`, official readings thinned to one per `bucket_ms`. One read
    /// transaction, so the three parts agree.
    pub(crate) async fn history(
        &self,
        since_ms: i64,
        bucket_ms: i64,
    ) -> Result<StoredHistory, String> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            // A poisoned lock only means a reader panicked; the connection is still usable.
            let store = reader.lock().unwrap_or_else(PoisonError::into_inner);
            store
                .read_together(|store| {
                    Ok(StoredHistory {
                        official: store.official_points(since_ms, bucket_ms)?,
                        tokens_per_hour: store.tokens_per_hour(since_ms)?,
                        cost_per_day: store.cost_per_day()?,
                    })
                })
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
