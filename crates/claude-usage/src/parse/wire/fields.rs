//! The schema's fields read straight from a plain line, where [`super::skim`] found them.
//!
//! Only the everyday shape is read here: each field absent, `null` or of the expected JSON
//! type, strings without escapes, token counts as plain unsigned integers, no key twice. Any
//! other shape gives `None`, and the line's compacted copy goes through serde instead, which
//! decides it exactly (a float or negative count, an escaped id, a duplicate key, a missing
//! `timestamp`, a wrapped progress line).

use std::borrow::Cow;

use super::{RawCacheCreation, WireLine};
use crate::entry::{Speed, TokenUsage};

/// A field of the schema, named by its place in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    SessionId,
    Timestamp,
    Version,
    CostUsd,
    RequestId,
    IsApiErrorMessage,
    IsSidechain,
    Message,
    MessageId,
    Model,
    Usage,
    InputTokens,
    OutputTokens,
    CacheCreationInputTokens,
    CacheReadInputTokens,
    Speed,
    CacheCreation,
    Iterations,
    Ephemeral5m,
    Ephemeral1h,
}

const FIELD_COUNT: usize = Field::Ephemeral1h as usize + 1;

/// Where each field's value sits in the line (byte range), as the skim found it.
#[derive(Debug, Default)]
pub(super) struct FieldSpans {
    spans: [Option<(usize, usize)>; FIELD_COUNT],
    /// A field occurred twice in its object (serde refuses that).
    has_duplicate: bool,
}

impl FieldSpans {
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }

    pub(super) fn record(&mut self, field: Field, start: usize, end: usize) {
        let slot = &mut self.spans[field as usize];
        self.has_duplicate |= slot.is_some();
        *slot = Some((start, end));
    }

    fn value<'a>(&self, line: &'a [u8], field: Field) -> Option<&'a [u8]> {
        self.spans[field as usize].and_then(|(start, end)| line.get(start..end))
    }
}

/// The decoded line, if every field has the everyday shape (see the module doc).
pub(super) fn extract<'a>(line: &'a [u8], spans: &FieldSpans) -> Option<WireLine<'a>> {
    use Field as F;
    if spans.has_duplicate {
        return None;
    }
    let value = |field| spans.value(line, field);
    // `message` and `message.usage` are required objects.
    value(F::Message).filter(|v| v.first() == Some(&b'{'))?;
    value(F::Usage).filter(|v| v.first() == Some(&b'{'))?;
    let usage = read_usage(line, spans)?;
    let iterations = value(F::Iterations).and_then(|raw| std::str::from_utf8(raw).ok());
    Some(WireLine {
        session_id: optional(value(F::SessionId), text)?,
        timestamp: text(value(F::Timestamp)?)?,
        version: optional(value(F::Version), text)?,
        cost_usd: optional(value(F::CostUsd), cost)?,
        request_id: optional(value(F::RequestId), text)?,
        is_api_error_message: optional(value(F::IsApiErrorMessage), boolean)?,
        is_sidechain: optional(value(F::IsSidechain), boolean)?,
        message_id: optional(value(F::MessageId), text)?,
        model: optional(value(F::Model), text)?,
        usage,
        speed: optional(value(F::Speed), speed)?,
        advisor_iterations: iterations
            .filter(|raw| raw.contains("advisor_message"))
            .map(str::to_owned),
        is_progress: false,
        is_daily_readable: true,
    })
}

/// `message.usage`'s token counts.
fn read_usage(line: &[u8], spans: &FieldSpans) -> Option<TokenUsage> {
    use Field as F;
    let value = |field| spans.value(line, field);
    // Fields with `#[serde(default)]`: absent is 0, `null` is not a count.
    let count_or_zero = |field| value(field).map_or(Some(0), count);
    let split = match value(F::CacheCreation) {
        None | Some(b"null") => None,
        Some(object) if object.first() == Some(&b'{') => Some(RawCacheCreation {
            ephemeral_5m_input_tokens: count_or_zero(F::Ephemeral5m)?,
            ephemeral_1h_input_tokens: count_or_zero(F::Ephemeral1h)?,
        }),
        Some(_) => return None,
    };
    let cache_write_tokens = count_or_zero(F::CacheCreationInputTokens)?;
    let (write_5m, write_1h) = match split {
        Some(split) => (
            split.ephemeral_5m_input_tokens,
            split.ephemeral_1h_input_tokens,
        ),
        None => (cache_write_tokens, 0),
    };
    Some(TokenUsage {
        input_tokens: count(value(F::InputTokens)?)?,
        output_tokens: count(value(F::OutputTokens)?)?,
        cache_write_5m_tokens: write_5m,
        cache_write_1h_tokens: write_1h,
        cache_read_tokens: count_or_zero(F::CacheReadInputTokens)?,
    })
}

/// An optional field: absent or `null` is `None`; otherwise `read` decides (`None` = not
/// the everyday shape).
fn optional<'a, T>(
    value: Option<&'a [u8]>,
    read: impl Fn(&'a [u8]) -> Option<T>,
) -> Option<Option<T>> {
    match value {
        None | Some(b"null") => Some(None),
        Some(value) => read(value).map(Some),
    }
}

/// A string without escapes, borrowed (the whole line is valid UTF-8).
fn text(value: &[u8]) -> Option<Cow<'_, str>> {
    let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    // Ids are short: a plain loop beats a call into memchr.
    if inner.contains(&b'\\') {
        return None;
    }
    std::str::from_utf8(inner).ok().map(Cow::Borrowed)
}

/// A token count: digits only (the skim checked the JSON grammar), within u64.
fn count(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0_u64, |total, &digit| {
        total.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// `costUSD`: any JSON number, read by serde_json itself so that the value is exactly the
/// one ccusage reads.
fn cost(value: &[u8]) -> Option<f64> {
    let is_number = value
        .first()
        .is_some_and(|&b| b == b'-' || b.is_ascii_digit());
    is_number
        .then(|| serde_json::from_slice::<f64>(value).ok())
        .flatten()
}

fn boolean(value: &[u8]) -> Option<bool> {
    match value {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

fn speed(value: &[u8]) -> Option<Speed> {
    match value {
        b"\"standard\"" => Some(Speed::Standard),
        b"\"fast\"" => Some(Speed::Fast),
        _ => None,
    }
}
