//! Plain-text tables of the reports, for a terminal or a log: fixed columns, no colour.

use std::io::{self, Write};

use crate::{
    report::{blocks::SessionBlock, daily::UsageReport},
    timestamp::format_timestamp_ms,
};

/// The width of the columns before `Models` in the daily table, with their separators.
const DAILY_MODELS_AT: usize = 10 + 2 + 12 + 2 + 12 + 2 + 14 + 2 + 14 + 2 + 14 + 2 + 10 + 2;

/// Writes the daily report as a table: one row per day and a total row. The Models column
/// wraps: one model per line, as ccusage lists them, so a day of many models stays readable
/// in a terminal of any width.
pub fn write_daily_table<W: Write>(out: &mut W, report: &UsageReport) -> io::Result<()> {
    writeln!(
        out,
        "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10}  Models",
        "Date", "Input", "Output", "Cache create", "Cache read", "Total tokens", "Cost USD"
    )?;
    for row in &report.rows {
        let mut models = row.models_used.iter().map(|m| format!("- {m}"));
        writeln!(
            out,
            "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10.2}  {}",
            row.period,
            row.usage.input_tokens,
            row.usage.output_tokens,
            row.usage.cache_creation_tokens(),
            row.usage.cache_read_tokens,
            row.usage.total_tokens(),
            row.total_cost_usd,
            models.next().unwrap_or_default()
        )?;
        for model in models {
            writeln!(out, "{:DAILY_MODELS_AT$}{model}", "")?;
        }
    }
    let usage = &report.totals.usage;
    writeln!(
        out,
        "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10.2}",
        "Total",
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation_tokens(),
        usage.cache_read_tokens,
        usage.total_tokens(),
        report.totals.total_cost_usd.abs()
    )
}

/// Writes blocks as a table (times in UTC); gaps are shown as such.
pub fn write_blocks_table<W: Write>(
    out: &mut W,
    blocks: &[SessionBlock],
    now_ms: i64,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<24}  {:<8}  {:>8}  {:>14}  {:>10}  Models",
        "Block start (UTC)", "Status", "Entries", "Total tokens", "Cost USD"
    )?;
    for block in blocks {
        let status = match (block.is_gap, block.is_active) {
            (true, _) => "gap",
            (false, true) => "ACTIVE",
            (false, false) => "",
        };
        let models: Vec<&str> = block.models.iter().map(|m| &**m).collect();
        writeln!(
            out,
            "{:<24}  {:<8}  {:>8}  {:>14}  {:>10.2}  {}",
            format_timestamp_ms(block.start_ms),
            status,
            block.entry_count,
            block.usage.total_tokens(),
            block.cost_usd,
            models.join(", ")
        )?;
        if let (true, Some(projection)) = (block.is_active, block.projection(now_ms)) {
            writeln!(
                out,
                "{:<24}  {:<8}  {:>8}  {:>14}  {:>10.2}  {} min left",
                "",
                "PROJECTED",
                "",
                projection.total_tokens,
                projection.total_cost_usd,
                projection.remaining_minutes
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::report::daily::daily_report;

    #[test]
    fn renders_header_and_total() {
        let mut out = Vec::new();
        write_daily_table(&mut out, &daily_report(&[], &TimeZone::UTC)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Date"));
        assert!(text.lines().last().unwrap().starts_with("Total"));
        let mut out = Vec::new();
        write_blocks_table(&mut out, &[], 0).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }

    #[test]
    fn the_models_column_wraps_one_model_per_line() {
        let mut report = daily_report(&[], &TimeZone::UTC);
        report.rows.push(crate::report::summary::UsageRow {
            period: "2026-11-27".into(),
            project: None,
            usage: Default::default(),
            total_cost_usd: 1.5,
            models_used: vec!["opus-4-5".into(), "sonnet-4-5".into(), "haiku-4-5".into()],
            breakdowns: Vec::new(),
        });
        let mut out = Vec::new();
        write_daily_table(&mut out, &report).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let at = lines[0].find("Models").unwrap();
        assert_eq!(at, DAILY_MODELS_AT);
        assert!(lines[1].starts_with("2026-11-27"));
        assert_eq!(&lines[1][at..], "- opus-4-5");
        assert_eq!(lines[2], format!("{}- sonnet-4-5", " ".repeat(at)));
        assert_eq!(lines[3], format!("{}- haiku-4-5", " ".repeat(at)));
        assert!(lines[4].starts_with("Total"));
    }
}
