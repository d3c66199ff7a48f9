//! The command line: flags and subcommands, parsed with clap and dispatched. Only this module and
//! `config/` know about flags; each command hands ready values to the code that does the work.

mod binary;
mod cluster_cmd;
mod config_cmd;
mod daemon_token;
mod device_cmd;
mod dial_faces;
mod doctor;
mod history;
mod install_statusline;
mod limits_cmd;
mod local_http;
mod machines_cmd;
mod manual;
mod otel_env;
mod progress;
mod report_input;
mod reports;
mod service;
mod statusline;
mod summary;
mod token_cmd;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{claude_dir, EnvOverrides, FlagOverrides, PlatformDirs, Settings};
use binary::Places;

/// Claude Code usage on analog needles: the daemon and its tools.
#[derive(Debug, Parser)]
#[command(name = "claude-gauge", version, about, long_about = None)]
struct Cli {
    /// The config file (default: the platform config dir's claude-gauge/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: read usage, serve frames (the default).
    Serve(ServeArgs),
    /// 5-hour usage blocks, as `ccusage claude blocks` (same JSON with --json).
    Blocks(reports::BlocksArgs),
    /// Usage per day, as `ccusage claude daily` (same JSON with --json).
    Daily(reports::DailyArgs),
    /// Usage per week, as `ccusage claude weekly` (same JSON with --json).
    Weekly(reports::WeeklyArgs),
    /// Usage per month, as `ccusage claude monthly` (same JSON with --json).
    Monthly(reports::MonthlyArgs),
    /// Usage per session, as `ccusage claude session` (same JSON with --json).
    Session(reports::SessionArgs),
    /// The cluster in this terminal, live from the daemon (`q` quits).
    Watch(cluster_cmd::WatchArgs),
    /// Run the cluster's firmware logic here against a daemon, printing what motors and lamps do.
    Sim(cluster_cmd::SimArgs),
    /// Set up a cluster over USB: Wi-Fi, the daemon, the token, needle calibration.
    Device {
        #[command(subcommand)]
        action: device_cmd::DeviceAction,
    },
    /// Show or create the configuration.
    Config {
        #[command(subcommand)]
        action: config_cmd::ConfigAction,
    },
    /// Print the environment variables that point Claude Code's telemetry at this daemon
    /// (use with `eval "$(claude-gauge otel-env)"`; needs `serve --otlp`).
    OtelEnv(otel_env::OtelEnvArgs),
    /// Claude Code's statusLine command: forward the statusLine JSON to the daemon, print one
    /// line (install it with install-statusline).
    Statusline(statusline::StatuslineArgs),
    /// Print the daemon's token (made on first use): beyond loopback every write needs it as
    /// `Authorization: Bearer <token>`.
    Token(token_cmd::TokenArgs),
    /// Make `claude-gauge statusline` Claude Code's statusLine command (keeps and chains an
    /// existing one; backs settings.json up).
    InstallStatusline(install_statusline::InstallArgs),
    /// Undo install-statusline, restoring the chained command.
    UninstallStatusline(install_statusline::InstallArgs),
    /// Show Claude's official readings and the learned limits, from the running daemon.
    Limits(limits_cmd::LimitsArgs),
    /// Show the usage by machine a hub holds (machines that export to this daemon), from the
    /// running daemon.
    Machines(machines_cmd::MachinesArgs),
    /// Check the setup, one line per check with its fix (exit status 1 when any fails).
    Doctor(doctor::DoctorArgs),
    /// Run the daemon as a service of this user (systemd user unit, launchd agent).
    Service {
        #[command(subcommand)]
        action: service::ServiceAction,
    },
    /// Print a shell completion script (e.g. `claude-gauge completions bash`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Write the printable dial faces and the front panel as SVG at true size (mm).
    DialFaces(dial_faces::DialFacesArgs),
}

/// Flags of `serve`.
#[derive(Debug, Args, Default)]
pub(crate) struct ServeArgs {
    /// Address to listen on, IP:PORT (default 127.0.0.1:8765). Anything but loopback exposes
    /// usage aggregates to the network.
    #[arg(long, value_name = "ADDR", value_parser = socket_addr)]
    listen: Option<SocketAddr>,
    /// Directory of the durable store (default: the platform data dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Receive Claude Code's OpenTelemetry export (OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on
    /// 127.0.0.1:4317).
    #[arg(long)]
    otlp: bool,
    /// OTLP/HTTP address, IP:PORT (implies --otlp).
    #[arg(long, value_name = "ADDR", value_parser = socket_addr)]
    otlp_http: Option<SocketAddr>,
    /// OTLP/gRPC address, IP:PORT (implies --otlp).
    #[arg(long, value_name = "ADDR", value_parser = socket_addr)]
    otlp_grpc: Option<SocketAddr>,
    /// Read usage from this Prometheus HTTP API (e.g. http://127.0.0.1:9090) instead of local
    /// data; the `[prometheus]` config section sets the selector and auth.
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,
    /// Poll Claude's OAuth usage endpoint with your Claude Code login (read-only; off by
    /// default; also `[oauth] enabled = true`).
    #[arg(long)]
    oauth_usage: bool,
    /// Also push frames to a cluster on this serial port, one per line (reconnects by itself).
    #[arg(long, value_name = "PORT")]
    serial: Option<PathBuf>,
    /// Line speed for --serial, bits per second (default 115200).
    #[arg(long, value_name = "N", requires = "serial")]
    baud: Option<u32>,
    /// Reads (/usage, /events, the page) need the token too, as writes do beyond loopback
    /// (also `[server] read_token = true`).
    #[arg(long)]
    read_token: bool,
}

/// Parses the command line and runs the command.
pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let env = EnvOverrides::from_process();
    if let Some(Command::Statusline(args)) = cli.command {
        return Ok(statusline_cmd(args, cli.config, &env));
    }
    let dirs = PlatformDirs::detect()?;
    match cli.command {
        Some(Command::Statusline(_)) => unreachable!("handled above"),
        None => serve(cli.config, &dirs, &env, ServeArgs::default()),
        Some(Command::Serve(args)) => serve(cli.config, &dirs, &env, args),
        Some(
            report @ (Command::Blocks(_)
            | Command::Daily(_)
            | Command::Weekly(_)
            | Command::Monthly(_)
            | Command::Session(_)),
        ) => run_report(report, &load_settings(cli.config, &dirs, &env)?, &env),
        Some(Command::Watch(args)) => {
            let settings = load_settings(cli.config, &dirs, &env)?;
            let token = daemon_token::DaemonToken::load(Some(&settings));
            cluster_cmd::watch(&args, &settings.daemon_url, &token)
        }
        Some(Command::Sim(args)) => {
            let settings = load_settings(cli.config, &dirs, &env)?;
            let token = daemon_token::DaemonToken::load(Some(&settings));
            cluster_cmd::sim(args, &settings.daemon_url, &token)
        }
        Some(Command::Device { action }) => device_cmd::run(action),
        Some(Command::Config { action }) => {
            let flags = FlagOverrides {
                config_file: cli.config,
                ..FlagOverrides::default()
            };
            config_cmd::run(action, &dirs, &env, &flags)
        }
        Some(Command::Token(args)) => {
            let flags = FlagOverrides {
                config_file: cli.config,
                data_dir: args.data_dir,
                ..FlagOverrides::default()
            };
            let settings = Settings::load(&dirs, &env, &flags)?;
            token_cmd::run(&settings, &mut std::io::stdout().lock())
        }
        Some(Command::OtelEnv(args)) => {
            let settings = load_settings(cli.config, &dirs, &env)?;
            otel_env::run(&args, &settings, &mut std::io::stdout().lock())
        }
        Some(Command::InstallStatusline(args)) => {
            let places = Places::new(&env, &dirs.home);
            install_statusline::run(args, claude_dir(&env, &dirs.home), &places, true)
        }
        Some(Command::UninstallStatusline(args)) => {
            let places = Places::new(&env, &dirs.home);
            install_statusline::run(args, claude_dir(&env, &dirs.home), &places, false)
        }
        Some(Command::Limits(args)) => {
            let settings = load_settings(cli.config, &dirs, &env)?;
            let token = daemon_token::DaemonToken::load(Some(&settings));
            limits_cmd::run(args, &settings.daemon_url, &token)
        }
        Some(Command::Machines(args)) => {
            let settings = load_settings(cli.config, &dirs, &env)?;
            let token = daemon_token::DaemonToken::load(Some(&settings));
            machines_cmd::run(args, &settings.daemon_url, &token)
        }
        Some(Command::Doctor(args)) => doctor::run(args, cli.config, &dirs, &env),
        Some(Command::Service { action }) => {
            service::run(action, &env, &dirs.home, &Places::new(&env, &dirs.home))
        }
        Some(Command::Completions { shell }) => {
            manual::completions(shell, &mut std::io::stdout().lock())
        }
        Some(Command::Man) => manual::man(&mut std::io::stdout().lock()),
        Some(Command::DialFaces(args)) => dial_faces::run(&args, &mut std::io::stdout().lock()),
    }
}

/// `claude-gauge statusline`: never fails, since Claude Code shows whatever it prints.
fn statusline_cmd(
    args: statusline::StatuslineArgs,
    config: Option<PathBuf>,
    env: &EnvOverrides,
) -> ExitCode {
    // Never fails: a missing home or a broken config only means the default URL, and no
    // token file only a request without one (enough on loopback).
    let settings = client_settings(config, env);
    let url = settings.as_ref().map_or_else(
        || {
            env.gauge_url
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:8765".into())
        },
        |s| s.daemon_url.clone(),
    );
    let token = settings
        .and_then(|s| gauge_daemon::read_token(&s.daemon.access.token_file).ok())
        .flatten();
    statusline::run(args, &url, token.as_ref())
}

/// Runs one of the ccusage-compatible reports.
fn run_report(
    report: Command,
    settings: &Settings,
    env: &EnvOverrides,
) -> anyhow::Result<ExitCode> {
    let input =
        |shared: &reports::SharedArgs| report_input::ReportInput::new(settings, &shared.input);
    match report {
        Command::Blocks(args) => {
            reports::blocks(&args, &input(&args.shared), &table_style(env, &args.shared))
        }
        Command::Daily(args) => {
            reports::daily(&args, &input(&args.shared), &table_style(env, &args.shared))
        }
        Command::Weekly(args) => {
            reports::weekly(&args, &input(&args.shared), &table_style(env, &args.shared))
        }
        Command::Monthly(args) => {
            reports::monthly(&args, &input(&args.shared), &table_style(env, &args.shared))
        }
        Command::Session(args) => {
            reports::session(&args, &input(&args.shared), &table_style(env, &args.shared))
        }
        other => anyhow::bail!("not a report command: {other:?}"),
    }
}

/// How the reports draw tables: `COLUMNS`, and colour from the flags, then `NO_COLOR` and
/// `FORCE_COLOR`, as ccusage decides.
fn table_style(env: &EnvOverrides, shared: &reports::SharedArgs) -> reports::TableStyle {
    use std::io::IsTerminal;
    let is_terminal = std::io::stdout().is_terminal();
    let color = if shared.no_color || env.no_color.is_some() {
        false
    } else {
        shared.color || env.force_color.is_some() || is_terminal
    };
    let terminal_columns = || {
        is_terminal
            .then(crossterm::terminal::size)
            .and_then(Result::ok)
            .map(|(columns, _)| usize::from(columns))
    };
    reports::TableStyle {
        columns: env
            .columns
            .as_deref()
            .and_then(|c| c.trim().parse().ok())
            .or_else(terminal_columns),
        is_terminal,
        color,
    }
}

/// A socket address flag: `IP:PORT`, with the fix in clap's error when it is not one.
fn socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        "use IP:PORT, e.g. 127.0.0.1:8765 (a host name such as localhost is not looked up)"
            .to_string()
    })
}

/// The settings of a command that takes no flags beyond `--config`.
fn load_settings(
    config: Option<PathBuf>,
    dirs: &PlatformDirs,
    env: &EnvOverrides,
) -> anyhow::Result<Settings> {
    let flags = FlagOverrides {
        config_file: config,
        ..FlagOverrides::default()
    };
    Ok(Settings::load(dirs, env, &flags)?)
}

/// The settings a client command needs (the daemon's URL), or `None` when they cannot be loaded.
fn client_settings(config: Option<PathBuf>, env: &EnvOverrides) -> Option<Settings> {
    let dirs = PlatformDirs::detect().ok()?;
    let flags = FlagOverrides {
        config_file: config,
        ..FlagOverrides::default()
    };
    Settings::load(&dirs, env, &flags).ok()
}

fn serve(
    config: Option<PathBuf>,
    dirs: &PlatformDirs,
    env: &EnvOverrides,
    args: ServeArgs,
) -> anyhow::Result<ExitCode> {
    let flags = FlagOverrides {
        config_file: config,
        listen: args.listen,
        data_dir: args.data_dir,
        otlp: args.otlp,
        otlp_http: args.otlp_http,
        otlp_grpc: args.otlp_grpc,
        prometheus_url: args.prometheus,
        oauth_usage: args.oauth_usage,
        serial_port: args.serial,
        serial_baud: args.baud,
        read_token: args.read_token,
    };
    let settings = Settings::load(dirs, env, &flags)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_daemon(settings.daemon))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the daemon until SIGINT or SIGTERM: draws the first scan's progress, prints where it
/// serves and, once the usage sources have reported, the startup summary.
async fn run_daemon(settings: gauge_daemon::DaemonSettings) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let (progress, bar) = progress::ScanBar::start();
    init_logging();
    let started = gauge_daemon::Daemon::start_then(settings, progress, |listening| {
        print_serving(listening, &data_dir);
    })
    .await;
    let mut daemon = match started {
        Ok(daemon) => daemon,
        Err(err) => {
            bar.finish().await;
            return Err(err.into());
        }
    };
    let startup = daemon.startup_report();
    let printer = async {
        if let Some(report) = startup.await {
            print_startup(&report);
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        () = printer => {}
        () = wait_for_signal() => tracing::info!("signal received, shutting down"),
        () = daemon.shutdown_requested() => {}
    }
    daemon.stopped().await;
    bar.finish().await;
    Ok(())
}

/// Where the daemon serves, on stderr: tests and scripts read these lines to find ports chosen
/// with :0. Beyond loopback it says first what is exposed.
fn print_serving(daemon: &gauge_daemon::Listening, data_dir: &std::path::Path) {
    for (kind, addr) in [
        ("http", daemon.otlp_http_addr),
        ("grpc", daemon.otlp_grpc_addr),
    ] {
        let Some(addr) = addr else { continue };
        if !addr.ip().is_loopback() {
            eprintln!("claude-gauge: warning: OTLP {kind} receiver on {addr}, beyond loopback: anyone who can reach it can try to send usage; exports need the token (claude-gauge token)");
        }
        eprintln!("claude-gauge: otlp {kind} on {addr}");
    }
    let bound = daemon.http_addr;
    if !bound.ip().is_loopback() {
        // What is exposed, exactly: the reads, unless they need the token too.
        let exposed = if daemon.is_read_protected {
            "every request needs the token (claude-gauge token)"
        } else {
            "anyone who can reach it can read your usage (/usage, /events, /stats, /metrics, \
             /limits, /history, the web pages); writes need the token (claude-gauge token)"
        };
        eprintln!("claude-gauge: warning: listening on {bound}, beyond loopback: {exposed}");
    }
    eprintln!(
        "claude-gauge: serving http://{bound}/ (data dir {})",
        data_dir.display()
    );
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLAUDE_GAUGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, not in a log file or a service's journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await,
            };
        tokio::select! {
            () = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// The startup summary, on stderr in one write.
fn print_startup(report: &gauge_daemon::StartupReport) {
    use std::io::Write;
    let mut text = Vec::new();
    let now_secs = gauge_daemon::unix_now_ms() / 1000;
    let tz = jiff::tz::TimeZone::system();
    if summary::render(report, now_secs, &tz, &mut text).is_ok() {
        // Nothing to do when stderr is gone.
        let _ = std::io::stderr().lock().write_all(&text);
    }
}
