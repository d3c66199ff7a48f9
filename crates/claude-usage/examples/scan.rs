//! Cold scan of a Claude data directory, printing totals (the benchmark's "ours" side).
//!
//! `cargo run --release -p claude-usage --example scan -- [--threads N] [--report daily|blocks]
//! [--timezone TZ] <CLAUDE_CONFIG_DIR value>`
//!
//! Without `--report` it prints one line of totals as `claude-gauge` would reach them with the
//! `claude daily` rules; with it, the ccusage-shaped JSON report.

use std::{
    io::{self, Write},
    process::ExitCode,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use claude_usage::{
    daily_report, parse_time_zone, resolve_roots, scan_files_each, session_blocks, usage_files,
    write_blocks_json, write_daily_json, BlocksJsonOptions, DedupRules, Deduper, LineCounts,
    ScanOptions, DEFAULT_SESSION_LENGTH_MS,
};

struct Args {
    threads: usize,
    report: Option<String>,
    timezone: String,
    config_dir: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        threads: 0,
        report: None,
        timezone: "UTC".to_string(),
        config_dir: String::new(),
    };
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--threads" => {
                args.threads = value()?.parse().map_err(|_| "--threads takes a number")?;
            }
            "--report" => args.report = Some(value()?),
            "--timezone" => args.timezone = value()?,
            _ => args.config_dir = arg,
        }
    }
    if args.config_dir.is_empty() {
        return Err("usage: scan [--threads N] [--report daily|blocks] [--timezone TZ] DIR".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("scan: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let started = Instant::now();
    let roots = resolve_roots(Some(&args.config_dir), None, None).map_err(|e| e.to_string())?;
    let files = usage_files(&roots);
    let options = ScanOptions {
        threads: args.threads,
        ..ScanOptions::default()
    };
    let rules = match args.report.as_deref() {
        Some("blocks") => DedupRules::Regular,
        _ => DedupRules::Daily,
    };
    // Dedup on this thread while the workers scan: files arrive in canonical order.
    let mut deduper = Deduper::new(rules);
    let (mut counts, mut bytes, mut entry_count) = (LineCounts::default(), 0, 0);
    scan_files_each(&files, &options, |file| {
        counts.add(&file.counts);
        bytes += file.end_offset;
        entry_count += file.entries.len();
        deduper.extend(file.entries);
    });
    let entries = deduper.into_entries();
    let scan_ms = started.elapsed().as_millis();
    let time_zone = parse_time_zone(&args.timezone).map_err(|e| e.to_string())?;
    let mut out = io::stdout().lock();
    match args.report.as_deref() {
        Some("blocks") => {
            let now_ms = i64::try_from(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis()),
            )
            .unwrap_or(i64::MAX);
            let blocks = session_blocks(&entries, now_ms, DEFAULT_SESSION_LENGTH_MS);
            write_blocks_json(&mut out, &blocks, now_ms, BlocksJsonOptions::default())
        }
        Some("daily") => write_daily_json(&mut out, &daily_report(&entries, &time_zone)),
        Some(other) => return Err(format!("unknown report {other:?}: use daily or blocks")),
        None => {
            let report = daily_report(&entries, &time_zone);
            writeln!(
                out,
                "files={} bytes={bytes} lines={} malformed={} entries={entry_count} \
                 deduped={} total_tokens={} cost_usd={:.2} scan_and_dedup_ms={scan_ms} \
                 elapsed_ms={}",
                files.len(),
                counts.usage_lines + counts.skipped_lines + counts.malformed_lines,
                counts.malformed_lines,
                entries.len(),
                report.totals.usage.total_tokens(),
                report.totals.total_cost_usd,
                started.elapsed().as_millis()
            )
        }
    }
    .map_err(|e| e.to_string())
}
