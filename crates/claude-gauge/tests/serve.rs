//! The command line's side of `serve`: listen errors and the exposure warning on stderr. The
//! transport itself is tested in-process in `crates/gauge-daemon/tests/serve.rs`.

use crate::util::{Daemon, TestDirs};

#[test]
fn port_in_use_is_one_clear_line_and_a_failure() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap().to_string();
    let dirs = TestDirs::new();
    let out = dirs
        .command()
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(dirs.data())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("already in use") && lines[0].contains(&addr),
        "{stderr}"
    );
}

#[tokio::test]
async fn loopback_listen_is_silent_and_non_loopback_warns() {
    let quiet = Daemon::start();
    assert!(
        !quiet.startup_lines.iter().any(|l| l.contains("warning")),
        "{:?}",
        quiet.startup_lines
    );
    drop(quiet);
    let dirs = TestDirs::new();
    let mut daemon = Daemon::start_with(dirs, &["--listen", "0.0.0.0:0"]);
    let warnings: Vec<&String> = daemon
        .startup_lines
        .iter()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", daemon.startup_lines);
    assert!(warnings[0].contains("beyond loopback"), "{warnings:?}");
    daemon.stop();
}
