//! Timestamps: the strict transcript timestamp parser and the ISO formatter used in reports.
//!
//! Claude Code writes `YYYY-MM-DDTHH:MM:SS.mmmZ`. ccusage 20.0.24 accepts exactly four shapes
//! (lengths 20, 24, 25 and 29: optional milliseconds, `Z` or `±HH:MM`) and drops a line with any
//! other timestamp (`docs/ccusage-rules.md`, section 2.3); this module reproduces that, in UTC
//! milliseconds.

/// Milliseconds in one minute.
pub(crate) const MS_PER_MINUTE: i64 = 60_000;
/// Milliseconds in one hour.
pub(crate) const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Parses a transcript timestamp into UTC milliseconds since the Unix epoch.
///
/// Returns `None` for anything ccusage 20.0.24 rejects: microseconds, numeric timestamps,
/// missing zone, impossible dates or times. Offset digits are not range-checked, as in ccusage.
pub fn parse_timestamp_ms(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (millis, zone) = match bytes.len() {
        20 | 25 if matches!(bytes[19], b'Z' | b'+' | b'-') => (0, &bytes[19..]),
        24 | 29 if bytes[19] == b'.' => (digits(&bytes[20..23])?, &bytes[23..]),
        _ => return None,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return None;
    }
    let year = i64::from(digits(&bytes[0..4])?);
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    let hour = i64::from(digits(&bytes[11..13])?);
    let minute = i64::from(digits(&bytes[14..16])?);
    let second = i64::from(digits(&bytes[17..19])?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let offset_minutes = zone_offset_minutes(zone)?;
    let days = days_from_civil(year, month, day);
    let local_ms = days * MS_PER_DAY
        + hour * MS_PER_HOUR
        + minute * MS_PER_MINUTE
        + second * 1_000
        + i64::from(millis);
    Some(local_ms - offset_minutes * MS_PER_MINUTE)
}

/// Formats UTC milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form ccusage prints in JSON.
pub fn format_timestamp_ms(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / MS_PER_HOUR,
        in_day % MS_PER_HOUR / MS_PER_MINUTE,
        in_day % MS_PER_MINUTE / 1_000,
        in_day % 1_000
    )
}

/// Floors UTC milliseconds to the start of their UTC hour (how blocks start).
pub(crate) fn floor_to_hour(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_HOUR) * MS_PER_HOUR
}

fn zone_offset_minutes(zone: &[u8]) -> Option<i64> {
    if zone == b"Z" {
        return Some(0);
    }
    if zone.len() != 6 || zone[3] != b':' {
        return None;
    }
    let minutes = i64::from(digits(&zone[1..3])? * 60 + digits(&zone[4..6])?);
    match zone[0] {
        b'+' => Some(minutes),
        b'-' => Some(-minutes),
        _ => None,
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0_u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let is_leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if is_leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_four_shapes() {
        let base = parse_timestamp_ms("2025-10-01T12:34:56.789Z").unwrap();
        assert_eq!(format_timestamp_ms(base), "2025-10-01T12:34:56.789Z");
        assert_eq!(parse_timestamp_ms("2025-10-01T12:34:56Z"), Some(base - 789));
        assert_eq!(
            parse_timestamp_ms("2025-10-01T14:34:56.789+02:00"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_ms("2025-10-01T07:04:56-05:30"),
            Some(base - 789)
        );
    }

    #[test]
    fn rejects_what_ccusage_rejects() {
        for bad in [
            "2025-10-01T12:34:56.789123Z",
            "2025-10-01 12:34:56.789Z",
            "2025-02-29T00:00:00Z",
            "2025-10-01T24:00:00Z",
            "2025-10-01T12:34:56",
            "1700000000000",
            "2025-10-01T12:34:56+0200",
            "2025-10-01T12:34:56.789+",
            "２025-10-01T12:34:56Z",
            "",
        ] {
            assert_eq!(parse_timestamp_ms(bad), None, "{bad}");
        }
        assert!(parse_timestamp_ms("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_before_the_epoch_and_floors_hours() {
        assert_eq!(format_timestamp_ms(-1), "1969-12-31T23:59:59.999Z");
        let ms = parse_timestamp_ms("2026-01-05T10:59:59.999Z").unwrap();
        assert_eq!(
            format_timestamp_ms(floor_to_hour(ms)),
            "2026-01-05T10:00:00.000Z"
        );
    }
}
