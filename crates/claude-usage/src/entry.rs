//! The usage entry: one billable API response read from a transcript line.
//!
//! Produced by the parser, consumed by dedup and the reports. Everything here is plain data;
//! no prompt text or other line content is kept.

use std::sync::Arc;

use crate::discover::FileOrigin;

/// Token counts of one entry, with cache writes split by lifetime.
///
/// A line without a `cache_creation` object has all its `cache_creation_input_tokens` in
/// `cache_write_5m_tokens` (that is how ccusage 20.0.24 prices them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TokenUsage {
    /// `usage.input_tokens`.
    pub input_tokens: u64,
    /// `usage.output_tokens`.
    pub output_tokens: u64,
    /// Five-minute cache writes (`cache_creation.ephemeral_5m_input_tokens`, or
    /// `cache_creation_input_tokens` when there is no split).
    pub cache_write_5m_tokens: u64,
    /// One-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`).
    pub cache_write_1h_tokens: u64,
    /// `usage.cache_read_input_tokens`.
    pub cache_read_tokens: u64,
}

impl TokenUsage {
    /// All cache writes, as ccusage's `cacheCreationTokens`.
    pub fn cache_creation_tokens(&self) -> u64 {
        // Saturating, as ccusage 20.0.24: a line of u64::MAX tokens stays u64::MAX.
        self.cache_write_5m_tokens
            .saturating_add(self.cache_write_1h_tokens)
    }

    /// Input + output + cache writes + cache reads, as ccusage's `totalTokens`.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_creation_tokens())
            .saturating_add(self.cache_read_tokens)
    }

    /// Adds `other` field by field, saturating at `u64::MAX` as ccusage's sums do.
    pub fn add(&mut self, other: &TokenUsage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_write_5m_tokens = self
            .cache_write_5m_tokens
            .saturating_add(other.cache_write_5m_tokens);
        self.cache_write_1h_tokens = self
            .cache_write_1h_tokens
            .saturating_add(other.cache_write_1h_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(other.cache_read_tokens);
    }
}

/// `usage.speed`: fast mode is priced with the model's fast multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speed {
    /// `"standard"`.
    Standard,
    /// `"fast"`.
    Fast,
}

/// One usage entry, validated and priced as ccusage 20.0.24 does.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEntry {
    /// `timestamp`, in UTC milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// `message.id` (for advisor iterations, `<id>:advisor:<index>`).
    pub message_id: Option<Box<str>>,
    /// `requestId`.
    pub request_id: Option<Box<str>>,
    /// `message.model` as written, used for pricing (`<synthetic>` included).
    pub model: Option<Arc<str>>,
    /// The model as reports show it: `None` for a missing or `<synthetic>` model, `-fast`
    /// appended in fast mode.
    pub display_model: Option<Arc<str>>,
    /// Token counts.
    pub usage: TokenUsage,
    /// Cost in USD: the line's `costUSD` if present, else computed from the price table.
    pub cost_usd: f64,
    /// True when the cost was computed, the entry has tokens and a model, and the table has no
    /// price for it (ccusage's `missingPricing` / `unpricedModels`).
    pub is_unpriced: bool,
    /// The effective session: the line's `sessionId`, else the session derived from the path.
    pub session_id: Arc<str>,
    /// The project: the first path component under `projects/`.
    pub project: Arc<str>,
    /// The transcript this entry was read from: its path, and the project path and session it
    /// names (the session report groups by those, not by the line's `sessionId`).
    pub origin: Arc<FileOrigin>,
    /// The line had a `costUSD` field, so `cost_usd` is that field; `--mode calculate` and
    /// `--mode display` need to know (`docs/ccusage-rules.md`, section 4.1).
    pub has_cost_field: bool,
    /// `isSidechain == true`.
    pub is_sidechain: bool,
    /// `usage.speed`, if present.
    pub speed: Option<Speed>,
    /// The entry came from an agent-progress line (`data.message.message`); ccusage 20.0.24
    /// counts those in `claude daily` only.
    pub is_progress: bool,
    /// ccusage's `claude daily` loader reads this line too: false for the rare lines it cannot
    /// buffer whole (a lone surrogate escape, invalid UTF-8, nesting deeper than 126).
    pub is_daily_readable: bool,
    /// When an API error line says the usage limit resets (UTC milliseconds).
    pub usage_limit_reset_ms: Option<i64>,
    /// Byte offset of the line in its file (0 when parsed outside a file), for
    /// [`crate::SourcePosition`].
    pub line_offset: u64,
}

impl UsageEntry {
    /// Total tokens of this entry.
    pub fn total_tokens(&self) -> u64 {
        self.usage.total_tokens()
    }
}

/// The origin of entries made up in unit tests: `/d/projects/p/s.jsonl`.
#[cfg(test)]
pub(crate) fn test_origin() -> Arc<FileOrigin> {
    Arc::new(FileOrigin::from_path(std::path::Path::new(
        "/d/projects/p/s.jsonl",
    )))
}

#[cfg(test)]
mod tests {
    /// A cold scan holds every entry of the history until dedup: keep the entry small.
    #[test]
    fn entry_stays_small() {
        assert!(std::mem::size_of::<super::UsageEntry>() <= 192);
    }
}
