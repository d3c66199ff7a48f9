//! `claude-gauge daily|weekly|monthly|session|blocks`: the reports of `ccusage claude …`
//! 20.0.24, computed from the transcripts with its rules, with its flags, so that the JSON is
//! byte-identical to `ccusage claude <report> --json --offline` (README's command table).

mod args;
mod machines;
mod text;

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use claude_usage::{
    apply_cost_mode, last_periods_since, select_blocks, session_blocks, session_detail,
    session_report, unpriced_models, usage_report, write_blocks_json, write_session_detail_json,
    write_sessions_json, write_usage_json, BlocksJsonOptions, BlocksQuery, DateRange, DedupRules,
    PeriodKind, ScanOptions, TimeZone, TokenLimit, UsageEntry, UsageReportOptions, WeekStart,
};

use super::report_input::ReportInput;
pub(crate) use args::SharedArgs;
use gauge_daemon::unix_now_ms;
pub(crate) use text::TableStyle;

/// Flags of `daily`.
#[derive(Debug, Args)]
pub(crate) struct DailyArgs {
    #[command(flatten)]
    pub(crate) shared: SharedArgs,
    /// One row per day and project (JSON: rows grouped under `projects`).
    #[arg(short = 'i', long)]
    instances: bool,
    /// Only this project (the directory name under `projects/`).
    #[arg(short = 'p', long, value_name = "PROJECT")]
    project: Option<String>,
    /// Names to show for projects in the table: `dir=Name,dir2=Other`.
    #[arg(long, value_name = "ALIASES")]
    project_aliases: Option<String>,
    /// Only the most recent N days (1 is today).
    #[arg(long, value_name = "N", value_parser = args::periods, conflicts_with_all = ["since", "until"])]
    last: Option<u32>,
    /// One row per day and machine, from the daemon's store (JSON: rows grouped under
    /// `machines`; docs/otlp.md).
    #[arg(long, conflicts_with_all = ["instances", "project"])]
    by_machine: bool,
}

/// Flags of `weekly`.
#[derive(Debug, Args)]
pub(crate) struct WeeklyArgs {
    #[command(flatten)]
    pub(crate) shared: SharedArgs,
    /// The day weeks start on: sunday (default), monday, …, saturday.
    #[arg(short = 'w', long, value_name = "DAY", value_parser = args::week_start, default_value = "sunday")]
    start_of_week: WeekStart,
    /// Only the most recent N weeks (1 is this week).
    #[arg(long, value_name = "N", value_parser = args::periods, conflicts_with_all = ["since", "until"])]
    last: Option<u32>,
    /// One row per week and machine, from the daemon's store (as `daily --by-machine`).
    #[arg(long)]
    by_machine: bool,
}

/// Flags of `monthly`.
#[derive(Debug, Args)]
pub(crate) struct MonthlyArgs {
    #[command(flatten)]
    pub(crate) shared: SharedArgs,
    /// Only the most recent N months (1 is this month).
    #[arg(long, value_name = "N", value_parser = args::periods, conflicts_with_all = ["since", "until"])]
    last: Option<u32>,
    /// One row per month and machine, from the daemon's store (as `daily --by-machine`).
    #[arg(long)]
    by_machine: bool,
}

/// Flags of `session`.
#[derive(Debug, Args)]
pub(crate) struct SessionArgs {
    #[command(flatten)]
    pub(crate) shared: SharedArgs,
    /// One session's entries (the id a line or a transcript path names).
    #[arg(short = 'i', long, value_name = "ID")]
    id: Option<String>,
}

/// Flags of `blocks`.
#[derive(Debug, Args)]
pub(crate) struct BlocksArgs {
    #[command(flatten)]
    pub(crate) shared: SharedArgs,
    /// Only the active block, with its projection.
    #[arg(short = 'a', long)]
    active: bool,
    /// Only blocks of the last three days (and the active one).
    #[arg(short = 'r', long)]
    recent: bool,
    /// Token limit for the quota columns: a number, or `max` (the largest past block).
    #[arg(short = 't', long, value_name = "N|max")]
    token_limit: Option<String>,
    /// Block length in hours (default 5).
    #[arg(short = 'n', long, value_name = "HOURS", value_parser = args::hours, default_value = "5")]
    session_length: f64,
}

/// Runs `daily`.
pub(crate) fn daily(
    args: &DailyArgs,
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    let shared = &args.shared;
    let now_ms = unix_now_ms();
    let time_zone = report_zone(shared);
    let entries = if args.by_machine {
        machines::entries(input, shared)?
    } else {
        read_entries(input, DedupRules::Daily, shared, args.project.as_deref())?
    };
    let options = UsageReportOptions {
        kind: PeriodKind::Daily,
        range: range(
            shared,
            args.last.map(|n| (PeriodKind::Daily, n)),
            now_ms,
            &time_zone,
        ),
        time_zone,
        order: shared.order,
        by_project: args.instances || args.project.is_some(),
    };
    let report = if args.by_machine {
        machines::report(&entries, &options)
    } else {
        usage_report(&entries, &options)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if shared.json && args.by_machine {
        machines::write_json(&mut out, &report)?;
    } else if shared.json {
        write_usage_json(&mut out, &report, args.instances)?;
    } else {
        warn_unpriced(&entries);
        if args.by_machine {
            machines::write_table(&mut out, &report, shared, style)?;
        } else {
            let aliases = text::project_aliases(args.project_aliases.as_deref());
            text::usage_table(&mut out, &report, args.instances, &aliases, shared, style)?;
        }
    }
    out.flush()?;
    leave_for_exit(entries);
    Ok(ExitCode::SUCCESS)
}

/// Runs `weekly`.
pub(crate) fn weekly(
    args: &WeeklyArgs,
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    period_report(
        &args.shared,
        PeriodKind::Weekly(args.start_of_week),
        (args.last, args.by_machine),
        input,
        style,
    )
}

/// Runs `monthly`.
pub(crate) fn monthly(
    args: &MonthlyArgs,
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    let last_and_machines = (args.last, args.by_machine);
    period_report(
        &args.shared,
        PeriodKind::Monthly,
        last_and_machines,
        input,
        style,
    )
}

/// `weekly` and `monthly`; `(last, by_machine)`: `--last N`, `--by-machine`.
fn period_report(
    shared: &SharedArgs,
    kind: PeriodKind,
    (last, by_machine): (Option<u32>, bool),
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    let now_ms = unix_now_ms();
    let time_zone = report_zone(shared);
    let entries = if by_machine {
        machines::entries(input, shared)?
    } else {
        read_entries(input, DedupRules::Regular, shared, None)?
    };
    let options = UsageReportOptions {
        kind,
        range: range(shared, last.map(|n| (kind, n)), now_ms, &time_zone),
        time_zone,
        order: shared.order,
        by_project: false,
    };
    let report = if by_machine {
        machines::report(&entries, &options)
    } else {
        usage_report(&entries, &options)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if shared.json && by_machine {
        machines::write_json(&mut out, &report)?;
    } else if shared.json {
        write_usage_json(&mut out, &report, false)?;
    } else {
        warn_unpriced(&entries);
        if by_machine {
            machines::write_table(&mut out, &report, shared, style)?;
        } else {
            text::usage_table(&mut out, &report, false, &[], shared, style)?;
        }
    }
    out.flush()?;
    leave_for_exit(entries);
    Ok(ExitCode::SUCCESS)
}

/// Runs `session`.
pub(crate) fn session(
    args: &SessionArgs,
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    let shared = &args.shared;
    let entries = read_entries(input, DedupRules::Regular, shared, None)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(id) = &args.id {
        let detail = session_detail(&entries, id);
        if shared.json {
            write_session_detail_json(&mut out, detail.as_ref())?;
        } else {
            text::session_detail(&mut out, id, detail.as_ref())?;
        }
    } else {
        let range = range(shared, None, 0, &TimeZone::UTC);
        let zone = report_zone(shared);
        let report = session_report(&entries, &zone, &range);
        if shared.json {
            write_sessions_json(&mut out, &report)?;
        } else {
            warn_unpriced(&entries);
            text::session_table(&mut out, &report, shared, style)?;
        }
    }
    out.flush()?;
    leave_for_exit(entries);
    Ok(ExitCode::SUCCESS)
}

/// Runs `blocks`.
pub(crate) fn blocks(
    args: &BlocksArgs,
    input: &ReportInput,
    style: &TableStyle,
) -> anyhow::Result<ExitCode> {
    let shared = &args.shared;
    if args.session_length <= 0.0 {
        anyhow::bail!(
            "--session-length {}: session length must be a positive number of hours",
            args.session_length
        );
    }
    // ccusage's block length in whole milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let length_ms = (args.session_length * 3_600_000.0) as i64;
    let entries = read_entries(input, DedupRules::Regular, shared, None)?;
    let now_ms = unix_now_ms();
    let query = BlocksQuery {
        time_zone: report_zone(shared),
        range: range(shared, None, now_ms, &TimeZone::UTC),
        order: shared.order,
        is_recent_only: args.recent,
        is_active_only: args.active,
    };
    let blocks = select_blocks(session_blocks(&entries, now_ms, length_ms), &query, now_ms);
    let token_limit = args
        .token_limit
        .as_deref()
        .and_then(TokenLimit::parse)
        .and_then(|limit| limit.resolve(&blocks));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if shared.json {
        let options = BlocksJsonOptions {
            active_only: false,
            token_limit,
        };
        write_blocks_json(&mut out, &blocks, now_ms, options)?;
    } else {
        // The table's `%` column uses the largest block even without `--token-limit`, and an
        // unreadable limit means none, as in ccusage.
        let table_limit = match args.token_limit.as_deref() {
            None => Some(TokenLimit::Max),
            Some(text) => TokenLimit::parse(text),
        }
        .and_then(|limit| limit.resolve(&blocks));
        text::blocks_table(
            &mut out,
            &blocks,
            now_ms,
            table_limit,
            args.active,
            shared,
            style,
        )?;
    }
    out.flush()?;
    leave_for_exit(entries);
    Ok(ExitCode::SUCCESS)
}

/// ccusage's warning (the text usage and session reports only; the JSON lists them in
/// `unpricedModels`) for each model no offline price covers: its cost counts as $0.
fn warn_unpriced(entries: &[UsageEntry]) {
    for model in unpriced_models(entries) {
        eprintln!("WARN  Missing embedded pricing for {model}; cost excludes this model.");
    }
}

fn report_zone(shared: &SharedArgs) -> TimeZone {
    shared.timezone.clone().unwrap_or_else(TimeZone::system)
}

/// `--since`/`--until`, or the first day of the last N periods (`last`: the period kind, N).
fn range(
    shared: &SharedArgs,
    last: Option<(PeriodKind, u32)>,
    now_ms: i64,
    zone: &TimeZone,
) -> DateRange {
    match last {
        Some((kind, periods)) => DateRange {
            since: Some(last_periods_since(kind, periods, now_ms, zone)),
            until: None,
        },
        None => DateRange {
            since: shared.since.clone(),
            until: shared.until.clone(),
        },
    }
}

/// Hands `entries` to the process's exit instead of freeing them one by one: a report is the
/// last thing the command does, and freeing a history of entries (two strings each) costs a
/// measurable part of a warm report (`docs/performance.md`, "Warm reports").
fn leave_for_exit(entries: Vec<UsageEntry>) {
    std::mem::forget(entries);
}

/// Every transcript's entries (only `project`'s with `--project`) and, with a store, the stored
/// requests whose transcripts are gone (`docs/history.md`), deduplicated with `rules` in
/// ccusage's canonical order, priced for `--mode`.
fn read_entries(
    input: &ReportInput,
    rules: DedupRules,
    shared: &SharedArgs,
    project: Option<&str>,
) -> anyhow::Result<Vec<UsageEntry>> {
    let options = ScanOptions {
        threads: usize::from(shared.single_thread),
        ..ScanOptions::default()
    };
    let mut entries = input.entries(rules, project, &options)?;
    apply_cost_mode(&mut entries, shared.mode, &options.prices);
    Ok(entries)
}
