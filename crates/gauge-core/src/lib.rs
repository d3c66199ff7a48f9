//! gauge-core: the instrument cluster's brain.
//!
//! One crate that the firmware, the host simulator and the web page (through WebAssembly) all
//! run, so a needle moves the same way on the desk, in the terminal and in the browser.
//!
//! Main types:
//! - [`Frame`]: the wire contract between the daemon and every cluster (`docs/protocol.md`).
//!   Encoded by the daemon with serde_json, decoded on the device with serde-json-core by
//!   [`decode_frame`], which rejects or clamps bad input and never panics.
//! - [`NeedleMotion`]: one motor's step generator (SwitecX25's model, without its overshoot),
//!   configured by [`MotionConfig`] and an [`AccelTable`].
//!
//! Must never: allocate, read a clock, do I/O, depend on std, panic on any input bytes.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

mod accel;
mod cluster;
mod dial;
mod driver;
mod error;
mod frame;
mod glide;
mod lamps;
mod motion;
mod needle;
mod time;
mod watchdog;

pub use accel::{AccelRow, AccelTable, ACCEL_TABLE_MAX_ROWS};
pub use cluster::{Cluster, ClusterConfig, Gauge};
pub use dial::{
    fuel_scale_bp, CalibrationPoint, DialCalibration, TachScale, CALIBRATION_MAX_POINTS, FULL_SCALE_BP,
};
pub use driver::{DirectDrive, StepDir, Vid6606Reset, PARTIAL_STEP_STATES, STEP_PULSE_NS};
pub use error::ConfigError;
pub use frame::{
    decode_frame, encode_frame, DecodeError, FuelSource, Frame, Lamp, Lamps, ModelFamily,
    FRAME_MAX_LEN, FRAME_VERSION,
};
pub use lamps::{
    LampConfig, LampOutput, LampPanel, LampPattern, FAST_FLASH_PERIOD_US, SLOW_FLASH_PERIOD_US,
};
pub use motion::{MotionConfig, NeedleMotion, Step};
pub use needle::BootPhase;
pub use time::MicrosExtender;
pub use watchdog::LinkWatchdog;
