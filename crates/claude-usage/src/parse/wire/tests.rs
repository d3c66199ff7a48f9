use super::*;

/// [`super::decode`] with a scratch buffer of its own (leaked: a few bytes per test call).
fn decode(line: &[u8]) -> Result<WireLine<'_>, DecodeError> {
    super::decode(line, Box::leak(Box::default()))
}

const LINE: &str =
    r#"{"timestamp":"t","x":XX,"message":{"usage":{"input_tokens":1,"output_tokens":2}}}"#;

#[test]
fn optional_strings_borrow_from_the_line() {
    let line = br#"{"timestamp":"t","sessionId":"s","requestId":"r","message":{"id":"m","model":"x","usage":{"input_tokens":1,"output_tokens":2}}}"#;
    let wire = decode(line).unwrap();
    for field in [
        &wire.session_id,
        &wire.request_id,
        &wire.message_id,
        &wire.model,
    ] {
        assert!(matches!(field, Some(Cow::Borrowed(_))));
    }
    let escaped = br#"{"timestamp":"t","sessionId":"s\"q","message":{"usage":{"input_tokens":1,"output_tokens":2}}}"#;
    assert_eq!(decode(escaped).unwrap().session_id.as_deref(), Some("s\"q"));
}

#[test]
fn deep_nesting_neither_crashes_nor_diverges() {
    for depth in [1, 10, 100, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let line = LINE.replace("XX", &nested);
        assert!(decode(line.as_bytes()).is_ok(), "{depth}");
    }
}

#[test]
fn serde_json_decides_what_sonic_refuses() {
    // Invalid UTF-8 inside an ignored string: serde_json (and so ccusage) accepts it.
    let mut line = LINE.replace("XX", "\"a__b\"").into_bytes();
    let at = line.iter().position(|&b| b == b'_').unwrap();
    line[at] = 0xff;
    line[at + 1] = 0xfe;
    assert!(decode(&line).is_ok());
    assert!(!decode(&line).unwrap().is_daily_readable);
    let surrogate = LINE.replace("XX", r#""a\ud800b""#);
    assert!(!decode(surrogate.as_bytes()).unwrap().is_daily_readable);
    let pair = LINE.replace("XX", r#""\ud83d\ude00 \\ud800""#);
    assert!(decode(pair.as_bytes()).unwrap().is_daily_readable);
    let deep = LINE.replace("XX", &format!("{}{}", "[".repeat(127), "]".repeat(127)));
    assert!(!decode(deep.as_bytes()).unwrap().is_daily_readable);
    let control = LINE.replace("XX", "\"a\u{1}b\"");
    assert_eq!(
        decode(control.as_bytes()).err(),
        Some(DecodeError::Malformed)
    );
    let schema = LINE
        .replace("XX", "1")
        .replace("\"input_tokens\":1", "\"input_tokens\":1.5");
    assert_eq!(decode(schema.as_bytes()).err(), Some(DecodeError::Schema));
}
