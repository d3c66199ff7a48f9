//! The cache file's bytes: a header, then one self-contained record per transcript file.
//!
//! ```text
//! header   magic "CGRC", format u32, build u64, written_now_ms i64, body_len u64, body_crc u32
//! body     record*
//! record   len u32 (of what follows), path (len u32 + bytes), FileStamp, counts, strings,
//!          entries
//! counts   the LineCounts of the complete lines, then of the unterminated last line
//! strings  count varint, (len varint + bytes)*
//! entries  count varint, entry*
//! entry    flags u8, speed/reset u8, timestamp delta (zigzag), offset delta, string indexes,
//!          five token counts, cost (f64 bits), reset time (zigzag) if any
//! ```
//!
//! Little-endian, integers as LEB128 varints where they are small. Strings (ids, models,
//! sessions) are stored once per record and referenced by index, so the copies Claude Code
//! writes of one response cost a few bytes each. Every read is bounds-checked: a damaged body
//! is a [`FormatError`], never a panic; the CRC over the body catches the rest.
//!
//! One file for the whole format: the header and records, each record's payload (its counts,
//! strings and entries), and the bounds-checked byte cursor both are read with.

use std::{collections::HashMap, sync::Arc};

use crate::{
    discover::FileOrigin,
    entry::{Speed, TokenUsage, UsageEntry},
    scan::LineCounts,
};

/// The first bytes of every cache file.
pub(super) const MAGIC: &[u8; 4] = b"CGRC";
/// Bumped whenever the layout below changes.
pub(super) const FORMAT_VERSION: u32 = 1;
/// Header bytes before the body.
pub(super) const HEADER_BYTES: usize = 4 + 4 + 8 + 8 + 8 + 4;

/// Why a cache file (or one record of it) cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file ends before its header or body does.
    #[error("cache file is truncated")]
    Truncated,
    /// Not a cache file, or one of another format or build.
    #[error("cache file is of another version")]
    Version,
    /// The body's checksum does not match.
    #[error("cache file checksum mismatch")]
    Checksum,
    /// A record does not decode.
    #[error("cache record is damaged")]
    Damaged,
}

/// The header of a cache file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// Which build of this crate wrote the file (a hash of the crate's sources, `build.rs`).
    pub(super) build: u64,
    /// The `now` of the run that wrote it, UTC milliseconds.
    pub(super) written_now_ms: i64,
}

/// What a file looked like when its entries were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct FileStamp {
    pub(super) device: u64,
    pub(super) inode: u64,
    /// Bytes read: the file's length when it was parsed.
    pub(super) size: u64,
    pub(super) mtime_ns: i64,
    pub(super) ctime_ns: i64,
    /// The offset just after the last `\n` read: an append is parsed from here.
    pub(super) complete_offset: u64,
    /// Fingerprint of the first bytes of the file (up to `complete_offset`).
    pub(super) head_fingerprint: u64,
    /// Fingerprint of the last bytes before `complete_offset`.
    pub(super) tail_fingerprint: u64,
}

const STAMP_BYTES: usize = 8 * 8;

/// Encodes the header for a body.
pub(super) fn header_bytes(header: Header, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&header.build.to_le_bytes());
    out.extend_from_slice(&header.written_now_ms.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out
}

/// Checks the header and checksum of a whole cache file; returns the header and the body.
pub(super) fn split_file(bytes: &[u8], build: u64) -> Result<(Header, &[u8]), FormatError> {
    let mut reader = Reader::new(bytes);
    let magic = reader.take(4).map_err(|_| FormatError::Version)?;
    if magic != MAGIC {
        return Err(FormatError::Version);
    }
    let version = reader.u32().map_err(|_| FormatError::Truncated)?;
    let file_build = reader.u64().map_err(|_| FormatError::Truncated)?;
    if version != FORMAT_VERSION || file_build != build {
        return Err(FormatError::Version);
    }
    let written_now_ms = reader.u64().map_err(|_| FormatError::Truncated)? as i64;
    let body_len = reader.u64().map_err(|_| FormatError::Truncated)?;
    let crc = reader.u32().map_err(|_| FormatError::Truncated)?;
    let body = reader.rest();
    if body.len() as u64 != body_len {
        return Err(FormatError::Truncated);
    }
    if crc32fast::hash(body) != crc {
        return Err(FormatError::Checksum);
    }
    Ok((
        Header {
            build,
            written_now_ms,
        },
        body,
    ))
}

/// One record as found in a body: its path, stamp, and the undecoded rest.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawRecord<'a> {
    pub(super) path: &'a [u8],
    pub(super) stamp: FileStamp,
    /// The whole record, length prefix included, for copying it unchanged.
    pub(super) bytes: &'a [u8],
    /// Strings and entries.
    pub(super) payload: &'a [u8],
}

/// Splits a checked body into its records.
pub(super) fn records(body: &[u8]) -> Result<Vec<RawRecord<'_>>, FormatError> {
    let mut reader = Reader::new(body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        let start = reader.position;
        let len = reader.u32()? as usize;
        let inner = reader.take(len)?;
        let bytes = &body[start..reader.position];
        let mut inner = Reader::new(inner);
        let path_len = inner.u32()? as usize;
        let path = inner.take(path_len)?;
        let stamp_bytes = inner.take(STAMP_BYTES)?;
        let mut stamp_reader = Reader::new(stamp_bytes);
        let mut next = || stamp_reader.u64();
        let stamp = FileStamp {
            device: next()?,
            inode: next()?,
            size: next()?,
            mtime_ns: next()? as i64,
            ctime_ns: next()? as i64,
            complete_offset: next()?,
            head_fingerprint: next()?,
            tail_fingerprint: next()?,
        };
        out.push(RawRecord {
            path,
            stamp,
            bytes,
            payload: inner.rest(),
        });
    }
    Ok(out)
}

/// Appends the record of one file to `out`.
pub(super) fn encode_record(
    out: &mut Vec<u8>,
    path: &[u8],
    stamp: &FileStamp,
    counts: &FileCounts,
    entries: &[UsageEntry],
) {
    let start = out.len();
    out.extend_from_slice(&0_u32.to_le_bytes());
    out.extend_from_slice(&(path.len() as u32).to_le_bytes());
    out.extend_from_slice(path);
    for value in [
        stamp.device,
        stamp.inode,
        stamp.size,
        stamp.mtime_ns as u64,
        stamp.ctime_ns as u64,
        stamp.complete_offset,
        stamp.head_fingerprint,
        stamp.tail_fingerprint,
    ] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    for part in [&counts.complete, &counts.trailing] {
        for value in [
            part.usage_lines,
            part.skipped_lines,
            part.malformed_lines,
            part.rejected_lines,
        ] {
            put_varint(out, value);
        }
    }
    encode_payload(out, entries);
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Line counts of one file, split where an append resumes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FileCounts {
    /// Lines before [`FileStamp::complete_offset`].
    pub(super) complete: LineCounts,
    /// The unterminated last line, if any (read again after an append).
    pub(super) trailing: LineCounts,
}

// ---- A record's payload: its line counts, its strings, and its entries, each a few varints
// with ids as indexes into the record's strings.

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

fn encode_payload(out: &mut Vec<u8>, entries: &[UsageEntry]) {
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

// ---- Little-endian integers and LEB128 varints, read through a bounds-checked cursor: a
// damaged cache is an error, never a panic.

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A bounds-checked cursor over bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    fn is_empty(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.position..).unwrap_or_default()
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], FormatError> {
        let end = self.position.checked_add(len).ok_or(FormatError::Damaged)?;
        let bytes = self
            .bytes
            .get(self.position..end)
            .ok_or(FormatError::Damaged)?;
        self.position = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        let mut word = [0; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word))
    }

    fn u64(&mut self) -> Result<u64, FormatError> {
        let mut word = [0; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(word))
    }

    fn varint(&mut self) -> Result<u64, FormatError> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FormatError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_record_is_an_error_not_a_panic() {
        let mut body = Vec::new();
        encode_record(
            &mut body,
            b"/p/a.jsonl",
            &FileStamp::default(),
            &FileCounts::default(),
            &[],
        );
        for len in 1..body.len() {
            assert!(records(&body[..len]).is_err(), "{len}");
        }
        assert_eq!(records(&body).map(|r| r.len()), Ok(1));
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        for value in [0, 1, 127, 128, 300, u64::MAX, 1 << 63] {
            let mut bytes = Vec::new();
            put_varint(&mut bytes, value);
            assert_eq!(Reader::new(&bytes).varint(), Ok(value));
        }
        for value in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
    }
}
