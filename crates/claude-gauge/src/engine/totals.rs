//! Running totals of the usage the engine has seen since it started, by model: the counters
//! `/metrics` exports. Additive and cheap: each request adds itself once, and a request that
//! replaces an earlier version of itself adds only the difference.

use std::collections::BTreeMap;

use crate::readings::{TokenCounts, UsageEvent};

/// Tokens and cost of one model since the engine started.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ModelTotals {
    /// Tokens by kind.
    pub(crate) tokens: TokenCounts,
    /// Cost in US dollars.
    pub(crate) cost_usd: f64,
}

/// Totals by model id. Counters only grow, as Prometheus counters must.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TotalsByModel {
    by_model: BTreeMap<String, ModelTotals>,
}

impl TotalsByModel {
    /// Adds `event`, less `replaced` (the earlier version of the same request, if any). A
    /// replacement never subtracts: a counter that went down would read as a reset.
    pub(crate) fn add(&mut self, event: &UsageEvent, replaced: Option<(TokenCounts, f64)>) {
        let (old, old_cost_usd) = replaced.unwrap_or_default();
        let totals = self.by_model.entry(event.model.clone()).or_default();
        let t = &mut totals.tokens;
        t.input += event.tokens.input.saturating_sub(old.input);
        t.output += event.tokens.output.saturating_sub(old.output);
        t.cache_creation += event
            .tokens
            .cache_creation
            .saturating_sub(old.cache_creation);
        t.cache_read += event.tokens.cache_read.saturating_sub(old.cache_read);
        let cost_usd = event.cost_usd - old_cost_usd;
        if cost_usd.is_finite() && cost_usd > 0.0 {
            totals.cost_usd += cost_usd;
        }
    }

    /// Every model's totals, by model id.
    pub(crate) fn by_model(&self) -> impl Iterator<Item = (&str, &ModelTotals)> {
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
        assert!((opus.cost_usd - 0.75).abs() < 1e-12);
    }
}
