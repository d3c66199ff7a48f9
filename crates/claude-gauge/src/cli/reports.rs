//! `claude-gauge blocks` and `claude-gauge daily`: ccusage-compatible reports, computed from the
//! transcripts with ccusage 20.0.24's rules so that the JSON can be diffed against ccusage's.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use claude_usage::{
    daily_report, parse_time_zone, session_blocks, unpriced_models, write_blocks_json,
    write_blocks_table, write_daily_json, write_daily_table, BlocksJsonOptions, DedupRules,
    TimeZone, DEFAULT_SESSION_LENGTH_MS,
};

use super::report_input::{InputArgs, ReportInput};
use crate::clock::unix_now_ms;

/// Flags of `blocks`.
#[derive(Debug, Args)]
pub(crate) struct BlocksArgs {
    /// Print JSON with ccusage's field names.
    #[arg(long)]
    json: bool,
    /// Only the active block.
    #[arg(long)]
    active: bool,
    /// Store, cache and data-dir flags.
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Flags of `daily`.
#[derive(Debug, Args)]
pub(crate) struct DailyArgs {
    /// Print JSON with ccusage's field names.
    #[arg(long)]
    json: bool,
    /// Time zone that days are counted in (IANA name such as `Europe/Berlin`, or `UTC`);
    /// default: the system's.
    #[arg(long, value_name = "TZ")]
    timezone: Option<String>,
    /// Store, cache and data-dir flags.
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// Runs `blocks`.
pub(crate) fn blocks(args: &BlocksArgs, input: &ReportInput) -> anyhow::Result<ExitCode> {
    let entries = input.entries(DedupRules::Regular)?;
    let now_ms = unix_now_ms();
    let blocks = session_blocks(&entries, now_ms, DEFAULT_SESSION_LENGTH_MS);
    let mut out = std::io::stdout().lock();
    if args.json {
        write_blocks_json(
            &mut out,
            &blocks,
            now_ms,
            BlocksJsonOptions {
                active_only: args.active,
            },
        )?;
    } else {
        let shown: Vec<_> = blocks
            .into_iter()
            .filter(|b| !args.active || b.is_active)
            .collect();
        write_blocks_table(&mut out, &shown, now_ms)?;
        warn_unpriced(&unpriced_models(&entries));
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `daily`.
pub(crate) fn daily(args: &DailyArgs, input: &ReportInput) -> anyhow::Result<ExitCode> {
    let time_zone = match &args.timezone {
        Some(name) => parse_time_zone(name).with_context(|| format!("--timezone {name:?}"))?,
        None => TimeZone::system(),
    };
    let entries = input.entries(DedupRules::Daily)?;
    let report = daily_report(&entries, &time_zone);
    let mut out = std::io::stdout().lock();
    if args.json {
        write_daily_json(&mut out, &report)?;
    } else {
        write_daily_table(&mut out, &report)?;
        warn_unpriced(&report.unpriced_models);
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One stderr line naming the models no offline price covers (text reports only: the JSON
/// lists them in `unpricedModels`). Their cost counts as $0, as in ccusage 20.0.24.
fn warn_unpriced(models: &[std::sync::Arc<str>]) {
    if !models.is_empty() {
        let names: Vec<&str> = models.iter().map(|model| &**model).collect();
        eprintln!(
            "claude-gauge: warning: no offline price for {}; their cost is counted as $0",
            names.join(", ")
        );
    }
}
