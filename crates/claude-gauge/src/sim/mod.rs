//! The simulator: gauge-core's `Cluster` on the host, fed from a daemon exactly as the firmware
//! would be (HTTP, a serial port or a virtual one), printing what the motors and lamps do.
//!
//! It is the firmware's stand-in in tests: the frames arrive through [`crate::link`], the
//! cluster runs on real time, and a [`Sample`] is printed whenever what it shows changes
//! (at most once per interval), as text (after a one-line legend) or as JSON lines.
//!
//! Ownership and shutdown: the link runs as its own task under the same token; the loop here
//! ends on the token, after the duration, when stdout goes away, or when the daemon
//! refuses the HTTP link for want of its token (a `PermissionDenied` error).

mod cluster;
mod device;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use gauge_core::{ClusterConfig, Gauge, FULL_SCALE_BP};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) use cluster::{Sample, Simulator};
use device::{Device, FlashFile};

use crate::link::{self, LinkEvent, LinkSource, SetupChannel};

/// How often the cluster is advanced (its own events still run at their exact deadlines).
const TICK: Duration = Duration::from_millis(10);

/// How the simulator prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SimFormat {
    /// One human line per change.
    Text,
    /// One JSON object per change.
    JsonLines,
}

/// What to simulate and how to print it.
#[derive(Clone, Debug)]
pub(crate) struct SimOptions {
    /// Where frames come from.
    pub(crate) source: LinkSource,
    /// Output format.
    pub(crate) format: SimFormat,
    /// At most one line per this interval.
    pub(crate) interval: Duration,
    /// Stop after this long (`None`: until Ctrl-C).
    pub(crate) duration: Option<Duration>,
    /// The cluster's configuration, before the stored calibration.
    pub(crate) config: ClusterConfig,
    /// The file standing in for the device's flash (`None`: settings in RAM only).
    pub(crate) flash: Option<PathBuf>,
    /// Follow the daemon stored in the flash, as the firmware does on Wi-Fi.
    pub(crate) is_network: bool,
}

/// Runs the simulator until shutdown or the duration, writing samples to `out`.
pub(crate) async fn run(
    options: SimOptions,
    out: &mut impl Write,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let started = Instant::now();
    let now_us = || u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut device = Device::boot(options.config, FlashFile::new(options.flash.clone()), 0);
    let (tx, mut rx) = mpsc::channel(64);
    let (commands_tx, mut commands) = mpsc::channel(16);
    let (replies, replies_rx) = mpsc::channel(16);
    // Said on the serial line at boot, as the firmware does; read by whoever opens the port.
    let _ = replies.try_send(device.boot_notice().into_bytes());
    let setup = SetupChannel {
        commands: commands_tx,
        replies: replies_rx,
    };
    let mut links = vec![tokio::spawn(link::run_with_setup(
        options.source.clone(),
        tx.clone(),
        Some(setup),
        shutdown.clone(),
    ))];
    if let Some(network) = network_source(&options, &device) {
        links.push(tokio::spawn(link::run(network, tx, shutdown.clone())));
    }
    let mut last_printed: Option<Sample> = None;
    let mut last_print_at = Duration::ZERO;
    let mut ticker = tokio::time::interval(TICK);
    if options.format == SimFormat::Text {
        render_legend(device.sim.cluster().config(), out)?;
    }
    let result = 'sim: loop {
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            _ = ticker.tick() => {}
        }
        while let Ok(line) = commands.try_recv() {
            let reply = device.handle_line(&line, now_us());
            let _ = replies.send(reply.into_bytes()).await;
        }
        while let Ok(event) = rx.try_recv() {
            match event {
                LinkEvent::Frame(bytes) => {
                    device.sim.feed(&bytes, now_us());
                }
                LinkEvent::Up => tracing::debug!("link up"),
                LinkEvent::Down(why) => tracing::debug!("link down: {why}"),
                LinkEvent::Unauthorized(url) => {
                    let why = format!("the daemon at {url} requires its token");
                    break 'sim Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        why,
                    ));
                }
            }
        }
        let now = now_us();
        device.sim.advance(now);
        let elapsed = started.elapsed();
        let sample = device.sim.sample(now);
        let is_due = elapsed.saturating_sub(last_print_at) >= options.interval;
        let is_new = last_printed
            .as_ref()
            .is_none_or(|last| !last.shows_same_as(&sample));
        if is_due && is_new {
            if let Err(err) = render(&sample, options.format, out) {
                break Err(err);
            }
            last_print_at = elapsed;
            last_printed = Some(sample);
        }
        if options.duration.is_some_and(|duration| elapsed >= duration) {
            break Ok(());
        }
    };
    shutdown.cancel();
    for link in links {
        let _ = link.await;
    }
    result
}

/// With `--network`: the daemon the flash names, followed over `/events` with the stored token,
/// as the firmware does on Wi-Fi (the host's network stands in for it; no mDNS here).
fn network_source(options: &SimOptions, device: &Device) -> Option<LinkSource> {
    if !options.is_network {
        return None;
    }
    let settings = device.stored()?;
    let Some((host, port)) = settings.daemon_addr() else {
        tracing::warn!("--network: the flash names no daemon (mDNS is the firmware's alone)");
        return None;
    };
    let token = (!settings.token.is_empty()).then(|| settings.token.as_str().to_string());
    Some(LinkSource::Events {
        url: format!("http://{host}:{port}"),
        token,
    })
}

/// One figure per gauge, or one for all when they agree (`15` or `15/60/15`).
fn per_gauge(figure: impl Fn(Gauge) -> i32) -> String {
    let figures = Gauge::ALL.map(&figure);
    if figures.iter().all(|f| *f == figures[0]) {
        figures[0].to_string()
    } else {
        figures.map(|f| f.to_string()).join("/")
    }
}

/// Writes the text format's one-line legend: what each column of [`render`]'s lines means, with
/// the dial positions from `config`.
pub(crate) fn render_legend(config: &ClusterConfig, out: &mut impl Write) -> std::io::Result<()> {
    let zero = per_gauge(|g| config.dial(g).position_steps(0));
    let full = per_gauge(|g| config.dial(g).position_steps(FULL_SCALE_BP));
    let park = per_gauge(|g| i32::from(config.dial(g).park_steps()));
    writeln!(
        out,
        "# t=seconds since boot  5h|tach|7d position/goal in steps above the stop \
         (E or 0 at {zero}, F or full scale at {full}, unknown fuel parked at {park}) \
         | lamps: = steady, ~ slow flash, ! fast flash, - off | model lamp"
    )?;
    out.flush()
}

/// Writes one sample in `format`.
pub(crate) fn render(
    sample: &Sample,
    format: SimFormat,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        SimFormat::JsonLines => {
            serde_json::to_writer(&mut *out, sample)?;
            writeln!(out)?;
        }
        SimFormat::Text => {
            let [p5, pt, p7] = sample.positions;
            let [g5, gt, g7] = sample.goals;
            write!(
                out,
                "t={:>9.3}s  5h {p5:>4}/{g5:<4} tach {pt:>4}/{gt:<4} 7d {p7:>4}/{g7:<4} |",
                sample.t_ms as f64 / 1000.0
            )?;
            for lamp in &sample.lamps {
                let mark = match lamp.pattern {
                    "steady" => '=',
                    "slow" => '~',
                    "fast" => '!',
                    _ => '-',
                };
                write!(out, " {}{mark}", lamp.lamp)?;
            }
            writeln!(out, " | {}", sample.model.as_deref().unwrap_or("-"))?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_legend_is_one_line_naming_every_column() {
        let mut legend = Vec::new();
        render_legend(&ClusterConfig::default(), &mut legend).unwrap();
        let legend = String::from_utf8(legend).unwrap();
        assert_eq!(legend.lines().count(), 1, "{legend}");
        assert!(legend.starts_with("# t=seconds since boot  5h|tach|7d position/goal"));
        for expected in [
            "E or 0 at 15,",
            "F or full scale at 825,",
            "unknown fuel parked at 0)",
            "= steady, ~ slow flash, ! fast flash, - off",
            "| model lamp\n",
        ] {
            assert!(
                legend.contains(expected),
                "{expected:?} missing from {legend}"
            );
        }
        let mixed = ClusterConfig::default()
            .with_dial(Gauge::Tach, gauge_core::DialCalibration::linear(60, 810));
        let mut legend = Vec::new();
        render_legend(&mixed, &mut legend).unwrap();
        let legend = String::from_utf8(legend).unwrap();
        assert!(legend.contains("E or 0 at 15/60/15,"), "{legend}");
    }

    #[test]
    fn text_and_json_lines_carry_the_positions_and_lamps() {
        let mut sim = Simulator::new(ClusterConfig::default());
        sim.advance(100_000);
        let sample = sim.sample(100_000);
        let mut text = Vec::new();
        render(&sample, SimFormat::Text, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("t=    0.100s  5h "), "{text}");
        // The lamp test lights every lamp at boot.
        assert!(
            text.contains("HOT= WARN_5H= WARN_7D= LIMIT= STALL= IDLE="),
            "{text}"
        );

        let mut json = Vec::new();
        render(&sample, SimFormat::JsonLines, &mut json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["t_ms"], 100);
        assert_eq!(value["lamps"][4]["lamp"], "STALL");
        assert_eq!(value["positions"].as_array().unwrap().len(), 3);
    }
}
