//! The startup summary as `serve` prints it on stderr: one line per gauge saying what it shows
//! and from where, and a warning when there are no transcripts to read.

use std::io::Write;

use jiff::tz::TimeZone;

use gauge_daemon::StartupReport;
use gauge_daemon::{FuelSummary, LimitOrigin, TachSummary, Unknown};

/// Writes `report`; reset times in `tz`, relative to `now_secs`.
pub(crate) fn render(
    report: &StartupReport,
    now_secs: i64,
    tz: &TimeZone,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let summary = &report.summary;
    let fuel = |fuel: &FuelSummary| fuel_line(fuel, now_secs, tz);
    writeln!(out, "claude-gauge: 5h: {}", fuel(&summary.fuel_5h))?;
    writeln!(out, "claude-gauge: tach: {}", tach_line(summary.tach))?;
    writeln!(out, "claude-gauge: 7d: {}", fuel(&summary.fuel_7d))?;
    if !report.roots_without_projects.is_empty() {
        let roots: Vec<String> = report
            .roots_without_projects
            .iter()
            .map(|root| root.display().to_string())
            .collect();
        writeln!(
            out,
            "claude-gauge: warning: no projects/ directory in {}: no transcripts to read until Claude Code writes one (set CLAUDE_CONFIG_DIR if its data is elsewhere)",
            roots.join(", ")
        )?;
    }
    Ok(())
}

fn fuel_line(fuel: &FuelSummary, now_secs: i64, tz: &TimeZone) -> String {
    let resets = |at: Option<i64>| {
        at.map(|secs| format!(", resets {}", clock_time(secs, now_secs, tz)))
            .unwrap_or_default()
    };
    match fuel {
        FuelSummary::Official {
            used_pct,
            resets_at_secs,
            origin,
        } => format!(
            "official, {used_pct:.0} % used (from {origin}){}",
            resets(*resets_at_secs)
        ),
        FuelSummary::Estimate {
            used_pct,
            limit_tokens,
            limit,
            resets_at_secs,
        } => {
            let origin = match limit {
                LimitOrigin::Configured => "configured".to_string(),
                LimitOrigin::Learned => "learned from official readings".to_string(),
                LimitOrigin::History { completed_blocks } => {
                    let plural = if *completed_blocks == 1 { "" } else { "s" };
                    format!("P90 of {completed_blocks} block{plural}")
                }
                LimitOrigin::Default => "no history yet: the default".to_string(),
            };
            format!(
                "estimate, {used_pct:.0} % of {} tokens ({origin}){}",
                short_tokens(*limit_tokens),
                resets(*resets_at_secs)
            )
        }
        FuelSummary::Unknown(why) => match why {
            Unknown::NoUsage => "unknown — no usage seen yet".to_string(),
            Unknown::NoLimit7d => {
                "unknown — set limits.tokens_7d or run install-statusline".to_string()
            }
            Unknown::WaitingForPrometheus => {
                "unknown — waiting for the first Prometheus reading".to_string()
            }
        },
    }
}

fn tach_line(tach: TachSummary) -> String {
    let from = if tach.is_from_prometheus {
        "Prometheus"
    } else {
        "local requests"
    };
    format!(
        "{} tokens/min now, from {from}",
        short_tokens(tach.tokens_per_min)
    )
}

/// `66.8k`, `1.2M`, `950`.
pub(crate) fn short_tokens(tokens: u64) -> String {
    let (value, unit) = match tokens {
        t if t >= 1_000_000 => (t as f64 / 1_000_000.0, "M"),
        t if t >= 1_000 => (t as f64 / 1_000.0, "k"),
        t => return t.to_string(),
    };
    let text = format!("{value:.1}");
    format!("{}{unit}", text.strip_suffix(".0").unwrap_or(&text))
}

/// `08:00` within a day of `now_secs`, else `Mon 08:00`.
fn clock_time(secs: i64, now_secs: i64, tz: &TimeZone) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(secs) else {
        return secs.to_string();
    };
    let format = if (secs - now_secs).abs() < 24 * 3600 {
        "%H:%M"
    } else {
        "%a %H:%M"
    };
    ts.to_zoned(tz.clone()).strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gauge_daemon::SourceKind;
    use gauge_daemon::StartupSummary;

    #[test]
    fn each_gauge_says_what_and_from_where() {
        let now_secs = 1_795_491_113;
        let report = StartupReport {
            summary: StartupSummary {
                fuel_5h: FuelSummary::Estimate {
                    used_pct: 63.2,
                    limit_tokens: 66_800,
                    limit: LimitOrigin::History {
                        completed_blocks: 36,
                    },
                    // 08:00 UTC the next morning.
                    resets_at_secs: Some(1_795_507_200),
                },
                tach: TachSummary {
                    tokens_per_min: 1_340,
                    is_from_prometheus: false,
                },
                fuel_7d: FuelSummary::Unknown(Unknown::NoLimit7d),
                reported: vec![SourceKind::Transcripts],
            },
            roots_without_projects: vec!["/home/u/.claude".into()],
        };
        let mut out = Vec::new();
        render(&report, now_secs, &TimeZone::UTC, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "claude-gauge: 5h: estimate, 63 % of 66.8k tokens (P90 of 36 blocks), resets 08:00\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("claude-gauge: tach: 1.3k tokens/min now, from local requests\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "claude-gauge: 7d: unknown — set limits.tokens_7d or run install-statusline\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("warning: no projects/ directory in /home/u/.claude"),
            "{text}"
        );
        assert_eq!(short_tokens(44_000), "44k");
        assert_eq!(short_tokens(2_500_000), "2.5M");
        assert_eq!(short_tokens(950), "950");
    }
}
