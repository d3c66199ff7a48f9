//! Running totals of the stored usage, by model: the counters `/metrics` exports. They start
//! from the store's totals (so a restart changes nothing) and grow with each stored change:
//! each request adds itself once, and a request that replaces an earlier version of itself
//! adds only the difference.

use std::collections::BTreeMap;

use crate::readings::{ModelUsage, TokenCounts, UsageEvent};

/// Tokens and cost of one model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelTotals {
    /// Tokens by kind.
    pub tokens: TokenCounts,
    /// Cost in billionths of a US dollar: integers add up the same in any order, so the sum
    /// kept here while running equals the store's own sum after a restart, to the last digit.
    pub cost_nano_usd: u64,
}

impl ModelTotals {
    /// The cost in US dollars.
    pub fn cost_usd(&self) -> f64 {
        self.cost_nano_usd as f64 / 1e9
    }
}

/// `cost_usd` in billionths of a dollar, as the store sums it (`ledger` rounds the same way);
/// 0 for a negative or non-finite cost.
pub(crate) fn nano_usd(cost_usd: f64) -> u64 {
    if cost_usd.is_finite() && cost_usd > 0.0 {
        // Saturating: `as` from f64 clamps at u64::MAX.
        (cost_usd * 1e9).round() as u64
    } else {
        0
    }
}

/// Totals by model id. Counters only grow, as Prometheus counters must.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TotalsByModel {
    by_model: BTreeMap<String, ModelTotals>,
}

impl TotalsByModel {
    /// The totals the store holds.
    pub fn from_stored(by_model: Vec<ModelUsage>) -> TotalsByModel {
        TotalsByModel {
            by_model: by_model
                .into_iter()
                .map(|m| {
                    let totals = ModelTotals {
                        tokens: m.tokens,
                        cost_nano_usd: m.cost_nano_usd,
                    };
                    (m.model, totals)
                })
                .collect(),
        }
    }

    /// Adds `event`, less `replaced` (the earlier version of the same request, if any). A
    /// replacement never subtracts: a counter that went down would read as a reset.
    pub fn add(&mut self, event: &UsageEvent, replaced: Option<(TokenCounts, f64)>) {
        let (old, old_cost_usd) = replaced.unwrap_or_default();
        let totals = self.by_model.entry(event.model.clone()).or_default();
        let t = &mut totals.tokens;
        let grow = |total: &mut u64, new: u64, old: u64| {
            *total = total.saturating_add(new.saturating_sub(old));
        };
        grow(&mut t.input, event.tokens.input, old.input);
        grow(&mut t.output, event.tokens.output, old.output);
        grow(
            &mut t.cache_creation,
            event.tokens.cache_creation,
            old.cache_creation,
        );
        grow(&mut t.cache_read, event.tokens.cache_read, old.cache_read);
        grow(
            &mut totals.cost_nano_usd,
            nano_usd(event.cost_usd),
            nano_usd(old_cost_usd),
        );
    }

    /// Every model's totals, by model id.
    pub fn by_model(&self) -> impl Iterator<Item = (&str, &ModelTotals)> {
        self.by_model.iter().map(|(model, t)| (model.as_str(), t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::Origin;

    fn event(model: &str, input: u64, output: u64, cost_usd: f64) -> UsageEvent {
        UsageEvent {
            at_ms: 0,
            origin: Origin::Transcript,
            dedup_key: "k".into(),
            message_id: None,
            model: model.into(),
            tokens: TokenCounts {
                input,
                output,
                cache_creation: 1,
                cache_read: 2,
            },
            cost_usd,
            is_sidechain: false,
            has_speed: false,
        }
    }

    #[test]
    fn replacements_add_only_the_difference() {
        let mut totals = TotalsByModel::default();
        let first = event("opus", 10, 5, 0.5);
        totals.add(&first, None);
        totals.add(&event("opus", 10, 9, 0.75), Some((first.tokens, 0.5)));
        totals.add(&event("haiku", 1, 1, 0.01), None);
        let all: Vec<_> = totals.by_model().collect();
        assert_eq!(all.len(), 2);
        let (model, opus) = all[1];
        assert_eq!(model, "opus");
        assert_eq!((opus.tokens.input, opus.tokens.output), (10, 9));
        assert_eq!(opus.tokens.cache_read, 2);
        assert!((opus.cost_usd() - 0.75).abs() < 1e-12);
    }
}
