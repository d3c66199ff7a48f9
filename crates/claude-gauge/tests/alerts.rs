//! Alerts (docs/alerts.md): a real local HTTP sink on a TCP port, a real D-Bus session bus with
//! a notification server that owns `org.freedesktop.Notifications`, and restarts of the real
//! daemon with its real SQLite store.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::util::{append, timestamp_now, write, Daemon, TestDirs};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Every request the sink got: (path, body).
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A webhook receiver on a free loopback port. It answers each request with the next status of
/// `statuses` (200 once they run out).
async fn start_sink(statuses: Vec<u16>) -> (String, Received) {
    let received: Received = Arc::default();
    let statuses = Arc::new(Mutex::new(statuses.into_iter()));
    let state = (received.clone(), statuses);
    async fn hook(
        State((received, statuses)): State<(Received, Arc<Mutex<std::vec::IntoIter<u16>>>)>,
        uri: axum::http::Uri,
        body: String,
    ) -> StatusCode {
        received
            .lock()
            .unwrap()
            .push((uri.path().to_string(), body));
        let status = statuses.lock().unwrap().next().unwrap_or(200);
        StatusCode::from_u16(status).unwrap()
    }
    let app = Router::new()
        .route("/{*path}", post(hook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), received)
}

/// Posts a statusLine reading (5-hour `used_5h` %, 7-day 10 %) and waits for its frame.
async fn feed(daemon: &Daemon, used_5h: f64) {
    feed_resetting(daemon, used_5h, now_secs() / 60 * 60 + 3600).await;
}

/// [`feed`] with the 5-hour window resetting at `resets_at` (unix seconds).
async fn feed_resetting(daemon: &Daemon, used_5h: f64, resets_at: u64) {
    let payload = json!({
        "session_id": "s-1", "transcript_path": "/nowhere.jsonl", "cwd": "/tmp",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "rate_limits": {
            "five_hour": {"used_percentage": used_5h, "resets_at": resets_at},
            "seven_day": {"used_percentage": 10.0, "resets_at": now_secs() + 86_400}
        }
    });
    let resp = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let fuel = 1.0 - used_5h / 100.0;
    let frame = daemon
        .wait_for(Duration::from_secs(20), |f| {
            f["fuel_5h"]
                .as_f64()
                .is_some_and(|f| (f - fuel).abs() < 1e-4)
        })
        .await;
    assert!(frame["fuel_5h"].as_f64().is_some(), "{frame}");
}

/// Waits until the sink got `count` requests, then a little longer so a surplus one shows.
async fn settle(received: &Received, count: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    received.lock().unwrap().clone()
}

fn alert_config(dirs: &TestDirs, body: &str) {
    write(&dirs.config_file(), &format!("[alerts]\n{body}\n"));
}

/// The daemon has made its startup report, so its alerts watch the frames.
fn wait_ready(daemon: &Daemon) {
    daemon.stderr_until("claude-gauge: 5h:");
}

#[tokio::test]
async fn thresholds_fire_once_each_and_not_again_after_a_restart() {
    let (sink, received) = start_sink(Vec::new()).await;
    let dirs = TestDirs::new();
    alert_config(
        &dirs,
        &format!("webhook = \"{sink}/hook\"\nfuel_thresholds = [0.5, 0.1]"),
    );
    let mut daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    for used in [50.0, 60.0, 95.0, 96.0] {
        feed(&daemon, used).await;
    }
    let posts = settle(&received, 2).await;
    assert_eq!(posts.len(), 2, "{posts:?}");
    let bodies: Vec<Value> = posts
        .iter()
        .map(|(path, body)| {
            assert_eq!(path, "/hook");
            serde_json::from_str(body).unwrap()
        })
        .collect();
    for (body, threshold) in bodies.iter().zip([0.5, 0.1]) {
        assert_eq!(body["alert"], "fuel", "{body}");
        assert_eq!(body["window"], "5h", "{body}");
        assert_eq!(body["threshold"], threshold, "{body}");
        assert_eq!(body["source"], "official", "{body}");
    }
    assert!((bodies[1]["fuel_5h"].as_f64().unwrap() - 0.05).abs() < 1e-6);

    // kill -9, then a restart on the same store: what fired stays fired.
    daemon.stop();
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    daemon
        .wait_for(Duration::from_secs(20), |f| f["source"] == "official")
        .await;
    feed(&daemon, 96.0).await;
    assert_eq!(settle(&received, 2).await.len(), 2);

    // The alerts do run after the restart: back above 0.5 + margin re-arms, 55 % fires 0.5.
    feed(&daemon, 30.0).await;
    feed(&daemon, 55.0).await;
    let posts = settle(&received, 3).await;
    assert_eq!(posts.len(), 3, "{posts:?}");
    let third: Value = serde_json::from_str(&posts[2].1).unwrap();
    assert_eq!(third["threshold"], 0.5, "{third}");
}

#[tokio::test]
async fn a_window_that_resets_is_announced_once() {
    let (sink, received) = start_sink(Vec::new()).await;
    let dirs = TestDirs::new();
    alert_config(
        &dirs,
        &format!("webhook = \"{sink}/hook\"\nfuel_thresholds = [0.1]"),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    feed_resetting(&daemon, 70.0, now_secs() + 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    feed_resetting(&daemon, 1.0, now_secs() + 5 * 3600).await;
    feed_resetting(&daemon, 2.0, now_secs() + 5 * 3600).await;
    let posts = settle(&received, 1).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    let body: Value = serde_json::from_str(&posts[0].1).unwrap();
    assert_eq!(body["alert"], "reset", "{body}");
    assert_eq!(body["window"], "5h", "{body}");
}

#[tokio::test]
async fn claude_reporting_the_limit_is_announced_once() {
    let (sink, received) = start_sink(Vec::new()).await;
    let dirs = TestDirs::new();
    std::fs::create_dir_all(dirs.claude().join("projects")).unwrap();
    alert_config(
        &dirs,
        &format!("webhook = \"{sink}/hook\"\nformat = \"discord\""),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    let reset = now_secs() + 3600;
    // Claude Code's usage-limit message, as it writes it into the transcript.
    let line = json!({
        "type": "assistant", "timestamp": timestamp_now(0), "sessionId": "s",
        "isApiErrorMessage": true,
        "message": {"role": "assistant", "model": "<synthetic>",
                    "content": [{"type": "text", "text": format!("Claude AI usage limit reached|{reset}")}]}
    });
    let transcript = daemon.dirs.claude().join("projects/-p/s.jsonl");
    append(&transcript, &format!("{line}\n{line}\n"));
    let posts = settle(&received, 1).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    let body: Value = serde_json::from_str(&posts[0].1).unwrap();
    let content = body["content"].as_str().unwrap();
    assert!(
        content.starts_with("**Claude usage limit reached**\n"),
        "{body}"
    );
}

#[tokio::test]
async fn a_failing_webhook_is_retried_and_logged_without_its_secret() {
    let (sink, received) = start_sink(vec![503]).await;
    let dirs = TestDirs::new();
    alert_config(
        &dirs,
        &format!("webhook = \"{sink}/services/T0/B0/SECRETPART\"\nformat = \"slack\""),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    feed(&daemon, 80.0).await;
    let line = daemon.stderr_until("alert webhook").pop().unwrap();
    assert!(
        line.contains(&format!("alert webhook {sink} failed (answered 503")),
        "{line}"
    );
    assert!(
        !line.contains("SECRETPART") && !line.contains("services"),
        "{line}"
    );
    let posts = settle(&received, 2).await;
    assert_eq!(posts.len(), 2, "one failure, one retry: {posts:?}");
    let slack: Value = serde_json::from_str(&posts[1].1).unwrap();
    assert_eq!(
        slack["text"].as_str().unwrap().lines().next(),
        Some("*Claude 5-hour: 20% left*"),
        "{slack}"
    );
}

#[tokio::test]
async fn a_webhook_that_never_answers_does_not_hold_up_the_gauge() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            keep.lock().unwrap().push(socket);
        }
    });
    let dirs = TestDirs::new();
    alert_config(
        &dirs,
        &format!("webhook = \"http://{addr}/hook\"\nfuel_thresholds = [0.5, 0.1]"),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    for used in [60.0, 70.0, 95.0, 20.0, 55.0] {
        let started = Instant::now();
        feed(&daemon, used).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{used}: {:?}",
            started.elapsed()
        );
    }
    assert!(!held.lock().unwrap().is_empty(), "the alert was sent");
}

#[tokio::test]
async fn a_command_gets_the_alert_on_stdin_and_in_its_environment() {
    let dirs = TestDirs::new();
    let out = dirs.root.path().join("alert; out.txt");
    let script = dirs.root.path().join("on-alert.sh");
    write(
        &script,
        "#!/bin/sh\nout=\"$1\"\nprintf '%s|%s|' \"$CLAUDE_GAUGE_ALERT\" \"$CLAUDE_GAUGE_ALERT_THRESHOLD\" > \"$out.tmp\"\ncat >> \"$out.tmp\"\nmv \"$out.tmp\" \"$out\"\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // An argument with a space and a `;` stays one argument: no shell runs it.
    let target = format!("{}", out.display());
    alert_config(
        &dirs,
        &format!(
            "command = [\"{}\", \"{target}\"]\nfuel_thresholds = [0.25]",
            script.display()
        ),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    wait_ready(&daemon);
    feed(&daemon, 90.0).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = std::fs::read_to_string(&out).unwrap();
    let (env, stdin) = text.split_at(text.find('{').unwrap());
    assert_eq!(env, "fuel|0.25|");
    let payload: Value = serde_json::from_str(stdin).unwrap();
    assert_eq!(payload["threshold"], 0.25, "{payload}");
}

/// A private D-Bus session bus, stopped on drop.
struct SessionBus {
    child: Child,
    address: String,
}

impl SessionBus {
    fn start_or_skip(test: &str) -> Option<SessionBus> {
        let Ok(mut child) = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: dbus-daemon is not installed and CI is set; run scripts/install-test-deps"
            );
            println!(
                "SKIP {test}: dbus-daemon not installed (scripts/install-test-deps installs it)"
            );
            return None;
        };
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let address = line.trim().to_string();
        assert!(address.starts_with("unix:"), "{address:?}");
        Some(SessionBus { child, address })
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the notification server was shown: (app name, summary, body).
type Shown = Arc<Mutex<Vec<(String, String, String)>>>;

/// A freedesktop notification server (the spec's `org.freedesktop.Notifications` interface),
/// as a desktop runs one.
struct NotificationServer {
    shown: Shown,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationServer {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push((app_name, summary, body));
        shown.len() as u32
    }

    async fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_string()]
    }

    async fn get_server_information(&self) -> (String, String, String, String) {
        (
            "test".into(),
            "claude-gauge".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    async fn close_notification(&self, _id: u32) {}
}

#[tokio::test]
async fn desktop_notifications_reach_the_session_bus() {
    let Some(bus) = SessionBus::start_or_skip("desktop_notifications_reach_the_session_bus") else {
        return;
    };
    let shown: Shown = Arc::default();
    let server = NotificationServer {
        shown: shown.clone(),
    };
    let _connection = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", server)
        .unwrap()
        .build()
        .await
        .unwrap();
    let dirs = TestDirs::new();
    alert_config(&dirs, "desktop = true\nfuel_thresholds = [0.5]");
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let daemon = Daemon::start_with_env(dirs, &[], &env);
    wait_ready(&daemon);
    feed(&daemon, 60.0).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while shown.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    let (app, summary, body) = &shown[0];
    assert_eq!(app, "claude-gauge");
    assert_eq!(summary, "Claude 5-hour: 40% left");
    assert!(
        body.starts_with("5-hour fuel fell to the 50% alert"),
        "{body}"
    );
}
