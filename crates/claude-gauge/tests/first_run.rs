//! The first ten minutes, as a new user meets them: the binary installed where `cargo install`
//! puts it, `doctor` on a clean home and on a set-up one, `service install --dry-run`, shell
//! completions and the man page, `install-statusline`'s refusal of a binary in a cargo target
//! directory, the startup summary the daemon prints, and docs/protocol.md listing every endpoint.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::run_with_stdin;
use crate::util::{assistant_line, timestamp_now, write, Daemon, TestDirs};

/// The binary as `cargo install` leaves it: `~/.cargo/bin/claude-gauge` in the test's home.
fn install_copy(dirs: &TestDirs) -> PathBuf {
    let bin = dirs.root.path().join("home/.cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let installed = bin.join("claude-gauge");
    let built = env!("CARGO_BIN_EXE_claude-gauge");
    // A hard link is instant; another file system needs a copy.
    if std::fs::hard_link(built, &installed).is_err() {
        std::fs::copy(built, &installed).unwrap();
    }
    installed
}

/// `program` with the test's directories, `PATH` = `path`, and these extra variables.
fn command_in(dirs: &TestDirs, program: &Path, path: &str, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", dirs.root.path().join("home"))
        .env("CLAUDE_CONFIG_DIR", dirs.claude())
        .env("CLAUDE_GAUGE_CONFIG", dirs.config_file())
        .env("CLAUDE_GAUGE_DATA_DIR", dirs.data());
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd
}

/// A loopback URL nothing listens on.
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every line is `ok|warn|fail  name: detail`, and every line that is not ok carries a fix.
fn assert_doctor_lines(report: &str) {
    assert!(report.lines().count() >= 10, "{report}");
    for line in report.lines() {
        let status = line.split_whitespace().next().unwrap();
        assert!(["ok", "warn", "fail"].contains(&status), "{line}");
        if status != "ok" {
            assert!(line.contains(" — fix: "), "no fix: {line}");
        }
    }
}

fn status_of<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.contains(&format!("  {name}: ")))
        .unwrap_or_else(|| panic!("no {name} line in {report}"))
        .split_whitespace()
        .next()
        .unwrap()
}

#[test]
fn doctor_on_a_clean_home_exits_1_with_a_fix_on_each_failing_line() {
    let dirs = TestDirs::new();
    let out = command_in(
        &dirs,
        Path::new(env!("CARGO_BIN_EXE_claude-gauge")),
        "/usr/bin:/bin",
        &[("CLAUDE_GAUGE_URL", &closed_url())],
    )
    .arg("doctor")
    .output()
    .unwrap();
    let (report, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}{stderr}");
    assert_doctor_lines(&report);
    for failing in ["binary on PATH", "daemon", "transcripts"] {
        assert_eq!(status_of(&report, failing), "fail", "{report}");
    }
    assert!(
        report.contains("cargo install --path crates/claude-gauge --locked"),
        "{report}"
    );
    assert_eq!(status_of(&report, "statusline"), "warn", "{report}");
    assert!(
        report.contains("ok    token file: no token file (only needed beyond loopback)"),
        "{report}"
    );
    assert_eq!(status_of(&report, "exposure"), "ok", "{report}");
}

/// A statusLine payload as Claude Code sends it, with its own percentages.
fn statusline_payload() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "session_id": "s-1", "transcript_path": "/nowhere.jsonl", "cwd": "/tmp",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "rate_limits": {
            "five_hour": {"used_percentage": 12.0, "resets_at": now + 3600},
            "seven_day": {"used_percentage": 30.0, "resets_at": now + 86_400}
        }
    })
    .to_string()
}

#[tokio::test]
async fn doctor_after_install_statusline_and_a_running_daemon_exits_0() {
    let dirs = TestDirs::new();
    let installed = install_copy(&dirs);
    write(
        &dirs.claude().join("projects/p/s.jsonl"),
        &format!(
            "{}\n",
            assistant_line(
                "req_1",
                &timestamp_now(-60_000),
                "claude-opus-4-5",
                100,
                200
            )
        ),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    let dirs = &daemon.dirs;
    let path = format!("{}:/usr/bin:/bin", installed.parent().unwrap().display());
    let vars = [("CLAUDE_GAUGE_URL", daemon.base_url.as_str())];
    let run = |args: &[&str]| {
        let out = command_in(dirs, &installed, &path, &vars)
            .args(args)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        stdout
    };
    run(&["install-statusline"]);
    // Claude Code runs the installed command with its payload on stdin.
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(dirs.claude().join("settings.json")).unwrap(),
    )
    .unwrap();
    let command = settings["statusLine"]["command"].as_str().unwrap();
    assert!(
        command.starts_with(&format!("'{}' statusline", installed.display())),
        "{command}"
    );
    // Claude Code sends one per reply; the statusline has 50 ms for the daemon, so a loaded
    // machine may need a second reply.
    let deadline = Instant::now() + Duration::from_secs(20);
    while daemon.get_json("/limits").await["windows"][0]["official"].is_null() {
        assert!(Instant::now() < deadline, "no official reading arrived");
        let mut sh = command_in(dirs, Path::new("sh"), &path, &vars);
        let out = run_with_stdin(sh.args(["-c", command]), &statusline_payload());
        assert!(out.status.success());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = command_in(dirs, &installed, &path, &vars)
        .arg("doctor")
        .output()
        .unwrap();
    let (report, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}{stderr}");
    assert_doctor_lines(&report);
    for name in [
        "config",
        "binary on PATH",
        "daemon",
        "data dir",
        "transcripts",
        "statusline",
        "official reading",
        "token file",
        "exposure",
        "mDNS",
    ] {
        assert_eq!(status_of(&report, name), "ok", "{name}: {report}");
    }
    assert!(
        report.contains(&format!("version {}", env!("CARGO_PKG_VERSION"))),
        "{report}"
    );
    assert!(report.contains("transcripts: 1 file in "), "{report}");
    // A token file others can read fails, with the fix.
    let token = dirs.data().join("token");
    std::fs::write(&token, "x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = command_in(dirs, &installed, &path, &vars)
        .arg("doctor")
        .output()
        .unwrap();
    let (report, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("fix: chmod 600 {}", token.display())),
        "{report}"
    );
}

#[test]
fn service_install_dry_run_prints_a_unit_for_the_installed_binary() {
    let dirs = TestDirs::new();
    let built = Path::new(env!("CARGO_BIN_EXE_claude-gauge"));
    // From the cargo target directory, with nothing installed: refused, with the fix.
    let out = command_in(&dirs, built, "/usr/bin:/bin", &[])
        .args(["service", "install", "--dry-run"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stderr.contains("cargo install --path crates/claude-gauge --locked"),
        "{stderr}"
    );
    let installed = install_copy(&dirs);
    for program in [built, installed.as_path()] {
        let out = command_in(&dirs, program, "/usr/bin:/bin", &[])
            .args(["service", "install", "--dry-run", "--manager", "systemd"])
            .output()
            .unwrap();
        let (unit, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(
            unit.contains(&format!("\nExecStart={} serve\n", installed.display())),
            "{unit}"
        );
        assert!(
            unit.contains("[Install]\nWantedBy=default.target\n"),
            "{unit}"
        );
        // The settings this user chose go along.
        assert!(
            unit.contains(&format!(
                "Environment=CLAUDE_CONFIG_DIR={}\n",
                dirs.claude().display()
            )),
            "{unit}"
        );
        assert!(stderr.contains("would write"), "{stderr}");
        assert!(
            stderr.contains("systemd/user/claude-gauge.service"),
            "{stderr}"
        );
    }
    // Nothing was written.
    assert!(!dirs.root.path().join("home/.config/systemd").exists());
    let out = command_in(&dirs, &installed, "/usr/bin:/bin", &[])
        .args(["service", "install", "--dry-run", "--manager", "launchd"])
        .output()
        .unwrap();
    let (plist, _) = text(&out);
    assert!(
        plist.contains(&format!(
            "<string>{}</string>\n    <string>serve</string>",
            installed.display()
        )),
        "{plist}"
    );
    let out = command_in(&dirs, &installed, "/usr/bin:/bin", &[])
        .args(["service", "status", "--manager", "systemd"])
        .output()
        .unwrap();
    let (said, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.starts_with("not installed"), "{said}");
}

#[test]
fn completions_are_valid_shell_and_man_is_roff() {
    let dirs = TestDirs::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = dirs
            .command()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("doctor"),
            "{shell}"
        );
    }
    let script = dirs.root.path().join("claude-gauge.bash");
    let out = dirs
        .command()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let out = dirs.command().arg("man").output().unwrap();
    let (roff, _) = text(&out);
    assert!(out.status.success());
    assert!(roff.contains("\n.TH claude-gauge 1 "), "{roff}");
    assert!(
        roff.contains(".SH NAME") && roff.contains("doctor"),
        "{roff}"
    );
}

#[test]
fn install_statusline_refuses_a_binary_in_a_cargo_target_dir_without_force() {
    let dirs = TestDirs::new();
    let settings = dirs.claude().join("settings.json");
    let out = dirs.command().arg("install-statusline").output().unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("cargo target directory"), "{stderr}");
    assert!(
        stderr.contains("cargo install --path crates/claude-gauge --locked"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!settings.exists(), "nothing is written");
    let out = dirs
        .command()
        .args(["install-statusline", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(settings.exists());
}

/// Reads the daemon's stderr until a line contains `needle`; returns every line read.

#[test]
fn the_daemon_says_what_each_gauge_shows_and_from_where() {
    let dirs = TestDirs::new();
    write(&dirs.config_file(), "[limits]\ntokens_5h = 10000\n");
    write(
        &dirs.claude().join("projects/p/s.jsonl"),
        &format!(
            "{}\n",
            assistant_line(
                "req_1",
                &timestamp_now(-60_000),
                "claude-opus-4-5",
                1_000,
                1_500
            )
        ),
    );
    let daemon = Daemon::start_with(dirs, &[]);
    let lines = daemon.stderr_until("claude-gauge: 7d:").join("\n");
    assert!(
        lines.contains("claude-gauge: 5h: estimate, 25 % of 10k tokens (configured), resets "),
        "{lines}"
    );
    assert!(lines.contains("claude-gauge: tach: "), "{lines}");
    assert!(
        lines
            .contains("claude-gauge: 7d: unknown — set limits.tokens_7d or run install-statusline"),
        "{lines}"
    );
    assert!(!lines.contains("no projects/ directory"), "{lines}");

    // No projects/ directory anywhere: the summary warns.
    let daemon = Daemon::start_with(TestDirs::new(), &[]);
    let lines = daemon.stderr_until("no projects/ directory").join("\n");
    assert!(lines.contains("claude-gauge: 5h: unknown"), "{lines}");
}

#[test]
fn protocol_md_lists_every_endpoint_the_daemon_serves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("../../docs/protocol.md")).unwrap();
    let router = std::fs::read_to_string(root.join("../gauge-daemon/src/serve/mod.rs")).unwrap();
    let paths: Vec<&str> = router
        .split(".route(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert!(paths.len() >= 10, "{paths:?}");
    for path in paths {
        assert!(
            doc.contains(&format!("`GET {path}`")),
            "docs/protocol.md lacks GET {path}"
        );
    }
    let ingest =
        std::fs::read_to_string(root.join("../gauge-daemon/src/sources/statusline.rs")).unwrap();
    let ingest_path = ingest
        .split("INGEST_PATH: &str = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        doc.contains(&format!("`POST {ingest_path}`")),
        "{ingest_path}"
    );
}
