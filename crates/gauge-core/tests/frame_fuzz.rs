//! Fuzz-style: whatever bytes arrive, decoding (and feeding a cluster) never panics.

use gauge_core::{
    decode_frame, encode_frame, Cluster, ClusterConfig, Frame, GaugeSource, Lamp, Lamps,
    ModelFamily, ScopedWarnings, Spend, SpendPeriod, FRAME_MAX_LEN,
};
use proptest::prelude::*;

const VALID: &str = r#"{"v":1,"seq":42,"ts":1795491113,"fuel_5h":0.58,"fuel_7d":0.83,"tach":3120,"reset_5h":1795494907,"reset_7d":1795750507,"model":"opus","source":"official","lamps":["HOT","WARN_5H"]}"#;

/// A frame with every newer field, as the daemon sends them for Claude Code 2.1.
const VALID_NEW: &str = r#"{"v":1,"seq":43,"ts":1795491113,"fuel_5h":null,"fuel_7d":0.05,"tach":3120,"reset_5h":null,"reset_7d":1795750507,"model":"fable","source":"official","lamps":["WARN_7D","WARN_SCOPED","CREDITS"],"pace_5h":null,"pace_7d":0.31,"empty_5h":null,"empty_7d":null,"source_5h":"none","source_7d":"cached","warn_scoped":["Fable"],"spend":{"used_usd":62.5,"limit_usd":50.0,"period":"monthly","used_pct":125.0}}"#;

fn any_source() -> impl Strategy<Value = Option<GaugeSource>> {
    proptest::option::of(proptest::sample::select(GaugeSource::ALL.to_vec()))
}

fn any_frame() -> impl Strategy<Value = Frame> {
    let names = proptest::collection::vec(any::<String>(), 0..7);
    let spend = proptest::option::of((
        any::<f32>(),
        proptest::option::of(any::<f32>()),
        proptest::sample::select(SpendPeriod::ALL.to_vec()),
        proptest::option::of(any::<f32>()),
    ));
    (
        (
            any::<u32>(),
            any::<u64>(),
            proptest::option::of(any::<f32>()),
        ),
        (any::<u16>(), proptest::option::of("[a-zA-Z0-9 ._-]{0,20}")),
        (any_source(), any_source(), names, spend),
    )
        .prop_map(
            |((seq, ts, fuel), (lamp_bits, model), (s5, s7, names, spend))| {
                let lamps = Lamp::ALL
                    .into_iter()
                    .filter(|lamp| lamp_bits & (1 << *lamp as u16) != 0)
                    .fold(Lamps::NONE, Lamps::with);
                let mut warn_scoped = ScopedWarnings::EMPTY;
                for name in &names {
                    warn_scoped.push(name);
                }
                Frame {
                    seq,
                    ts,
                    fuel_5h: fuel,
                    model: model.map(|id| ModelFamily::from_model_id(&id)),
                    lamps,
                    source_5h: s5,
                    source_7d: s7,
                    warn_scoped,
                    spend: spend.map(|(used_usd, limit_usd, period, used_pct)| Spend {
                        used_usd,
                        limit_usd,
                        period,
                        used_pct,
                    }),
                    ..Frame::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(
        is_new in any::<bool>(),
        flips in proptest::collection::vec((0..VALID.len(), any::<u8>()), 0..8),
        cut in 0..=VALID_NEW.len(),
    ) {
        let valid = if is_new { VALID_NEW } else { VALID };
        let cut = cut.min(valid.len());
        let mut bytes = valid.as_bytes().to_vec();
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
    fn any_frame_encodes_within_the_bound_and_round_trips(frame in any_frame()) {
        let frame = frame.clamped();
        let mut buf = [0u8; FRAME_MAX_LEN];
        let len = encode_frame(&frame, &mut buf).expect("every frame fits FRAME_MAX_LEN");
        prop_assert!(len <= 732, "{}", len);
        prop_assert_eq!(decode_frame(&buf[..len]), Ok(frame));
        // The daemon's encoder (serde_json, which writes `e+22` where this writes `e22`) says
        // the same, within the same bound.
        let host = serde_json::to_vec(&frame).unwrap();
        prop_assert!(host.len() <= 732, "{}", host.len());
        prop_assert_eq!(decode_frame(&host), Ok(frame));
    }

    #[test]
    fn json_shaped_noise_never_panics(s in r#"\{("[a-z_0-9]{0,8}":(-?[0-9.e+]{0,12}|null|"[a-zA-Z_]{0,8}"|\[[^\]]{0,20}\]|\{[^}]{0,10}\}),?){0,12}\}"#) {
        let _ = decode_frame(s.as_bytes());
    }
}

#[test]
fn the_valid_frames_decode() {
    assert!(decode_frame(VALID.as_bytes()).is_ok());
    let new = decode_frame(VALID_NEW.as_bytes()).unwrap();
    assert_eq!(new.warn_scoped.get(0), Some("Fable"));
    let mut buf = [0u8; FRAME_MAX_LEN];
    let len = encode_frame(&new, &mut buf).unwrap();
    assert_eq!(&buf[..len], VALID_NEW.as_bytes());
}
