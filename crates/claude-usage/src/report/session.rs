//! The session report (`ccusage claude session`): usage per transcript session, dearest
//! first, and one session's entries (`session --id`), as ccusage 20.0.24 computes them
//! (`docs/ccusage-rules.md`, section 5).
//!
//! Sessions are the sessions the paths name (a subagent's transcript counts in its parent's
//! session), within the project path the path names; entries come deduped under
//! [`crate::DedupRules::Regular`], in canonical order.

use std::{collections::HashMap, fs, path::Path, sync::Arc};

use jiff::tz::TimeZone;

use crate::{
    entry::UsageEntry,
    report::{
        daily::DateMemo,
        filter::DateRange,
        summary::{UsageRow, UsageTotals},
    },
};

/// One session's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// The session the transcript path names.
    pub session_id: Arc<str>,
    /// The project path the transcript path names.
    pub project_path: Arc<str>,
    /// The earliest entry's timestamp (UTC milliseconds).
    pub first_activity_ms: i64,
    /// The latest entry's timestamp (UTC milliseconds).
    pub last_activity_ms: i64,
    /// Tokens, cost and models.
    pub usage: UsageRow,
}

/// The session report.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionReport {
    /// Sessions with any tokens, by cost, highest first (ccusage ignores `--order` here).
    pub rows: Vec<SessionRow>,
    /// The rows summed in that order.
    pub totals: UsageTotals,
}

/// Groups the entries whose local date (in `time_zone`) is in `range` by session.
pub fn session_report(
    entries: &[UsageEntry],
    time_zone: &TimeZone,
    range: &DateRange,
) -> SessionReport {
    let mut rows: Vec<SessionRow> = Vec::new();
    let mut index: HashMap<(Arc<str>, Arc<str>), usize> = HashMap::new();
    let mut date_memo = DateMemo::default();
    for entry in entries {
        if !range.contains(&date_memo.date(entry.timestamp_ms, time_zone)) {
            continue;
        }
        let key = (
            Arc::clone(&entry.origin.project_path),
            Arc::clone(&entry.origin.session_id),
        );
        let at = *index.entry(key).or_insert_with(|| {
            rows.push(SessionRow {
                session_id: Arc::clone(&entry.origin.session_id),
                project_path: Arc::clone(&entry.origin.project_path),
                first_activity_ms: entry.timestamp_ms,
                last_activity_ms: entry.timestamp_ms,
                usage: UsageRow::new(String::new(), None),
            });
            rows.len() - 1
        });
        let row = &mut rows[at];
        row.first_activity_ms = row.first_activity_ms.min(entry.timestamp_ms);
        row.last_activity_ms = row.last_activity_ms.max(entry.timestamp_ms);
        row.usage.add_entry(entry);
    }
    rows.retain(|row| row.usage.usage.total_tokens() > 0);
    for row in &mut rows {
        row.usage.finish();
    }
    rows.sort_by(|a, b| b.usage.total_cost_usd.total_cmp(&a.usage.total_cost_usd));
    let totals = UsageTotals::of(rows.iter().map(|row| &row.usage));
    SessionReport { rows, totals }
}

/// One entry of `session --id`, with the line's own values where ccusage prints them raw.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEntryDetail {
    /// The line's `timestamp` as written.
    pub timestamp: String,
    /// `input_tokens`.
    pub input_tokens: u64,
    /// `output_tokens`.
    pub output_tokens: u64,
    /// The line's `cache_creation_input_tokens` (not the 5m + 1h split).
    pub cache_creation_tokens: u64,
    /// `cache_read_input_tokens`.
    pub cache_read_tokens: u64,
    /// `message.model` as written, or `unknown`.
    pub model: Arc<str>,
    /// The line's `costUSD`, or 0.
    pub cost_usd_field: f64,
}

/// `session --id`: one session's entries, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDetail {
    /// The id asked for.
    pub session_id: String,
    /// Summed entry costs.
    pub total_cost_usd: f64,
    /// Summed tokens.
    pub total_tokens: u64,
    /// The entries, stable-sorted by timestamp.
    pub entries: Vec<SessionEntryDetail>,
}

/// The entries of session `id`: those whose line names it in `sessionId` or whose path does.
/// The raw values are read again from each entry's line; `None` when no entry matches.
pub fn session_detail(entries: &[UsageEntry], id: &str) -> Option<SessionDetail> {
    let mut matching: Vec<&UsageEntry> = entries
        .iter()
        .filter(|entry| &*entry.session_id == id || &*entry.origin.session_id == id)
        .collect();
    if matching.is_empty() {
        return None;
    }
    matching.sort_by_key(|entry| entry.timestamp_ms);
    let mut files: HashMap<Arc<Path>, Option<Vec<u8>>> = HashMap::new();
    let mut total_cost_usd = 0.0;
    let mut total_tokens: u64 = 0;
    let mut details = Vec::with_capacity(matching.len());
    for entry in matching {
        total_cost_usd += entry.cost_usd;
        total_tokens = total_tokens.saturating_add(entry.total_tokens());
        let text = files
            .entry(Arc::clone(&entry.origin.path))
            .or_insert_with(|| fs::read(&entry.origin.path).ok());
        let line = text
            .as_deref()
            .and_then(|text| line_at(text, entry.line_offset));
        details.push(detail(entry, line));
    }
    Some(SessionDetail {
        session_id: id.to_string(),
        total_cost_usd,
        total_tokens,
        entries: details,
    })
}

fn line_at(text: &[u8], offset: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let rest = text.get(start..)?;
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[derive(serde::Deserialize)]
struct RawLine {
    timestamp: Option<String>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    message: Option<RawMessage>,
}

#[derive(serde::Deserialize)]
struct RawMessage {
    usage: Option<RawUsage>,
}

#[derive(serde::Deserialize)]
struct RawUsage {
    cache_creation_input_tokens: Option<u64>,
}

fn detail(entry: &UsageEntry, line: Option<&[u8]>) -> SessionEntryDetail {
    let raw: Option<RawLine> = line.and_then(|line| serde_json::from_slice(line).ok());
    let is_advisor = entry
        .message_id
        .as_deref()
        .is_some_and(|id| id.contains(":advisor:"));
    let timestamp = raw
        .as_ref()
        .and_then(|raw| raw.timestamp.clone())
        .unwrap_or_else(|| crate::timestamp::format_timestamp_ms(entry.timestamp_ms));
    let cache_creation_tokens = match raw.as_ref().and_then(|raw| raw.message.as_ref()) {
        Some(message) if !is_advisor => message
            .usage
            .as_ref()
            .and_then(|usage| usage.cache_creation_input_tokens)
            .unwrap_or(0),
        _ => entry.usage.cache_creation_tokens(),
    };
    let cost_usd_field = match raw.as_ref() {
        Some(raw) if !is_advisor => raw.cost_usd.unwrap_or(0.0),
        _ => 0.0,
    };
    SessionEntryDetail {
        timestamp,
        input_tokens: entry.usage.input_tokens,
        output_tokens: entry.usage.output_tokens,
        cache_creation_tokens,
        cache_read_tokens: entry.usage.cache_read_tokens,
        model: entry.model.clone().unwrap_or_else(|| Arc::from("unknown")),
        cost_usd_field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{discover::FileOrigin, timestamp::parse_timestamp_ms};

    fn entry(path: &str, line_session: &str, at: &str, cost: f64, line_offset: u64) -> UsageEntry {
        let origin = Arc::new(FileOrigin::from_path(Path::new(path)));
        UsageEntry {
            timestamp_ms: parse_timestamp_ms(at).unwrap(),
            message_id: None,
            request_id: None,
            model: Some("m".into()),
            display_model: Some("m".into()),
            usage: crate::entry::TokenUsage {
                input_tokens: 1,
                ..Default::default()
            },
            cost_usd: cost,
            is_unpriced: false,
            session_id: line_session.into(),
            project: Arc::clone(&origin.project),
            origin,
            has_cost_field: false,
            is_sidechain: false,
            speed: None,
            is_progress: false,
            is_daily_readable: true,
            usage_limit_reset_ms: None,
            line_offset,
        }
    }

    #[test]
    fn sessions_are_the_paths_sessions_dearest_first_within_the_dates() {
        let entries = [
            entry("/d/projects/p/a.jsonl", "a", "2026-01-05T10:00:00Z", 1.0, 0),
            entry(
                "/d/projects/p/a/subagents/x.jsonl",
                "other",
                "2026-01-06T10:00:00Z",
                1.0,
                0,
            ),
            entry("/d/projects/p/b.jsonl", "b", "2026-01-05T12:00:00Z", 5.0, 0),
        ];
        let report = session_report(&entries, &TimeZone::UTC, &DateRange::default());
        let ids: Vec<&str> = report.rows.iter().map(|r| &*r.session_id).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(report.rows[1].usage.usage.input_tokens, 2);
        assert_eq!(report.totals.total_cost_usd, 7.0);
        let range = DateRange {
            since: Some("20260106".into()),
            until: None,
        };
        let later = session_report(&entries, &TimeZone::UTC, &range);
        assert_eq!(later.rows.len(), 1);
        assert_eq!(later.rows[0].first_activity_ms, entries[1].timestamp_ms);
    }

    #[test]
    fn session_detail_reads_the_lines_own_values() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("projects/p/s.jsonl");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let line = r#"{"timestamp":"2026-01-05T19:00:00+09:00","costUSD":0.5,"message":{"usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":999,"cache_creation":{"ephemeral_5m_input_tokens":3,"ephemeral_1h_input_tokens":4}}}}"#;
        std::fs::write(&file, format!("{{}}\n{line}\n")).unwrap();
        let path = file.to_string_lossy().into_owned();
        let entries = [entry(&path, "s", "2026-01-05T10:00:00Z", 0.5, 3)];
        assert!(session_detail(&entries, "nope").is_none());
        let detail = session_detail(&entries, "s").unwrap();
        assert_eq!(detail.entries[0].timestamp, "2026-01-05T19:00:00+09:00");
        assert_eq!(detail.entries[0].cache_creation_tokens, 999);
        assert_eq!(detail.entries[0].cost_usd_field, 0.5);
    }
}
