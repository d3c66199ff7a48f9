//! JSON of the usage reports (`claude daily|weekly|monthly --json`) and of the session report
//! (`claude session --json`, `session --id … --json`), byte-identical to ccusage 20.0.24
//! (`docs/ccusage-rules.md`, section 7). Keys are declared in alphabetical order; optional keys
//! sit where the alphabet puts them and are skipped when absent.

use std::{
    collections::BTreeMap,
    io::{self, Write},
};

use serde::Serialize;

use crate::{
    report::{
        daily::UsageReport,
        filter::PeriodKind,
        json::write_pretty,
        session::{SessionDetail, SessionReport},
        summary::{ModelBreakdown, UsageRow, UsageTotals},
    },
    timestamp::format_timestamp_ms,
};

/// Writes a daily, weekly or monthly report as ccusage does: `{"daily"|"weekly"|"monthly":
/// [...], "totals": {...}}`, or with `by_project_map` (`daily --instances`) the rows grouped
/// by project as `{"projects": {"<project>": [...]}, "totals": {...}}`.
pub fn write_usage_json<W: Write>(
    out: &mut W,
    report: &UsageReport,
    by_project_map: bool,
) -> io::Result<()> {
    let totals = TotalsJson::from(&report.totals);
    if by_project_map && report.rows.iter().any(|row| row.project.is_some()) {
        let mut projects: BTreeMap<&str, Vec<RowJson<'_>>> = BTreeMap::new();
        for row in &report.rows {
            let project = row.project.as_deref().unwrap_or("unknown");
            projects
                .entry(project)
                .or_default()
                .push(RowJson::new(row, report.kind));
        }
        return write_pretty(out, &ProjectsJson { projects, totals });
    }
    let rows: Vec<RowJson<'_>> = report
        .rows
        .iter()
        .map(|row| RowJson::new(row, report.kind))
        .collect();
    match report.kind {
        PeriodKind::Daily => write_pretty(
            out,
            &DailyJson {
                daily: rows,
                totals,
            },
        ),
        PeriodKind::Weekly(_) => write_pretty(
            out,
            &WeeklyJson {
                totals,
                weekly: rows,
            },
        ),
        PeriodKind::Monthly => write_pretty(
            out,
            &MonthlyJson {
                monthly: rows,
                totals,
            },
        ),
    }
}

/// Writes `{"daily": [...], "totals": {...}}` as `ccusage claude daily --json` does.
pub fn write_daily_json<W: Write>(out: &mut W, report: &UsageReport) -> io::Result<()> {
    write_usage_json(out, report, false)
}

/// Writes `{"sessions": [...], "totals": {...}}` as `ccusage claude session --json` does.
pub fn write_sessions_json<W: Write>(out: &mut W, report: &SessionReport) -> io::Result<()> {
    let sessions = report
        .rows
        .iter()
        .map(|row| SessionJson {
            cache_creation_tokens: row.usage.usage.cache_creation_tokens(),
            cache_read_tokens: row.usage.usage.cache_read_tokens,
            first_activity: format_timestamp_ms(row.first_activity_ms),
            input_tokens: row.usage.usage.input_tokens,
            last_activity: format_timestamp_ms(row.last_activity_ms),
            model_breakdowns: row
                .usage
                .breakdowns
                .iter()
                .map(BreakdownJson::from)
                .collect(),
            models_used: row.usage.models_used.iter().map(|m| &**m).collect(),
            output_tokens: row.usage.usage.output_tokens,
            project_path: &row.project_path,
            session_id: &row.session_id,
            total_cost: row.usage.total_cost_usd,
            total_tokens: row.usage.usage.total_tokens(),
        })
        .collect();
    let totals = TotalsJson::from(&report.totals);
    write_pretty(out, &SessionsJson { sessions, totals })
}

/// Writes `session --id … --json`: the session's entries, or `null` when there are none.
pub fn write_session_detail_json<W: Write>(
    out: &mut W,
    detail: Option<&SessionDetail>,
) -> io::Result<()> {
    let Some(detail) = detail else {
        return writeln!(out, "null");
    };
    let entries = detail
        .entries
        .iter()
        .map(|entry| SessionEntryJson {
            cache_creation_tokens: entry.cache_creation_tokens,
            cache_read_tokens: entry.cache_read_tokens,
            cost_usd: entry.cost_usd_field,
            input_tokens: entry.input_tokens,
            model: &entry.model,
            output_tokens: entry.output_tokens,
            timestamp: &entry.timestamp,
        })
        .collect();
    write_pretty(
        out,
        &SessionDetailJson {
            entries,
            session_id: &detail.session_id,
            total_cost: detail.total_cost_usd,
            total_tokens: detail.total_tokens,
        },
    )
}

#[derive(Serialize)]
struct DailyJson<'a> {
    daily: Vec<RowJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
struct WeeklyJson<'a> {
    totals: TotalsJson<'a>,
    weekly: Vec<RowJson<'a>>,
}

#[derive(Serialize)]
struct MonthlyJson<'a> {
    monthly: Vec<RowJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
struct ProjectsJson<'a> {
    projects: BTreeMap<&'a str, Vec<RowJson<'a>>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RowJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    input_tokens: u64,
    model_breakdowns: Vec<BreakdownJson<'a>>,
    models_used: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<&'a str>,
    output_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<&'a str>,
    total_cost: f64,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    week: Option<&'a str>,
}

impl<'a> RowJson<'a> {
    fn new(row: &'a UsageRow, kind: PeriodKind) -> Self {
        let period = Some(&*row.period);
        Self {
            cache_creation_tokens: row.usage.cache_creation_tokens(),
            cache_read_tokens: row.usage.cache_read_tokens,
            date: period.filter(|_| kind == PeriodKind::Daily),
            input_tokens: row.usage.input_tokens,
            model_breakdowns: row.breakdowns.iter().map(BreakdownJson::from).collect(),
            models_used: row.models_used.iter().map(|m| &**m).collect(),
            month: period.filter(|_| kind == PeriodKind::Monthly),
            output_tokens: row.usage.output_tokens,
            project: row.project.as_deref(),
            total_cost: row.total_cost_usd,
            total_tokens: row.usage.total_tokens(),
            week: period.filter(|_| matches!(kind, PeriodKind::Weekly(_))),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BreakdownJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    cost: f64,
    input_tokens: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    missing_pricing: bool,
    model_name: &'a str,
    output_tokens: u64,
}

impl<'a> From<&'a ModelBreakdown> for BreakdownJson<'a> {
    fn from(breakdown: &'a ModelBreakdown) -> Self {
        Self {
            cache_creation_tokens: breakdown.usage.cache_creation_tokens(),
            cache_read_tokens: breakdown.usage.cache_read_tokens,
            cost: breakdown.cost_usd,
            input_tokens: breakdown.usage.input_tokens,
            missing_pricing: breakdown.is_unpriced,
            model_name: &breakdown.model_name,
            output_tokens: breakdown.usage.output_tokens,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TotalsJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    input_tokens: u64,
    output_tokens: u64,
    total_cost: f64,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unpriced_models: Vec<&'a str>,
}

impl<'a> From<&'a UsageTotals> for TotalsJson<'a> {
    fn from(totals: &'a UsageTotals) -> Self {
        Self {
            cache_creation_tokens: totals.usage.cache_creation_tokens(),
            cache_read_tokens: totals.usage.cache_read_tokens,
            input_tokens: totals.usage.input_tokens,
            output_tokens: totals.usage.output_tokens,
            total_cost: totals.total_cost_usd,
            total_tokens: totals.usage.total_tokens(),
            unpriced_models: totals.unpriced_models.iter().map(|m| &**m).collect(),
        }
    }
}

#[derive(Serialize)]
struct SessionsJson<'a> {
    sessions: Vec<SessionJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    first_activity: String,
    input_tokens: u64,
    last_activity: String,
    model_breakdowns: Vec<BreakdownJson<'a>>,
    models_used: Vec<&'a str>,
    output_tokens: u64,
    project_path: &'a str,
    session_id: &'a str,
    total_cost: f64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionDetailJson<'a> {
    entries: Vec<SessionEntryJson<'a>>,
    session_id: &'a str,
    total_cost: f64,
    total_tokens: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionEntryJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    #[serde(rename = "costUSD")]
    cost_usd: f64,
    input_tokens: u64,
    model: &'a str,
    output_tokens: u64,
    timestamp: &'a str,
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::report::daily::daily_report;

    #[test]
    fn empty_daily_has_the_ccusage_shape() {
        let mut out = Vec::new();
        write_usage_json(&mut out, &daily_report(&[], &TimeZone::UTC), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("{\n  \"daily\": [],\n  \"totals\": {\n"),
            "{text}"
        );
        assert!(text.contains("\"totalCost\": -0.0,"), "{text}");
        let mut out = Vec::new();
        write_session_detail_json(&mut out, None).unwrap();
        assert_eq!(out, b"null\n");
    }
}
