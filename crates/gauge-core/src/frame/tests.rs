use super::*;

/// The longest frame `widest_frame` encodes to, bytes (FRAME_MAX_LEN's doc says it too).
const WIDEST_FRAME_LEN: usize = 732;

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
    assert_eq!(frame.model, Some(ModelFamily::OPUS));
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
            "reset_5h":null,"reset_7d":null,"model":"gpt 5!","source":"none",
            "lamps":["STALL","FUTURE_LAMP"],"future":{"a":[1,2,"x"]}}"#;
    let frame = decode_frame(line).unwrap();
    assert_eq!(frame.fuel_5h, None);
    assert_eq!(frame.model, Some(ModelFamily::OTHER));
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

/// The longest text a non-negative `f32` takes in a frame (15 bytes): ryu's shortest form has
/// at most 9 significant digits, written after `0.0000` between 1e-5 and 1e-4 (and up to 13
/// integer digits and `.0` for large ones). Found by scanning every 9973rd `f32`.
fn widest_fraction() -> f32 {
    let widest = 0.000_015_253_076_5_f32;
    assert_eq!(serde_json::to_string(&widest).unwrap(), "0.0000152530765");
    widest
}

/// Every field at its widest: every lamp, every optional field, the longest family, four of the
/// longest scoped names, the longest numbers.
fn widest_frame() -> Frame {
    let mut lamps = Lamps::NONE;
    for lamp in Lamp::ALL {
        lamps.set(lamp, true);
    }
    let f = widest_fraction();
    let mut warn_scoped = ScopedWarnings::EMPTY;
    for c in ['a', 'b', 'c', 'd'] {
        let name: String = core::iter::repeat_n(c, SCOPED_NAME_MAX_LEN).collect();
        assert!(warn_scoped.push(&name));
    }
    Frame {
        seq: u32::MAX,
        ts: u64::MAX,
        fuel_5h: Some(f),
        fuel_7d: Some(f),
        tach: u32::MAX,
        reset_5h: Some(u64::MAX),
        reset_7d: Some(u64::MAX),
        model: Some(ModelFamily::from_name("fifteen15chars1")),
        source: FuelSource::Estimate,
        lamps,
        pace_5h: Some(f),
        pace_7d: Some(f),
        empty_5h: Some(u64::MAX),
        empty_7d: Some(u64::MAX),
        source_5h: Some(GaugeSource::Estimate),
        source_7d: Some(GaugeSource::Official),
        warn_scoped,
        spend: Some(Spend {
            used_usd: f,
            limit_usd: Some(f),
            period: SpendPeriod::Monthly,
            used_pct: Some(f),
        }),
        ..Frame::default()
    }
}

#[test]
fn widest_frame_fits_the_buffer() {
    let frame = widest_frame();
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    assert!(
        n <= WIDEST_FRAME_LEN,
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
    // A real frame (times of this century, four-decimal fuel, two-decimal pace) without the
    // newer fields still fits the 384-byte buffer of the first clusters; with them (four
    // lamps, a long family, one scoped warning, the spend in cents), the 512-byte buffer of
    // the next. Both ignore the fields they do not know.
    let real = Frame {
        model: Some(ModelFamily::SONNET),
        lamps: Lamps(Lamps::NONE.with(Lamp::WarnOpus).bits() * 2 - 1).with(Lamp::WarnSonnet),
        source_5h: None,
        source_7d: None,
        ts: 4_102_444_800,
        fuel_5h: Some(0.1235),
        fuel_7d: Some(0.9877),
        reset_5h: Some(4_102_444_800),
        reset_7d: Some(4_102_444_800),
        pace_5h: Some(0.12),
        pace_7d: Some(0.99),
        empty_5h: Some(4_102_444_800),
        empty_7d: Some(4_102_444_800),
        warn_scoped: ScopedWarnings::EMPTY,
        spend: None,
        ..frame
    };
    let n = encode_frame(&real, &mut buf).unwrap();
    assert!(n < 384, "{n}");
    let real = Frame {
        model: frame.model,
        lamps: [Lamp::Warn7d, Lamp::Limit, Lamp::WarnScoped, Lamp::Credits]
            .into_iter()
            .fold(Lamps::NONE, Lamps::with),
        source_5h: frame.source_5h,
        source_7d: frame.source_7d,
        warn_scoped: ScopedWarnings::EMPTY.with("Claude Fable 5.2 weekly"),
        spend: Some(Spend {
            used_usd: 12_345.67,
            limit_usd: Some(10_000.0),
            period: SpendPeriod::Monthly,
            used_pct: Some(123.46),
        }),
        ..real
    };
    let n = encode_frame(&real, &mut buf).unwrap();
    assert!(n < 512, "{n}");
}

/// Frames as today's daemon sends them, byte for byte: without the newer optional fields a
/// frame's encoding must not change (older clusters and stored recordings compare bytes).
const TODAY: [&str; 3] = [
    r#"{"v":1,"seq":42,"ts":1795491113,"fuel_5h":0.58,"fuel_7d":0.83,"tach":3120,"reset_5h":1795494907,"reset_7d":1795750507,"model":"opus","source":"official","lamps":["HOT","WARN_5H"],"pace_5h":0.21,"pace_7d":0.37,"empty_5h":1795493580,"empty_7d":null}"#,
    r#"{"v":1,"seq":1,"ts":2,"fuel_5h":null,"fuel_7d":null,"tach":0,"reset_5h":null,"reset_7d":null,"model":null,"source":"none","lamps":["STALL"],"pace_5h":null,"pace_7d":null,"empty_5h":null,"empty_7d":null}"#,
    r#"{"v":1,"seq":7,"ts":1795491113,"fuel_5h":0.3,"fuel_7d":0.09,"tach":100,"reset_5h":1795494907,"reset_7d":1795750507,"model":"haiku","source":"estimate","lamps":["WARN_5H","WARN_OPUS","WARN_SONNET"],"pace_5h":0.2,"pace_7d":null,"empty_5h":1795493000,"empty_7d":null}"#,
];

#[test]
fn frames_without_the_new_fields_encode_byte_for_byte_as_before() {
    let mut buf = [0u8; FRAME_MAX_LEN];
    for text in TODAY {
        let frame = decode_frame(text.as_bytes()).unwrap();
        assert_eq!(
            (frame.source_5h, frame.source_7d, frame.spend),
            (None, None, None)
        );
        assert!(frame.warn_scoped.is_empty());
        let n = encode_frame(&frame, &mut buf).unwrap();
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), text);
        assert_eq!(serde_json::to_string(&frame).unwrap(), text);
    }
}

#[test]
fn the_new_fields_decode_and_round_trip() {
    let line = br#"{"v":1,"seq":9,"ts":1795491113,"fuel_5h":null,"fuel_7d":0.05,"tach":0,
        "reset_5h":null,"reset_7d":1795750507,"model":"fable","source":"official",
        "lamps":["WARN_7D","WARN_SCOPED","CREDITS","FUTURE"],"pace_5h":null,"pace_7d":0.3,
        "empty_5h":null,"empty_7d":null,"source_5h":"none","source_7d":"cached",
        "warn_scoped":["Fable","Opus",""," Fable ","Mythos","Haiku","Sixth"],
        "spend":{"used_usd":62.5,"limit_usd":50,"period":"monthly","used_pct":125,"new":1}}"#;
    let frame = decode_frame(line).unwrap();
    assert_eq!(frame.model, Some(ModelFamily::FABLE));
    assert_eq!(frame.source_5h, Some(GaugeSource::None));
    assert_eq!(frame.source_7d_or_legacy(), GaugeSource::Cached);
    assert_eq!(
        frame.warn_scoped.iter().collect::<Vec<_>>(),
        ["Fable", "Opus", "Mythos", "Haiku"],
        "empty and repeated names dropped, at most four"
    );
    assert!(frame.lamps.is_lit(Lamp::WarnScoped) && frame.lamps.is_lit(Lamp::Credits));
    assert_eq!(frame.lamps.bits(), 0b11_0000_0100);
    let spend = frame.spend.unwrap();
    assert_eq!(spend.used_pct, Some(125.0), "over 100 % is kept");
    assert!(spend.is_at_limit());
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    let text = core::str::from_utf8(&buf[..n]).unwrap();
    assert!(text.ends_with(
        r#","source_5h":"none","source_7d":"cached","warn_scoped":["Fable","Opus","Mythos","Haiku"],"spend":{"used_usd":62.5,"limit_usd":50.0,"period":"monthly","used_pct":125.0}}"#
    ), "{text}");
    assert_eq!(decode_frame(&buf[..n]).unwrap(), frame);
    assert_eq!(serde_json::to_string(&frame).unwrap(), text);
}

#[test]
fn per_gauge_sources_fall_back_to_the_legacy_source() {
    let legacy = decode_frame(EXAMPLE.as_bytes()).unwrap();
    assert_eq!(legacy.source_5h_or_legacy(), GaugeSource::Official);
    assert_eq!(
        legacy.gauge_source(crate::Gauge::Fuel7d),
        GaugeSource::Official
    );
    let none = Frame {
        source: FuelSource::None,
        ..legacy
    };
    assert_eq!(
        none.source_7d_or_legacy(),
        GaugeSource::Unknown,
        "not 'no window'"
    );
    let unknown_name = br#"{"v":1,"seq":1,"ts":2,"fuel_5h":0.5,"fuel_7d":0.5,"tach":0,
        "reset_5h":null,"reset_7d":null,"model":null,"source":"estimate","lamps":[],
        "source_5h":"telepathy","source_7d":null}"#;
    let frame = decode_frame(unknown_name).unwrap();
    assert_eq!(frame.source_5h, Some(GaugeSource::Unknown));
    assert_eq!(frame.source_7d_or_legacy(), GaugeSource::Estimate);
    // No such window: the needle shows nothing, whatever the fuel says.
    let no_window = Frame {
        source_5h: Some(GaugeSource::None),
        ..frame
    };
    assert_eq!(no_window.shown_fuel(crate::Gauge::Fuel5h), None);
    assert_eq!(no_window.shown_fuel(crate::Gauge::Fuel7d), Some(0.5));
}

#[test]
fn scoped_names_and_spend_are_made_encodable() {
    assert_eq!(
        ScopedName::new(" Fa\"ble\u{7}\\ ").unwrap().as_str(),
        "Fable"
    );
    assert_eq!(ScopedName::new("  \u{1}"), None);
    // Cut at a character boundary: 22 ASCII bytes then a 2-byte character does not fit 23.
    let long = format!("{}é", "x".repeat(22));
    assert_eq!(ScopedName::new(&long).unwrap().as_str(), "x".repeat(22));
    let wild = Spend {
        used_usd: f32::INFINITY,
        limit_usd: Some(f32::NAN),
        period: SpendPeriod::Other,
        used_pct: Some(-5.0),
    }
    .clamped();
    assert_eq!(wild.used_usd, f32::MAX);
    assert_eq!((wild.limit_usd, wild.used_pct), (None, Some(0.0)));
    assert!(!wild.is_at_limit());
    let frame = Frame {
        spend: Some(Spend {
            used_usd: f32::NAN,
            ..wild
        }),
        ..Frame::default()
    }
    .clamped();
    let mut buf = [0u8; FRAME_MAX_LEN];
    let n = encode_frame(&frame, &mut buf).unwrap();
    assert_eq!(decode_frame(&buf[..n]).unwrap(), frame);
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
    assert_eq!(Lamp::WarnOpus.model_family(), Some(ModelFamily::OPUS));
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
        ModelFamily::OPUS
    );
    assert_eq!(
        ModelFamily::from_model_id("claude-3-5-sonnet-latest"),
        ModelFamily::SONNET
    );
    assert_eq!(
        ModelFamily::from_model_id("claude-haiku-4-5"),
        ModelFamily::HAIKU
    );
    assert_eq!(
        ModelFamily::from_model_id("<synthetic>"),
        ModelFamily::OTHER
    );
}
