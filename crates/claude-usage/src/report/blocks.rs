//! Session blocks: ccusage's 5-hour billing windows, with gaps, the active block, its burn
//! rate and its projection (`docs/ccusage-rules.md`, section 6).
//!
//! A pure function of deduped entries (under [`crate::DedupRules::Regular`]) and `now`.

use std::sync::Arc;

use jiff::tz::TimeZone;

use crate::{
    entry::{TokenUsage, UsageEntry},
    report::{
        daily::DateMemo,
        filter::{DateRange, SortOrder},
    },
    timestamp::{floor_to_hour, MS_PER_MINUTE},
};

/// ccusage's default block length: five hours.
pub const DEFAULT_SESSION_LENGTH_MS: i64 = 5 * crate::timestamp::MS_PER_HOUR;

/// One block: a window of activity, or a gap between two windows.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBlock {
    /// Start: the first entry's timestamp floored to the UTC hour (a gap: last entry + length).
    pub start_ms: i64,
    /// End: start + session length (a gap: the next entry's timestamp).
    pub end_ms: i64,
    /// The last entry's timestamp (`None` for a gap).
    pub actual_end_ms: Option<i64>,
    /// The first entry's timestamp (`None` for a gap).
    pub first_entry_ms: Option<i64>,
    /// Whether `now` falls in this block and within one session length of its last entry.
    pub is_active: bool,
    /// Whether this is a gap between blocks.
    pub is_gap: bool,
    /// Number of entries.
    pub entry_count: usize,
    /// Summed tokens.
    pub usage: TokenUsage,
    /// Summed cost in USD, added in timestamp order.
    pub cost_usd: f64,
    /// Display models in first-seen order (`<synthetic>` and model-less entries excluded).
    pub models: Vec<Arc<str>>,
    /// The first usage-limit reset time among the entries.
    pub usage_limit_reset_ms: Option<i64>,
}

/// Tokens and cost per unit of time over an active block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnRate {
    /// All tokens (cache included) per minute.
    pub tokens_per_minute: f64,
    /// Input + output tokens per minute (what ccusage's indicator uses).
    pub tokens_per_minute_for_indicator: f64,
    /// USD per hour.
    pub cost_per_hour: f64,
}

/// Where an active block ends up if the burn rate holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Projected total tokens at the block's end.
    pub total_tokens: u64,
    /// Projected cost at the block's end, rounded to cents.
    pub total_cost_usd: f64,
    /// Whole minutes left in the block.
    pub remaining_minutes: u64,
}

impl SessionBlock {
    /// The block's burn rate: `None` for a gap or when its entries span no time.
    // f64 arithmetic on token counts is ccusage's own.
    #[allow(clippy::cast_precision_loss)]
    pub fn burn_rate(&self) -> Option<BurnRate> {
        let (first, last) = (self.first_entry_ms?, self.actual_end_ms?);
        let minutes = (last - first) as f64 / MS_PER_MINUTE as f64;
        if minutes <= 0.0 {
            return None;
        }
        let usage = &self.usage;
        Some(BurnRate {
            tokens_per_minute: usage.total_tokens() as f64 / minutes,
            tokens_per_minute_for_indicator: usage.input_tokens.saturating_add(usage.output_tokens)
                as f64
                / minutes,
            cost_per_hour: self.cost_usd / minutes * 60.0,
        })
    }

    /// The projection at `now_ms`, as ccusage 20.0.24: remaining minutes rounded, tokens
    /// rounded, cost rounded to cents. `None` without a burn rate.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub fn projection(&self, now_ms: i64) -> Option<Projection> {
        let rate = self.burn_rate()?;
        let remaining_minutes = ((self.end_ms - now_ms) as f64 / MS_PER_MINUTE as f64).round();
        let total_tokens =
            self.usage.total_tokens() as f64 + rate.tokens_per_minute * remaining_minutes;
        let total_cost = self.cost_usd + rate.cost_per_hour / 60.0 * remaining_minutes;
        Some(Projection {
            total_tokens: total_tokens.round() as u64,
            total_cost_usd: (total_cost * 100.0).round() / 100.0,
            remaining_minutes: remaining_minutes.max(0.0) as u64,
        })
    }
}

/// Groups entries into blocks of `session_length_ms`, with gap blocks between blocks more than
/// one length apart. `entries` must be deduped with [`crate::DedupRules::Regular`]; they are
/// stable-sorted by timestamp here.
pub fn session_blocks(
    entries: &[UsageEntry],
    now_ms: i64,
    session_length_ms: i64,
) -> Vec<SessionBlock> {
    let mut sorted: Vec<&UsageEntry> = entries.iter().collect();
    sorted.sort_by_key(|entry| entry.timestamp_ms);
    let mut blocks = Vec::new();
    let mut current: Vec<&UsageEntry> = Vec::new();
    let mut start_ms = 0;
    for entry in sorted {
        if let Some(last) = current.last() {
            let last_ms = last.timestamp_ms;
            let since_start = entry.timestamp_ms - start_ms;
            let since_last = entry.timestamp_ms - last_ms;
            if since_start > session_length_ms || since_last > session_length_ms {
                blocks.push(block(start_ms, &current, now_ms, session_length_ms));
                if since_last > session_length_ms {
                    blocks.push(gap(last_ms + session_length_ms, entry.timestamp_ms));
                }
                current.clear();
                start_ms = floor_to_hour(entry.timestamp_ms);
            }
        } else {
            start_ms = floor_to_hour(entry.timestamp_ms);
        }
        current.push(entry);
    }
    if !current.is_empty() {
        blocks.push(block(start_ms, &current, now_ms, session_length_ms));
    }
    // A gap starts one length after the last entry, which can be after the next block's
    // floored start; ccusage sorts by start (stably) after building.
    blocks.sort_by_key(|block| block.start_ms);
    blocks
}

/// Which blocks a blocks report shows, and in what order.
#[derive(Debug, Clone)]
pub struct BlocksQuery {
    /// The zone of the dates `range` is compared with (a block's start date).
    pub time_zone: TimeZone,
    /// Blocks whose start date is kept (`--since`, `--until`), gaps included.
    pub range: DateRange,
    /// Start time order.
    pub order: SortOrder,
    /// Only blocks that started in the last three days, or are active (`--recent`).
    pub is_recent_only: bool,
    /// Only the active block (`--active`).
    pub is_active_only: bool,
}

/// `--recent` keeps blocks that started this long before `now`.
const RECENT_MS: i64 = 3 * 24 * crate::timestamp::MS_PER_HOUR;

/// Applies `query` to `blocks` in ccusage's order: dates, sort, recent, active.
pub fn select_blocks(
    blocks: Vec<SessionBlock>,
    query: &BlocksQuery,
    now_ms: i64,
) -> Vec<SessionBlock> {
    let mut memo = DateMemo::default();
    let mut blocks: Vec<SessionBlock> = blocks
        .into_iter()
        .filter(|block| {
            query
                .range
                .contains(&memo.date(block.start_ms, &query.time_zone))
        })
        .collect();
    match query.order {
        SortOrder::Asc => blocks.sort_by_key(|block| block.start_ms),
        SortOrder::Desc => blocks.sort_by_key(|block| std::cmp::Reverse(block.start_ms)),
    }
    if query.is_recent_only {
        let cutoff = now_ms.saturating_sub(RECENT_MS);
        blocks.retain(|block| block.start_ms >= cutoff || block.is_active);
    }
    if query.is_active_only {
        blocks.retain(|block| block.is_active);
    }
    blocks
}

/// `--token-limit`: a number of tokens, or `max` (also an empty value): the most tokens of
/// any shown block that is neither a gap nor active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimit {
    /// That many tokens.
    Tokens(u64),
    /// The largest shown block.
    Max,
}

impl TokenLimit {
    /// Parses the flag's value as ccusage does; `None` (no limit at all) for anything that is
    /// neither `max`, empty, nor a whole number.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "" | "max" => Some(Self::Max),
            _ => value.parse().ok().map(Self::Tokens),
        }
    }

    /// The limit in tokens for `blocks` (the blocks shown): `Max` is `None` when no finished
    /// block has tokens.
    pub fn resolve(self, blocks: &[SessionBlock]) -> Option<u64> {
        match self {
            Self::Tokens(tokens) => Some(tokens),
            Self::Max => {
                let max = blocks
                    .iter()
                    .filter(|block| !block.is_gap && !block.is_active)
                    .map(|block| block.usage.total_tokens())
                    .max()
                    .unwrap_or(0);
                (max > 0).then_some(max)
            }
        }
    }
}

fn block(start_ms: i64, entries: &[&UsageEntry], now_ms: i64, length_ms: i64) -> SessionBlock {
    let end_ms = start_ms + length_ms;
    let first_ms = entries.first().map(|entry| entry.timestamp_ms);
    let last_ms = entries.last().map_or(start_ms, |entry| entry.timestamp_ms);
    let mut usage = TokenUsage::default();
    let mut cost_usd = 0.0;
    let mut models: Vec<Arc<str>> = Vec::new();
    let mut usage_limit_reset_ms = None;
    for entry in entries {
        usage.add(&entry.usage);
        cost_usd += entry.cost_usd;
        if let Some(model) = &entry.display_model {
            if !models.contains(model) {
                models.push(Arc::clone(model));
            }
        }
        usage_limit_reset_ms = usage_limit_reset_ms.or(entry.usage_limit_reset_ms);
    }
    SessionBlock {
        start_ms,
        end_ms,
        actual_end_ms: Some(last_ms),
        first_entry_ms: first_ms,
        is_active: now_ms - last_ms < length_ms && now_ms < end_ms,
        is_gap: false,
        entry_count: entries.len(),
        usage,
        cost_usd,
        models,
        usage_limit_reset_ms,
    }
}

fn gap(start_ms: i64, end_ms: i64) -> SessionBlock {
    SessionBlock {
        start_ms,
        end_ms,
        actual_end_ms: None,
        first_entry_ms: None,
        is_active: false,
        is_gap: true,
        entry_count: 0,
        usage: TokenUsage::default(),
        cost_usd: 0.0,
        models: Vec::new(),
        usage_limit_reset_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::parse_timestamp_ms;

    fn at(text: &str, output: u64) -> UsageEntry {
        UsageEntry {
            timestamp_ms: parse_timestamp_ms(text).unwrap(),
            message_id: None,
            request_id: None,
            model: Some("claude-opus-4-6".into()),
            display_model: Some("claude-opus-4-6".into()),
            usage: TokenUsage {
                output_tokens: output,
                cache_read_tokens: 100,
                ..TokenUsage::default()
            },
            cost_usd: 0.5,
            is_unpriced: false,
            session_id: "s".into(),
            project: "p".into(),
            origin: crate::entry::test_origin(),
            has_cost_field: false,
            is_sidechain: false,
            speed: None,
            is_progress: false,
            is_daily_readable: true,
            usage_limit_reset_ms: None,
            line_offset: 0,
        }
    }

    #[test]
    fn splits_on_length_and_inserts_gaps() {
        let entries = [
            at("2026-01-05T10:22:00.000Z", 1),
            at("2026-01-05T12:22:00.000Z", 1),
            at("2026-01-05T21:17:00.000Z", 1),
            at("2026-01-05T15:01:00.000Z", 1),
            at("2026-01-05T15:00:00.000Z", 1),
        ];
        let now = parse_timestamp_ms("2026-02-01T00:00:00.000Z").unwrap();
        let blocks = session_blocks(&entries, now, DEFAULT_SESSION_LENGTH_MS);
        let shape: Vec<(bool, usize)> = blocks.iter().map(|b| (b.is_gap, b.entry_count)).collect();
        assert_eq!(shape, [(false, 3), (false, 1), (true, 0), (false, 1)]);
        assert_eq!(
            blocks[1].start_ms,
            parse_timestamp_ms("2026-01-05T15:00:00Z").unwrap()
        );
        assert_eq!(
            blocks[2].start_ms,
            parse_timestamp_ms("2026-01-05T20:01:00Z").unwrap()
        );
        assert!(blocks.iter().all(|b| !b.is_active));
    }

    #[test]
    fn active_block_has_burn_rate_and_projection() {
        let entries = [
            at("2026-01-05T10:00:00.000Z", 0),
            at("2026-01-05T10:40:00.000Z", 400),
        ];
        let now = parse_timestamp_ms("2026-01-05T11:34:00.000Z").unwrap();
        let blocks = session_blocks(&entries, now, DEFAULT_SESSION_LENGTH_MS);
        assert!(blocks[0].is_active);
        let rate = blocks[0].burn_rate().unwrap();
        assert_eq!(rate.tokens_per_minute, 600.0 / 40.0);
        assert_eq!(rate.tokens_per_minute_for_indicator, 10.0);
        assert_eq!(rate.cost_per_hour, 1.5);
        let projection = blocks[0].projection(now).unwrap();
        assert_eq!(projection.remaining_minutes, 206);
        assert_eq!(projection.total_tokens, 600 + 15 * 206);
        assert_eq!(projection.total_cost_usd, 6.15);
        let single = session_blocks(&entries[..1], now, DEFAULT_SESSION_LENGTH_MS);
        assert_eq!(single[0].burn_rate(), None);
    }

    #[test]
    fn token_limits_and_selection_follow_ccusage() {
        assert_eq!(TokenLimit::parse("max"), Some(TokenLimit::Max));
        assert_eq!(TokenLimit::parse(""), Some(TokenLimit::Max));
        assert_eq!(TokenLimit::parse("1000"), Some(TokenLimit::Tokens(1000)));
        assert_eq!(TokenLimit::parse("1.5"), None);
        assert_eq!(TokenLimit::parse("abc"), None);
        let entries = [
            at("2026-01-01T10:00:00.000Z", 1),
            at("2026-01-05T10:00:00.000Z", 500),
            at("2026-01-05T10:30:00.000Z", 1),
        ];
        let now = parse_timestamp_ms("2026-01-05T11:00:00.000Z").unwrap();
        let blocks = session_blocks(&entries, now, DEFAULT_SESSION_LENGTH_MS);
        assert_eq!(TokenLimit::Max.resolve(&blocks), Some(101));
        let mut query = BlocksQuery {
            time_zone: TimeZone::UTC,
            range: DateRange::default(),
            order: SortOrder::Desc,
            is_recent_only: false,
            is_active_only: false,
        };
        let all = select_blocks(blocks.clone(), &query, now);
        assert!(all.windows(2).all(|w| w[0].start_ms >= w[1].start_ms));
        query.is_recent_only = true;
        assert_eq!(select_blocks(blocks.clone(), &query, now).len(), 1);
        query.is_recent_only = false;
        query.is_active_only = true;
        let active = select_blocks(blocks.clone(), &query, now);
        assert_eq!(active.len(), 1);
        assert_eq!(TokenLimit::Max.resolve(&active), None);
        query.is_active_only = false;
        query.range.until = Some("20260101".into());
        // The first block and the gap after it, which starts that day too.
        assert_eq!(select_blocks(blocks, &query, now).len(), 2);
    }
}
