//! `watch` and `sim`: the terminal view and the firmware simulator, clusters on this machine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use gauge_core::ClusterConfig;
use tokio_util::sync::CancellationToken;

use super::daemon_token::DaemonToken;
use crate::link::LinkSource;
use crate::sim::{SimFormat, SimOptions};
use crate::tui::WatchError;
use gauge_daemon::{baud_rate, DEFAULT_BAUD};

/// Flags of `watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// The daemon's URL (default: CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, alias = "daemon", value_name = "URL")]
    url: Option<String>,
    /// Print one snapshot as plain text and exit (for scripts).
    #[arg(long)]
    once: bool,
    /// Snapshot width, characters (with --once).
    #[arg(long, default_value_t = 100)]
    width: u16,
    /// Snapshot height, lines (with --once).
    #[arg(long, default_value_t = 24)]
    height: u16,
}

/// Flags of `sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// Read frames from the daemon at this URL, polling /usage (the default source; default URL:
    /// CLAUDE_GAUGE_URL, else the configured listen address).
    #[arg(long, alias = "daemon", value_name = "URL", conflicts_with_all = ["serial", "pty"])]
    url: Option<String>,
    /// Read frames from this serial port, as a cluster on USB would (`serve --serial` on the
    /// other end).
    #[arg(long, value_name = "PORT")]
    serial: Option<PathBuf>,
    /// Line speed for --serial.
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    baud: u32,
    /// Be a virtual cluster on a pseudo-terminal linked at PATH: run `serve --serial PATH`.
    #[arg(long, value_name = "PATH", conflicts_with = "serial")]
    pty: Option<PathBuf>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    jsonl: bool,
    /// At most one line per this many milliseconds (only when something changed).
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    /// Stop after this many seconds.
    #[arg(long)]
    duration_secs: Option<f64>,
    /// Skip the boot sweep (homing and the lamp test still run).
    #[arg(long)]
    no_boot_sweep: bool,
    /// A file standing in for the cluster's flash: the settings `device setup` stores (the
    /// firmware's record format), read at start; without it they live in RAM only.
    #[arg(long, value_name = "FILE")]
    flash: Option<PathBuf>,
    /// Also do what the firmware does on Wi-Fi: follow the daemon stored in --flash over
    /// /events, with its token (this machine's network stands in for Wi-Fi).
    #[arg(long, requires = "flash")]
    network: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `claude-gauge watch`; `default_url` is the daemon's unless `--url` says otherwise.
pub(crate) fn watch(
    args: &WatchArgs,
    default_url: &str,
    token: &DaemonToken,
) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let url = args.url.as_deref().unwrap_or(default_url);
    let secret = token.secret();
    let watched = if args.once {
        let mut stdout = std::io::stdout().lock();
        runtime.block_on(crate::tui::once(
            url,
            secret,
            args.width,
            args.height,
            &mut stdout,
        ))
    } else {
        runtime.block_on(crate::tui::run(url, secret))
    };
    match watched {
        Err(WatchError::Unauthorized(url)) => anyhow::bail!(token.refused(&url)),
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `claude-gauge sim`; `default_url` is the daemon's unless `--url` says otherwise.
pub(crate) fn sim(
    args: SimArgs,
    default_url: &str,
    token: &DaemonToken,
) -> anyhow::Result<ExitCode> {
    if args.serial.is_some() && baud_rate(args.baud).is_none() {
        anyhow::bail!(
            "--baud {}: not a serial line speed; use e.g. 115200",
            args.baud
        );
    }
    let source = match (args.serial, args.pty, args.url) {
        (Some(port), _, _) => LinkSource::Serial {
            port,
            baud: args.baud,
        },
        (None, Some(link), _) => LinkSource::Pty(link),
        (None, None, url) => LinkSource::Http {
            url: url.unwrap_or_else(|| default_url.into()),
            token: token.secret().cloned(),
        },
    };
    let http_url = match &source {
        LinkSource::Http { url, .. } => Some(url.clone()),
        _ => None,
    };
    let duration = match args.duration_secs {
        Some(secs) if !(secs.is_finite() && secs > 0.0) => {
            anyhow::bail!("--duration-secs {secs}: use a number of seconds above 0")
        }
        Some(secs) => Some(Duration::from_secs_f64(secs)),
        None => None,
    };
    let options = SimOptions {
        source,
        format: if args.jsonl {
            SimFormat::JsonLines
        } else {
            SimFormat::Text
        },
        interval: Duration::from_millis(args.interval_ms),
        duration,
        config: ClusterConfig::default().with_boot_sweep(!args.no_boot_sweep),
        flash: args.flash,
        is_network: args.network,
    };
    let runtime = runtime()?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut stdout = std::io::stdout().lock();
    match runtime.block_on(crate::sim::run(options, &mut stdout, shutdown)) {
        // Only the HTTP link is refused for want of the token (see `LinkEvent::Unauthorized`).
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
            let url = http_url.as_deref().unwrap_or(default_url);
            anyhow::bail!(token.refused(url))
        }
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}
