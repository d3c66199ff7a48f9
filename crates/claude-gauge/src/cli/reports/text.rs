//! The text output of the reports: ccusage's tables, sized to the terminal.

use std::io::{self, Write};

use claude_usage::{
    write_blocks_table, write_daily_table, SessionBlock, SessionDetail, SessionReport, UsageReport,
};

use super::{BlocksArgs, SharedArgs};

/// How tables are drawn: the terminal's width and whether to colour.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableStyle {
    /// `COLUMNS`, when set to a number.
    pub(crate) columns: Option<usize>,
    /// Colour (from `--color`/`--no-color`, `FORCE_COLOR`, `NO_COLOR`).
    pub(crate) color: bool,
}

/// `--project-aliases dir=Name,dir2=Other` as pairs.
pub(crate) fn project_aliases(text: Option<&str>) -> Vec<(String, String)> {
    text.unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(dir, name)| (dir.trim().to_string(), name.trim().to_string()))
        .filter(|(dir, name)| !dir.is_empty() && !name.is_empty())
        .collect()
}

pub(crate) fn usage_table<W: Write>(
    out: &mut W,
    report: &UsageReport,
    _instances: bool,
    _aliases: &[(String, String)],
    _shared: &SharedArgs,
    _style: &TableStyle,
) -> io::Result<()> {
    write_daily_table(out, report)
}

pub(crate) fn session_table<W: Write>(
    out: &mut W,
    report: &SessionReport,
    _shared: &SharedArgs,
    _style: &TableStyle,
) -> io::Result<()> {
    for row in &report.rows {
        writeln!(
            out,
            "{} {} {:.2}",
            row.project_path, row.session_id, row.usage.total_cost_usd
        )?;
    }
    Ok(())
}

pub(crate) fn session_detail<W: Write>(
    out: &mut W,
    id: &str,
    detail: Option<&SessionDetail>,
) -> io::Result<()> {
    let Some(detail) = detail else {
        eprintln!("No session found with ID: {id}");
        return Ok(());
    };
    writeln!(out, "Claude Code Session Usage - {id}")?;
    writeln!(out, "Total Cost: ${:.2}", detail.total_cost_usd)?;
    writeln!(out, "Total Tokens: {}", detail.total_tokens)?;
    writeln!(out, "Total Entries: {}", detail.entries.len())
}

pub(crate) fn blocks_table<W: Write>(
    out: &mut W,
    blocks: &[SessionBlock],
    now_ms: i64,
    _token_limit: Option<u64>,
    _args: &BlocksArgs,
    _style: &TableStyle,
) -> io::Result<()> {
    write_blocks_table(out, blocks, now_ms)
}
