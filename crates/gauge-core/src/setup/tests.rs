use super::*;

/// Runs `lines` through a fresh session; returns the session, every reply and the effects.
fn run(lines: &[&str]) -> (SetupSession, String, Vec<SetupEffect>) {
    let mut session = SetupSession::new(None, &ClusterConfig::default());
    let mut out = String::new();
    let mut effects = Vec::new();
    for line in lines {
        effects.push(session.handle_line(line.as_bytes(), &mut out));
    }
    (session, out, effects)
}

#[test]
fn setup_sets_everything_and_show_hides_the_secrets() {
    let (mut session, out, effects) = run(&[
        "set wifi.ssid attic net",
        "set wifi.password hunter2 hunter2",
        "set daemon studio.local:9000",
        "set token 0123456789abcdef",
        "set cal.5h 4 -20",
        "set lamps.brightness 70",
        "set lamps.night off",
    ]);
    assert_eq!(out, "@ok\n".repeat(7));
    assert_eq!(effects[4], SetupEffect::Apply);
    let s = session.settings();
    assert_eq!(s.wifi_ssid.as_str(), "attic net");
    assert_eq!(s.wifi_password.as_str(), "hunter2 hunter2");
    assert_eq!(s.daemon_addr(), Some(("studio.local", 9000)));
    assert_eq!(
        s.trims[0],
        GaugeTrim {
            zero_steps: 4,
            sweep_steps: -20
        }
    );
    assert_eq!((s.brightness_pct, s.is_night_dimming), (70, false));

    let mut shown = String::new();
    assert_eq!(session.handle_line(b"show", &mut shown), SetupEffect::None);
    assert!(shown.contains("@wifi.ssid attic net\n"), "{shown}");
    assert!(shown.contains("@wifi.password set\n"), "{shown}");
    assert!(shown.contains("@token set\n"), "{shown}");
    assert!(shown.contains("@daemon studio.local:9000\n"), "{shown}");
    assert!(
        shown.contains("@cal.5h 4 -20\n@dial.5h 19 809\n"),
        "{shown}"
    );
    assert!(
        shown.contains("@cal.tach 0 0\n@dial.tach 15 825\n@cal.7d 0 0\n"),
        "{shown}"
    );
    assert!(shown.contains("@stored no\n@unsaved yes\n"), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains("0123456789abcdef"));
    assert!(shown.ends_with("@ok\n"));

    let mut saved = String::new();
    assert_eq!(session.handle_line(b"save", &mut saved), SetupEffect::Save);
    assert_eq!(saved, "");
    session.finish_save(Ok(()), &mut saved);
    assert_eq!(saved, "@ok saved\n");
    assert!(session.is_stored());
    let mut failed = String::new();
    session.finish_save(Err("flash busy"), &mut failed);
    assert_eq!(failed, "@err cannot store the settings: flash busy\n");
}

#[test]
fn the_boot_notice_says_what_the_device_will_do() {
    let mut out = String::new();
    write_boot_notice(None, &mut out);
    assert!(out.starts_with("# no settings stored: frames over USB serial only"));
    let (session, _, _) = run(&["set wifi.ssid home", "set wifi.password password123"]);
    let mut out = String::new();
    write_boot_notice(Some(session.settings()), &mut out);
    assert_eq!(out, "# settings loaded: Wi-Fi home, daemon mdns\n");
}

#[test]
fn a_fresh_device_shows_nothing_set() {
    let (_, out, _) = run(&["show"]);
    for line in [
        "@protocol 1",
        "@stored no",
        "@wifi.ssid -",
        "@wifi.password not set",
        "@daemon mdns",
        "@token not set",
        "@lamps.brightness 100",
        "@lamps.night on",
        "@lamps.night_min 10",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} missing in {out}");
    }
}

#[test]
fn bad_commands_get_one_error_and_change_nothing() {
    let cases: [(&str, &str); 12] = [
        ("frobnicate", "unknown command"),
        ("set", "usage: set KEY VALUE"),
        ("set wifi.password short", "WPA2 needs 8 to 64"),
        ("set daemon http://x/", "daemon: use HOST"),
        ("set cal.9h 1 1", "GAUGE is 5h, tach or 7d"),
        ("set cal.tach 1", "usage: set cal.GAUGE"),
        ("set cal.tach 1 99999", "-2000..=2000"),
        ("set lamps.brightness 0", "whole percent"),
        ("set lamps.night_min 100", "at most lamps.brightness"),
        ("point 5h 5000", "0..=4000"),
        ("show please", "takes no arguments"),
        ("set nonsense 1", "unknown key"),
    ];
    for (line, expected) in cases {
        let (session, out, effects) = run(&["set lamps.brightness 50", line]);
        assert_eq!(effects[1], SetupEffect::None, "{line}");
        let reply = out.strip_prefix("@ok\n").unwrap();
        assert!(
            reply.starts_with("@err ") && reply.contains(expected),
            "{line}: {reply}"
        );
        assert_eq!(reply.lines().count(), 1, "{line}: {reply}");
        let expected_settings = DeviceSettings {
            brightness_pct: 50,
            ..DeviceSettings::default()
        };
        assert_eq!(session.settings(), &expected_settings, "{line}");
    }
    let (_, out, _) = run(&["set token \u{7f}secret"]);
    assert_eq!(out, "@err value has a control character\n");
}

#[test]
fn point_release_restart_and_clear() {
    let (session, out, effects) = run(&[
        "point tach 412",
        "release",
        "set cal.7d -3 5",
        "clear cal.7d",
        "set token abc",
        "clear token",
        "restart",
    ]);
    assert_eq!(out, "@ok\n".repeat(7));
    assert_eq!(
        effects[0],
        SetupEffect::Point {
            gauge: Gauge::Tach,
            position_steps: 412
        }
    );
    assert_eq!(effects[1], SetupEffect::Release);
    assert_eq!(effects[3], SetupEffect::Apply);
    assert_eq!(effects[6], SetupEffect::Restart);
    assert_eq!(session.settings(), &DeviceSettings::default());
}

mod props {
    use proptest::prelude::*;

    use super::*;

    const SECRET: &str = "Sup3rSecretPassw0rd";

    fn words() -> impl Strategy<Value = Vec<u8>> {
        let word = prop_oneof![
            Just("set".to_string()),
            Just("show".to_string()),
            Just("clear".to_string()),
            Just("point".to_string()),
            Just("wifi.password".to_string()),
            Just("token".to_string()),
            Just("cal.5h".to_string()),
            Just("lamps.night_min".to_string()),
            "-?[0-9]{1,6}",
            "[ -~]{0,12}",
        ];
        prop::collection::vec(word, 0..5).prop_map(|w| w.join(" ").into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Hostile lines: random bytes or random mixes of real words. Every answer is reply
        /// lines ending in exactly one `@ok`/`@err`, the settings stay valid (they encode and
        /// decode), and the secrets never come back.
        #[test]
        fn hostile_lines_never_panic_or_leak(lines in prop::collection::vec(
            prop_oneof![prop::collection::vec(any::<u8>(), 0..200), words()], 1..20))
        {
            let mut session = SetupSession::new(None, &ClusterConfig::default());
            let mut ignored = String::new();
            session.handle_line(format!("set wifi.password {SECRET}").as_bytes(), &mut ignored);
            session.handle_line(format!("set token {SECRET}").as_bytes(), &mut ignored);
            for line in &lines {
                let mut out = String::new();
                let effect = session.handle_line(line, &mut out);
                let replies: Vec<&str> = out.lines().collect();
                prop_assert!(replies.iter().all(|l| l.starts_with('@')), "{out}");
                let ends = replies.iter().filter(|l| **l == "@ok" || l.starts_with("@err ")).count();
                if effect == SetupEffect::Save {
                    prop_assert_eq!(ends, 0);
                } else {
                    prop_assert_eq!(ends, 1, "{}", out);
                    let last = replies.last().copied().unwrap_or("");
                    prop_assert!(last == "@ok" || last.starts_with("@err "));
                }
                prop_assert!(!out.contains(SECRET), "{out}");
                let mut record = [0u8; crate::settings::RECORD_MAX_LEN];
                let len = session.settings().encode(&mut record);
                prop_assert_eq!(DeviceSettings::decode(&record[..len]), Ok(*session.settings()));
            }
        }

        #[test]
        fn random_records_never_decode_to_garbage(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            // Whatever decodes must encode back to the same bytes (no second reading of them).
            if let Ok(settings) = DeviceSettings::decode(&bytes) {
                let mut record = [0u8; crate::settings::RECORD_MAX_LEN];
                let len = settings.encode(&mut record);
                prop_assert_eq!(&record[..len], &bytes[..len]);
            }
        }

        #[test]
        fn one_flipped_bit_is_caught(bit in 0usize..(8 * 120)) {
            let mut session = SetupSession::new(None, &ClusterConfig::default());
            let mut out = String::new();
            session.handle_line(b"set wifi.ssid some network", &mut out);
            session.handle_line(b"set daemon 192.168.1.20:8765", &mut out);
            let mut record = [0u8; crate::settings::RECORD_MAX_LEN];
            let len = session.settings().encode(&mut record);
            let bit = bit % (8 * len);
            record[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(DeviceSettings::decode(&record[..len]).is_err());
        }
    }
}
