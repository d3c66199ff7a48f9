use super::*;

fn configured() -> DeviceSettings {
    DeviceSettings {
        wifi_ssid: Text::new(b"attic net").unwrap(),
        wifi_password: Text::new(b"correct horse").unwrap(),
        daemon: Text::new(b"studio.local:8765").unwrap(),
        token: Text::new(&[b'a'; 64]).unwrap(),
        trims: [
            GaugeTrim {
                zero_steps: 3,
                sweep_steps: -12,
            },
            GaugeTrim::default(),
            GaugeTrim {
                zero_steps: -2,
                sweep_steps: 40,
            },
        ],
        brightness_pct: 80,
        is_night_dimming: false,
        night_min_pct: 5,
    }
}

#[test]
fn a_record_round_trips_and_fits() {
    for settings in [DeviceSettings::default(), configured()] {
        let mut buf = [0u8; RECORD_MAX_LEN];
        let len = settings.encode(&mut buf);
        assert!(len <= RECORD_MAX_LEN);
        assert_eq!(DeviceSettings::decode(&buf[..len]), Ok(settings));
        // Erased flash after the record is ignored.
        let mut padded = [0xFF; RECORD_MAX_LEN];
        padded[..len].copy_from_slice(&buf[..len]);
        assert_eq!(DeviceSettings::decode(&padded), Ok(settings));
    }
    let longest = DeviceSettings {
        wifi_ssid: Text::new(&[b'S'; SSID_MAX_LEN]).unwrap(),
        wifi_password: Text::new(&[b'p'; PASSWORD_MAX_LEN]).unwrap(),
        daemon: Text::new(&[b'h'; DAEMON_MAX_LEN]).unwrap(),
        ..configured()
    };
    let mut buf = [0u8; RECORD_MAX_LEN];
    let len = longest.encode(&mut buf);
    assert_eq!(len, HEAD_LEN + 243 + CRC_LEN);
    assert_eq!(DeviceSettings::decode(&buf[..len]), Ok(longest));
}

#[test]
fn damaged_records_are_refused_with_their_reason() {
    let mut buf = [0u8; RECORD_MAX_LEN];
    let len = configured().encode(&mut buf);
    assert_eq!(
        DeviceSettings::decode(&[0xFF; 64]),
        Err(RecordError::NotARecord)
    );
    assert_eq!(
        DeviceSettings::decode(&buf[..3]),
        Err(RecordError::Truncated)
    );
    assert_eq!(
        DeviceSettings::decode(&buf[..len - 1]),
        Err(RecordError::Truncated)
    );
    let mut flipped = buf;
    flipped[20] ^= 0x04;
    assert_eq!(
        DeviceSettings::decode(&flipped[..len]),
        Err(RecordError::Checksum)
    );
    let mut newer = buf;
    newer[2] = 2;
    assert_eq!(
        DeviceSettings::decode(&newer[..len]),
        Err(RecordError::Version(2))
    );
}

#[test]
fn crc32_is_the_ieee_crc() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn text_refuses_long_and_control_bytes_and_debug_hides_it() {
    assert_eq!(Text::<4>::new(b"abcde"), Err(TextError::TooLong { max: 4 }));
    assert_eq!(Text::<8>::new(b"a\tb"), Err(TextError::NotPrintable));
    assert_eq!(Text::<8>::new(&[0xC3]), Err(TextError::NotPrintable));
    let secret = Text::<16>::new("pässwörd".as_bytes()).unwrap();
    assert_eq!(secret.as_str(), "pässwörd");
    assert_eq!(format!("{secret:?}"), "Text(10 bytes)");
}

#[test]
fn daemon_addresses_and_trims() {
    assert_eq!(parse_daemon("10.0.0.2:9000"), Some(("10.0.0.2", 9000)));
    assert_eq!(parse_daemon("studio.local"), Some(("studio.local", 8765)));
    for bad in ["", ":80", "host:0", "host:99999", "a b:1", "http://x"] {
        assert_eq!(parse_daemon(bad), None, "{bad}");
    }
    let settings = configured();
    assert_eq!(settings.daemon_addr(), Some(("studio.local", 8765)));
    let config = settings.cluster_config(ClusterConfig::default());
    let dial = config.dial(Gauge::Fuel5h);
    assert_eq!(
        (dial.zero_offset_steps(), dial.full_scale_steps()),
        (15 + 3, 810 - 12)
    );
    assert_eq!(config.dial(Gauge::Tach), &DialCalibration::x27_direct());
    let pulled = GaugeTrim {
        zero_steps: -100,
        sweep_steps: -2_000,
    }
    .apply(DialCalibration::x27_direct());
    assert_eq!(
        (pulled.zero_offset_steps(), pulled.full_scale_steps()),
        (0, 1)
    );
    assert_eq!(settings.dimmer_config(DimmerConfig::default()), None);
    let dimmed = DeviceSettings::default().dimmer_config(DimmerConfig::default());
    assert_eq!(
        dimmed,
        Some(DimmerConfig::default().with_brightness_range_pct(10, 100))
    );
}
