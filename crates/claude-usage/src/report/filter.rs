//! The report options every ccusage report shares: the `--since`/`--until` date range, the
//! `--order` of rows, `--last N` periods, and the week's first day (`docs/ccusage-rules.md`,
//! section 8).

use jiff::{civil::Date, tz::TimeZone, ToSpan};

/// An inclusive range of local dates, kept as `YYYYMMDD` strings as ccusage compares them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateRange {
    /// First date kept, `YYYYMMDD`.
    pub since: Option<String>,
    /// Last date kept, `YYYYMMDD`.
    pub until: Option<String>,
}

impl DateRange {
    /// Whether the `YYYY-MM-DD` (or `YYYYMMDD`) `date` is inside the range.
    pub fn contains(&self, date: &str) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let compact: String = date.chars().filter(|c| *c != '-').collect();
        self.since.as_deref().is_none_or(|since| *compact >= *since)
            && self.until.as_deref().is_none_or(|until| *compact <= *until)
    }
}

/// Why a `--since`/`--until` value was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid date {value:?}: expected YYYY-MM-DD or YYYYMMDD")]
pub struct DateError {
    /// The value as given.
    pub value: String,
}

/// Parses a `--since`/`--until` value: a real calendar date written `YYYYMMDD` or
/// `YYYY-MM-DD`, returned as `YYYYMMDD`.
pub fn parse_date_bound(value: &str) -> Result<String, DateError> {
    let error = || DateError {
        value: value.to_string(),
    };
    let bytes = value.as_bytes();
    let compact: String = match bytes.len() {
        8 => value.to_string(),
        10 if bytes[4] == b'-' && bytes[7] == b'-' => value.replace('-', ""),
        _ => return Err(error()),
    };
    if compact.len() != 8 || !compact.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error());
    }
    let number = |range: std::ops::Range<usize>| compact[range].parse::<i16>().map_err(|_| error());
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let month = i8::try_from(month).map_err(|_| error())?;
    let day = i8::try_from(day).map_err(|_| error())?;
    Date::new(year, month, day).map_err(|_| error())?;
    Ok(compact)
}

/// `--order`: rows by their period, oldest first (`Asc`, the default) or newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Oldest first.
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

/// The day a week starts on (`weekly --start-of-week`), Sunday by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WeekStart {
    /// Sunday.
    #[default]
    Sunday,
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
}

impl WeekStart {
    fn days_from_sunday(self) -> i8 {
        self as i8
    }

    /// The first day of the week holding `date`.
    pub fn week_of(self, date: Date) -> Date {
        let day = date.weekday().to_sunday_zero_offset();
        let shift = (day - self.days_from_sunday()).rem_euclid(7);
        date.checked_sub(i64::from(shift).days()).unwrap_or(date)
    }
}

/// The period kind of a usage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// One row per local date.
    Daily,
    /// One row per week, keyed by its first day.
    Weekly(WeekStart),
    /// One row per month, `YYYY-MM`.
    Monthly,
}

/// `--last N`: the first local date of the N most recent periods, counting the one holding
/// `now_ms` as 1, as a `--since` bound (`YYYYMMDD`).
pub fn last_periods_since(
    kind: PeriodKind,
    periods: u32,
    now_ms: i64,
    time_zone: &TimeZone,
) -> String {
    let today = jiff::Timestamp::from_millisecond(now_ms)
        .map(|now| time_zone.to_datetime(now).date())
        .unwrap_or_default();
    let back = i64::from(periods.saturating_sub(1));
    let first = match kind {
        PeriodKind::Daily => today.checked_sub(back.days()),
        PeriodKind::Weekly(start) => start.week_of(today).checked_sub((back * 7).days()),
        PeriodKind::Monthly => today.first_of_month().checked_sub(back.months()),
    }
    .unwrap_or(Date::MIN);
    format!("{:04}{:02}{:02}", first.year(), first.month(), first.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_bounds_take_both_spellings_of_real_dates_only() {
        assert_eq!(parse_date_bound("20260108").unwrap(), "20260108");
        assert_eq!(parse_date_bound("2026-01-08").unwrap(), "20260108");
        assert_eq!(parse_date_bound("20240229").unwrap(), "20240229");
        for bad in [
            "2026-1-8",
            "2026/01/08",
            "202601",
            "20261308",
            "20260229",
            "abc",
            "2026-0108",
        ] {
            assert!(parse_date_bound(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_are_inclusive() {
        let range = DateRange {
            since: Some("20260108".into()),
            until: Some("20260109".into()),
        };
        assert!(!range.contains("2026-01-07"));
        assert!(range.contains("2026-01-08"));
        assert!(range.contains("2026-01-09"));
        assert!(!range.contains("2026-01-10"));
    }

    #[test]
    fn weeks_start_on_the_chosen_day() {
        let saturday = Date::new(2026, 1, 3).unwrap();
        assert_eq!(
            WeekStart::Sunday.week_of(saturday),
            Date::new(2025, 12, 28).unwrap()
        );
        assert_eq!(
            WeekStart::Monday.week_of(saturday),
            Date::new(2025, 12, 29).unwrap()
        );
        assert_eq!(WeekStart::Saturday.week_of(saturday), saturday);
    }

    #[test]
    fn last_counts_the_current_period_as_one() {
        let now = crate::timestamp::parse_timestamp_ms("2026-11-27T10:00:00Z").unwrap();
        let utc = TimeZone::UTC;
        assert_eq!(
            last_periods_since(PeriodKind::Daily, 1, now, &utc),
            "20261127"
        );
        assert_eq!(
            last_periods_since(PeriodKind::Daily, 330, now, &utc),
            "20260102"
        );
        let weekly = PeriodKind::Weekly(WeekStart::Sunday);
        assert_eq!(last_periods_since(weekly, 46, now, &utc), "20260111");
        assert_eq!(
            last_periods_since(PeriodKind::Monthly, 11, now, &utc),
            "20260101"
        );
    }
}
