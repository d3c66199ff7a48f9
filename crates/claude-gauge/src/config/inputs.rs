//! The configuration's inputs besides the file: the platform's directories, the flags and the
//! environment variables, each captured once into a plain value that `resolve` reads.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::ConfigError;
use gauge_daemon::Secret;

/// Environment variable naming the config file.
pub(crate) const ENV_CONFIG: &str = "CLAUDE_GAUGE_CONFIG";
/// Environment variable overriding `server.listen`.
pub(crate) const ENV_LISTEN: &str = "CLAUDE_GAUGE_LISTEN";
/// Environment variable overriding the data directory.
pub(crate) const ENV_DATA_DIR: &str = "CLAUDE_GAUGE_DATA_DIR";
/// Claude Code's own variable for its config directories (a comma list).
pub(crate) const ENV_CLAUDE_CONFIG_DIR: &str = "CLAUDE_CONFIG_DIR";
/// Claude Code's OAuth token override, read by the OAuth poller before the credentials file.
pub(crate) const ENV_CLAUDE_CODE_OAUTH_TOKEN: &str = "CLAUDE_CODE_OAUTH_TOKEN";
/// The daemon's URL for every client command (`statusline`, `limits`, `watch`, `sim`, `doctor`).
pub(crate) const ENV_GAUGE_URL: &str = "CLAUDE_GAUGE_URL";

/// Where the platform keeps our files.
#[derive(Clone, Debug)]
pub(crate) struct PlatformDirs {
    /// The config file's default path.
    pub(crate) config_file: PathBuf,
    /// The default data directory.
    pub(crate) data_dir: PathBuf,
    /// The user's home directory.
    pub(crate) home: PathBuf,
}

impl PlatformDirs {
    /// The platform's directories (XDG on Linux, `~/Library/...` on macOS).
    pub(crate) fn detect() -> Result<PlatformDirs, ConfigError> {
        let project =
            directories::ProjectDirs::from("", "", "claude-gauge").ok_or(ConfigError::NoHome)?;
        let base = directories::BaseDirs::new().ok_or(ConfigError::NoHome)?;
        Ok(PlatformDirs {
            config_file: project.config_dir().join("config.toml"),
            data_dir: project.data_dir().to_path_buf(),
            home: base.home_dir().to_path_buf(),
        })
    }
}

/// Overrides given on the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct FlagOverrides {
    /// `--config`.
    pub(crate) config_file: Option<PathBuf>,
    /// `--listen`.
    pub(crate) listen: Option<SocketAddr>,
    /// `--data-dir`.
    pub(crate) data_dir: Option<PathBuf>,
    /// `--otlp`.
    pub(crate) otlp: bool,
    /// `--otlp-http`.
    pub(crate) otlp_http: Option<SocketAddr>,
    /// `--otlp-grpc`.
    pub(crate) otlp_grpc: Option<SocketAddr>,
    /// `serve --serial`.
    pub(crate) serial_port: Option<PathBuf>,
    /// `serve --baud`.
    pub(crate) serial_baud: Option<u32>,
    /// `--prometheus URL`: read usage from this Prometheus (overrides `prometheus.url`).
    pub(crate) prometheus_url: Option<String>,
    /// `--oauth-usage`: turn the OAuth poller on.
    pub(crate) oauth_usage: bool,
    /// `serve --read-token`: reads need the token too.
    pub(crate) read_token: bool,
}

/// The environment variables we read, captured once.
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvOverrides {
    /// `CLAUDE_GAUGE_CONFIG`.
    pub(crate) config_file: Option<PathBuf>,
    /// `CLAUDE_GAUGE_LISTEN`.
    pub(crate) listen: Option<String>,
    /// `CLAUDE_GAUGE_DATA_DIR`.
    pub(crate) data_dir: Option<PathBuf>,
    /// `CLAUDE_CONFIG_DIR`.
    pub(crate) claude_config_dir: Option<String>,
    /// `CLAUDE_CODE_OAUTH_TOKEN`.
    pub(crate) oauth_token: Option<Secret>,
    /// `CLAUDE_GAUGE_URL`.
    pub(crate) gauge_url: Option<String>,
    /// `XDG_CONFIG_HOME`, where ccusage also looks for `claude/` (and systemd for user units).
    pub(crate) xdg_config_home: Option<PathBuf>,
    /// `PATH`, for `doctor`'s "on PATH" check.
    pub(crate) path: Option<OsString>,
    /// `CARGO_HOME`, whose `bin/` is where `cargo install` puts the binary.
    pub(crate) cargo_home: Option<PathBuf>,
    /// `TMPDIR`, the system's temporary directory, which a binary must not be installed from.
    pub(crate) tmp_dir: Option<PathBuf>,
    /// `COLUMNS`: the terminal width the report tables fit.
    pub(crate) columns: Option<String>,
    /// `NO_COLOR`: no colour in the report tables.
    pub(crate) no_color: Option<String>,
    /// `FORCE_COLOR`: colour in the report tables even when not on a terminal.
    pub(crate) force_color: Option<String>,
}

impl EnvOverrides {
    /// Reads the process environment.
    pub(crate) fn from_process() -> EnvOverrides {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        EnvOverrides {
            config_file: var(ENV_CONFIG).map(PathBuf::from),
            listen: var(ENV_LISTEN),
            data_dir: var(ENV_DATA_DIR).map(PathBuf::from),
            claude_config_dir: var(ENV_CLAUDE_CONFIG_DIR),
            oauth_token: var(ENV_CLAUDE_CODE_OAUTH_TOKEN).map(Secret::new),
            gauge_url: var(ENV_GAUGE_URL),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            path: std::env::var_os("PATH").filter(|p| !p.is_empty()),
            cargo_home: var("CARGO_HOME").map(PathBuf::from),
            tmp_dir: var("TMPDIR").map(PathBuf::from),
            columns: var("COLUMNS"),
            no_color: var("NO_COLOR"),
            force_color: var("FORCE_COLOR"),
        }
    }
}

/// Environment variable holding the Wi-Fi password for `device setup`.
pub(crate) const ENV_WIFI_PASS: &str = "CLAUDE_GAUGE_WIFI_PASS";
/// Environment variable holding the read token for `device setup`.
pub(crate) const ENV_DEVICE_TOKEN: &str = "CLAUDE_GAUGE_DEVICE_TOKEN";

/// The secrets `device setup` takes from the environment, so they stay off the command line
/// (and out of `ps` and shell history).
#[derive(Debug, Default)]
pub(crate) struct DeviceEnv {
    /// `CLAUDE_GAUGE_WIFI_PASS`.
    pub(crate) wifi_password: Option<Secret>,
    /// `CLAUDE_GAUGE_DEVICE_TOKEN`.
    pub(crate) token: Option<Secret>,
}

impl DeviceEnv {
    /// Reads the process environment.
    pub(crate) fn from_process() -> DeviceEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        DeviceEnv {
            wifi_password: var(ENV_WIFI_PASS).map(Secret::new),
            token: var(ENV_DEVICE_TOKEN).map(Secret::new),
        }
    }
}
