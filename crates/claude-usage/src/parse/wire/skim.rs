//! The validating skim: one pass over a usage line that proves it is plain, valid JSON, and
//! notes where the schema's fields are and which values the schema ignores.
//!
//! The large `message.content` array (prompt text, tool calls, thinking signatures) is checked
//! here at memory speed, 16 bytes at a time, and never built; the fields are then read from
//! their noted places ([`super::fields`]), or, for an unusual shape, decoded by serde from a
//! compacted copy, a few hundred bytes with every ignored value replaced by `0`. "Plain" is
//! deliberately narrower than valid JSON: a line that is not plain is decoded whole, exactly as
//! before, so serde_json keeps the last word on every line that is unusual in any way.
//!
//! A plain line is one JSON object, optionally surrounded by JSON whitespace, in which:
//! * every string is closed, holds no byte below 0x20 and only the escapes of RFC 8259, and no
//!   `\u` escape in the surrogate range `D800`-`DFFF`;
//! * every number has JSON's grammar without an exponent and is at most [`MAX_NUMBER_BYTES`]
//!   long (so each is within f64 range, as ccusage's daily loader requires);
//! * nesting is at most [`MAX_DEPTH`] deep;
//! * the keys of the objects the schema reads (the line, `message`, `message.usage`,
//!   `usage.cache_creation`) hold no escape, since they are compared as bytes;
//! * and the caller has checked that the whole line is UTF-8.
//!
//! On a plain line every value is valid JSON, so removing one the schema ignores cannot change
//! what serde_json or sonic-rs decide about the rest, and ccusage's daily loader reads it.

use super::fields::{Field, FieldSpans};

/// Nesting depth allowed in a plain line (the top-level object is depth 1): below serde_json's
/// recursion limit (128) and the daily loader's (`daily::DAILY_DEPTH_LIMIT`), and within the
/// one-bit-per-level stack of [`Skim::value`].
const MAX_DEPTH: usize = 64;
/// Longest number in a plain line: 300 digits without an exponent stay within f64 range.
const MAX_NUMBER_BYTES: usize = 300;

/// What to do with the value of a member.
#[derive(Clone, Copy)]
enum Member {
    /// Check it and keep it, noting where it is if the schema reads it.
    Keep(Option<Field>),
    /// Check it; the compacted copy has `0` in its place.
    Replace,
    /// Note where it is (if the schema reads it); if an object, sort its own members with the
    /// function.
    Object(Option<Field>, fn(&[u8]) -> Member),
}

/// Top-level keys (`RawLine`, and `data` of `RawProgress`).
fn line_member(key: &[u8]) -> Member {
    let field = match key {
        b"message" => return Member::Object(Some(Field::Message), message_member),
        b"data" => return Member::Object(None, progress_data_member),
        b"sessionId" => Field::SessionId,
        b"timestamp" => Field::Timestamp,
        b"version" => Field::Version,
        b"costUSD" => Field::CostUsd,
        b"requestId" => Field::RequestId,
        b"isApiErrorMessage" => Field::IsApiErrorMessage,
        b"isSidechain" => Field::IsSidechain,
        _ => return Member::Replace,
    };
    Member::Keep(Some(field))
}

/// Keys of `message` (`RawMessage`).
fn message_member(key: &[u8]) -> Member {
    match key {
        b"usage" => Member::Object(Some(Field::Usage), usage_member),
        b"model" => Member::Keep(Some(Field::Model)),
        b"id" => Member::Keep(Some(Field::MessageId)),
        _ => Member::Replace,
    }
}

/// Keys of `message.usage` (`RawUsage`).
fn usage_member(key: &[u8]) -> Member {
    let field = match key {
        b"cache_creation" => {
            return Member::Object(Some(Field::CacheCreation), cache_creation_member)
        }
        b"input_tokens" => Field::InputTokens,
        b"output_tokens" => Field::OutputTokens,
        b"cache_creation_input_tokens" => Field::CacheCreationInputTokens,
        b"cache_read_input_tokens" => Field::CacheReadInputTokens,
        b"speed" => Field::Speed,
        b"iterations" => Field::Iterations,
        _ => return Member::Replace,
    };
    Member::Keep(Some(field))
}

/// Keys of `data` (`RawProgressData`): an agent's progress line wraps a whole message, which
/// is compacted too but read only by serde (its fields are not noted).
fn progress_data_member(key: &[u8]) -> Member {
    match key {
        b"message" => Member::Object(None, progress_member),
        _ => Member::Replace,
    }
}

/// Keys of `data.message` (`RawProgressMessage`).
fn progress_member(key: &[u8]) -> Member {
    match key {
        b"message" => Member::Object(None, progress_message_member),
        b"timestamp" | b"costUSD" | b"requestId" | b"isSidechain" => Member::Keep(None),
        _ => Member::Replace,
    }
}

/// Keys of `data.message.message` (`RawMessage`; its `usage` is kept whole).
fn progress_message_member(key: &[u8]) -> Member {
    match key {
        b"usage" | b"model" | b"id" => Member::Keep(None),
        _ => Member::Replace,
    }
}

/// Keys of `message.usage.cache_creation` (`RawCacheCreation`).
fn cache_creation_member(key: &[u8]) -> Member {
    match key {
        b"ephemeral_5m_input_tokens" => Member::Keep(Some(Field::Ephemeral5m)),
        b"ephemeral_1h_input_tokens" => Member::Keep(Some(Field::Ephemeral1h)),
        _ => Member::Replace,
    }
}

/// Checks that `line` is plain (see the module doc; the caller checks UTF-8), noting in
/// `spans` where the schema's fields are and in `cuts` the values it ignores. Returns whether
/// it was: when it was not, `spans` and `cuts` hold nothing useful.
pub(super) fn skim(line: &[u8], spans: &mut FieldSpans, cuts: &mut Vec<(usize, usize)>) -> bool {
    spans.clear();
    cuts.clear();
    let mut skim = Skim {
        bytes: line,
        at: 0,
        spans,
        cuts,
    };
    skim.line().is_some()
}

/// Writes into `out` the compacted copy of a plain `line`: each of its `cuts` replaced by `0`.
pub(super) fn compact(line: &[u8], cuts: &[(usize, usize)], out: &mut Vec<u8>) {
    out.clear();
    let mut copied = 0;
    for &(start, end) in cuts {
        out.extend_from_slice(&line[copied..start]);
        out.push(b'0');
        copied = end;
    }
    out.extend_from_slice(&line[copied..]);
}

struct Skim<'a> {
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
    spans: &'a mut FieldSpans,
    cuts: &'a mut Vec<(usize, usize)>,
}

impl Skim<'_> {
    fn line(&mut self) -> Option<()> {
        self.skip_whitespace();
        self.expect(b'{')?;
        self.members(1, line_member)?;
        self.skip_whitespace();
        (self.at == self.bytes.len()).then_some(())
    }

    /// The members of an object at `depth` whose `{` was read, through its `}`.
    fn members(&mut self, depth: usize, sort: fn(&[u8]) -> Member) -> Option<()> {
        self.skip_whitespace();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.expect(b'"')?;
            let key_start = self.at;
            if self.string()? {
                return None;
            }
            let key = &self.bytes[key_start..self.at - 1];
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            let value_start = self.at;
            match sort(key) {
                Member::Keep(field) => {
                    self.value(depth)?;
                    if let Some(field) = field {
                        self.spans.record(field, value_start, self.at);
                    }
                }
                Member::Replace => {
                    self.value(depth)?;
                    self.cuts.push((value_start, self.at));
                }
                Member::Object(field, inner) => {
                    if self.eat(b'{') {
                        if depth + 1 > MAX_DEPTH {
                            return None;
                        }
                        self.members(depth + 1, inner)?;
                    } else {
                        self.value(depth)?;
                    }
                    if let Some(field) = field {
                        self.spans.record(field, value_start, self.at);
                    }
                }
            }
            self.skip_whitespace();
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// One value inside a container at `depth`, checked without recursion: `arrays` holds one
    /// bit per open container, set for an array.
    fn value(&mut self, depth: usize) -> Option<()> {
        let mut open = 0_usize;
        let mut arrays = 0_u64;
        'value: loop {
            self.skip_whitespace();
            match self.next()? {
                byte @ (b'{' | b'[') => {
                    open += 1;
                    if depth + open > MAX_DEPTH {
                        return None;
                    }
                    let is_array = byte == b'[';
                    arrays = (arrays << 1) | u64::from(is_array);
                    self.skip_whitespace();
                    let close = if is_array { b']' } else { b'}' };
                    if !self.eat(close) {
                        if !is_array {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    open -= 1;
                    arrays >>= 1;
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"rue")?,
                b'f' => self.literal(b"alse")?,
                b'n' => self.literal(b"ull")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close containers until one continues with a comma.
            loop {
                if open == 0 {
                    return Some(());
                }
                self.skip_whitespace();
                let is_array = arrays & 1 == 1;
                match (self.next()?, is_array) {
                    (b',', true) => continue 'value,
                    (b',', false) => {
                        self.skip_whitespace();
                        self.key()?;
                        continue 'value;
                    }
                    (b']', true) | (b'}', false) => {
                        open -= 1;
                        arrays >>= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A key and its colon, inside an object.
    fn key(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.string()?;
        self.skip_whitespace();
        self.expect(b':')
    }

    /// The rest of a string whose `"` was read, through its closing `"`; whether it held an
    /// escape. Whole chunks are tested with a SIMD mask of their `"`, `\` and control bytes,
    /// and only the hits are looked at: the bytes between them, nearly all of a string, cost
    /// nothing more.
    fn string(&mut self) -> Option<bool> {
        let bytes = self.bytes;
        let mut at = self.at;
        let mut has_escape = false;
        loop {
            let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<CHUNK_BYTES>) else {
                // Less than a chunk left: byte by byte.
                loop {
                    match *bytes.get(at)? {
                        b'"' => {
                            self.at = at + 1;
                            return Some(has_escape);
                        }
                        b'\\' => {
                            at = escape_end(bytes, at)?;
                            has_escape = true;
                        }
                        byte if byte < 0x20 => return None,
                        _ => at += 1,
                    }
                }
            };
            let base = at;
            let mut mask = special_mask(chunk);
            while mask != 0 {
                let found = base + mask.trailing_zeros() as usize;
                match bytes[found] {
                    b'"' => {
                        self.at = found + 1;
                        return Some(has_escape);
                    }
                    b'\\' => {
                        at = escape_end(bytes, found)?;
                        has_escape = true;
                        // The escape's own bytes (an escaped `"` or `\`) are not hits.
                        let consumed = at - base;
                        mask = if consumed >= CHUNK_BYTES {
                            0
                        } else {
                            mask & (u32::MAX << consumed)
                        };
                    }
                    // A control byte: JSON strings cannot hold one.
                    _ => return None,
                }
            }
            at = at.max(base + CHUNK_BYTES);
        }
    }

    /// A number whose first byte was read: JSON's grammar without an exponent.
    fn number(&mut self) -> Option<()> {
        let start = self.at - 1;
        let first = if self.bytes[start] == b'-' {
            self.next()?
        } else {
            self.bytes[start]
        };
        match first {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            self.skip_digits();
        }
        let is_exponent = matches!(self.peek(), Some(b'e' | b'E'));
        (!is_exponent && self.at - start <= MAX_NUMBER_BYTES).then_some(())
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let end = self.at + rest.len();
        (self.bytes.get(self.at..end)? == rest).then(|| self.at = end)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let is_next = self.peek() == Some(byte);
        self.at += usize::from(is_next);
        is_next
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }
}

/// The end of the escape at `at` (a `\`), if it is one of RFC 8259's and not a surrogate.
fn escape_end(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(at + 2),
        b'u' => {
            let hex = bytes.get(at + 2..at + 6)?;
            let is_surrogate = matches!(
                hex[..2],
                [b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F']
            );
            (!is_surrogate && hex.iter().all(u8::is_ascii_hexdigit)).then_some(at + 6)
        }
        _ => None,
    }
}

// ---- The string scan's SIMD step: which of 16 bytes are a `"`, a `\` or a control byte.

/// Bytes examined per step of the string scan: one SSE2 vector. Most strings of a line are
/// short (keys, ids, types), and one vector usually holds their end.
const CHUNK_BYTES: usize = 16;

#[cfg(any(test, not(target_arch = "x86_64")))]
fn is_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// Bit `i` set when `chunk[i]` is special, all 16 bytes at once with SSE2.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn special_mask(chunk: &[u8; CHUNK_BYTES]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, so every CPU this code runs on has these
    // instructions; the unaligned load reads exactly the 16 bytes of `chunk`.
    let special = unsafe {
        let vector = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(vector, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(vector, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `byte <= 0x1f`: the smaller of the two is the byte itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(vector, _mm_set1_epi8(0x1f)), vector);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    // The movemask fills the low 16 bits only.
    special as u32 & 0xffff
}

/// Bit `i` set when `chunk[i]` is special (portable version).
#[cfg(not(target_arch = "x86_64"))]
fn special_mask(chunk: &[u8; CHUNK_BYTES]) -> u32 {
    let mut mask = 0_u32;
    for (index, &byte) in chunk.iter().enumerate() {
        mask |= u32::from(is_special(byte)) << index;
    }
    mask
}

#[cfg(test)]
mod tests;
