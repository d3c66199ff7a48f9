//! gauge-core's host test binary: property tests of the motion, the SwitecX25 reference
//! comparison and the frame fuzzing, all through the public API.

mod firmware_paths;
mod frame_fuzz;
mod motion_props;
mod switec_reference;
mod util;
