//! Prices: the embedded offline price table, ccusage's model lookup, and the cost formula.
//!
//! Sits between parsing and reports: the parser prices each line as it reads it (spec section
//! 4), so an entry carries its cost from then on.

mod table;

use std::collections::HashMap;

use crate::{
    entry::{Speed, TokenUsage},
    hash::BuildFastHasher,
};

/// Tokens above which the `above_200k` rates apply, per line and per token kind.
const TIER_THRESHOLD_TOKENS: u64 = 200_000;
/// ccusage 20.0.24 prices a one-hour cache write at twice the input rate.
const CACHE_WRITE_1H_INPUT_MULTIPLIER: f64 = 2.0;
/// Date suffixes (`-20250929`) do not make a different model; other numbers do.
const DATE_SUFFIX_DIGITS: usize = 8;

/// The per-token rates of one model, in USD per token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Input tokens.
    pub input_per_token: f64,
    /// Output tokens.
    pub output_per_token: f64,
    /// Five-minute cache writes (and cache writes without a 5m/1h split).
    pub cache_write_per_token: f64,
    /// Cache reads.
    pub cache_read_per_token: f64,
    /// Rates for the tokens beyond the first 200,000 of one kind in one line, if tiered.
    pub above_200k: Option<Above200k>,
    /// Multiplier applied to the whole line when `usage.speed == "fast"`.
    pub fast_multiplier: f64,
}

/// The rates of a tiered model beyond 200,000 tokens, in USD per token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Above200k {
    /// Input tokens.
    pub input_per_token: f64,
    /// Output tokens.
    pub output_per_token: f64,
    /// Five-minute cache writes.
    pub cache_write_per_token: f64,
    /// Cache reads.
    pub cache_read_per_token: f64,
}

impl ModelPrice {
    /// The cost of one line's usage, exactly as ccusage 20.0.24 computes it (spec 4.4): each
    /// token kind priced separately with its own 200k tier, summed in a fixed order, then
    /// multiplied by the fast multiplier.
    pub fn cost_usd(&self, usage: &TokenUsage, speed: Option<Speed>) -> f64 {
        let above = self.above_200k;
        let multiplier = if speed == Some(Speed::Fast) {
            self.fast_multiplier
        } else {
            1.0
        };
        let write_1h = self.input_per_token * CACHE_WRITE_1H_INPUT_MULTIPLIER;
        let write_1h_above = above.map(|a| a.input_per_token * CACHE_WRITE_1H_INPUT_MULTIPLIER);
        (tiered(
            usage.input_tokens,
            self.input_per_token,
            above.map(|a| a.input_per_token),
        ) + tiered(
            usage.output_tokens,
            self.output_per_token,
            above.map(|a| a.output_per_token),
        ) + tiered(
            usage.cache_write_5m_tokens,
            self.cache_write_per_token,
            above.map(|a| a.cache_write_per_token),
        ) + tiered(usage.cache_write_1h_tokens, write_1h, write_1h_above)
            + tiered(
                usage.cache_read_tokens,
                self.cache_read_per_token,
                above.map(|a| a.cache_read_per_token),
            ))
            * multiplier
    }
}

// The casts are ccusage's own f64 arithmetic; token counts beyond 2^53 lose precision there too.
#[allow(clippy::cast_precision_loss)]
fn tiered(tokens: u64, base: f64, above: Option<f64>) -> f64 {
    if tokens == 0 {
        return 0.0;
    }
    match above {
        Some(above) if tokens > TIER_THRESHOLD_TOKENS => {
            TIER_THRESHOLD_TOKENS as f64 * base + (tokens - TIER_THRESHOLD_TOKENS) as f64 * above
        }
        _ => tokens as f64 * base,
    }
}

/// A price table with ccusage's model lookup: an exact key, else the longest key that matches
/// at word boundaries (spec 4.3).
#[derive(Debug, Clone)]
pub struct PriceTable {
    entries: &'static [(&'static str, ModelPrice)],
    exact_only: &'static [(&'static str, ModelPrice)],
}

impl PriceTable {
    /// The embedded table with ccusage 20.0.24's offline rates.
    pub fn embedded() -> Self {
        Self {
            entries: table::PRICE_TABLE,
            exact_only: table::EXACT_ONLY_TABLE,
        }
    }

    /// The price of `model`, or `None` for a model ccusage 20.0.24 offline would not price.
    ///
    /// This scans every key on a miss; callers on a hot path use [`PriceCache`].
    pub fn find(&self, model: &str) -> Option<ModelPrice> {
        let mut all = self.entries.iter().chain(self.exact_only);
        if let Some((_, price)) = all.find(|(key, _)| *key == model) {
            return Some(*price);
        }
        let normalized_model = normalize(model);
        self.entries
            .iter()
            .filter(|(key, _)| key_matches(key, model, &normalized_model))
            .max_by(|(left, _), (right, _)| left.len().cmp(&right.len()).then(right.cmp(left)))
            .map(|(_, price)| *price)
    }
}

/// Memoised lookups by model string: real transcripts use a handful of model names.
#[derive(Debug)]
pub struct PriceCache {
    table: PriceTable,
    memo: HashMap<Box<str>, Option<ModelPrice>, BuildFastHasher>,
}

impl PriceCache {
    /// A cache in front of `table`.
    pub fn new(table: PriceTable) -> Self {
        Self {
            table,
            memo: HashMap::default(),
        }
    }

    /// The price of `model`, as [`PriceTable::find`].
    pub fn find(&mut self, model: &str) -> Option<ModelPrice> {
        if let Some(price) = self.memo.get(model) {
            return *price;
        }
        let price = self.table.find(model);
        self.memo.insert(model.into(), price);
        price
    }
}

fn normalize(value: &str) -> String {
    value.replace(['.', '@'], "-")
}

fn key_matches(key: &str, model: &str, normalized_model: &str) -> bool {
    if contains_at_boundary(model, key) || contains_at_boundary(key, model) {
        return true;
    }
    let normalized_key = normalize(key);
    contains_at_boundary(normalized_model, &normalized_key)
        || contains_at_boundary(&normalized_key, normalized_model)
}

/// Whether `needle` occurs in `haystack` with a non-alphanumeric byte (or nothing) before it and
/// an allowed suffix after it.
fn contains_at_boundary(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    haystack.match_indices(needle).any(|(at, _)| {
        let before_ok = at == 0 || !haystack.as_bytes()[at - 1].is_ascii_alphanumeric();
        before_ok && suffix_allowed(needle, &haystack.as_bytes()[at + needle.len()..])
    })
}

/// A suffix must start at a boundary, and a key ending in a digit may not be followed by
/// `-`/`.` and more digits (another version) unless they are an 8-digit date.
fn suffix_allowed(key: &str, suffix: &[u8]) -> bool {
    let Some(&first) = suffix.first() else {
        return true;
    };
    if first.is_ascii_alphanumeric() {
        return false;
    }
    let key_ends_in_digit = key.as_bytes().last().is_some_and(u8::is_ascii_digit);
    if !key_ends_in_digit || !matches!(first, b'-' | b'.') {
        return true;
    }
    let rest = &suffix[1..];
    let digit_count = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digit_count == 0 {
        return true;
    }
    let after = rest.get(digit_count);
    digit_count == DATE_SUFFIX_DIGITS && after.is_none_or(|byte| !byte.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, write_5m: u64, write_1h: u64, read: u64) -> TokenUsage {
        TokenUsage {
            input_tokens: input,
            output_tokens: output,
            cache_write_5m_tokens: write_5m,
            cache_write_1h_tokens: write_1h,
            cache_read_tokens: read,
        }
    }

    #[test]
    fn lookup_follows_ccusage_boundaries() {
        let table = PriceTable::embedded();
        let sonnet = table.find("claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(table.find("claude-sonnet-4-5"), Some(sonnet));
        assert_eq!(table.find("anthropic/claude-sonnet-4-5"), Some(sonnet));
        assert_eq!(
            table.find("claude-opus-4-6[1m]"),
            table.find("claude-opus-4-6")
        );
        assert_eq!(
            table.find("claude-opus-4-6-20260101"),
            table.find("claude-opus-4-6")
        );
        // A different version number is a different model, not a date suffix.
        assert_eq!(table.find("claude-opus-4-0"), None);
        assert_eq!(table.find("claude-opus-4-9"), None);
        assert_eq!(table.find("claude-3-5-sonnet-latest"), None);
        assert_eq!(table.find("<synthetic>"), None);
        assert_eq!(table.find(""), None);
    }

    #[test]
    fn cost_tiers_per_kind_and_prices_1h_writes_at_twice_input() {
        let table = PriceTable::embedded();
        let sonnet = table.find("claude-sonnet-4-5").unwrap();
        let cost = sonnet.cost_usd(&usage(1_000_000, 0, 0, 0, 0), None);
        assert!((cost - (0.2 * 3.0 + 0.8 * 6.0)).abs() < 1e-9);
        let cost = sonnet.cost_usd(&usage(0, 0, 0, 100_000, 0), None);
        assert!((cost - 0.6).abs() < 1e-12);
        let opus = table.find("claude-opus-4-6").unwrap();
        let cost = opus.cost_usd(&usage(100_000, 0, 0, 0, 0), Some(Speed::Fast));
        assert!((cost - 3.0).abs() < 1e-12);
        let cost = opus.cost_usd(&usage(100_000, 0, 0, 0, 0), Some(Speed::Standard));
        assert!((cost - 0.5).abs() < 1e-12);
    }

    #[test]
    fn cache_memoises_misses_too() {
        let mut cache = PriceCache::new(PriceTable::embedded());
        assert_eq!(cache.find("nope"), None);
        assert_eq!(cache.find("nope"), None);
        assert!(cache.find("claude-haiku-4-5-20251001").is_some());
    }
}
