//! The text output of the reports: ccusage 20.0.24's tables, fitted to the terminal, and its
//! messages when there is nothing to show.

use std::io::{self, Write};

use claude_usage::{
    write_active_block, write_blocks_table, write_session_table, write_usage_table, SessionBlock,
    SessionDetail, SessionReport, TableLook, TimeZone, UsageReport, NO_ACTIVE_BLOCK, NO_BLOCKS,
    NO_USAGE_DATA,
};

use super::SharedArgs;

/// ccusage's width when there is no terminal and no `COLUMNS`.
const DEFAULT_WIDTH: usize = 120;
/// Below this width a terminal gets the compact usage table.
const USAGE_COMPACT_BELOW: usize = 100;
/// Below this width a terminal gets the compact blocks table.
const BLOCKS_COMPACT_BELOW: usize = 120;

/// The terminal the tables are drawn for.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableStyle {
    /// `COLUMNS`, else the terminal's width, when known.
    pub(crate) columns: Option<usize>,
    /// Stdout is a terminal.
    pub(crate) is_terminal: bool,
    /// Colour (from `--color`/`--no-color`, `NO_COLOR`, `FORCE_COLOR`, a terminal).
    pub(crate) color: bool,
}

impl TableStyle {
    /// The look of a table whose compact layout starts below `compact_below` columns: compact
    /// with `--compact`, or on a terminal that narrow (as ccusage; a pipe keeps every column).
    fn look(&self, shared: &SharedArgs, compact_below: usize) -> TableLook {
        let width = self.columns.filter(|w| *w > 0).unwrap_or(DEFAULT_WIDTH);
        TableLook {
            width,
            is_colored: self.color,
            is_compact: shared.compact || (self.is_terminal && width < compact_below),
        }
    }
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

fn compact_note(look: &TableLook) {
    if look.is_compact {
        eprintln!("\nRunning in Compact Mode");
        eprintln!("Expand terminal width to see cache metrics and total tokens");
    }
}

/// The daily, weekly or monthly table, or ccusage's message on stderr when it is empty.
pub(crate) fn usage_table<W: Write>(
    out: &mut W,
    report: &UsageReport,
    instances: bool,
    aliases: &[(String, String)],
    shared: &SharedArgs,
    style: &TableStyle,
) -> io::Result<()> {
    let look = style.look(shared, USAGE_COMPACT_BELOW);
    if write_usage_table(out, report, instances, aliases, shared.breakdown, &look)? {
        compact_note(&look);
    } else {
        eprintln!("{NO_USAGE_DATA}");
    }
    Ok(())
}

/// The session table, or ccusage's message when it is empty.
pub(crate) fn session_table<W: Write>(
    out: &mut W,
    report: &SessionReport,
    shared: &SharedArgs,
    style: &TableStyle,
) -> io::Result<()> {
    let look = style.look(shared, USAGE_COMPACT_BELOW);
    if write_session_table(out, report, shared.breakdown, &look)? {
        compact_note(&look);
    } else {
        eprintln!("{NO_USAGE_DATA}");
    }
    Ok(())
}

/// `session --id`: the session's totals, or ccusage's message on stderr.
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
    writeln!(
        out,
        "Total Cost: {}",
        claude_usage::format_currency(detail.total_cost_usd)
    )?;
    writeln!(
        out,
        "Total Tokens: {}",
        claude_usage::format_number(detail.total_tokens)
    )?;
    writeln!(out, "Total Entries: {}", detail.entries.len())
}

/// The blocks table (`--active` with one block: its detail view), or ccusage's messages.
pub(crate) fn blocks_table<W: Write>(
    out: &mut W,
    blocks: &[SessionBlock],
    now_ms: i64,
    token_limit: Option<u64>,
    is_active_only: bool,
    shared: &SharedArgs,
    style: &TableStyle,
) -> io::Result<()> {
    let look = style.look(shared, BLOCKS_COMPACT_BELOW);
    match blocks {
        [] if is_active_only => writeln!(out, "{NO_ACTIVE_BLOCK}"),
        [block] if is_active_only => write_active_block(out, block, now_ms, token_limit, &look),
        _ => {
            if !write_blocks_table(out, blocks, now_ms, token_limit, &TimeZone::system(), &look)? {
                eprintln!("{NO_BLOCKS}");
            }
            Ok(())
        }
    }
}
