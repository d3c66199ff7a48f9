//! The durable store: one SQLite file in the data directory.
//!
//! Tables (schema version in `PRAGMA user_version`, upgraded by [`MIGRATIONS`] in order):
//! - `entries`: one row per request, keyed by its dedup key, with the fields of a
//!   [`UsageEvent`] and the rank that decides which copy wins;
//! - `files`: per transcript file, its identity and how far it was read, written in the same
//!   transaction as the entries read from it, so a crash neither loses nor double-counts;
//! - `official_samples`: Claude's own percentages as they arrived;
//! - `alert_marks`: what the alerts already said (`marks.rs`).
//!
//! The history page's reads (`history.rs`) run on the reader connection.
//!
//! Each request row names the machine it came from (`host`, the OTLP `host.name`; NULL for this
//! machine), so a hub can say whose usage it holds (`machines.rs`).
//!
//! WAL mode with `synchronous = NORMAL`: a killed process loses at most the batch that was not
//! committed yet, which its source re-reads from the stored offset on restart.

mod all_requests;
mod error;
mod history;
mod machines;
mod marks;
mod rows;
mod schema;

use std::collections::HashMap;
use std::path::Path;

pub use all_requests::{read_requests, read_requests_by_machine};
use error::is_corruption;
pub(crate) use error::StoreError;
pub(crate) use history::{DayCost, HourTokens, OfficialPoint};
pub use machines::MachineUsage;
use rows::{insert_samples, row_to_event, upsert_entries, upsert_learned, upsert_progress};
use rusqlite::{Connection, OptionalExtension};
use schema::MIGRATIONS;

use crate::readings::{
    LearnedRate, ModelUsage, OfficialOrigin, OfficialSample, TokenCounts, UsageEvent, Window,
};

/// How far one transcript file has been read, and which file it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileProgress {
    /// The file's path.
    pub path: String,
    /// Device id (0 where the platform has none).
    pub device: u64,
    /// Inode (0 where the platform has none).
    pub inode: u64,
    /// Size when last read.
    pub size: u64,
    /// Modification time when last read, ns.
    pub mtime_ns: i64,
    /// Bytes consumed: everything before this offset has been parsed and stored.
    pub offset: u64,
    /// A fingerprint of the bytes before `offset` (see the transcript source's tracker); 0 for
    /// none.
    pub fingerprint: u64,
}

/// Sums over every stored request.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub(crate) struct StoredTotals {
    /// Requests on record.
    pub requests: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache-creation tokens.
    pub cache_creation_tokens: u64,
    /// Cache-read tokens.
    pub cache_read_tokens: u64,
    /// Cost, USD.
    pub cost_usd: f64,
}

/// The open store.
pub(crate) struct Store {
    conn: Connection,
    path: String,
    /// Alert marks for the next transaction ([`Store::stage_marks`]).
    staged_marks: Vec<crate::ledger::AlertMark>,
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `path`.
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        let mut store = Store::connect(path)?;
        store.migrate().map_err(|err| store.corrupt_or(err))?;
        // A damaged file is found now, not after the daemon said it serves.
        let check: String = store
            .conn
            .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
            .map_err(|e| store.corrupt_or(store.err(e)))?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: store.path.clone(),
                reason: check,
            });
        }
        Ok(store)
    }

    /// A second connection to an open store, for reads; no migration, no check.
    pub(crate) fn open_reader(path: &Path) -> Result<Store, StoreError> {
        Store::connect(path)
    }

    fn connect(path: &Path) -> Result<Store, StoreError> {
        let display = path.display().to_string();
        let wrap = |source| StoreError::from_sqlite(&display, source);
        let conn = Connection::open(path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(wrap)?;
        Ok(Store {
            conn,
            path: display,
            staged_marks: Vec::new(),
        })
    }

    /// `err`, or [`StoreError::Corrupt`] when SQLite's error says the file is damaged.
    fn corrupt_or(&self, err: StoreError) -> StoreError {
        match err {
            StoreError::Sqlite { path, source } if is_corruption(&source) => StoreError::Corrupt {
                path,
                reason: source.to_string(),
            },
            other => other,
        }
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.err(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            tx.execute_batch(sql).map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            tx.pragma_update(None, "user_version", index as i64 + 1)
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
            tx.commit().map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        }
        Ok(())
    }

    /// The schema version now in force.
    #[cfg(test)]
    pub(crate) fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.err(e))
    }

    /// [`Store::write_batch_from`] with every request from this machine.
    #[cfg(test)]
    pub(crate) fn write_batch(
        &mut self,
        events: &[UsageEvent],
        progress: &[FileProgress],
        samples: &[OfficialSample],
        learned: &[LearnedRate],
        before_commit: impl FnOnce(&[UsageEvent]),
    ) -> Result<Vec<UsageEvent>, StoreError> {
        self.write_batch_from(events, &[], progress, samples, learned, before_commit)
    }

    /// Writes one batch in one transaction: requests (a copy replaces the stored one only when its
    /// rank is higher), file progress and official samples. Returns the requests that were new or
    /// replaced an earlier copy. `hosts[i]` names the machine `events[i]` came from (missing
    /// entries: this machine).
    ///
    /// `before_commit` gets the changed requests once they are decided and before the commit, so
    /// the gauge does not wait for the disk: should the commit then fail (or the process die),
    /// the file offsets are not stored either and the next start reads those lines again.
    pub(crate) fn write_batch_from(
        &mut self,
        events: &[UsageEvent],
        hosts: &[Option<String>],
        progress: &[FileProgress],
        samples: &[OfficialSample],
        learned: &[LearnedRate],
        before_commit: impl FnOnce(&[UsageEvent]),
    ) -> Result<Vec<UsageEvent>, StoreError> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let changed = upsert_entries(&tx, events, hosts).map_err(wrap)?;
        upsert_progress(&tx, progress).map_err(wrap)?;
        insert_samples(&tx, samples).map_err(wrap)?;
        upsert_learned(&tx, learned).map_err(wrap)?;
        marks::upsert_marks(&tx, &self.staged_marks).map_err(wrap)?;
        before_commit(&changed);
        tx.commit().map_err(wrap)?;
        self.staged_marks.clear();
        Ok(changed)
    }

    /// Every stored request at or after `since_ms`, oldest first.
    pub(crate) fn entries_since(&self, since_ms: i64) -> Result<Vec<UsageEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT dedup_key, at_ms, origin, model, input_tokens, output_tokens,
                        cache_creation_tokens, cache_read_tokens, cost_usd,
                        is_sidechain, has_speed, message_id
                 FROM entries WHERE at_ms >= ?1 ORDER BY at_ms",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since_ms], row_to_event)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The progress of every transcript file read so far.
    pub(crate) fn file_progress(&self) -> Result<HashMap<String, FileProgress>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT path, device, inode, size, mtime_ns, offset, fingerprint FROM files",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(FileProgress {
                    path: row.get(0)?,
                    device: row.get::<_, i64>(1)? as u64,
                    inode: row.get::<_, i64>(2)? as u64,
                    size: row.get::<_, i64>(3)? as u64,
                    mtime_ns: row.get(4)?,
                    offset: row.get::<_, i64>(5)? as u64,
                    fingerprint: row.get::<_, i64>(6)? as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut map = HashMap::new();
        for row in rows {
            let progress = row.map_err(|e| self.err(e))?;
            map.insert(progress.path.clone(), progress);
        }
        Ok(map)
    }

    /// Runs `reads` in one read transaction, so they all see the same committed state.
    pub(crate) fn read_together<T>(
        &self,
        reads: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        let result = reads(self);
        let _ = self.conn.execute_batch("COMMIT");
        result
    }

    /// What was learned of each window's limit.
    pub(crate) fn learned_rates(&self) -> Result<Vec<LearnedRate>, StoreError> {
        let mut out = Vec::new();
        for window in [Window::FiveHour, Window::SevenDay] {
            let rate = self
                .conn
                .query_row(
                    "SELECT tokens_per_pct, learned_at_ms, from_used_pct, from_tokens,
                            window_resets_at_secs
                     FROM learned_rates WHERE window = ?1",
                    [window.as_str()],
                    |row| {
                        Ok(LearnedRate {
                            window,
                            tokens_per_pct: row.get(0)?,
                            learned_at_ms: row.get(1)?,
                            from_used_pct: row.get(2)?,
                            from_tokens: row.get::<_, i64>(3)? as u64,
                            window_resets_at_secs: row.get(4)?,
                        })
                    },
                )
                .optional()
                .map_err(|e| self.err(e))?;
            out.extend(rate);
        }
        Ok(out)
    }

    /// The newest official sample of each window.
    pub(crate) fn latest_official(&self) -> Result<Vec<OfficialSample>, StoreError> {
        let mut out = Vec::new();
        for window in [Window::FiveHour, Window::SevenDay] {
            let sample = self
                .conn
                .query_row(
                    "SELECT at_ms, used_pct, resets_at_secs, origin FROM official_samples
                     WHERE window = ?1 ORDER BY at_ms DESC LIMIT 1",
                    [window.as_str()],
                    |row| {
                        let origin: String = row.get(3)?;
                        Ok(OfficialSample {
                            at_ms: row.get(0)?,
                            window,
                            used_pct: row.get(1)?,
                            resets_at_secs: row.get(2)?,
                            origin: OfficialOrigin::from_name(&origin)
                                .unwrap_or(OfficialOrigin::Statusline),
                        })
                    },
                )
                .optional()
                .map_err(|e| self.err(e))?;
            out.extend(sample);
        }
        Ok(out)
    }

    /// Every model's stored totals, by model id.
    pub(crate) fn totals_by_model(&self) -> Result<Vec<ModelUsage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT model, SUM(input_tokens), SUM(output_tokens),
                        SUM(cache_creation_tokens), SUM(cache_read_tokens),
                        SUM(CASE WHEN cost_usd > 0 THEN CAST(ROUND(cost_usd * 1e9) AS INTEGER)
                                 ELSE 0 END)
                 FROM entries GROUP BY model ORDER BY model",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(ModelUsage {
                    model: row.get(0)?,
                    tokens: TokenCounts {
                        input: row.get::<_, i64>(1)? as u64,
                        output: row.get::<_, i64>(2)? as u64,
                        cache_creation: row.get::<_, i64>(3)? as u64,
                        cache_read: row.get::<_, i64>(4)? as u64,
                    },
                    cost_nano_usd: row.get::<_, i64>(5)? as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Sums over every stored request.
    pub(crate) fn totals(&self) -> Result<StoredTotals, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(input_tokens),0), COALESCE(SUM(output_tokens),0),
                        COALESCE(SUM(cache_creation_tokens),0), COALESCE(SUM(cache_read_tokens),0),
                        COALESCE(SUM(cost_usd),0.0)
                 FROM entries",
                [],
                |row| {
                    Ok(StoredTotals {
                        requests: row.get::<_, i64>(0)? as u64,
                        input_tokens: row.get::<_, i64>(1)? as u64,
                        output_tokens: row.get::<_, i64>(2)? as u64,
                        cache_creation_tokens: row.get::<_, i64>(3)? as u64,
                        cache_read_tokens: row.get::<_, i64>(4)? as u64,
                        cost_usd: row.get(5)?,
                    })
                },
            )
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests;
