//! The checks of Claude Code's side: its `settings.json` runs our statusLine command (a binary
//! that exists and lasts, the daemon's URL, a chained command that exists) and, when the OTLP
//! receiver is on, sends its telemetry here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Check, Setup};
use crate::cli::binary::INSTALL_COMMAND;
use crate::cli::install_statusline::{parse_ours, program_of};
use crate::config::Settings;

/// Claude Code's settings.json: `Ok(None)` when there is none, `Err` when it is not JSON.
pub(super) type ClaudeSettings = Result<Option<(PathBuf, Value)>, String>;

/// Reads `settings.json` in Claude Code's config dir.
pub(super) fn read_settings(claude_dir: &Path) -> ClaudeSettings {
    let path = claude_dir.join("settings.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(|value| Some((path.clone(), value)))
        .map_err(|err| format!("{} is not valid JSON ({err})", path.display()))
}

/// Whether Claude Code's statusLine runs `claude-gauge statusline`, and correctly.
pub(super) fn statusline(setup: &Setup, claude: &ClaudeSettings) -> Check {
    const NAME: &str = "statusline";
    let install = "`claude-gauge install-statusline` (it keeps an existing statusLine, chained)";
    let (path, value) = match claude {
        Err(err) => {
            return Check::fail(
                NAME,
                err.clone(),
                "fix its JSON; Claude Code cannot read it either",
            )
        }
        Ok(None) => {
            return Check::warn(
                NAME,
                format!(
                    "not installed (no {}): Claude's own 5h/7d percentages do not reach the daemon",
                    setup.claude_dir.join("settings.json").display()
                ),
                install,
            )
        }
        Ok(Some(found)) => found,
    };
    let Some(command) = value["statusLine"]["command"].as_str() else {
        return Check::warn(
            NAME,
            format!(
                "not installed in {}: Claude's own 5h/7d percentages do not reach the daemon",
                path.display()
            ),
            install,
        );
    };
    let Some(ours) = parse_ours(command) else {
        return Check::warn(
            NAME,
            format!("Claude Code's statusLine runs `{command}`, not claude-gauge"),
            install,
        );
    };
    let reinstall = format!("`{INSTALL_COMMAND}`, then `claude-gauge install-statusline`");
    let Some(program) = locate(setup, &ours.program) else {
        return Check::fail(
            NAME,
            format!(
                "it runs {}, which does not exist: Claude Code shows no status line",
                ours.program
            ),
            reinstall,
        );
    };
    if let Some(why) = setup.places.transience(&program) {
        return Check::warn(
            NAME,
            format!("it runs {}, {why}", program.display()),
            reinstall,
        );
    }
    if let Some(url) = &ours.url {
        if url.trim_end_matches('/') != setup.url.trim_end_matches('/') {
            return Check::warn(
                NAME,
                format!("it sends to {url}, but the daemon is at {}", setup.url),
                format!("`claude-gauge install-statusline --url {}`", setup.url),
            );
        }
    }
    match &ours.chain {
        Some(chain) => match program_of(chain) {
            Some(chained) if locate(setup, &chained).is_none() => Check::warn(
                NAME,
                format!("the chained command `{chain}` runs {chained}, which is not found"),
                "`claude-gauge uninstall-statusline`, fix that command, then install-statusline again",
            ),
            _ => Check::ok(NAME, format!("{} (chains `{chain}`)", program.display())),
        },
        None => Check::ok(NAME, program.display().to_string()),
    }
}

/// A command's program: a path as is, a bare name on `PATH`; `None` when it is not there.
fn locate(setup: &Setup, program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return path.is_file().then_some(path);
    }
    setup.places.find_on_path(program)
}

/// When the OTLP receiver is on: Claude Code's settings send its telemetry to it.
pub(super) fn otlp_env(settings: &Settings, claude: &ClaudeSettings) -> Check {
    const NAME: &str = "otlp env";
    let Some(otlp) = &settings.daemon.otlp else {
        return Check::ok(NAME, "the OTLP receiver is off (nothing to send)");
    };
    let endpoints: Vec<String> = [otlp.http_listen, otlp.grpc_listen]
        .into_iter()
        .flatten()
        .map(|addr| format!("http://{}", reachable(addr)))
        .collect();
    let env = match claude {
        Ok(Some((_, value))) => &value["env"],
        _ => &Value::Null,
    };
    let is_enabled = env["CLAUDE_CODE_ENABLE_TELEMETRY"].as_str() == Some("1");
    let endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"].as_str().unwrap_or("");
    if is_enabled
        && endpoints
            .iter()
            .any(|e| e == endpoint.trim_end_matches('/'))
    {
        return Check::ok(
            NAME,
            format!("Claude Code's settings.json sends telemetry to {endpoint}"),
        );
    }
    Check::warn(
        NAME,
        format!(
            "the receiver is on ({}), but Claude Code's settings.json does not send telemetry there",
            endpoints.join(", ")
        ),
        "merge `claude-gauge otel-env --shell json` into the env block of Claude Code's settings.json (or export `claude-gauge otel-env` before starting it)",
    )
}

/// A wildcard listen address is reached over loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    }
}
