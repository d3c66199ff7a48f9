//! The wire schema: the fields ccusage 20.0.24 reads from a transcript line, and the decoder.
//!
//! A plain line (nearly every line Claude Code writes) is checked by one validating pass,
//! [`skim`], and its fields are read where the skim found them ([`fields`]); if their shape is
//! unusual, a compacted copy without `content` is decoded as below. Any other line is decoded
//! whole, as follows.
//!
//! Decoding tries sonic-rs first (SIMD skipping of the large `content` arrays) and falls back
//! to serde_json, which is what ccusage itself uses and so is the authority on which lines are
//! accepted: any line sonic-rs refuses (invalid UTF-8 inside a string, say) gets a second,
//! exact opinion. Lines with many brackets skip sonic-rs entirely: its recursive skipping could
//! exhaust a thread's stack on deeply nested input, while serde_json skips iteratively.

use std::borrow::Cow;

use serde::Deserialize;

use crate::entry::{Speed, TokenUsage};

/// Lines with more `{`/`[` bytes than this (an upper bound on nesting depth) go straight to
/// serde_json. Release frames are small (sonic-rs handles depth 8,000 on a 2 MiB stack); debug
/// frames are not (it overflowed at 40), hence the two bounds.
const MAX_BRACKETS_FOR_SONIC: usize = if cfg!(debug_assertions) { 16 } else { 2_048 };

/// A decoded line, the same whichever decoder produced it.
#[derive(Debug, PartialEq)]
pub(super) struct WireLine<'a> {
    pub(super) session_id: Option<Cow<'a, str>>,
    pub(super) timestamp: Cow<'a, str>,
    pub(super) version: Option<Cow<'a, str>>,
    pub(super) cost_usd: Option<f64>,
    pub(super) request_id: Option<Cow<'a, str>>,
    pub(super) is_api_error_message: Option<bool>,
    pub(super) is_sidechain: Option<bool>,
    pub(super) message_id: Option<Cow<'a, str>>,
    pub(super) model: Option<Cow<'a, str>>,
    pub(super) usage: TokenUsage,
    pub(super) speed: Option<Speed>,
    /// The raw `usage.iterations` JSON, kept only when it mentions `advisor_message`.
    pub(super) advisor_iterations: Option<String>,
    /// The line was an agent-progress wrapper (`data.message.message`).
    pub(super) is_progress: bool,
    /// ccusage's `claude daily` loader can read the line too (see [`daily::is_daily_readable`]).
    pub(super) is_daily_readable: bool,
}

/// Why a line with usage did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// Not JSON, or cut short.
    Malformed,
    /// JSON, but not the schema.
    Schema,
}

/// Buffers reused from line to line by [`decode`].
#[derive(Debug, Default)]
pub(super) struct Scratch {
    spans: fields::FieldSpans,
    cuts: Vec<(usize, usize)>,
    compact: Vec<u8>,
}

/// Decodes a line that passed the prefilter. The result may borrow from `scratch`.
pub(super) fn decode<'a>(
    line: &'a [u8],
    scratch: &'a mut Scratch,
) -> Result<WireLine<'a>, DecodeError> {
    let is_utf8 = simdutf8::basic::from_utf8(line).is_ok();
    if is_utf8 && skim::skim(line, &mut scratch.spans, &mut scratch.cuts) {
        if let Some(wire) = fields::extract(line, &scratch.spans) {
            return Ok(wire);
        }
        skim::compact(line, &scratch.cuts, &mut scratch.compact);
        return decode_plain(&scratch.compact);
    }
    decode_whole(line, is_utf8)
}

/// Decodes the compacted copy of a plain line: valid JSON without the values the schema
/// ignores, so the decoders give the same answer as on the whole line, and ccusage's daily
/// loader reads it.
fn decode_plain(compact: &[u8]) -> Result<WireLine<'_>, DecodeError> {
    // Whole values were cut from valid UTF-8 at ASCII bytes, so this holds; checked anyway, it
    // costs little on a few hundred bytes.
    let text = std::str::from_utf8(compact).ok();
    let brackets = count_brackets(compact, MAX_BRACKETS_FOR_SONIC);
    let mut wire = decode_fields(compact, text.filter(|_| brackets <= MAX_BRACKETS_FOR_SONIC))?;
    wire.is_daily_readable = true;
    Ok(wire)
}

/// Decodes a line that is not plain, reading all of it.
fn decode_whole(line: &[u8], is_utf8: bool) -> Result<WireLine<'_>, DecodeError> {
    let brackets = count_brackets(line, MAX_BRACKETS_FOR_SONIC.max(daily::DAILY_DEPTH_LIMIT));
    // sonic-rs only ever sees valid UTF-8: its `LazyValue` turns raw bytes into `&str` without
    // checking (a debug assertion, found by `never_panics_on_mutated_lines`). Invalid UTF-8
    // goes to serde_json, which, like ccusage, accepts it inside strings it does not read.
    let text = if is_utf8 {
        simdutf8::basic::from_utf8(line).ok()
    } else {
        None
    };
    // sonic-rs does not check the four hex digits of a `\u` escape in a string it skips, where
    // serde_json (and so ccusage) rejects the line: such lines go to serde_json.
    let escapes = unicode_escapes(line);
    let sonic_text = text.filter(|_| brackets <= MAX_BRACKETS_FOR_SONIC && !escapes.has_invalid);
    let mut wire = decode_fields(line, sonic_text)?;
    wire.is_daily_readable =
        daily::is_daily_readable(line, text.is_some(), brackets, escapes.has_surrogate);
    Ok(wire)
}

fn decode_fields<'a>(
    line: &'a [u8],
    sonic_text: Option<&'a str>,
) -> Result<WireLine<'a>, DecodeError> {
    if let Some(text) = sonic_text {
        if let Ok(raw) = sonic_rs::from_str::<RawLine<'_, sonic_rs::LazyValue<'_>>>(text) {
            return Ok(raw.into_wire(false));
        }
    }
    match serde_json::from_slice::<RawLine<'_, &serde_json::value::RawValue>>(line) {
        Ok(raw) => return Ok(raw.into_wire(false)),
        Err(error) if error.is_syntax() || error.is_eof() => return Err(DecodeError::Malformed),
        Err(_) => {}
    }
    if let Some(text) = sonic_text {
        if let Ok(raw) = sonic_rs::from_str::<RawProgress<'_, sonic_rs::LazyValue<'_>>>(text) {
            return Ok(raw.into_wire());
        }
    }
    serde_json::from_slice::<RawProgress<'_, &serde_json::value::RawValue>>(line)
        .map(RawProgress::into_wire)
        .map_err(|_| DecodeError::Schema)
}

/// What a line's `\u` escapes hold (real escapes only: preceded by an even run of backslashes).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct UnicodeEscapes {
    /// A `\uD800`-`\uDFFF` escape.
    has_surrogate: bool,
    /// A `\u` not followed by four hex digits.
    has_invalid: bool,
}

fn unicode_escapes(line: &[u8]) -> UnicodeEscapes {
    let mut found = UnicodeEscapes::default();
    for at in memchr::memmem::find_iter(line, b"\\u") {
        let backslashes = line[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 != 0 {
            continue;
        }
        match line.get(at + 2..at + 6) {
            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => {
                found.has_surrogate |= matches!(
                    hex[..2],
                    [b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F']
                );
            }
            _ => found.has_invalid = true,
        }
    }
    found
}

/// The number of `{` and `[` bytes, counted until it exceeds `limit`. Written so the compiler
/// vectorises the inner loop (a plain `filter().count()` cost a quarter of the whole scan).
fn count_brackets(line: &[u8], limit: usize) -> usize {
    let mut count = 0;
    let mut blocks = line.chunks_exact(64);
    for block in &mut blocks {
        // At most 64 per block, so a u8 cannot overflow.
        let mut in_block = 0_u8;
        for &byte in block {
            in_block += u8::from(byte == b'{') + u8::from(byte == b'[');
        }
        count += usize::from(in_block);
        if count > limit {
            return count;
        }
    }
    count
        + blocks
            .remainder()
            .iter()
            .filter(|&&b| b == b'{' || b == b'[')
            .count()
}

/// `Option<Cow<str>>` that borrows: serde's own impl for `Option<Cow>` always allocates,
/// which cost five allocations per usage line.
fn borrowed<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Option::<Borrowed<'a>>::deserialize(deserializer).map(|value| value.map(|inner| inner.0))
}

/// Raw JSON text of a value, from either decoder.
trait RawText {
    fn raw_text(&self) -> &str;
}

impl RawText for sonic_rs::LazyValue<'_> {
    fn raw_text(&self) -> &str {
        self.as_raw_str()
    }
}

impl RawText for &serde_json::value::RawValue {
    fn raw_text(&self) -> &str {
        self.get()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "I: Deserialize<'de>"))]
struct RawLine<'a, I> {
    #[serde(borrow, default, deserialize_with = "borrowed")]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: RawMessage<'a, I>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    request_id: Option<Cow<'a, str>>,
    is_api_error_message: Option<bool>,
    is_sidechain: Option<bool>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "I: Deserialize<'de>"))]
struct RawMessage<'a, I> {
    usage: RawUsage<I>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "I: Deserialize<'de>"))]
struct RawUsage<I> {
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    speed: Option<Speed>,
    #[serde(default)]
    cache_creation: Option<RawCacheCreation>,
    /// Kept raw: ccusage 20.0.24 reads advisor iterations leniently; a bad shape is ignored.
    #[serde(default)]
    iterations: Option<I>,
}

#[derive(Deserialize, Clone, Copy)]
pub(super) struct RawCacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: u64,
    #[serde(default)]
    ephemeral_1h_input_tokens: u64,
}

/// `{"data":{"message":{timestamp, message, costUSD?, requestId?, isSidechain?}}}`.
#[derive(Deserialize)]
#[serde(bound(deserialize = "I: Deserialize<'de>"))]
struct RawProgress<'a, I> {
    #[serde(borrow)]
    data: RawProgressData<'a, I>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "I: Deserialize<'de>"))]
struct RawProgressData<'a, I> {
    #[serde(borrow)]
    message: RawProgressMessage<'a, I>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "I: Deserialize<'de>"))]
struct RawProgressMessage<'a, I> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    message: RawMessage<'a, I>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    request_id: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
}

impl<I: RawText> RawUsage<I> {
    fn split(self) -> (TokenUsage, Option<Speed>, Option<String>) {
        let (write_5m, write_1h) = match self.cache_creation {
            Some(split) => (
                split.ephemeral_5m_input_tokens,
                split.ephemeral_1h_input_tokens,
            ),
            None => (self.cache_creation_input_tokens, 0),
        };
        let usage = TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_write_5m_tokens: write_5m,
            cache_write_1h_tokens: write_1h,
            cache_read_tokens: self.cache_read_input_tokens,
        };
        let advisors = self
            .iterations
            .map(|raw| raw.raw_text().to_owned())
            .filter(|text| text.contains("advisor_message"));
        (usage, self.speed, advisors)
    }
}

impl<'a, I: RawText> RawLine<'a, I> {
    fn into_wire(self, is_progress: bool) -> WireLine<'a> {
        let (usage, speed, advisor_iterations) = self.message.usage.split();
        WireLine {
            session_id: self.session_id,
            timestamp: self.timestamp,
            version: self.version,
            cost_usd: self.cost_usd,
            request_id: self.request_id,
            is_api_error_message: self.is_api_error_message,
            is_sidechain: self.is_sidechain,
            message_id: self.message.id,
            model: self.message.model,
            usage,
            speed,
            advisor_iterations,
            is_progress,
            is_daily_readable: true,
        }
    }
}

impl<'a, I: RawText> RawProgress<'a, I> {
    fn into_wire(self) -> WireLine<'a> {
        let inner = self.data.message;
        RawLine {
            session_id: None,
            timestamp: inner.timestamp,
            version: None,
            message: inner.message,
            cost_usd: inner.cost_usd,
            request_id: inner.request_id,
            is_api_error_message: None,
            is_sidechain: inner.is_sidechain,
        }
        .into_wire(true)
    }
}

/// One `usage.iterations[]` item of type `advisor_message`.
#[derive(Deserialize)]
pub(super) struct AdvisorIteration<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) model: Cow<'a, str>,
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    pub(super) speed: Option<Speed>,
    #[serde(default)]
    cache_creation: Option<RawCacheCreation>,
}

impl AdvisorIteration<'_> {
    pub(super) fn usage(&self) -> TokenUsage {
        let (write_5m, write_1h) = match self.cache_creation {
            Some(split) => (
                split.ephemeral_5m_input_tokens,
                split.ephemeral_1h_input_tokens,
            ),
            None => (self.cache_creation_input_tokens, 0),
        };
        TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_write_5m_tokens: write_5m,
            cache_write_1h_tokens: write_1h,
            cache_read_tokens: self.cache_read_input_tokens,
        }
    }
}

/// The `advisor_message` iterations of a raw `iterations` array, with their indexes. Decoded
/// with serde_json (rare, and never recursive enough to matter).
pub(super) fn advisor_iterations(raw: &str) -> Vec<(usize, AdvisorIteration<'_>)> {
    let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(raw) else {
        return Vec::new();
    };
    items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let iteration = serde_json::from_str::<AdvisorIteration<'_>>(item.get()).ok()?;
            (iteration.kind == "advisor_message").then_some((index, iteration))
        })
        .collect()
}

mod daily;
mod fields;
mod skim;

#[cfg(test)]
mod tests;
