//! Bad days: a FIFO or a symlink among the transcripts, a file rewritten in place while the
//! daemon was down, a damaged store, lines that fail validation, the bad-input corpus. The full
//! disk and kill -9 under load, which need the process, are in
//! `crates/claude-gauge/tests/faults.rs`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::logs;
use crate::util::{append, assistant_line, timestamp_now, TestDaemon, TestDirs};

/// The transcript rescan here (`TranscriptConfig.rescan_every`; 10 s in `serve`).
const RESCAN_EVERY: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_or_a_symlink_named_jsonl_is_not_read_and_nothing_freezes() {
    let dirs = TestDirs::new();
    let project = dirs.claude().join("projects/-work");
    std::fs::create_dir_all(&project).expect("mkdir");
    let mkfifo = |path: &Path| {
        Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo")
            .success()
    };
    assert!(mkfifo(&project.join("at-start.jsonl")));
    let line = |id: &str| {
        format!(
            "{}\n",
            assistant_line(id, &timestamp_now(0), "claude-opus-4-5", 5, 5)
        )
    };
    append(&project.join("real.jsonl"), &line("req_a"));
    // A rescan every 100 ms (10 s in `serve`), so a few of them pass in the wait below.
    let daemon = TestDaemon::start_with(dirs, |s| {
        if let Some(transcripts) = &mut s.transcripts {
            transcripts.rescan_every = RESCAN_EVERY;
        }
    })
    .await;
    daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 1
        })
        .await;
    // Created while tailing: a FIFO, and a symlink to a file outside the projects.
    assert!(mkfifo(&project.join("later.jsonl")));
    let outside = daemon.dirs.root.path().join("outside.jsonl");
    append(&outside, &line("req_outside"));
    std::os::unix::fs::symlink(&outside, project.join("link.jsonl")).expect("symlink");
    // The reader is not stuck: a real append after them is read.
    append(&project.join("real.jsonl"), &line("req_b"));
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 2
        })
        .await;
    assert_eq!(stats["usage_totals"]["requests"], 2, "{stats}");
    // A rescan (every RESCAN_EVERY here) does not follow the symlink either: five of them.
    tokio::time::sleep(RESCAN_EVERY * 5).await;
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["usage_totals"]["requests"], 2, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_rewritten_in_place_while_the_daemon_was_down_is_read_again() {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/s.jsonl");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let line = |id: &str| {
        format!(
            "{}\n",
            assistant_line(id, &timestamp_now(0), "claude-opus-4-5", 5, 5)
        )
    };
    append(&file, &(line("req_1") + &line("req_2")));
    let mut daemon = TestDaemon::start_with(dirs, |_| {}).await;
    daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 2
        })
        .await;
    daemon.stop().await;
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    // Same inode: truncate and write longer, different content (an editor saving in place).
    let rewritten = line("req_x") + &line("req_y") + &line("req_z");
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&file)
        .expect("open");
    std::io::Write::write_all(&mut handle, rewritten.as_bytes()).expect("write");
    drop(handle);
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 5
        })
        .await;
    // The two first requests stay (history is never subtracted); all three new ones count.
    assert_eq!(stats["usage_totals"]["requests"], 5, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_set_aside_and_rebuilt_with_equal_totals() {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/s.jsonl");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let lines: String = (0..2_000)
        .map(|i| {
            let at = timestamp_now(-1_000 * i);
            format!(
                "{}\n",
                assistant_line(&format!("req_{i}"), &at, "claude-opus-4-5", 7, 3)
            )
        })
        .collect();
    append(&file, &lines);
    logs::capture();
    let mut daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let before = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 2_000
        })
        .await;
    daemon.stop().await;
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    // Damage the file: garbage over everything after SQLite's 100-byte header, and no WAL.
    let store = dirs.data().join("claude-gauge.sqlite3");
    for side in ["claude-gauge.sqlite3-wal", "claude-gauge.sqlite3-shm"] {
        let _ = std::fs::remove_file(dirs.data().join(side));
    }
    let mut bytes = std::fs::read(&store).expect("read the store");
    bytes.resize(bytes.len().max(64 * 1024), 0);
    for byte in &mut bytes[100..] {
        *byte = 0xA5;
    }
    std::fs::write(&store, bytes).expect("damage the store");
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let after = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 2_000
        })
        .await;
    assert_eq!(after["usage_totals"], before["usage_totals"], "{after}");
    let aside: Vec<String> = std::fs::read_dir(daemon.dirs.data())
        .expect("data dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("damaged"))
        .collect();
    assert!(!aside.is_empty(), "the damaged file is kept aside");
    // The log of this process; this daemon's line names its data dir.
    let lines = logs::lines_containing(&daemon.dirs.data().display().to_string());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("damaged") && l.contains("OTLP")),
        "one line says what happened: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_failing_validation_are_counted_and_change_nothing() {
    let dirs = TestDirs::new();
    let file = dirs.claude().join("projects/-work/s.jsonl");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let good = assistant_line("req_ok", &timestamp_now(0), "claude-opus-4-5", 5, 5);
    let mut text = format!("{good}\n");
    for (i, bad) in ["-1", "1.5", "\"10\"", "null"].iter().enumerate() {
        let line = assistant_line(
            &format!("req_bad{i}"),
            &timestamp_now(0),
            "claude-opus-4-5",
            7,
            7,
        )
        .replacen("\"input_tokens\":7", &format!("\"input_tokens\":{bad}"), 1);
        assert!(line.contains(&format!("\"input_tokens\":{bad}")), "{line}");
        text.push_str(&line);
        text.push('\n');
    }
    append(&file, &text);
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["ingest"]["transcript_rejected_lines"] == 4
        })
        .await;
    assert_eq!(stats["ingest"]["transcript_rejected_lines"], 4, "{stats}");
    assert_eq!(stats["usage_totals"]["requests"], 1, "{stats}");
    assert_eq!(stats["usage_totals"]["input_tokens"], 5, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bad_input_corpus_is_skipped_counted_and_changes_no_total() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad-input");
    let expected: Value = serde_json::from_slice(
        &std::fs::read(corpus.join("expected.json")).expect("expected.json"),
    )
    .expect("JSON");
    let dirs = TestDirs::new();
    let project = dirs.claude().join("projects/-bad");
    std::fs::create_dir_all(&project).expect("mkdir");
    let (mut malformed, mut rejected, mut good) = (0, 0, 0);
    for (name, counts) in expected.as_object().expect("an object") {
        std::fs::copy(corpus.join(name), project.join(name)).expect("copy");
        malformed += counts["malformed"].as_u64().expect("malformed");
        rejected += counts["rejected"].as_u64().expect("rejected");
        good += counts["good"].as_u64().expect("good");
    }
    let daemon = TestDaemon::start_with(dirs, |_| {}).await;
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == good
        })
        .await;
    // The good lines only: 10 input and 5 output tokens each.
    assert_eq!(stats["usage_totals"]["requests"], good, "{stats}");
    assert_eq!(stats["usage_totals"]["input_tokens"], 10 * good, "{stats}");
    assert_eq!(stats["usage_totals"]["output_tokens"], 5 * good, "{stats}");
    assert_eq!(
        stats["ingest"]["transcript_malformed_lines"], malformed,
        "{stats}"
    );
    assert_eq!(
        stats["ingest"]["transcript_rejected_lines"], rejected,
        "{stats}"
    );
    assert_eq!(daemon.get_json("/healthz").await["status"], "ok");
}
