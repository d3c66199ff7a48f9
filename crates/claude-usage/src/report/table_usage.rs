//! The tables of the daily, weekly, monthly and session reports, as ccusage 20.0.24 draws
//! them: a boxed title, one row per period (or session) with its models, tokens and cost, the
//! per-model rows with `--breakdown`, project groups with `daily --instances`, and a total.

use std::io::{self, Write};

use crate::report::{
    daily::UsageReport,
    filter::PeriodKind,
    layout::Align,
    session::SessionReport,
    summary::{UsageRow, UsageTotals},
    table::{format_currency, format_number, write_title, Color, Grid, TableLook},
};
use crate::timestamp::format_timestamp_ms;

/// What ccusage prints (on stderr) for a usage report without rows.
pub const NO_USAGE_DATA: &str = "No usage data found.";

/// Project names for the `daily --instances` table: `(directory, name)` pairs.
pub type ProjectAliases = [(String, String)];

/// Writes a daily, weekly or monthly report as a table (`by_project`: grouped by project,
/// for `daily --instances`). `false` when there are no rows (nothing is written).
pub fn write_usage_table<W: Write>(
    out: &mut W,
    report: &UsageReport,
    by_project: bool,
    aliases: &ProjectAliases,
    is_breakdown: bool,
    look: &TableLook,
) -> io::Result<bool> {
    let (title, first) = match report.kind {
        PeriodKind::Daily => ("Claude Code Token Usage Report - Daily", "Date"),
        PeriodKind::Weekly(_) => ("Claude Code Token Usage Report - Weekly", "Week"),
        PeriodKind::Monthly => ("Claude Code Token Usage Report - Monthly", "Month"),
    };
    let rows: Vec<(&str, &UsageRow, Option<String>)> = report
        .rows
        .iter()
        .map(|row| (&*row.period, row, None))
        .collect();
    let grouping = by_project.then_some(aliases);
    write_rows(
        out,
        title,
        first,
        &rows,
        &report.totals,
        grouping,
        is_breakdown,
        look,
    )
}

/// Writes the session report as a table, with each session's last activity as a UTC date
/// (whatever `--timezone` says, as ccusage 20.0.24). `false` when there are no rows.
pub fn write_session_table<W: Write>(
    out: &mut W,
    report: &SessionReport,
    is_breakdown: bool,
    look: &TableLook,
) -> io::Result<bool> {
    let rows: Vec<(&str, &UsageRow, Option<String>)> = report
        .rows
        .iter()
        .map(|row| {
            let last = format_timestamp_ms(row.last_activity_ms)[..10].to_string();
            (&*row.session_id, &row.usage, Some(last))
        })
        .collect();
    let title = "Claude Code Token Usage Report - By Session";
    write_rows(
        out,
        title,
        "Session",
        &rows,
        &report.totals,
        None,
        is_breakdown,
        look,
    )
}

#[allow(clippy::too_many_arguments)]
fn write_rows<W: Write>(
    out: &mut W,
    title: &str,
    first: &str,
    rows: &[(&str, &UsageRow, Option<String>)],
    totals: &UsageTotals,
    projects: Option<&ProjectAliases>,
    is_breakdown: bool,
    look: &TableLook,
) -> io::Result<bool> {
    if rows.is_empty() {
        return Ok(false);
    }
    let has_last_activity = rows.iter().any(|(_, _, last)| last.is_some());
    write_title(out, title, look)?;
    let mut headers = vec![first, "Models", "Input", "Output"];
    if !look.is_compact {
        headers.extend(["Cache Create", "Cache Read", "Total Tokens"]);
    }
    headers.push("Cost (USD)");
    let mut aligns = vec![Align::Left, Align::Left];
    aligns.resize(headers.len(), Align::Right);
    if has_last_activity {
        headers.push("Last Activity");
        aligns.push(Align::Left);
    }
    let mut grid = Grid::new(&headers, &aligns).with_date_column();
    let mut current_project: Option<&str> = None;
    for (label, row, last) in rows {
        if let (Some(aliases), Some(project)) = (projects, row.project.as_deref()) {
            if current_project != Some(project) {
                if current_project.is_some() {
                    grid.separator();
                }
                let mut header = vec![String::new(); grid.column_count()];
                let name = project_display_name(project, aliases);
                header[0] = look.paint(format!("Project: {name}"), Color::Blue);
                grid.push(header);
                current_project = Some(project);
            }
        }
        let mut cells = vec![(*label).to_string(), models_cell(&row.models_used)];
        cells.extend(token_cells(&row.usage, row.total_cost_usd, look, None));
        if has_last_activity {
            cells.push(last.clone().unwrap_or_default());
        }
        grid.push(cells);
        if is_breakdown {
            for breakdown in &row.breakdowns {
                let name = format!("  └─ {}", short_model_name(&breakdown.model_name));
                let mut cells = vec![look.paint(name, Color::Grey), String::new()];
                cells.extend(token_cells(
                    &breakdown.usage,
                    breakdown.cost_usd,
                    look,
                    Some(Color::Grey),
                ));
                if has_last_activity {
                    cells.push(String::new());
                }
                grid.push(cells);
            }
        }
    }
    grid.separator();
    let mut cells = vec![look.paint("Total", Color::Yellow), String::new()];
    cells.extend(token_cells(
        &totals.usage,
        totals.total_cost_usd,
        look,
        Some(Color::Yellow),
    ));
    if has_last_activity {
        cells.push(String::new());
    }
    grid.push(cells);
    grid.write(out, look)?;
    Ok(true)
}

fn token_cells(
    usage: &crate::entry::TokenUsage,
    cost_usd: f64,
    look: &TableLook,
    color: Option<Color>,
) -> Vec<String> {
    let paint = |text: String| match color {
        Some(color) => look.paint(text, color),
        None => text,
    };
    let mut cells = vec![
        paint(format_number(usage.input_tokens)),
        paint(format_number(usage.output_tokens)),
    ];
    if !look.is_compact {
        cells.push(paint(format_number(usage.cache_creation_tokens())));
        cells.push(paint(format_number(usage.cache_read_tokens)));
        cells.push(paint(format_number(usage.total_tokens())));
    }
    cells.push(paint(format_currency(cost_usd)));
    cells
}

/// The models of a row, shortened, sorted and distinct, one `- model` per line.
pub(crate) fn models_cell<S: AsRef<str>>(models: &[S]) -> String {
    let mut short: Vec<String> = models
        .iter()
        .map(|model| short_model_name(model.as_ref()))
        .collect();
    short.sort();
    short.dedup();
    short
        .iter()
        .map(|model| format!("- {model}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A model name without `claude-` (or `anthropic/claude-`) and without an 8-digit date.
pub(crate) fn short_model_name(model: &str) -> String {
    let model = model
        .strip_prefix("anthropic/claude-")
        .or_else(|| model.strip_prefix("claude-"))
        .unwrap_or(model);
    let parts: Vec<&str> = model.split('-').collect();
    if parts.len() >= 3 && parts.last().is_some_and(|part| part.len() == 8) {
        return parts[..parts.len() - 1].join("-");
    }
    model.to_string()
}

/// The name a project directory is shown by: its alias, else a readable form of the encoded
/// path (the part after the user's home, hash-like names cut to their last parts).
pub fn project_display_name(project: &str, aliases: &ProjectAliases) -> String {
    let alias = |name: &str| {
        aliases
            .iter()
            .find(|(dir, _)| dir == name)
            .map(|(_, alias)| alias.clone())
    };
    if let Some(name) = alias(project) {
        return name;
    }
    let readable = readable_project_name(project);
    alias(&readable).unwrap_or(readable)
}

fn readable_project_name(project: &str) -> String {
    if project.is_empty() || project == "unknown" {
        return "Unknown Project".to_string();
    }
    let trim = |text: &str| {
        text.trim_matches(|c| c == '/' || c == '\\' || c == '-')
            .to_string()
    };
    let mut name = if let Some(separator) = ["-Users-", "/Users/"]
        .iter()
        .find(|prefix| project.starts_with(**prefix))
        .map(|prefix| prefix.chars().next().unwrap_or('-'))
    {
        let segments: Vec<&str> = project.split(separator).filter(|s| !s.is_empty()).collect();
        // After `Users/<name>/`: the path below the first directory of the home, or the
        // home's own directory (observed on 20.0.24: `-Users-me-live` is `live`).
        match segments.iter().position(|s| *s == "Users") {
            Some(at) if at + 3 < segments.len() => segments[at + 3..].join("-"),
            Some(at) if at + 2 < segments.len() => segments[at + 2..].join("-"),
            _ => project.to_string(),
        }
    } else {
        trim(project)
    };
    if name.split('-').count() >= 5
        && name
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '.')
    {
        let parts: Vec<&str> = name.split('-').collect();
        name = parts[parts.len().saturating_sub(2)..].join("-");
    }
    if let Some((main, _)) = name.split_once("--") {
        name = main.to_string();
    }
    if name.contains('-') && name.len() > 20 {
        name = meaningful_tail(&name);
    }
    let name = trim(&name);
    if name.is_empty() {
        project.to_string()
    } else {
        name
    }
}

/// The last two meaningful `-` parts of a long name (three when two are short).
fn meaningful_tail(name: &str) -> String {
    const NOISE: [&str; 13] = [
        "dev",
        "development",
        "feat",
        "feature",
        "fix",
        "bug",
        "test",
        "staging",
        "prod",
        "production",
        "main",
        "master",
        "branch",
    ];
    let meaningful: Vec<&str> = name
        .split('-')
        .filter(|part| part.len() > 2 && !NOISE.contains(&part.to_ascii_lowercase().as_str()))
        .collect();
    if meaningful.len() < 2 {
        return name.to_string();
    }
    let last_two = meaningful[meaningful.len() - 2..].join("-");
    if last_two.len() >= 6 {
        last_two
    } else if meaningful.len() >= 3 {
        meaningful[meaningful.len() - 3..].join("-")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_shortened_sorted_and_distinct() {
        let models = [
            "claude-sonnet-4-5-20250929",
            "claude-opus-4-6",
            "claude-opus-4-6",
            "gpt-x",
        ];
        assert_eq!(models_cell(&models), "- gpt-x\n- opus-4-6\n- sonnet-4-5");
        assert_eq!(short_model_name("anthropic/claude-opus-4-6"), "opus-4-6");
    }

    #[test]
    fn project_names_read_like_ccusage() {
        assert_eq!(project_display_name("-Users-me-code-app", &[]), "app");
        assert_eq!(project_display_name("-edge", &[]), "edge");
        assert_eq!(project_display_name("unknown", &[]), "Unknown Project");
        let aliases = [("-edge".to_string(), "Edge".to_string())];
        assert_eq!(project_display_name("-edge", &aliases), "Edge");
    }
}
