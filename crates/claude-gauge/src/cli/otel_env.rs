//! `claude-gauge otel-env`: prints the environment variables that point Claude Code's telemetry
//! at this daemon's OTLP receiver, in the user's shell syntax (or as a settings.json `env` block),
//! the daemon's token among them (`OTEL_EXPORTER_OTLP_HEADERS`): beyond loopback the receivers
//! refuse exports without it.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::token_cmd::daemon_token;
use crate::config::Settings;
use crate::secret::Secret;
use crate::sources::otlp::{
    claude_code_env, ExportProtocol, DEFAULT_GRPC_LISTEN, DEFAULT_HTTP_LISTEN,
};

/// Flags of `otel-env`.
#[derive(Debug, Args)]
pub(crate) struct OtelEnvArgs {
    /// The syntax to print.
    #[arg(long, value_enum, default_value_t = Shell::Sh)]
    shell: Shell,
    /// The OTLP protocol Claude Code should use.
    #[arg(long, value_enum, default_value_t = Protocol::HttpProtobuf)]
    protocol: Protocol,
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
    let configured = settings.otlp.as_ref().and_then(|otlp| match protocol {
        ExportProtocol::Grpc => otlp.grpc_listen,
        _ => otlp.http_listen,
    });
    let default = match protocol {
        ExportProtocol::Grpc => DEFAULT_GRPC_LISTEN,
        _ => DEFAULT_HTTP_LISTEN,
    };
    let addr = configured
        .or_else(|| default.parse().ok())
        .map(reachable)
        .ok_or_else(|| anyhow::anyhow!("no OTLP address configured"))?;
    let mut vars = claude_code_env(protocol, addr);
    match daemon_token(settings) {
        Ok(token) => vars.push(("OTEL_EXPORTER_OTLP_HEADERS", otlp_headers(&token))),
        // Still useful on loopback, where no token is asked for.
        Err(err) => eprintln!(
            "claude-gauge: warning: {err:#}; a receiver beyond loopback refuses exports without the token"
        ),
    }
    render(args.shell, &vars, out)?;
    Ok(ExitCode::SUCCESS)
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
    fn the_token_goes_into_the_otlp_headers() {
        let token = Secret::new("0a1b".into());
        assert_eq!(otlp_headers(&token), "Authorization=Bearer%200a1b");
    }
}
