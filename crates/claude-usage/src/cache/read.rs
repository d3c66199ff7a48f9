//! The file side of the cache: a file's stamp (stat), the fingerprints of its head and tail,
//! and parsing from an offset to the end in bounded chunks.

use std::{
    fs::{File, Metadata},
    io::{self, Read, Seek, SeekFrom},
    path::Path,
};

use super::format::{FileCounts, FileStamp};
use crate::{
    entry::UsageEntry,
    hash::fast_hash,
    parse::LineParser,
    scan::{parse_lines, TrailingLine},
};

/// Bytes of the head and of the tail that the fingerprints cover. A file of up to twice this
/// is covered whole.
pub(super) const FINGERPRINT_BYTES: u64 = 4096;
/// Bytes read at a time when parsing from an offset: bounds memory for a large append.
const CHUNK_BYTES: usize = 4 << 20;

/// The identity of the file behind `meta` (size, times, inode); fingerprints and offsets 0.
pub(super) fn stamp_of(meta: &Metadata) -> FileStamp {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ns = |secs: i64, nanos: i64| secs.saturating_mul(1_000_000_000).saturating_add(nanos);
        FileStamp {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            ..FileStamp::default()
        }
    }
    #[cfg(not(unix))]
    {
        let ns = |time: io::Result<std::time::SystemTime>| {
            time.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        };
        FileStamp {
            size: meta.len(),
            mtime_ns: ns(meta.modified()),
            ctime_ns: ns(meta.created()),
            ..FileStamp::default()
        }
    }
}

/// The fingerprints of the bytes before `complete_offset`: its first and its last
/// [`FINGERPRINT_BYTES`].
pub(super) fn fingerprints(mut file: &File, complete_offset: u64) -> io::Result<(u64, u64)> {
    let window = complete_offset.min(FINGERPRINT_BYTES);
    let mut bytes = Vec::with_capacity(window as usize);
    let mut read = |start: u64, bytes: &mut Vec<u8>| -> io::Result<u64> {
        bytes.clear();
        file.seek(SeekFrom::Start(start))?;
        file.take(window).read_to_end(bytes)?;
        if bytes.len() as u64 != window {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(fast_hash(&bytes[..]))
    };
    let head = read(0, &mut bytes)?;
    let tail = read(complete_offset - window, &mut bytes)?;
    Ok((head, tail))
}

/// What parsing a file from an offset found.
#[derive(Debug, Default)]
pub(super) struct ParsedTail {
    pub(super) entries: Vec<UsageEntry>,
    pub(super) counts: FileCounts,
    /// Just after the last `\n` read.
    pub(super) complete_offset: u64,
    /// The end of the file as read.
    pub(super) end_offset: u64,
}

/// Parses `path` from `offset` (just after a `\n`, or 0) to its end, the unterminated last
/// line included, as [`TrailingLine::Parse`] does; at most [`CHUNK_BYTES`] (or one line) are
/// held at a time.
pub(super) fn parse_from(
    file: &mut File,
    offset: u64,
    parser: &mut LineParser,
    buffer: &mut Vec<u8>,
) -> io::Result<ParsedTail> {
    file.seek(SeekFrom::Start(offset))?;
    let mut tail = ParsedTail {
        complete_offset: offset,
        ..ParsedTail::default()
    };
    buffer.clear();
    loop {
        let before = buffer.len();
        file.take(CHUNK_BYTES as u64).read_to_end(buffer)?;
        let is_end = buffer.len() == before;
        if is_end {
            let (counts, used) = parse_lines(
                parser,
                buffer,
                tail.complete_offset,
                TrailingLine::Parse,
                &mut tail.entries,
            );
            tail.counts.trailing = counts;
            tail.end_offset = tail.complete_offset + used as u64;
            return Ok(tail);
        }
        let (counts, used) = parse_lines(
            parser,
            buffer,
            tail.complete_offset,
            TrailingLine::Wait,
            &mut tail.entries,
        );
        tail.counts.complete.add(&counts);
        tail.complete_offset += used as u64;
        buffer.drain(..used);
    }
}

/// Opens `path` read-only (every transcript is opened so).
pub(super) fn open(path: &Path) -> io::Result<File> {
    File::open(path)
}
