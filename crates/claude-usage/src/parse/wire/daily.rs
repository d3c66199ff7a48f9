//! ccusage's `claude daily` loader: which lines it reads, where the other commands read more.
//!
//! That loader deserializes through an untagged enum, so serde buffers every line whole before
//! looking at it; [`Buffered`] repeats that buffering without keeping anything
//! (`docs/ccusage-rules.md`, section 2.8).

use serde::Deserialize;

/// serde_json's nesting limit when it buffers a value (ccusage's daily loader does).
pub(super) const DAILY_DEPTH_LIMIT: usize = 126;

/// Whether ccusage 20.0.24's `claude daily` loader reads this line. It deserializes through
/// an untagged enum, which buffers the whole line first, so unlike the other commands it
/// refuses lines with invalid UTF-8 in any string, a lone surrogate escape (`\ud800`), or
/// nesting deeper than serde_json's limit (127). (It also refuses numbers beyond f64 range,
/// which JSON.stringify cannot write; that case is not reproduced.) The exact check runs only
/// when a cheap test finds a candidate.
pub(super) fn is_daily_readable(
    line: &[u8],
    is_utf8_valid: bool,
    brackets: usize,
    has_surrogate_escape: bool,
) -> bool {
    let is_candidate = brackets > DAILY_DEPTH_LIMIT || !is_utf8_valid || has_surrogate_escape;
    !is_candidate || serde_json::from_slice::<Buffered>(line).is_ok()
}

/// Accepts any JSON value the way serde's buffered `Content` does: strings decoded, numbers
/// converted, depth limited — without keeping anything.
struct Buffered;

impl<'de> Deserialize<'de> for Buffered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BufferedVisitor)
    }
}

struct BufferedVisitor;

impl<'de> serde::de::Visitor<'de> for BufferedVisitor {
    type Value = Buffered;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_str<E>(self, _: &str) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_unit<E>(self) -> Result<Buffered, E> {
        Ok(Buffered)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Buffered, A::Error> {
        while seq.next_element::<Buffered>()?.is_some() {}
        Ok(Buffered)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Buffered, A::Error> {
        while map.next_entry::<Buffered, Buffered>()?.is_some() {}
        Ok(Buffered)
    }
}
