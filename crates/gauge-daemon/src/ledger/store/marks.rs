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

#[cfg(test)]
mod tests {
    use crate::ledger::store::Store;
    use crate::ledger::AlertMark;

    #[test]
    fn staged_marks_commit_with_the_next_batch_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let mut store = Store::open(&path).unwrap();
        let mark = |key: &str, value| AlertMark {
            key: key.into(),
            value,
            at_ms: 1,
        };
        store.stage_marks(&[mark("fuel:5h:0.5", 1), mark("reset:5h", 18_000)]);
        assert!(
            store.alert_marks().unwrap().is_empty(),
            "staged, not written"
        );
        store.write_batch(&[], &[], &[], &[], |_| {}).unwrap();
        store.stage_marks(&[mark("fuel:5h:0.5", 0)]);
        store.write_batch(&[], &[], &[], &[], |_| {}).unwrap();
        // A batch after them writes no mark again.
        store.write_batch(&[], &[], &[], &[], |_| {}).unwrap();
        drop(store);
        let marks = Store::open(&path).unwrap().alert_marks().unwrap();
        assert_eq!(marks.get("fuel:5h:0.5"), Some(&0));
        assert_eq!(marks.get("reset:5h"), Some(&18_000));
    }
}
