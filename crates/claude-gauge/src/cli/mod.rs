//! The command line: flags and subcommands, parsed with clap and dispatched. Only this module and
//! `config/` know about flags; each command hands ready values to the code that does the work.

mod cluster_cmd;
mod config_cmd;
mod reports;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::{EnvOverrides, FlagOverrides, PlatformDirs, Settings};

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
    /// 5-hour usage blocks, as `ccusage blocks` (same JSON with --json).
    Blocks(reports::BlocksArgs),
    /// Usage per day, as `ccusage daily` (same JSON with --json).
    Daily(reports::DailyArgs),
    /// The cluster in this terminal, live from the daemon (`q` quits).
    Watch(cluster_cmd::WatchArgs),
    /// Run the cluster's firmware logic here against a daemon, printing what motors and lamps do.
    Sim(cluster_cmd::SimArgs),
    /// Show or create the configuration.
    Config {
        #[command(subcommand)]
        action: config_cmd::ConfigAction,
    },
}

/// Flags of `serve`.
#[derive(Debug, Args, Default)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8765). Anything but loopback exposes usage
    /// aggregates to the network.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Directory of the durable store (default: the platform data dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Also push frames to a cluster on this serial port, one per line (reconnects by itself).
    #[arg(long, value_name = "PORT")]
    serial: Option<PathBuf>,
    /// Line speed for --serial, bits per second (default 115200).
    #[arg(long, value_name = "N", requires = "serial")]
    baud: Option<u32>,
}

/// Parses the command line and runs the command.
pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let dirs = PlatformDirs::detect()?;
    let env = EnvOverrides::from_process();
    match cli.command {
        None => serve(cli.config, &dirs, &env, ServeArgs::default()),
        Some(Command::Serve(args)) => serve(cli.config, &dirs, &env, args),
        Some(Command::Blocks(args)) => reports::blocks(&args, &dirs, &env),
        Some(Command::Daily(args)) => reports::daily(&args, &dirs, &env),
        Some(Command::Watch(args)) => cluster_cmd::watch(&args),
        Some(Command::Sim(args)) => cluster_cmd::sim(args),
        Some(Command::Config { action }) => {
            let flags = FlagOverrides {
                config_file: cli.config,
                ..FlagOverrides::default()
            };
            config_cmd::run(action, &dirs, &env, &flags)
        }
    }
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
        serial_port: args.serial,
        serial_baud: args.baud,
    };
    let settings = Settings::load(dirs, env, &flags)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(crate::daemon::run(settings))?;
    Ok(ExitCode::SUCCESS)
}
