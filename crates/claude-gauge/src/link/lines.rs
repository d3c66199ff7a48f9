//! Line framing for a serial link: bytes in, complete frame lines out.

use gauge_core::FRAME_MAX_LEN;

/// Splits a byte stream into lines of at most [`FRAME_MAX_LEN`] bytes. A longer line cannot be
/// a frame: it is dropped whole (and counted), and reading resumes after its newline.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    line: Vec<u8>,
    is_discarding: bool,
    dropped: u64,
}

impl LineBuffer {
    /// Takes `bytes`, calling `on_line` with each complete, non-empty line (without `\r\n`).
    pub(crate) fn push(&mut self, bytes: &[u8], mut on_line: impl FnMut(&[u8])) {
        for &byte in bytes {
            if byte == b'\n' {
                let line = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
                if !self.is_discarding && !line.is_empty() {
                    on_line(line);
                }
                self.line.clear();
                self.is_discarding = false;
            } else if self.is_discarding {
            } else if self.line.len() == FRAME_MAX_LEN {
                self.is_discarding = true;
                self.dropped += 1;
                self.line.clear();
            } else {
                self.line.push(byte);
            }
        }
    }

    /// How many over-long lines were dropped.
    pub(crate) const fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buffer: &mut LineBuffer, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        buffer.push(bytes, |line| out.push(line.to_vec()));
        out
    }

    #[test]
    fn lines_split_across_reads_come_out_whole() {
        let mut buffer = LineBuffer::default();
        assert!(lines(&mut buffer, b"\n{\"a\"").is_empty());
        assert_eq!(
            lines(&mut buffer, b":1}\r\n{\"b\":2}\n\n"),
            vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]
        );
    }

    #[test]
    fn an_over_long_line_is_dropped_and_the_next_one_kept() {
        let mut buffer = LineBuffer::default();
        let long = vec![b'x'; FRAME_MAX_LEN + 10];
        assert!(lines(&mut buffer, &long).is_empty());
        assert_eq!(lines(&mut buffer, b"tail\nok\n"), vec![b"ok".to_vec()]);
        assert_eq!(buffer.dropped(), 1);
    }
}
