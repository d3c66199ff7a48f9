//! The usage row shared by the daily, weekly, monthly and session reports: summed tokens and
//! cost, the models in first-seen order and a per-model breakdown (`docs/ccusage-rules.md`,
//! section 5.2), plus the totals over rows.

use std::sync::Arc;

use crate::entry::{TokenUsage, UsageEntry};

/// One model's share of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelBreakdown {
    /// The display model (`-fast` suffix in fast mode).
    pub model_name: Arc<str>,
    /// Its tokens.
    pub usage: TokenUsage,
    /// Its cost in USD.
    pub cost_usd: f64,
    /// Some of its tokens had no price (ccusage's `missingPricing`).
    pub is_unpriced: bool,
}

/// One row of a usage report: a day, week, month (`period`) or a session's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    /// `YYYY-MM-DD` (a day, or the first day of a week), `YYYY-MM` (a month); empty for a
    /// session row.
    pub period: String,
    /// The project, for `daily --instances` and `daily --project`.
    pub project: Option<Arc<str>>,
    /// All tokens, model-less and `<synthetic>` entries included.
    pub usage: TokenUsage,
    /// Cost in USD, summed in entry (or row) order.
    pub total_cost_usd: f64,
    /// Display models in first-seen order.
    pub models_used: Vec<Arc<str>>,
    /// Per display model, stable-sorted by cost descending.
    pub breakdowns: Vec<ModelBreakdown>,
}

impl UsageRow {
    /// An empty row for `period`.
    pub fn new(period: String, project: Option<Arc<str>>) -> Self {
        Self {
            period,
            project,
            usage: TokenUsage::default(),
            total_cost_usd: 0.0,
            models_used: Vec::new(),
            breakdowns: Vec::new(),
        }
    }

    /// Adds one entry: its tokens and cost, and its display model's breakdown.
    pub fn add_entry(&mut self, entry: &UsageEntry) {
        self.usage.add(&entry.usage);
        self.total_cost_usd += entry.cost_usd;
        if let Some(model) = &entry.display_model {
            let breakdown = self.breakdown_mut(model, true);
            breakdown.usage.add(&entry.usage);
            breakdown.cost_usd += entry.cost_usd;
            breakdown.is_unpriced |= entry.is_unpriced;
        }
    }

    /// Adds a whole row (how weeks and months are made of days): models in first-seen order,
    /// breakdowns merged by model.
    pub fn add_row(&mut self, row: &UsageRow) {
        self.usage.add(&row.usage);
        self.total_cost_usd += row.total_cost_usd;
        for model in &row.models_used {
            if !self.models_used.contains(model) {
                self.models_used.push(Arc::clone(model));
            }
        }
        for item in &row.breakdowns {
            let breakdown = self.breakdown_mut(&item.model_name, false);
            breakdown.usage.add(&item.usage);
            breakdown.cost_usd += item.cost_usd;
            breakdown.is_unpriced |= item.is_unpriced;
        }
    }

    /// Sorts the breakdowns by cost, highest first (stable), as ccusage does once a row is
    /// complete.
    pub fn finish(&mut self) {
        self.breakdowns
            .sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd));
    }

    fn breakdown_mut(&mut self, model: &Arc<str>, is_new_model_used: bool) -> &mut ModelBreakdown {
        let index = match self.breakdowns.iter().position(|b| b.model_name == *model) {
            Some(index) => index,
            None => {
                if is_new_model_used {
                    self.models_used.push(Arc::clone(model));
                }
                self.breakdowns.push(ModelBreakdown {
                    model_name: Arc::clone(model),
                    usage: TokenUsage::default(),
                    cost_usd: 0.0,
                    is_unpriced: false,
                });
                self.breakdowns.len() - 1
            }
        };
        &mut self.breakdowns[index]
    }
}

/// The totals line of a report: rows summed in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageTotals {
    /// Summed tokens.
    pub usage: TokenUsage,
    /// Summed cost; `-0.0` for no rows, as a Rust float sum of nothing.
    pub total_cost_usd: f64,
    /// Display models of the rows' breakdowns that had tokens but no price, sorted.
    pub unpriced_models: Vec<Arc<str>>,
}

impl UsageTotals {
    /// Sums `rows` in order.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a UsageRow>) -> Self {
        let mut usage = TokenUsage::default();
        let mut total_cost_usd = -0.0;
        let mut unpriced_models: Vec<Arc<str>> = Vec::new();
        for row in rows {
            usage.add(&row.usage);
            total_cost_usd += row.total_cost_usd;
            unpriced_models.extend(
                row.breakdowns
                    .iter()
                    .filter(|b| b.is_unpriced)
                    .map(|b| Arc::clone(&b.model_name)),
            );
        }
        unpriced_models.sort();
        unpriced_models.dedup();
        Self {
            usage,
            total_cost_usd,
            unpriced_models,
        }
    }
}
