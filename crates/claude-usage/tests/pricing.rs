//! Prices and token sums against the real ccusage 20.0.24 (`CCUSAGE_BIN`, see `parity.rs`):
//! models served through Claude Code by other backends (GLM, MiniMax, DeepSeek, Kimi, Qwen,
//! gpt-oss), every key of the generated price table with other spellings of it, and lines of
//! `u64::MAX` tokens. `claude daily --json --offline` and `blocks --json --offline` must be
//! byte-identical. The checks that need no ccusage run always.

use std::{
    collections::HashSet,
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use claude_usage::{
    daily_report, dedup, format_timestamp_ms, parse_time_zone, resolve_roots, scan_files,
    session_blocks, usage_files, write_blocks_json, write_daily_json, BlocksJsonOptions,
    DedupRules, PriceTable, ScanOptions, UsageEntry, DEFAULT_SESSION_LENGTH_MS,
};
use serde_json::{json, Value};

/// The models of the issue, with the cost ccusage 20.0.24 `--offline` gives a line of one
/// million input tokens and one of one million output tokens.
const BACKEND_MODELS: [(&str, f64, f64); 8] = [
    ("GLM-4.7", 0.06, 0.4),
    ("glm-4.6", 0.6, 2.2),
    ("MiniMax-M2.1", 0.3, 1.2),
    ("MiniMax-M2", 0.3, 1.2),
    ("deepseek-chat", 0.1, 0.425),
    ("kimi-k2-0905-preview", 0.632, 2.53),
    ("qwen3-coder-plus", 1.0, 5.0),
    ("gpt-oss-120b", 0.15, 0.6),
];
const DAY_MS: i64 = 86_400_000;
/// 2000-01-01T12:00:00Z: one model per day from here.
const FIRST_DAY_NOON_MS: i64 = 946_728_000_000;
const TABLE_SOURCE: &str = include_str!("../src/pricing/table.rs");

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_millis()).expect("now fits in i64")
}

fn line(id: usize, timestamp_ms: i64, model: &str, usage: &Value) -> String {
    json!({
        "type": "assistant",
        "timestamp": format_timestamp_ms(timestamp_ms),
        "sessionId": "s",
        "requestId": format!("req_{id}"),
        "version": "2.0.30",
        "cwd": "/x",
        "message": {"id": format!("msg_{id}"), "model": model, "usage": usage},
    })
    .to_string()
}

fn write_corpus(root: &Path, lines: &[String]) {
    let dir = root.join("projects").join("p");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join("s.jsonl"), lines.join("\n") + "\n").expect("corpus file");
}

/// Token mixes that reach every rate: each kind alone, both tier shapes, and fast mode.
fn usage_mixes() -> Vec<Value> {
    vec![
        json!({"input_tokens": 1_000_000, "output_tokens": 0}),
        json!({"input_tokens": 0, "output_tokens": 1_000_000}),
        json!({"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 1_000_000}),
        json!({"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 1_000_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1_000_000}}),
        json!({"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 1_000_000}),
        json!({"input_tokens": 100_000, "output_tokens": 0}),
        json!({"input_tokens": 40_000, "output_tokens": 1_000, "cache_read_input_tokens": 300_000}),
        json!({"input_tokens": 300_000, "output_tokens": 10, "speed": "fast"}),
    ]
}

/// One model per day, every usage mix on that day.
fn priced_corpus(root: &Path, models: &[String]) {
    let mixes = usage_mixes();
    let mut lines = Vec::new();
    for (day, model) in (0_i64..).zip(models) {
        for usage in &mixes {
            lines.push(line(
                lines.len(),
                FIRST_DAY_NOON_MS + day * DAY_MS,
                model,
                usage,
            ));
        }
    }
    write_corpus(root, &lines);
}

fn scanned(root: &Path, rules: DedupRules) -> Vec<UsageEntry> {
    let roots = resolve_roots(Some(&root.to_string_lossy()), None, None).expect("roots");
    let scan = scan_files(&usage_files(&roots), &ScanOptions::default());
    dedup(scan.into_entries(), rules)
}

fn ours_daily(root: &Path) -> Vec<u8> {
    let utc = parse_time_zone("UTC").expect("UTC");
    let mut out = Vec::new();
    let entries = scanned(root, DedupRules::Daily);
    write_daily_json(&mut out, &daily_report(&entries, &utc)).expect("write daily");
    out
}

fn ours_blocks(root: &Path, now_ms: i64) -> Vec<u8> {
    let entries = scanned(root, DedupRules::Regular);
    let blocks = session_blocks(&entries, now_ms, DEFAULT_SESSION_LENGTH_MS);
    let mut out = Vec::new();
    write_blocks_json(&mut out, &blocks, now_ms, BlocksJsonOptions::default())
        .expect("write blocks");
    out
}

/// ccusage's JSON for `args`, or `None` when `CCUSAGE_BIN` is not set.
fn theirs(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let bin = std::env::var("CCUSAGE_BIN").ok()?;
    Some(crate::parity::ccusage_json(&bin, root, args))
}

fn assert_identical(report: &str, ours: &[u8], theirs: &[u8]) {
    if ours == theirs {
        return;
    }
    let (ours, theirs) = (
        String::from_utf8_lossy(ours),
        String::from_utf8_lossy(theirs),
    );
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    let at = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
    let from = at.saturating_sub(12);
    panic!(
        "{report} differs from ccusage 20.0.24 at line {}:\nours:\n{}\ntheirs:\n{}",
        at + 1,
        ours[from..ours.len().min(at + 3)].join("\n"),
        theirs[from..theirs.len().min(at + 3)].join("\n"),
    );
}

#[test]
fn models_of_other_backends_are_priced_as_ccusage_prices_them() {
    let table = PriceTable::embedded();
    for (model, million_input_usd, million_output_usd) in BACKEND_MODELS {
        let price = table
            .find(model)
            .unwrap_or_else(|| panic!("{model} is unpriced"));
        let input = claude_usage::TokenUsage {
            input_tokens: 1_000_000,
            ..Default::default()
        };
        let output = claude_usage::TokenUsage {
            output_tokens: 1_000_000,
            ..Default::default()
        };
        assert_eq!(price.cost_usd(&input, None), million_input_usd, "{model}");
        assert_eq!(price.cost_usd(&output, None), million_output_usd, "{model}");
    }

    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    let models: Vec<String> = BACKEND_MODELS.iter().map(|(m, ..)| (*m).into()).collect();
    priced_corpus(&root, &models);
    let ours = ours_daily(&root);
    let parsed: Value = serde_json::from_slice(&ours).expect("our JSON parses");
    assert!(parsed["totals"].get("unpricedModels").is_none(), "{parsed}");
    match theirs(&root, &["claude", "daily"]) {
        Some(theirs) => assert_identical("daily", &ours, &theirs),
        None => println!("ccusage comparison skipped: CCUSAGE_BIN not set"),
    }
}

/// Names Claude Code and its gateways write that are not keys themselves.
const OTHER_NAMES: [&str; 12] = [
    "claude-sonnet-4-5@20250929",
    "claude-haiku-4-5@20251001",
    "claude-sonnet-4.5",
    "claude-opus-4.6",
    "claude-opus-4-6[1m]",
    "claude-3-5-sonnet-latest",
    "us.anthropic.claude-sonnet-4-6",
    "bedrock/claude-opus-4-7",
    "glm-4.7-flash",
    "GLM-4.6",
    "deepseek.v4.flash",
    "kimi-k2",
];

/// Every key of the generated table (and alias, and exact-only spelling), each also spelled
/// another way ccusage's fuzzy lookup has to resolve.
fn table_models() -> Vec<String> {
    let keys: Vec<&str> = TABLE_SOURCE
        .lines()
        .filter_map(|line| line.strip_prefix("    (\"")?.split('"').next())
        .chain(OTHER_NAMES)
        .collect();
    let spellings: [fn(&str) -> String; 8] = [
        str::to_uppercase,
        |key| key.replace('.', "-"),
        |key| key.replacen('-', ".", 1),
        |key| format!("openrouter/{key}"),
        |key| format!("{key}-20250101"),
        |key| format!("{key}[1m]"),
        |key| {
            key.rsplit_once(['-', '.', '/', ':', '@'])
                .map_or(key, |(head, _)| head)
                .into()
        },
        |key| key.rsplit('/').next().unwrap_or(key).into(),
    ];
    let mut seen = HashSet::new();
    let mut models = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        for model in [(*key).to_string(), spellings[index % spellings.len()](key)] {
            if !model.is_empty() && model != "<synthetic>" && seen.insert(model.clone()) {
                models.push(model);
            }
        }
    }
    models
}

#[test]
fn every_model_of_the_table_and_its_spellings_cost_what_ccusage_charges() {
    if std::env::var("CCUSAGE_BIN").is_err() {
        println!("skipped: CCUSAGE_BIN not set (run scripts/install-test-deps and export it)");
        return;
    }
    // Byte-identical where ccusage prices a model (or nobody does); a model only the newer
    // prices cover must be one ccusage leaves unpriced.
    let table = PriceTable::embedded();
    let (models, newer): (Vec<String>, Vec<String>) = table_models()
        .into_iter()
        .partition(|model| table.is_priced_by_ccusage(model) || table.find(model).is_none());
    assert!(models.len() > 5_000, "{} models", models.len());
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    priced_corpus(&root, &models);
    let daily = theirs(&root, &["claude", "daily"]).expect("CCUSAGE_BIN is set");
    assert_identical("daily", &ours_daily(&root), &daily);

    let root = scratch.path().join("newer");
    priced_corpus(&root, &newer);
    let daily = theirs(&root, &["claude", "daily"]).expect("CCUSAGE_BIN is set");
    let daily: Value = serde_json::from_slice(&daily).expect("ccusage's JSON parses");
    // Listed as display models: the fast line of each adds `<model>-fast`.
    let mut unpriced: Vec<String> = newer
        .iter()
        .flat_map(|model| [model.clone(), format!("{model}-fast")])
        .collect();
    unpriced.sort();
    assert_eq!(daily["totals"]["unpricedModels"], json!(unpriced));
}

/// Today's models, USD per million tokens (input, output, 5m cache write, cache read) and the
/// fast multiplier: litellm 1.110.2's rates, and Claude Code 2.1.337's for the two 5.2 models.
const TODAYS_MODELS: [(&str, [f64; 4], f64); 5] = [
    ("claude-opus-5-5", [4.0, 20.0, 5.0, 0.2], 2.0),
    ("claude-sonnet-5-5", [2.0, 10.0, 2.5, 0.1], 1.0),
    ("claude-haiku-5-5", [0.1, 0.5, 0.125, 0.01], 1.0),
    ("claude-fable-5-2", [8.0, 40.0, 10.0, 0.2], 2.0),
    ("claude-mythos-5-2", [8.0, 40.0, 10.0, 0.2], 2.0),
];

#[test]
fn todays_models_cost_what_the_table_says_in_the_daily_report() {
    // 100,000 tokens of each kind alone (haiku-5-5's dearer rates start above 100,000), then
    // a fast line of 10,000 input and 10,000 output tokens.
    let tokens = 100_000_u64;
    let mixes = [
        json!({"input_tokens": tokens, "output_tokens": 0}),
        json!({"input_tokens": 0, "output_tokens": tokens}),
        json!({"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": tokens}),
        json!({"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": tokens}),
        json!({"input_tokens": 10_000, "output_tokens": 10_000, "speed": "fast"}),
    ];
    let mut lines = Vec::new();
    for (day, (model, ..)) in (0_i64..).zip(TODAYS_MODELS) {
        for usage in &mixes {
            let at = FIRST_DAY_NOON_MS + day * DAY_MS;
            lines.push(line(lines.len(), at, model, usage));
        }
    }
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    write_corpus(&root, &lines);
    let report: Value = serde_json::from_slice(&ours_daily(&root)).expect("our JSON parses");
    assert!(report["totals"].get("unpricedModels").is_none(), "{report}");
    let table = PriceTable::embedded();
    for (day, (model, [input, output, write, read], fast)) in TODAYS_MODELS.iter().enumerate() {
        assert!(
            !table.is_priced_by_ccusage(model),
            "{model}: ccusage's price wins"
        );
        let per_million = 1e-6;
        #[allow(clippy::cast_precision_loss)] // 100,000 is exact in f64
        let expected = tokens as f64 * per_million * (input + output + write + read)
            + 10_000.0 * per_million * (input + output) * fast;
        let row = &report["daily"][day];
        let breakdown = &row["modelBreakdowns"][0];
        assert_eq!(breakdown["modelName"], json!(model), "{row}");
        let cost = row["totalCost"].as_f64().expect("a cost");
        assert!(
            cost > 0.0 && (cost - expected).abs() < 1e-9,
            "{model}: {cost} != {expected}"
        );
        assert!(
            breakdown.get("missingPricing").is_none_or(|m| m == false),
            "{row}"
        );
    }
}

/// Lines of `u64::MAX` tokens: past days, a day with several, every kind at once, priced and
/// unpriced models, a long-context prompt that would wrap to a short one, and an active block.
fn saturating_corpus(root: &Path, now_ms: i64) {
    let max = u64::MAX;
    let day = 1_735_732_800_000; // 2025-01-01T12:00:00Z
    let lines = [
        (
            day,
            "claude-sonnet-4-5",
            json!({"input_tokens": max, "output_tokens": 5,
            "cache_creation_input_tokens": max, "cache_read_input_tokens": max}),
        ),
        (
            day + 60_000,
            "glm-4.6",
            json!({"input_tokens": max, "output_tokens": max,
            "cache_creation_input_tokens": 7, "cache_creation":
            {"ephemeral_5m_input_tokens": max, "ephemeral_1h_input_tokens": max}}),
        ),
        (
            day + 120_000,
            "gpt-5.5",
            json!({"input_tokens": max - 5, "output_tokens": 1,
            "cache_read_input_tokens": 10}),
        ),
        (
            day + 180_000,
            "mystery-backend-1",
            json!({"input_tokens": max, "output_tokens": max}),
        ),
        (
            day + DAY_MS,
            "deepseek-v4-pro",
            json!({"input_tokens": 3, "output_tokens": 4,
            "cache_read_input_tokens": max}),
        ),
        (
            day + DAY_MS + 1_000,
            "MiniMax-M2.1",
            json!({"input_tokens": max, "output_tokens": 0}),
        ),
        (
            now_ms - 20 * 60_000,
            "claude-opus-4-6",
            json!({"input_tokens": max,
            "output_tokens": max, "speed": "fast"}),
        ),
        (
            now_ms - 10 * 60_000,
            "qwen3-coder-plus",
            json!({"input_tokens": 5, "output_tokens": 6,
            "cache_creation_input_tokens": max}),
        ),
    ];
    let lines: Vec<String> = (0..)
        .zip(&lines)
        .map(|(id, (at, model, usage))| line(id, *at, model, usage))
        .collect();
    write_corpus(root, &lines);
}

#[test]
fn token_sums_saturate_at_u64_max_as_ccusage_does() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let root = scratch.path().join("claude");
    let now = now_ms();
    saturating_corpus(&root, now);

    let daily = ours_daily(&root);
    let parsed: Value = serde_json::from_slice(&daily).expect("our JSON parses");
    let totals = &parsed["totals"];
    for field in [
        "inputTokens",
        "outputTokens",
        "cacheCreationTokens",
        "cacheReadTokens",
    ] {
        assert_eq!(totals[field], json!(u64::MAX), "totals.{field}");
    }
    assert_eq!(totals["totalTokens"], json!(u64::MAX));
    assert_eq!(totals["unpricedModels"], json!(["mystery-backend-1"]));
    let first_day = &parsed["daily"][0];
    assert_eq!(first_day["outputTokens"], json!(u64::MAX));
    assert_eq!(first_day["totalTokens"], json!(u64::MAX));

    let blocks: Value = serde_json::from_slice(&ours_blocks(&root, now)).expect("blocks parse");
    let active = blocks["blocks"]
        .as_array()
        .and_then(|all| all.iter().find(|b| b["isActive"] == json!(true)))
        .expect("an active block");
    assert_eq!(active["totalTokens"], json!(u64::MAX));
    assert_eq!(active["projection"]["totalTokens"], json!(u64::MAX));

    let Some(theirs_daily) = theirs(&root, &["claude", "daily"]) else {
        println!("ccusage comparison skipped: CCUSAGE_BIN not set");
        return;
    };
    assert_identical("daily", &daily, &theirs_daily);
    // ccusage reads the clock for the active block; ours must match at one end of its run.
    let before = now_ms();
    let theirs_blocks = theirs(&root, &["blocks"]).expect("CCUSAGE_BIN is set");
    let after = now_ms();
    let ours = [before, after]
        .map(|now| ours_blocks(&root, now))
        .into_iter()
        .find(|ours| *ours == theirs_blocks)
        .unwrap_or_else(|| ours_blocks(&root, before));
    assert_identical("blocks", &ours, &theirs_blocks);
}
