//! A record's payload: its line counts, its strings, and its entries, each a few varints
//! with ids as indexes into the record's strings (layout in `format.rs`).

use std::{collections::HashMap, sync::Arc};

use super::{
    bytes::{put_varint, unzigzag, zigzag, Reader},
    format::{FileCounts, FormatError},
};
use crate::discover::FileOrigin;
use crate::entry::{Speed, TokenUsage, UsageEntry};

const HAS_MESSAGE: u8 = 1;
const HAS_REQUEST: u8 = 1 << 1;
const HAS_MODEL: u8 = 1 << 2;
const HAS_DISPLAY: u8 = 1 << 3;
const IS_SIDECHAIN: u8 = 1 << 4;
const IS_PROGRESS: u8 = 1 << 5;
const IS_DAILY_READABLE: u8 = 1 << 6;
const IS_UNPRICED: u8 = 1 << 7;
const SPEED_MASK: u8 = 0b11;
const HAS_RESET: u8 = 1 << 2;
const HAS_COST_FIELD: u8 = 1 << 3;

/// Interns the strings of one record.
#[derive(Default)]
struct Strings<'a> {
    list: Vec<&'a str>,
    index: HashMap<&'a str, u64>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, text: &'a str) -> u64 {
        let next = self.list.len() as u64;
        *self.index.entry(text).or_insert_with(|| {
            self.list.push(text);
            next
        })
    }
}

pub(super) fn encode_payload(out: &mut Vec<u8>, entries: &[UsageEntry]) {
    let mut strings = Strings::default();
    let mut body = Vec::with_capacity(entries.len() * 24);
    let (mut last_ms, mut last_offset) = (0_i64, 0_u64);
    for entry in entries {
        let mut flags = 0;
        for (is_set, bit) in [
            (entry.message_id.is_some(), HAS_MESSAGE),
            (entry.request_id.is_some(), HAS_REQUEST),
            (entry.model.is_some(), HAS_MODEL),
            (entry.display_model.is_some(), HAS_DISPLAY),
            (entry.is_sidechain, IS_SIDECHAIN),
            (entry.is_progress, IS_PROGRESS),
            (entry.is_daily_readable, IS_DAILY_READABLE),
            (entry.is_unpriced, IS_UNPRICED),
        ] {
            if is_set {
                flags |= bit;
            }
        }
        let speed = match entry.speed {
            None => 0,
            Some(Speed::Standard) => 1,
            Some(Speed::Fast) => 2,
        };
        let reset = if entry.usage_limit_reset_ms.is_some() {
            HAS_RESET
        } else {
            0
        };
        let cost_field = if entry.has_cost_field {
            HAS_COST_FIELD
        } else {
            0
        };
        body.push(flags);
        body.push(speed | reset | cost_field);
        put_varint(&mut body, zigzag(entry.timestamp_ms.wrapping_sub(last_ms)));
        put_varint(&mut body, entry.line_offset.wrapping_sub(last_offset));
        (last_ms, last_offset) = (entry.timestamp_ms, entry.line_offset);
        let texts = [
            entry.message_id.as_deref(),
            entry.request_id.as_deref(),
            entry.model.as_deref(),
            entry.display_model.as_deref(),
            Some(&*entry.session_id),
            Some(&*entry.project),
        ];
        for text in texts.into_iter().flatten() {
            put_varint(&mut body, strings.id(text));
        }
        let usage = &entry.usage;
        for count in [
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_write_5m_tokens,
            usage.cache_write_1h_tokens,
            usage.cache_read_tokens,
        ] {
            put_varint(&mut body, count);
        }
        body.extend_from_slice(&entry.cost_usd.to_bits().to_le_bytes());
        if let Some(reset_ms) = entry.usage_limit_reset_ms {
            put_varint(&mut body, zigzag(reset_ms));
        }
    }
    put_varint(out, strings.list.len() as u64);
    for text in &strings.list {
        put_varint(out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    put_varint(out, entries.len() as u64);
    out.extend_from_slice(&body);
}

/// Decodes a record's payload: its counts, and its entries (read from the file of `origin`)
/// into `out`.
pub(super) fn decode_payload(
    payload: &[u8],
    origin: &Arc<FileOrigin>,
    out: &mut Vec<UsageEntry>,
) -> Result<FileCounts, FormatError> {
    let mut reader = Reader::new(payload);
    let mut counts = FileCounts::default();
    for part in [&mut counts.complete, &mut counts.trailing] {
        part.usage_lines = reader.varint()?;
        part.skipped_lines = reader.varint()?;
        part.malformed_lines = reader.varint()?;
        part.rejected_lines = reader.varint()?;
    }
    let count = reader.varint()?;
    let mut strings = StringTable {
        texts: Vec::with_capacity(count.min(payload.len() as u64) as usize),
        shared: Vec::new(),
    };
    for _ in 0..count {
        let len = reader.varint()?;
        let bytes = reader.take(usize::try_from(len).map_err(|_| FormatError::Damaged)?)?;
        strings
            .texts
            .push(std::str::from_utf8(bytes).map_err(|_| FormatError::Damaged)?);
    }
    strings.shared = vec![None; strings.texts.len()];
    let entries = reader.varint()?;
    out.reserve(entries.min(payload.len() as u64) as usize);
    let mut previous = (0_i64, 0_u64);
    for _ in 0..entries {
        let entry = decode_entry(&mut reader, &mut strings, origin, previous)?;
        previous = (entry.timestamp_ms, entry.line_offset);
        out.push(entry);
    }
    if !reader.is_empty() {
        return Err(FormatError::Damaged);
    }
    Ok(counts)
}

/// The strings of one record; shared names become one `Arc` each, made on first use.
struct StringTable<'a> {
    texts: Vec<&'a str>,
    shared: Vec<Option<Arc<str>>>,
}

impl StringTable<'_> {
    fn text(&self, index: u64) -> Result<Box<str>, FormatError> {
        let index = usize::try_from(index).map_err(|_| FormatError::Damaged)?;
        self.texts
            .get(index)
            .map(|text| Box::from(*text))
            .ok_or(FormatError::Damaged)
    }

    fn arc(&mut self, index: u64) -> Result<Arc<str>, FormatError> {
        let index = usize::try_from(index).map_err(|_| FormatError::Damaged)?;
        let text = *self.texts.get(index).ok_or(FormatError::Damaged)?;
        let slot = self.shared.get_mut(index).ok_or(FormatError::Damaged)?;
        Ok(Arc::clone(slot.get_or_insert_with(|| Arc::from(text))))
    }
}

/// One entry; `previous` is the timestamp and offset its deltas are from.
fn decode_entry(
    reader: &mut Reader<'_>,
    strings: &mut StringTable<'_>,
    origin: &Arc<FileOrigin>,
    previous: (i64, u64),
) -> Result<UsageEntry, FormatError> {
    let flags = reader.u8()?;
    let extra = reader.u8()?;
    let timestamp_ms = previous.0.wrapping_add(unzigzag(reader.varint()?));
    let line_offset = previous.1.wrapping_add(reader.varint()?);
    let message_id = optional(flags & HAS_MESSAGE, reader, |i| strings.text(i))?;
    let request_id = optional(flags & HAS_REQUEST, reader, |i| strings.text(i))?;
    let model = optional(flags & HAS_MODEL, reader, |i| strings.arc(i))?;
    let display_model = optional(flags & HAS_DISPLAY, reader, |i| strings.arc(i))?;
    let session_id = strings.arc(reader.varint()?)?;
    let project = strings.arc(reader.varint()?)?;
    let usage = TokenUsage {
        input_tokens: reader.varint()?,
        output_tokens: reader.varint()?,
        cache_write_5m_tokens: reader.varint()?,
        cache_write_1h_tokens: reader.varint()?,
        cache_read_tokens: reader.varint()?,
    };
    let cost_usd = f64::from_bits(reader.u64()?);
    let speed = match extra & SPEED_MASK {
        0 => None,
        1 => Some(Speed::Standard),
        2 => Some(Speed::Fast),
        _ => return Err(FormatError::Damaged),
    };
    let usage_limit_reset_ms = if extra & HAS_RESET != 0 {
        Some(unzigzag(reader.varint()?))
    } else {
        None
    };
    Ok(UsageEntry {
        timestamp_ms,
        message_id,
        request_id,
        model,
        display_model,
        usage,
        cost_usd,
        is_unpriced: flags & IS_UNPRICED != 0,
        session_id,
        project,
        origin: Arc::clone(origin),
        has_cost_field: extra & HAS_COST_FIELD != 0,
        is_sidechain: flags & IS_SIDECHAIN != 0,
        speed,
        is_progress: flags & IS_PROGRESS != 0,
        is_daily_readable: flags & IS_DAILY_READABLE != 0,
        usage_limit_reset_ms,
        line_offset,
    })
}

fn optional<T>(
    is_set: u8,
    reader: &mut Reader<'_>,
    mut make: impl FnMut(u64) -> Result<T, FormatError>,
) -> Result<Option<T>, FormatError> {
    if is_set == 0 {
        return Ok(None);
    }
    make(reader.varint()?).map(Some)
}
