//! The checks of this machine and the daemon: config, binary, daemon, data dir, transcripts,
//! the last official reading, the token file, exposure and mDNS. Claude Code's side (its
//! statusLine and telemetry settings) is in `claude_side.rs`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::claude_side;
use super::{Check, Setup};
use crate::cli::binary::INSTALL_COMMAND;
use crate::cli::daemon_token::DaemonToken;
use crate::cli::local_http;
use crate::config::Settings;
use gauge_daemon::LimitsReport;

/// How long the daemon gets to answer.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(2);
/// How long to listen for the mDNS advertisement.
const MDNS_WAIT: Duration = Duration::from_secs(3);
/// The fix for a daemon that is not running.
const START_DAEMON: &str =
    "`claude-gauge service install` (runs it at login), or `claude-gauge serve` in a terminal";

/// What the daemon answered.
pub(super) struct DaemonProbe {
    /// Its version, when `/healthz` answered.
    version: Option<String>,
    /// Why it could not be reached.
    error: Option<String>,
    /// Its `/limits` report.
    limits: Option<LimitsReport>,
    /// It asked for its token (401): what is missing, and the fix.
    refused: Option<(String, String)>,
}

impl DaemonProbe {
    fn ask(url: &str, token: &DaemonToken) -> DaemonProbe {
        let get = |path| {
            let request = local_http::Request {
                method: "GET",
                path,
                body: None,
                bearer: token.secret(),
            };
            local_http::send(url, &request, Instant::now() + DAEMON_TIMEOUT)
                .map_err(|err| (err.to_string(), None))
                .and_then(|reply| match reply.status {
                    200 => Ok(reply.body),
                    401 => Err((format!("HTTP 401 to {path}"), Some(token.refusal(url)))),
                    status => Err((format!("HTTP {status} to {path}"), None)),
                })
        };
        match get("/healthz") {
            Err((error, refused)) => DaemonProbe {
                version: None,
                error: Some(error),
                limits: None,
                refused,
            },
            Ok(body) => {
                let health: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                DaemonProbe {
                    version: Some(health["version"].as_str().unwrap_or("unknown").to_string()),
                    error: None,
                    limits: get("/limits")
                        .ok()
                        .and_then(|body| serde_json::from_slice(&body).ok()),
                    refused: None,
                }
            }
        }
    }
}

/// Every check, in the order a new user sets things up.
pub(super) fn all(setup: &Setup, now_ms: i64) -> Vec<Check> {
    let mut checks = vec![config(setup), binary_on_path(setup)];
    let token = DaemonToken::load(setup.settings.as_ref().ok());
    let daemon = DaemonProbe::ask(&setup.url, &token);
    checks.push(daemon_check(&daemon, &setup.url));
    let claude_settings = claude_side::read_settings(&setup.claude_dir);
    let settings = setup.settings.as_ref().ok();
    if let Some(settings) = settings {
        checks.push(data_dir(&settings.daemon.data_dir));
        checks.push(transcripts(settings, now_ms));
    }
    checks.push(claude_side::statusline(setup, &claude_settings));
    if let Some(settings) = settings {
        checks.push(official_reading(settings, &daemon, now_ms));
        checks.push(claude_side::otlp_env(settings, &claude_settings));
        checks.push(token_file(&settings.daemon.data_dir));
        checks.push(exposure(settings));
        checks.push(mdns(settings.daemon.listen));
    }
    checks
}

fn config(setup: &Setup) -> Check {
    match &setup.settings {
        Ok(s) if s.config_file_exists => Check::ok("config", s.config_file.display().to_string()),
        Ok(s) => Check::ok(
            "config",
            format!(
                "no file at {}; defaults (`claude-gauge config init` writes one)",
                s.config_file.display()
            ),
        ),
        Err(err) => Check::fail(
            "config",
            err.to_string(),
            "fix the file; the checks that need it are skipped",
        ),
    }
}

fn binary_on_path(setup: &Setup) -> Check {
    const NAME: &str = "binary on PATH";
    let places = &setup.places;
    match places.on_path() {
        Some(found) => match places.transience(&found) {
            None => Check::ok(NAME, found.display().to_string()),
            Some(why) => Check::warn(
                NAME,
                format!("{} is {why}", found.display()),
                format!("`{INSTALL_COMMAND}`"),
            ),
        },
        None => match places.installed() {
            Some(installed) => Check::fail(
                NAME,
                format!(
                    "claude-gauge is installed at {} but not on PATH",
                    installed.display()
                ),
                format!("add {} to PATH", places.cargo_bin().display()),
            ),
            None => Check::fail(
                NAME,
                "no claude-gauge on PATH",
                format!(
                    "`{INSTALL_COMMAND}` (in a clone of the repository; about 9 minutes on 2 cores)"
                ),
            ),
        },
    }
}

fn daemon_check(daemon: &DaemonProbe, url: &str) -> Check {
    const NAME: &str = "daemon";
    let ours = env!("CARGO_PKG_VERSION");
    if let Some((detail, fix)) = &daemon.refused {
        return Check::fail(NAME, detail.clone(), fix.clone());
    }
    match (&daemon.version, &daemon.error) {
        (Some(version), _) if version == ours => {
            Check::ok(NAME, format!("running at {url}, version {version}"))
        }
        (Some(version), _) => Check::warn(
            NAME,
            format!("running at {url}, version {version}, but this claude-gauge is {ours}"),
            "restart it on the new binary: `claude-gauge service install` (or restart `claude-gauge serve`)",
        ),
        (None, error) => {
            let error = error.as_deref().unwrap_or("no answer");
            // Most errors name the URL already; say it once.
            let detail = if error.contains(url) {
                error.to_string()
            } else {
                format!("not reachable at {url}: {error}")
            };
            Check::fail(NAME, detail, START_DAEMON)
        }
    }
}

fn data_dir(dir: &Path) -> Check {
    const NAME: &str = "data dir";
    let fix = "make it writable, or choose another with --data-dir or CLAUDE_GAUGE_DATA_DIR";
    let writable = |path: &Path| {
        nix::unistd::access(
            path,
            nix::unistd::AccessFlags::W_OK | nix::unistd::AccessFlags::X_OK,
        )
    };
    if dir.is_dir() {
        return match writable(dir) {
            Ok(()) => Check::ok(NAME, format!("{} (writable)", dir.display())),
            Err(err) => Check::fail(
                NAME,
                format!("{} is not writable ({err})", dir.display()),
                fix,
            ),
        };
    }
    match dir.ancestors().skip(1).find(|a| a.is_dir()) {
        Some(parent) if writable(parent).is_ok() => Check::ok(
            NAME,
            format!("{} (created at the first start)", dir.display()),
        ),
        Some(parent) => Check::fail(
            NAME,
            format!(
                "{} cannot be created: {} is not writable",
                dir.display(),
                parent.display()
            ),
            fix,
        ),
        None => Check::fail(NAME, format!("{} cannot be created", dir.display()), fix),
    }
}

fn transcripts(settings: &Settings, now_ms: i64) -> Check {
    const NAME: &str = "transcripts";
    if settings.daemon.transcripts.is_none() {
        return Check::ok(NAME, "not read ([transcripts] enabled = false)");
    }
    let candidates = &settings.claude_roots.candidates;
    let roots: Vec<_> = candidates
        .iter()
        .filter(|root| root.join("projects").is_dir())
        .cloned()
        .collect();
    let shown = |roots: &[std::path::PathBuf]| {
        roots
            .iter()
            .map(|r| r.join("projects").display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if roots.is_empty() {
        return Check::fail(
            NAME,
            format!("no projects/ directory in {}", shown(candidates)),
            "run Claude Code here once, or point CLAUDE_CONFIG_DIR (or [transcripts] claude_config_dir) at its data",
        );
    }
    let files = claude_usage::usage_files(&roots);
    let newest = files
        .iter()
        .filter_map(|f| f.metadata().and_then(|m| m.modified()).ok())
        .max();
    match newest {
        None => Check::warn(
            NAME,
            format!("no transcripts yet in {}", shown(&roots)),
            "use Claude Code; it writes its sessions there",
        ),
        Some(newest) => Check::ok(
            NAME,
            format!(
                "{} file{} in {}, newest {}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                shown(&roots),
                age(now_ms, unix_ms(newest))
            ),
        ),
    }
}

fn official_reading(settings: &Settings, daemon: &DaemonProbe, now_ms: i64) -> Check {
    const NAME: &str = "official reading";
    let Some(limits) = &daemon.limits else {
        return Check::warn(NAME, "unknown: the daemon did not answer", START_DAEMON);
    };
    let newest = limits
        .windows
        .iter()
        .filter_map(|w| w.official.as_ref().map(|o| (w.window.as_str(), o)))
        .max_by_key(|(_, o)| o.at_ms);
    let Some((window, official)) = newest else {
        return Check::warn(
            NAME,
            "none yet: the fuel gauges show estimates, and 7d shows nothing without limits.tokens_7d",
            "`claude-gauge install-statusline`, then use Claude Code (every reply sends one)",
        );
    };
    let stale_after_ms = settings.daemon.frame.official_stale_after.as_millis() as i64;
    let detail = format!(
        "{window} {:.0} % used, from {}, {}",
        official.used_pct,
        official.origin,
        age(now_ms, official.at_ms)
    );
    if now_ms - official.at_ms <= stale_after_ms {
        Check::ok(NAME, detail)
    } else {
        Check::warn(
            NAME,
            format!("{detail}: stale, the gauges show estimates"),
            "use Claude Code (every reply sends one); if it is in use, check the statusline line above",
        )
    }
}

fn token_file(data_dir: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "token file";
    let path = data_dir.join("token");
    match std::fs::metadata(&path) {
        Err(_) => Check::ok(NAME, "no token file (only needed beyond loopback)"),
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 == 0 {
                Check::ok(NAME, format!("{} (mode {mode:04o})", path.display()))
            } else {
                Check::fail(
                    NAME,
                    format!("{} is readable by others (mode {mode:04o})", path.display()),
                    format!("chmod 600 {}", path.display()),
                )
            }
        }
    }
}

fn exposure(settings: &Settings) -> Check {
    const NAME: &str = "exposure";
    let mut listening: Vec<(&str, SocketAddr)> = vec![("http", settings.daemon.listen)];
    if let Some(otlp) = &settings.daemon.otlp {
        listening.extend(otlp.http_listen.map(|a| ("otlp http", a)));
        listening.extend(otlp.grpc_listen.map(|a| ("otlp grpc", a)));
    }
    let shown = |list: &[&(&str, SocketAddr)]| {
        list.iter()
            .map(|(what, addr)| format!("{what} {addr}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let beyond: Vec<_> = listening
        .iter()
        .filter(|(_, a)| !a.ip().is_loopback())
        .collect();
    if beyond.is_empty() {
        let all: Vec<_> = listening.iter().collect();
        return Check::ok(NAME, format!("loopback only ({})", shown(&all)));
    }
    Check::warn(
        NAME,
        format!(
            "beyond loopback: {}; anyone who can reach it sees your usage aggregates",
            shown(&beyond)
        ),
        "listen on 127.0.0.1 unless a cluster on the network needs it (server.listen, --listen)",
    )
}

fn mdns(listen: SocketAddr) -> Check {
    const NAME: &str = "mDNS";
    if listen.ip().is_loopback() {
        return Check::ok(NAME, "not advertised (the daemon listens on loopback only)");
    }
    let fix = "is the daemon running with this --listen? allow UDP 5353 (mDNS) through the firewall, or give the cluster this host's address";
    let browse = || -> Result<Option<String>, mdns_sd::Error> {
        let daemon = mdns_sd::ServiceDaemon::new()?;
        let events = daemon.browse(gauge_daemon::MDNS_SERVICE_TYPE)?;
        let deadline = Instant::now() + MDNS_WAIT;
        let mut found = None;
        while let Ok(event) = events.recv_deadline(deadline) {
            if let mdns_sd::ServiceEvent::ServiceResolved(service) = event {
                if service.port == listen.port() {
                    found = Some(format!("{} port {}", service.fullname, service.port));
                    break;
                }
            }
        }
        let _ = daemon.shutdown();
        Ok(found)
    };
    match browse() {
        Ok(Some(found)) => Check::ok(NAME, format!("advertised as {found}")),
        Ok(None) => Check::warn(
            NAME,
            format!(
                "{} not seen within {} s",
                gauge_daemon::MDNS_SERVICE_TYPE,
                MDNS_WAIT.as_secs()
            ),
            fix,
        ),
        Err(err) => Check::warn(NAME, format!("cannot browse mDNS: {err}"), fix),
    }
}

fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `12s ago`, `5m ago`, `3h ago`, `2d ago`.
pub(super) fn age(now_ms: i64, at_ms: i64) -> String {
    let secs = ((now_ms - at_ms) / 1000).max(0);
    match secs {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7_200 => format!("{}m ago", s / 60),
        s if s < 172_800 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}
