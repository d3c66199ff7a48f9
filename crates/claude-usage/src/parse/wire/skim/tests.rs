use super::super::{decode, decode_whole, DecodeError, Scratch};
use super::*;

/// An assistant line shaped like Claude Code's: content with thinking, text and a tool call
/// (escapes, non-ASCII, nested input), then usage, ids and the rest.
const LINE: &str = concat!(
    r#"{"parentUuid":"f04716e6-70ef-4956-8198-55fea17792c5","isSidechain":false,"#,
    r#""message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01HRcTtuUkQiHNd5Bi3dRgFM","#,
    r#""type":"message","role":"assistant","content":[{"type":"thinking","thinking":"Let me "#,
    r#"look \"here\" — naïve\n\tthen \u00e9 and \\ done","signature":"EqUGCmQIDRgCKkCTRt0Lu7Fu7u8"},"#,
    r#"{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls -la | grep \"x\"","#,
    r#""timeout":120000,"ratio":-0.25,"flags":[true,false,null,[],{}],"nested":{"a":[{"b":[1]}]}}}],"#,
    r#""stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"#,
    r#""cache_creation_input_tokens":28323,"cache_read_input_tokens":0,"output_tokens":284,"#,
    r#""server_tool_use":{"web_search_requests":0},"service_tier":"standard","#,
    r#""cache_creation":{"ephemeral_1h_input_tokens":28323,"ephemeral_5m_input_tokens":0},"#,
    r#""speed":"standard"}},"requestId":"req_011CbBECkahrp5aLRe1vP8Yq","type":"assistant","#,
    r#""uuid":"d826dfbf-2995-4c98-8a38-25cd8c4bee10","timestamp":"2026-05-19T03:36:36.600Z","#,
    r#""userType":"external","cwd":"X:\\03_ACG\\Odoo_Docs","costUSD":0.0123,"#,
    r#""sessionId":"6277bf85-777b-41f4-b3e8-580299dd557b","version":"2.1.143","gitBranch":"master"}"#
);

/// The compacted line, or `None` when `line` is not plain.
fn compacted(line: &[u8]) -> Option<String> {
    let (mut spans, mut cuts, mut out) = (FieldSpans::default(), Vec::new(), Vec::new());
    skim(line, &mut spans, &mut cuts).then(|| {
        compact(line, &cuts, &mut out);
        String::from_utf8(out).expect("compacted UTF-8")
    })
}

/// `LINE` with its thinking text replaced by `text` (raw JSON string content).
fn with_content(text: &str) -> Vec<u8> {
    LINE.replacen("Let me ", text, 1).into_bytes()
}

#[test]
fn a_plain_line_keeps_only_what_the_schema_reads() {
    let compact = compacted(LINE.as_bytes()).expect("plain");
    assert_eq!(
        compact,
        concat!(
            r#"{"parentUuid":0,"isSidechain":false,"message":{"model":"claude-sonnet-4-5-20250929","#,
            r#""id":"msg_01HRcTtuUkQiHNd5Bi3dRgFM","type":0,"role":0,"content":0,"stop_reason":0,"#,
            r#""stop_sequence":0,"usage":{"input_tokens":10,"cache_creation_input_tokens":28323,"#,
            r#""cache_read_input_tokens":0,"output_tokens":284,"server_tool_use":0,"#,
            r#""service_tier":0,"cache_creation":{"ephemeral_1h_input_tokens":28323,"#,
            r#""ephemeral_5m_input_tokens":0},"speed":"standard"}},"requestId":"req_011CbBECkahrp5aLRe1vP8Yq","#,
            r#""type":0,"uuid":0,"timestamp":"2026-05-19T03:36:36.600Z","userType":0,"cwd":0,"#,
            r#""costUSD":0.0123,"sessionId":"6277bf85-777b-41f4-b3e8-580299dd557b","#,
            r#""version":"2.1.143","gitBranch":0}"#
        )
    );
    let whole = decode_whole(LINE.as_bytes(), true).expect("decodes");
    assert_eq!(decode(LINE.as_bytes(), &mut Scratch::default()), Ok(whole));
    // Whitespace around tokens and a trailing `\r` are JSON whitespace.
    let spaced = LINE.replace("\"type\":\"tool_use\"", " \"type\" :\t\"tool_use\" ") + "\r";
    assert!(compacted(spaced.as_bytes()).is_some());
}

/// Content that serde_json rejects: each case must be left to the whole decode, which says
/// Malformed exactly where serde_json fails on the line.
const MALFORMED_CONTENT: &[(&str, &str)] = &[
    ("invalid escape", r#"a \x b"#),
    ("escape at the end of a string", r#"a \"#),
    ("short unicode escape", r#"\u12"#),
    ("non-hex unicode escape", r#"\u12G4 b"#),
    ("control byte", "a \u{1} b"),
    ("raw tab", "a \t b"),
    ("leading zero", r#"","n":01,"t":""#),
    ("bare minus", r#"","n":-,"t":""#),
    ("fraction without digits", r#"","n":1.,"t":""#),
    ("leading dot", r#"","n":.5,"t":""#),
    ("plus sign", r#"","n":+1,"t":""#),
    ("exponent without digits", r#"","n":1e,"t":""#),
    ("truncated literal", r#"","n":tru,"t":""#),
    ("misspelt literal", r#"","n":nul,"t":""#),
    ("missing comma", r#"","n":1 "t":""#),
    ("trailing comma", r#"","n":[1,],"t":""#),
    ("missing colon", r#"","n" 1,"t":""#),
    ("unbalanced bracket", r#"","n":[1}],"t":""#),
];

#[test]
fn malformed_skipped_content_is_rejected_as_serde_json_rejects_it() {
    for (name, text) in MALFORMED_CONTENT {
        let line = with_content(text);
        assert!(
            serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err(),
            "{name}: serde_json accepts it"
        );
        assert_eq!(compacted(&line), None, "{name}: called plain");
        assert_eq!(
            decode(&line, &mut Scratch::default()).err(),
            Some(DecodeError::Malformed),
            "{name}"
        );
    }
    // Trailing garbage, a cut line, and deep nesting in skipped content.
    let mut cases = vec![
        ("trailing garbage", format!("{LINE}x").into_bytes()),
        ("a second object", format!("{LINE}{{}}").into_bytes()),
        ("cut short", LINE.as_bytes()[..LINE.len() - 1].to_vec()),
        (
            "unterminated string",
            LINE.as_bytes()[..LINE.find("Let me").expect("text") + 3].to_vec(),
        ),
    ];
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(199));
    cases.push((
        "unbalanced deep nesting",
        LINE.replace("[true,", &format!("[{deep},")).into_bytes(),
    ));
    for (name, line) in cases {
        assert_eq!(compacted(&line), None, "{name}: called plain");
        assert_eq!(
            decode(&line, &mut Scratch::default()).err(),
            Some(DecodeError::Malformed),
            "{name}"
        );
    }
}

#[test]
fn valid_but_unusual_content_is_left_to_the_whole_decode() {
    let deep = |levels: usize| {
        let nested = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        LINE.replace("[true,", &format!("[{nested},")).into_bytes()
    };
    let invalid_utf8 = {
        let mut line = with_content("a__b");
        let at = line.iter().position(|&b| b == b'_').expect("marker");
        line[at..at + 2].copy_from_slice(&[0xff, 0xfe]);
        line
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("lone surrogate", with_content(r#"a \ud800 b"#)),
        ("surrogate pair", with_content(r#"\ud83d\ude00"#)),
        ("exponent", with_content(r#"","n":1e400,"t":""#)),
        (
            "long number",
            with_content(&format!(r#"","n":{},"t":""#, "9".repeat(400))),
        ),
        ("deep nesting", deep(200)),
        (
            "escaped top-level key",
            LINE.replace("\"requestId\"", r#""request\u0049d""#)
                .into_bytes(),
        ),
        (
            "escaped message key",
            LINE.replace("\"usage\"", r#""usag\u0065""#).into_bytes(),
        ),
        ("top-level array", format!("[{LINE}]").into_bytes()),
        ("invalid UTF-8 in skipped content", invalid_utf8),
    ];
    for (name, line) in cases {
        let is_utf8 = std::str::from_utf8(&line).is_ok();
        if is_utf8 {
            assert_eq!(compacted(&line), None, "{name}: called plain");
        }
        assert_eq!(
            decode(&line, &mut Scratch::default()),
            decode_whole(&line, is_utf8),
            "{name}"
        );
    }
    // Within the depth limit, nesting is plain.
    assert!(compacted(&deep(MAX_DEPTH - 6)).is_some());
    assert!(compacted(&deep(MAX_DEPTH)).is_none());
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % bound
    }
}

#[test]
fn mutated_lines_decode_as_the_whole_decode_does() {
    const BYTES: &[u8] = b"\"\\{}[],:0159.-+eEutfnl \t\x01\x7f\xc3\xa9\xff";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut plain, mut total) = (0, 0);
    for _ in 0..20_000 {
        let mut line = LINE.as_bytes().to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(line.len());
            match rng.below(3) {
                0 => line[at] = BYTES[rng.below(BYTES.len())],
                1 => {
                    line.remove(at);
                }
                _ => line.insert(at, BYTES[rng.below(BYTES.len())]),
            }
        }
        let is_utf8 = std::str::from_utf8(&line).is_ok();
        if is_utf8 && compacted(&line).is_some() {
            plain += 1;
            assert!(
                serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_ok(),
                "plain but invalid: {}",
                String::from_utf8_lossy(&line)
            );
        }
        total += 1;
        assert_eq!(
            decode(&line, &mut Scratch::default()),
            decode_whole(&line, is_utf8),
            "{}",
            String::from_utf8_lossy(&line)
        );
    }
    // Most single mutations land in content and keep the line plain or break it: both kinds
    // must have been seen for the test to mean anything.
    assert!(
        plain > total / 10 && plain < total,
        "{plain} plain of {total}"
    );
}

#[test]
fn the_simd_mask_agrees_with_the_byte_test() {
    for byte in 0..=u8::MAX {
        for at in [0, 1, 7, 8, 14, CHUNK_BYTES - 1] {
            let mut chunk = [b'a'; CHUNK_BYTES];
            chunk[at] = byte;
            let expected = if is_special(byte) { 1 << at } else { 0 };
            assert_eq!(special_mask(&chunk), expected, "{byte:#x} at {at}");
        }
    }
}

/// (what LINE holds, what replaces it): the everyday shape of each field and unusual ones.
const FIELD_SHAPES: &[(&str, &str)] = &[
    (r#""input_tokens":10"#, r#""input_tokens":10.0"#),
    (r#""input_tokens":10"#, r#""input_tokens":-1"#),
    (r#""input_tokens":10"#, r#""input_tokens":-0"#),
    (r#""input_tokens":10"#, r#""input_tokens":"10""#),
    (r#""input_tokens":10"#, r#""input_tokens":null"#),
    (
        r#""input_tokens":10"#,
        r#""input_tokens":18446744073709551615"#,
    ),
    (
        r#""input_tokens":10"#,
        r#""input_tokens":18446744073709551616"#,
    ),
    (r#""input_tokens":10,"#, ""),
    (
        r#""output_tokens":284"#,
        r#""output_tokens":284,"output_tokens":1"#,
    ),
    (r#""cache_read_input_tokens":0,"#, ""),
    (
        r#""cache_read_input_tokens":0"#,
        r#""cache_read_input_tokens":null"#,
    ),
    (r#""cache_creation":{"#, r#""cache_creation":null,"x":{"#),
    (r#""cache_creation":{"#, r#""cache_creation":[],"x":{"#),
    (r#""ephemeral_1h_input_tokens":28323,"#, ""),
    (
        r#""ephemeral_5m_input_tokens":0"#,
        r#""ephemeral_5m_input_tokens":null"#,
    ),
    (r#""speed":"standard""#, r#""speed":"fast""#),
    (r#""speed":"standard""#, r#""speed":"turbo""#),
    (r#""speed":"standard""#, r#""speed":null"#),
    (r#""speed":"standard""#, r#""speed":1"#),
    (r#","speed":"standard""#, ""),
    (
        r#""speed":"standard""#,
        r#""speed":"standard","iterations":[{"type":"advisor_message","model":"m","input_tokens":1}]"#,
    ),
    (
        r#""speed":"standard""#,
        r#""speed":"standard","iterations":null"#,
    ),
    (r#""costUSD":0.0123"#, r#""costUSD":7"#),
    (r#""costUSD":0.0123"#, r#""costUSD":-0.5"#),
    (r#""costUSD":0.0123"#, r#""costUSD":"0.1""#),
    (
        r#""costUSD":0.0123"#,
        r#""costUSD":0.1000000000000000055511151231257827"#,
    ),
    (r#""isSidechain":false"#, r#""isSidechain":true"#),
    (r#""isSidechain":false"#, r#""isSidechain":null"#),
    (r#""isSidechain":false"#, r#""isSidechain":0"#),
    (
        r#""isSidechain":false"#,
        r#""isSidechain":false,"isApiErrorMessage":true"#,
    ),
    (r#""sessionId":"6277bf85"#, r#""sessionId":"\u0036277bf85"#),
    (r#""sessionId":"6277bf85"#, r#""sessionId":"\"6277bf85"#),
    (r#""sessionId":"#, r#""sessionId":1,"x":"#),
    (r#""requestId":"req_"#, r#""requestId":"","x":"req_"#),
    (r#""version":"2.1.143""#, r#""version":["2"]"#),
    (r#""model":"claude"#, r#""model":null,"x":"claude"#),
    (r#""id":"msg_"#, r#""id":{},"x":"msg_"#),
    (r#""timestamp":"#, r#""timestamp":null,"x":"#),
    (r#""timestamp":"#, r#""x":"#),
    (r#""timestamp":"2026"#, r#""timestamp":"\u0032026"#),
    (
        r#""message":{"#,
        r#""data":{"message":{"timestamp":"2026-05-19T03:36:36.600Z","message":{"usage":{"input_tokens":1,"output_tokens":2}}}},"message2":{"#,
    ),
    (r#""message":{"#, r#""message":{},"data":0,"message3":{"#),
    (r#""usage":{"#, r#""usage":[],"x":{"#),
    (r#""usage":{"#, r#""usage":{},"usage":{"#),
];

#[test]
fn every_field_shape_decodes_as_the_whole_decode_does() {
    for (from, to) in FIELD_SHAPES {
        assert!(LINE.contains(from), "{from}");
        let line = LINE.replacen(from, to, 1).into_bytes();
        assert_eq!(
            decode(&line, &mut Scratch::default()),
            decode_whole(&line, true),
            "{to}"
        );
    }
}

#[test]
fn a_progress_line_is_compacted_inside_its_wrapper() {
    let line = concat!(
        r#"{"parentUuid":"p","type":"progress","data":{"type":"agent_progress","message":{"#,
        r#""type":"assistant","timestamp":"2026-05-19T03:36:36.600Z","requestId":"req_1","#,
        r#""message":{"id":"msg_1","model":"claude-opus-4-1","content":[{"type":"text","#,
        r#""text":"long \"text\""}],"usage":{"input_tokens":1,"output_tokens":2}}},"#,
        r#""prompt":"do it"},"sessionId":"s","timestamp":"2026-05-19T03:36:37.000Z"}"#
    );
    assert_eq!(
        compacted(line.as_bytes()).expect("plain"),
        concat!(
            r#"{"parentUuid":0,"type":0,"data":{"type":0,"message":{"type":0,"#,
            r#""timestamp":"2026-05-19T03:36:36.600Z","requestId":"req_1","message":{"id":"msg_1","#,
            r#""model":"claude-opus-4-1","content":0,"usage":{"input_tokens":1,"output_tokens":2}}},"#,
            r#""prompt":0},"sessionId":"s","timestamp":"2026-05-19T03:36:37.000Z"}"#
        )
    );
    let mut scratch = Scratch::default();
    let decoded = decode(line.as_bytes(), &mut scratch);
    assert!(decoded.as_ref().is_ok_and(|wire| wire.is_progress));
    assert_eq!(decoded, decode_whole(line.as_bytes(), true));
}
