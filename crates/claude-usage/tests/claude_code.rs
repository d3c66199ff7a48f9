//! Claude Code 2.1.337's model catalog: every model id in it resolves to a price, fast mode
//! included where Claude Code offers it. The ids are checked in; when the `claude` executable
//! is at hand (`CLAUDE_CODE_BIN`, else the path below) they are also read from it again.

use std::path::PathBuf;

use claude_usage::{PriceTable, Speed, TokenUsage};

/// Where the research machine keeps Claude Code 2.1.337 (npm `@anthropic-ai/claude-code-linux-x64`).
const DEFAULT_CLAUDE_CODE_BIN: &str =
    "/work/cc-2.1.337/node_modules/@anthropic-ai/claude-code-linux-x64/claude";
/// Where the catalog starts in the bundle: its hand-maintained comment.
const CATALOG_MARKER: &[u8] = br#"{"//":"Hand-maintained baked-in model catalog"#;
/// The catalog's last key before the model list ends.
const CATALOG_END: &[u8] = b"],aliases:{";
/// The fields of a catalog entry that hold model ids: its own and one per provider.
const ID_FIELDS: [&str; 9] = [
    "id",
    "first_party",
    "bedrock",
    "vertex",
    "foundry",
    "anthropic_aws",
    "anthropic_google_cloud",
    "mantle",
    "gateway",
];

/// Every `claude-*` id in Claude Code 2.1.337's baked-in model catalog: each entry's `id` and
/// its non-null `provider_ids` (first party, Bedrock, Vertex, Foundry, Anthropic on AWS and on
/// Google Cloud, Mantle, gateway), sorted. Extracted from the `claude` executable by reading
/// the JavaScript object that starts with [`CATALOG_MARKER`] (as [`catalog_ids`] does, and as
/// `scripts/gen-prices.py --claude-code-bin` does for the prices).
const CATALOG_IDS: [&str; 76] = [
    "anthropic.claude-fable-5",
    "anthropic.claude-fable-5-1",
    "anthropic.claude-fable-5-2",
    "anthropic.claude-haiku-4-5",
    "anthropic.claude-haiku-5-5",
    "anthropic.claude-opus-4-7",
    "anthropic.claude-opus-4-8",
    "anthropic.claude-opus-5",
    "anthropic.claude-opus-5-5",
    "anthropic.claude-sonnet-5",
    "anthropic.claude-sonnet-5-5",
    "claude-3-5-haiku",
    "claude-3-5-haiku-20241022",
    "claude-3-5-haiku@20241022",
    "claude-3-5-sonnet",
    "claude-3-5-sonnet-20241022",
    "claude-3-5-sonnet-v2@20241022",
    "claude-3-7-sonnet",
    "claude-3-7-sonnet-20250219",
    "claude-3-7-sonnet@20250219",
    "claude-fable-5",
    "claude-fable-5-1",
    "claude-fable-5-2",
    "claude-haiku-4-5",
    "claude-haiku-4-5-20251001",
    "claude-haiku-4-5@20251001",
    "claude-haiku-5-5",
    "claude-mythos-5",
    "claude-mythos-5-1",
    "claude-mythos-5-2",
    "claude-opus-4",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-opus-4-1-20250805",
    "claude-opus-4-1@20250805",
    "claude-opus-4-20250514",
    "claude-opus-4-5",
    "claude-opus-4-5-20251101",
    "claude-opus-4-5@20251101",
    "claude-opus-4-6",
    "claude-opus-4-7",
    "claude-opus-4-8",
    "claude-opus-4@20250514",
    "claude-opus-5",
    "claude-opus-5-5",
    "claude-sonnet-4",
    "claude-sonnet-4-0",
    "claude-sonnet-4-20250514",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-5@20250929",
    "claude-sonnet-4-6",
    "claude-sonnet-4@20250514",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "us.anthropic.claude-fable-5",
    "us.anthropic.claude-fable-5-1",
    "us.anthropic.claude-fable-5-2",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.anthropic.claude-haiku-5-5",
    "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "us.anthropic.claude-opus-4-20250514-v1:0",
    "us.anthropic.claude-opus-4-5-20251101-v1:0",
    "us.anthropic.claude-opus-4-6-v1",
    "us.anthropic.claude-opus-4-7",
    "us.anthropic.claude-opus-4-8",
    "us.anthropic.claude-opus-5",
    "us.anthropic.claude-opus-5-5",
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-sonnet-4-6",
    "us.anthropic.claude-sonnet-5",
    "us.anthropic.claude-sonnet-5-5",
];

/// The models whose catalog entry has the `fast_mode` capability, and the multiplier Claude
/// Code's own fast prices (`speed: "fast"`) come to: each of its rates, times this.
const FAST_MODELS: [(&str, f64); 5] = [
    ("claude-opus-4-8", 2.0),
    ("claude-opus-5", 2.0),
    ("claude-opus-5-5", 2.0),
    ("claude-fable-5-2", 2.0),
    ("claude-mythos-5-2", 2.0),
];

fn one_million_of_each() -> TokenUsage {
    TokenUsage {
        input_tokens: 1_000_000,
        output_tokens: 1_000_000,
        cache_write_5m_tokens: 1_000_000,
        cache_write_1h_tokens: 1_000_000,
        cache_read_tokens: 1_000_000,
    }
}

fn assert_priced(table: &PriceTable, model: &str) {
    let price = table
        .find(model)
        .unwrap_or_else(|| panic!("{model} from Claude Code's catalog is unpriced"));
    let cost = price.cost_usd(&one_million_of_each(), None);
    assert!(cost > 0.0, "{model} costs {cost}");
    assert!(price.input_per_token > 0.0, "{model}");
    assert!(price.output_per_token > 0.0, "{model}");
}

#[test]
fn every_model_of_claude_codes_catalog_has_a_price() {
    let table = PriceTable::embedded();
    for model in CATALOG_IDS {
        assert_priced(&table, model);
    }
    // The spellings Claude Code and its providers write besides the catalog's own.
    for model in CATALOG_IDS.iter().filter(|m| !m.contains(['@', ':'])) {
        for spelling in [format!("{model}[1m]"), format!("{model}-20260101")] {
            assert_priced(&table, &spelling);
        }
    }
}

#[test]
fn fast_mode_is_priced_at_claude_codes_multiplier() {
    let table = PriceTable::embedded();
    let usage = one_million_of_each();
    for (model, multiplier) in FAST_MODELS {
        let price = table.find(model).expect("priced");
        assert_eq!(price.fast_multiplier, multiplier, "{model}");
        let standard = price.cost_usd(&usage, Some(Speed::Standard));
        let fast = price.cost_usd(&usage, Some(Speed::Fast));
        assert!((fast - standard * multiplier).abs() < 1e-9, "{model}");
    }
}

/// The ids in the catalog of the bundle `bundle`, or `None` when it has no catalog.
fn catalog_ids(bundle: &[u8]) -> Option<(Vec<String>, Vec<String>)> {
    let start = memchr::memmem::find(bundle, CATALOG_MARKER)?;
    let end = start + memchr::memmem::find(&bundle[start..], CATALOG_END)?;
    let catalog = &bundle[start..end];
    let mut ids = Vec::new();
    for field in ID_FIELDS {
        for separator in ["{", ","] {
            let pattern = format!("{separator}{field}:\"");
            for at in memchr::memmem::find_iter(catalog, pattern.as_bytes()) {
                let value = &catalog[at + pattern.len()..];
                let length = value.iter().position(|b| *b == b'"')?;
                ids.push(String::from_utf8_lossy(&value[..length]).into_owned());
            }
        }
    }
    ids.sort();
    ids.dedup();
    // Each entry runs from its `{id:"` to the next; its capabilities say whether it has fast mode.
    let entries: Vec<usize> = memchr::memmem::find_iter(catalog, b"{id:\"").collect();
    let mut fast = Vec::new();
    for (index, at) in entries.iter().enumerate() {
        let entry = &catalog[*at..entries.get(index + 1).copied().unwrap_or(catalog.len())];
        if memchr::memmem::find(entry, b"\"fast_mode\"").is_some() {
            let id = &entry[5..];
            let length = id.iter().position(|b| *b == b'"')?;
            fast.push(String::from_utf8_lossy(&id[..length]).into_owned());
        }
    }
    Some((ids, fast))
}

#[test]
fn the_installed_claude_code_catalog_is_the_checked_in_one_and_all_priced() {
    let bin = std::env::var_os("CLAUDE_CODE_BIN")
        .map_or_else(|| PathBuf::from(DEFAULT_CLAUDE_CODE_BIN), PathBuf::from);
    let Ok(bundle) = std::fs::read(&bin) else {
        println!(
            "skipped: no Claude Code at {} (set CLAUDE_CODE_BIN to its `claude` executable)",
            bin.display()
        );
        return;
    };
    let (ids, fast) = catalog_ids(&bundle).expect("a model catalog in the bundle");
    let table = PriceTable::embedded();
    for id in &ids {
        assert_priced(&table, id);
    }
    assert_eq!(ids, CATALOG_IDS, "the checked-in list is out of date");
    let expected: Vec<&str> = FAST_MODELS.iter().map(|(m, _)| *m).collect();
    assert_eq!(fast, expected, "the fast-mode models changed");
}
