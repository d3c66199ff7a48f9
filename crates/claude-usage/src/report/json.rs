//! JSON output identical in shape to `ccusage blocks --json` and `ccusage claude daily --json`
//! 20.0.24 (`docs/ccusage-rules.md`, section 7): keys in alphabetical order (declared so, not relying on map order),
//! pretty-printed with two spaces, floats with `.0`, block costs as integers when whole.

use std::io::{self, Write};

use serde::{Serialize, Serializer};

use crate::{
    entry::TokenUsage,
    report::{
        blocks::{BurnRate, Projection, SessionBlock},
        daily::{DailyReport, DailyRow, ModelBreakdown},
    },
    timestamp::format_timestamp_ms,
};

/// Options of the blocks JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlocksJsonOptions {
    /// Keep only the active block (`--active`).
    pub active_only: bool,
}

/// Writes `{"blocks":[...]}` as `ccusage blocks --json` does, followed by a newline.
pub fn write_blocks_json<W: Write>(
    out: &mut W,
    blocks: &[SessionBlock],
    now_ms: i64,
    options: BlocksJsonOptions,
) -> io::Result<()> {
    let blocks: Vec<BlockJson<'_>> = blocks
        .iter()
        .filter(|block| !options.active_only || block.is_active)
        .map(|block| BlockJson::new(block, now_ms))
        .collect();
    write_pretty(out, &BlocksJson { blocks })
}

/// Writes `{"daily":[...],"totals":{...}}` as `ccusage claude daily --json` does, followed by
/// a newline.
pub fn write_daily_json<W: Write>(out: &mut W, report: &DailyReport) -> io::Result<()> {
    let json = DailyJson {
        daily: report.rows.iter().map(DailyRowJson::from).collect(),
        totals: TotalsJson {
            cache_creation_tokens: report.usage.cache_creation_tokens(),
            cache_read_tokens: report.usage.cache_read_tokens,
            input_tokens: report.usage.input_tokens,
            output_tokens: report.usage.output_tokens,
            total_cost: report.total_cost_usd,
            total_tokens: report.usage.total_tokens(),
            unpriced_models: report.unpriced_models.iter().map(|m| &**m).collect(),
        },
    };
    write_pretty(out, &json)
}

fn write_pretty<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// ccusage's `json_float`: a whole number prints as an integer.
// A whole f64 below 2^63 converts to i64 exactly.
#[allow(clippy::cast_possible_truncation, clippy::trivially_copy_pass_by_ref)]
fn whole_as_integer<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 9.2e18 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

#[derive(Serialize)]
struct BlocksJson<'a> {
    blocks: Vec<BlockJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockJson<'a> {
    actual_end_time: Option<String>,
    burn_rate: Option<BurnRateJson>,
    #[serde(rename = "costUSD", serialize_with = "whole_as_integer")]
    cost_usd: f64,
    end_time: String,
    entries: usize,
    id: String,
    is_active: bool,
    is_gap: bool,
    models: Vec<&'a str>,
    projection: Option<ProjectionJson>,
    start_time: String,
    token_counts: TokenCountsJson,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limit_reset_time: Option<String>,
}

impl<'a> BlockJson<'a> {
    fn new(block: &'a SessionBlock, now_ms: i64) -> Self {
        let start_time = format_timestamp_ms(block.start_ms);
        let id = if block.is_gap {
            format!("gap-{start_time}")
        } else {
            start_time.clone()
        };
        let burn_rate = block.is_active.then(|| block.burn_rate()).flatten();
        let projection = block.is_active.then(|| block.projection(now_ms)).flatten();
        BlockJson {
            actual_end_time: block.actual_end_ms.map(format_timestamp_ms),
            burn_rate: burn_rate.map(BurnRateJson::from),
            cost_usd: block.cost_usd,
            end_time: format_timestamp_ms(block.end_ms),
            entries: block.entry_count,
            id,
            is_active: block.is_active,
            is_gap: block.is_gap,
            models: block.models.iter().map(|m| &**m).collect(),
            projection: projection.map(ProjectionJson::from),
            start_time,
            token_counts: TokenCountsJson::from(&block.usage),
            total_tokens: block.usage.total_tokens(),
            usage_limit_reset_time: block.usage_limit_reset_ms.map(format_timestamp_ms),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BurnRateJson {
    cost_per_hour: f64,
    tokens_per_minute: f64,
    tokens_per_minute_for_indicator: f64,
}

impl From<BurnRate> for BurnRateJson {
    fn from(rate: BurnRate) -> Self {
        Self {
            cost_per_hour: rate.cost_per_hour,
            tokens_per_minute: rate.tokens_per_minute,
            tokens_per_minute_for_indicator: rate.tokens_per_minute_for_indicator,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectionJson {
    remaining_minutes: u64,
    total_cost: f64,
    total_tokens: u64,
}

impl From<Projection> for ProjectionJson {
    fn from(projection: Projection) -> Self {
        Self {
            remaining_minutes: projection.remaining_minutes,
            total_cost: projection.total_cost_usd,
            total_tokens: projection.total_tokens,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenCountsJson {
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    input_tokens: u64,
    output_tokens: u64,
}

impl From<&TokenUsage> for TokenCountsJson {
    fn from(usage: &TokenUsage) -> Self {
        Self {
            cache_creation_input_tokens: usage.cache_creation_tokens(),
            cache_read_input_tokens: usage.cache_read_tokens,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
        }
    }
}

#[derive(Serialize)]
struct DailyJson<'a> {
    daily: Vec<DailyRowJson<'a>>,
    totals: TotalsJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DailyRowJson<'a> {
    cache_creation_tokens: u64,
    cache_read_tokens: u64,
    date: &'a str,
    input_tokens: u64,
    model_breakdowns: Vec<BreakdownJson<'a>>,
    models_used: Vec<&'a str>,
    output_tokens: u64,
    total_cost: f64,
    total_tokens: u64,
}

impl<'a> From<&'a DailyRow> for DailyRowJson<'a> {
    fn from(row: &'a DailyRow) -> Self {
        Self {
            cache_creation_tokens: row.usage.cache_creation_tokens(),
            cache_read_tokens: row.usage.cache_read_tokens,
            date: &row.date,
            input_tokens: row.usage.input_tokens,
            model_breakdowns: row.breakdowns.iter().map(BreakdownJson::from).collect(),
            models_used: row.models_used.iter().map(|m| &**m).collect(),
            output_tokens: row.usage.output_tokens,
            total_cost: row.total_cost_usd,
            total_tokens: row.usage.total_tokens(),
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

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::report::{blocks::session_blocks, daily::daily_report};

    #[test]
    fn empty_reports_have_ccusage_shapes() {
        let mut out = Vec::new();
        write_daily_json(&mut out, &daily_report(&[], &TimeZone::UTC)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("{\n  \"daily\": [],\n  \"totals\": {\n"),
            "{text}"
        );
        assert!(text.contains("\"totalCost\": -0.0,"), "{text}");
        let mut out = Vec::new();
        let blocks = session_blocks(&[], 0, 1);
        write_blocks_json(&mut out, &blocks, 0, BlocksJsonOptions::default()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\n  \"blocks\": []\n}\n");
    }

    #[test]
    fn whole_costs_print_as_integers() {
        let mut out = serde_json::Serializer::new(Vec::new());
        whole_as_integer(&2.0, &mut out).unwrap();
        assert_eq!(out.into_inner(), b"2");
        let mut out = serde_json::Serializer::new(Vec::new());
        whole_as_integer(&0.25, &mut out).unwrap();
        assert_eq!(out.into_inner(), b"0.25");
    }
}
