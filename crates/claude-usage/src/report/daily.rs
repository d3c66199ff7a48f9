//! The daily report: usage per calendar day in a time zone, with per-model breakdowns and
//! totals, as `ccusage claude daily` computes them (`docs/ccusage-rules.md`, section 5).
//!
//! A pure function of entries deduped under [`crate::DedupRules::Daily`], in canonical order
//! (which fixes the float summation order and the `modelsUsed` order).

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use jiff::tz::TimeZone;

use crate::entry::{TokenUsage, UsageEntry};

/// One model's share of a day.
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

/// One day.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    /// `YYYY-MM-DD` in the report's time zone.
    pub date: String,
    /// All tokens of the day, model-less and `<synthetic>` entries included.
    pub usage: TokenUsage,
    /// Cost in USD, summed in entry order.
    pub total_cost_usd: f64,
    /// Display models in first-seen order.
    pub models_used: Vec<Arc<str>>,
    /// Per display model, stable-sorted by cost descending.
    pub breakdowns: Vec<ModelBreakdown>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyReport {
    /// Days in ascending order.
    pub rows: Vec<DailyRow>,
    /// Sum of all rows.
    pub usage: TokenUsage,
    /// Sum of the rows' costs, in row order.
    pub total_cost_usd: f64,
    /// Display models that had tokens but no price, sorted.
    pub unpriced_models: Vec<Arc<str>>,
}

/// Groups `entries` by their local date in `time_zone`.
pub fn daily_report(entries: &[UsageEntry], time_zone: &TimeZone) -> DailyReport {
    let mut days: BTreeMap<String, DailyRow> = BTreeMap::new();
    let mut date_memo = DateMemo::default();
    for entry in entries {
        let date = date_memo.date(entry.timestamp_ms, time_zone);
        if !days.contains_key(&*date) {
            let row = DailyRow {
                date: date.to_string(),
                usage: TokenUsage::default(),
                total_cost_usd: 0.0,
                models_used: Vec::new(),
                breakdowns: Vec::new(),
            };
            days.insert(date.to_string(), row);
        }
        if let Some(row) = days.get_mut(&*date) {
            add_entry(row, entry);
        }
    }
    let mut rows: Vec<DailyRow> = days.into_values().collect();
    let mut usage = TokenUsage::default();
    // `-0.0`: ccusage sums rows with `Iterator::sum`, which starts there (an empty report
    // prints `-0.0`).
    let mut total_cost_usd = -0.0;
    for row in &mut rows {
        row.breakdowns
            .sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd));
        usage.add(&row.usage);
        total_cost_usd += row.total_cost_usd;
    }
    DailyReport {
        rows,
        usage,
        total_cost_usd,
        unpriced_models: unpriced_models(entries),
    }
}

/// The display models (`-fast` suffix included, as ccusage lists them) of `entries` that had
/// tokens but no price, sorted and distinct.
pub fn unpriced_models(entries: &[UsageEntry]) -> Vec<Arc<str>> {
    let mut unpriced: Vec<Arc<str>> = entries
        .iter()
        .filter(|entry| entry.is_unpriced)
        .filter_map(|entry| entry.display_model.clone())
        .collect();
    unpriced.sort();
    unpriced.dedup();
    unpriced
}

fn add_entry(row: &mut DailyRow, entry: &UsageEntry) {
    row.usage.add(&entry.usage);
    row.total_cost_usd += entry.cost_usd;
    let Some(model) = &entry.display_model else {
        return;
    };
    let breakdown = match row
        .breakdowns
        .iter_mut()
        .position(|b| b.model_name == *model)
    {
        Some(index) => &mut row.breakdowns[index],
        None => {
            row.models_used.push(Arc::clone(model));
            row.breakdowns.push(ModelBreakdown {
                model_name: Arc::clone(model),
                usage: TokenUsage::default(),
                cost_usd: 0.0,
                is_unpriced: false,
            });
            let last = row.breakdowns.len() - 1;
            &mut row.breakdowns[last]
        }
    };
    breakdown.usage.add(&entry.usage);
    breakdown.cost_usd += entry.cost_usd;
    breakdown.is_unpriced |= entry.is_unpriced;
}

/// Remembers the date of each UTC hour that falls on one local date (all of them, except the
/// hours with a zone transition or a half-hour offset's midnight inside): entries cluster in
/// hours, and a zone lookup plus formatting per entry cost more than the rest of the report.
#[derive(Default)]
struct DateMemo {
    by_hour: HashMap<i64, Arc<str>>,
}

impl DateMemo {
    fn date(&mut self, timestamp_ms: i64, time_zone: &TimeZone) -> Arc<str> {
        let hour_start = crate::timestamp::floor_to_hour(timestamp_ms);
        if let Some(date) = self.by_hour.get(&hour_start) {
            return Arc::clone(date);
        }
        let hour_end = hour_start + crate::timestamp::MS_PER_HOUR - 1;
        let start = local_date(hour_start, time_zone);
        if start != local_date(hour_end, time_zone) {
            return local_date(timestamp_ms, time_zone).into();
        }
        let date: Arc<str> = start.into();
        self.by_hour.insert(hour_start, Arc::clone(&date));
        date
    }
}

/// The `YYYY-MM-DD` date of `timestamp_ms` in `time_zone`.
pub fn local_date(timestamp_ms: i64, time_zone: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(timestamp_ms) {
        Ok(timestamp) => {
            let date = time_zone.to_datetime(timestamp).date();
            format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
        }
        Err(_) => crate::timestamp::format_timestamp_ms(timestamp_ms)[..10].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::parse_timestamp_ms;

    fn entry(text: &str, model: Option<&str>, cost: f64) -> UsageEntry {
        UsageEntry {
            timestamp_ms: parse_timestamp_ms(text).unwrap(),
            message_id: None,
            request_id: None,
            model: model.map(Into::into),
            display_model: model.map(Into::into),
            usage: TokenUsage {
                input_tokens: 1,
                ..TokenUsage::default()
            },
            cost_usd: cost,
            is_unpriced: model == Some("mystery"),
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
    fn groups_by_local_date_and_orders_breakdowns_by_cost() {
        let entries = [
            entry("2026-01-05T23:30:00.000Z", Some("a"), 1.0),
            entry("2026-01-05T10:00:00.000Z", Some("b"), 2.0),
            entry("2026-01-05T11:00:00.000Z", None, 0.0),
            entry("2026-01-05T12:00:00.000Z", Some("mystery"), 0.0),
        ];
        let utc = daily_report(&entries, &TimeZone::UTC);
        assert_eq!(utc.rows.len(), 1);
        let row = &utc.rows[0];
        assert_eq!(row.usage.input_tokens, 4);
        let used: Vec<&str> = row.models_used.iter().map(|m| &**m).collect();
        assert_eq!(used, ["a", "b", "mystery"]);
        let by_cost: Vec<&str> = row.breakdowns.iter().map(|b| &*b.model_name).collect();
        assert_eq!(by_cost, ["b", "a", "mystery"]);
        assert_eq!(utc.unpriced_models, vec![Arc::<str>::from("mystery")]);

        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let dates: Vec<String> = daily_report(&entries, &tokyo)
            .rows
            .into_iter()
            .map(|r| r.date)
            .collect();
        assert_eq!(dates, ["2026-01-05", "2026-01-06"]);
    }

    #[test]
    fn empty_total_cost_is_negative_zero() {
        let report = daily_report(&[], &TimeZone::UTC);
        assert!(report.total_cost_usd.is_sign_negative());
    }

    #[test]
    fn date_memo_agrees_with_direct_lookup_around_midnight() {
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let mut memo = DateMemo::default();
        let start = parse_timestamp_ms("2026-01-05T17:00:00Z").unwrap();
        for step in 0..240 {
            let ms = start + step * 60_000;
            assert_eq!(
                &*memo.date(ms, &kolkata),
                local_date(ms, &kolkata),
                "{step}"
            );
        }
    }
}
