//! ccusage's fuzzy key match, answered from an index instead of a scan of every key.
//!
//! A key matches a model when one contains the other at word boundaries, as written or with
//! `.` and `@` read as `-`; the longest matching key wins, ties to the smaller key. ccusage
//! tests every key (thousands) per name. Here an index proposes the few keys that can match:
//! keys that are a boundary-delimited piece of the model (a hash lookup per piece) and keys
//! that contain the model (one substring search over all keys joined). Each proposal is then
//! checked with ccusage's own rule ([`key_matches`]), so the answer is the same.

use std::{borrow::Cow, collections::HashMap};

use memchr::memmem;

use super::ModelPrice;
use crate::hash::BuildFastHasher;

/// Date suffixes (`-20250929`) do not make a different model; other numbers do.
const DATE_SUFFIX_DIGITS: usize = 8;
/// Separates keys in the joined text; no key contains it.
const KEY_SEPARATOR: u8 = b'\n';

/// The candidate keys of one table, indexed both as written and normalized.
pub(super) struct FuzzyIndex {
    keys: Vec<(&'static str, ModelPrice)>,
    by_piece: HashMap<Box<[u8]>, Vec<usize>, BuildFastHasher>,
    joined: Joined,
    normalized_joined: Joined,
    longest_key_bytes: usize,
}

/// Keys joined by [`KEY_SEPARATOR`], with where each starts.
struct Joined {
    text: Vec<u8>,
    starts: Vec<usize>,
}

impl FuzzyIndex {
    pub(super) fn new(keys: Vec<(&'static str, ModelPrice)>) -> Self {
        let mut by_piece: HashMap<Box<[u8]>, Vec<usize>, BuildFastHasher> = HashMap::default();
        for (index, (key, _)) in keys.iter().enumerate() {
            by_piece
                .entry(key.as_bytes().into())
                .or_default()
                .push(index);
            let normalized = normalize(key);
            if normalized != *key {
                by_piece
                    .entry(normalized.as_bytes().into())
                    .or_default()
                    .push(index);
            }
        }
        let longest_key_bytes = keys.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
        let joined = Joined::new(keys.iter().map(|(key, _)| Cow::Borrowed(*key)));
        let normalized_joined = Joined::new(keys.iter().map(|(key, _)| normalize(key)));
        Self {
            keys,
            by_piece,
            joined,
            normalized_joined,
            longest_key_bytes,
        }
    }

    /// The price of the longest key matching `model` (ties to the smaller key), if any.
    pub(super) fn best_match(&self, model: &str) -> Option<ModelPrice> {
        if model.is_empty() {
            return None;
        }
        let normalized_model = normalize(model);
        let mut candidates = Vec::new();
        self.pieces_of(model.as_bytes(), &mut candidates);
        self.pieces_of(normalized_model.as_bytes(), &mut candidates);
        self.joined.containing(model.as_bytes(), &mut candidates);
        self.normalized_joined
            .containing(normalized_model.as_bytes(), &mut candidates);
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|index| self.keys[index])
            .filter(|(key, _)| key_matches(key, model, &normalized_model))
            .min_by(|(left, _), (right, _)| right.len().cmp(&left.len()).then(left.cmp(right)))
            .map(|(_, price)| price)
    }

    /// Keys equal (as written or normalized) to a piece of `text` that starts after a
    /// non-alphanumeric byte (or at 0) and ends before one (or at the end).
    fn pieces_of(&self, text: &[u8], candidates: &mut Vec<usize>) {
        let is_boundary = |at: usize| {
            text.get(at)
                .is_none_or(|byte| !byte.is_ascii_alphanumeric())
        };
        for start in 0..text.len() {
            if start > 0 && !is_boundary(start - 1) {
                continue;
            }
            let last_end = text.len().min(start + self.longest_key_bytes);
            for end in (start + 1)..=last_end {
                if is_boundary(end) {
                    if let Some(indexes) = self.by_piece.get(&text[start..end]) {
                        candidates.extend_from_slice(indexes);
                    }
                }
            }
        }
    }
}

impl Joined {
    fn new<'a>(keys: impl Iterator<Item = Cow<'a, str>>) -> Self {
        let mut text = Vec::new();
        let mut starts = Vec::new();
        for key in keys {
            starts.push(text.len());
            text.extend_from_slice(key.as_bytes());
            text.push(KEY_SEPARATOR);
        }
        Self { text, starts }
    }

    /// Keys in which `needle` occurs (over-approximated when the needle holds a separator).
    fn containing(&self, needle: &[u8], candidates: &mut Vec<usize>) {
        for at in memmem::find_iter(&self.text, needle) {
            let index = self.starts.partition_point(|start| *start <= at);
            candidates.push(index.saturating_sub(1));
        }
    }
}

pub(super) fn normalize(value: &str) -> Cow<'_, str> {
    if value.contains(['.', '@']) {
        Cow::Owned(value.replace(['.', '@'], "-"))
    } else {
        Cow::Borrowed(value)
    }
}

/// ccusage's `pricing_key_matches`: `key` and `model` contain one another at word boundaries,
/// as written or normalized.
fn key_matches(key: &str, model: &str, normalized_model: &str) -> bool {
    if contains_at_boundary(model, key) || contains_at_boundary(key, model) {
        return true;
    }
    let normalized_key = normalize(key);
    contains_at_boundary(normalized_model, &normalized_key)
        || contains_at_boundary(&normalized_key, normalized_model)
}

/// Whether `needle` occurs in `haystack` (at one of its non-overlapping matches, as
/// `str::match_indices` finds them) with a non-alphanumeric byte (or nothing) before it and an
/// allowed suffix after it.
fn contains_at_boundary(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() || needle.len() > haystack.len() {
        return false;
    }
    haystack.match_indices(needle).any(|(at, _)| {
        let before_ok = at == 0 || !haystack.as_bytes()[at - 1].is_ascii_alphanumeric();
        before_ok && suffix_allowed(needle, &haystack.as_bytes()[at + needle.len()..])
    })
}

/// A suffix must start at a boundary, and a key ending in a digit may not be followed by
/// `-`/`.` and more digits (another version) unless they are an 8-digit date.
fn suffix_allowed(key: &str, suffix: &[u8]) -> bool {
    let Some(&first) = suffix.first() else {
        return true;
    };
    if first.is_ascii_alphanumeric() {
        return false;
    }
    let key_ends_in_digit = key.as_bytes().last().is_some_and(u8::is_ascii_digit);
    if !key_ends_in_digit || !matches!(first, b'-' | b'.') {
        return true;
    }
    let rest = &suffix[1..];
    let digit_count = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digit_count == 0 {
        return true;
    }
    let after = rest.get(digit_count);
    digit_count == DATE_SUFFIX_DIGITS && after.is_none_or(|byte| !byte.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICE: ModelPrice = ModelPrice::new(1.0, 1.0, 1.0, 1.0);

    /// The scan ccusage does: every key, in full.
    fn scan<'a>(keys: &[&'a str], model: &str) -> Option<&'a str> {
        let normalized = normalize(model);
        keys.iter()
            .copied()
            .filter(|key| key_matches(key, model, &normalized))
            .max_by(|left, right| left.len().cmp(&right.len()).then(right.cmp(left)))
    }

    #[test]
    fn the_index_agrees_with_the_full_scan() {
        let keys = [
            "claude-sonnet-4-5",
            "claude-sonnet-4",
            "anthropic/claude-sonnet-4.5",
            "gpt-5",
            "gpt-5.1",
            "gpt-5.1-codex",
            "zai/glm-4.7",
            "glm-4.7",
            "1-1-1",
            "a.b@c",
            "x-1",
            "deepinfra/zai-org/GLM-4.7-Flash",
            "zai-org/GLM-4.7",
            "kimi-k2",
            "kimi-k2-0905",
        ];
        let index = FuzzyIndex::new(keys.iter().map(|key| (*key, PRICE)).collect());
        let tagged = |key: &str| {
            let mut price = PRICE;
            price.input_per_token = keys.iter().position(|k| *k == key).unwrap_or(99) as f64;
            price
        };
        let index = FuzzyIndex {
            keys: keys.iter().map(|key| (*key, tagged(key))).collect(),
            ..index
        };
        let models = [
            "claude-sonnet-4-5-20250929",
            "claude-sonnet-4.5",
            "claude-sonnet-4-6",
            "gpt-5.1",
            "gpt-5-mini",
            "gpt-5.1-codex-max",
            "openai/gpt-5",
            "GLM-4.7",
            "glm-4.7-flash",
            "glm.4.7",
            "1-1",
            "x1-1-1",
            "1-1-1-1",
            "a-b-c",
            "a.b.c",
            "x-1-20250101",
            "x-1.2",
            "kimi-k2-0905-preview",
            "kimi",
            "",
            "-",
            "é-gpt-5",
            "gpt-5\nclaude-sonnet-4",
        ];
        for model in models {
            let expected = scan(&keys, model).map(tagged);
            assert_eq!(index.best_match(model), expected, "{model:?}");
        }
    }
}
