use super::*;
use gauge_daemon::Secret;

fn dirs() -> PlatformDirs {
    PlatformDirs {
        config_file: PathBuf::from("/nonexistent/config.toml"),
        data_dir: PathBuf::from("/tmp/data"),
        home: PathBuf::from("/home/u"),
    }
}

fn load_text(text: &str) -> Result<Settings, ConfigError> {
    let raw = RawConfig::parse(text).map_err(|message| ConfigError::Parse {
        path: PathBuf::from("c.toml"),
        message,
    })?;
    resolve(
        raw,
        true,
        PathBuf::from("c.toml"),
        &dirs(),
        &EnvOverrides::default(),
        &FlagOverrides::default(),
    )
}

#[test]
fn defaults_listen_on_loopback() {
    let s = load_text("").unwrap();
    assert_eq!(s.daemon.listen.to_string(), "127.0.0.1:8765");
    assert!(s.daemon.listen.ip().is_loopback());
    assert_eq!(s.daemon.data_dir, PathBuf::from("/tmp/data"));
}

#[test]
fn unknown_key_is_named() {
    let err = load_text("[server]\nlisen = \"1.2.3.4:5\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("lisen"), "{err}");
}

#[test]
fn bad_values_name_key_and_fix() {
    let err = load_text("[server]\nlisten = \"nope\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server.listen") && err.contains("IP:PORT"),
        "{err}"
    );
    let err = load_text("[lamps]\nwarn_fuel_5h = 1.5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("lamps.warn_fuel_5h"), "{err}");
    let err = load_text("[limits]\nplan = \"ultra\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("plan") && err.contains("ultra"), "{err}");
}

#[test]
fn flags_beat_env_beat_file() {
    let raw = RawConfig::parse("[server]\nlisten = \"127.0.0.1:1\"\n").unwrap();
    let env = EnvOverrides {
        listen: Some("127.0.0.1:2".into()),
        ..EnvOverrides::default()
    };
    let s = resolve(
        raw.clone(),
        true,
        "c".into(),
        &dirs(),
        &env,
        &FlagOverrides::default(),
    )
    .unwrap();
    assert_eq!(s.daemon.listen.port(), 2);
    let flags = FlagOverrides {
        listen: Some("127.0.0.1:3".parse().unwrap()),
        ..FlagOverrides::default()
    };
    let s = resolve(raw, true, "c".into(), &dirs(), &env, &flags).unwrap();
    assert_eq!(s.daemon.listen.port(), 3);
}

#[test]
fn plan_presets_set_limits() {
    let s = load_text("[limits]\nplan = \"max5\"\n").unwrap();
    assert_eq!(s.daemon.frame.token_limits.tokens_5h, Some(88_000));
    let s = load_text("[limits]\ntokens_5h = 1000\ntokens_7d = 9000\n").unwrap();
    assert_eq!(
        (
            s.daemon.frame.token_limits.tokens_5h,
            s.daemon.frame.token_limits.tokens_7d
        ),
        (Some(1000), Some(9000))
    );
}

#[test]
fn otlp_is_off_by_default_and_flags_turn_it_on() {
    assert_eq!(load_text("").unwrap().daemon.otlp, None);
    let s = load_text("[otlp]\nenabled = true\ngrpc_listen = \"\"\n").unwrap();
    let otlp = s.daemon.otlp.unwrap();
    assert_eq!(otlp.http_listen, Some("127.0.0.1:4318".parse().unwrap()));
    assert_eq!(otlp.grpc_listen, None);
    let flags = FlagOverrides {
        otlp_grpc: Some("127.0.0.1:9".parse().unwrap()),
        ..FlagOverrides::default()
    };
    let s = resolve(
        RawConfig::default(),
        false,
        "c".into(),
        &dirs(),
        &EnvOverrides::default(),
        &flags,
    )
    .unwrap();
    let otlp = s.daemon.otlp.unwrap();
    assert_eq!(otlp.grpc_listen.unwrap().port(), 9);
    assert_eq!(otlp.http_listen.unwrap().port(), 4318);
    let err = load_text("[otlp]\nenabled = true\nhttp_listen = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("otlp.http_listen"), "{err}");
    let err = load_text("[otlp]\nenabled = true\nmax_body_bytes = 0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("otlp.max_body_bytes"), "{err}");
}

#[test]
fn prometheus_from_file_or_flag() {
    assert!(load_text("").unwrap().daemon.prometheus.is_none());
    let s = load_text(
        "[prometheus]\nurl = \"http://127.0.0.1:9090\"\nselector = 'user_email=\"a@b\"'\n",
    )
    .unwrap();
    let p = s.daemon.prometheus.unwrap();
    assert_eq!(p.url.as_str(), "http://127.0.0.1:9090/");
    assert_eq!(p.interval, Duration::from_secs(5));
    let err = load_text("[prometheus]\nurl = \"http://h:1\"\ntoken = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("token"), "{err}");
    let raw =
        RawConfig::parse("[prometheus]\nurl = \"http://a:1\"\nselector = 'team=\"x\"'\n").unwrap();
    let flags = FlagOverrides {
        prometheus_url: Some("http://b:2".into()),
        ..FlagOverrides::default()
    };
    let env = EnvOverrides::default();
    let p = resolve(raw, true, "c".into(), &dirs(), &env, &flags)
        .unwrap()
        .daemon
        .prometheus
        .unwrap();
    assert_eq!(
        (p.url.as_str(), p.selector.as_str()),
        ("http://b:2/", "team=\"x\"")
    );
}

#[test]
fn oauth_is_off_by_default_and_checked() {
    let s = load_text("").unwrap();
    assert!(!s.daemon.oauth.enabled);
    assert_eq!(s.daemon.oauth.interval, Duration::from_secs(180));
    assert_eq!(
        s.daemon.oauth.credentials_file,
        PathBuf::from("/home/u/.claude/.credentials.json")
    );
    assert!(s.daemon.oauth.user_agent.starts_with("claude-code/"));
    assert_eq!(s.daemon_url, "http://127.0.0.1:8765");
    let err = load_text("[oauth]\ninterval_secs = 60\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("oauth.interval_secs"), "{err}");
    let s = load_text("[oauth]\nenabled = true\nbase_url = \"http://127.0.0.1:9/\"\n").unwrap();
    assert!(s.daemon.oauth.enabled);
    assert_eq!(s.daemon.oauth.base_url, "http://127.0.0.1:9");
    let secret = Secret::new("sk-ant-oat01-fake".into());
    assert!(!format!("{secret:?}").contains("sk-ant"));
    assert_eq!(
        daemon_url_for("0.0.0.0:99".parse().unwrap()),
        "http://127.0.0.1:99"
    );
}

#[test]
fn default_file_text_parses_to_defaults() {
    let raw = RawConfig::parse(&default_file_text()).unwrap();
    assert_eq!(raw, RawConfig::default());
}

#[test]
fn roots_resolve_like_ccusage_but_keep_missing_ones() {
    let home = Path::new("/home/u");
    let c = ClaudeRoots::resolve(None, Some(home), None);
    assert_eq!(
        c.candidates,
        vec![
            PathBuf::from("/home/u/.config/claude"),
            PathBuf::from("/home/u/.claude")
        ]
    );
    let c = ClaudeRoots::resolve(Some(" ~/a , /b/projects,,"), Some(home), None);
    assert_eq!(
        c.candidates,
        vec![PathBuf::from("/home/u/a"), PathBuf::from("/b")]
    );
    let c = ClaudeRoots::resolve(None, Some(home), Some(Path::new("/x")));
    assert_eq!(c.candidates[0], PathBuf::from("/x/claude"));
}

#[test]
fn the_config_key_names_the_roots_for_the_daemon_and_the_reports() {
    let s = load_text("[transcripts]\nclaude_config_dir = \"~/work-claude\"\n").unwrap();
    let expected = vec![dirs().home.join("work-claude")];
    assert_eq!(s.claude_roots.candidates, expected);
    assert_eq!(s.daemon.transcripts.map(|t| t.roots), Some(expected));
    let s = load_text("[transcripts]\nenabled = false\n").unwrap();
    assert!(s.daemon.transcripts.is_none());
}

#[test]
fn claude_code_dir_is_the_first_listed_root_expanded_like_the_rest() {
    let home = Path::new("/home/u");
    let env = |list: Option<&str>| EnvOverrides {
        claude_config_dir: list.map(String::from),
        ..EnvOverrides::default()
    };
    assert_eq!(claude_dir(&env(None), home), home.join(".claude"));
    assert_eq!(
        claude_dir(&env(Some(" ~/work , /b")), home),
        home.join("work")
    );
    assert_eq!(
        claude_dir(&env(Some("/c/projects")), home),
        PathBuf::from("/c")
    );
    assert_eq!(claude_dir(&env(Some(" , ")), home), home.join(".claude"));
}

#[test]
fn lamp_defaults_are_the_dials_scales() {
    let lamps = RawConfig::default().lamps;
    assert_eq!(
        lamps.redline_tokens_per_min,
        gauge_core::TACH_REDLINE_PER_MIN
    );
    assert_eq!(
        lamps.warn_fuel_5h,
        f64::from(gauge_core::FUEL_RESERVE_BP) / 10_000.0
    );
    // The default file states the same figures.
    let text = default_file_text();
    assert!(text.contains(&format!(
        "redline_tokens_per_min = {}",
        gauge_core::TACH_REDLINE_PER_MIN
    )));
}
