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

use super::{
    bytes::{put_varint, Reader},
    payload::encode_payload,
};
use crate::{entry::UsageEntry, scan::LineCounts};

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
}
