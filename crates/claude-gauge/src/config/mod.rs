//! Configuration: the TOML file, environment variables and flags, resolved into [`Settings`].
//!
//! This is the only module that reads environment variables or knows the file format. Everything
//! downstream receives ready values. Precedence: flag > environment > file > default.

mod alerts;
mod in_force;
mod inputs;
mod prometheus;
mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use claude_usage::ClaudeRoots;

use gauge_daemon::{AccessSettings, TOKEN_FILE};
pub(crate) use in_force::Override;
pub(crate) use inputs::DeviceEnv;
use inputs::ENV_LISTEN;
pub(crate) use inputs::{EnvOverrides, FlagOverrides, PlatformDirs};
use raw::MIN_OAUTH_INTERVAL_SECS;
pub(crate) use raw::{default_file_text, RawConfig};

use gauge_daemon::{
    baud_rate, DaemonSettings, FrameSettings, OauthSettings, OtlpSettings, SerialSettings,
    ServeSettings, TranscriptConfig, DEFAULT_BAUD,
};
use raw::RawOtlp;

/// The `User-Agent` version when none is configured: the Claude Code release the tests pin
/// (`claude-code.version` at the repository's root).
pub(crate) const DEFAULT_CLAUDE_CODE_VERSION: &str =
    include_str!("../../../../claude-code.version").trim_ascii();

/// A configuration problem, naming the key and the fix.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the wrong type.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, which names the key and the line.
        message: String,
    },
    /// A value parsed but is out of its range.
    #[error("config key `{key}` = {value}: {fix}")]
    Invalid {
        /// The dotted key.
        key: &'static str,
        /// The bad value as given.
        value: String,
        /// How to fix it.
        fix: &'static str,
    },
    /// `--config` names a file that does not exist (only the default file may be absent).
    #[error("config file {path} does not exist; create it with `claude-gauge config init --config {path}`, or drop --config to use the defaults")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// No platform config/data directory could be determined (no home directory).
    #[error("cannot find a home directory; pass --config and --data-dir")]
    NoHome,
}

/// The Claude config dir Claude Code itself uses: the first `CLAUDE_CONFIG_DIR` entry, else
/// `~/.claude`.
pub(crate) fn claude_dir(env: &EnvOverrides, home: &Path) -> PathBuf {
    // The same expansion as the transcript roots (`~`, a trailing `projects`), first entry only.
    let listed = env.claude_config_dir.as_deref().map(|list| {
        ClaudeRoots::resolve(Some(list), Some(home), None)
            .candidates
            .into_iter()
            .next()
    });
    listed.flatten().unwrap_or_else(|| home.join(".claude"))
}

/// Everything the daemon needs, resolved and validated.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The config file this came from (it may not exist).
    pub(crate) config_file: PathBuf,
    /// Whether that file existed.
    pub(crate) config_file_exists: bool,
    /// What the daemon runs with: each of its modules' settings, composed.
    pub(crate) daemon: DaemonSettings,
    /// The Claude config directories that may hold transcripts (`[transcripts]
    /// claude_config_dir`, else `CLAUDE_CONFIG_DIR`, else ccusage's defaults), for the daemon and
    /// the reports alike.
    pub(crate) claude_roots: ClaudeRoots,
    /// The daemon's URL as clients (`statusline`, `limits`) reach it: `CLAUDE_GAUGE_URL`, else
    /// the listen address (loopback when it listens on every interface).
    pub(crate) daemon_url: String,
    /// The raw configuration, for `config show`.
    pub(crate) raw: RawConfig,
    /// The settings that came from the environment or a flag rather than the file, for
    /// `config show`.
    pub(crate) overrides: Vec<Override>,
}

impl Settings {
    /// Loads and resolves the configuration.
    pub(crate) fn load(
        dirs: &PlatformDirs,
        env: &EnvOverrides,
        flags: &FlagOverrides,
    ) -> Result<Settings, ConfigError> {
        let config_file = flags
            .config_file
            .clone()
            .or_else(|| env.config_file.clone())
            .unwrap_or_else(|| dirs.config_file.clone());
        let (raw, exists) = read_raw(&config_file)?;
        if !exists && flags.config_file.is_some() {
            return Err(ConfigError::Missing { path: config_file });
        }
        resolve(raw, exists, config_file, dirs, env, flags)
    }
}

fn read_raw(path: &Path) -> Result<(RawConfig, bool), ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => RawConfig::parse(&text)
            .map(|raw| (raw, true))
            .map_err(|message| ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok((RawConfig::default(), false)),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn resolve(
    raw: RawConfig,
    exists: bool,
    config_file: PathBuf,
    dirs: &PlatformDirs,
    env: &EnvOverrides,
    flags: &FlagOverrides,
) -> Result<Settings, ConfigError> {
    let listen = match (flags.listen, &env.listen) {
        (Some(addr), _) => addr,
        (None, Some(text)) => parse_addr(ENV_LISTEN, text)?,
        (None, None) => parse_addr("server.listen", &raw.server.listen)?,
    };
    let data_dir = flags
        .data_dir
        .clone()
        .or_else(|| env.data_dir.clone())
        .or_else(|| raw.server.data_dir.clone())
        .unwrap_or_else(|| dirs.data_dir.clone());
    let lamps = raw.lamps.validate()?;
    let token_limits = raw.limits.resolve()?;
    if raw.official.stale_after_secs == 0 {
        return Err(ConfigError::Invalid {
            key: "official.stale_after_secs",
            value: "0".into(),
            fix: "use a number of seconds above 0 (default 600)",
        });
    }
    let prometheus = match (&flags.prometheus_url, &raw.prometheus) {
        (Some(url), Some(section)) => Some(
            prometheus::RawPrometheus {
                url: url.clone(),
                ..section.clone()
            }
            .resolve()?,
        ),
        (Some(url), None) => Some(prometheus::RawPrometheus::with_url(url.clone()).resolve()?),
        (None, Some(section)) => Some(section.resolve()?),
        (None, None) => None,
    };
    let oauth = resolve_oauth(&raw, env, flags, &dirs.home)?;
    let daemon_url = env
        .gauge_url
        .clone()
        .unwrap_or_else(|| daemon_url_for(listen));
    let serial = serial_settings(flags)?;
    let claude_roots = claude_roots(&raw, env, &dirs.home);
    let otlp = resolve_otlp(&raw.otlp, flags)?;
    let access = resolve_access(&raw, flags, listen, otlp.as_ref(), &data_dir)?;
    let alerts = raw.alerts.resolve()?;
    Ok(Settings {
        overrides: in_force::overrides(&raw, env, flags),
        daemon_url,
        config_file,
        config_file_exists: exists,
        daemon: DaemonSettings {
            alerts,
            access,
            oauth,
            listen,
            data_dir,
            frame: FrameSettings {
                lamps,
                token_limits,
                official_stale_after: Duration::from_secs(raw.official.stale_after_secs),
                tick: FrameSettings::DEFAULT_TICK,
            },
            transcripts: raw
                .transcripts
                .enabled
                .then(|| TranscriptConfig::new(claude_roots.candidates.clone())),
            otlp,
            serial,
            prometheus,
            serve: ServeSettings::default(),
            startup_poll: DaemonSettings::DEFAULT_STARTUP_POLL,
        },
        claude_roots,
        raw,
    })
}

fn resolve_otlp(raw: &RawOtlp, flags: &FlagOverrides) -> Result<Option<OtlpSettings>, ConfigError> {
    let enabled =
        raw.enabled || flags.otlp || flags.otlp_http.is_some() || flags.otlp_grpc.is_some();
    if !enabled {
        return Ok(None);
    }
    let listen = |key, flag: Option<SocketAddr>, text: &str| match flag {
        Some(addr) => Ok(Some(addr)),
        None if text.trim().is_empty() => Ok(None),
        None => parse_addr(key, text).map(Some),
    };
    for (key, value) in [
        ("otlp.max_body_bytes", raw.max_body_bytes),
        ("otlp.max_decompressed_bytes", raw.max_decompressed_bytes),
    ] {
        if value == 0 {
            return Err(ConfigError::Invalid {
                key,
                value: "0".into(),
                fix: "use a positive number of bytes",
            });
        }
    }
    if raw.metrics_hold_ms == 0 {
        return Err(ConfigError::Invalid {
            key: "otlp.metrics_hold_ms",
            value: "0".into(),
            fix: "use a positive number of milliseconds (default 10000)",
        });
    }
    Ok(Some(OtlpSettings {
        metrics_hold: Duration::from_millis(raw.metrics_hold_ms),
        http_listen: listen("otlp.http_listen", flags.otlp_http, &raw.http_listen)?,
        grpc_listen: listen("otlp.grpc_listen", flags.otlp_grpc, &raw.grpc_listen)?,
        max_body_bytes: raw.max_body_bytes,
        max_decompressed_bytes: raw.max_decompressed_bytes,
    }))
}

/// The access check: the token is needed once any listener is beyond loopback.
fn resolve_access(
    raw: &RawConfig,
    flags: &FlagOverrides,
    listen: SocketAddr,
    otlp: Option<&OtlpSettings>,
    data_dir: &Path,
) -> Result<AccessSettings, ConfigError> {
    let otlp_listens = otlp
        .into_iter()
        .flat_map(|otlp| [otlp.http_listen, otlp.grpc_listen])
        .flatten();
    let is_beyond_loopback = std::iter::once(listen)
        .chain(otlp_listens)
        .any(|addr| !addr.ip().is_loopback());
    let mut extra_hosts = Vec::new();
    for name in &raw.server.allowed_hosts {
        let trimmed = name.trim();
        let host = trimmed
            .strip_suffix('.')
            .unwrap_or(trimmed)
            .to_ascii_lowercase();
        let is_name = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !is_name && host.parse::<std::net::IpAddr>().is_err() {
            return Err(ConfigError::Invalid {
                key: "server.allowed_hosts",
                value: format!("{name:?}"),
                fix: "list host names or addresses without scheme or port, e.g. [\"gauge.lan\"]",
            });
        }
        extra_hosts.push(host);
    }
    Ok(AccessSettings {
        is_beyond_loopback,
        extra_hosts,
        is_read_protected: raw.server.read_token || flags.read_token,
        token_file: data_dir.join(TOKEN_FILE),
    })
}

fn serial_settings(flags: &FlagOverrides) -> Result<Option<SerialSettings>, ConfigError> {
    let Some(port) = flags.serial_port.clone() else {
        return Ok(None);
    };
    let baud = flags.serial_baud.unwrap_or(DEFAULT_BAUD);
    if baud_rate(baud).is_none() {
        return Err(ConfigError::Invalid {
            key: "--baud",
            value: baud.to_string(),
            fix: "use a serial line speed such as 9600, 115200 or 921600",
        });
    }
    Ok(Some(SerialSettings { port, baud }))
}

fn resolve_oauth(
    raw: &RawConfig,
    env: &EnvOverrides,
    flags: &FlagOverrides,
    home: &Path,
) -> Result<OauthSettings, ConfigError> {
    let oauth = &raw.oauth;
    if oauth.interval_secs < MIN_OAUTH_INTERVAL_SECS {
        return Err(ConfigError::Invalid {
            key: "oauth.interval_secs",
            value: oauth.interval_secs.to_string(),
            fix: "use 180 or more: the endpoint's budget is shared with Claude Code",
        });
    }
    let base_url = oauth.base_url.trim().trim_end_matches('/').to_string();
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(ConfigError::Invalid {
            key: "oauth.base_url",
            value: format!("{:?}", oauth.base_url),
            fix: "use an http(s) URL, e.g. \"https://api.anthropic.com\"",
        });
    }
    let version = oauth
        .claude_code_version
        .as_deref()
        .unwrap_or(DEFAULT_CLAUDE_CODE_VERSION);
    Ok(OauthSettings {
        enabled: oauth.enabled || flags.oauth_usage,
        base_url,
        interval: Duration::from_secs(oauth.interval_secs),
        credentials_file: oauth
            .credentials_file
            .clone()
            .unwrap_or_else(|| claude_dir(env, home).join(".credentials.json")),
        env_token: env.oauth_token.clone(),
        user_agent: format!("claude-code/{version}"),
    })
}

/// The one place the Claude config directories are resolved: the config key, else
/// `CLAUDE_CONFIG_DIR`, else the defaults under the home directory (ccusage's rules, in
/// [`ClaudeRoots::resolve`]).
fn claude_roots(raw: &RawConfig, env: &EnvOverrides, home: &Path) -> ClaudeRoots {
    let list = raw
        .transcripts
        .claude_config_dir
        .as_deref()
        .or(env.claude_config_dir.as_deref());
    ClaudeRoots::resolve(list, Some(home), env.xdg_config_home.as_deref())
}

/// `http://<listen>`, with an unspecified address (`0.0.0.0`, `::`) replaced by loopback.
fn daemon_url_for(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
}

fn parse_addr(key: &'static str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::Invalid {
        key,
        value: format!("{text:?}"),
        fix: "use IP:PORT, e.g. \"127.0.0.1:8765\"",
    })
}

#[cfg(test)]
mod tests;
