//! `daily|weekly|monthly --by-machine`: the usage a hub's store holds, one group of rows per
//! machine (docs/otlp.md, "One hub for many machines"). Each stored request becomes a report
//! entry whose project is its machine, so ccusage's `--instances` grouping does the rest; the
//! JSON is `--instances`' with `machines` in place of `projects`.

use std::io::Write;

use claude_usage::{
    apply_cost_mode, usage_report, write_usage_json, PriceTable, UsageEntry, UsageReport,
    UsageReportOptions,
};

use super::{text, SharedArgs, TableStyle};
use crate::cli::report_input::ReportInput;

/// Every stored request as an entry under its machine's name, priced for `--mode`.
pub(super) fn entries(input: &ReportInput, shared: &SharedArgs) -> anyhow::Result<Vec<UsageEntry>> {
    let this_machine = gauge_daemon::this_machine_name();
    let mut entries = input.machine_entries(&this_machine)?;
    apply_cost_mode(&mut entries, shared.mode, &PriceTable::embedded());
    Ok(entries)
}

/// The report of `entries` with one group of rows per machine, machines by name. ccusage groups
/// by project only per day, so each machine is reported on its own and its rows named after it;
/// the totals are those of every entry.
pub(super) fn report(entries: &[UsageEntry], options: &UsageReportOptions) -> UsageReport {
    let options = UsageReportOptions {
        by_project: false,
        ..options.clone()
    };
    let mut machines: Vec<&str> = entries.iter().map(|entry| &*entry.project).collect();
    machines.sort_unstable();
    machines.dedup();
    let mut whole = usage_report(entries, &options);
    whole.rows = machines
        .into_iter()
        .flat_map(|machine| {
            let own: Vec<UsageEntry> = entries
                .iter()
                .filter(|entry| &*entry.project == machine)
                .cloned()
                .collect();
            let mut rows = usage_report(&own, &options).rows;
            for row in &mut rows {
                row.project = Some(machine.into());
            }
            rows
        })
        .collect();
    whole
}

/// `{"machines": {"<machine>": [rows]}, "totals": {...}}`: `--instances`' JSON keyed by machine.
pub(super) fn write_json(out: &mut impl Write, report: &UsageReport) -> anyhow::Result<()> {
    let mut json = Vec::new();
    write_usage_json(&mut json, report, true)?;
    let mut value: serde_json::Value = serde_json::from_slice(&json)?;
    let machines = value
        .get_mut("projects")
        .map(serde_json::Value::take)
        .unwrap_or_else(|| serde_json::json!({}));
    let totals = value
        .get_mut("totals")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    let keyed = serde_json::json!({ "machines": machines, "totals": totals });
    writeln!(out, "{}", serde_json::to_string_pretty(&keyed)?)?;
    Ok(())
}

/// The `--instances` table with one group per machine, each headed `Machine: <name>` (the
/// name as stored, not read as a project path).
pub(super) fn write_table(
    out: &mut impl Write,
    report: &UsageReport,
    shared: &SharedArgs,
    style: &TableStyle,
) -> anyhow::Result<()> {
    let mut names: Vec<(String, String)> = Vec::new();
    for machine in report.rows.iter().filter_map(|row| row.project.as_deref()) {
        if !names.iter().any(|(name, _)| name == machine) {
            names.push((machine.to_string(), machine.to_string()));
        }
    }
    let mut table = Vec::new();
    text::usage_table(&mut table, report, true, &names, shared, style)?;
    // The group header is ccusage's `Project: <name>`; `Machine: ` is as wide, so the box holds.
    let table = String::from_utf8_lossy(&table).replace("Project: ", "Machine: ");
    out.write_all(table.as_bytes())?;
    Ok(())
}
