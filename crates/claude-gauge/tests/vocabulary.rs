//! One vocabulary across the commands: the daemon URL is `--url` everywhere (`--daemon` still
//! works) and `CLAUDE_GAUGE_URL` reaches every client; `config show` shows environment
//! overrides; `limits` aligns its columns and names an error's cause once; a warm restart says
//! "nothing new"; an address flag given a host name says to use IP:PORT.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::run_with_stdin;
use crate::util::{assistant_line, timestamp_now, write, Daemon, TestDirs};

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `doctor`'s report (its exit status says whether every check passed, which these tests do not
/// need).
fn doctor_report(mut command: Command) -> String {
    text(&command.output().unwrap()).0
}

fn succeeded(mut command: Command) -> String {
    let out = command.output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{command:?}: {stdout}{stderr}");
    stdout
}

/// Whether `sim --jsonl` output shows a frame from the daemon.
fn sim_saw_a_frame(jsonl: &str) -> bool {
    jsonl
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .any(|line| !line["seq"].is_null())
}

fn statusline_payload(used_5h: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "session_id": "s-1", "transcript_path": "/nowhere.jsonl", "cwd": "/tmp",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "rate_limits": {"five_hour": {"used_percentage": used_5h, "resets_at": now + 3600}}
    })
    .to_string()
}

const SIM: [&str; 5] = [
    "sim",
    "--jsonl",
    "--no-boot-sweep",
    "--duration-secs",
    "1.5",
];

#[test]
fn the_daemon_url_flag_is_url_everywhere_and_daemon_still_works() {
    let daemon = Daemon::start();
    let url = daemon.base_url.as_str();
    for flag in ["--url", "--daemon"] {
        let run = |args: &[&str]| {
            let mut command = daemon.dirs.command();
            command.args(args).args([flag, url]);
            succeeded(command)
        };
        run(&["limits"]);
        run(&["watch", "--once"]);
        let report = doctor_report({
            let mut command = daemon.dirs.command();
            command.args(["doctor", flag, url]);
            command
        });
        assert!(
            report.contains(&format!("daemon: running at {url}")),
            "{flag}: {report}"
        );
        assert!(sim_saw_a_frame(&run(&SIM)), "{flag}");
        run(&["install-statusline", "--force"]);
        let settings: Value = serde_json::from_str(
            &std::fs::read_to_string(daemon.dirs.claude().join("settings.json")).unwrap(),
        )
        .unwrap();
        let command = settings["statusLine"]["command"].as_str().unwrap();
        assert!(command.ends_with(&format!("--url '{url}'")), "{command}");
        run(&["uninstall-statusline"]);
    }
    // The help says --url.
    for command in [
        "limits",
        "watch",
        "sim",
        "doctor",
        "install-statusline",
        "statusline",
    ] {
        let help = succeeded({
            let mut c = daemon.dirs.command();
            c.args([command, "--help"]);
            c
        });
        assert!(help.contains("--url <URL>"), "{command}: {help}");
    }
}

#[tokio::test]
async fn claude_gauge_url_is_honoured_by_every_client_command() {
    let daemon = Daemon::start();
    let url = daemon.base_url.as_str();
    let with_env = |args: &[&str]| {
        let mut command = daemon.dirs.command();
        command.env("CLAUDE_GAUGE_URL", url).args(args);
        command
    };
    succeeded(with_env(&["limits"]));
    succeeded(with_env(&["watch", "--once"]));
    assert!(succeeded(with_env(&SIM)).lines().count() > 0);
    assert!(sim_saw_a_frame(&succeeded(with_env(&SIM))));
    let report = doctor_report(with_env(&["doctor"]));
    assert!(
        report.contains(&format!("daemon: running at {url}")),
        "{report}"
    );
    // The statusline has 50 ms for the daemon; a loaded machine may need a second payload, as
    // Claude Code sends one per reply.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = run_with_stdin(&mut with_env(&["statusline"]), &statusline_payload(21.0));
        assert!(out.status.success());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let used = daemon.get_json("/limits").await["windows"][0]["official"]["used_pct"].as_f64();
        if used == Some(21.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the statusline did not reach {url}"
        );
    }
    // And without it, the clients ask the configured address, not this daemon.
    let out = daemon.dirs.command().arg("limits").output().unwrap();
    if out.status.success() {
        // Something else answers on 127.0.0.1:8765 on this machine; nothing to compare.
        return;
    }
    assert!(
        text(&out).1.contains("http://127.0.0.1:8765"),
        "{}",
        text(&out).1
    );
}

#[test]
fn config_show_shows_what_the_environment_overrides() {
    let dirs = TestDirs::new();
    let show = succeeded({
        let mut c = dirs.command();
        c.env("CLAUDE_GAUGE_LISTEN", "127.0.0.1:9999")
            .env("CLAUDE_GAUGE_DATA_DIR", dirs.data())
            .env("CLAUDE_GAUGE_URL", "http://127.0.0.1:7777")
            .args(["config", "show"]);
        c
    });
    assert!(
        show.contains("listen = \"127.0.0.1:9999\"  # from CLAUDE_GAUGE_LISTEN"),
        "{show}"
    );
    assert!(
        show.contains(&format!(
            "data_dir = \"{}\"  # from CLAUDE_GAUGE_DATA_DIR",
            dirs.data().display()
        )),
        "{show}"
    );
    assert!(
        show.contains(&format!(
            "claude_config_dir = \"{}\"  # from CLAUDE_CONFIG_DIR",
            dirs.claude().display()
        )),
        "{show}"
    );
    assert!(
        show.contains("clients reach the daemon at http://127.0.0.1:7777 (from CLAUDE_GAUGE_URL)"),
        "{show}"
    );
    assert!(
        show.contains(&format!(
            "# config file: {} (from CLAUDE_GAUGE_CONFIG; not found: defaults)",
            dirs.config_file().display()
        )),
        "{show}"
    );
}

#[tokio::test]
async fn limits_aligns_its_columns_and_names_an_error_once() {
    let daemon = Daemon::start();
    let posted = reqwest::Client::new()
        .post(daemon.url("/ingest/statusline"))
        .header("content-type", "application/json")
        .body(statusline_payload(37.5))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    let table = succeeded({
        let mut c = daemon.dirs.command();
        c.args(["limits", "--url", &daemon.base_url]);
        c
    });
    let rows: Vec<&str> = table.lines().take(3).collect();
    assert!(rows[1].contains("37.5% used"), "{table}");
    let column = rows[0].find("learned limit").unwrap();
    for row in &rows[1..] {
        let cell = &row[column..];
        assert!(
            cell.starts_with("not learned yet") || cell.contains("tokens"),
            "misaligned: {table}"
        );
        assert_eq!(&row[column - 2..column], "  ", "{table}");
    }
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let out = daemon
        .dirs
        .command()
        .args(["limits", "--url", &closed])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches(closed.as_str()).count(), 1, "{stderr}");
    assert!(stderr.contains("claude-gauge serve"), "{stderr}");
}

#[test]
fn a_warm_restart_with_nothing_appended_says_nothing_new() {
    let dirs = TestDirs::new();
    write(
        &dirs.claude().join("projects/p/s.jsonl"),
        &format!(
            "{}\n",
            assistant_line("req_1", &timestamp_now(-60_000), "claude-opus-4-5", 10, 20)
        ),
    );
    let mut daemon = Daemon::start_with(dirs, &[]);
    daemon.stderr_until("transcripts: caught up 1 of 1 files");
    // A clean stop (SIGTERM) commits what was read, file offsets with it.
    let pid = daemon.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(daemon.child.wait().unwrap().success());
    let dirs = std::mem::replace(&mut daemon.dirs, TestDirs::new());
    let daemon = Daemon::start_with(dirs, &[]);
    let mut lines = daemon.startup_lines.clone();
    lines.extend(daemon.stderr_until("transcripts: nothing new in 1 file,"));
    assert!(
        !lines.iter().any(|line| line.contains("caught up")),
        "{lines:?}"
    );
}

#[test]
fn an_address_flag_given_a_host_name_says_to_use_ip_port() {
    let dirs = TestDirs::new();
    for flag in ["--listen", "--otlp-http", "--otlp-grpc"] {
        let out = dirs
            .command()
            .args(["serve", flag, "localhost:8765"])
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("'localhost:8765'")
                && stderr.contains("use IP:PORT, e.g. 127.0.0.1:8765"),
            "{stderr}"
        );
    }
}
