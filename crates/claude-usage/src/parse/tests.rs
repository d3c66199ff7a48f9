use std::path::Path;

use super::*;

fn parser() -> LineParser {
    let origin = FileOrigin::from_path(Path::new("/d/projects/proj/sess-1.jsonl"));
    LineParser::new(origin, PriceTable::embedded())
}

fn line(usage: &str, extra: &str) -> String {
    format!(
        r#"{{"timestamp":"2025-10-01T12:34:56.789Z","sessionId":"sess-1","version":"2.0.30",{extra}"requestId":"req_1","message":{{"id":"msg_1","model":"claude-sonnet-4-5-20250929","content":[{{"type":"text","text":"hi \"there\""}}],"usage":{usage}}}}}"#
    )
}

fn entry(parsed: ParsedLine) -> UsageEntry {
    match parsed {
        ParsedLine::Usage { entry, .. } => entry,
        other => panic!("expected usage, got {other:?}"),
    }
}

#[test]
fn parses_a_modern_assistant_line() {
    let usage = r#"{"input_tokens":4,"cache_creation_input_tokens":1234,"cache_read_input_tokens":20000,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":200},"output_tokens":350,"service_tier":"standard"}"#;
    let parsed = entry(parser().parse(line(usage, r#""isSidechain":false,"#).as_bytes()));
    assert_eq!(parsed.message_id.as_deref(), Some("msg_1"));
    assert_eq!(parsed.request_id.as_deref(), Some("req_1"));
    assert_eq!(parsed.usage.cache_creation_tokens(), 1200);
    assert_eq!(parsed.total_tokens(), 4 + 350 + 1200 + 20000);
    let expected = 4.0 * 3e-6 + 350.0 * 15e-6 + 1000.0 * 3.75e-6 + 200.0 * 6e-6 + 20000.0 * 0.3e-6;
    assert!((parsed.cost_usd - expected).abs() < 1e-15);
    assert_eq!(&*parsed.project, "proj");
    assert_eq!(&*parsed.session_id, "sess-1");
    assert!(!parsed.is_sidechain && !parsed.is_progress && !parsed.is_unpriced);
}

#[test]
fn rejects_what_ccusage_rejects() {
    let cases = [
        (
            r#"{"input_tokens":1.5,"output_tokens":2}"#,
            "",
            SkipReason::Schema,
        ),
        (
            r#"{"input_tokens":-1,"output_tokens":2}"#,
            "",
            SkipReason::Schema,
        ),
        (r#"{"input_tokens":1}"#, "", SkipReason::Schema),
        (
            r#"{"input_tokens":1,"output_tokens":2,"speed":"turbo"}"#,
            "",
            SkipReason::Schema,
        ),
        (
            r#"{"input_tokens":1,"output_tokens":2,"speed":null}"#,
            "",
            SkipReason::NullField,
        ),
        (
            r#"{"input_tokens":1,"output_tokens":2}"#,
            r#""cwd":null,"#,
            SkipReason::NullField,
        ),
    ];
    for (usage, extra, reason) in cases {
        assert_eq!(
            parser().parse(line(usage, extra).as_bytes()),
            ParsedLine::Skipped(reason)
        );
    }
    let ok = line(r#"{"input_tokens":1,"output_tokens":2}"#, "");
    let bad_version = ok.replace("2.0.30", "v2");
    assert_eq!(
        parser().parse(bad_version.as_bytes()),
        ParsedLine::Skipped(SkipReason::Invalid)
    );
    let bad_time = ok.replace(".789Z", ".789123Z");
    assert_eq!(
        parser().parse(bad_time.as_bytes()),
        ParsedLine::Skipped(SkipReason::Timestamp)
    );
    let spaced = ok.replace(r#""usage":{"#, r#""usage": {"#);
    assert_eq!(
        parser().parse(spaced.as_bytes()),
        ParsedLine::Skipped(SkipReason::NoUsage)
    );
    assert_eq!(
        parser().parse(&ok.as_bytes()[..ok.len() - 3]),
        ParsedLine::Malformed
    );
    assert_eq!(parser().parse(b"not json"), ParsedLine::Malformed);
    assert_eq!(
        parser().parse(b"  \r"),
        ParsedLine::Skipped(SkipReason::NoUsage)
    );
    assert_eq!(
        parser().parse(br#"{"type":"user"}"#),
        ParsedLine::Skipped(SkipReason::NoUsage)
    );
}

#[test]
fn accepts_crlf_big_integers_and_offsets() {
    let usage = r#"{"input_tokens":9007199254740993,"output_tokens":2}"#;
    let text = line(usage, "").replace("2025-10-01T12:34:56.789Z", "2025-10-01T14:34:56+02:00");
    let parsed = entry(parser().parse(format!("{text}\r").as_bytes()));
    assert_eq!(parsed.usage.input_tokens, 9_007_199_254_740_993);
    assert_eq!(parsed.timestamp_ms % 1000, 0);
}

#[test]
fn synthetic_fast_and_unknown_models() {
    let usage = r#"{"input_tokens":10,"output_tokens":2,"speed":"fast"}"#;
    let fast = line(usage, "").replace("claude-sonnet-4-5-20250929", "claude-opus-4-6");
    let parsed = entry(parser().parse(fast.as_bytes()));
    assert_eq!(
        parsed.display_model.as_deref(),
        Some("claude-opus-4-6-fast")
    );
    assert!((parsed.cost_usd - 6.0 * (10.0 * 5e-6 + 2.0 * 25e-6)).abs() < 1e-15);
    let synthetic = line(usage, "").replace("claude-sonnet-4-5-20250929", "<synthetic>");
    let parsed = entry(parser().parse(synthetic.as_bytes()));
    assert_eq!(parsed.display_model, None);
    assert!(!parsed.is_unpriced);
    let logged = line(
        r#"{"input_tokens":10,"output_tokens":2}"#,
        r#""costUSD":0.5,"#,
    );
    assert_eq!(entry(parser().parse(logged.as_bytes())).cost_usd, 0.5);
}

#[test]
fn reads_agent_progress_lines() {
    let text = r#"{"sessionId":"session-a","version":"1.2.3","type":"progress","data":{"message":{"type":"assistant","timestamp":"2026-03-10T06:00:01.000Z","message":{"model":"claude-haiku-4-5-20251001","id":"msg_haiku","type":"message","role":"assistant","content":[],"usage":{"input_tokens":20,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"req_haiku","uuid":"nested"}},"timestamp":"2026-03-10T06:00:01.001Z"}"#;
    let parsed = entry(parser().parse(text.as_bytes()));
    assert!(parsed.is_progress);
    assert_eq!(parsed.message_id.as_deref(), Some("msg_haiku"));
    assert_eq!(&*parsed.session_id, "sess-1");
}

#[test]
fn emits_advisor_iterations() {
    let usage = r#"{"input_tokens":10,"output_tokens":20,"iterations":[{"type":"message","input_tokens":10},{"type":"advisor_message","model":"claude-opus-4-7","input_tokens":100,"output_tokens":200}]}"#;
    let text = line(usage, "");
    let ParsedLine::Usage { advisors, .. } = parser().parse(text.as_bytes()) else {
        panic!("usage expected");
    };
    assert_eq!(advisors.len(), 1);
    assert_eq!(advisors[0].message_id.as_deref(), Some("msg_1:advisor:1"));
    assert_eq!(advisors[0].total_tokens(), 300);
    let lenient = line(
        r#"{"input_tokens":1,"output_tokens":2,"iterations":"x"}"#,
        "",
    );
    assert!(matches!(
        parser().parse(lenient.as_bytes()),
        ParsedLine::Usage { .. }
    ));
}

#[test]
fn reads_the_usage_limit_reset_time() {
    let extra = r#""isApiErrorMessage":true,"note":"Claude AI usage limit reached|1760000000","#;
    let text = line(r#"{"input_tokens":0,"output_tokens":0}"#, extra);
    let parsed = entry(parser().parse(text.as_bytes()));
    assert_eq!(parsed.usage_limit_reset_ms, Some(1_760_000_000_000));
}

#[test]
fn never_panics_on_prefixes_of_a_line() {
    let text = line(
        r#"{"input_tokens":1,"output_tokens":2}"#,
        r#""isApiErrorMessage":true,"#,
    );
    let mut parser = parser();
    for end in 0..text.len() {
        let _ = parser.parse(&text.as_bytes()[..end]);
    }
    assert!(is_semver_prefix("1.0.0") && is_semver_prefix("10.2.3-beta"));
    assert!(!is_semver_prefix("1.0") && !is_semver_prefix("1.0.x") && !is_semver_prefix(""));
}

#[test]
fn never_panics_on_mutated_lines() {
    let base = line(
        r#"{"input_tokens":1,"output_tokens":2,"cache_creation":{"ephemeral_1h_input_tokens":3},"iterations":[{"type":"advisor_message","model":"claude-opus-4-7","input_tokens":1}]}"#,
        r#""isApiErrorMessage":true,"x":"Claude AI usage limit reached|17","#,
    );
    let alphabet = b"{}[]\":,\\u0123456789.-+eEnulltrufalse \r\t\xff\xc3";
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parser = parser();
    for _ in 0..60_000 {
        let mut bytes = base.clone().into_bytes();
        for _ in 0..(1 + next() % 4) {
            let at = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]),
            }
        }
        let _ = parser.parse(&bytes);
    }
}

#[test]
fn null_marker_finder_agrees_with_memmem_at_every_length_and_position() {
    let finder = NullMarkerFinder::new();
    for len in 0..80 {
        for at in 0..=len {
            let mut haystack = vec![b'"'; len];
            haystack.extend_from_slice(b":nul");
            haystack.truncate(len.max(at));
            haystack.splice(at..at, NULL_MARKER.iter().copied());
            assert_eq!(
                finder.find(&haystack),
                memmem::find(&haystack, NULL_MARKER),
                "{len} {at}"
            );
        }
        let without = vec![b':'; len];
        assert_eq!(finder.find(&without), None);
    }
}

#[test]
fn usage_marker_is_found_on_either_side_of_the_tail_split() {
    let parser = parser();
    for len in [0, 5, 100, USAGE_TAIL_BYTES - 3, USAGE_TAIL_BYTES + 4, 3000] {
        let plain = vec![b'x'; len];
        assert!(!parser.has_usage_marker(&plain));
        for at in 0..=len {
            let mut line = plain.clone();
            line.splice(at..at, USAGE_MARKER.iter().copied());
            assert!(parser.has_usage_marker(&line), "{len} {at}");
            // Cut the marker's last byte: no marker any more.
            line.remove(at + USAGE_MARKER.len() - 1);
            assert!(!parser.has_usage_marker(&line), "{len} {at}");
        }
    }
}

#[test]
fn an_invalid_unicode_escape_in_skipped_content_is_malformed_as_in_serde_json() {
    let usage = r#"{"input_tokens":4,"output_tokens":5}"#;
    let good = line(usage, "").replace("hi ", r"hi \u00e9 ");
    assert!(matches!(
        parser().parse(good.as_bytes()),
        ParsedLine::Usage { .. }
    ));
    // sonic-rs skips `content` without checking the hex digits; serde_json (ccusage) refuses.
    for bad_escape in [r"\uZZZZ", r"\u12", r"\u12G4"] {
        let bad = line(usage, "").replace("hi ", &format!("hi {bad_escape} "));
        assert!(serde_json::from_str::<serde_json::Value>(&bad).is_err());
        assert!(
            !matches!(parser().parse(bad.as_bytes()), ParsedLine::Usage { .. }),
            "{bad_escape} counted"
        );
    }
    // An escaped backslash before `u` is no escape at all.
    let literal = line(usage, "").replace("hi ", r"hi \\uZZZZ ");
    assert!(matches!(
        parser().parse(literal.as_bytes()),
        ParsedLine::Usage { .. }
    ));
}
