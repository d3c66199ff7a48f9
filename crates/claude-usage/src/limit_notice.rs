//! Usage-limit notices: the message Claude Code writes into a transcript when a request is
//! refused because a usage limit is reached, and when that limit lifts. It sits beside the line
//! parser, in the lines stage, and holds both rules that read it:
//! - [`usage_limit_notice`], every form Claude Code writes, for a live gauge's `LIMIT` lamp;
//! - `ccusage_limit_reset_ms`, ccusage 20.0.24's narrower rule, for an entry's
//!   [`UsageEntry::usage_limit_reset_ms`](crate::UsageEntry) (blocks read it), kept apart so
//!   reports stay exactly ccusage's.
//!
//! Forms seen (Claude Code 2.1.330's own strings; the weekly form as users reported it in
//! <https://github.com/anthropics/claude-code/issues/80903>):
//! - `Claude AI usage limit reached|1750000000` (older builds: the reset as epoch seconds);
//! - `You've hit your session limit · resets 3pm (Europe/Berlin)`, also `weekly limit`,
//!   `resets Jul 27 at 4:30am (Asia/Calcutta)`;
//! - `5-hour limit reached ∙ resets 2pm`, `Your limit will reset at 3pm (America/New_York)`.

use jiff::{
    civil::{Date, Time},
    tz::TimeZone,
    Timestamp,
};
use memchr::memmem;
use serde_json::Value;

/// A usage-limit message: when the limit lifts, and which limit it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageLimitNotice {
    /// When the limit lifts, Unix seconds.
    pub resets_at_secs: i64,
    /// Which limit the message names.
    pub window: LimitWindow,
}

/// The limit a usage-limit message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitWindow {
    /// The five-hour session limit (`session limit`, `5-hour limit`).
    Session,
    /// The weekly limit (`weekly limit`, whichever model's).
    Weekly,
    /// The message does not say (`usage limit reached|…`, `You've hit your limit`).
    Unknown,
}

/// The usage-limit notice a transcript line holds, in any form Claude Code writes.
///
/// Only assistant and system lines count: a user who types "usage limit reached" into a
/// prompt is no notice. The line needs its own `timestamp`: a wall-clock reset (`resets 3pm`)
/// is the first such moment after it, read in the zone the message names, else in
/// `fallback_zone` (the caller's choice, usually the system's zone: this crate reads no
/// environment). Nothing of the text is kept.
pub fn usage_limit_notice(line: &str, fallback_zone: &TimeZone) -> Option<UsageLimitNotice> {
    // Cheap pre-filter: almost every line is skipped without parsing.
    if !line.contains("limit") {
        return None;
    }
    let value: Value = serde_json::from_str(line).ok()?;
    let kind = value.get("type")?.as_str()?;
    if kind != "assistant" && kind != "system" {
        return None;
    }
    let line_at: Timestamp = value.get("timestamp")?.as_str()?.parse().ok()?;
    message_texts(&value)
        .into_iter()
        .find_map(|text| notice_from_text(text, line_at, fallback_zone))
}

/// ccusage 20.0.24's rule (`docs/ccusage-rules.md`, section 2.5), UTC milliseconds: only in a
/// line whose `isApiErrorMessage` is `true`, the first `Claude AI usage limit reached` in the
/// raw line, then the first `|` after it, then the run of digits after that, as Unix seconds
/// (if above 0). It reads only the `|epoch` form, and the raw bytes rather than the message
/// text, so it can differ from [`usage_limit_notice`]; reports use it to stay ccusage's.
pub(crate) fn ccusage_limit_reset_ms(line: &[u8], is_api_error_message: bool) -> Option<i64> {
    const USAGE_LIMIT_TEXT: &[u8] = b"Claude AI usage limit reached";
    if !is_api_error_message {
        return None;
    }
    let start = memmem::find(line, USAGE_LIMIT_TEXT)? + USAGE_LIMIT_TEXT.len();
    let bar = start + memchr::memchr(b'|', &line[start..])?;
    let digits = &line[bar + 1..];
    let count = digits
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    let seconds: i64 = std::str::from_utf8(&digits[..count]).ok()?.parse().ok()?;
    (seconds > 0).then(|| seconds.checked_mul(1_000)).flatten()
}

/// The texts of a transcript line: `message.content` (a string or text blocks) and `content`.
fn message_texts(value: &Value) -> Vec<&str> {
    let contents = [
        value.get("message").and_then(|m| m.get("content")),
        value.get("content"),
    ];
    let mut texts = Vec::new();
    for content in contents.into_iter().flatten() {
        match content {
            Value::String(text) => texts.push(text.as_str()),
            Value::Array(blocks) => texts.extend(
                blocks
                    .iter()
                    .filter_map(|block| block.get("text").and_then(Value::as_str)),
            ),
            _ => {}
        }
    }
    texts
}

/// The notice a message's text holds, its reset read relative to `line_at`.
fn notice_from_text(
    text: &str,
    line_at: Timestamp,
    fallback_zone: &TimeZone,
) -> Option<UsageLimitNotice> {
    let lower = text.to_ascii_lowercase();
    let is_limit =
        lower.contains("limit reached") || (lower.contains("hit your") && lower.contains("limit"));
    if !is_limit {
        return None;
    }
    let resets_at_secs = if let Some((_, epoch)) = text.split_once("limit reached|") {
        let digits: String = epoch.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()?
    } else {
        let at = ["resets ", "reset at ", "resets at "]
            .iter()
            .filter_map(|marker| lower.find(marker).map(|i| i + marker.len()))
            .min()?;
        wall_clock_reset(&text[at..], line_at, fallback_zone)?
    };
    Some(UsageLimitNotice {
        resets_at_secs,
        window: window_of(&lower),
    })
}

/// Which limit a lowercased message names.
fn window_of(lower: &str) -> LimitWindow {
    if lower.contains("weekly") {
        LimitWindow::Weekly
    } else if lower.contains("session limit") || lower.contains("5-hour limit") {
        LimitWindow::Session
    } else {
        LimitWindow::Unknown
    }
}

/// Reads `3pm (Zone)`, `4:30am`, `Jul 27 at 4:30am (Zone)` as the first such moment after
/// `line_at`, in the zone named, else in `fallback_zone`.
fn wall_clock_reset(text: &str, line_at: Timestamp, fallback_zone: &TimeZone) -> Option<i64> {
    let zone = text
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(name, _)| TimeZone::get(name.trim()).ok())
        .unwrap_or_else(|| fallback_zone.clone());
    let head = text.split('(').next().unwrap_or(text);
    let words: Vec<&str> = head
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "at")
        .collect();
    let (month_day, time_word) = match words.as_slice() {
        [month, day, time, ..] if month_of(month).is_some() => {
            (Some((month_of(month)?, day.parse::<i8>().ok()?)), *time)
        }
        [time, ..] => (None, *time),
        [] => return None,
    };
    let time = parse_clock(time_word)?;
    let local_now = line_at.to_zoned(zone.clone());
    let first_date = match month_day {
        Some((month, day)) => Date::new(local_now.year(), month, day).ok()?,
        None => local_now.date(),
    };
    // The first matching moment after the line: today or tomorrow, this year or next.
    let mut date = first_date;
    for _ in 0..2 {
        let at = date.to_datetime(time).to_zoned(zone.clone()).ok()?;
        if at.timestamp() > line_at {
            return Some(at.timestamp().as_second());
        }
        date = match month_day {
            Some((month, day)) => Date::new(date.year() + 1, month, day).ok()?,
            None => date.tomorrow().ok()?,
        };
    }
    None
}

/// `3pm`, `4:30am`, `15:00` as a time of day.
fn parse_clock(word: &str) -> Option<Time> {
    let word = word.trim_end_matches(['.', '·']).to_ascii_lowercase();
    let (digits, offset) = if let Some(d) = word.strip_suffix("am") {
        (d, Some(0))
    } else if let Some(d) = word.strip_suffix("pm") {
        (d, Some(12))
    } else {
        (word.as_str(), None)
    };
    let (hour, minute) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None => (digits.parse::<i8>().ok()?, 0),
    };
    let hour = match offset {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(offset) => hour % 12 + offset,
        None => hour,
    };
    Time::new(hour, minute, 0, 0).ok()
}

fn month_of(word: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = word.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as i8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, text: &str, timestamp: &str) -> String {
        serde_json::json!({
            "type": kind,
            "timestamp": timestamp,
            "isApiErrorMessage": true,
            "message": {"role": "assistant", "model": "<synthetic>",
                        "content": [{"type": "text", "text": text}]}
        })
        .to_string()
    }

    fn secs(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap().as_second()
    }

    /// The reset of `line` with UTC as the fallback zone.
    fn reset(line: &str) -> Option<i64> {
        usage_limit_notice(line, &TimeZone::UTC).map(|notice| notice.resets_at_secs)
    }

    fn window(text: &str) -> Option<LimitWindow> {
        let line = line("assistant", text, "2026-07-19T10:20:00Z");
        usage_limit_notice(&line, &TimeZone::UTC).map(|notice| notice.window)
    }

    #[test]
    fn epoch_form() {
        let l = line(
            "assistant",
            "Claude AI usage limit reached|1750000000",
            "2025-06-15T10:00:00Z",
        );
        assert_eq!(reset(&l), Some(1_750_000_000));
    }

    #[test]
    fn wall_clock_forms_in_their_zone() {
        let at = "2026-07-19T10:20:00Z"; // 12:20 in Berlin (CEST)
        let l = line(
            "assistant",
            "You've hit your session limit · resets 3pm (Europe/Berlin)",
            at,
        );
        assert_eq!(reset(&l), Some(secs("2026-07-19T13:00:00Z")));
        // Already past 9am in Berlin: tomorrow.
        let l = line(
            "assistant",
            "You've hit your limit · resets 9:30am (Europe/Berlin)",
            at,
        );
        assert_eq!(reset(&l), Some(secs("2026-07-20T07:30:00Z")));
        let l = line(
            "system",
            "You've hit your weekly limit · resets Jul 27 at 4:30am (Asia/Calcutta)",
            at,
        );
        assert_eq!(reset(&l), Some(secs("2026-07-26T23:00:00Z")));
        let l = line(
            "assistant",
            "Claude usage limit reached. Your limit will reset at 3pm (America/New_York).",
            at,
        );
        assert_eq!(reset(&l), Some(secs("2026-07-19T19:00:00Z")));
    }

    #[test]
    fn a_reset_without_a_zone_is_read_in_the_callers_zone() {
        let l = line(
            "assistant",
            "5-hour limit reached ∙ resets 2pm",
            "2026-07-19T10:20:00Z",
        );
        assert_eq!(reset(&l), Some(secs("2026-07-19T14:00:00Z")));
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let notice = usage_limit_notice(&l, &berlin).map(|notice| notice.resets_at_secs);
        assert_eq!(notice, Some(secs("2026-07-19T12:00:00Z")));
    }

    #[test]
    fn the_window_is_the_one_the_message_names() {
        let session = "You've hit your session limit · resets 3pm (Europe/Berlin)";
        assert_eq!(window(session), Some(LimitWindow::Session));
        assert_eq!(
            window("5-hour limit reached ∙ resets 2pm"),
            Some(LimitWindow::Session)
        );
        let weekly = "You've hit your weekly limit · resets Jul 27 at 4:30am (Asia/Calcutta)";
        assert_eq!(window(weekly), Some(LimitWindow::Weekly));
        let opus = "You've hit your Opus weekly limit · resets Jul 27 at 4:30am";
        assert_eq!(window(opus), Some(LimitWindow::Weekly));
        let epoch = "Claude AI usage limit reached|1750000000";
        assert_eq!(window(epoch), Some(LimitWindow::Unknown));
        let any = "Claude usage limit reached. Your limit will reset at 3pm (America/New_York).";
        assert_eq!(window(any), Some(LimitWindow::Unknown));
    }

    #[test]
    fn other_lines_are_not_limits() {
        let at = "2026-07-19T10:20:00Z";
        let typed = line("user", "Claude AI usage limit reached|1750000000", at);
        assert_eq!(reset(&typed), None);
        let chat = line("assistant", "The rate limit is 5 per second.", at);
        assert_eq!(reset(&chat), None);
        assert_eq!(reset("not json, but a limit"), None);
        assert_eq!(
            reset(r#"{"type":"assistant","message":{"content":"limit reached|5"}}"#),
            None,
            "no timestamp"
        );
    }

    #[test]
    fn clock_words() {
        assert_eq!(parse_clock("12am"), Time::new(0, 0, 0, 0).ok());
        assert_eq!(parse_clock("12pm"), Time::new(12, 0, 0, 0).ok());
        assert_eq!(parse_clock("4:30PM"), Time::new(16, 30, 0, 0).ok());
        assert_eq!(parse_clock("15:05"), Time::new(15, 5, 0, 0).ok());
        assert_eq!(parse_clock("13pm"), None);
    }

    #[test]
    fn the_ccusage_rule_reads_only_the_epoch_form_of_api_errors() {
        let epoch = br#"{"isApiErrorMessage":true,"x":"Claude AI usage limit reached|1750000000"}"#;
        assert_eq!(ccusage_limit_reset_ms(epoch, true), Some(1_750_000_000_000));
        assert_eq!(ccusage_limit_reset_ms(epoch, false), None);
        let zero = br#"{"x":"Claude AI usage limit reached|0"}"#;
        assert_eq!(ccusage_limit_reset_ms(zero, true), None);
        let wall = line(
            "assistant",
            "You've hit your limit · resets 3pm (UTC)",
            "2026-07-19T10:20:00Z",
        );
        assert_eq!(ccusage_limit_reset_ms(wall.as_bytes(), true), None);
    }

    #[test]
    fn the_two_rules_differ_where_ccusage_reads_the_raw_line() {
        // ccusage takes the first `|` anywhere after the text; the message reading needs
        // `limit reached|` together.
        let text = "Claude AI usage limit reached. Try again|1750000000";
        let l = line("assistant", text, "2025-06-15T10:00:00Z");
        assert_eq!(
            ccusage_limit_reset_ms(l.as_bytes(), true),
            Some(1_750_000_000_000)
        );
        assert_eq!(reset(&l), None);
    }
}
