use super::*;

const EXAMPLE: &str = r#"{"v":1,"seq":42,"ts":1795491113,
        "fuel_5h":0.58,"fuel_7d":0.83,"tach":3120,
        "reset_5h":1795494907,"reset_7d":1795750507,
        "model":"opus","source":"official",
        "lamps":["HOT","WARN_5H"]}"#;

#[test]
fn decodes_the_protocol_example() {
    let frame = decode_frame(EXAMPLE.as_bytes()).unwrap();
    assert_eq!(frame.seq, 42);
    assert_eq!(frame.fuel_5h, Some(0.58));
    assert_eq!(frame.tach, 3120);
    assert_eq!(frame.reset_7d, Some(1_795_750_507));
    assert_eq!(frame.model, Some(ModelFamily::Opus));
    assert_eq!(frame.source, FuelSource::Official);
    assert_eq!(frame.lamps, Lamps::NONE.with(Lamp::Hot).with(Lamp::Warn5h));
}

#[test]
fn host_and_device_encodings_agree() {
    let frame = decode_frame(EXAMPLE.as_bytes()).unwrap();
    let host = serde_json::to_string(&frame).unwrap();
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    assert_eq!(host.as_bytes(), &buf[..n]);
    assert_eq!(decode_frame(&buf[..n]).unwrap(), frame);
}

#[test]
fn nulls_unknown_fields_lamps_and_families_are_tolerated() {
    let line = br#"{"v":1,"seq":1,"ts":2,"fuel_5h":null,"fuel_7d":null,"tach":0,
            "reset_5h":null,"reset_7d":null,"model":"mythos","source":"none",
            "lamps":["STALL","FUTURE_LAMP"],"future":{"a":[1,2,"x"]}}"#;
    let frame = decode_frame(line).unwrap();
    assert_eq!(frame.fuel_5h, None);
    assert_eq!(frame.model, Some(ModelFamily::Other));
    assert_eq!(frame.lamps, Lamps::NONE.with(Lamp::Stall));
}

#[test]
fn out_of_range_fuel_is_clamped_and_other_versions_refused() {
    let line = br#"{"v":1,"seq":1,"ts":2,"fuel_5h":1.7,"fuel_7d":-3,"tach":0,
            "reset_5h":null,"reset_7d":null,"model":null,"source":"estimate","lamps":[]}"#;
    let frame = decode_frame(line).unwrap();
    assert_eq!(frame.fuel_5h, Some(1.0));
    assert_eq!(frame.fuel_7d, Some(0.0));
    let v2 = br#"{"v":2,"seq":1,"ts":2,"fuel_5h":null,"fuel_7d":null,"tach":0,
            "reset_5h":null,"reset_7d":null,"model":null,"source":"none","lamps":[]}"#;
    assert_eq!(decode_frame(v2), Err(DecodeError::UnsupportedVersion(2)));
    assert_eq!(decode_frame(b"{\"v\":1"), Err(DecodeError::Malformed));
}

#[test]
fn widest_frame_fits_the_buffer() {
    let mut lamps = Lamps::NONE;
    for lamp in Lamp::ALL {
        lamps.set(lamp, true);
    }
    let frame = Frame {
        seq: u32::MAX,
        ts: u64::MAX,
        fuel_5h: Some(0.123_456_78),
        fuel_7d: Some(0.987_654_3),
        tach: u32::MAX,
        reset_5h: Some(u64::MAX),
        reset_7d: Some(u64::MAX),
        model: Some(ModelFamily::Sonnet),
        source: FuelSource::Estimate,
        lamps,
        pace_5h: Some(0.123_456_78),
        pace_7d: Some(0.987_654_3),
        empty_5h: Some(u64::MAX),
        empty_7d: Some(u64::MAX),
        ..Frame::default()
    };
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    assert!(
        n <= 400,
        "{n}: update FRAME_MAX_LEN's doc and docs/protocol.md"
    );
    assert_eq!(decode_frame(&buf[..n]).unwrap(), frame);
    // A device's line buffer takes it whole, as one serial line.
    let mut lines = crate::line::LineBuffer::<FRAME_MAX_LEN>::new();
    let pushed: Vec<_> = buf[..n]
        .iter()
        .chain(b"\n")
        .map(|b| lines.push(*b))
        .collect();
    assert_eq!(pushed.last(), Some(&crate::line::LinePush::Line));
    assert_eq!(decode_frame(lines.line()).unwrap(), frame);
    // A real frame (times of this century, four-decimal fuel, two-decimal pace) still fits the
    // 384-byte buffer of earlier clusters, which ignore the fields they do not know.
    let real = Frame {
        ts: 4_102_444_800,
        fuel_5h: Some(0.1235),
        fuel_7d: Some(0.9877),
        reset_5h: Some(4_102_444_800),
        reset_7d: Some(4_102_444_800),
        pace_5h: Some(0.12),
        pace_7d: Some(0.99),
        empty_5h: Some(4_102_444_800),
        empty_7d: Some(4_102_444_800),
        ..frame
    };
    let n = encode_frame(&real, &mut buf).unwrap();
    assert!(n < 384, "{n}");
}

#[test]
fn frames_with_and_without_pace_and_run_out_decode() {
    // Without the fields (an older daemon): unknown.
    let old = decode_frame(EXAMPLE.as_bytes()).unwrap();
    assert_eq!((old.pace_5h, old.pace_7d), (None, None));
    assert_eq!((old.empty_5h, old.empty_7d), (None, None));
    // With them, null or set, and the model lamps lit.
    let new = br#"{"v":1,"seq":7,"ts":1795491113,"fuel_5h":0.3,"fuel_7d":0.09,"tach":100,
            "reset_5h":1795494907,"reset_7d":1795750507,"model":"opus","source":"official",
            "lamps":["WARN_5H","WARN_OPUS","WARN_SONNET"],
            "pace_5h":0.2,"pace_7d":null,"empty_5h":1795493000,"empty_7d":null}"#;
    let frame = decode_frame(new).unwrap();
    assert_eq!(frame.pace_5h, Some(0.2));
    assert_eq!(frame.pace_7d, None);
    assert_eq!(frame.empty_5h, Some(1_795_493_000));
    assert_eq!(frame.empty_7d, None);
    assert!(frame.lamps.is_lit(Lamp::WarnOpus) && frame.lamps.is_lit(Lamp::WarnSonnet));
    assert_eq!(Lamp::WarnOpus.model_family(), Some(ModelFamily::Opus));
    assert_eq!(Lamp::Warn5h.model_family(), None);
    // Pace is clamped like fuel; the round trip keeps every field.
    let wild = br#"{"v":1,"seq":1,"ts":2,"fuel_5h":null,"fuel_7d":null,"tach":0,"reset_5h":null,
            "reset_7d":null,"model":null,"source":"none","lamps":[],"pace_5h":3,"pace_7d":-1}"#;
    let frame = decode_frame(wild).unwrap();
    assert_eq!((frame.pace_5h, frame.pace_7d), (Some(1.0), Some(0.0)));
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    assert_eq!(decode_frame(&buf[..n]).unwrap(), frame);
}

#[test]
fn model_family_from_id() {
    assert_eq!(
        ModelFamily::from_model_id("claude-opus-4-5-20251101"),
        ModelFamily::Opus
    );
    assert_eq!(
        ModelFamily::from_model_id("claude-3-5-sonnet-latest"),
        ModelFamily::Sonnet
    );
    assert_eq!(
        ModelFamily::from_model_id("claude-haiku-4-5"),
        ModelFamily::Haiku
    );
    assert_eq!(
        ModelFamily::from_model_id("<synthetic>"),
        ModelFamily::Other
    );
}
