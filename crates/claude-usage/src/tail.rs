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

/// Reads the complete lines of `path` from `offset` to the end of file.
///
/// `parser` must carry this file's origin; `buffer` is reused between calls to avoid an
/// allocation per event.
pub fn read_appended(
    path: &Path,
    offset: u64,
    parser: &mut LineParser,
    buffer: &mut Vec<u8>,
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
    file.take(len - start).read_to_end(buffer)?;
    let mut read = TailRead {
        restarted,
        ..TailRead::default()
    };
    let (counts, consumed) =
        parse_lines(parser, buffer, start, TrailingLine::Wait, &mut read.entries);
    read.counts = counts;
    read.new_offset = start + consumed as u64;
    Ok(read)
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
}
