//! Fuzz-style: whatever bytes arrive, decoding (and feeding a cluster) never panics.

use gauge_core::{decode_frame, Cluster, ClusterConfig};
use proptest::prelude::*;

const VALID: &str = r#"{"v":1,"seq":42,"ts":1795491113,"fuel_5h":0.58,"fuel_7d":0.83,"tach":3120,"reset_5h":1795494907,"reset_7d":1795750507,"model":"opus","source":"official","lamps":["HOT","WARN_5H"]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(
        flips in proptest::collection::vec((0..VALID.len(), any::<u8>()), 0..8),
        cut in 0..=VALID.len(),
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte) in flips {
            bytes[at] = byte;
        }
        bytes.truncate(cut);
        let mut cluster = Cluster::new(ClusterConfig::default(), 0);
        if let Ok(frame) = decode_frame(&bytes) {
            prop_assert!(frame.fuel_5h.is_none_or(|f| (0.0..=1.0).contains(&f)));
            prop_assert!(frame.fuel_7d.is_none_or(|f| (0.0..=1.0).contains(&f)));
        }
        let _ = cluster.feed_bytes(&bytes, 1);
        cluster.advance_to(100_000, |_, _, _| {});
    }

    #[test]
    fn json_shaped_noise_never_panics(s in r#"\{("[a-z_0-9]{0,8}":(-?[0-9.e+]{0,12}|null|"[a-zA-Z_]{0,8}"|\[[^\]]{0,20}\]|\{[^}]{0,10}\}),?){0,12}\}"#) {
        let _ = decode_frame(s.as_bytes());
    }
}

#[test]
fn the_valid_frame_decodes() {
    assert!(decode_frame(VALID.as_bytes()).is_ok());
}
