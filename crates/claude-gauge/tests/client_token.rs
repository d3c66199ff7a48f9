//! Client commands against a daemon run with `--read-token`: `limits`, `machines`, `doctor`,
//! `watch --once` and `sim` send the token from the configured token file and get data; without
//! the file each fails with one line that names the fix, and none prints the token.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{Daemon, TestDirs};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every command, the way it is checked: what its stdout must show with the token.
const COMMANDS: &[&[&str]] = &[
    &["limits", "--json"],
    &["machines", "--json"],
    &["doctor"],
    &["watch", "--once", "--width", "80", "--height", "20"],
    &[
        "sim",
        "--jsonl",
        "--no-boot-sweep",
        "--interval-ms",
        "20",
        "--duration-secs",
        "3",
    ],
];

#[tokio::test(flavor = "multi_thread")]
async fn client_commands_send_the_read_token() {
    let daemon = Daemon::start_with(TestDirs::new(), &["--read-token"]);
    let data = daemon.dirs.data();
    let token = std::fs::read_to_string(data.join("token")).unwrap();
    let token = token.trim().to_string();
    let without = tempfile::tempdir().unwrap();
    for args in COMMANDS {
        let name = args[0];
        let (with, refused) = tokio::task::spawn_blocking({
            let (daemon_url, data, empty) = (
                daemon.base_url.clone(),
                data.clone(),
                without.path().to_path_buf(),
            );
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let daemon = DaemonUrl(daemon_url);
                (daemon.run(&data, &args), daemon.run(&empty, &args))
            }
        })
        .await
        .unwrap();
        let (stdout, stderr) = (text(&with.stdout), text(&with.stderr));
        match name {
            "limits" => {
                let report: Value = serde_json::from_str(&stdout).expect(&stderr);
                assert!(report["windows"].is_array(), "{stdout}");
            }
            "machines" => {
                let machines: Value = serde_json::from_str(&stdout).expect(&stderr);
                assert!(machines.is_array(), "{stdout}");
            }
            "doctor" => {
                let line = stdout
                    .lines()
                    .find(|l| l.contains("daemon:"))
                    .expect(&stdout);
                assert!(line.starts_with("ok    daemon: running at"), "{stdout}");
            }
            "watch" => {
                assert!(with.status.success(), "{stderr}");
                assert_eq!(stdout.lines().count(), 20, "{stdout}");
            }
            _ => {
                assert!(with.status.success(), "{stderr}");
                let has_frame = stdout.lines().any(|line| {
                    serde_json::from_str::<Value>(line).is_ok_and(|s| s["seq"].is_u64())
                });
                assert!(has_frame, "sim got no frame: {stdout}\n{stderr}");
            }
        }
        if name != "doctor" {
            assert!(with.status.success(), "{name}: {stderr}");
        }
        // Without the token file: a failure, one line naming the fix.
        assert!(!refused.status.success(), "{name} passed without the token");
        let (stdout, stderr) = (text(&refused.stdout), text(&refused.stderr));
        let said = if name == "doctor" {
            stdout
                .lines()
                .find(|l| l.contains("daemon:"))
                .expect(&stdout)
                .to_string()
        } else {
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{name}: {stderr}");
            lines[0].to_string()
        };
        assert!(said.contains("requires its token"), "{name}: {said}");
        assert!(said.contains("claude-gauge token"), "{name}: {said}");
        assert!(
            said.contains(&without.path().join("token").display().to_string()),
            "{name}: {said}"
        );
        for output in [&with, &refused] {
            let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
            assert!(!all.contains(&token), "{name} printed the token");
        }
    }
}

/// A daemon's URL, for the blocking client runs.
struct DaemonUrl(String);

impl DaemonUrl {
    fn run(&self, data_dir: &Path, args: &[&str]) -> Output {
        let dirs = TestDirs::new();
        dirs.command()
            .env("CLAUDE_GAUGE_DATA_DIR", data_dir)
            .args(args)
            .args(["--url", &self.0])
            .output()
            .expect("run claude-gauge")
    }
}
