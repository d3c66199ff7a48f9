//! Generates a benchmark corpus shaped like real Claude Code history: ~2,600 files whose sizes
//! follow the real-world profile of ccusage's own large fixture (p50 105 KB, p90 654 KB, a heavy
//! tail to one 87 MB file; `apps/ccusage/scripts/generate-large-fixture.nu` in
//! <https://github.com/ryoppippi/ccusage>), lines of 2-4 KB on average, about half of them
//! usage lines, assistant messages split over 1-3 lines with growing `output_tokens`, thinking
//! and tool_use content with JSON escapes, and tool results of 1-4 KB (5 % 8-28 KB, 0.1 %
//! 48-80 KB).
//!
//! `cargo run --release -p claude-usage --example bench_corpus -- OUT_DIR [TOTAL_MIB] [SEED]`

use std::{
    fs::{self, File},
    io::{self, BufWriter, Write},
    path::Path,
    process::ExitCode,
};

const FILES: usize = 2_600;
const BIGGEST_FILE_BYTES: u64 = 87 * 1024 * 1024;
/// 2026-10-01T00:00:00Z; the corpus spans 28 days from there.
const START_MS: i64 = 1_790_812_800_000;
const SPAN_MS: i64 = 28 * 24 * 3_600_000;
const MODELS: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-6",
    "claude-haiku-4-5-20251001",
];
const WORDS: &[&str] = &[
    "the",
    "function",
    "returns",
    "a",
    "\\\"quoted\\\"",
    "value",
    "path\\\\to\\\\file",
    "line\\n",
    "caf\\u00e9",
    "struct",
    "impl",
    "async",
    "await",
    "tokio",
    "error",
    "{",
    "}",
    "=>",
    "<tag>",
    "\\t",
    "review",
    "because",
    "cache",
    "tokens",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// A standard normal sample (Box-Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn text(&mut self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 16);
        while text.len() < bytes {
            text.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
            text.push(' ');
        }
        text
    }
}

fn iso(ms: i64) -> String {
    claude_usage::format_timestamp_ms(ms)
}

/// File sizes: log-normal around 105 KB (sigma from p90 = 654 KB), one 87 MB file (less for
/// small corpora), scaled so the total is `total_bytes`.
fn file_sizes(rng: &mut Rng, total_bytes: u64) -> Vec<u64> {
    let (median, sigma) = (105_000.0_f64, (654.0_f64 / 105.0).ln() / 1.2816);
    let mut sizes: Vec<f64> = (0..FILES - 1)
        .map(|_| (median.ln() + sigma * rng.normal()).exp().min(40e6))
        .collect();
    let biggest = BIGGEST_FILE_BYTES.min(total_bytes / 12);
    let rest = total_bytes.saturating_sub(biggest) as f64;
    let scale = rest / sizes.iter().sum::<f64>();
    sizes.iter_mut().for_each(|size| *size *= scale);
    let mut sizes: Vec<u64> = sizes
        .into_iter()
        .map(|size| size.max(2_000.0) as u64)
        .collect();
    sizes.push(biggest);
    sizes
}

struct Session<'a> {
    id: String,
    cwd: &'a str,
    clock_ms: i64,
    turn: u64,
}

fn user_line(rng: &mut Rng, session: &Session<'_>, tool_result: bool) -> String {
    let size = match (tool_result, rng.below(1000)) {
        (false, _) => 300 + rng.below(1_500),
        (true, 0) => 48_000 + rng.below(32_000),
        (true, 1..=50) => 8_000 + rng.below(20_000),
        (true, _) => 1_000 + rng.below(3_000),
    };
    let text = rng.text(size as usize);
    let content = if tool_result {
        format!(
            r#"[{{"tool_use_id":"toolu_{}","type":"tool_result","content":"{text}"}}]"#,
            session.turn
        )
    } else {
        format!(r#""{text}""#)
    };
    format!(
        r#"{{"parentUuid":"p{turn}","isSidechain":false,"userType":"external","cwd":"{cwd}","sessionId":"{sid}","version":"2.0.30","gitBranch":"main","type":"user","message":{{"role":"user","content":{content}}},"uuid":"u{turn}","timestamp":"{ts}"}}"#,
        turn = session.turn,
        cwd = session.cwd,
        sid = session.id,
        ts = iso(session.clock_ms)
    )
}

fn assistant_lines(rng: &mut Rng, session: &Session<'_>, out: &mut Vec<String>) {
    let model = MODELS[rng.below(MODELS.len() as u64) as usize];
    let speed = if model == "claude-opus-4-6" && rng.below(7) == 0 {
        r#","speed":"fast""#
    } else {
        ""
    };
    let (input, write, read) = (rng.below(40), rng.below(6_000), rng.below(150_000));
    let final_output = 50 + rng.below(2_000);
    let copies = 1 + rng.below(3);
    for copy in 0..copies {
        let content = match copy {
            0 => format!(
                r#"[{{"type":"thinking","thinking":"{}","signature":"sig"}}]"#,
                {
                    let size = 1_800 + rng.below(2_400) as usize;
                    rng.text(size)
                }
            ),
            1 => format!(r#"[{{"type":"text","text":"{}"}}]"#, {
                let size = 500 + rng.below(2_000) as usize;
                rng.text(size)
            }),
            _ => format!(
                r#"[{{"type":"tool_use","id":"toolu_{}","name":"Edit","input":{{"file_path":"/src/main.rs","old_string":"{}","new_string":"{}"}}}}]"#,
                session.turn,
                rng.text(600),
                rng.text(900)
            ),
        };
        let output = final_output * (copy + 1) / copies;
        out.push(format!(
            r#"{{"parentUuid":"u{turn}","isSidechain":false,"userType":"external","cwd":"{cwd}","sessionId":"{sid}","version":"2.0.30","gitBranch":"main","message":{{"id":"msg_{sid}_{turn}","type":"message","role":"assistant","model":"{model}","content":{content},"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{input},"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read},"cache_creation":{{"ephemeral_5m_input_tokens":{write},"ephemeral_1h_input_tokens":0}},"output_tokens":{output},"service_tier":"standard"{speed}}}}},"requestId":"req_{sid}_{turn}","type":"assistant","uuid":"a{turn}_{copy}","timestamp":"{ts}"}}"#,
            turn = session.turn,
            cwd = session.cwd,
            sid = session.id,
            ts = iso(session.clock_ms + copy as i64 * 700)
        ));
    }
}

fn write_file(rng: &mut Rng, path: &Path, target_bytes: u64, index: usize) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut session = Session {
        id: format!("{index:04x}e0f1-2a3b-4c5d-8e9f-{index:012x}"),
        cwd: "/Users/me/code/app",
        clock_ms: START_MS + rng.below(SPAN_MS as u64) as i64,
        turn: 0,
    };
    let mut written = 0_u64;
    let mut lines = Vec::new();
    while written < target_bytes {
        lines.clear();
        lines.push(user_line(rng, &session, false));
        assistant_lines(rng, &session, &mut lines);
        lines.push(user_line(rng, &session, true));
        for line in &lines {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            written += line.len() as u64 + 1;
        }
        session.turn += 1;
        let pause_limit_ms = if rng.below(20) == 0 {
            7_200_000
        } else {
            300_000
        };
        session.clock_ms += 20_000 + rng.below(pause_limit_ms) as i64;
    }
    out.flush()?;
    Ok(written)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out_dir) = args.first() else {
        eprintln!("usage: bench_corpus OUT_DIR [TOTAL_MIB] [SEED]");
        return ExitCode::FAILURE;
    };
    let total_mib: u64 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(1_024);
    let mut rng = Rng(args
        .get(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00c0_ffee)
        .max(1));
    let sizes = file_sizes(&mut rng, total_mib * 1024 * 1024);
    let mut total = 0;
    for (index, size) in sizes.iter().enumerate() {
        let dir =
            Path::new(out_dir).join(format!("projects/-Users-me-code-project-{:02}", index % 40));
        let written = fs::create_dir_all(&dir).and_then(|()| {
            write_file(
                &mut rng,
                &dir.join(format!("session-{index:04}.jsonl")),
                *size,
                index,
            )
        });
        match written {
            Ok(bytes) => total += bytes,
            Err(error) => {
                eprintln!("bench_corpus: {}: {error}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    println!("files={} bytes={total}", sizes.len());
    ExitCode::SUCCESS
}
