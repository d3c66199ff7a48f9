//! `--mode`: where an entry's cost comes from (`docs/ccusage-rules.md`, section 4.1).
//!
//! Entries are read with ccusage's default, `auto`; the other two modes are applied to the
//! deduped entries before a report is made.

use crate::{entry::UsageEntry, pricing::PriceTable};

/// Claude Code's placeholder model for local messages: never priced, never unpriced.
const SYNTHETIC_MODEL: &str = "<synthetic>";

/// ccusage's cost modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CostMode {
    /// The line's `costUSD` when present, else computed from tokens.
    #[default]
    Auto,
    /// Always computed from tokens.
    Calculate,
    /// Only the line's `costUSD` (0 without it); nothing is priced, so nothing is unpriced.
    Display,
}

/// Re-prices `entries`, read under [`CostMode::Auto`], for `mode`.
pub fn apply_cost_mode(entries: &mut [UsageEntry], mode: CostMode, prices: &PriceTable) {
    match mode {
        CostMode::Auto => {}
        CostMode::Display => {
            for entry in entries {
                if !entry.has_cost_field {
                    entry.cost_usd = 0.0;
                }
                entry.is_unpriced = false;
            }
        }
        CostMode::Calculate => {
            for entry in entries.iter_mut().filter(|entry| entry.has_cost_field) {
                let model = entry
                    .model
                    .as_deref()
                    .filter(|model| *model != SYNTHETIC_MODEL);
                let price = model.and_then(|model| prices.find(model));
                entry.cost_usd =
                    price.map_or(0.0, |price| price.cost_usd(&entry.usage, entry.speed));
                entry.is_unpriced = model.is_some() && price.is_none() && entry.total_tokens() > 0;
            }
        }
    }
}
