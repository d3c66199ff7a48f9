//! Harness of the `frame_decode` fuzz target: arbitrary bytes through [`decode_frame`].
//!
//! Shared by `fuzz/fuzz_targets/frame_decode.rs` (libFuzzer, nightly) and
//! `crates/gauge-core/tests/fuzz_replay.rs` (the saved corpus, stable). Any broken invariant
//! panics.

use gauge_core::{decode_frame, encode_frame, DecodeError, FRAME_MAX_LEN, FRAME_VERSION};

/// Decodes `bytes` and checks what the decoder promises:
/// - it does not panic (gauge-core's "Must never");
/// - a decoded frame is version 1, with fuel in 0..=1 or unknown (never NaN);
/// - a decoded frame encodes into [`FRAME_MAX_LEN`] bytes, and that encoding decodes to the
///   same frame (what a cluster shows survives a daemon → cluster hop);
/// - a frame of another version is refused as such, not shown.
pub(crate) fn check(bytes: &[u8]) {
    match decode_frame(bytes) {
        Ok(frame) => {
            assert_eq!(frame.v, FRAME_VERSION);
            for fuel in [frame.fuel_5h, frame.fuel_7d].into_iter().flatten() {
                assert!((0.0..=1.0).contains(&fuel), "fuel {fuel} out of range");
            }
            let mut buf = [0_u8; FRAME_MAX_LEN];
            let len = encode_frame(&frame, &mut buf).expect("a decoded frame fits FRAME_MAX_LEN");
            let again = decode_frame(&buf[..len]).expect("an encoded frame decodes");
            assert_eq!(again, frame, "the frame changed on a round trip");
        }
        Err(DecodeError::UnsupportedVersion(v)) => assert_ne!(v, FRAME_VERSION),
        Err(DecodeError::Malformed) => {}
    }
}
