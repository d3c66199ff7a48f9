//! The embedded offline price table: ccusage 20.0.24's `--offline` rates for Claude models.
//!
//! Rates are USD per token, written as the same decimal literals ccusage uses, so the f64 values
//! (and therefore the costs) are bit-identical. Recovered by probing the 20.0.24 binary with one
//! line per model and token kind in `--mode calculate` (spec section 4.5). The keys include the
//! undated aliases because the fuzzy lookup (`super::lookup`) matches against keys, and a
//! missing alias would change which key wins.

use super::ModelPrice;

const fn flat(input: f64, output: f64, cache_write: f64, cache_read: f64) -> ModelPrice {
    ModelPrice {
        input_per_token: input,
        output_per_token: output,
        cache_write_per_token: cache_write,
        cache_read_per_token: cache_read,
        above_200k: None,
        fast_multiplier: 1.0,
    }
}

const fn with_fast(price: ModelPrice, fast_multiplier: f64) -> ModelPrice {
    ModelPrice {
        fast_multiplier,
        ..price
    }
}

const OPUS_45: ModelPrice = flat(5e-6, 25e-6, 6.25e-6, 0.5e-6);
const OPUS_4: ModelPrice = flat(15e-6, 75e-6, 18.75e-6, 1.5e-6);
const SONNET: ModelPrice = flat(3e-6, 15e-6, 3.75e-6, 0.3e-6);
const SONNET_TIERED: ModelPrice = ModelPrice {
    above_200k: Some(super::Above200k {
        input_per_token: 6e-6,
        output_per_token: 22.5e-6,
        cache_write_per_token: 7.5e-6,
        cache_read_per_token: 0.6e-6,
    }),
    ..SONNET
};
const HAIKU_45: ModelPrice = flat(1e-6, 5e-6, 1.25e-6, 0.1e-6);
const HAIKU_35: ModelPrice = flat(0.8e-6, 4e-6, 1.0e-6, 0.08e-6);
const HAIKU_3: ModelPrice = flat(0.25e-6, 1.25e-6, 0.3e-6, 0.03e-6);
const SONNET_5: ModelPrice = flat(2e-6, 10e-6, 2.5e-6, 0.2e-6);
const FABLE_5: ModelPrice = flat(10e-6, 50e-6, 12.5e-6, 1e-6);
// Bedrock regional endpoints (us., eu., jp., au.) cost 10 % more than global ones.
const REGIONAL_SONNET: ModelPrice = flat(3.3e-6, 16.5e-6, 4.125e-6, 0.33e-6);
const REGIONAL_SONNET_TIERED: ModelPrice = ModelPrice {
    above_200k: Some(super::Above200k {
        input_per_token: 6.6e-6,
        output_per_token: 24.75e-6,
        cache_write_per_token: 8.25e-6,
        cache_read_per_token: 0.66e-6,
    }),
    ..REGIONAL_SONNET
};
const REGIONAL_HAIKU_45: ModelPrice = flat(1.1e-6, 5.5e-6, 1.375e-6, 0.11e-6);
const REGIONAL_OPUS_45: ModelPrice = flat(5.5e-6, 27.5e-6, 6.875e-6, 0.55e-6);

/// Keys priced only on an exact match. ccusage's full table has hundreds of Anthropic keys, so
/// which one its longest-match rule picks for a name that is not a key cannot be reproduced
/// with a short list; letting these regional keys into the fuzzy match made, for example,
/// `claude-sonnet-4.5` cost the regional price. Exact regional names are still right.
pub(crate) const EXACT_ONLY_TABLE: &[(&str, ModelPrice)] = &[
    // Vertex spellings with their own entries: not tiered, and a derived cache-read rate.
    ("claude-sonnet-4-5@20250929", SONNET),
    (
        "claude-haiku-4-5@20251001",
        flat(1e-6, 5e-6, 1.25e-6, 1.0000000000000001e-7),
    ),
    (
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        REGIONAL_SONNET_TIERED,
    ),
    ("us.anthropic.claude-sonnet-4-6", REGIONAL_SONNET),
    (
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        REGIONAL_HAIKU_45,
    ),
    (
        "us.anthropic.claude-opus-4-5-20251101-v1:0",
        REGIONAL_OPUS_45,
    ),
    (
        "us.anthropic.claude-opus-4-6-v1",
        with_fast(REGIONAL_OPUS_45, 6.0),
    ),
    (
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        REGIONAL_SONNET_TIERED,
    ),
    ("eu.anthropic.claude-sonnet-4-6", REGIONAL_SONNET),
    (
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
        REGIONAL_HAIKU_45,
    ),
    (
        "eu.anthropic.claude-opus-4-5-20251101-v1:0",
        REGIONAL_OPUS_45,
    ),
    (
        "eu.anthropic.claude-opus-4-6-v1",
        with_fast(REGIONAL_OPUS_45, 6.0),
    ),
    (
        "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
        REGIONAL_SONNET_TIERED,
    ),
    ("jp.anthropic.claude-sonnet-4-6", REGIONAL_SONNET),
    (
        "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
        REGIONAL_HAIKU_45,
    ),
    (
        "jp.anthropic.claude-opus-4-5-20251101-v1:0",
        REGIONAL_OPUS_45,
    ),
    (
        "jp.anthropic.claude-opus-4-6-v1",
        with_fast(REGIONAL_OPUS_45, 6.0),
    ),
    (
        "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
        REGIONAL_SONNET_TIERED,
    ),
    ("au.anthropic.claude-sonnet-4-6", REGIONAL_SONNET),
    (
        "au.anthropic.claude-haiku-4-5-20251001-v1:0",
        REGIONAL_HAIKU_45,
    ),
    (
        "au.anthropic.claude-opus-4-5-20251101-v1:0",
        REGIONAL_OPUS_45,
    ),
    (
        "au.anthropic.claude-opus-4-6-v1",
        with_fast(REGIONAL_OPUS_45, 6.0),
    ),
];

/// Every priced model key, as (key, price). Order does not matter: lookup is exact, then the
/// longest matching key (ties: the lexicographically smaller key).
pub(crate) const PRICE_TABLE: &[(&str, ModelPrice)] = &[
    ("claude-opus-4-8", with_fast(OPUS_45, 2.0)),
    ("claude-opus-4-7", with_fast(OPUS_45, 6.0)),
    ("claude-opus-4-6", with_fast(OPUS_45, 6.0)),
    ("claude-opus-4-5", OPUS_45),
    ("claude-opus-4-5-20251101", OPUS_45),
    ("claude-opus-4-1", OPUS_4),
    ("claude-opus-4-1-20250805", OPUS_4),
    ("claude-opus-4", OPUS_4),
    ("claude-opus-4-20250514", OPUS_4),
    ("claude-3-opus", OPUS_4),
    ("claude-3-opus-20240229", OPUS_4),
    ("claude-3-opus-latest", OPUS_4),
    ("claude-sonnet-4-6", SONNET),
    ("claude-sonnet-4-5", SONNET_TIERED),
    ("claude-sonnet-4-5-20250929", SONNET_TIERED),
    ("claude-sonnet-4", SONNET_TIERED),
    ("claude-sonnet-4-20250514", SONNET_TIERED),
    ("claude-3-7-sonnet-20250219", SONNET),
    ("claude-3-7-sonnet-latest", SONNET),
    ("claude-3-5-sonnet-20241022", SONNET),
    ("claude-3-5-sonnet-20240620", SONNET),
    ("claude-3-sonnet", SONNET),
    ("claude-3-sonnet-20240229", SONNET),
    ("claude-sonnet-5", SONNET_5),
    ("claude-haiku-4-5", HAIKU_45),
    ("claude-haiku-4-5-20251001", HAIKU_45),
    ("claude-3-5-haiku", HAIKU_35),
    ("claude-3-5-haiku-20241022", HAIKU_35),
    ("claude-3-5-haiku-latest", HAIKU_35),
    ("claude-3-haiku", HAIKU_3),
    ("claude-3-haiku-20240307", HAIKU_3),
    ("claude-opus-5", with_fast(OPUS_45, 2.0)),
    ("claude-fable-5", FABLE_5),
];

#[cfg(test)]
mod tests {
    use super::{EXACT_ONLY_TABLE, PRICE_TABLE};
    use crate::pricing::PriceTable;

    /// Rates in USD per million tokens observed from ccusage 20.0.24 `--offline` (spec 4.5):
    /// (model, input, output, cache write 5m, cache write 1h, cache read, fast multiplier).
    const OBSERVED: &[(&str, f64, f64, f64, f64, f64, f64)] = &[
        ("claude-opus-4-8", 5.0, 25.0, 6.25, 10.0, 0.5, 2.0),
        ("claude-opus-4-7", 5.0, 25.0, 6.25, 10.0, 0.5, 6.0),
        ("claude-opus-4-6", 5.0, 25.0, 6.25, 10.0, 0.5, 6.0),
        ("claude-opus-4-5-20251101", 5.0, 25.0, 6.25, 10.0, 0.5, 1.0),
        (
            "claude-opus-4-1-20250805",
            15.0,
            75.0,
            18.75,
            30.0,
            1.5,
            1.0,
        ),
        ("claude-opus-4-20250514", 15.0, 75.0, 18.75, 30.0, 1.5, 1.0),
        ("claude-sonnet-4-6", 3.0, 15.0, 3.75, 6.0, 0.3, 1.0),
        ("claude-sonnet-4-5-20250929", 3.0, 15.0, 3.75, 6.0, 0.3, 1.0),
        ("claude-sonnet-4-20250514", 3.0, 15.0, 3.75, 6.0, 0.3, 1.0),
        ("claude-3-7-sonnet-20250219", 3.0, 15.0, 3.75, 6.0, 0.3, 1.0),
        ("claude-3-5-sonnet-20241022", 3.0, 15.0, 3.75, 6.0, 0.3, 1.0),
        ("claude-haiku-4-5-20251001", 1.0, 5.0, 1.25, 2.0, 0.1, 1.0),
        ("claude-3-5-haiku-20241022", 0.8, 4.0, 1.0, 1.6, 0.08, 1.0),
        ("claude-3-haiku-20240307", 0.25, 1.25, 0.3, 0.5, 0.03, 1.0),
    ];

    #[test]
    fn table_matches_the_observed_offline_rates() {
        let table = PriceTable::embedded();
        for &(model, input, output, write_5m, write_1h, read, fast) in OBSERVED {
            let price = table.find(model).expect(model);
            let per_million = |rate: f64| rate * 1e6;
            assert!(
                (per_million(price.input_per_token) - input).abs() < 1e-9,
                "{model}"
            );
            assert!(
                (per_million(price.output_per_token) - output).abs() < 1e-9,
                "{model}"
            );
            assert!((per_million(price.cache_write_per_token) - write_5m).abs() < 1e-9);
            assert!((per_million(price.input_per_token * 2.0) - write_1h).abs() < 1e-9);
            assert!((per_million(price.cache_read_per_token) - read).abs() < 1e-9);
            assert_eq!(price.fast_multiplier, fast, "{model}");
        }
    }

    #[test]
    fn keys_are_unique_and_claude_only() {
        let all = PRICE_TABLE.iter().chain(EXACT_ONLY_TABLE);
        let mut keys: Vec<&str> = all.map(|(key, _)| *key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), PRICE_TABLE.len() + EXACT_ONLY_TABLE.len());
        assert!(keys.iter().all(|key| key.contains("claude-")));
    }

    #[test]
    fn regional_bedrock_keys_cost_ten_percent_more() {
        let table = PriceTable::embedded();
        for (global, regional) in [
            (
                "claude-sonnet-4-5-20250929",
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
            ("claude-opus-4-6", "us.anthropic.claude-opus-4-6-v1"),
            (
                "claude-haiku-4-5-20251001",
                "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
            ),
        ] {
            let (global, regional) = (table.find(global).unwrap(), table.find(regional).unwrap());
            let ratio = regional.input_per_token / global.input_per_token;
            assert!((ratio - 1.1).abs() < 1e-9);
            assert_eq!(regional.fast_multiplier, global.fast_multiplier);
        }
        let global = table.find("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assert_eq!(global, table.find("claude-sonnet-4-5-20250929"));
        // Regional keys never win a fuzzy match.
        assert_eq!(
            table.find("claude-sonnet-4.5"),
            table.find("claude-sonnet-4-5")
        );
        assert_eq!(
            table.find("anthropic.claude-opus-4-6-v1"),
            table.find("claude-opus-4-6")
        );
    }

    #[test]
    fn only_sonnet_4_and_4_5_are_tiered() {
        for (key, price) in PRICE_TABLE {
            let tiered =
                key.starts_with("claude-sonnet-4-5") || key.starts_with("claude-sonnet-4-2");
            assert_eq!(
                price.above_200k.is_some(),
                tiered || *key == "claude-sonnet-4",
                "{key}"
            );
        }
    }
}
