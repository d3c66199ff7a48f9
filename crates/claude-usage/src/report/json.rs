//! JSON output byte-identical to ccusage 20.0.24's `--json` (`docs/ccusage-rules.md`, section
//! 7): keys in alphabetical order (declared so, not relying on map order), pretty-printed with
//! two spaces, floats with `.0`, block costs as integers when whole. This module writes
//! `blocks`; `json_usage` the usage and session reports.

use std::io::{self, Write};

use serde::{Serialize, Serializer};

use crate::{
    entry::TokenUsage,
    report::blocks::{BurnRate, Projection, SessionBlock},
    timestamp::format_timestamp_ms,
};

/// Options of the blocks JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlocksJsonOptions {
    /// Keep only the active block (`--active`).
    pub active_only: bool,
    /// The resolved `--token-limit`: active blocks then show `tokenLimitStatus`.
    pub token_limit: Option<u64>,
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
        .map(|block| BlockJson::new(block, now_ms, options.token_limit))
        .collect();
    write_pretty(out, &BlocksJson { blocks })
}

pub(crate) fn write_pretty<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// ccusage's `json_float`: a whole number prints as an integer.
// A whole f64 below 2^63 converts to i64 exactly.
#[allow(clippy::cast_possible_truncation, clippy::trivially_copy_pass_by_ref)]
pub(crate) fn whole_as_integer<S: Serializer>(
    value: &f64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
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
    #[serde(skip_serializing_if = "Option::is_none")]
    token_limit_status: Option<TokenLimitStatusJson>,
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_limit_reset_time: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenLimitStatusJson {
    limit: u64,
    percent_used: f64,
    projected_usage: u64,
    status: &'static str,
}

impl TokenLimitStatusJson {
    // ccusage compares and divides in f64.
    #[allow(clippy::cast_precision_loss)]
    fn new(limit: u64, projected_usage: u64) -> Self {
        let limit_f64 = limit as f64;
        let projected = projected_usage as f64;
        let status = if projected > limit_f64 {
            "exceeds"
        } else if projected > limit_f64 * 0.8 {
            "warning"
        } else {
            "ok"
        };
        Self {
            limit,
            percent_used: projected / limit_f64 * 100.0,
            projected_usage,
            status,
        }
    }
}

impl<'a> BlockJson<'a> {
    fn new(block: &'a SessionBlock, now_ms: i64, token_limit: Option<u64>) -> Self {
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
            token_limit_status: token_limit.zip(projection).map(|(limit, projection)| {
                TokenLimitStatusJson::new(limit, projection.total_tokens)
            }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::blocks::session_blocks;

    #[test]
    fn empty_blocks_have_the_ccusage_shape() {
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
