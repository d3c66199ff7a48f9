//! The usage reports: usage per calendar day in a time zone (`ccusage claude daily`), or per
//! week or month made of those days (`weekly`, `monthly`), with per-model breakdowns and
//! totals (`docs/ccusage-rules.md`, section 5).
//!
//! A pure function of deduped entries in canonical order (which fixes the float summation
//! order and the `modelsUsed` order): [`crate::DedupRules::Daily`] for `daily`,
//! [`crate::DedupRules::Regular`] for `weekly` and `monthly`.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use jiff::tz::TimeZone;

use crate::{
    entry::UsageEntry,
    report::{
        filter::{DateRange, PeriodKind, SortOrder},
        summary::{UsageRow, UsageTotals},
    },
};

/// What a usage report (`daily`, `weekly`, `monthly`) shows.
#[derive(Debug, Clone)]
pub struct UsageReportOptions {
    /// Days, weeks or months.
    pub kind: PeriodKind,
    /// The zone that dates are counted in.
    pub time_zone: TimeZone,
    /// Days kept (`--since`, `--until`, `--last`).
    pub range: DateRange,
    /// Row order.
    pub order: SortOrder,
    /// One row per day and project (`daily --instances`, `daily --project`).
    pub by_project: bool,
}

impl UsageReportOptions {
    /// Daily rows in `time_zone`, every day, oldest first.
    pub fn daily(time_zone: TimeZone) -> Self {
        Self {
            kind: PeriodKind::Daily,
            time_zone,
            range: DateRange::default(),
            order: SortOrder::Asc,
            by_project: false,
        }
    }
}

/// A daily, weekly or monthly report.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    /// Days, weeks or months.
    pub kind: PeriodKind,
    /// Rows in the requested order.
    pub rows: Vec<UsageRow>,
    /// The rows summed in that order.
    pub totals: UsageTotals,
}

/// The daily report of `entries` in `time_zone`, every day, oldest first.
pub fn daily_report(entries: &[UsageEntry], time_zone: &TimeZone) -> UsageReport {
    usage_report(entries, &UsageReportOptions::daily(time_zone.clone()))
}

/// Groups `entries` (in canonical order) into day rows, keeps the days in range, sorts them,
/// then (weekly, monthly) merges the days into their periods in that order, as ccusage does:
/// its float sums and `modelsUsed` follow the order of the day rows.
pub fn usage_report(entries: &[UsageEntry], options: &UsageReportOptions) -> UsageReport {
    let mut days: BTreeMap<(Arc<str>, Option<Arc<str>>), UsageRow> = BTreeMap::new();
    let mut date_memo = DateMemo::default();
    for entry in entries {
        let date = date_memo.date(entry.timestamp_ms, &options.time_zone);
        let project = options.by_project.then(|| Arc::clone(&entry.project));
        days.entry((date, project))
            .or_insert_with_key(|(date, project)| UsageRow::new(date.to_string(), project.clone()))
            .add_entry(entry);
    }
    let mut rows: Vec<UsageRow> = days
        .into_values()
        .filter(|row| options.range.contains(&row.period))
        .collect();
    for row in &mut rows {
        row.finish();
    }
    sort_rows(&mut rows, options.order);
    if let PeriodKind::Weekly(_) | PeriodKind::Monthly = options.kind {
        rows = bucket_rows(&rows, options.kind);
        sort_rows(&mut rows, options.order);
    }
    let totals = UsageTotals::of(&rows);
    UsageReport {
        kind: options.kind,
        rows,
        totals,
    }
}

fn sort_rows(rows: &mut [UsageRow], order: SortOrder) {
    match order {
        SortOrder::Asc => rows.sort_by(|a, b| a.period.cmp(&b.period)),
        SortOrder::Desc => rows.sort_by(|a, b| b.period.cmp(&a.period)),
    }
}

fn bucket_rows(days: &[UsageRow], kind: PeriodKind) -> Vec<UsageRow> {
    let mut buckets: BTreeMap<String, UsageRow> = BTreeMap::new();
    for day in days {
        let key = match kind {
            PeriodKind::Monthly => day.period.get(..7).unwrap_or(&day.period).to_string(),
            PeriodKind::Weekly(start) => match day.period.parse::<jiff::civil::Date>() {
                Ok(date) => start.week_of(date).to_string(),
                Err(_) => day.period.clone(),
            },
            PeriodKind::Daily => day.period.clone(),
        };
        buckets
            .entry(key)
            .or_insert_with_key(|key| UsageRow::new(key.clone(), None))
            .add_row(day);
    }
    let mut rows: Vec<UsageRow> = buckets.into_values().collect();
    for row in &mut rows {
        row.finish();
    }
    rows
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

/// Remembers the date of each UTC hour that falls on one local date (all of them, except the
/// hours with a zone transition or a half-hour offset's midnight inside): entries cluster in
/// hours, and a zone lookup plus formatting per entry cost more than the rest of the report.
#[derive(Default)]
pub(crate) struct DateMemo {
    by_hour: HashMap<i64, Arc<str>>,
}

impl DateMemo {
    pub(crate) fn date(&mut self, timestamp_ms: i64, time_zone: &TimeZone) -> Arc<str> {
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
    use crate::{entry::TokenUsage, timestamp::parse_timestamp_ms};

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
        assert_eq!(
            utc.totals.unpriced_models,
            vec![Arc::<str>::from("mystery")]
        );

        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let dates: Vec<String> = daily_report(&entries, &tokyo)
            .rows
            .into_iter()
            .map(|r| r.period)
            .collect();
        assert_eq!(dates, ["2026-01-05", "2026-01-06"]);
    }

    #[test]
    fn weeks_and_months_merge_days_in_row_order() {
        let entries = [
            entry("2026-01-03T10:00:00.000Z", Some("a"), 1.0),
            entry("2026-01-04T10:00:00.000Z", Some("b"), 2.0),
            entry("2026-01-05T10:00:00.000Z", Some("c"), 4.0),
        ];
        let mut options = UsageReportOptions::daily(TimeZone::UTC);
        options.kind = PeriodKind::Weekly(crate::report::filter::WeekStart::Sunday);
        options.order = SortOrder::Desc;
        let weekly = usage_report(&entries, &options);
        let weeks: Vec<&str> = weekly.rows.iter().map(|r| &*r.period).collect();
        assert_eq!(weeks, ["2026-01-04", "2025-12-28"]);
        let used: Vec<&str> = weekly.rows[0].models_used.iter().map(|m| &**m).collect();
        assert_eq!(used, ["c", "b"]);
        options.kind = PeriodKind::Monthly;
        options.range.since = Some("20260104".into());
        let monthly = usage_report(&entries, &options);
        assert_eq!(monthly.rows.len(), 1);
        assert_eq!(monthly.rows[0].period, "2026-01");
        assert_eq!(monthly.totals.total_cost_usd, 6.0);
    }

    #[test]
    fn empty_total_cost_is_negative_zero() {
        let report = daily_report(&[], &TimeZone::UTC);
        assert!(report.totals.total_cost_usd.is_sign_negative());
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
