//! The durable store: one SQLite file in the data directory.
//!
//! Tables (schema version in `PRAGMA user_version`, upgraded by [`MIGRATIONS`] in order):
//! - `entries`: one row per request, keyed by its dedup key, with the fields of a
//!   [`UsageEvent`] and the rank that decides which copy wins;
//! - `files`: per transcript file, its identity and how far it was read, written in the same
//!   transaction as the entries read from it, so a crash neither loses nor double-counts;
//! - `official_samples`: Claude's own percentages as they arrived.
//!
//! WAL mode with `synchronous = NORMAL`: a killed process loses at most the batch that was not
//! committed yet, which its source re-reads from the stored offset on restart.

mod schema;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use schema::MIGRATIONS;

use crate::readings::{
    ModelUsage, OfficialOrigin, OfficialSample, Origin, TokenCounts, UsageEvent, Window,
};

/// A store failure (I/O, corruption, a newer schema).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// SQLite said no.
    #[error("store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file was written by a newer claude-gauge.
    #[error("store {path} has schema version {found}, newer than this claude-gauge knows ({known}); upgrade claude-gauge or use another --data-dir")]
    TooNew {
        /// The database file.
        path: String,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// The file is damaged (`PRAGMA quick_check` failed, or SQLite says it is corrupt or not a
    /// database).
    #[error("store {path} is damaged: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What SQLite found.
        reason: String,
    },
    /// The writer thread could not be started.
    #[error("cannot start the ledger writer: {0}")]
    Thread(std::io::Error),
}

/// Whether SQLite's error says the file is damaged.
fn is_corruption(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// How far one transcript file has been read, and which file it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileProgress {
    /// The file's path.
    pub(crate) path: String,
    /// Device id (0 where the platform has none).
    pub(crate) device: u64,
    /// Inode (0 where the platform has none).
    pub(crate) inode: u64,
    /// Size when last read.
    pub(crate) size: u64,
    /// Modification time when last read, ns.
    pub(crate) mtime_ns: i64,
    /// Bytes consumed: everything before this offset has been parsed and stored.
    pub(crate) offset: u64,
    /// A fingerprint of the bytes before `offset` (see the transcript source's tracker); 0 for
    /// none.
    pub(crate) fingerprint: u64,
}

/// Sums over every stored request.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub(crate) struct StoredTotals {
    /// Requests on record.
    pub(crate) requests: u64,
    /// Input tokens.
    pub(crate) input_tokens: u64,
    /// Output tokens.
    pub(crate) output_tokens: u64,
    /// Cache-creation tokens.
    pub(crate) cache_creation_tokens: u64,
    /// Cache-read tokens.
    pub(crate) cache_read_tokens: u64,
    /// Cost, USD.
    pub(crate) cost_usd: f64,
}

/// The open store.
pub(crate) struct Store {
    conn: Connection,
    path: String,
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

    /// Writes one batch in one transaction: requests (a copy replaces the stored one only when its
    /// rank is higher), file progress and official samples. Returns the requests that were new or
    /// replaced an earlier copy.
    ///
    /// `before_commit` gets the changed requests once they are decided and before the commit, so
    /// the gauge does not wait for the disk: should the commit then fail (or the process die),
    /// the file offsets are not stored either and the next start reads those lines again.
    pub(crate) fn write_batch(
        &mut self,
        events: &[UsageEvent],
        progress: &[FileProgress],
        samples: &[OfficialSample],
        before_commit: impl FnOnce(&[UsageEvent]),
    ) -> Result<Vec<UsageEvent>, StoreError> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(wrap)?;
        let changed = upsert_entries(&tx, events).map_err(wrap)?;
        upsert_progress(&tx, progress).map_err(wrap)?;
        insert_samples(&tx, samples).map_err(wrap)?;
        before_commit(&changed);
        tx.commit().map_err(wrap)?;
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

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<UsageEvent> {
    let origin: String = row.get(2)?;
    let tokens = TokenCounts {
        input: row.get::<_, i64>(4)? as u64,
        output: row.get::<_, i64>(5)? as u64,
        cache_creation: row.get::<_, i64>(6)? as u64,
        cache_read: row.get::<_, i64>(7)? as u64,
    };
    Ok(UsageEvent {
        dedup_key: row.get(0)?,
        at_ms: row.get(1)?,
        origin: if origin == "otlp" {
            Origin::Otlp
        } else {
            Origin::Transcript
        },
        model: row.get(3)?,
        tokens,
        cost_usd: row.get(8)?,
        is_sidechain: row.get::<_, i64>(9)? != 0,
        has_speed: row.get::<_, i64>(10)? != 0,
        message_id: row.get(11)?,
    })
}

fn upsert_entries(
    tx: &Transaction<'_>,
    events: &[UsageEvent],
) -> rusqlite::Result<Vec<UsageEvent>> {
    let mut select = tx.prepare_cached(
        "SELECT dedup_key, at_ms, origin, model, input_tokens, output_tokens,
                cache_creation_tokens, cache_read_tokens, cost_usd, is_sidechain, has_speed,
                message_id
         FROM entries WHERE dedup_key = ?1",
    )?;
    let mut upsert = tx.prepare_cached(
        "INSERT OR REPLACE INTO entries (dedup_key, at_ms, origin, model, input_tokens,
            output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd,
            is_sidechain, has_speed, message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut changed = Vec::new();
    for event in events {
        let mut existing = select
            .query_row([&event.dedup_key], row_to_event)
            .optional()?;
        // A second message under the same request id is a response of its own (ccusage keys
        // on message id + request id): it gets a key of its own, `<key>#<message id>`.
        let mut event = std::borrow::Cow::Borrowed(event);
        if let (Some(old), Some(message_id)) = (&existing, &event.message_id) {
            if old.message_id.as_ref().is_some_and(|m| m != message_id) {
                let mut own = event.clone().into_owned();
                own.dedup_key = format!("{}#{message_id}", own.dedup_key);
                existing = select
                    .query_row([&own.dedup_key], row_to_event)
                    .optional()?;
                event = std::borrow::Cow::Owned(own);
            }
        }
        if existing.as_ref().is_some_and(|old| !event.beats(old)) {
            continue;
        }
        // A copy without a message id (OTLP) keeps the message id of the copy it replaces.
        let message_id = event
            .message_id
            .clone()
            .or_else(|| existing.as_ref().and_then(|old| old.message_id.clone()));
        let t = &event.tokens;
        upsert.execute(params![
            event.dedup_key,
            event.at_ms,
            event.origin.as_str(),
            event.model,
            t.input as i64,
            t.output as i64,
            t.cache_creation as i64,
            t.cache_read as i64,
            event.cost_usd,
            i64::from(event.is_sidechain),
            i64::from(event.has_speed),
            message_id,
        ])?;
        changed.push(event.into_owned());
    }
    Ok(changed)
}

fn upsert_progress(tx: &Transaction<'_>, progress: &[FileProgress]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO files (path, device, inode, size, mtime_ns, offset, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for p in progress {
        stmt.execute(params![
            p.path,
            p.device as i64,
            p.inode as i64,
            p.size as i64,
            p.mtime_ns,
            p.offset as i64,
            p.fingerprint as i64
        ])?;
    }
    Ok(())
}

fn insert_samples(tx: &Transaction<'_>, samples: &[OfficialSample]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO official_samples (at_ms, window, used_pct, resets_at_secs, origin)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in samples {
        stmt.execute(params![
            s.at_ms,
            s.window.as_str(),
            s.used_pct,
            s.resets_at_secs,
            s.origin.as_str()
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
