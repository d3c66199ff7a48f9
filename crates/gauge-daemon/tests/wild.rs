//! The ledger on transcripts as people have them: two messages of one request counted as ccusage
//! counts them (checked against the real ccusage when `CCUSAGE_BIN` is set), and absurd token
//! counts skipped. Parity on the real-world transcripts beside the repository runs our reports
//! and stays with the binary (`crates/claude-gauge/tests/wild.rs`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::util::{TestDaemon, TestDirs};

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

/// One line of Claude Code 1.0.x shape: `message.id` and `requestId` given separately.
fn line_with(request_id: &str, message_id: &str, at: &str, input: u64, output: u64) -> String {
    serde_json::json!({
        "type": "assistant", "sessionId": "s-1", "timestamp": at, "version": "1.0.27",
        "requestId": request_id, "isSidechain": false, "cwd": "/work",
        "message": {"id": message_id, "model": "claude-sonnet-4-20250514", "role": "assistant",
                    "usage": {"input_tokens": input, "output_tokens": output}}
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_counts_two_messages_of_one_request_as_ccusage_does() {
    let dirs = TestDirs::new();
    let claude = dirs.claude();
    let at = |minutes: i64| crate::util::timestamp_now(-60_000 * minutes);
    let lines = [
        // A thinking-only message, then the full one, under one request id.
        line_with("req_1", "msg_think", &at(30), 10, 5),
        line_with("req_1", "msg_full", &at(30), 10, 300),
        // A streamed copy of the full message counts once.
        line_with("req_1", "msg_full", &at(30), 10, 300),
        line_with("req_2", "msg_2", &at(20), 7, 70),
        // Absurd counts the store cannot hold: skipped and counted as malformed.
        line_with("req_3", "msg_3", &at(10), u64::MAX, 1),
        line_with("req_4", "msg_4", &at(10), (1 << 63) - 1, 1),
    ];
    let file = claude.join("projects/-work/s-1.jsonl");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 3
        })
        .await;
    let totals = &stats["usage_totals"];
    assert_eq!(totals["requests"], 3, "{stats}");
    assert_eq!(totals["input_tokens"], 27, "{stats}");
    assert_eq!(totals["output_tokens"], 375, "{stats}");
    assert_eq!(stats["ingest"]["transcript_malformed_lines"], 2, "{stats}");
    // /stats keeps answering after the absurd lines (it once failed with "integer overflow").
    let again = reqwest::get(daemon.url("/stats"))
        .await
        .expect("GET /stats");
    assert_eq!(again.status(), 200);

    let Ok(bin) = std::env::var("CCUSAGE_BIN") else {
        eprintln!("ccusage comparison skipped: CCUSAGE_BIN is not set");
        return;
    };
    // ccusage counts the same two messages of req_1 (its key is message id + request id).
    let claude = daemon.dirs.claude();
    let only_sane = claude.parent().expect("root").join("sane");
    let sane_file = only_sane.join("projects/-work/s-1.jsonl");
    std::fs::create_dir_all(sane_file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&sane_file, lines[..4].join("\n") + "\n").expect("write");
    let scratch = claude.parent().expect("root").join("scratch");
    std::fs::create_dir_all(&scratch).expect("mkdir");
    let blocks: Value =
        serde_json::from_slice(&ccusage(&bin, &["blocks"], &only_sane, &scratch, "UTC"))
            .expect("JSON");
    let real: Vec<&Value> = blocks["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter(|b| b["isGap"] != true)
        .collect();
    let entries: u64 = real
        .iter()
        .map(|b| b["entries"].as_u64().unwrap_or(0))
        .sum();
    let output: u64 = real
        .iter()
        .map(|b| b["tokenCounts"]["outputTokens"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!((entries, output), (3, 375), "{blocks}");
}
