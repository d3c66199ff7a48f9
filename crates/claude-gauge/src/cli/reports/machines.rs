//! `daily|weekly|monthly --by-machine`: the usage a hub's store holds, one group of rows per
//! machine (docs/otlp.md, "One hub for many machines"). Each stored request becomes a report
//! entry whose project is its machine, so ccusage's `--instances` grouping does the rest; the
//! JSON is `--instances`' with `machines` in place of `projects`.

use std::io::Write;

use claude_usage::{apply_cost_mode, write_usage_json, PriceTable, UsageEntry, UsageReport};

use super::SharedArgs;
use crate::cli::report_input::ReportInput;

/// Every stored request as an entry under its machine's name, priced for `--mode`.
pub(super) fn entries(input: &ReportInput, shared: &SharedArgs) -> anyhow::Result<Vec<UsageEntry>> {
    let this_machine = crate::sources::otlp::this_machine_name();
    let mut entries = input.machine_entries(&this_machine)?;
    apply_cost_mode(&mut entries, shared.mode, &PriceTable::embedded());
    Ok(entries)
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
