//! The model lookup: ccusage 20.0.24's offline rules over its tables, then the newer prices.
//!
//! ccusage's order, rule for rule: the primary (LiteLLM + built-in) table by exact key, alias, then fuzzy match; then the
//! DeepSeek V4 rates by any separator spelling; then the models.dev snapshot the same way. A
//! fuzzy match is the longest key that contains the model, or that the model contains, at
//! word boundaries (also with `.` and `@` read as `-`); ties go to the smaller key. A request
//! naming an exact-only models.dev key (in any separator spelling) is never fuzzy-matched.
//! Only when those find nothing: litellm's newer entries, then Claude Code's bundle prices
//! (`newer.rs`), each by exact key, then by the same fuzzy match (`docs/ccusage-rules.md`, 4.5).
//! The fuzzy match itself lives in `fuzzy.rs`; its indexes are built on first use.

use std::sync::OnceLock;

use super::{
    fuzzy::{normalize, FuzzyIndex},
    newer::{CLAUDE_CODE, LITELLM},
    table::{ALIASES, ANY_SPELLING, EXACT_ONLY_SPELLINGS, MODELS_DEV, PRIMARY},
    ModelPrice,
};

/// The price of `model`: ccusage's, else the newest one known.
pub(super) fn find(model: &str) -> Option<ModelPrice> {
    ccusage(model).or_else(|| newer(model))
}

/// The price a newer source gives a model ccusage leaves unpriced: litellm's before Claude
/// Code's, as ccusage itself prefers litellm.
fn newer(model: &str) -> Option<ModelPrice> {
    static LITELLM_INDEX: OnceLock<FuzzyIndex> = OnceLock::new();
    static CLAUDE_CODE_INDEX: OnceLock<FuzzyIndex> = OnceLock::new();
    exact(LITELLM, model)
        .or_else(|| fuzzy(&LITELLM_INDEX, LITELLM).best_match(model))
        .or_else(|| exact(CLAUDE_CODE, model))
        .or_else(|| fuzzy(&CLAUDE_CODE_INDEX, CLAUDE_CODE).best_match(model))
}

fn fuzzy(
    index: &'static OnceLock<FuzzyIndex>,
    table: &'static [(&'static str, ModelPrice)],
) -> &'static FuzzyIndex {
    index.get_or_init(|| FuzzyIndex::new(table.to_vec()))
}

/// The price ccusage 20.0.24 `--offline` gives `model`, if any.
pub(super) fn ccusage(model: &str) -> Option<ModelPrice> {
    let normalized = normalize(model);
    primary(model)
        .or_else(|| exact(ANY_SPELLING, &normalized))
        .or_else(|| models_dev(model))
}

fn primary(model: &str) -> Option<ModelPrice> {
    exact(PRIMARY, model)
        .or_else(|| alias(model).and_then(primary_entry))
        .or_else(|| primary_entry(model))
}

fn primary_entry(model: &str) -> Option<ModelPrice> {
    exact(PRIMARY, model).or_else(|| {
        if spelled_exact_only(model).is_some() {
            return None;
        }
        primary_index().best_match(model)
    })
}

fn models_dev(model: &str) -> Option<ModelPrice> {
    exact_models_dev(model)
        .or_else(|| alias(model).and_then(models_dev_entry))
        .or_else(|| models_dev_entry(model))
}

fn models_dev_entry(model: &str) -> Option<ModelPrice> {
    exact_models_dev(model).or_else(|| match spelled_exact_only(model) {
        // A separator spelling of one exact-only key names that key; one two keys share
        // names neither, and no fuzzy match may stand in for them.
        Some(Some(key)) => exact_models_dev(key),
        Some(None) => None,
        None => models_dev_index().best_match(model),
    })
}

fn exact(table: &[(&str, ModelPrice)], model: &str) -> Option<ModelPrice> {
    table
        .binary_search_by(|(key, _)| (*key).cmp(model))
        .ok()
        .map(|index| table[index].1)
}

fn exact_models_dev(model: &str) -> Option<ModelPrice> {
    MODELS_DEV
        .binary_search_by(|(key, _, _)| (*key).cmp(model))
        .ok()
        .map(|index| MODELS_DEV[index].2)
}

fn alias(model: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(name, _)| *name == model)
        .map(|(_, target)| *target)
}

/// `Some` when `model` is a separator spelling of an exact-only key: `Some(Some(key))` for
/// the one key it names, `Some(None)` when two keys share the spelling.
fn spelled_exact_only(model: &str) -> Option<Option<&'static str>> {
    let normalized = normalize(model);
    EXACT_ONLY_SPELLINGS
        .binary_search_by(|(spelling, _)| (*spelling).cmp(&normalized))
        .ok()
        .map(|index| EXACT_ONLY_SPELLINGS[index].1)
}

fn primary_index() -> &'static FuzzyIndex {
    static INDEX: OnceLock<FuzzyIndex> = OnceLock::new();
    fuzzy(&INDEX, PRIMARY)
}

fn models_dev_index() -> &'static FuzzyIndex {
    static INDEX: OnceLock<FuzzyIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let fuzzy_keys = MODELS_DEV
            .iter()
            .filter(|(_, is_exact_only, _)| !is_exact_only);
        FuzzyIndex::new(fuzzy_keys.map(|(key, _, price)| (*key, *price)).collect())
    })
}
