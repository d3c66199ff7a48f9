//! Harness of the `tail_reader` fuzz target: a transcript that grows, is cut and is rewritten
//! under [`read_appended`], driven by the input bytes.
//!
//! Shared by `fuzz/fuzz_targets/tail_reader.rs` (libFuzzer, nightly) and
//! `crates/claude-usage/tests/fuzz_replay.rs` (the saved corpus, stable). The input is a program:
//! each step's first byte picks an operation (low three bits) and whether to read the file
//! after it (high bit clear); the following bytes are its operands. Any broken invariant panics.
//!
//! The invariants are the ones `read_appended` guarantees whatever happens to the file:
//! - it does not panic or fail on a readable file;
//! - `restarted` is exactly "the file is shorter than the offset"; the new offset lies between
//!   where the read started and the file's length, just after a `\n` when it moved, with no
//!   `\n` after it (every complete line is consumed, a partial one never), and each line
//!   consumed is counted once as usage, skipped or malformed;
//! - each entry's `line_offset` is the start of a line inside the bytes read, and the buffer
//!   holds exactly the bytes consumed;
//! - while the consumed prefix of the file is unchanged (appends, cuts at or after the offset,
//!   and any change followed by a read that restarted), the entries read so far, after
//!   forgetting those before a restart as a caller must, equal one read of the whole file.
//!
//! A rewrite that changes bytes before the offset without making the file shorter cannot be
//! seen by `read_appended`, which knows only an offset (the daemon's tracker compares a
//! fingerprint of the read prefix for that), so the last invariant is not checked then.

use std::{fs, io::Write, path::Path};

use claude_usage::{read_appended, FileOrigin, LineParser, PriceTable, TailRead, UsageEntry};

/// Steps per input, and bytes a file may reach: enough for every shape, small enough to keep
/// an execution fast. (Far below `MAX_READ_BYTES`, so every read takes the whole rest of the
/// file; the oversize-line skip is left to `tail.rs`'s own tests.)
const MAX_STEPS: usize = 64;
const MAX_FILE_BYTES: usize = 16 * 1024;

/// Lines a step can append whole (or in two pieces), so that the fuzzer meets real usage
/// entries without having to invent JSON. `#` is replaced by a digit to vary the ids.
const TEMPLATES: [&str; 4] = [
    r#"{"timestamp":"2026-01-05T10:00:00.000Z","requestId":"r#","message":{"id":"m#","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":2}}}"#,
    r#"{"sessionId":"s#","timestamp":"2026-01-05T11:00:00Z","version":"2.0.1","costUSD":0.5,"message":{"id":"m#","model":"claude-opus-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":7,"output_tokens":3,"speed":"fast"}}}"#,
    r#"{"type":"user","message":{"role":"user","content":"héllo #"}}"#,
    r#"{"timestamp":"2026-01-05T12:00:00.000Z","isApiErrorMessage":true,"message":{"id":"m#","model":"<synthetic>","content":[{"type":"text","text":"Claude AI usage limit reached|1767618000"}],"usage":{"input_tokens":0,"output_tokens":0}}}"#,
];

/// The byte-driven reader of a program.
struct Program<'a>(&'a [u8]);

impl Program<'_> {
    fn byte(&mut self) -> u8 {
        let (&first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        first
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let len = len.min(self.0.len());
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        head.to_vec()
    }

    fn u16(&mut self) -> usize {
        usize::from(u16::from_le_bytes([self.byte(), self.byte()]))
    }
}

/// The reader's state and what the test knows of the file.
struct Tail<'p> {
    path: &'p Path,
    parser: LineParser,
    buffer: Vec<u8>,
    /// The file's content, as written by the test.
    content: Vec<u8>,
    offset: u64,
    /// Entries read since the last restart, as a caller keeps them.
    entries: Vec<UsageEntry>,
    /// Whether `content[..offset]` is what the reader consumed.
    is_prefix_intact: bool,
}

impl<'p> Tail<'p> {
    fn new(path: &'p Path) -> Self {
        fs::write(path, b"").expect("the temp dir is writable");
        Tail {
            path,
            parser: LineParser::new(FileOrigin::from_path(path), PriceTable::embedded()),
            buffer: Vec::new(),
            content: Vec::new(),
            offset: 0,
            entries: Vec::new(),
            is_prefix_intact: true,
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = MAX_FILE_BYTES.saturating_sub(self.content.len());
        let bytes = &bytes[..bytes.len().min(room)];
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(self.path)
            .expect("the file exists");
        file.write_all(bytes).expect("the temp dir is writable");
        self.content.extend_from_slice(bytes);
    }

    /// Replaces the whole content (a cut when `content` is a prefix of the old one).
    fn replace(&mut self, content: Vec<u8>) {
        let offset = usize::try_from(self.offset).expect("offsets fit the 16 KiB file");
        let keeps_prefix = content.get(..offset) == self.content.get(..offset);
        self.is_prefix_intact &= keeps_prefix;
        fs::write(self.path, &content).expect("the temp dir is writable");
        self.content = content;
    }

    fn read(&mut self) {
        let before = self.offset;
        let read = read_appended(self.path, before, &mut self.parser, &mut self.buffer)
            .expect("a readable file reads");
        self.check_read(before, &read);
        let start = if read.restarted { 0 } else { before as usize };
        assert_eq!(
            self.buffer,
            self.content[start..read.new_offset as usize],
            "the buffer holds other bytes than those consumed"
        );
        if read.restarted {
            self.entries.clear();
            self.is_prefix_intact = true;
        }
        self.offset = read.new_offset;
        self.entries.extend(read.entries);
    }

    fn check_read(&self, before: u64, read: &TailRead) {
        let len = self.content.len() as u64;
        assert_eq!(
            read.restarted,
            len < before,
            "restarted iff the file shrank"
        );
        let start = if read.restarted { 0 } else { before };
        assert!(start <= read.new_offset && read.new_offset <= len);
        let (start, end) = (start as usize, read.new_offset as usize);
        if end > start {
            assert_eq!(self.content[end - 1], b'\n', "the offset follows a newline");
        }
        assert!(
            !self.content[end..].contains(&b'\n'),
            "a complete line was left unread"
        );
        let counts = read.counts;
        let lines = self.content[start..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        assert_eq!(
            counts.usage_lines + counts.skipped_lines + counts.malformed_lines,
            lines as u64,
            "each line read is counted once"
        );
        for entry in &read.entries {
            let at = entry.line_offset as usize;
            assert!(start <= at && at < end, "an entry outside the bytes read");
            assert!(
                at == start || self.content[at - 1] == b'\n',
                "an entry not at a line start"
            );
        }
    }

    /// The incremental reads agree with one read of the whole file from offset 0.
    fn check_against_one_read(&self) {
        if !self.is_prefix_intact {
            return;
        }
        let mut parser = LineParser::new(FileOrigin::from_path(self.path), PriceTable::embedded());
        let whole = read_appended(self.path, 0, &mut parser, &mut Vec::new())
            .expect("a readable file reads");
        assert_eq!(whole.new_offset, self.offset, "one read ends elsewhere");
        assert_eq!(whole.entries, self.entries, "one read finds other entries");
    }
}

/// Runs the program `data` against a transcript at `path` (created or emptied first; its name
/// should be `projects/<project>/<session>.jsonl`).
pub(crate) fn check(path: &Path, data: &[u8]) {
    let mut tail = Tail::new(path);
    let mut program = Program(data);
    for _ in 0..MAX_STEPS {
        if program.0.is_empty() {
            break;
        }
        let op = program.byte();
        match op & 0x07 {
            // Raw bytes, up to 255.
            0 | 1 => {
                let len = usize::from(program.byte());
                let bytes = program.bytes(len);
                tail.append(&bytes);
            }
            // A template line in two pieces (a writer flushing mid-line), LF, CRLF or unended.
            2 | 3 => {
                let template = TEMPLATES[usize::from(program.byte()) % TEMPLATES.len()];
                let digit = char::from(b'0' + program.byte() % 10);
                let mut line = template.replace('#', &digit.to_string()).into_bytes();
                match program.byte() % 3 {
                    0 => line.push(b'\n'),
                    1 => line.extend_from_slice(b"\r\n"),
                    _ => {}
                }
                let cut = usize::from(program.byte()) % (line.len() + 1);
                tail.append(&line[..cut]);
                if op & 0x08 == 0 {
                    tail.read();
                }
                tail.append(&line[cut..]);
            }
            // A cut to a length up to the current one.
            4 => {
                let len = program.u16() % (tail.content.len() + 1);
                let content = tail.content[..len].to_vec();
                tail.replace(content);
            }
            // A rewrite: new content, up to 255 bytes.
            5 => {
                let len = usize::from(program.byte());
                tail.replace(program.bytes(len));
            }
            // One byte overwritten in place (the length kept).
            6 => {
                let at = program.u16();
                let byte = program.byte();
                let mut content = tail.content.clone();
                if let Some(slot) = content.get_mut(at) {
                    *slot = byte;
                }
                tail.replace(content);
            }
            // A read only.
            _ => {}
        }
        if op & 0x80 == 0 {
            tail.read();
        }
    }
    tail.read();
    tail.check_against_one_read();
}
