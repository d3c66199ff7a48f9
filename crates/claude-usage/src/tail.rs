//! The live tail: parse only the complete lines appended to a transcript since an offset.
//!
//! Sits beside the cold scan for the daemon's watcher. The offset always points just after a
//! `\n`; a partial last line is left for the next call, so a writer flushing mid-line never
//! produces a malformed count or a lost entry.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
    path::Path,
};

use crate::{
    entry::UsageEntry,
    parse::LineParser,
    scan::{parse_lines, LineCounts, TrailingLine},
};

/// What one tail read found.
#[derive(Debug, Default)]
pub struct TailRead {
    /// Entries of the complete lines read, in file order (not deduped).
    pub entries: Vec<UsageEntry>,
    /// Where the next read starts: just after the last complete line.
    pub new_offset: u64,
    /// Line counts of the lines read.
    pub counts: LineCounts,
    /// The file was shorter than the offset (truncated or replaced), so it was read from the
    /// start; the caller should forget what it had from this path before adding `entries`.
    pub restarted: bool,
}

/// The most bytes one read holds: a read of more stops at the last complete line before this,
/// and the next read goes on from there. It also bounds one line: a line this long without a
/// newline (no real transcript line comes near) is skipped and counted as malformed, so a huge
/// unfinished line costs neither unbounded memory nor a re-read of it at every call.
pub const MAX_READ_BYTES: u64 = 64 << 20;

/// Reads the complete lines of `path` from `offset` on, at most [`MAX_READ_BYTES`] at a time.
///
/// `parser` must carry this file's origin; `buffer` is reused between calls to avoid an
/// allocation per event. On return it holds exactly the bytes consumed (from the read's start to
/// `new_offset`), or is empty when an oversize line was skipped.
pub fn read_appended(
    path: &Path,
    offset: u64,
    parser: &mut LineParser,
    buffer: &mut Vec<u8>,
) -> io::Result<TailRead> {
    read_capped(path, offset, parser, buffer, MAX_READ_BYTES)
}

/// [`read_appended`] with the cap as a parameter (tests use a small one).
fn read_capped(
    path: &Path,
    offset: u64,
    parser: &mut LineParser,
    buffer: &mut Vec<u8>,
    cap: u64,
) -> io::Result<TailRead> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let (start, restarted) = if len < offset {
        (0, true)
    } else {
        (offset, false)
    };
    file.seek(SeekFrom::Start(start))?;
    buffer.clear();
    let want = (len - start).min(cap);
    buffer.reserve_exact(usize::try_from(want).unwrap_or(usize::MAX));
    (&mut file).take(want).read_to_end(buffer)?;
    let mut read = TailRead {
        restarted,
        ..TailRead::default()
    };
    let (counts, consumed) =
        parse_lines(parser, buffer, start, TrailingLine::Wait, &mut read.entries);
    read.counts = counts;
    read.new_offset = start + consumed as u64;
    if consumed == 0 && buffer.len() as u64 >= cap {
        // One line longer than any real one: skip it, through its newline if it has one.
        let skipped_to = skip_line(&mut file, start + buffer.len() as u64, len)?;
        read.counts.malformed_lines += 1;
        read.new_offset = skipped_to;
        buffer.clear();
    } else {
        buffer.truncate(consumed);
    }
    Ok(read)
}

/// The offset just past the next newline at or after `from` (the file's read position), or
/// `len` when there is none; reads in small chunks, holding none of it.
fn skip_line(file: &mut File, from: u64, len: u64) -> io::Result<u64> {
    let mut chunk = vec![0u8; 1 << 16];
    let mut at = from;
    while at < len {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        if let Some(newline) = memchr::memchr(b'\n', &chunk[..n]) {
            return Ok(at + newline as u64 + 1);
        }
        at += n as u64;
    }
    Ok(at.min(len))
}

#[cfg(test)]
mod tests {
    use std::{fs::OpenOptions, io::Write};

    use super::*;
    use crate::{discover::FileOrigin, pricing::PriceTable};

    const LINE: &str = r#"{"timestamp":"2026-01-05T10:00:00.000Z","requestId":"r","message":{"id":"m","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":2}}}"#;

    #[test]
    fn waits_for_the_newline_and_restarts_after_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projects/p/s.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut parser = LineParser::new(FileOrigin::from_path(&path), PriceTable::embedded());
        let mut buffer = Vec::new();
        let (head, tail) = LINE.split_at(40);
        std::fs::write(&path, format!("{LINE}\r\n{head}")).unwrap();

        let first = read_appended(&path, 0, &mut parser, &mut buffer).unwrap();
        assert_eq!(first.entries.len(), 1);
        assert_eq!(first.new_offset as usize, LINE.len() + 2);
        assert_eq!(first.counts.malformed_lines, 0);

        let again = read_appended(&path, first.new_offset, &mut parser, &mut buffer).unwrap();
        assert!(again.entries.is_empty());
        assert_eq!(again.new_offset, first.new_offset);

        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        write!(file, "{tail}\nnot json\n").unwrap();
        let second = read_appended(&path, first.new_offset, &mut parser, &mut buffer).unwrap();
        assert_eq!(second.entries.len(), 1);
        assert_eq!(second.entries[0].line_offset, first.new_offset);
        assert_eq!(second.counts.malformed_lines, 1);

        std::fs::write(&path, format!("{LINE}\n")).unwrap();
        let third = read_appended(&path, second.new_offset, &mut parser, &mut buffer).unwrap();
        assert!(third.restarted);
        assert_eq!(third.entries.len(), 1);
    }

    #[test]
    fn a_line_over_the_cap_is_skipped_and_counted_without_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projects/p/s.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut parser = LineParser::new(FileOrigin::from_path(&path), PriceTable::embedded());
        let mut buffer = Vec::new();
        const CAP: u64 = 4096;
        // A sparse file: one line of 200 KiB zeros, unfinished.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(200 << 10).unwrap();
        drop(file);
        let first = read_capped(&path, 0, &mut parser, &mut buffer, CAP).unwrap();
        assert_eq!(first.counts.malformed_lines, 1);
        assert_eq!(first.new_offset, 200 << 10);
        assert!(
            buffer.capacity() <= 2 * CAP as usize,
            "{}",
            buffer.capacity()
        );
        // The line ends and a real one follows: the rest of the long line is one malformed
        // line, the real one counts.
        let mut append = OpenOptions::new().append(true).open(&path).unwrap();
        write!(append, "xyz\n{LINE}\n").unwrap();
        let next = read_capped(&path, first.new_offset, &mut parser, &mut buffer, CAP).unwrap();
        assert_eq!(next.entries.len(), 1);
        assert_eq!(next.counts.malformed_lines, 1);
    }

    #[test]
    fn a_long_read_stops_at_the_cap_and_goes_on_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projects/p/s.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut parser = LineParser::new(FileOrigin::from_path(&path), PriceTable::embedded());
        let mut buffer = Vec::new();
        const CAP: u64 = 4096;
        let line = format!("{LINE}\n");
        let lines = (CAP as usize / line.len()) * 2 + 10;
        std::fs::write(&path, line.repeat(lines)).unwrap();
        let mut offset = 0;
        let mut entries = 0;
        for _ in 0..4 {
            let read = read_capped(&path, offset, &mut parser, &mut buffer, CAP).unwrap();
            entries += read.entries.len();
            offset = read.new_offset;
        }
        assert_eq!(entries, lines);
        assert_eq!(offset as usize, lines * line.len());
    }
}
