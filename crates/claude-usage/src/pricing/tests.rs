use super::{
    newer::{CLAUDE_CODE, LITELLM},
    table::{ALIASES, ANY_SPELLING, EXACT_ONLY_SPELLINGS, MODELS_DEV, PRIMARY},
    *,
};

fn newer_entry(table: &[(&str, ModelPrice)], key: &str) -> Option<ModelPrice> {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, price)| *price)
}

fn usage(input: u64, output: u64, write_5m: u64, write_1h: u64, read: u64) -> TokenUsage {
    TokenUsage {
        input_tokens: input,
        output_tokens: output,
        cache_write_5m_tokens: write_5m,
        cache_write_1h_tokens: write_1h,
        cache_read_tokens: read,
    }
}

/// Per-token rates as ccusage 20.0.24 reports them for a one-token line of each kind.
fn rates(price: ModelPrice) -> [f64; 4] {
    [
        price.input_per_token,
        price.output_per_token,
        price.cache_write_per_token,
        price.cache_read_per_token,
    ]
}

#[test]
fn tables_are_sorted_and_unique_for_binary_search() {
    let is_sorted = |keys: Vec<&str>| keys.windows(2).all(|pair| pair[0] < pair[1]);
    assert!(is_sorted(PRIMARY.iter().map(|(key, _)| *key).collect()));
    assert!(is_sorted(
        ANY_SPELLING.iter().map(|(key, _)| *key).collect()
    ));
    assert!(is_sorted(
        MODELS_DEV.iter().map(|(key, _, _)| *key).collect()
    ));
    assert!(is_sorted(
        EXACT_ONLY_SPELLINGS.iter().map(|(key, _)| *key).collect()
    ));
    assert!(is_sorted(LITELLM.iter().map(|(key, _)| *key).collect()));
    assert!(is_sorted(CLAUDE_CODE.iter().map(|(key, _)| *key).collect()));
    for (_, target) in ALIASES {
        let is_priced = PRIMARY.iter().any(|(key, _)| key == target)
            || MODELS_DEV.iter().any(|(key, _, _)| key == target);
        assert!(is_priced, "{target}");
    }
    // Every exact-only key is reachable under its own spelling.
    for (key, is_exact_only, _) in MODELS_DEV {
        if *is_exact_only {
            let spelling = key.replace(['.', '@'], "-");
            assert!(
                EXACT_ONLY_SPELLINGS.iter().any(|(s, _)| *s == spelling),
                "{key}"
            );
        }
    }
}

#[test]
fn lookup_follows_ccusage_boundaries() {
    let table = PriceTable::embedded();
    let sonnet = table.find("claude-sonnet-4-5-20250929").unwrap();
    assert_eq!(table.find("claude-sonnet-4-5"), Some(sonnet));
    assert_eq!(table.find("anthropic/claude-sonnet-4-5"), Some(sonnet));
    assert_eq!(
        table.find("claude-opus-4-6[1m]"),
        table.find("claude-opus-4-6")
    );
    assert_eq!(
        table.find("claude-opus-4-6-20260101"),
        table.find("claude-opus-4-6")
    );
    // A different version number is a different model, not a date suffix: ccusage has none of
    // these, so the newer prices answer, from Claude Code's catalog, or nothing.
    assert!(!table.is_priced_by_ccusage("claude-opus-4-0"));
    assert!(!table.is_priced_by_ccusage("claude-opus-4-9"));
    assert!(!table.is_priced_by_ccusage("claude-3-5-sonnet-latest"));
    assert_eq!(table.find("claude-opus-4-0"), table.find("claude-opus-4-1"));
    assert_eq!(table.find("claude-opus-4-9"), None);
    assert_eq!(
        table.find("claude-3-5-sonnet-latest"),
        newer_entry(CLAUDE_CODE, "claude-3-5-sonnet")
    );
    assert_eq!(table.find("<synthetic>"), None);
    assert_eq!(table.find(""), None);
}

/// The backends of the issue, at the rates ccusage 20.0.24 `--offline` charges (read from its
/// output for one-token lines).
#[test]
fn other_backends_are_priced_as_ccusage_prices_them() {
    let table = PriceTable::embedded();
    let cases: [(&str, [f64; 4]); 8] = [
        ("glm-4.6", [6e-7, 2.2e-6, 0.0, 1.1e-7]),
        // Not the built-in `glm-4.7` (case matters): the longest models.dev key containing it.
        ("GLM-4.7", [6e-8, 4.000_000_000_000_000_3e-7, 7.5e-8, 1e-8]),
        ("MiniMax-M2.1", [3e-7, 1.2e-6, 3.75e-7, 3e-8]),
        ("MiniMax-M2", [3e-7, 1.2e-6, 3.75e-7, 3e-8]),
        (
            "deepseek-chat",
            [
                1.000_000_000_000_000_1e-7,
                4.25e-7,
                1.250_000_000_000_000_2e-7,
                5.000_000_000_000_000_4e-8,
            ],
        ),
        (
            "kimi-k2-0905-preview",
            [
                6.32e-7,
                2.53e-6,
                7.900_000_000_000_001e-7,
                6.320_000_000_000_001e-8,
            ],
        ),
        (
            "qwen3-coder-plus",
            [1e-6, 5e-6, 1.249_999_999_999_999_9e-6, 1e-7],
        ),
        ("gpt-oss-120b", [1.5e-7, 6e-7, 1.875e-7, 1.5e-8]),
    ];
    for (model, expected) in cases {
        let price = table
            .find(model)
            .unwrap_or_else(|| panic!("{model} unpriced"));
        assert_eq!(rates(price), expected, "{model}");
    }
}

#[test]
fn exact_only_keys_are_reached_by_any_spelling_and_never_by_a_fuzzy_match() {
    let table = PriceTable::embedded();
    let flash = table.find("glm-4.7-flash").unwrap();
    assert_eq!(table.find("glm-4-7-flash"), Some(flash));
    assert_ne!(Some(flash), table.find("glm-4.7"));
    // DeepSeek V4: ccusage's own rates for any separator spelling, models.dev's otherwise.
    let pro = table.find("deepseek-v4-pro").unwrap();
    assert_eq!(table.find("deepseek.v4@pro"), Some(pro));
    assert_eq!(pro.cache_write_per_token, pro.input_per_token);
    let other = table.find("x:deepseek-v4-pro").unwrap();
    assert_eq!(other.cache_write_per_token, other.input_per_token * 1.25);
    // Aliases.
    assert_eq!(table.find("gpt-5.6"), table.find("gpt-5.6-sol"));
}

#[test]
fn cost_tiers_per_kind_and_prices_1h_writes_at_twice_input() {
    let table = PriceTable::embedded();
    let sonnet = table.find("claude-sonnet-4-5").unwrap();
    let cost = sonnet.cost_usd(&usage(1_000_000, 0, 0, 0, 0), None);
    assert!((cost - (0.2 * 3.0 + 0.8 * 6.0)).abs() < 1e-9);
    let cost = sonnet.cost_usd(&usage(0, 0, 0, 100_000, 0), None);
    assert!((cost - 0.6).abs() < 1e-12);
    let opus = table.find("claude-opus-4-6").unwrap();
    let cost = opus.cost_usd(&usage(100_000, 0, 0, 0, 0), Some(Speed::Fast));
    assert!((cost - 3.0).abs() < 1e-12);
    let cost = opus.cost_usd(&usage(100_000, 0, 0, 0, 0), Some(Speed::Standard));
    assert!((cost - 0.5).abs() < 1e-12);
}

#[test]
fn a_long_prompt_moves_the_whole_line_to_the_long_context_rates() {
    // gpt-5.5: $5 / $30 per million, $10 / $45 once the prompt passes 272,000 tokens.
    let gpt = PriceTable::embedded().find("gpt-5.5").unwrap();
    assert_eq!(
        gpt.cost_usd(&usage(272_000, 1_000, 0, 0, 0), None),
        1.390_000_000_000_000_1
    );
    assert_eq!(
        gpt.cost_usd(&usage(272_000, 1_000, 0, 0, 1), None),
        2.765_001_000_000_000_3
    );
    // The prompt saturates instead of wrapping round to a short one.
    let huge = usage(u64::MAX, 0, 0, 0, 1);
    assert_eq!(gpt.cost_usd(&huge, None), 184_467_440_737_095.53);
}

#[test]
fn newer_prices_answer_only_where_ccusage_has_none() {
    let table = PriceTable::embedded();
    // ccusage's price wins where it has one, even where a newer source differs.
    for (key, _) in LITELLM.iter().chain(CLAUDE_CODE) {
        if let Some(ccusage) = lookup::ccusage(key) {
            assert_eq!(table.find(key), Some(ccusage), "{key}");
        }
    }
    // litellm before Claude Code: both price claude-opus-5-5, litellm's entry answers.
    assert_eq!(
        table.find("claude-opus-5-5"),
        newer_entry(LITELLM, "claude-opus-5-5")
    );
    // Claude Code alone prices the 5.2 models; dated and provider spellings find them too.
    let fable = newer_entry(CLAUDE_CODE, "claude-fable-5-2");
    assert!(fable.is_some());
    for model in [
        "claude-fable-5-2",
        "claude-fable-5-2-20260901",
        "claude-fable-5-2[1m]",
        "anthropic.claude-fable-5-2",
        "us.anthropic.claude-fable-5-2",
        "vertex_ai/claude-fable-5-2@default",
        "claude-fable-5.2",
    ] {
        assert_eq!(table.find(model), fable, "{model}");
        assert!(!table.is_priced_by_ccusage(model), "{model}");
    }
    assert_eq!(table.find("claude-fable-5-3"), None);
}

#[test]
fn a_long_prompt_moves_haiku_5_5_to_its_dearer_rates() {
    // $0.10 / $0.50 per million; $0.50 / $2.50 once the prompt passes 100,000 tokens.
    let haiku = PriceTable::embedded().find("claude-haiku-5-5").unwrap();
    let short = haiku.cost_usd(&usage(100_000, 1_000_000, 0, 0, 0), None);
    assert!((short - (0.01 + 0.5)).abs() < 1e-12, "{short}");
    let long = haiku.cost_usd(&usage(50_000, 1_000_000, 0, 0, 50_001), None);
    assert!(
        (long - (0.025 + 2.5 + 0.002_500_05)).abs() < 1e-12,
        "{long}"
    );
}

#[test]
fn caches_memoise_misses_too() {
    let mut cache = PriceCache::new(PriceTable::embedded());
    assert_eq!(cache.find("nope"), None);
    assert_eq!(cache.find("nope"), None);
    assert!(cache.find("claude-haiku-4-5-20251001").is_some());
    let table = PriceTable::embedded();
    let clone = table.clone();
    assert_eq!(table.find("GLM-4.7"), clone.find("GLM-4.7"));
    assert_eq!(clone.resolved.read().unwrap().len(), 1);
}
