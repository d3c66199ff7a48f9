//! Setting a cluster up over USB, end to end on the host: `claude-gauge device ...` talks the
//! setup protocol over a real pty to `sim --pty --flash`, which runs gauge-core's handler and
//! stores gauge-core's settings record in a file standing in for flash; and the SSE client
//! (gauge-core's parser, the simulator's `--network` link) against the real daemon.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use gauge_core::{decode_frame, DeviceSettings, SseParser, SsePush, Text};
use serde_json::{json, Value};

use crate::util::{run_with_stdin, spawn_sim_jsonl};
use crate::util::{Daemon, TestDirs};

const PASSWORD: &str = "hunter2 hunter2";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// `sim --jsonl --pty LINK --flash FLASH ...`, its samples on a channel, killed on drop.
struct Sim {
    child: Child,
    samples: mpsc::Receiver<Value>,
}

impl Sim {
    fn start(dirs: &TestDirs, link: &Path, flash: &Path, extra: &[&str]) -> Sim {
        let mut args = vec![
            "--pty".into(),
            link.as_os_str().to_owned(),
            "--flash".into(),
            flash.as_os_str().to_owned(),
        ];
        args.extend(extra.iter().map(std::ffi::OsString::from));
        let (child, samples) = spawn_sim_jsonl(dirs.command(), args);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !link.exists() {
            assert!(Instant::now() < deadline, "sim made no pty at {link:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Sim { child, samples }
    }

    /// Waits for a sample that satisfies `pred`; returns it.
    fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = Value::Null;
        while let Ok(sample) = self
            .samples
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if pred(&sample) {
                return sample;
            }
            last = sample;
        }
        panic!("the simulator never showed {what}; last sample {last}");
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `claude-gauge device ARGS` with `stdin`; returns its output.
fn device(dirs: &TestDirs, args: &[&str], stdin: &str) -> Output {
    run_with_stdin(dirs.command().arg("device").args(args), stdin)
}

fn ok_stdout(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "device failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The first line the device says on its serial port (read raw, as a terminal program would).
fn first_serial_line(link: &Path) -> String {
    let mut port = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(link)
        .unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut byte = [0u8];
        while port.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the device said nothing on its serial port")
}

fn paths(dirs: &TestDirs) -> (PathBuf, PathBuf) {
    (
        dirs.root.path().join("ttyGAUGE"),
        dirs.root.path().join("flash.bin"),
    )
}

#[test]
fn device_setup_is_stored_in_flash_and_survives_a_restart_and_show_hides_the_secrets() {
    let dirs = TestDirs::new();
    let (link, flash) = paths(&dirs);
    let port = link.to_str().unwrap();
    let sim = Sim::start(&dirs, &link, &flash, &[]);
    // Nothing stored: USB serial only, and the device says so.
    assert_eq!(
        first_serial_line(&link),
        "# no settings stored: frames over USB serial only; run `claude-gauge device setup`"
    );

    let args = [
        "setup",
        "--port",
        port,
        "--wifi-ssid",
        "attic net",
        "--wifi-pass-stdin",
        "--host",
        "192.168.1.20:8765",
        "--token",
        TOKEN,
    ];
    let stdout = ok_stdout(&device(&dirs, &args, &format!("{PASSWORD}\n")));
    // The lamps: brightness applied at once, night dimming stored.
    let lamps = [
        "setup",
        "--port",
        port,
        "--lamp-brightness",
        "60",
        "--night-dimming",
        "off",
        "--no-restart",
    ];
    let lamp_stdout = ok_stdout(&device(&dirs, &lamps, ""));
    assert!(
        lamp_stdout.contains("lamps.brightness  60\n"),
        "{lamp_stdout}"
    );
    assert!(
        lamp_stdout.contains("lamps.night       off\n"),
        "{lamp_stdout}"
    );
    sim.wait_for("lamps at 60 %", |s| s["brightness_pct"] == 60);
    assert!(stdout.contains("wifi.ssid         attic net\n"), "{stdout}");
    assert!(stdout.contains("wifi.password     set\n"), "{stdout}");
    assert!(stdout.contains("restarted"), "{stdout}");
    assert!(
        !stdout.contains("hunter2") && !stdout.contains(TOKEN),
        "{stdout}"
    );

    // The flash holds gauge-core's record, password and token included.
    let stored = DeviceSettings::decode(&std::fs::read(&flash).unwrap()).unwrap();
    assert_eq!(stored.wifi_ssid.as_str(), "attic net");
    assert_eq!(stored.wifi_password.as_str(), PASSWORD);
    assert_eq!(stored.token.as_str(), TOKEN);
    assert_eq!(stored.daemon_addr(), Some(("192.168.1.20", 8765)));
    assert_eq!(
        (stored.brightness_pct, stored.is_night_dimming),
        (60, false)
    );

    // A new process on the same flash file: the settings are read at boot.
    sim.stop();
    let sim = Sim::start(&dirs, &link, &flash, &[]);
    sim.wait_for("the stored brightness at boot", |s| {
        s["brightness_pct"] == 60
    });
    assert_eq!(
        first_serial_line(&link),
        "# settings loaded: Wi-Fi attic net, daemon 192.168.1.20:8765"
    );
    let shown = ok_stdout(&device(&dirs, &["show", "--port", port], ""));
    for line in [
        "stored            yes",
        "wifi.ssid         attic net",
        "wifi.password     set",
        "daemon            192.168.1.20:8765",
        "token             set",
    ] {
        assert!(
            shown.lines().any(|l| l == line),
            "{line:?} missing:\n{shown}"
        );
    }
    assert!(
        !shown.contains("hunter2") && !shown.contains(TOKEN),
        "{shown}"
    );

    // A password that is not one is refused by the device with its reason; nothing changes.
    let refused = device(
        &dirs,
        &[
            "setup",
            "--port",
            port,
            "--wifi-ssid",
            "x",
            "--wifi-pass-stdin",
        ],
        "short\n",
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("WPA2 needs 8 to 64 characters"), "{stderr}");
    assert!(
        !stderr.contains("short"),
        "the refusal quotes no password: {stderr}"
    );
    let unchanged = DeviceSettings::decode(&std::fs::read(&flash).unwrap()).unwrap();
    assert_eq!(unchanged, stored);

    // The password from the environment, so it is on no command line; none at all is refused
    // before anything is sent.
    let args = [
        "setup",
        "--port",
        port,
        "--wifi-ssid",
        "garden",
        "--no-restart",
    ];
    let missing = device(&dirs, &args, "");
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("--wifi-ssid needs the network's password"),
        "{stderr}"
    );
    let output = dirs
        .command()
        .arg("device")
        .args(args)
        .env("CLAUDE_GAUGE_WIFI_PASS", "from the environment")
        .output()
        .unwrap();
    let stdout = ok_stdout(&output);
    assert!(!stdout.contains("from the environment"), "{stdout}");
    let stored = DeviceSettings::decode(&std::fs::read(&flash).unwrap()).unwrap();
    assert_eq!(stored.wifi_ssid.as_str(), "garden");
    assert_eq!(stored.wifi_password.as_str(), "from the environment");
    assert_eq!(stored.token.as_str(), TOKEN, "what was not given stays");
}

/// Writes `frame` to the port every 300 ms until dropped, as `serve --serial` would.
struct FrameFeeder {
    is_running: Arc<AtomicBool>,
}

impl FrameFeeder {
    fn start(link: &Path, frame: &'static str) -> FrameFeeder {
        let is_running = Arc::new(AtomicBool::new(true));
        let running = Arc::clone(&is_running);
        let mut port = std::fs::OpenOptions::new().write(true).open(link).unwrap();
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                if port.write_all(format!("{frame}\n").as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        FrameFeeder { is_running }
    }
}

impl Drop for FrameFeeder {
    fn drop(&mut self) {
        self.is_running.store(false, Ordering::Relaxed);
    }
}

/// 5 h full, tach 0, 7 d half.
const FULL_5H: &str = r#"{"v":1,"seq":9,"ts":0,"fuel_5h":1.0,"fuel_7d":0.5,"tach":0,"reset_5h":null,"reset_7d":null,"model":null,"source":"official","lamps":[]}"#;

#[test]
fn device_calibrate_changes_the_stored_trim_and_the_simulated_needle() {
    let dirs = TestDirs::new();
    let (link, flash) = paths(&dirs);
    let port = link.to_str().unwrap();
    let sim = Sim::start(&dirs, &link, &flash, &[]);
    let _feeder = FrameFeeder::start(&link, FULL_5H);
    // The default dial: zero 15, full scale 810 steps above it.
    sim.wait_for("5 h at F", |s| {
        s["positions"][0] == 825 && s["positions"][1] == 15
    });

    let args = [
        "calibrate",
        "--port",
        port,
        "--gauge",
        "5h",
        "--zero",
        "4",
        "--trim",
        "-20",
    ];
    let stdout = ok_stdout(&device(&dirs, &args, ""));
    assert!(
        stdout.contains("5h: zero trim 4, sweep trim -20 (zero at 19 steps, full scale at 809)"),
        "{stdout}"
    );
    sim.wait_for("5 h at the trimmed F", |s| s["positions"][0] == 809);
    let stored = DeviceSettings::decode(&std::fs::read(&flash).unwrap()).unwrap();
    assert_eq!(
        (stored.trims[0].zero_steps, stored.trims[0].sweep_steps),
        (4, -20)
    );

    // Interactive: the tach needle is moved onto its marks step by step (it moves as told),
    // then follows the frame again on its new zero.
    let args = ["calibrate", "--port", port, "--gauge", "tach"];
    let stdout = ok_stdout(&device(&dirs, &args, "++\n+\n\n--\n\n"));
    assert!(
        stdout.contains("tach at 26 steps; move it onto the zero mark"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tach: zero trim 11, sweep trim -21 (zero at 26 steps, full scale at 815)"),
        "{stdout}"
    );
    sim.wait_for("tach resting on its new zero", |s| {
        s["positions"][1] == 26 && s["positions"][0] == 809
    });
    let shown = ok_stdout(&device(&dirs, &["show", "--port", port], ""));
    assert!(shown.contains("cal.5h            4 -20\n"), "{shown}");
    assert!(shown.contains("cal.tach          11 -21\n"), "{shown}");
    assert!(shown.contains("unsaved           no\n"), "{shown}");

    // Input that ends before the marks are set stores nothing.
    let cut = device(
        &dirs,
        &["calibrate", "--port", port, "--gauge", "7d"],
        "+\n",
    );
    assert!(!cut.status.success());
    let after = DeviceSettings::decode(&std::fs::read(&flash).unwrap()).unwrap();
    assert_eq!(after.trims[2], gauge_core::GaugeTrim::default());
}

/// The daemon's `/events` bytes as they came off the wire: the first event, then whatever
/// `then` causes, up to an event whose data contains `until`.
async fn events_bytes(daemon: &Daemon, until: &str, then: impl std::future::Future) -> Vec<u8> {
    use futures_util::StreamExt;
    let response = reqwest::get(daemon.url("/events")).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut bytes = Vec::new();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    bytes.extend_from_slice(&first.unwrap().unwrap().unwrap());
    then.await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while count(&bytes, until.as_bytes()) == 0 || !bytes.ends_with(b"\n\n") {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await;
        bytes.extend_from_slice(&chunk.expect("no more events").unwrap().unwrap());
    }
    bytes
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[tokio::test]
async fn the_sse_parser_reads_the_real_daemon_stream_in_any_chunks() {
    let daemon = Daemon::start();
    let feed = async {
        let payload = json!({
            "model": {"id": "claude-sonnet-4-5"},
            "rate_limits": {"five_hour": {"used_percentage": 30.0, "resets_at": 4_102_444_800u64}}
        });
        let resp = reqwest::Client::new()
            .post(daemon.url("/ingest/statusline"))
            .json(&payload)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
    };
    let bytes = events_bytes(&daemon, "\"fuel_5h\":0.7", feed).await;
    // The same stream read whole, the plain way: split at blank lines, parse the data lines.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let whole: Vec<Value> = text
        .split("\n\n")
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect();
    assert!(whole.len() >= 2, "{text}");
    // A small deterministic generator: the same chunkings on every run.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..200 {
        let mut parser = SseParser::<512>::new();
        let mut frames = Vec::new();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let max = if round % 2 == 0 { 3 } else { 97 };
            let take = usize::try_from(seed % max).unwrap() + 1;
            let (chunk, tail) = rest.split_at(take.min(rest.len()));
            rest = tail;
            for &byte in chunk {
                if parser.push(byte) == SsePush::Event {
                    let event = parser.event();
                    assert_eq!(event.name, b"frame");
                    let frame = decode_frame(event.data).expect("every event decodes");
                    assert_eq!(event.id, frame.seq.to_string().as_bytes());
                    frames.push(frame);
                }
            }
        }
        let seqs: Vec<u64> = frames.iter().map(|f| u64::from(f.seq)).collect();
        let expected: Vec<u64> = whole.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
        assert_eq!(seqs, expected, "round {round}");
        assert_eq!(frames.last().unwrap().fuel_5h, Some(0.7));
        assert_eq!(parser.dropped_events(), 0);
    }
}

#[tokio::test]
async fn sim_network_follows_events_with_the_stored_read_token() {
    let dirs = TestDirs::new();
    let (link, flash) = paths(&dirs);
    let daemon = Daemon::start_with(dirs, &["--read-token"]);
    let token = std::fs::read_to_string(daemon.dirs.data().join("token")).unwrap();
    let addr = daemon.base_url.trim_start_matches("http://").to_string();
    let settings = |token: &str| {
        let settings = DeviceSettings {
            wifi_ssid: Text::new(b"lab").unwrap(),
            wifi_password: Text::new(b"password123").unwrap(),
            daemon: Text::new(addr.as_bytes()).unwrap(),
            token: Text::new(token.trim().as_bytes()).unwrap(),
            ..DeviceSettings::default()
        };
        let mut record = [0u8; gauge_core::RECORD_MAX_LEN];
        let len = settings.encode(&mut record);
        std::fs::write(&flash, &record[..len]).unwrap();
    };

    // A wrong token: the daemon refuses, the cluster gets no frame.
    settings("not-the-token");
    let sim = Sim::start(&daemon.dirs, &link, &flash, &["--network"]);
    std::thread::sleep(Duration::from_secs(3));
    while let Ok(sample) = sim.samples.try_recv() {
        assert_eq!(sample["seq"], Value::Null, "{sample}");
    }
    sim.stop();

    // The right one: frames arrive over /events, and each change at once.
    settings(&token);
    let sim = Sim::start(&daemon.dirs, &link, &flash, &["--network"]);
    let usage: Value = reqwest::Client::new()
        .get(daemon.url("/usage"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seq = usage["seq"].clone();
    sim.wait_for("the daemon's frame", |s| s["seq"] == seq);
    let resp = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .bearer_auth(token.trim())
        .json(&json!({"rate_limits": {"five_hour": {"used_percentage": 50.0, "resets_at": 4_102_444_800u64}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    // Fuel 0.5 on the default dial: 15 + 405 steps.
    sim.wait_for("the new 5 h fuel", |s| s["positions"][0] == 420);
}

/// A server that refuses `/events` (404, as a proxy that cannot stream might) and answers
/// `/usage` only with the token: the one fault the real daemon cannot be made to show.
/// Counts the requests of each kind.
async fn refusing_server(frame: &'static str) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n")
                    && socket.read(&mut byte).await.is_ok_and(|n| n == 1)
                {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                let has_token =
                    head.contains(&format!("authorization: bearer {}", TOKEN.to_lowercase()));
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                log.lock()
                    .unwrap()
                    .push(format!("{path} token={has_token}"));
                let answer = match (path.as_str(), has_token) {
                    ("/usage", true) => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{frame}",
                        frame.len()
                    ),
                    ("/usage", false) => "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
                    _ => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
                };
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn sim_network_polls_usage_when_events_is_refused() {
    let dirs = TestDirs::new();
    let (link, flash) = paths(&dirs);
    let (addr, seen) = refusing_server(FULL_5H).await;
    let settings = DeviceSettings {
        wifi_ssid: Text::new(b"lab").unwrap(),
        daemon: Text::new(addr.as_bytes()).unwrap(),
        token: Text::new(TOKEN.as_bytes()).unwrap(),
        ..DeviceSettings::default()
    };
    let mut record = [0u8; gauge_core::RECORD_MAX_LEN];
    let len = settings.encode(&mut record);
    std::fs::write(&flash, &record[..len]).unwrap();
    let sim = Sim::start(&dirs, &link, &flash, &["--network"]);
    // The frame arrives by polling, after /events was refused twice (after a 1 s backoff).
    let sample = tokio::task::spawn_blocking(move || {
        let sample = sim.wait_for("the polled frame", |s| {
            s["seq"] == 9 && s["positions"][0] == 825
        });
        drop(sim);
        sample
    })
    .await
    .unwrap();
    assert_eq!(sample["is_stalled"], false);
    let seen = seen.lock().unwrap().clone();
    let events: Vec<&String> = seen.iter().filter(|r| r.starts_with("/events")).collect();
    assert_eq!(events.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|r| r.ends_with("token=true")), "{seen:?}");
    let first_poll = seen.iter().position(|r| r.starts_with("/usage")).unwrap();
    assert_eq!(
        first_poll, 2,
        "polling starts after the second refusal: {seen:?}"
    );
}
