//! Usage-limit messages: Claude Code writes one into the transcript when a request is refused
//! because a usage limit is reached. [`usage_limit_reset`] recognises such a line and returns when
//! the limit lifts, so the transcript source can light `LIMIT` until then
//! (`EngineInput::LimitReached`).
//!
//! Forms seen (Claude Code 2.1.330's own strings; the `|epoch` form is also the one ccusage reads,
//! `docs/ccusage-rules.md` section 2.5; the weekly form as users reported it in
//! <https://github.com/anthropics/claude-code/issues/80903>):
//! - `Claude AI usage limit reached|1750000000` (older builds: the reset as epoch seconds);
//! - `You've hit your session limit · resets 3pm (Europe/Berlin)`, also `weekly limit`,
//!   `resets Jul 27 at 4:30am (Asia/Calcutta)`;
//! - `5-hour limit reached ∙ resets 2pm`, `Your limit will reset at 3pm (America/New_York)`.
//!
//! A wall-clock reset is read in the zone it names (else the system's) as the first such moment
//! after the line's own `timestamp`. Only assistant and system lines count: a user who types
//! "usage limit reached" into a prompt must not light the lamp. Nothing here logs the text.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::Value;

/// The reset time (unix seconds) a transcript line announces, if it is a usage-limit message.
pub(crate) fn usage_limit_reset(line: &str) -> Option<i64> {
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
        .find_map(|text| reset_from_text(text, line_at))
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

/// The reset a limit message's text announces, read relative to `line_at`.
fn reset_from_text(text: &str, line_at: Timestamp) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let is_limit =
        lower.contains("limit reached") || (lower.contains("hit your") && lower.contains("limit"));
    if !is_limit {
        return None;
    }
    if let Some((_, epoch)) = text.split_once("limit reached|") {
        let digits: String = epoch.chars().take_while(char::is_ascii_digit).collect();
        return digits.parse().ok();
    }
    let at = ["resets ", "reset at ", "resets at "]
        .iter()
        .filter_map(|marker| lower.find(marker).map(|i| i + marker.len()))
        .min()?;
    wall_clock_reset(&text[at..], line_at)
}

/// Reads `3pm (Zone)`, `4:30am`, `Jul 27 at 4:30am (Zone)` as the first such moment after
/// `line_at`.
fn wall_clock_reset(text: &str, line_at: Timestamp) -> Option<i64> {
    let zone = text
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(name, _)| TimeZone::get(name.trim()).ok())
        .unwrap_or_else(TimeZone::system);
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

    #[test]
    fn epoch_form() {
        let l = line(
            "assistant",
            "Claude AI usage limit reached|1750000000",
            "2025-06-15T10:00:00Z",
        );
        assert_eq!(usage_limit_reset(&l), Some(1_750_000_000));
    }

    #[test]
    fn wall_clock_forms_in_their_zone() {
        let at = "2026-07-19T10:20:00Z"; // 12:20 in Berlin (CEST)
        let l = line(
            "assistant",
            "You've hit your session limit · resets 3pm (Europe/Berlin)",
            at,
        );
        assert_eq!(usage_limit_reset(&l), Some(secs("2026-07-19T13:00:00Z")));
        // Already past 9am in Berlin: tomorrow.
        let l = line(
            "assistant",
            "You've hit your limit · resets 9:30am (Europe/Berlin)",
            at,
        );
        assert_eq!(usage_limit_reset(&l), Some(secs("2026-07-20T07:30:00Z")));
        let l = line(
            "system",
            "You've hit your weekly limit · resets Jul 27 at 4:30am (Asia/Calcutta)",
            at,
        );
        assert_eq!(usage_limit_reset(&l), Some(secs("2026-07-26T23:00:00Z")));
        let l = line(
            "assistant",
            "Claude usage limit reached. Your limit will reset at 3pm (America/New_York).",
            at,
        );
        assert_eq!(usage_limit_reset(&l), Some(secs("2026-07-19T19:00:00Z")));
    }

    #[test]
    fn other_lines_are_not_limits() {
        let at = "2026-07-19T10:20:00Z";
        let typed = line("user", "Claude AI usage limit reached|1750000000", at);
        assert_eq!(usage_limit_reset(&typed), None);
        let chat = line("assistant", "The rate limit is 5 per second.", at);
        assert_eq!(usage_limit_reset(&chat), None);
        assert_eq!(usage_limit_reset("not json, but a limit"), None);
        assert_eq!(
            usage_limit_reset(r#"{"type":"assistant","message":{"content":"limit reached|5"}}"#),
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
}
