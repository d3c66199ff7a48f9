//! Parity on real data: transcripts people committed to public repositories, when a folder of
//! them is laid beside the repository (`../shared/fixtures/wild/`; it is not part of the
//! repository and is never copied into it), through the real ccusage
//! 20.0.24 and through us: `blocks --json` and `claude daily --json` byte for byte in several
//! time zones, and the daemon's ledger totals against ccusage's. Skipped, saying so, when the
//! folder or ccusage (`CCUSAGE_BIN`) is missing. The files are laid out in a temporary Claude
//! config dir for the run and never copied into the repository. The ledger's count of two
//! messages of one request is tested in-process in `crates/gauge-daemon/tests/wild.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::util::{Daemon, TestDirs};

const TIME_ZONES: [&str; 3] = ["UTC", "Asia/Tokyo", "America/Los_Angeles"];

pub(crate) fn wild_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/wild");
    dir.is_dir().then_some(dir)
}

fn jsonl_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            jsonl_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            files.push(path);
        }
    }
}

/// Lays the fixtures out as a Claude config dir, as the fixtures' README says: the part of each
/// path after `projects/` (or after the repository folder) under `projects/<owner>__<repo>/`.
pub(crate) fn lay_out(wild: &Path, claude: &Path) -> usize {
    let mut files = Vec::new();
    jsonl_files(wild, &mut files);
    for file in &files {
        let relative = file.strip_prefix(wild).expect("under the wild dir");
        let mut parts = relative.components();
        let repo = parts.next().expect("a repository folder");
        let rest = parts.as_path();
        let rest_text = rest.to_string_lossy();
        let inner = match rest_text.find("projects/") {
            Some(at) => PathBuf::from(&rest_text[at + "projects/".len()..]),
            None => rest.to_path_buf(),
        };
        let target = claude.join("projects").join(repo).join(inner);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(file, &target).expect("copy a fixture");
    }
    files.len()
}

fn run(mut cmd: Command, claude: &Path, scratch: &Path, tz: &str) -> Vec<u8> {
    let output = cmd
        .env("CLAUDE_CONFIG_DIR", claude)
        .env("TZ", tz)
        .env("HOME", scratch)
        .env("XDG_CONFIG_HOME", scratch.join("xdg-config"))
        .env("XDG_CACHE_HOME", scratch.join("xdg-cache"))
        .env("NO_COLOR", "1")
        .current_dir(scratch)
        .output()
        .expect("run a report");
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn ccusage(bin: &str, args: &[&str], claude: &Path, scratch: &Path, tz: &str) -> Vec<u8> {
    let mut cmd = Command::new(bin);
    cmd.args(args).args(["--json", "--offline"]);
    run(cmd, claude, scratch, tz)
}

fn ours(args: &[&str], claude: &Path, scratch: &Path, tz: &str) -> Vec<u8> {
    let mut cmd = crate::util::bin();
    cmd.args(args).arg("--json");
    run(cmd, claude, scratch, tz)
}

#[tokio::test]
async fn real_transcripts_match_ccusage_in_reports_and_ledger() {
    let (Some(wild), Ok(bin)) = (wild_dir(), std::env::var("CCUSAGE_BIN")) else {
        eprintln!("skipped: needs ../shared/fixtures/wild beside the repository and CCUSAGE_BIN");
        return;
    };
    let dirs = TestDirs::new();
    let claude = dirs.claude();
    let scratch = dirs.claude().parent().expect("temp root").join("scratch");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let count = lay_out(&wild, &claude);
    assert!(count > 50, "only {count} transcripts in {}", wild.display());

    for tz in TIME_ZONES {
        let theirs = ccusage(&bin, &["claude", "daily"], &claude, &scratch, tz);
        let mine = ours(&["daily"], &claude, &scratch, tz);
        assert!(
            mine == theirs,
            "daily in {tz} differs:\nours:   {}\ntheirs: {}",
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs)
        );
        // `blocks` depends on now (the active block's projection): ours before and after
        // ccusage's run bracket its moment.
        let before = ours(&["blocks"], &claude, &scratch, tz);
        let theirs = ccusage(&bin, &["blocks"], &claude, &scratch, tz);
        let after = ours(&["blocks"], &claude, &scratch, tz);
        assert!(
            before == theirs || after == theirs,
            "blocks in {tz} differs:\nours:   {}\ntheirs: {}",
            String::from_utf8_lossy(&after),
            String::from_utf8_lossy(&theirs)
        );
    }

    // The ledger keeps what ccusage's blocks count: the same requests, tokens and cost.
    let blocks: Value =
        serde_json::from_slice(&ccusage(&bin, &["blocks"], &claude, &scratch, "UTC"))
            .expect("ccusage prints JSON");
    let real: Vec<&Value> = blocks["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter(|b| b["isGap"] != true)
        .collect();
    let sum = |f: &dyn Fn(&Value) -> u64| real.iter().map(|b| f(b)).sum::<u64>();
    let requests = sum(&|b| b["entries"].as_u64().unwrap_or(0));
    let tokens = |key: &'static str| sum(&move |b| b["tokenCounts"][key].as_u64().unwrap_or(0));
    let cost: f64 = real
        .iter()
        .map(|b| b["costUSD"].as_f64().unwrap_or(0.0))
        .sum();
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(60), |s| {
            s["usage_totals"]["requests"] == requests
        })
        .await;
    let totals = &stats["usage_totals"];
    assert_eq!(totals["requests"], requests, "{stats}");
    assert_eq!(totals["input_tokens"], tokens("inputTokens"), "{stats}");
    assert_eq!(totals["output_tokens"], tokens("outputTokens"), "{stats}");
    assert_eq!(
        totals["cache_creation_tokens"],
        tokens("cacheCreationInputTokens"),
        "{stats}"
    );
    assert_eq!(
        totals["cache_read_tokens"],
        tokens("cacheReadInputTokens"),
        "{stats}"
    );
    let stored_cost = totals["cost_usd"].as_f64().expect("cost");
    assert!(
        (stored_cost - cost).abs() <= cost.abs() * 1e-9,
        "cost {stored_cost} vs ccusage {cost}"
    );
    assert_eq!(stats["ingest"]["transcript_malformed_lines"], 0, "{stats}");
}
