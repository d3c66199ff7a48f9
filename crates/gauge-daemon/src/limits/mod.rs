//! Fuel, rate and lamps: pure functions of the engine's state, the settings and `now`.
//!
//! Sits between the ledger's in-memory index and the frame builder. Nothing here reads a clock or
//! does I/O, so every rule is tested with plain values.

mod calibration;
mod fuel;
mod pace;
mod recent;

pub(crate) use calibration::{calibrated_estimate, CalibratedInputs, CalibratedUse, Calibration};
pub(crate) use fuel::{choose_fuel, history_limit_5h, Fuel, FuelInputs};
pub(crate) use pace::{
    is_run_out_early, pace, run_out_secs, BurnInputs, BURN_SPAN_5H_MS, BURN_SPAN_7D_MS,
};
pub(crate) use recent::{Block, RecentUsage, RECENT_SPAN_MS};
