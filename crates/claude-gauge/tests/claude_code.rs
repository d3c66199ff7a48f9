//! End to end with the real Claude Code CLI against the fake Messages API: what the fake reported
//! must show up, exactly, in the daemon's ledger, its frame and `blocks --json`.

use std::process::Stdio;
use std::time::Duration;

use crate::fake_api::{claude_code_bin, FakeApi, FakeUsage};
use crate::util::{lamps, Daemon, TestDirs};

#[tokio::test]
async fn headless_claude_code_tokens_reach_the_frame_and_blocks() {
    let Some(claude) = claude_code_bin() else {
        return;
    };
    let usage = FakeUsage {
        input: 1_234,
        output: 56,
        cache_creation: 200,
        cache_read: 3_000,
    };
    let fake = FakeApi::start(usage, &[]).await;
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    let daemon = Daemon::start_with(dirs, &[]);
    let workdir = daemon.dirs.root.path().join("work");
    std::fs::create_dir_all(&workdir).unwrap();

    let output = tokio::process::Command::new(&claude)
        .args([
            "-p",
            "say hello",
            "--model",
            "claude-sonnet-4-5",
            "--output-format",
            "json",
        ])
        .current_dir(&workdir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", daemon.dirs.root.path().join("home"))
        .env("CLAUDE_CONFIG_DIR", daemon.dirs.claude())
        .env("ANTHROPIC_BASE_URL", &fake.base_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-fake-key-0000000000")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), output)
        .await
        .expect("claude timed out")
        .unwrap();
    assert!(
        output.status.success(),
        "claude failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let (requests, reported) = fake.totals();
    assert!(requests >= 1);
    let stats = wait_for_requests(&daemon, requests).await;
    let totals = &stats["usage_totals"];
    assert_eq!(totals["requests"], requests, "{stats}");
    assert_eq!(totals["input_tokens"], reported.input, "{stats}");
    assert_eq!(totals["output_tokens"], reported.output, "{stats}");
    assert_eq!(
        totals["cache_creation_tokens"], reported.cache_creation,
        "{stats}"
    );
    assert_eq!(totals["cache_read_tokens"], reported.cache_read, "{stats}");

    let frame = daemon.usage().await;
    // The tach counts input + output + cache creation of the last minute.
    let expected_tach = reported.input + reported.output + reported.cache_creation;
    assert_eq!(frame["tach"], expected_tach, "{frame}");
    assert_eq!(frame["model"], "sonnet", "{frame}");
    assert!(!lamps(&frame).contains(&"STALL".to_string()), "{frame}");

    let blocks = daemon
        .dirs
        .command()
        .args(["blocks", "--json", "--active"])
        .output()
        .unwrap();
    assert!(
        blocks.status.success(),
        "{}",
        String::from_utf8_lossy(&blocks.stderr)
    );
    let blocks: serde_json::Value = serde_json::from_slice(&blocks.stdout).unwrap();
    let block = &blocks["blocks"][0];
    assert_eq!(block["isActive"], true, "{blocks}");
    assert_eq!(
        block["tokenCounts"]["inputTokens"], reported.input,
        "{blocks}"
    );
    assert_eq!(
        block["tokenCounts"]["outputTokens"], reported.output,
        "{blocks}"
    );
    assert_eq!(
        block["tokenCounts"]["cacheCreationInputTokens"], reported.cache_creation,
        "{blocks}"
    );
    assert_eq!(
        block["tokenCounts"]["cacheReadInputTokens"], reported.cache_read,
        "{blocks}"
    );
}

async fn wait_for_requests(daemon: &Daemon, requests: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stats = daemon.get_json("/stats").await;
        if stats["usage_totals"]["requests"] == requests || std::time::Instant::now() > deadline {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
