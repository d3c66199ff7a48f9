//! gauge-core: the instrument cluster's brain.
//!
//! One crate that the firmware, the host simulator and the web page (through WebAssembly) all
//! run, so a needle moves the same way on the desk, in the terminal and in the browser.
//!
//! Main types:
//! - [`Frame`]: the wire contract between the daemon and every cluster (`docs/protocol.md`).
//!   Encoded by the daemon with serde_json, decoded on the device with serde-json-core by
//!   [`decode_frame`], which rejects or clamps bad input and never panics. Its parts:
//!   [`GaugeSource`] per fuel gauge, [`ModelFamily`] by name, [`ScopedWarnings`], [`Spend`].
//! - [`Cluster`]: the whole instrument. Feed it frames ([`Cluster::feed_frame`],
//!   [`Cluster::feed_bytes`]) and time ([`Cluster::poll`] for a firmware timer,
//!   [`Cluster::advance_to`] for the simulator and the web page); read back steps,
//!   [`Cluster::needle_positions`] and [`Cluster::lamp_outputs`].
//! - [`NeedleMotion`]: one motor's step generator (SwitecX25's model, without its overshoot),
//!   configured by [`MotionConfig`] and an [`AccelTable`].
//! - [`DirectDrive`], [`StepDir`], [`Vid6606Reset`]: steps to pins over `embedded-hal` 1.0.
//! - [`DialCalibration`], [`TachScale`]: values to needle positions (an unknown fuel parks
//!   below E, [`DialCalibration::park_steps`]); [`ClusterConfig::needle_angle_deg`]: a position
//!   to the angle every screen draws.
//! - [`DialFace`] ([`Gauge::face`]): what each dial prints (ticks, figures, unit, reserve or
//!   redline zone); with [`TACH_FULL_SCALE_PER_MIN`], [`TACH_REDLINE_PER_MIN`] and
//!   [`FUEL_RESERVE_BP`] the one source of the scales (`docs/gauge-core.md`, "Scales").
//! - [`write_face_svg`], [`write_panel_svg`]: each dial's face and the front panel as SVG at
//!   true size ([`FaceLayout`], millimetres), through `core::fmt::Write`: what is printed, what
//!   the web page shows and where the needle points come from the same numbers
//!   (`docs/dial-faces.md`).
//! - [`ModelLamps`]: which model families light the cluster's three model lamps.
//! - [`LampPanel`]: lamp patterns, the master-caution rule, lamp test, brightness.
//! - [`LinkWatchdog`]: STALL when frames stop.
//! - [`DeviceSettings`]: what the device stores (Wi-Fi, daemon, token, calibration, lamps) and
//!   its checksummed binary record; [`SetupSession`]: the USB-serial setup protocol that edits it.
//! - [`SseParser`]: the `/events` stream, incrementally; [`LinkPlan`] and [`Backoff`]: when the
//!   device reconnects and when it falls back to polling `/usage`.
//!
//! Design notes, the master-caution rule and the measured footprint: `docs/gauge-core.md`.
//!
//! Must never: allocate, read a clock, do I/O, depend on std, panic on any input bytes.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

mod accel;
mod cluster;
mod dial;
mod dimmer;
mod driver;
mod error;
mod face_svg;
mod family;
mod frame;
mod gauge;
mod glide;
mod lamps;
mod line;
mod model_lamps;
mod motion;
mod needle;
mod reconnect;
mod scale;
mod settings;
mod setup;
mod sse;
mod time;
mod watchdog;

pub use accel::{AccelRow, AccelTable, ACCEL_TABLE_MAX_ROWS};
pub use cluster::{Cluster, ClusterConfig};
pub use dial::{
    fuel_scale_bp, CalibrationPoint, DialCalibration, TachScale, CALIBRATION_MAX_POINTS,
};
pub use dimmer::{DimmerConfig, NightDimmer};
pub use driver::{DirectDrive, StepDir, Vid6606Reset, PARTIAL_STEP_STATES, STEP_PULSE_NS};
pub use error::ConfigError;
pub use face_svg::{
    face_file_stem, write_face_svg, write_panel_svg, FaceLayout, DIAL_DIAMETER_MM,
    DIAL_DIAMETER_RANGE_MM, DIAL_PITCH_MM, SHAFT_HOLE_MM,
};
pub use family::{ModelFamily, FAMILY_NAME_MAX_LEN};
pub use frame::{
    decode_frame, encode_frame, DecodeError, Frame, FuelSource, GaugeSource, Lamp, Lamps,
    ScopedName, ScopedWarnings, Spend, SpendPeriod, FRAME_MAX_LEN, FRAME_VERSION,
    SCOPED_NAME_MAX_LEN, SCOPED_WARNINGS_MAX,
};
pub use gauge::Gauge;
pub use lamps::{
    LampConfig, LampOutput, LampPanel, LampPattern, ModelLampOutput, FAST_FLASH_PERIOD_US,
    SLOW_FLASH_PERIOD_US,
};
pub use line::{LineBuffer, LinePush};
pub use model_lamps::{ModelLamps, MODEL_LAMP_COUNT, MODEL_LAMP_MAX_FAMILIES};
pub use motion::{MotionConfig, NeedleMotion, Step};
pub use needle::BootPhase;
pub use reconnect::{Backoff, LinkMode, LinkOutcome, LinkPlan, POLL_FALLBACK_MS, POLL_PERIOD_MS};
pub use scale::{
    DialFace, ScaleLabel, ScaleZone, ZoneKind, FUEL_RESERVE_BP, FULL_SCALE_BP,
    TACH_FULL_SCALE_PER_MIN, TACH_REDLINE_PER_MIN,
};
pub use settings::{
    crc32, parse_daemon, DeviceSettings, GaugeTrim, RecordError, Text, TextError, DAEMON_MAX_LEN,
    DEFAULT_DAEMON_PORT, PASSWORD_MAX_LEN, RECORD_MAX_LEN, RECORD_VERSION, SSID_MAX_LEN,
    TOKEN_MAX_LEN, TRIM_MAX_STEPS,
};
pub use setup::{
    gauge_name, parse_gauge, write_boot_notice, SetupEffect, SetupSession, REPLY_PREFIX,
    SETUP_PROTOCOL_VERSION,
};
pub use sse::{SseEvent, SseParser, SsePush};
pub use time::MicrosExtender;
pub use watchdog::LinkWatchdog;
