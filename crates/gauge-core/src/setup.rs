//! The setup protocol: one text command per line on the USB serial link, beside the frames
//! (`docs/protocol.md`, "Device setup").
//!
//! Sits at the device's end of the serial link, next to the frame decoder: a line that starts
//! with `{` is a frame, any other line a setup command, which [`SetupSession::handle_line`]
//! answers with reply lines that each start with `@` and end with exactly one `@ok` or `@err`
//! line. The session edits the settings in RAM; the caller acts on the returned
//! [`SetupEffect`] (store them, re-apply calibration, point a needle, restart). The Wi-Fi
//! password and the token are write-only: `show` says only whether each is set.

use core::fmt::Write;

use crate::cluster::ClusterConfig;
use crate::dial::DialCalibration;
use crate::gauge::Gauge;
use crate::settings::{
    parse_daemon, DeviceSettings, GaugeTrim, Text, TextError, PASSWORD_MAX_LEN, TRIM_MAX_STEPS,
};

/// The setup protocol's version, reported by `show`.
pub const SETUP_PROTOCOL_VERSION: u8 = 1;
/// Every reply line starts with this; anything else on the line (log output) is not a reply.
pub const REPLY_PREFIX: char = '@';
/// The shortest WPA2 passphrase.
const PASSWORD_MIN_LEN: usize = 8;
/// The most steps `point` accepts: beyond any motor's travel.
const POINT_MAX_STEPS: u16 = 4_000;

/// What the caller must do after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupEffect {
    /// Nothing (the reply is complete).
    None,
    /// Calibration or lamp settings changed: rebuild the cluster's dials and lamps from
    /// [`SetupSession::settings`] (the reply is complete).
    Apply,
    /// Store [`SetupSession::settings`], then report with [`SetupSession::finish_save`].
    Save,
    /// Hold `gauge`'s needle at `position_steps` above its stop, ignoring frames (calibration).
    Point {
        /// Which needle.
        gauge: Gauge,
        /// Where, steps above the stop.
        position_steps: u16,
    },
    /// Let every pointed needle follow the frames again.
    Release,
    /// Restart the device (so new Wi-Fi settings take effect); the reply is complete.
    Restart,
}

/// The settings being edited over the serial link, and whether they differ from the stored ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetupSession {
    settings: DeviceSettings,
    base_dials: [DialCalibration; 3],
    is_stored: bool,
    is_dirty: bool,
}

impl SetupSession {
    /// A session over what was read at boot: `Some` settings from storage, or `None` when
    /// nothing (valid) was stored. `base` is the build's cluster (its dials before any trim),
    /// which `show` reports the trimmed dials against.
    pub fn new(stored: Option<DeviceSettings>, base: &ClusterConfig) -> SetupSession {
        SetupSession {
            settings: stored.unwrap_or_default(),
            base_dials: Gauge::ALL.map(|gauge| *base.dial(gauge)),
            is_stored: stored.is_some(),
            is_dirty: false,
        }
    }

    /// The settings as edited so far.
    pub const fn settings(&self) -> &DeviceSettings {
        &self.settings
    }

    /// Whether anything was stored (at boot or by a `save` since).
    pub const fn is_stored(&self) -> bool {
        self.is_stored
    }

    /// Answers one command line (without its newline), writing reply lines to `out`.
    /// Never panics; hostile input gets one `@err` line and changes nothing.
    pub fn handle_line(&mut self, line: &[u8], out: &mut impl Write) -> SetupEffect {
        match self.run(line, out) {
            Ok(effect) => effect,
            Err(message) => {
                let _ = writeln!(out, "{REPLY_PREFIX}err {message}");
                SetupEffect::None
            }
        }
    }

    /// Reports a `save`: `stored` is the storage's outcome (`Err` carries a short reason).
    pub fn finish_save(&mut self, stored: Result<(), &str>, out: &mut impl Write) {
        let _ = match stored {
            Ok(()) => {
                self.is_stored = true;
                self.is_dirty = false;
                writeln!(out, "{REPLY_PREFIX}ok saved")
            }
            Err(why) => writeln!(out, "{REPLY_PREFIX}err cannot store the settings: {why}"),
        };
    }

    fn run(&mut self, line: &[u8], out: &mut impl Write) -> Result<SetupEffect, &'static str> {
        let line = core::str::from_utf8(line).map_err(|_| "not text; send ASCII commands")?;
        let line = line.trim_matches(' ');
        let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
        let ok = |out: &mut dyn Write| {
            let _ = writeln!(out, "{REPLY_PREFIX}ok");
        };
        match command {
            "show" if rest.is_empty() => {
                self.show(out);
                ok(out);
                Ok(SetupEffect::None)
            }
            "set" => {
                let (key, value) = rest.split_once(' ').ok_or("usage: set KEY VALUE")?;
                let effect = self.set(key, value)?;
                self.is_dirty = true;
                ok(out);
                Ok(effect)
            }
            "clear" => {
                let effect = self.clear(rest)?;
                self.is_dirty = true;
                ok(out);
                Ok(effect)
            }
            "save" if rest.is_empty() => Ok(SetupEffect::Save),
            "point" => {
                let (gauge, steps) = rest.split_once(' ').ok_or("usage: point GAUGE STEPS")?;
                let gauge = parse_gauge(gauge)?;
                let position_steps = steps
                    .parse::<u16>()
                    .ok()
                    .filter(|s| *s <= POINT_MAX_STEPS)
                    .ok_or("point: STEPS is a whole number 0..=4000")?;
                ok(out);
                Ok(SetupEffect::Point {
                    gauge,
                    position_steps,
                })
            }
            "release" if rest.is_empty() => {
                ok(out);
                Ok(SetupEffect::Release)
            }
            "restart" if rest.is_empty() => {
                ok(out);
                Ok(SetupEffect::Restart)
            }
            "show" | "save" | "release" | "restart" => Err("this command takes no arguments"),
            _ => Err("unknown command; use show, set, clear, save, point, release or restart"),
        }
    }

    fn show(&self, out: &mut impl Write) {
        let s = &self.settings;
        let set = |text_is_empty: bool| if text_is_empty { "not set" } else { "set" };
        let p = REPLY_PREFIX;
        // A reply line carries no newline of its own: every value here is printable text.
        let _ = writeln!(out, "{p}protocol {SETUP_PROTOCOL_VERSION}");
        let _ = writeln!(out, "{p}stored {}", yes_no(self.is_stored));
        let _ = writeln!(out, "{p}unsaved {}", yes_no(self.is_dirty));
        let ssid = if s.has_wifi() {
            s.wifi_ssid.as_str()
        } else {
            "-"
        };
        let _ = writeln!(out, "{p}wifi.ssid {ssid}");
        let _ = writeln!(out, "{p}wifi.password {}", set(s.wifi_password.is_empty()));
        let daemon = if s.daemon.is_empty() {
            "mdns"
        } else {
            s.daemon.as_str()
        };
        let _ = writeln!(out, "{p}daemon {daemon}");
        let _ = writeln!(out, "{p}token {}", set(s.token.is_empty()));
        for gauge in Gauge::ALL {
            let trim = s.trims[gauge.index()];
            let name = gauge_name(gauge);
            let (zero, sweep) = (trim.zero_steps, trim.sweep_steps);
            let _ = writeln!(out, "{p}cal.{name} {zero} {sweep}");
            // The dial in force: zero and full scale, steps above the stop.
            let dial = trim.apply(self.base_dials[gauge.index()]);
            let (zero, full) = (dial.zero_offset_steps(), dial.full_scale_steps());
            let _ = writeln!(
                out,
                "{p}dial.{name} {zero} {}",
                u32::from(zero) + u32::from(full)
            );
        }
        let _ = writeln!(out, "{p}lamps.brightness {}", s.brightness_pct);
        let night = if s.is_night_dimming { "on" } else { "off" };
        let _ = writeln!(out, "{p}lamps.night {night}");
        let _ = writeln!(out, "{p}lamps.night_min {}", s.night_min_pct);
    }

    fn set(&mut self, key: &str, value: &str) -> Result<SetupEffect, &'static str> {
        let s = &mut self.settings;
        match key {
            "wifi.ssid" => s.wifi_ssid = text(value, "wifi.ssid")?,
            "wifi.password" => {
                if value.len() < PASSWORD_MIN_LEN {
                    return Err("wifi.password: WPA2 needs 8 to 64 characters; `clear wifi.password` for an open network");
                }
                s.wifi_password = text::<PASSWORD_MAX_LEN>(value, "wifi.password")?;
            }
            "daemon" if value == "mdns" => s.daemon = Text::EMPTY,
            "daemon" => {
                parse_daemon(value).ok_or("daemon: use HOST, HOST:PORT or mdns")?;
                s.daemon = text(value, "daemon")?;
            }
            "token" => s.token = text(value, "token")?,
            "lamps.brightness" => {
                let pct = percent(value, 1)?;
                s.brightness_pct = pct;
                s.night_min_pct = s.night_min_pct.min(pct);
                return Ok(SetupEffect::Apply);
            }
            "lamps.night" => {
                s.is_night_dimming = match value {
                    "on" => true,
                    "off" => false,
                    _ => return Err("lamps.night: use on or off"),
                };
                return Ok(SetupEffect::Apply);
            }
            "lamps.night_min" => {
                let pct = percent(value, 0)?;
                if pct > s.brightness_pct {
                    return Err("lamps.night_min: at most lamps.brightness");
                }
                s.night_min_pct = pct;
                return Ok(SetupEffect::Apply);
            }
            _ => {
                let gauge = key
                    .strip_prefix("cal.")
                    .ok_or("unknown key; see `show` for the keys")?;
                let gauge = parse_gauge(gauge)?;
                let (zero, sweep) = value
                    .split_once(' ')
                    .ok_or("usage: set cal.GAUGE ZERO SWEEP (steps, may be negative)")?;
                s.trims[gauge.index()] = GaugeTrim {
                    zero_steps: trim_steps(zero)?,
                    sweep_steps: trim_steps(sweep)?,
                };
                return Ok(SetupEffect::Apply);
            }
        }
        Ok(SetupEffect::None)
    }

    fn clear(&mut self, key: &str) -> Result<SetupEffect, &'static str> {
        let s = &mut self.settings;
        let defaults = DeviceSettings::default();
        match key {
            "wifi.ssid" => s.wifi_ssid = Text::EMPTY,
            "wifi.password" => s.wifi_password = Text::EMPTY,
            "daemon" => s.daemon = Text::EMPTY,
            "token" => s.token = Text::EMPTY,
            "all" => {
                *s = defaults;
                return Ok(SetupEffect::Apply);
            }
            _ => {
                let gauge = key.strip_prefix("cal.").ok_or(
                    "clear: use wifi.ssid, wifi.password, daemon, token, cal.GAUGE or all",
                )?;
                s.trims[parse_gauge(gauge)?.index()] = GaugeTrim::default();
                return Ok(SetupEffect::Apply);
            }
        }
        Ok(SetupEffect::None)
    }
}

/// The line the device prints on its serial port at boot: what it will do with what is stored
/// (never a password or token). Not a reply, so it does not start with `@`.
pub fn write_boot_notice(stored: Option<&DeviceSettings>, out: &mut impl Write) {
    let _ = match stored {
        None => writeln!(
            out,
            "# no settings stored: frames over USB serial only; run `claude-gauge device setup`"
        ),
        Some(s) if !s.has_wifi() => {
            writeln!(
                out,
                "# settings loaded: no Wi-Fi, frames over USB serial only"
            )
        }
        Some(s) => {
            let daemon = if s.daemon.is_empty() {
                "mdns"
            } else {
                s.daemon.as_str()
            };
            writeln!(
                out,
                "# settings loaded: Wi-Fi {}, daemon {daemon}",
                s.wifi_ssid.as_str()
            )
        }
    };
}

/// A gauge's name on the protocol and the command line: `5h`, `tach` or `7d`.
pub const fn gauge_name(gauge: Gauge) -> &'static str {
    match gauge {
        Gauge::Fuel5h => "5h",
        Gauge::Tach => "tach",
        Gauge::Fuel7d => "7d",
    }
}

/// The gauge named `name` (`5h`, `tach`, `7d`).
pub fn parse_gauge(name: &str) -> Result<Gauge, &'static str> {
    Gauge::ALL
        .into_iter()
        .find(|gauge| gauge_name(*gauge) == name)
        .ok_or("GAUGE is 5h, tach or 7d")
}

const fn yes_no(is_yes: bool) -> &'static str {
    if is_yes {
        "yes"
    } else {
        "no"
    }
}

fn text<const N: usize>(value: &str, key: &'static str) -> Result<Text<N>, &'static str> {
    // The messages never quote the value: it may be a password or a token.
    Text::new(value.as_bytes()).map_err(|err| match (err, key) {
        (TextError::TooLong { .. }, "wifi.ssid") => "wifi.ssid: at most 32 bytes",
        (TextError::TooLong { .. }, _) => "value too long: at most 64 bytes",
        (TextError::NotPrintable, _) => "value has a control character",
    })
}

fn percent(value: &str, min: u8) -> Result<u8, &'static str> {
    value
        .parse::<u8>()
        .ok()
        .filter(|pct| (min..=100).contains(pct))
        .ok_or("use a whole percent, 1..=100 (0..=100 for lamps.night_min)")
}

fn trim_steps(value: &str) -> Result<i16, &'static str> {
    value
        .parse::<i16>()
        .ok()
        .filter(|steps| steps.abs() <= TRIM_MAX_STEPS)
        .ok_or("a trim is whole steps, -2000..=2000")
}

#[cfg(test)]
mod tests;
