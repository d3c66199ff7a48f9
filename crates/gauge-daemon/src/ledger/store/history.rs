//! The history page's reads (`GET /history.json`): Claude's own percentages over a span, tokens
//! per hour and cost per day by model. They run on the reader connection, so they never wait
//! for, or hold up, the writer.

use rusqlite::params;

use super::{Store, StoreError};
use crate::readings::Window;

/// One official reading, the newest of its time bucket.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OfficialPoint {
    /// When it was read, unix ms.
    pub at_ms: i64,
    /// Which window.
    pub window: Window,
    /// Percent used.
    pub used_pct: f64,
    /// When that window resets, unix seconds.
    pub resets_at_secs: Option<i64>,
}

/// One model's tokens in one clock hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HourTokens {
    /// The hour's start, unix ms.
    pub hour_start_ms: i64,
    /// The model id as stored.
    pub model: String,
    /// Input + output + cache-creation + cache-read tokens.
    pub tokens: u64,
    /// Input + output tokens (what the fuel gauges count).
    pub fuel_tokens: u64,
}

/// One model's cost on one local calendar day.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DayCost {
    /// The day, `YYYY-MM-DD` in the daemon's local time zone.
    pub day: String,
    /// The day's local midnight, unix seconds.
    pub day_start_secs: i64,
    /// The model id as stored.
    pub model: String,
    /// Cost, USD.
    pub cost_usd: f64,
}

impl Store {
    /// The official readings since `since_ms`, at most one per window and `bucket_ms` (the
    /// newest of each bucket), oldest first.
    pub(crate) fn official_points(
        &self,
        since_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<OfficialPoint>, StoreError> {
        // A bare column next to max() comes from the row holding the maximum (SQLite's
        // documented rule), so each bucket gives its newest sample whole.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT MAX(at_ms), window, used_pct, resets_at_secs FROM official_samples
                 WHERE at_ms >= ?1 GROUP BY window, at_ms / ?2 ORDER BY 1",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since_ms, bucket_ms.max(1)], |row| {
                let window: String = row.get(1)?;
                Ok((row.get(0)?, window, row.get(2)?, row.get(3)?))
            })
            .map_err(|e| self.err(e))?;
        let mut points = Vec::new();
        for row in rows {
            let (at_ms, window, used_pct, resets_at_secs) = row.map_err(|e| self.err(e))?;
            if let Some(window) = Window::from_name(&window) {
                points.push(OfficialPoint {
                    at_ms,
                    window,
                    used_pct,
                    resets_at_secs,
                });
            }
        }
        Ok(points)
    }

    /// Tokens per clock hour (UTC hours, which are local hours in every whole-hour zone) and
    /// model since `since_ms`, oldest first.
    pub(crate) fn tokens_per_hour(&self, since_ms: i64) -> Result<Vec<HourTokens>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT (at_ms / 3600000) * 3600000 AS hour, model,
                        SUM(input_tokens + output_tokens + cache_creation_tokens
                            + cache_read_tokens),
                        SUM(input_tokens + output_tokens)
                 FROM entries WHERE at_ms >= ?1 GROUP BY hour, model ORDER BY hour, model",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since_ms], |row| {
                Ok(HourTokens {
                    hour_start_ms: row.get(0)?,
                    model: row.get(1)?,
                    tokens: row.get::<_, i64>(2)?.max(0) as u64,
                    fuel_tokens: row.get::<_, i64>(3)?.max(0) as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Cost per local calendar day and model over everything stored, oldest first.
    pub(crate) fn cost_per_day(&self) -> Result<Vec<DayCost>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT date(at_ms / 1000, 'unixepoch', 'localtime') AS day,
                        CAST(strftime('%s', date(at_ms / 1000, 'unixepoch', 'localtime'), 'utc')
                             AS INTEGER),
                        model, SUM(cost_usd)
                 FROM entries GROUP BY day, model ORDER BY day, model",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(DayCost {
                    day: row.get(0)?,
                    day_start_secs: row.get(1)?,
                    model: row.get(2)?,
                    cost_usd: row.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::{OfficialOrigin, OfficialSample};

    #[test]
    fn each_bucket_gives_its_newest_sample_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        let sample = |at_ms, used_pct, resets_at_secs| OfficialSample {
            at_ms,
            window: Window::FiveHour,
            used_pct,
            resets_at_secs: Some(resets_at_secs),
            origin: OfficialOrigin::Statusline,
        };
        let samples = [
            sample(1_000, 10.0, 100),
            sample(9_000, 90.0, 200),
            sample(5_000, 50.0, 150),
            sample(12_000, 5.0, 300),
        ];
        store.write_batch(&[], &[], &samples, &[], |_| {}).unwrap();
        let points = store.official_points(0, 10_000).unwrap();
        let got: Vec<(i64, f64, Option<i64>)> = points
            .iter()
            .map(|p| (p.at_ms, p.used_pct, p.resets_at_secs))
            .collect();
        assert_eq!(
            got,
            vec![(9_000, 90.0, Some(200)), (12_000, 5.0, Some(300))]
        );
        assert!(store.official_points(10_000, 10_000).unwrap().len() == 1);
    }
}
