//! Configuration errors and the `config` commands.

use crate::util::{write, TestDirs};

#[test]
fn unknown_config_key_names_the_key() {
    let dirs = TestDirs::new();
    write(&dirs.config_file(), "[server]\nlisen = \"127.0.0.1:1\"\n");
    let out = dirs
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("lisen") && stderr.contains("config.toml"),
        "{stderr}"
    );
}

#[test]
fn config_init_show_path_round_trip() {
    let dirs = TestDirs::new();
    let out = dirs.command().args(["config", "path"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        dirs.config_file().display().to_string()
    );
    let out = dirs.command().args(["config", "init"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dirs.config_file().exists());
    let again = dirs.command().args(["config", "init"]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let show = dirs.command().args(["config", "show"]).output().unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("listen = \"127.0.0.1:8765\""), "{text}");
    assert!(text.contains("redline_tokens_per_min = 40000"), "{text}");
}

#[test]
fn an_explicit_config_that_does_not_exist_is_an_error_naming_it() {
    let dirs = TestDirs::new();
    let missing = dirs.root.path().join("nonexistent.toml");
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["config", "show"],
        &["limits"],
    ] {
        let out = dirs
            .command()
            .arg("--config")
            .arg(&missing)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            stderr.contains(&format!("config file {} does not exist", missing.display())),
            "{args:?}: {stderr}"
        );
    }
    // `config init --config` is how the file comes to be.
    let out = dirs
        .command()
        .arg("--config")
        .arg(&missing)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(missing.exists());
    // The default file may be absent (CLAUDE_GAUGE_CONFIG names one that is not there).
    let out = dirs.command().args(["config", "show"]).output().unwrap();
    assert!(out.status.success());
}
