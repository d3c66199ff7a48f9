//! Plain-text tables of the reports, for a terminal or a log: fixed columns, no colour.

use std::io::{self, Write};

use crate::{
    report::{blocks::SessionBlock, daily::DailyReport},
    timestamp::format_timestamp_ms,
};

/// Writes the daily report as a table: one row per day and a total row.
pub fn write_daily_table<W: Write>(out: &mut W, report: &DailyReport) -> io::Result<()> {
    writeln!(
        out,
        "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10}  Models",
        "Date", "Input", "Output", "Cache create", "Cache read", "Total tokens", "Cost USD"
    )?;
    for row in &report.rows {
        let models: Vec<&str> = row.models_used.iter().map(|m| &**m).collect();
        writeln!(
            out,
            "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10.2}  {}",
            row.date,
            row.usage.input_tokens,
            row.usage.output_tokens,
            row.usage.cache_creation_tokens(),
            row.usage.cache_read_tokens,
            row.usage.total_tokens(),
            row.total_cost_usd,
            models.join(", ")
        )?;
    }
    let usage = &report.usage;
    writeln!(
        out,
        "{:<10}  {:>12}  {:>12}  {:>14}  {:>14}  {:>14}  {:>10.2}",
        "Total",
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation_tokens(),
        usage.cache_read_tokens,
        usage.total_tokens(),
        report.total_cost_usd.abs()
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
}
