//! Every stored request, read through a read-only connection: the reports' history of
//! requests whose transcripts are gone (`docs/history.md`).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{rows::row_to_event, StoreError};
use crate::readings::UsageEvent;

/// How long a read waits for a running daemon's write to finish.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The first schema version with message fingerprints (`schema.rs`, v2).
const MIN_VERSION: i64 = 2;
/// The first schema version with each request's machine (`schema.rs`, v5).
const HOST_VERSION: i64 = 5;

/// Every request in the store at `path`, oldest first (ties by key). Opens the file read-only:
/// a daemon may be writing it (WAL; a write in progress is waited for), and a report never
/// changes it.
pub fn read_requests(path: &Path) -> Result<Vec<UsageEvent>, StoreError> {
    let rows = read_rows(path, None)?;
    Ok(rows.into_iter().map(|(event, _)| event).collect())
}

/// [`read_requests`], each with the machine it came from (`host.name` of its OTLP export;
/// `this_machine` for the requests that named none: this machine's transcripts).
pub fn read_requests_by_machine(
    path: &Path,
    this_machine: &str,
) -> Result<Vec<(UsageEvent, String)>, StoreError> {
    read_rows(path, Some(this_machine))
}

/// The rows, with their machine when `this_machine` is given (else an empty name).
fn read_rows(
    path: &Path,
    this_machine: Option<&str>,
) -> Result<Vec<(UsageEvent, String)>, StoreError> {
    let display = path.display().to_string();
    let wrap = |source| StoreError::from_sqlite(&display, source);
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
        .prepare(&format!(
            "SELECT dedup_key, at_ms, origin, model, input_tokens, output_tokens,
                    cache_creation_tokens, cache_read_tokens, cost_usd, is_sidechain, has_speed,
                    message_id, {host}
             FROM entries ORDER BY at_ms, dedup_key",
            host = match this_machine {
                None => "''",
                Some(_) if version >= HOST_VERSION => "COALESCE(host, ?1)",
                // Before v5 every request was this machine's.
                Some(_) => "?1",
            }
        ))
        .map_err(wrap)?;
    let params: &[&dyn rusqlite::ToSql] = match &this_machine {
        Some(name) => &[name],
        None => &[],
    };
    let rows = select
        .query_map(params, |row| Ok((row_to_event(row)?, row.get(12)?)))
        .map_err(wrap)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(wrap)
}
