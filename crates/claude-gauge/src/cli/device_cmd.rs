//! `claude-gauge device setup | show | calibrate`: a cluster's stored settings over its USB
//! serial port, through the setup protocol (`docs/protocol.md`, "Device setup"). The Wi-Fi
//! password and the token go to the device and are never printed, here or by the device.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gauge_core::{gauge_name, parse_gauge, Gauge};

use crate::config::DeviceEnv;
use gauge_daemon::Secret;
use gauge_daemon::{SetupClient, DEFAULT_BAUD};

/// `device` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DeviceAction {
    /// Store Wi-Fi, the daemon and the read token in the cluster's flash, then restart it.
    Setup(SetupArgs),
    /// Print what the cluster has stored (never the password or the token: only "set").
    Show(PortArgs),
    /// Calibrate the needles: move each onto its marks step by step (or set the trims with
    /// --gauge, --zero, --trim) and store the result.
    Calibrate(CalibrateArgs),
}

/// The port flags every `device` command takes.
#[derive(Debug, Args)]
pub(crate) struct PortArgs {
    /// The cluster's serial port, e.g. /dev/ttyACM0 (stop `serve --serial` on it first).
    #[arg(long, value_name = "PORT")]
    port: PathBuf,
    /// Line speed (USB CDC ignores it).
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    baud: u32,
}

/// Flags of `device setup`.
#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    #[command(flatten)]
    port: PortArgs,
    /// The Wi-Fi network's name.
    #[arg(long, value_name = "SSID")]
    wifi_ssid: Option<String>,
    /// The Wi-Fi password (visible to other users in `ps`: prefer CLAUDE_GAUGE_WIFI_PASS or
    /// --wifi-pass-stdin).
    #[arg(long, value_name = "PASSWORD")]
    wifi_pass: Option<String>,
    /// Read the Wi-Fi password from the first line of standard input.
    #[arg(long, conflicts_with = "wifi_pass")]
    wifi_pass_stdin: bool,
    /// The network has no password.
    #[arg(long, conflicts_with_all = ["wifi_pass", "wifi_pass_stdin"])]
    open_network: bool,
    /// The daemon, HOST or HOST:PORT (default port 8765).
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "mdns")]
    host: Option<String>,
    /// Find the daemon by mDNS (it advertises itself when it listens beyond loopback).
    #[arg(long)]
    mdns: bool,
    /// The daemon's token (`claude-gauge token`), for a daemon run with --read-token; also
    /// CLAUDE_GAUGE_DEVICE_TOKEN, or --token-stdin.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Read the token from standard input (the line after the password with --wifi-pass-stdin).
    #[arg(long, conflicts_with = "token")]
    token_stdin: bool,
    /// Lamp brightness, percent (1-100; the maximum when night dimming is on).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u8).range(1..=100))]
    lamp_brightness: Option<u8>,
    /// Night dimming by the light sensor: on or off.
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    night_dimming: Option<String>,
    /// The dimmest the lamps get at night, percent (0-100, at most --lamp-brightness).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u8).range(0..=100))]
    night_min: Option<u8>,
    /// Do not restart the cluster afterwards (Wi-Fi settings take effect at the next start).
    #[arg(long)]
    no_restart: bool,
}

/// Flags of `device calibrate`.
#[derive(Debug, Args)]
pub(crate) struct CalibrateArgs {
    #[command(flatten)]
    port: PortArgs,
    /// Only this gauge: 5h, tach or 7d (default: all three, interactively).
    #[arg(long, value_name = "GAUGE", value_parser = gauge_arg)]
    gauge: Option<Gauge>,
    /// Set the zero trim to N steps (from the build's dial) instead of asking.
    #[arg(
        long,
        value_name = "N",
        requires = "gauge",
        allow_negative_numbers = true
    )]
    zero: Option<i16>,
    /// Set the sweep trim to N steps (full scale's distance from the zero) instead of asking.
    #[arg(
        long,
        value_name = "N",
        requires = "gauge",
        allow_negative_numbers = true
    )]
    trim: Option<i16>,
}

fn gauge_arg(name: &str) -> Result<Gauge, String> {
    parse_gauge(name).map_err(str::to_string)
}

/// Runs a `device` command.
pub(crate) fn run(action: DeviceAction) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut stdout = std::io::stdout().lock();
    runtime.block_on(async {
        match action {
            DeviceAction::Setup(args) => {
                let secrets = read_secrets(&args, &DeviceEnv::from_process())?;
                setup(&args, &secrets, &mut stdout).await
            }
            DeviceAction::Show(args) => {
                let mut client = open(&args).await?;
                show(&mut client, &mut stdout).await
            }
            DeviceAction::Calibrate(args) => {
                let mut client = open(&args.port).await?;
                let stdin = std::io::stdin();
                calibrate(&mut client, &args, &mut stdin.lock(), &mut stdout).await
            }
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The setup connection on `--port`; a port that does not open says what to check.
async fn open(args: &PortArgs) -> anyhow::Result<SetupClient> {
    SetupClient::open(&args.port, args.baud)
        .await
        .map_err(|err| {
            anyhow::anyhow!(
                "{err}; pass the cluster's USB serial port as --port (e.g. /dev/ttyACM0 on Linux, \
             /dev/cu.usbmodem* on macOS), plugged in and not held by another program"
            )
        })
}

/// The password and the token, from the flags, the environment or standard input.
struct Secrets {
    wifi_password: Option<Secret>,
    token: Option<Secret>,
}

fn read_secrets(args: &SetupArgs, env: &DeviceEnv) -> anyhow::Result<Secrets> {
    let mut stdin = std::io::stdin().lock();
    let mut line = |what: &str| -> anyhow::Result<Secret> {
        let mut text = String::new();
        stdin
            .read_line(&mut text)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if text.is_empty() {
            bail!("standard input has no {what}: give it on the first line");
        }
        Ok(Secret::new(text))
    };
    let wifi_password = if args.wifi_pass_stdin {
        Some(line("Wi-Fi password")?)
    } else {
        args.wifi_pass
            .clone()
            .map(Secret::new)
            .or(env.wifi_password.clone())
    };
    let token = if args.token_stdin {
        Some(line("token")?)
    } else {
        args.token.clone().map(Secret::new).or(env.token.clone())
    };
    if args.wifi_ssid.is_some() && wifi_password.is_none() && !args.open_network {
        bail!(
            "--wifi-ssid needs the network's password: --wifi-pass-stdin, CLAUDE_GAUGE_WIFI_PASS \
             or --wifi-pass (or --open-network for a network without one)"
        );
    }
    Ok(Secrets {
        wifi_password,
        token,
    })
}

async fn setup(args: &SetupArgs, secrets: &Secrets, out: &mut impl Write) -> anyhow::Result<()> {
    let mut commands: Vec<String> = Vec::new();
    if let Some(ssid) = &args.wifi_ssid {
        commands.push(format!("set wifi.ssid {ssid}"));
        commands.push(match &secrets.wifi_password {
            Some(password) => format!("set wifi.password {}", password.expose()),
            None => "clear wifi.password".into(),
        });
    }
    if let Some(host) = &args.host {
        commands.push(format!("set daemon {host}"));
    } else if args.mdns {
        commands.push("set daemon mdns".into());
    }
    if let Some(token) = &secrets.token {
        commands.push(format!("set token {}", token.expose()));
    }
    if let Some(pct) = args.lamp_brightness {
        commands.push(format!("set lamps.brightness {pct}"));
    }
    if let Some(on_off) = &args.night_dimming {
        commands.push(format!("set lamps.night {on_off}"));
    }
    if let Some(pct) = args.night_min {
        commands.push(format!("set lamps.night_min {pct}"));
    }
    if commands.is_empty() {
        bail!("nothing to set: give --wifi-ssid, --host (or --mdns), --token or a lamp setting");
    }
    let mut client = open(&args.port).await?;
    for command in &commands {
        client.request(command).await?;
    }
    client.request("save").await?;
    writeln!(out, "stored on {}", args.port.port.display())?;
    show(&mut client, out).await?;
    if !args.no_restart {
        client.request("restart").await?;
        writeln!(
            out,
            "restarted: the cluster joins Wi-Fi with these settings"
        )?;
    }
    Ok(())
}

/// Prints the device's `show` reply, one `key  value` line each.
async fn show(client: &mut SetupClient, out: &mut impl Write) -> anyhow::Result<()> {
    for line in client.request("show").await? {
        if line == "ok" {
            continue;
        }
        let (key, value) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        writeln!(out, "{key:<18}{value}")?;
    }
    Ok(())
}

/// One gauge's calibration as the device reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GaugeState {
    zero_trim: i16,
    sweep_trim: i16,
    zero_steps: i32,
    full_steps: i32,
}

async fn gauge_state(client: &mut SetupClient, gauge: Gauge) -> anyhow::Result<GaugeState> {
    let name = gauge_name(gauge);
    let lines = client.request("show").await?;
    let numbers = |key: String| -> Option<(i32, i32)> {
        let line = lines.iter().find_map(|l| l.strip_prefix(&key))?;
        let (a, b) = line.split_once(' ')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    };
    let cal = numbers(format!("cal.{name} "));
    let dial = numbers(format!("dial.{name} "));
    let (Some((zero_trim, sweep_trim)), Some((zero_steps, full_steps))) = (cal, dial) else {
        bail!("the cluster's `show` has no cal.{name}/dial.{name}: update its firmware");
    };
    Ok(GaugeState {
        zero_trim: i16::try_from(zero_trim)?,
        sweep_trim: i16::try_from(sweep_trim)?,
        zero_steps,
        full_steps,
    })
}

async fn calibrate(
    client: &mut SetupClient,
    args: &CalibrateArgs,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let gauges = args.gauge.map_or(Gauge::ALL.to_vec(), |gauge| vec![gauge]);
    for gauge in gauges {
        let name = gauge_name(gauge);
        let state = gauge_state(client, gauge).await?;
        let (zero, sweep) = if args.zero.is_some() || args.trim.is_some() {
            (
                args.zero.unwrap_or(state.zero_trim),
                args.trim.unwrap_or(state.sweep_trim),
            )
        } else {
            let marked = mark_gauge(client, gauge, state, input, out).await;
            client.request("release").await?;
            marked?
        };
        client
            .request(&format!("set cal.{name} {zero} {sweep}"))
            .await?;
        let after = gauge_state(client, gauge).await?;
        writeln!(
            out,
            "{name}: zero trim {zero}, sweep trim {sweep} (zero at {} steps, full scale at {})",
            after.zero_steps, after.full_steps
        )?;
    }
    client.request("save").await?;
    writeln!(out, "stored on {}", args.port.port.display())?;
    Ok(())
}

/// Asks for the two marks of one gauge; returns its new (zero, sweep) trims.
async fn mark_gauge(
    client: &mut SetupClient,
    gauge: Gauge,
    state: GaugeState,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<(i16, i16)> {
    let name = gauge_name(gauge);
    writeln!(
        out,
        "{name}: keys + or - move one step, ++ or -- ten, a number goes to that step; Enter keeps it"
    )?;
    let zero_mark = mark(
        client,
        gauge,
        "the zero mark (E or 0)",
        state.zero_steps,
        input,
        out,
    )
    .await?;
    let full_mark = mark(
        client,
        gauge,
        "the full-scale mark (F or the top figure)",
        state.full_steps,
        input,
        out,
    )
    .await?;
    if full_mark <= zero_mark {
        bail!("{name}: full scale ({full_mark}) must lie clockwise of the zero ({zero_mark}); nothing stored");
    }
    let zero = i32::from(state.zero_trim) + (zero_mark - state.zero_steps);
    let sweep = i32::from(state.sweep_trim)
        + ((full_mark - zero_mark) - (state.full_steps - state.zero_steps));
    Ok((i16::try_from(zero)?, i16::try_from(sweep)?))
}

/// Moves `gauge`'s needle as typed until Enter; returns where it stands.
async fn mark(
    client: &mut SetupClient,
    gauge: Gauge,
    what: &str,
    start_steps: i32,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<i32> {
    let name = gauge_name(gauge);
    let mut at = start_steps;
    loop {
        client.request(&format!("point {name} {at}")).await?;
        write!(out, "{name} at {at} steps; move it onto {what}: ")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            bail!("input ended before {what} was set; nothing stored");
        }
        at = match line.trim() {
            "" => return Ok(at),
            "+" => at + 1,
            "-" => at - 1,
            "++" => at + 10,
            "--" => at - 10,
            number => match number.parse::<i32>() {
                Ok(steps) => steps,
                Err(_) => {
                    writeln!(out, "type +, -, ++, --, a number of steps, or Enter")?;
                    at
                }
            },
        }
        .clamp(0, 4_000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_names_parse() {
        assert_eq!(gauge_arg("tach"), Ok(Gauge::Tach));
        assert!(gauge_arg("oil").unwrap_err().contains("5h, tach or 7d"));
    }
}
