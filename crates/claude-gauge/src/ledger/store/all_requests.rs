//! Every stored request, read through a read-only connection: the reports' history of
//! requests whose transcripts are gone (`docs/history.md`).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{error::is_corruption, rows::row_to_event, StoreError};
use crate::readings::UsageEvent;

/// How long a read waits for a running daemon's write to finish.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The first schema version with message fingerprints (`schema.rs`, v2).
const MIN_VERSION: i64 = 2;

/// Every request in the store at `path`, oldest first (ties by key). Opens the file read-only:
/// a daemon may be writing it (WAL; a write in progress is waited for), and a report never
/// changes it.
pub(crate) fn read_requests(path: &Path) -> Result<Vec<UsageEvent>, StoreError> {
    let display = path.display().to_string();
    let wrap = |source: rusqlite::Error| {
        if is_corruption(&source) {
            StoreError::Corrupt {
                path: display.clone(),
                reason: source.to_string(),
            }
        } else {
            StoreError::Sqlite {
                path: display.clone(),
                source,
            }
        }
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(wrap)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(wrap)?;
    if version < MIN_VERSION {
        // A store from before message fingerprints (or an empty file): nothing to match on.
        return Ok(Vec::new());
    }
    let mut select = conn
        .prepare(
            "SELECT dedup_key, at_ms, origin, model, input_tokens, output_tokens,
                    cache_creation_tokens, cache_read_tokens, cost_usd, is_sidechain, has_speed,
                    message_id
             FROM entries ORDER BY at_ms, dedup_key",
        )
        .map_err(wrap)?;
    let rows = select.query_map([], row_to_event).map_err(wrap)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(wrap)
}
