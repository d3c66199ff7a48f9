//! The tables of `blocks`, as ccusage 20.0.24 draws them: one row per block (local start
//! time and duration, status, models, tokens, share of the token limit, cost), the active
//! block's remaining and projected rows; and `blocks --active`'s detail view.

use std::io::{self, Write};

use jiff::tz::TimeZone;

use crate::{
    report::{
        blocks::SessionBlock,
        layout::Align,
        table::{format_currency, format_number, write_title, Color, Grid, TableLook},
        table_usage::models_cell,
    },
    timestamp::{MS_PER_HOUR, MS_PER_MINUTE},
};

/// What ccusage prints (on stderr) for `blocks` without blocks.
pub const NO_BLOCKS: &str = "No Claude usage data found.";
/// What ccusage prints (on stdout) for `blocks --active` without an active block.
pub const NO_ACTIVE_BLOCK: &str = "No active session block found.";

/// Writes `blocks` as a table: start times in `local` (the system zone, as ccusage), a `%`
/// column when there is a `token_limit`. `false` when there are no blocks.
pub fn write_blocks_table<W: Write>(
    out: &mut W,
    blocks: &[SessionBlock],
    now_ms: i64,
    token_limit: Option<u64>,
    local: &TimeZone,
    look: &TableLook,
) -> io::Result<bool> {
    if blocks.is_empty() {
        return Ok(false);
    }
    let limit = token_limit.filter(|limit| *limit > 0);
    write_title(out, "Claude Code Token Usage Report - Session Blocks", look)?;
    let mut headers = vec!["Block Start", "Duration/Status", "Models", "Tokens"];
    let mut aligns = vec![Align::Left, Align::Left, Align::Left, Align::Right];
    if limit.is_some() {
        headers.push("%");
        aligns.push(Align::Right);
    }
    headers.push("Cost");
    aligns.push(Align::Right);
    let mut grid = Grid::new(&headers, &aligns);
    for block in blocks {
        let time = block_time(block, now_ms, local, look.is_compact);
        if block.is_gap {
            let grey = |text: &str| look.paint(text, Color::Grey);
            let mut row = vec![
                look.paint(time, Color::Grey),
                grey("(inactive)"),
                grey("-"),
                grey("-"),
            ];
            if limit.is_some() {
                row.push(grey("-"));
            }
            row.push(grey("-"));
            grid.push(row);
            continue;
        }
        let total = block.usage.total_tokens();
        let models = if block.models.is_empty() {
            "-".to_string()
        } else {
            models_cell(&block.models)
        };
        let status = if block.is_active {
            look.paint("ACTIVE", Color::Green)
        } else {
            String::new()
        };
        let mut row = vec![time, status, models, format_number(total)];
        if let Some(limit) = limit {
            let percent = share(total, limit);
            let text = format!("{percent:.1}%");
            row.push(if percent > 100.0 {
                look.paint(text, Color::Red)
            } else {
                text
            });
        }
        row.push(format_currency(block.cost_usd));
        grid.push(row);
        if block.is_active {
            active_rows(&mut grid, block, now_ms, limit, look);
        }
    }
    grid.write(out, look)?;
    Ok(true)
}

fn active_rows(
    grid: &mut Grid,
    block: &SessionBlock,
    now_ms: i64,
    limit: Option<u64>,
    look: &TableLook,
) {
    let total = block.usage.total_tokens();
    if let Some(limit) = limit {
        grid.separator();
        let remaining = limit.saturating_sub(total);
        let remaining_percent = share(remaining, limit);
        grid.push(vec![
            look.paint(
                format!("(assuming {} token limit)", format_number(limit)),
                Color::Grey,
            ),
            look.paint("REMAINING", Color::Blue),
            String::new(),
            if remaining > 0 {
                format_number(remaining)
            } else {
                look.paint("0", Color::Red)
            },
            if remaining_percent > 0.0 {
                format!("{remaining_percent:.1}%")
            } else {
                look.paint("0.0%", Color::Red)
            },
            String::new(),
        ]);
    }
    if let Some(projection) = block.projection(now_ms) {
        grid.separator();
        let tokens = format_number(projection.total_tokens);
        let mut row = vec![
            look.paint("(assuming current burn rate)", Color::Grey),
            look.paint("PROJECTED", Color::Yellow),
            String::new(),
            match limit {
                Some(limit) if projection.total_tokens > limit => look.paint(tokens, Color::Red),
                _ => tokens,
            },
        ];
        if let Some(limit) = limit {
            row.push(format!("{:.1}%", share(projection.total_tokens, limit)));
        }
        row.push(format_currency(projection.total_cost_usd));
        grid.push(row);
    }
}

// Percentages are ccusage's f64 arithmetic.
#[allow(clippy::cast_precision_loss)]
fn share(tokens: u64, limit: u64) -> f64 {
    tokens as f64 / limit as f64 * 100.0
}

/// The first column: local start, and the duration, the gap's end, or time elapsed and left.
fn block_time(block: &SessionBlock, now_ms: i64, local: &TimeZone, is_compact: bool) -> String {
    let start = local_time(block.start_ms, local, is_compact);
    if block.is_gap {
        let end = if is_compact {
            let parts = civil(block.end_ms, local);
            format!(
                "{:02}:{:02} {}",
                hour_12(parts.hour()),
                parts.minute(),
                am_pm(parts.hour())
            )
        } else {
            local_time(block.end_ms, local, false)
        };
        let hours = (block.end_ms - block.start_ms) / MS_PER_HOUR;
        return if is_compact {
            format!("{start}-{end}\n({hours}h gap)")
        } else {
            format!("{start} - {end} ({hours}h gap)")
        };
    }
    if block.is_active {
        let elapsed = (now_ms - block.start_ms).max(0) / MS_PER_MINUTE;
        let remaining = (block.end_ms - now_ms).max(0) / MS_PER_MINUTE;
        let (eh, em, rh, rm) = (elapsed / 60, elapsed % 60, remaining / 60, remaining % 60);
        return if is_compact {
            format!("{start}\n({eh}h{em}m/{rh}h{rm}m)")
        } else {
            format!("{start} ({eh}h {em}m elapsed, {rh}h {rm}m remaining)")
        };
    }
    let minutes = block
        .actual_end_ms
        .map_or(0, |end| (end - block.start_ms).max(0) / MS_PER_MINUTE);
    let (hours, minutes) = (minutes / 60, minutes % 60);
    match (is_compact, hours > 0) {
        (true, true) => format!("{start}\n({hours}h{minutes}m)"),
        (true, false) => format!("{start}\n({minutes}m)"),
        (false, true) => format!("{start} ({hours}h {minutes}m)"),
        (false, false) => format!("{start} ({minutes}m)"),
    }
}

fn civil(ms: i64, zone: &TimeZone) -> jiff::civil::DateTime {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| zone.to_datetime(t))
        .unwrap_or_default()
}

/// `11/27/2026, 9:00:00 AM`, or compact `11/27, 09:00 AM`.
fn local_time(ms: i64, zone: &TimeZone, is_compact: bool) -> String {
    let t = civil(ms, zone);
    let (hour, ampm) = (hour_12(t.hour()), am_pm(t.hour()));
    if is_compact {
        format!(
            "{:02}/{:02}, {hour:02}:{:02} {ampm}",
            t.month(),
            t.day(),
            t.minute()
        )
    } else {
        format!(
            "{}/{}/{}, {hour}:{:02}:{:02} {ampm}",
            t.month(),
            t.day(),
            t.year(),
            t.minute(),
            t.second()
        )
    }
}

fn hour_12(hour: i8) -> i8 {
    match hour % 12 {
        0 => 12,
        h => h,
    }
}

fn am_pm(hour: i8) -> &'static str {
    if hour < 12 {
        "AM"
    } else {
        "PM"
    }
}

/// `blocks --active` with one active block: its status, usage, burn rate, projection and,
/// with a token limit, where the projection leaves it.
pub fn write_active_block<W: Write>(
    out: &mut W,
    block: &SessionBlock,
    now_ms: i64,
    token_limit: Option<u64>,
    look: &TableLook,
) -> io::Result<()> {
    write_title(out, "Current Session Block Status", look)?;
    let elapsed = (now_ms - block.start_ms).max(0) / MS_PER_MINUTE;
    let remaining = (block.end_ms - now_ms).max(0) / MS_PER_MINUTE;
    let started = crate::timestamp::format_timestamp_ms(block.start_ms);
    writeln!(
        out,
        "Block Started:   {} {}",
        &started[..10],
        &started[11..19]
    )?;
    writeln!(out, "Time Elapsed:    {}h {}m", elapsed / 60, elapsed % 60)?;
    let left = format!("{}h {}m", remaining / 60, remaining % 60);
    writeln!(out, "Time Remaining:  {}", look.paint(left, Color::Green))?;
    writeln!(out)?;
    writeln!(out, "{}", look.paint("Current Usage:", Color::Blue))?;
    writeln!(
        out,
        "  Input Tokens:     {}",
        format_number(block.usage.input_tokens)
    )?;
    writeln!(
        out,
        "  Output Tokens:    {}",
        format_number(block.usage.output_tokens)
    )?;
    writeln!(
        out,
        "  Total Cost:       {}",
        format_currency(block.cost_usd)
    )?;
    if let Some(rate) = block.burn_rate() {
        writeln!(out)?;
        writeln!(out, "{}", look.paint("Burn Rate:", Color::Blue))?;
        // Rounded as ccusage rounds it; rates are far below u64::MAX.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let per_minute = rate.tokens_per_minute.round() as u64;
        writeln!(out, "  Tokens/minute:    {}", format_number(per_minute))?;
        writeln!(
            out,
            "  Cost/hour:        {}",
            format_currency(rate.cost_per_hour)
        )?;
    }
    let Some(projection) = block.projection(now_ms) else {
        return Ok(());
    };
    writeln!(out)?;
    let heading = "Projected Usage (if current rate continues):";
    writeln!(out, "{}", look.paint(heading, Color::Blue))?;
    writeln!(
        out,
        "  Total Tokens:     {}",
        format_number(projection.total_tokens)
    )?;
    writeln!(
        out,
        "  Total Cost:       {}",
        format_currency(projection.total_cost_usd)
    )?;
    match token_limit {
        Some(limit) => write_limit_status(out, block, projection.total_tokens, limit, look),
        None => Ok(()),
    }
}

/// The `Token Limit Status:` lines of the active block view.
fn write_limit_status<W: Write>(
    out: &mut W,
    block: &SessionBlock,
    projected: u64,
    limit: u64,
    look: &TableLook,
) -> io::Result<()> {
    let current = block.usage.total_tokens();
    #[allow(clippy::cast_precision_loss)]
    let status = if projected > limit {
        look.paint("EXCEEDS LIMIT", Color::Red)
    } else if projected as f64 > limit as f64 * 0.8 {
        look.paint("WARNING", Color::Yellow)
    } else {
        look.paint("OK", Color::Green)
    };
    writeln!(out)?;
    writeln!(out, "{}", look.paint("Token Limit Status:", Color::Blue))?;
    writeln!(out, "  Limit:            {} tokens", format_number(limit))?;
    writeln!(
        out,
        "  Current Usage:    {} ({:.1}%)",
        format_number(current),
        share(current, limit)
    )?;
    writeln!(
        out,
        "  Remaining:        {} tokens",
        format_number(limit.saturating_sub(current))
    )?;
    writeln!(
        out,
        "  Projected Usage:  {:.1}% {status}",
        share(projected, limit)
    )
}
