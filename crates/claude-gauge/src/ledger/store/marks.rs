//! Rows in and out of the `alert_marks` table: what the alerts already said, keyed by a name
//! the alerts choose (`fuel:5h:0.5`, `reset:7d`, `limit`), so a restart does not say it again.

use std::collections::HashMap;

use rusqlite::{params, Transaction};

use super::{Store, StoreError};
use crate::ledger::AlertMark;

impl Store {
    /// Every alert mark on record, by key.
    pub(crate) fn alert_marks(&self) -> Result<HashMap<String, i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM alert_marks")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Marks to write in the next transaction (with the next batch): a mark is upserted, so a
    /// retried transaction writes it again harmlessly.
    pub(crate) fn stage_marks(&mut self, marks: &[AlertMark]) {
        self.staged_marks.clear();
        self.staged_marks.extend_from_slice(marks);
    }
}

pub(super) fn upsert_marks(tx: &Transaction<'_>, marks: &[AlertMark]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO alert_marks (key, value, at_ms) VALUES (?1, ?2, ?3)",
    )?;
    for mark in marks {
        stmt.execute(params![mark.key, mark.value, mark.at_ms])?;
    }
    Ok(())
}
