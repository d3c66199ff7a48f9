//! gauge-core's host test binary: property tests of the motion, the SwitecX25 reference
//! comparison, the frame fuzzing and the scales doc check, all through the public API.

mod docs_scales;
mod firmware_paths;
mod firmware_settings;
mod frame_fuzz;
mod fuzz_replay;
mod motion_props;
mod switec_reference;
mod util;
