//! gauge-core: the instrument cluster's brain.
//!
//! One crate that the firmware, the host simulator and the web page (through WebAssembly) all
//! run, so a needle moves the same way on the desk, in the terminal and in the browser.
//!
//! Main types:
//! - [`Frame`]: the wire contract between the daemon and every cluster (`docs/protocol.md`).
//!   Encoded by the daemon with serde_json, decoded on the device with serde-json-core by
//!   [`decode_frame`], which rejects or clamps bad input and never panics.
//!
//! Must never: allocate, read a clock, do I/O, depend on std, panic on any input bytes.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

mod frame;

pub use frame::{
    decode_frame, encode_frame, DecodeError, FuelSource, Frame, Lamp, Lamps, ModelFamily,
    FRAME_MAX_LEN, FRAME_VERSION,
};
