//! A deterministic corpus of Claude Code transcripts with the hard cases of ccusage parity
//! (`docs/ccusage-rules.md`): duplicates across files, sidechain replays, subagent files,
//! requestless lines, null fields, floats and negative numbers, timestamp offsets, `<synthetic>`
//! models, fast mode, 1h cache writes, bad semver, malformed JSON, a partial last line and CRLF
//! line ends — plus agent progress lines, advisor iterations, unknown models, tiered prices and
//! `costUSD`.

use std::{
    fs,
    path::{Path, PathBuf},
};

use serde_json::{json, Value};

/// Start of the generated history: 2026-01-03T00:00:00Z.
const BASE_MS: i64 = 1_767_398_400_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

const MODELS: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-6",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-1-20250805",
    "claude-sonnet-4-6",
    "claude-opus-4-8",
];

/// xorshift64*: small, deterministic, good enough for test data.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn iso(ms: i64) -> String {
    claude_usage::format_timestamp_ms(ms)
}

/// One assistant line; `usage` is the whole `message.usage` object.
struct Assistant<'a> {
    timestamp: String,
    session: &'a str,
    message_id: Option<String>,
    request_id: Option<String>,
    model: &'a str,
    usage: Value,
    is_sidechain: bool,
}

impl Assistant<'_> {
    fn to_line(&self) -> String {
        let mut line = json!({
            "parentUuid": null,
            "isSidechain": self.is_sidechain,
            "userType": "external",
            "cwd": "/Users/me/code/app",
            "sessionId": self.session,
            "version": "2.0.30",
            "gitBranch": "main",
            "type": "assistant",
            "uuid": "9f2c",
            "timestamp": self.timestamp,
            "message": {
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [{"type": "text", "text": "Done: \"ok\" \\ tab\t and ünïcödé"}],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": self.usage,
            },
        });
        if let Some(id) = &self.message_id {
            line["message"]["id"] = json!(id);
        }
        if let Some(id) = &self.request_id {
            line["requestId"] = json!(id);
        }
        line.to_string()
    }
}

fn user_line(session: &str, timestamp_ms: i64, big: bool) -> String {
    let text = if big {
        "x\\\"y".repeat(400)
    } else {
        "please fix the bug".to_string()
    };
    json!({
        "type": "user",
        "sessionId": session,
        "timestamp": iso(timestamp_ms),
        "message": {"role": "user", "content": [{"type": "tool_result", "content": text}]},
    })
    .to_string()
}

fn usage(rng: &mut Rng, output_tokens: u64) -> Value {
    let mut usage = json!({
        "input_tokens": rng.below(50),
        "cache_creation_input_tokens": rng.below(5_000),
        "cache_read_input_tokens": rng.below(60_000),
        "output_tokens": output_tokens,
        "service_tier": "standard",
    });
    if rng.chance(30) {
        let total = usage["cache_creation_input_tokens"].as_u64().unwrap_or(0);
        let one_hour = rng.below(total + 1);
        usage["cache_creation"] = json!({
            "ephemeral_5m_input_tokens": total - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        });
    }
    if rng.chance(3) {
        usage["cache_read_input_tokens"] = json!(250_000 + rng.below(100_000));
    }
    usage
}

/// Writes a normal session: user turns and 1-3 streaming copies per assistant message.
/// Returns the assistant lines written, for replays elsewhere.
fn session_file(
    rng: &mut Rng,
    path: &Path,
    session: &str,
    start_ms: i64,
) -> Vec<Assistant<'static>> {
    let mut lines = Vec::new();
    let mut kept = Vec::new();
    let mut now = start_ms;
    let turns = 8 + rng.below(20);
    let model = MODELS[rng.below(MODELS.len() as u64) as usize];
    let session: &'static str = Box::leak(session.to_string().into_boxed_str());
    for turn in 0..turns {
        let pause_limit = if rng.chance(10) { 400 } else { 20 };
        now += MINUTE_MS * (1 + rng.below(pause_limit) as i64);
        lines.push(user_line(session, now, rng.chance(5)));
        let message_id = format!("msg_{session}_{turn}");
        let request_id = format!("req_{session}_{turn}");
        let output = 10 + rng.below(500);
        let mut usage = usage(rng, output);
        if model == "claude-opus-4-6" && rng.chance(30) {
            usage["speed"] = json!("fast");
        } else if rng.chance(10) {
            usage["speed"] = json!("standard");
        }
        let copies = 1 + rng.below(3);
        for copy in 0..copies {
            let mut snapshot = usage.clone();
            snapshot["output_tokens"] =
                json!(usage["output_tokens"].as_u64().unwrap_or(0) * (copy + 1));
            let line = Assistant {
                timestamp: iso(now + copy as i64 * 1_000),
                session,
                message_id: Some(message_id.clone()),
                request_id: Some(request_id.clone()),
                model,
                usage: snapshot,
                is_sidechain: false,
            };
            lines.push(line.to_line());
            if copy + 1 == copies {
                kept.push(line);
            }
        }
        if rng.chance(5) {
            let synthetic = Assistant {
                timestamp: iso(now + 5_000),
                session,
                message_id: Some(format!("msg_{session}_{turn}_synthetic")),
                request_id: None,
                model: "<synthetic>",
                usage: json!({"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}),
                is_sidechain: false,
            };
            lines.push(synthetic.to_line());
        }
    }
    write_lines(path, &lines, "\n");
    kept
}

fn write_lines(path: &Path, lines: &[String], line_end: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create corpus dir");
    }
    let mut text = lines.join(line_end);
    text.push_str(line_end);
    fs::write(path, text).expect("write corpus file");
}

/// Generates the corpus under `root/projects`. `now_ms` places one active block just before
/// now, so `blocks --json` has a burn rate and a projection to compare.
pub(crate) fn generate(root: &Path, seed: u64, now_ms: i64) -> Vec<PathBuf> {
    let mut rng = Rng::new(seed);
    let projects = root.join("projects");
    let mut written = Vec::new();
    let names = ["-Users-me-code-app", "-Users-me-code-lib", "-tmp-scratch"];
    let mut all_kept = Vec::new();
    for (p, project) in names.iter().enumerate() {
        for s in 0..3 {
            let session = format!("{p}{s}-5e1f");
            let start = BASE_MS + (rng.below(12 * 24) as i64) * HOUR_MS;
            let path = projects.join(project).join(format!("{session}.jsonl"));
            let kept = session_file(&mut rng, &path, &session, start);
            if s == 0 {
                subagent_file(
                    &mut rng,
                    &projects.join(project).join(&session),
                    &session,
                    &kept,
                );
            }
            all_kept.extend(kept);
            written.push(path);
        }
    }
    resumed_copy(
        &mut rng,
        &projects.join("-Users-me-code-copy/ffff.jsonl"),
        &all_kept,
    );
    requestless_sessions(&projects);
    edge_cases(&projects);
    layout_cases(&projects);
    active_block(&projects.join("-Users-me-live/live.jsonl"), now_ms);
    written
}

/// Sidechain copies: own messages, and replays of parent messages with new request ids, at
/// the same timestamp or later.
fn subagent_file(rng: &mut Rng, session_dir: &Path, session: &str, parent: &[Assistant<'static>]) {
    let mut lines = Vec::new();
    for (index, original) in parent.iter().enumerate().take(6) {
        let mut replay = Assistant {
            request_id: Some(format!("req_replay_{session}_{index}")),
            is_sidechain: true,
            usage: original.usage.clone(),
            timestamp: original.timestamp.clone(),
            message_id: original.message_id.clone(),
            ..*original
        };
        if index % 2 == 1 {
            let ms = claude_usage::parse_timestamp_ms(&original.timestamp).unwrap_or(0);
            replay.timestamp = iso(ms + 90_000);
        }
        if index % 3 == 0 {
            replay.usage["output_tokens"] = json!(9_999);
        }
        lines.push(replay.to_line());
    }
    for index in 0..5 {
        let own = Assistant {
            timestamp: iso(BASE_MS + (index + rng.below(100) as i64) * MINUTE_MS),
            session: "agent-session",
            message_id: Some(format!("msg_agent_{session}_{index}")),
            request_id: Some(format!("req_agent_{session}_{index}")),
            model: "claude-haiku-4-5-20251001",
            usage: usage(rng, 40),
            is_sidechain: true,
        };
        lines.push(own.to_line());
    }
    write_lines(&session_dir.join("subagents/agent-a1.jsonl"), &lines, "\n");
}

/// Copies of other sessions' messages in another project: some with fewer output tokens,
/// some identical, some with more.
fn resumed_copy(rng: &mut Rng, path: &Path, kept: &[Assistant<'static>]) {
    let mut lines = Vec::new();
    for original in kept.iter().step_by(7) {
        let mut copy = Assistant {
            usage: original.usage.clone(),
            timestamp: original.timestamp.clone(),
            message_id: original.message_id.clone(),
            request_id: original.request_id.clone(),
            ..*original
        };
        copy.session = "ffff";
        match rng.below(3) {
            0 => copy.usage["output_tokens"] = json!(1),
            1 => {}
            _ => copy.usage["output_tokens"] = json!(100_000),
        }
        lines.push(copy.to_line());
    }
    write_lines(path, &lines, "\n");
}

/// Gateway traffic: message ids without request ids, repeated within a session at the same
/// and at different timestamps, and reused in another session.
fn requestless_sessions(projects: &Path) {
    for (session, offset_min) in [("gw-1", 0), ("gw-2", 30)] {
        let mut lines = Vec::new();
        for index in 0..6_i64 {
            for copy in 0..3_i64 {
                let timestamp = BASE_MS + (offset_min + index * 11 + copy.min(1) * 2) * MINUTE_MS;
                let line = Assistant {
                    timestamp: iso(timestamp),
                    session,
                    message_id: Some(format!("msg_gw_{index}")),
                    request_id: None,
                    model: "claude-sonnet-4-6",
                    usage: json!({"input_tokens": 10 + copy, "output_tokens": 100 * (copy + 1)}),
                    is_sidechain: false,
                };
                lines.push(line.to_line());
            }
        }
        write_lines(
            &projects.join(format!("-gateway/{session}.jsonl")),
            &lines,
            "\n",
        );
    }
}

/// One line per edge case; ccusage silently skips the bad ones.
const EDGE_TIMESTAMP: &str = "2026-01-08T09:00:00.000Z";

/// One edge-case line: `extra` goes before `requestId`.
fn good(id: &str, extra: &str, usage: &str, model: &str) -> String {
    format!(
        r#"{{"timestamp":"{EDGE_TIMESTAMP}","sessionId":"edge","version":"2.0.30",{extra}"requestId":"req_{id}","message":{{"id":"msg_{id}","model":"{model}","usage":{usage}}}}}"#
    )
}

/// Model spellings ccusage resolves through its aliases and fuzzy match: Bedrock regional and
/// global ids, Vertex `@` dates, provider prefixes, dotted versions, models only it knows.
fn alias_lines() -> Vec<String> {
    let tiered = r#"{"input_tokens":250000,"output_tokens":300,"cache_read_input_tokens":400000,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":220000}}"#;
    [
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "eu.anthropic.claude-opus-4-6-v1",
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "claude-sonnet-4.5",
        "claude-sonnet-4-5@20250929",
        "claude-haiku-4-5@20251001",
        "anthropic/claude-opus-4-6",
        "claude-opus-5",
        "claude-fable-5",
    ]
    .iter()
    .enumerate()
    .map(|(index, model)| good(&format!("alias{index}"), "", tiered, model))
    .collect()
}

/// Appends a line with invalid UTF-8 inside a string that nobody reads: serde_json (so
/// ccusage) still accepts it, except in its daily loader.
fn append_invalid_utf8(path: &Path, usage: &str, model: &str) {
    let mut bytes = fs::read(path).expect("read edge file");
    let line = good("latin1", r#""note":"caf__","#, usage, model).replace("__", "\u{1}\u{1}");
    bytes.extend(line.bytes().map(|byte| if byte == 1 { 0xe9 } else { byte }));
    bytes.push(b'\n');
    fs::write(path, bytes).expect("write edge file");
}

fn edge_cases(projects: &Path) {
    let ts = EDGE_TIMESTAMP;
    let u = r#"{"input_tokens":10,"output_tokens":20,"cache_read_input_tokens":30}"#;
    let sonnet = "claude-sonnet-4-5-20250929";
    let mut lines = vec![
        good("ok", "", u, sonnet),
        good("null_req", "", u, sonnet).replace(r#""requestId":"req_null_req""#, r#""requestId":null"#),
        good("null_cwd", r#""cwd":null,"#, u, sonnet),
        good("null_speed", "", r#"{"input_tokens":1,"output_tokens":2,"speed":null}"#, sonnet),
        good("null_fine", r#""parentUuid":null,"stop_sequence":null,"#, u, sonnet),
        good("null_cache_creation", "", r#"{"input_tokens":1,"output_tokens":2,"cache_creation":null}"#, sonnet),
        good("float", "", r#"{"input_tokens":1.5,"output_tokens":2}"#, sonnet),
        good("float_whole", "", r#"{"input_tokens":1000.0,"output_tokens":2}"#, sonnet),
        good("negative", "", r#"{"input_tokens":-5,"output_tokens":2}"#, sonnet),
        good("string_num", "", r#"{"input_tokens":"5","output_tokens":2}"#, sonnet),
        good("no_output", "", r#"{"input_tokens":5}"#, sonnet),
        good("big", "", r#"{"input_tokens":9007199254740993,"output_tokens":2}"#, sonnet),
        good("offset", "", u, sonnet).replace(ts, "2026-01-08T23:30:00+05:30"),
        good("offset_neg", "", u, sonnet).replace(ts, "2026-01-08T20:15:00-05:00"),
        good("no_ms", "", u, sonnet).replace(ts, "2026-01-08T09:10:11Z"),
        good("micros", "", u, sonnet).replace(ts, "2026-01-08T09:00:00.000000Z"),
        good("numeric_ts", "", u, sonnet).replace(&format!("\"{ts}\""), "1767862800000"),
        good("synthetic", "", r#"{"input_tokens":5,"output_tokens":7}"#, "<synthetic>"),
        good("fast", "", r#"{"input_tokens":100,"output_tokens":200,"speed":"fast"}"#, "claude-opus-4-6"),
        good("fast48", "", r#"{"input_tokens":100,"output_tokens":200,"speed":"fast"}"#, "claude-opus-4-8"),
        good("standard", "", r#"{"input_tokens":100,"output_tokens":200,"speed":"standard"}"#, "claude-opus-4-6"),
        good("turbo", "", r#"{"input_tokens":100,"output_tokens":200,"speed":"turbo"}"#, "claude-opus-4-6"),
        good("one_hour", "", r#"{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":999,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":400000}}"#, sonnet),
        good("tiered", "", r#"{"input_tokens":300000,"output_tokens":250000,"cache_creation_input_tokens":210000,"cache_read_input_tokens":1000000}"#, sonnet),
        good("bad_semver", "", u, sonnet).replace("2.0.30", "abc"),
        good("short_semver", "", u, sonnet).replace("2.0.30", "1.0"),
        good("semver_suffix", "", u, sonnet).replace("2.0.30", "1.0.7-beta"),
        good("empty_session", "", u, sonnet).replace(r#""sessionId":"edge""#, r#""sessionId":"""#),
        good("empty_model", "", u, ""),
        good("unknown", "", r#"{"input_tokens":1000,"output_tokens":1000}"#, "claude-mystery-9"),
        good("unknown2", "", r#"{"input_tokens":10,"output_tokens":10}"#, "gpt-unheard-of"),
        good("cost_usd", r#""costUSD":0.125,"#, u, sonnet),
        good("spaced", "", u, sonnet).replace(r#""usage":{"#, r#""usage": {"#),
        good("sidechain_str", r#""isSidechain":"yes","#, u, sonnet),
        good("advisor", "", r#"{"input_tokens":10,"output_tokens":20,"iterations":[{"type":"message","input_tokens":10,"output_tokens":20},{"type":"advisor_message","model":"claude-opus-4-7","input_tokens":100,"output_tokens":200,"cache_read_input_tokens":5}]}"#, "claude-sonnet-4-6"),
        good("limit", r#""isApiErrorMessage":true,"content":"Claude AI usage limit reached|1767870000","#, r#"{"input_tokens":0,"output_tokens":0}"#, "<synthetic>"),
        good("dup_key", "", r#"{"input_tokens":1,"input_tokens":2,"output_tokens":3}"#, sonnet),
        r#"{"sessionId":"edge","version":"1.2.3","type":"progress","data":{"message":{"type":"assistant","timestamp":"2026-01-08T10:00:01.000Z","message":{"model":"claude-haiku-4-5-20251001","id":"msg_progress","type":"message","role":"assistant","content":[],"usage":{"input_tokens":20,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"req_progress"}},"timestamp":"2026-01-08T10:00:01.001Z"}"#.to_string(),
        r#"{"timestamp":"2026-01-08T09:00:00.000Z","message":{"usage":{"input_tokens":3,"output_tokens":4}}}"#.to_string(),
        r#"{"timestamp":"2026-01-08T09:00:00.000Z","message":{"id":"msg_broken","usage":{"input_tokens":3,"output_tokens":4"#.to_string(),
        "this is not json".to_string(),
        "{\"type\":\"summary\",\"summary\":\"x\"}".to_string(),
        String::new(),
    ];
    lines.push(good(
        "surrogate",
        r#""note":"lone \ud800 half","#,
        u,
        sonnet,
    ));
    lines.push(good("control", "\"note\":\"tab\tinside\",", u, sonnet));
    let deep = format!("\"deep\":{}{},", "[".repeat(60), "]".repeat(60));
    lines.push(good("deep", &deep, u, sonnet));
    let deeper = format!("\"deep\":{}{},", "[".repeat(130), "]".repeat(130));
    lines.push(good("deeper", &deeper, u, sonnet));
    lines.extend(alias_lines());
    lines.push(good("last", "", u, sonnet));
    let path = projects.join("-edge/edge.jsonl");
    write_lines(&path, &lines, "\n");
    append_invalid_utf8(&path, u, sonnet);
}

/// Layouts and line ends: nested session dirs, a file directly in `projects/`, CRLF, a file
/// whose last line is cut short, and one whose last line has no newline.
fn layout_cases(projects: &Path) {
    let line = |id: &str, minute: i64, session: &str| {
        Assistant {
            timestamp: iso(BASE_MS + 40 * HOUR_MS + minute * MINUTE_MS),
            session: "layout",
            message_id: Some(format!("msg_layout_{id}")),
            request_id: Some(format!("req_layout_{id}")),
            model: "claude-haiku-4-5-20251001",
            usage: json!({"input_tokens": 5, "output_tokens": 6}),
            is_sidechain: false,
        }
        .to_line()
        .replace("\"layout\"", &format!("\"{session}\""))
    };
    write_lines(
        &projects.join("-nested/sess-n/chat.jsonl"),
        &[line("n1", 1, "sess-n")],
        "\n",
    );
    write_lines(&projects.join("top.jsonl"), &[line("top", 2, "top")], "\n");
    let crlf = [line("c1", 3, "crlf"), line("c2", 4, "crlf")];
    write_lines(&projects.join("-crlf/crlf.jsonl"), &crlf, "\r\n");
    let partial = format!(
        "{}\n{}",
        line("p1", 5, "part"),
        &line("p2", 6, "part")[..60]
    );
    fs::write(projects.join("-crlf/partial.jsonl"), partial).expect("write partial");
    let unterminated = line("u1", 7, "unterminated");
    fs::write(projects.join("-crlf/unterminated.jsonl"), unterminated).expect("write");
}

/// Two entries 40 and 10 minutes before now: an active block with a burn rate.
fn active_block(path: &Path, now_ms: i64) {
    let lines: Vec<String> = [(40, "a", 1_000), (10, "b", 30_000)]
        .iter()
        .map(|&(ago_min, id, output)| {
            Assistant {
                timestamp: iso(now_ms - ago_min * MINUTE_MS),
                session: "live",
                message_id: Some(format!("msg_live_{id}")),
                request_id: Some(format!("req_live_{id}")),
                model: "claude-opus-4-6",
                usage: json!({"input_tokens": 100, "output_tokens": output, "cache_read_input_tokens": 50_000}),
                is_sidechain: false,
            }
            .to_line()
        })
        .collect();
    write_lines(path, &lines, "\n");
}
