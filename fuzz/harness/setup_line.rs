//! Harness of the `setup_line` fuzz target: a byte stream as the firmware's USB-serial task
//! reads it: framed by [`LineBuffer`], each line that does not start with `{` answered by
//! gauge-core's [`SetupSession`]; and the same bytes read as a settings record.
//!
//! Shared by `fuzz/fuzz_targets/setup_line.rs` (libFuzzer, nightly) and
//! `crates/gauge-core/tests/fuzz_replay.rs` (the saved corpus, stable). Any broken invariant
//! panics.

use gauge_core::{
    ClusterConfig, DeviceSettings, LineBuffer, LinePush, SetupEffect, SetupSession, FRAME_MAX_LEN,
    RECORD_MAX_LEN,
};

/// The secrets the session holds before the stream starts; no reply may contain them.
const PASSWORD: &str = "fuzz-password-7Q";
const TOKEN: &str = "fuzz-token-0c3f9a";

/// Checks what the setup protocol promises, for any input:
/// - it does not panic;
/// - every reply line starts with `@`; a command that is not `save` ends with exactly one
///   `@ok`/`@err` line, as its last; `save` writes nothing until it is reported;
/// - `show` reports the password and the token only as `set`/`not set`, and no `@err` line
///   quotes them; unless the input itself types them into another field (a daemon address
///   may be any host name), no reply holds them anywhere;
/// - the settings always encode into a record that decodes to the same settings;
/// - the raw bytes, read as a record, either decode to settings that encode back to the
///   same bytes or are refused.
pub(crate) fn check(bytes: &[u8]) {
    let types_a_secret = [PASSWORD, TOKEN]
        .iter()
        .any(|secret| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let mut session = SetupSession::new(None, &ClusterConfig::default());
    let mut ignored = String::new();
    session.handle_line(
        format!("set wifi.password {PASSWORD}").as_bytes(),
        &mut ignored,
    );
    session.handle_line(format!("set token {TOKEN}").as_bytes(), &mut ignored);
    let mut lines = LineBuffer::<FRAME_MAX_LEN>::new();
    for &byte in bytes {
        if lines.push(byte) != LinePush::Line || lines.line().first() == Some(&b'{') {
            continue;
        }
        let mut reply = String::new();
        let effect = session.handle_line(lines.line(), &mut reply);
        let replies: Vec<&str> = reply.lines().collect();
        assert!(replies.iter().all(|l| l.starts_with('@')), "{reply:?}");
        let ends = replies
            .iter()
            .filter(|l| **l == "@ok" || l.starts_with("@err "))
            .count();
        if effect == SetupEffect::Save {
            assert!(reply.is_empty(), "{reply:?}");
            session.finish_save(Ok(()), &mut reply);
        } else {
            assert_eq!(ends, 1, "{reply:?}");
            let last = replies.last().copied().unwrap_or_default();
            assert!(last == "@ok" || last.starts_with("@err "), "{reply:?}");
        }
        for line in reply.lines() {
            if let Some(state) = line
                .strip_prefix("@wifi.password ")
                .or_else(|| line.strip_prefix("@token "))
            {
                assert!(state == "set" || state == "not set", "{line:?}");
            }
            if line.starts_with("@err ") {
                assert!(
                    !line.contains(PASSWORD) && !line.contains(TOKEN),
                    "{line:?}"
                );
            }
        }
        if !types_a_secret {
            assert!(
                !reply.contains(PASSWORD) && !reply.contains(TOKEN),
                "{reply:?}"
            );
        }
        let mut record = [0u8; RECORD_MAX_LEN];
        let len = session.settings().encode(&mut record);
        assert_eq!(
            DeviceSettings::decode(&record[..len]),
            Ok(*session.settings())
        );
    }
    if let Ok(settings) = DeviceSettings::decode(bytes) {
        let mut record = [0u8; RECORD_MAX_LEN];
        let len = settings.encode(&mut record);
        assert_eq!(&record[..len], &bytes[..len]);
    }
}
