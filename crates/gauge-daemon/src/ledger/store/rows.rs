//! Rows in and out of the `entries`, `files` and `official_samples` tables.

use rusqlite::{params, OptionalExtension, Transaction};

use super::FileProgress;
use crate::readings::{LearnedRate, OfficialSample, Origin, TokenCounts, UsageEvent};

pub(super) fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<UsageEvent> {
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
        message_id: row
            .get::<_, Option<String>>(11)?
            .and_then(|hex| u64::from_str_radix(&hex, 16).ok()),
    })
}

/// Upserts `events`; `hosts[i]` (when given) is the machine `events[i]` came from. A stored
/// machine is never replaced by none, and a copy that does not win still names the machine of a
/// request stored without one (the OTLP copy of a request first read from a transcript).
pub(super) fn upsert_entries(
    tx: &Transaction<'_>,
    events: &[UsageEvent],
    hosts: &[Option<String>],
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
            is_sidechain, has_speed, message_id, host)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 COALESCE(?13, (SELECT host FROM entries WHERE dedup_key = ?1)))",
    )?;
    let mut name_host =
        tx.prepare_cached("UPDATE entries SET host = ?2 WHERE dedup_key = ?1 AND host IS NULL")?;
    let mut changed = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let host = hosts.get(index).and_then(Option::as_deref);
        let mut existing = select
            .query_row([&event.dedup_key], row_to_event)
            .optional()?;
        // A second message under the same request id is a response of its own (ccusage keys
        // on message id + request id): it gets a key of its own, `<key>#<message id>`.
        let mut event = std::borrow::Cow::Borrowed(event);
        if let (Some(old), Some(message_id)) = (&existing, &event.message_id) {
            if old.message_id.is_some_and(|m| m != *message_id) {
                let mut own = event.clone().into_owned();
                own.dedup_key = format!("{}#{message_id:016x}", own.dedup_key);
                existing = select
                    .query_row([&own.dedup_key], row_to_event)
                    .optional()?;
                event = std::borrow::Cow::Owned(own);
            }
        }
        if existing.as_ref().is_some_and(|old| !event.beats(old)) {
            if let Some(host) = host {
                name_host.execute(params![event.dedup_key, host])?;
            }
            continue;
        }
        // A copy without a message id (OTLP) keeps the message id of the copy it replaces.
        let message_id = event
            .message_id
            .or_else(|| existing.as_ref().and_then(|old| old.message_id))
            .map(|id| format!("{id:016x}"));
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
            host,
        ])?;
        changed.push(event.into_owned());
    }
    Ok(changed)
}

pub(super) fn upsert_progress(
    tx: &Transaction<'_>,
    progress: &[FileProgress],
) -> rusqlite::Result<()> {
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

pub(super) fn insert_samples(
    tx: &Transaction<'_>,
    samples: &[OfficialSample],
) -> rusqlite::Result<()> {
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

pub(super) fn upsert_learned(tx: &Transaction<'_>, rates: &[LearnedRate]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO learned_rates (window, tokens_per_pct, learned_at_ms,
            from_used_pct, from_tokens, window_resets_at_secs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for rate in rates {
        stmt.execute(params![
            rate.window.as_str(),
            rate.tokens_per_pct,
            rate.learned_at_ms,
            rate.from_used_pct,
            i64::try_from(rate.from_tokens).unwrap_or(i64::MAX),
            rate.window_resets_at_secs
        ])?;
    }
    Ok(())
}
