//! `claude-gauge machines`: the usage a hub holds of each machine (`GET /stats`, `machines`),
//! as a table with a total line, or the daemon's JSON (docs/otlp.md, "One hub for many
//! machines").

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use super::daemon_token::{self, DaemonToken};
use gauge_daemon::MachineUsage;

/// How long to wait for the daemon.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Flags of `machines`.
#[derive(Debug, Args)]
pub(crate) struct MachinesArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, alias = "daemon", value_name = "URL")]
    url: Option<String>,
    /// Print the daemon's `machines` JSON as is.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub(crate) fn run(
    args: MachinesArgs,
    default_url: &str,
    token: &DaemonToken,
) -> anyhow::Result<ExitCode> {
    let url = args.url.as_deref().unwrap_or(default_url);
    let body = daemon_token::get(url, "/stats", token, Instant::now() + TIMEOUT)?;
    let stats: serde_json::Value =
        serde_json::from_slice(&body).context("the daemon's /stats answer is not JSON")?;
    let machines: Vec<MachineUsage> = serde_json::from_value(stats["machines"].clone())
        .context("the daemon's /stats has no machines; is it older than this command? (claude-gauge doctor compares versions)")?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&machines)?)?;
    } else {
        render(&machines, &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one row per machine and a total row, columns as wide as their widest cell.
pub(crate) fn render(machines: &[MachineUsage], out: &mut impl Write) -> std::io::Result<()> {
    if machines.is_empty() {
        return writeln!(out, "no usage stored yet");
    }
    let row = |name: &str, m: &MachineUsage| {
        [
            name.to_string(),
            m.requests.to_string(),
            m.tokens.to_string(),
            m.input_tokens.to_string(),
            m.output_tokens.to_string(),
            m.cache_creation_tokens.to_string(),
            m.cache_read_tokens.to_string(),
            format!("${:.2}", m.cost_usd),
        ]
    };
    let header = [
        "machine",
        "requests",
        "tokens",
        "input",
        "output",
        "cache write",
        "cache read",
        "cost",
    ]
    .map(str::to_string);
    let mut rows = vec![header];
    rows.extend(machines.iter().map(|m| row(&m.host, m)));
    if machines.len() > 1 {
        rows.push(row("total", &sum(machines)));
    }
    let mut widths = [0usize; 8];
    for cells in &rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for cells in &rows {
        let mut line = format!("{:<w$}", cells[0], w = widths[0]);
        for (cell, width) in cells.iter().zip(widths).skip(1) {
            line.push_str(&format!("  {cell:>width$}"));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn sum(machines: &[MachineUsage]) -> MachineUsage {
    machines.iter().fold(
        MachineUsage {
            host: "total".into(),
            requests: 0,
            tokens: 0,
            input_tokens: 0,
            output_tokens: 0,
            cache_creation_tokens: 0,
            cache_read_tokens: 0,
            cost_usd: 0.0,
        },
        |mut total, m| {
            total.requests += m.requests;
            total.tokens += m.tokens;
            total.input_tokens += m.input_tokens;
            total.output_tokens += m.output_tokens;
            total.cache_creation_tokens += m.cache_creation_tokens;
            total.cache_read_tokens += m.cache_read_tokens;
            total.cost_usd += m.cost_usd;
            total
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(host: &str, requests: u64, input: u64, cost_usd: f64) -> MachineUsage {
        MachineUsage {
            host: host.into(),
            requests,
            tokens: input + 10,
            input_tokens: input,
            output_tokens: 10,
            cache_creation_tokens: 0,
            cache_read_tokens: 0,
            cost_usd,
        }
    }

    #[test]
    fn one_row_per_machine_and_a_total() {
        let mut out = Vec::new();
        let machines = [
            machine("laptop", 12, 12_000, 0.5),
            machine("desk", 3, 300, 0.25),
        ];
        render(&machines, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("machine  requests"), "{text}");
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["laptop", "12", "12010", "12000", "10", "0", "0", "$0.50"]
        );
        assert_eq!(
            lines[3].split_whitespace().collect::<Vec<_>>(),
            ["total", "15", "12320", "12300", "20", "0", "0", "$0.75"]
        );
        let mut out = Vec::new();
        render(&[], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "no usage stored yet\n");
    }
}
