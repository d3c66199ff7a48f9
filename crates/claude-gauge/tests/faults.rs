//! Bad days: the store's disk fills up, and nothing acknowledged or read is lost once space
//! returns, through a restart too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::util::{append, assistant_line, lamps, timestamp_now, Daemon, TestDirs};

/// A size-limited tmpfs mounted over a test directory, unmounted on drop. Needs root (CI and
/// these machines run tests as root); `None` where mounting is not allowed.
struct SmallDisk {
    at: PathBuf,
}

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .ok()?;
        status.success().then(|| SmallDisk {
            at: at.to_path_buf(),
        })
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.at)
            .status()
            .expect("remount");
        assert!(status.success(), "remount {size}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

fn store_error(stats: &Value) -> Option<String> {
    stats["sources"]
        .as_array()?
        .iter()
        .find(|s| s["source"] == "store")?["last_error"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn a_full_disk_loses_nothing_once_space_returns() {
    const REQUESTS: u64 = 20_000;
    let dirs = TestDirs::new();
    let Some(disk) = SmallDisk::mount(&dirs.data(), "1m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    // Many requests across files, appended in pieces while the disk is full.
    let claude = dirs.claude().join("projects/-work");
    std::fs::create_dir_all(&claude).expect("mkdir");
    let write_file = |index: u64| {
        let lines: String = (0..1_000)
            .map(|i| {
                let id = index * 1_000 + i;
                let at = timestamp_now(-((REQUESTS - id) as i64) * 1_000);
                format!(
                    "{}\n",
                    assistant_line(&format!("req_{id}"), &at, "claude-opus-4-5", 3, 2)
                )
            })
            .collect();
        append(&claude.join(format!("s{index}.jsonl")), &lines);
    };
    let files = REQUESTS / 1_000;
    for index in 0..files - 4 {
        write_file(index);
    }
    let mut daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(60), |s| store_error(s).is_some())
        .await;
    let error = store_error(&stats).unwrap_or_else(|| panic!("the disk never filled: {stats}"));
    assert!(error.contains("full"), "{error}");
    assert!(
        lamps(&daemon.usage().await).contains(&"STALL".to_string()),
        "a store that cannot write lights STALL"
    );
    // More usage arrives while the disk is full.
    for index in files - 4..files {
        write_file(index);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    disk.resize("256m");
    let stats = daemon
        .wait_stats(Duration::from_secs(120), |s| {
            s["usage_totals"]["requests"] == REQUESTS && store_error(s).is_none()
        })
        .await;
    assert_eq!(stats["usage_totals"]["requests"], REQUESTS, "{stats}");
    assert_eq!(
        stats["usage_totals"]["input_tokens"],
        3 * REQUESTS,
        "{stats}"
    );
    assert_eq!(store_error(&stats), None, "{stats}");
    assert!(!lamps(&daemon.usage().await).contains(&"STALL".to_string()));
    // And after a kill -9 and a restart: the same, nothing twice.
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    drop(daemon);
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(60), |s| {
            s["ingest"]["transcript_usage_lines"].as_u64().is_some()
                && s["usage_totals"]["requests"] == REQUESTS
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = daemon.get_json("/stats").await;
    assert_eq!(again["usage_totals"], stats["usage_totals"], "{again}");
    assert_eq!(again["usage_totals"]["requests"], REQUESTS, "{again}");
    drop(daemon);
    drop(disk);
}

#[tokio::test]
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
    let daemon = Daemon::start_with(dirs, &[]);
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
    // A rescan (every 10 s) does not follow the symlink either.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let stats = daemon.get_json("/stats").await;
    assert_eq!(stats["usage_totals"]["requests"], 2, "{stats}");
}

#[tokio::test]
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
    let mut daemon = Daemon::start_with(dirs, &[]);
    daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 2
        })
        .await;
    daemon.stop();
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
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["usage_totals"]["requests"] == 5
        })
        .await;
    // The two first requests stay (history is never subtracted); all three new ones count.
    assert_eq!(stats["usage_totals"]["requests"], 5, "{stats}");
}

#[tokio::test]
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
    let mut daemon = Daemon::start_with(dirs, &[]);
    let before = daemon
        .wait_stats(Duration::from_secs(30), |s| {
            s["usage_totals"]["requests"] == 2_000
        })
        .await;
    daemon.stop();
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
    let daemon = Daemon::start_with(dirs, &[]);
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
    assert!(
        daemon.startup_lines.iter().any(|l| l.contains("damaged")) || {
            let mut said = false;
            while let Ok(line) = daemon.stderr.try_recv() {
                said |= line.contains("damaged") && line.contains("OTLP");
            }
            said
        },
        "one line says what happened"
    );
}

/// An OTLP/JSON logs export of `count` `api_request` events with request ids
/// `<prefix>-0 .. <prefix>-<count-1>`, shaped like Claude Code's own (one of its captured
/// records as the template).
fn otlp_batch(prefix: &str, count: usize) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gauge-daemon/tests/fixtures/otlp/delta-http-json-0001-logs.json");
    let fixture: Value =
        serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    let records = fixture["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array()
        .expect("records");
    let template = records
        .iter()
        .find(|r| r["body"]["stringValue"] == "claude_code.api_request")
        .expect("an api_request record")
        .clone();
    let now_ns = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos())
    .to_string();
    let events: Vec<Value> = (0..count)
        .map(|i| {
            let mut record = template.clone();
            record["timeUnixNano"] = Value::String(now_ns.clone());
            for kv in record["attributes"].as_array_mut().expect("attributes") {
                if kv["key"] == "request_id" {
                    kv["value"] = serde_json::json!({"stringValue": format!("{prefix}-{i}")});
                }
            }
            record
        })
        .collect();
    let mut export = fixture.clone();
    export["resourceLogs"] = serde_json::json!([{
        "resource": fixture["resourceLogs"][0]["resource"].clone(),
        "scopeLogs": [{"scope": fixture["resourceLogs"][0]["scopeLogs"][0]["scope"].clone(),
                       "logRecords": events}]
    }]);
    serde_json::to_vec(&export).expect("JSON")
}

#[tokio::test]
async fn kill_9_under_concurrent_otlp_load_loses_no_acknowledged_export() {
    const EXPORTERS: usize = 8;
    const PER_BATCH: usize = 50;
    let dirs = TestDirs::new();
    let daemon = Daemon::start_with(
        dirs,
        &["--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"],
    );
    let http = daemon
        .startup_lines
        .iter()
        .find_map(|l| {
            l.split("otlp http on ")
                .nth(1)
                .map(|a| format!("http://{}/v1/logs", a.trim()))
        })
        .expect("the OTLP address");
    let stop_at = Instant::now() + Duration::from_secs(3);
    let mut exporters = Vec::new();
    for exporter in 0..EXPORTERS {
        let http = http.clone();
        exporters.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut batch = 0;
            while Instant::now() < stop_at {
                let prefix = format!("req-e{exporter}-b{batch}");
                let sent = client
                    .post(&http)
                    .header("content-type", "application/json")
                    .body(otlp_batch(&prefix, PER_BATCH))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status() == 200) {
                    acknowledged.push(prefix);
                }
                batch += 1;
            }
            acknowledged
        }));
    }
    // kill -9 while they are still sending.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut daemon = daemon;
    daemon.stop();
    let mut acknowledged = Vec::new();
    for exporter in exporters {
        acknowledged.extend(exporter.await.expect("exporter"));
    }
    assert!(
        acknowledged.len() >= EXPORTERS,
        "too few exports got through: {acknowledged:?}"
    );
    // Every request of every acknowledged export is in the store.
    let store = rusqlite::Connection::open(daemon.dirs.data().join("claude-gauge.sqlite3"))
        .expect("open the store");
    let mut missing = Vec::new();
    for prefix in &acknowledged {
        for i in 0..PER_BATCH {
            let key = format!("req:{prefix}-{i}");
            let found: i64 = store
                .query_row(
                    "SELECT COUNT(*) FROM entries WHERE dedup_key = ?1",
                    [&key],
                    |row| row.get(0),
                )
                .expect("query");
            if found != 1 {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged requests lost, e.g. {:?}",
        missing.len(),
        acknowledged.len() * PER_BATCH,
        &missing[..missing.len().min(3)]
    );
}

#[tokio::test]
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
    let daemon = Daemon::start_with(dirs, &[]);
    let stats = daemon
        .wait_stats(Duration::from_secs(20), |s| {
            s["ingest"]["transcript_rejected_lines"] == 4
        })
        .await;
    assert_eq!(stats["ingest"]["transcript_rejected_lines"], 4, "{stats}");
    assert_eq!(stats["usage_totals"]["requests"], 1, "{stats}");
    assert_eq!(stats["usage_totals"]["input_tokens"], 5, "{stats}");
}

#[tokio::test]
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
    let daemon = Daemon::start_with(dirs, &[]);
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
