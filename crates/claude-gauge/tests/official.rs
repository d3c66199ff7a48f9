//! Official limits (docs/official-limits.md): the `statusline` command, `install-statusline`,
//! the OAuth poller's failures and scoped windows as the CLI shows them (the poller itself is
//! tested in-process in `crates/gauge-daemon/tests/official.rs`), and the real Claude Code CLI
//! feeding our statusline under tmux.
//!
//! Only fake tokens and loopback addresses appear here.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::oauth_mock::{start_usage_mock, UsageMock};
use crate::util::run_with_stdin;
use crate::util::{write, Daemon, TestDirs};

const FAKE_ACCESS_TOKEN: &str = "sk-ant-oat01-fake-test-token";

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Runs `claude-gauge statusline ARGS` with `stdin`; returns (stdout, exit ok, wall time).
fn statusline(dirs: &TestDirs, args: &[&str], stdin: &str) -> (String, bool, Duration) {
    let started = Instant::now();
    let out = run_with_stdin(dirs.command().arg("statusline").args(args), stdin);
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.success(),
        started.elapsed(),
    )
}

fn payload(used_5h: f64, used_7d: f64) -> String {
    json!({
        "session_id": "s-1", "transcript_path": "/nowhere.jsonl", "cwd": "/tmp",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "rate_limits": {
            "five_hour": {"used_percentage": used_5h, "resets_at": now_secs() + 3600},
            "seven_day": {"used_percentage": used_7d, "resets_at": now_secs() + 86_400}
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_payload_written_late_is_still_stored() {
    let daemon = Daemon::start();
    let mut child = daemon
        .dirs
        .command()
        .args(["statusline", "--daemon", &daemon.base_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Claude Code writes the payload 120 ms after it started the command.
    std::thread::sleep(Duration::from_millis(120));
    stdin.write_all(payload(42.0, 17.0).as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let report = wait_for_limits(&daemon, |r| r["windows"][0]["official"].is_object()).await;
    assert_eq!(
        report["windows"][0]["official"]["used_pct"], 42.0,
        "{report}"
    );
}

#[tokio::test]
async fn statusline_forwards_and_prints_one_line() {
    let daemon = Daemon::start();
    let (out, ok, _) = statusline(
        &daemon.dirs,
        &["--daemon", &daemon.base_url],
        &payload(42.0, 17.0),
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "{out:?}");
    // The daemon's pace may follow each figure: `5h 58% left (pace 20%) · 7d 83% left ...`.
    assert!(out.starts_with("5h 58% left"), "{out:?}");
    assert!(out.contains(" · 7d 83% left"), "{out:?}");
    assert!(!out.contains('\x1b'), "no colour on a pipe: {out:?}");
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| f["source"] == "official")
        .await;
    assert!(
        (frame["fuel_5h"].as_f64().unwrap() - 0.58).abs() < 1e-6,
        "{frame}"
    );
    assert_eq!(frame["model"], "sonnet");
}

#[test]
fn statusline_with_daemon_down_is_prompt_and_exits_0() {
    let dirs = TestDirs::new();
    // A port nobody listens on, and a blackhole address that never answers.
    for url in ["http://127.0.0.1:9", "http://10.255.255.1:8765"] {
        let (out, ok, took) = statusline(&dirs, &["--daemon", url], &payload(10.0, 5.0));
        assert!(ok);
        assert_eq!(out, "5h 90% left · 7d 95% left · tach --\n");
        // 50 ms budget plus process start.
        assert!(took < Duration::from_millis(1_000), "took {took:?}");
    }
    let (out, ok, _) = statusline(&dirs, &["--daemon", "http://127.0.0.1:9"], "{not json");
    assert!(ok);
    assert_eq!(out, "claude-gauge: no status\n");
}

#[test]
fn statusline_chains_the_previous_command_with_the_same_stdin() {
    let dirs = TestDirs::new();
    let chain = "sh -c 'printf \"prev:\"; wc -c'";
    let input = payload(1.0, 2.0);
    let (out, ok, _) = statusline(
        &dirs,
        &["--daemon", "http://127.0.0.1:9", "--chain", chain],
        &input,
    );
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(lines[0].starts_with("5h 99% left"), "{out:?}");
    assert_eq!(
        lines[1].trim(),
        format!("prev:{}", input.len()).as_str(),
        "{out:?}"
    );
}

#[test]
fn install_statusline_round_trips_settings() {
    let dirs = TestDirs::new();
    let settings = dirs.claude().join("settings.json");
    let original = r#"{
  "model": "opus",
  "permissions": {"allow": ["Bash(ls:*)"]},
  "statusLine": {"type": "command", "command": "bash -c 'echo \"my line\"'", "padding": 0},
  "env": {"FOO": "1"}
}"#;
    write(&settings, original);
    let run = |cmd: &str| {
        // The test binary lives in the cargo target dir, which install-statusline refuses
        // without --force (a `cargo clean` would take Claude Code's status line with it).
        let force: &[&str] = if cmd == "install-statusline" {
            &["--force"]
        } else {
            &[]
        };
        let out = dirs.command().arg(cmd).args(force).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let said = run("install-statusline");
    assert!(said.contains("backup"), "{said}");
    let installed: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    let keys: Vec<&String> = installed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["model", "permissions", "statusLine", "env"],
        "key order kept"
    );
    assert_eq!(installed["permissions"]["allow"][0], "Bash(ls:*)");
    let command = installed["statusLine"]["command"].as_str().unwrap();
    assert!(command.contains(" statusline --chain "), "{command}");
    assert_eq!(installed["statusLine"]["padding"], 0);
    // The installed command really runs and chains the old one.
    let out = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("my line\n"), "{text:?}");
    // Idempotent: a second install changes nothing.
    let before = std::fs::read_to_string(&settings).unwrap();
    assert!(run("install-statusline").contains("unchanged"));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), before);
    // Uninstall restores the chained command.
    run("uninstall-statusline");
    let restored: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(restored, serde_json::from_str::<Value>(original).unwrap());
    let backups = std::fs::read_dir(dirs.claude())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".claude-gauge.bak")
        })
        .count();
    assert_eq!(backups, 2, "one backup per change");
}

fn oauth_daemon(mock: &UsageMock) -> Daemon {
    let dirs = TestDirs::new();
    write(
        &dirs.config_file(),
        &format!(
            "[oauth]\nenabled = true\nbase_url = \"{}\"\n",
            mock.base_url
        ),
    );
    write(
        &dirs.claude().join(".credentials.json"),
        &json!({"claudeAiOauth": {
            "accessToken": FAKE_ACCESS_TOKEN, "refreshToken": "sk-ant-ort01-fake",
            "expiresAt": (now_secs() + 3600) * 1000,
            "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}})
        .to_string(),
    );
    Daemon::start_with(dirs, &[])
}

async fn wait_for_limits(daemon: &Daemon, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = daemon.get_json("/limits").await;
        if pred(&report) || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn iso(secs: u64) -> String {
    jiff::Timestamp::from_second(secs as i64)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn oauth_poller_failures_are_clear_and_keep_the_token_secret() {
    type Case = (
        u16,
        &'static str,
        Option<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: [Case; 4] = [
        (
            401,
            r#"{"error":{"type":"authentication_error"}}"#,
            None,
            "disconnected",
        ),
        (
            403,
            r#"{"error":{"type":"permission_error"}}"#,
            None,
            "user:profile",
        ),
        (
            429,
            r#"{"error":{"type":"rate_limit_error","message":"Rate limited."}}"#,
            Some(("retry-after", "0")),
            "429",
        ),
        (200, "<html>garbage</html>", None, "not a usage object"),
    ];
    for (status, body, extra, expect) in cases {
        let mock = start_usage_mock(status, body.to_string(), extra).await;
        let daemon = oauth_daemon(&mock);
        let report = wait_for_limits(&daemon, |r| r["oauth"]["last_error"].is_string()).await;
        let error = report["oauth"]["last_error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(error.contains(expect), "HTTP {status}: {report}");
        assert!(!error.contains("sk-ant"), "{error}");
        let frame = daemon.usage().await;
        assert_eq!(frame["source"], "none", "{frame}");
        // Backoff: no second request right after a failure.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(mock.seen.lock().unwrap().len(), 1, "HTTP {status}");
        // The CLI shows the same message.
        let out = daemon
            .dirs
            .command()
            .args(["limits", "--daemon", &daemon.base_url])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(expect), "{text}");
        let mut daemon = daemon;
        daemon.stop();
        let logs: Vec<String> = daemon.stderr.try_iter().collect();
        assert!(logs.iter().all(|l| !l.contains("sk-ant")), "token in logs");
    }
}

mod real_claude {
    //! The real Claude Code CLI, interactive under tmux, against a fake Messages API that sends
    //! the unified rate-limit headers; our statusline (installed by install-statusline) forwards
    //! `rate_limits` to the daemon.

    use super::*;
    use crate::fake_api::{claude_code_bin, FakeApi, FakeUsage};

    /// The unified rate-limit headers the real API sends, for a fake subscriber's account.
    fn rate_limit_headers(util_5h: f64, util_7d: f64) -> Vec<(&'static str, String)> {
        vec![
            ("anthropic-ratelimit-unified-status", "allowed".to_string()),
            (
                "anthropic-ratelimit-unified-5h-utilization",
                util_5h.to_string(),
            ),
            (
                "anthropic-ratelimit-unified-5h-reset",
                (now_secs() + 2 * 3600).to_string(),
            ),
            (
                "anthropic-ratelimit-unified-7d-utilization",
                util_7d.to_string(),
            ),
            (
                "anthropic-ratelimit-unified-7d-reset",
                (now_secs() + 4 * 86_400).to_string(),
            ),
            (
                "anthropic-ratelimit-unified-representative-claim",
                "five_hour".to_string(),
            ),
        ]
    }

    /// A private tmux server (its own socket), killed on drop.
    struct Tmux {
        socket: String,
    }

    impl Tmux {
        fn run(&self, args: &[&str]) -> std::process::Output {
            Command::new("tmux")
                .arg("-L")
                .arg(&self.socket)
                .args(args)
                .output()
                .expect("tmux runs (scripts/install-test-deps installs it)")
        }
        fn screen(&self) -> String {
            String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "cg"]).stdout)
                .into_owned()
        }
    }

    impl Drop for Tmux {
        fn drop(&mut self) {
            let _ = self.run(&["kill-server"]);
        }
    }

    /// A fake subscriber login (Claude Code then passes rate_limits to the statusline) and the
    /// first-run answers, in this test's own Claude config dir.
    fn write_subscriber_login(config_dir: &std::path::Path, work: &std::path::Path) {
        write(
            &config_dir.join(".credentials.json"),
            &json!({"claudeAiOauth": {
                "accessToken": FAKE_ACCESS_TOKEN, "refreshToken": "sk-ant-ort01-fake",
                "expiresAt": (now_secs() + 3600) * 1000,
                "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}})
            .to_string(),
        );
        write(
            &config_dir.join(".claude.json"),
            &json!({"hasCompletedOnboarding": true, "theme": "dark",
                    "projects": {work.to_string_lossy(): {"hasTrustDialogAccepted": true}}})
            .to_string(),
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriber_rate_limits_reach_the_frame() {
        let Some(claude) = claude_code_bin() else {
            return;
        };
        let claude = claude.display();
        let usage = FakeUsage {
            input: 12,
            output: 7,
            ..FakeUsage::default()
        };
        let fake = FakeApi::start(usage, &rate_limit_headers(0.42, 0.17)).await;
        let api = fake.base_url.clone();
        let daemon = Daemon::start();
        let dirs = &daemon.dirs;
        let config_dir = dirs.claude();
        let home = dirs.root.path().join("home");
        let work = dirs.root.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let work = work.canonicalize().unwrap();

        // Our statusline, installed by our installer into this test's own Claude config dir.
        let out = dirs
            .command()
            .args([
                "install-statusline",
                "--force",
                "--daemon",
                &daemon.base_url,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        write_subscriber_login(&config_dir, &work);

        let tmux = Tmux {
            socket: format!("cg-official-{}", std::process::id()),
        };
        let env_cmd = format!(
            "env -i PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm-256color HOME={home} \
             CLAUDE_CONFIG_DIR={config} ANTHROPIC_BASE_URL={api} DISABLE_AUTOUPDATER=1 \
             CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_MAX_RETRIES=1 \
             {claude} --model claude-sonnet-4-5",
            home = home.display(),
            config = config_dir.display(),
        );
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "cg",
            "-x",
            "160",
            "-y",
            "45",
            "-c",
            &work.to_string_lossy(),
            &env_cmd,
        ]);
        assert!(
            started.status.success(),
            "{}",
            String::from_utf8_lossy(&started.stderr)
        );

        // Wait for the prompt, then send one message.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && !tmux.screen().contains('>') {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        tmux.run(&["send-keys", "-t", "cg", "hello", "Enter"]);

        let frame = daemon
            .wait_for(Duration::from_secs(60), |f| f["source"] == "official")
            .await;
        let screen = tmux.screen();
        assert_eq!(
            frame["source"], "official",
            "frame {frame}\nscreen:\n{screen}"
        );
        assert!(
            (frame["fuel_5h"].as_f64().unwrap() - 0.58).abs() < 1e-6,
            "{frame}"
        );
        assert!(
            (frame["fuel_7d"].as_f64().unwrap() - 0.83).abs() < 1e-6,
            "{frame}"
        );
        // Our line is on Claude Code's screen.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut screen = tmux.screen();
        while Instant::now() < deadline && !screen.contains("5h 58% left") {
            tokio::time::sleep(Duration::from_millis(250)).await;
            screen = tmux.screen();
        }
        assert!(screen.contains("5h 58% left"), "screen:\n{screen}");
    }
}

#[tokio::test]
async fn an_opus_weekly_window_at_91_pct_shows_in_limits_and_flashes_the_opus_lamp() {
    let reset_7d = now_secs() + 3 * 86_400;
    let body = json!({
        "five_hour": {"utilization": 10.0, "resets_at": iso(now_secs() + 3 * 3600)},
        "seven_day": {"utilization": 40.0, "resets_at": iso(reset_7d)},
        "seven_day_opus": {"utilization": 91.0, "resets_at": iso(reset_7d)},
        "seven_day_sonnet": {"utilization": 12.0, "resets_at": iso(reset_7d)},
        "seven_day_oauth_apps": null,
        "extra_usage": {"is_enabled": true, "monthly_limit": 5000, "used_credits": 1250,
                        "utilization": 25.0}});
    let mock = start_usage_mock(200, body.to_string(), None).await;
    let daemon = oauth_daemon(&mock);
    let report = wait_for_limits(&daemon, |r| {
        r["scoped"].as_array().is_some_and(|s| s.len() == 2)
    })
    .await;
    let opus = report["scoped"]
        .as_array()
        .and_then(|s| s.iter().find(|w| w["name"] == "seven_day_opus"))
        .unwrap_or_else(|| panic!("no Opus weekly window: {report}"));
    assert_eq!(opus["model"], "opus", "{report}");
    assert_eq!(opus["used_pct"], 91.0, "{report}");
    assert_eq!(opus["resets_at_secs"], reset_7d, "{report}");
    assert_eq!(opus["origin"], "oauth", "{report}");
    assert_eq!(report["extra_usage"]["used_pct"], 25.0, "{report}");
    // The frame lights the Opus model lamp's caution (Sonnet, at 12 %, stays dark) ...
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            crate::util::lamps(f).contains(&"WARN_OPUS".to_string())
        })
        .await;
    crate::util::assert_valid_frame(&frame);
    let lit = crate::util::lamps(&frame);
    assert!(lit.contains(&"WARN_OPUS".to_string()), "{frame}");
    assert!(!lit.contains(&"WARN_SONNET".to_string()), "{frame}");
    // ... which a cluster (gauge-core, run by `sim`) flashes once the lamp test is over.
    let out = daemon
        .dirs
        .command()
        .args([
            "sim",
            "--url",
            &daemon.base_url,
            "--jsonl",
            "--no-boot-sweep",
        ])
        .args(["--duration-secs", "3.5", "--interval-ms", "100"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last: Value = text
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no sim output: {text}"));
    let pattern = |name: &str| {
        last["lamps"]
            .as_array()
            .and_then(|l| l.iter().find(|lamp| lamp["lamp"] == name))
            .map(|lamp| lamp["pattern"].clone())
    };
    assert_eq!(pattern("WARN_OPUS"), Some(json!("slow")), "{last}");
    assert_eq!(pattern("WARN_SONNET"), Some(json!("off")), "{last}");
    // `claude-gauge limits` lists it.
    let out = daemon
        .dirs
        .command()
        .args(["limits", "--url", &daemon.base_url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("7d opus (seven_day_opus) ") && l.contains(" 91.0% used")),
        "{text}"
    );
    assert!(
        // Claude sends cents; Claude Code shows dollars, and so does `limits`.
        text.contains("extra usage: on, $12.50 / $50.00"),
        "{text}"
    );
}
