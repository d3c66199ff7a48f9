//! `claude-gauge otel-env`: prints the environment variables that point Claude Code's telemetry
//! at this daemon's OTLP receiver, in the user's shell syntax (or as a settings.json `env` block),
//! the daemon's token among them (`OTEL_EXPORTER_OTLP_HEADERS`): beyond loopback the receivers
//! refuse exports without it.
//!
//! With `--hub URL` it points this machine at another machine's daemon instead (one hub for a
//! laptop and a desktop): the hub's endpoint, the hub's token (`--token-file`), and
//! `OTEL_RESOURCE_ATTRIBUTES=host.name=<this machine>`, so the hub can tell the machines apart.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::token_cmd::daemon_token;
use crate::config::Settings;
use gauge_daemon::read_token;
use gauge_daemon::Secret;
use gauge_daemon::{claude_code_env, this_machine_name, ExportProtocol, OtlpSettings};

/// Flags of `otel-env`.
#[derive(Debug, Args)]
pub(crate) struct OtelEnvArgs {
    /// The syntax to print.
    #[arg(long, value_enum, default_value_t = Shell::Sh)]
    shell: Shell,
    /// The OTLP protocol Claude Code should use.
    #[arg(long, value_enum, default_value_t = Protocol::HttpProtobuf)]
    protocol: Protocol,
    /// Export to the daemon at this URL (a hub on another machine, e.g. http://desk:4318)
    /// instead of this machine's, naming this machine in `host.name`.
    #[arg(long, value_name = "URL")]
    hub: Option<String>,
    /// A file holding the hub's token (`claude-gauge token` on the hub prints it); a hub listens
    /// beyond loopback, where every export needs it.
    #[arg(long, value_name = "FILE", requires = "hub")]
    token_file: Option<PathBuf>,
}

/// Output syntaxes.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Shell {
    /// `export K=V` (bash, zsh, dash).
    Sh,
    /// `set -gx K V`.
    Fish,
    /// `$env:K = "V"`.
    Powershell,
    /// A JSON object for the `env` block of Claude Code's settings.json.
    Json,
}

/// `--protocol` values, as Claude Code spells them.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Protocol {
    /// `http/protobuf`.
    #[value(name = "http/protobuf")]
    HttpProtobuf,
    /// `http/json`.
    #[value(name = "http/json")]
    HttpJson,
    /// `grpc`.
    Grpc,
}

pub(super) fn run(
    args: &OtelEnvArgs,
    settings: &Settings,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let protocol = match args.protocol {
        Protocol::HttpProtobuf => ExportProtocol::HttpProtobuf,
        Protocol::HttpJson => ExportProtocol::HttpJson,
        Protocol::Grpc => ExportProtocol::Grpc,
    };
    let vars = match &args.hub {
        Some(hub) => hub_vars(protocol, hub, args.token_file.as_ref(), settings)?,
        None => local_vars(protocol, settings)?,
    };
    render(args.shell, &vars, out)?;
    Ok(ExitCode::SUCCESS)
}

/// The variables for this machine's own daemon.
fn local_vars(
    protocol: ExportProtocol,
    settings: &Settings,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let configured = settings
        .daemon
        .otlp
        .as_ref()
        .and_then(|otlp| match protocol {
            ExportProtocol::Grpc => otlp.grpc_listen,
            _ => otlp.http_listen,
        });
    let default = match protocol {
        ExportProtocol::Grpc => OtlpSettings::DEFAULT_GRPC_LISTEN,
        _ => OtlpSettings::DEFAULT_HTTP_LISTEN,
    };
    let addr = configured
        .or_else(|| default.parse().ok())
        .map(reachable)
        .ok_or_else(|| anyhow::anyhow!("no OTLP address configured"))?;
    let mut vars = claude_code_env(protocol, format!("http://{addr}"));
    match daemon_token(settings) {
        Ok(token) => vars.push(("OTEL_EXPORTER_OTLP_HEADERS", otlp_headers(&token))),
        // Still useful on loopback, where no token is asked for.
        Err(err) => eprintln!(
            "claude-gauge: warning: {err:#}; a receiver beyond loopback refuses exports without the token"
        ),
    }
    Ok(vars)
}

/// The variables for a hub at `hub`: its endpoint, its token, and this machine's name.
fn hub_vars(
    protocol: ExportProtocol,
    hub: &str,
    token_file: Option<&PathBuf>,
    settings: &Settings,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let default_port = match protocol {
        ExportProtocol::Grpc => OtlpSettings::DEFAULT_GRPC_LISTEN,
        _ => OtlpSettings::DEFAULT_HTTP_LISTEN,
    }
    .rsplit(':')
    .next()
    .and_then(|port| port.parse().ok())
    .unwrap_or(4318);
    let endpoint = hub_endpoint(hub, default_port)?;
    let machine = this_machine_name();
    let mut vars = claude_code_env(protocol, endpoint);
    vars.push((
        "OTEL_RESOURCE_ATTRIBUTES",
        format!("host.name={}", percent_encode(&machine)),
    ));
    let token = match token_file {
        Some(path) => Some(read_token(path)?.ok_or_else(|| {
            anyhow::anyhow!(
                "--token-file {}: no such file; run `claude-gauge token` on the hub and save its output there",
                path.display()
            )
        })?),
        // On the hub itself its own token is the one; another machine's token would be wrong.
        None if names_this_machine(hub, &machine) => read_token(&settings.daemon.access.token_file)?,
        None => None,
    };
    match token {
        Some(token) => vars.push(("OTEL_EXPORTER_OTLP_HEADERS", otlp_headers(&token))),
        None => eprintln!(
            "claude-gauge: warning: no token for the hub; it refuses exports without one: run `claude-gauge token` on the hub, save it to a file and pass --token-file FILE"
        ),
    }
    Ok(vars)
}

/// The OTLP endpoint for `--hub`: an http(s) URL with a host; the default port added when it
/// names none, a trailing slash dropped.
fn hub_endpoint(hub: &str, default_port: u16) -> anyhow::Result<String> {
    let bad = || {
        anyhow::anyhow!(
            "--hub {hub:?} is not an http(s) URL with a host; pass the hub's OTLP address, e.g. --hub http://desk:4318"
        )
    };
    let mut url = reqwest::Url::parse(hub.trim()).map_err(|_| bad())?;
    let is_http = matches!(url.scheme(), "http" | "https");
    if !is_http || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if url.port().is_none() && url.scheme() == "http" {
        url.set_port(Some(default_port)).map_err(|()| bad())?;
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Whether the hub URL names this machine (loopback, or its host name).
fn names_this_machine(hub: &str, machine: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(hub.trim()) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let short = host.split('.').next().unwrap_or_default();
    host == "localhost" || short.eq_ignore_ascii_case(machine)
}

/// `OTEL_RESOURCE_ATTRIBUTES` values are percent-decoded: anything but letters, digits, `-`,
/// `.` and `_` is encoded.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `OTEL_EXPORTER_OTLP_HEADERS` carrying the token: `key=value` pairs whose values are
/// percent-decoded by the exporters, so the space is `%20`.
fn otlp_headers(token: &Secret) -> String {
    format!("Authorization=Bearer%20{}", token.expose())
}

/// A wildcard listen address is reached over loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    }
}

fn render(shell: Shell, vars: &[(&str, String)], out: &mut impl Write) -> std::io::Result<()> {
    match shell {
        Shell::Sh => vars
            .iter()
            .try_for_each(|(k, v)| writeln!(out, "export {k}='{v}'")),
        Shell::Fish => vars
            .iter()
            .try_for_each(|(k, v)| writeln!(out, "set -gx {k} '{v}'")),
        Shell::Powershell => vars
            .iter()
            .try_for_each(|(k, v)| writeln!(out, "$env:{k} = '{v}'")),
        Shell::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(v.clone())))
                .collect();
            let text = serde_json::to_string_pretty(&serde_json::json!({ "env": map }))
                .map_err(std::io::Error::other)?;
            writeln!(out, "{text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_shell() {
        let vars = [("A", "1".to_string()), ("B", "http://x".to_string())];
        let text = |shell| {
            let mut out = Vec::new();
            render(shell, &vars, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(Shell::Sh), "export A='1'\nexport B='http://x'\n");
        assert_eq!(text(Shell::Fish), "set -gx A '1'\nset -gx B 'http://x'\n");
        assert_eq!(
            text(Shell::Powershell),
            "$env:A = '1'\n$env:B = 'http://x'\n"
        );
        let json: serde_json::Value = serde_json::from_str(&text(Shell::Json)).unwrap();
        assert_eq!(json["env"]["B"], "http://x");
        assert_eq!(
            reachable("0.0.0.0:4318".parse().unwrap()).to_string(),
            "127.0.0.1:4318"
        );
    }

    #[test]
    fn hub_urls_get_the_default_port_and_bad_ones_are_refused() {
        assert_eq!(
            hub_endpoint("http://desk", 4318).unwrap(),
            "http://desk:4318"
        );
        assert_eq!(
            hub_endpoint("http://desk:14318/", 4318).unwrap(),
            "http://desk:14318"
        );
        assert_eq!(
            hub_endpoint("https://hub.example.lan/otlp", 4318).unwrap(),
            "https://hub.example.lan/otlp"
        );
        for bad in ["desk:4318", "ftp://desk", "http://", ""] {
            let err = hub_endpoint(bad, 4318).unwrap_err().to_string();
            assert!(err.contains("--hub http://desk:4318"), "{bad}: {err}");
        }
        assert!(names_this_machine("http://127.0.0.1:4318", "desk"));
        assert!(names_this_machine("http://desk.example.lan:4318", "desk"));
        assert!(!names_this_machine("http://laptop:4318", "desk"));
        assert_eq!(percent_encode("my box,2"), "my%20box%2C2");
    }

    #[test]
    fn the_token_goes_into_the_otlp_headers() {
        let token = Secret::new("0a1b".into());
        assert_eq!(otlp_headers(&token), "Authorization=Bearer%200a1b");
    }
}
