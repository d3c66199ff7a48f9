//! Parity with the real ccusage 20.0.24 (`CCUSAGE_BIN`, installed by
//! `tests-parity/install-ccusage.sh`): the generated corpus through both, `blocks --json` and
//! `claude daily --json` compared key by key; integers exactly, floats to 1e-9 relative.

use std::{
    path::Path,
    process::Command,
    time::{SystemTime, UNIX_EPOCH},
};

use claude_usage::{
    daily_report, dedup, parse_time_zone, resolve_roots, scan_files, session_blocks, usage_files,
    write_blocks_json, write_daily_json, BlocksJsonOptions, DedupRules, ScanOptions, UsageEntry,
    DEFAULT_SESSION_LENGTH_MS,
};
use serde_json::Value;

use crate::corpus;

const RELATIVE_TOLERANCE: f64 = 1e-9;

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_millis()).expect("now fits in i64")
}

/// ccusage's output, raw (for the byte comparison) and parsed.
struct Theirs {
    text: Vec<u8>,
    json: Value,
}

fn run_ccusage(bin: &str, root: &Path, args: &[&str]) -> Theirs {
    let text = ccusage_json(bin, root, args);
    Theirs {
        json: serde_json::from_slice(&text).expect("ccusage prints JSON"),
        text,
    }
}

/// `ccusage <args> --json --offline` over the Claude config dir `root`, in UTC, with every
/// other directory it might read pointed beside `root`; its stdout.
pub(crate) fn ccusage_json(bin: &str, root: &Path, args: &[&str]) -> Vec<u8> {
    let scratch = root.parent().expect("corpus root has a parent");
    let output = Command::new(bin)
        .args(args)
        .args(["--json", "--offline"])
        .env("CLAUDE_CONFIG_DIR", root)
        .env("TZ", "UTC")
        .env("HOME", scratch)
        .env("XDG_CONFIG_HOME", scratch.join("xdg-config"))
        .env("XDG_CACHE_HOME", scratch.join("xdg-cache"))
        .env("NO_COLOR", "1")
        .current_dir(scratch)
        .output()
        .expect("run ccusage");
    assert!(
        output.status.success(),
        "ccusage {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

struct Ours {
    regular: Vec<UsageEntry>,
    daily_utc: Vec<u8>,
    daily_tokyo: Vec<u8>,
}

fn run_ours(root: &Path) -> Ours {
    let roots = resolve_roots(Some(&root.to_string_lossy()), None, None).expect("roots");
    let scan = scan_files(&usage_files(&roots), &ScanOptions::default());
    let regular = dedup(scan.entries().cloned(), DedupRules::Regular);
    let daily = dedup(scan.into_entries(), DedupRules::Daily);
    let mut daily_utc = Vec::new();
    let utc = parse_time_zone("UTC").expect("UTC");
    write_daily_json(&mut daily_utc, &daily_report(&daily, &utc)).expect("write daily");
    let mut daily_tokyo = Vec::new();
    let tokyo = parse_time_zone("Asia/Tokyo").expect("Tokyo");
    write_daily_json(&mut daily_tokyo, &daily_report(&daily, &tokyo)).expect("write daily");
    Ours {
        regular,
        daily_utc,
        daily_tokyo,
    }
}

fn blocks_json(entries: &[UsageEntry], now_ms: i64) -> Vec<u8> {
    let mut out = Vec::new();
    let blocks = session_blocks(entries, now_ms, DEFAULT_SESSION_LENGTH_MS);
    write_blocks_json(&mut out, &blocks, now_ms, BlocksJsonOptions::default())
        .expect("write blocks");
    out
}

/// Differences between two JSON values, as `path: ours vs theirs` lines.
fn compare(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<&String> = a.keys().collect();
            let keys_b: Vec<&String> = b.keys().collect();
            if keys_a != keys_b {
                out.push(format!("{path}: keys {keys_a:?} vs {keys_b:?}"));
                return;
            }
            for (key, value) in a {
                compare(&format!("{path}.{key}"), value, &b[key], out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("{path}: {} items vs {}", a.len(), b.len()));
            }
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{index}]"), x, y, out);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let scale = x.abs().max(y.abs()).max(f64::MIN_POSITIVE);
            if (x - y).abs() / scale > RELATIVE_TOLERANCE && x != y {
                out.push(format!("{path}: {x} vs {y}"));
            }
        }
        _ if ours != theirs => out.push(format!("{path}: {ours} vs {theirs}")),
        _ => {}
    }
}

fn differences(report: &str, ours: &[u8], theirs: &Theirs) -> Vec<String> {
    let parsed: Value = serde_json::from_slice(ours).expect("our JSON parses");
    let mut differences = Vec::new();
    compare(report, &parsed, &theirs.json, &mut differences);
    differences
}

fn assert_same(report: &str, ours: &[u8], theirs: &Theirs) {
    let differences = differences(report, ours, theirs);
    let identical = ours == theirs.text.as_slice();
    println!(
        "{report}: {} differences, byte-identical: {identical}",
        differences.len()
    );
    if let Ok(dir) = std::env::var("PARITY_DUMP_DIR") {
        let name = report.replace(['(', ')', '/'], "_");
        std::fs::write(format!("{dir}/{name}.ours.json"), ours).expect("dump ours");
        std::fs::write(format!("{dir}/{name}.theirs.json"), &theirs.text).expect("dump theirs");
    }
    assert!(
        differences.is_empty(),
        "{report} differs from ccusage 20.0.24:\n{}",
        differences.join("\n")
    );
}

#[test]
fn parity_with_ccusage_20_0_24() {
    let Ok(bin) = std::env::var("CCUSAGE_BIN") else {
        println!(
            "skipped: CCUSAGE_BIN not set (run tests-parity/install-ccusage.sh and export it)"
        );
        return;
    };
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    corpus::generate(&root, 0x5eed_c0de, now_ms());

    // ccusage reads the clock for the active block; ours is computed at both ends of its run
    // and must match at one of them (remaining minutes are rounded, so they can tick).
    let before = now_ms();
    let theirs_blocks = run_ccusage(&bin, &root, &["blocks"]);
    let after = now_ms();
    let theirs_daily_utc = run_ccusage(&bin, &root, &["claude", "daily", "--timezone", "UTC"]);
    let theirs_daily_tokyo = run_ccusage(
        &bin,
        &root,
        &["claude", "daily", "--timezone", "Asia/Tokyo"],
    );
    let ours = run_ours(&root);
    let ours_blocks = [before, after]
        .map(|now| blocks_json(&ours.regular, now))
        .into_iter()
        .find(|json| differences("blocks", json, &theirs_blocks).is_empty())
        .unwrap_or_else(|| blocks_json(&ours.regular, before));

    let blocks = theirs_blocks.json["blocks"].as_array().map_or(0, Vec::len);
    let days = theirs_daily_utc.json["daily"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        blocks > 10 && days > 5,
        "corpus too small: {blocks} blocks, {days} days"
    );
    assert!(
        theirs_blocks.json["blocks"]
            .as_array()
            .is_some_and(|all| all.iter().any(|b| b["isActive"] == Value::Bool(true))),
        "the corpus must have an active block"
    );
    assert_same("blocks", &ours_blocks, &theirs_blocks);
    assert_same("daily(UTC)", &ours.daily_utc, &theirs_daily_utc);
    assert_same("daily(Asia/Tokyo)", &ours.daily_tokyo, &theirs_daily_tokyo);
}
