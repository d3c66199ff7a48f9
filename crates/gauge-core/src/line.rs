//! Line framing for byte streams: a serial port delivers frames as newline-terminated lines.
//!
//! Sits in front of [`crate::decode_frame`] on the device's USB-serial path: bytes arrive in
//! arbitrary chunks, a complete line comes out once its `\n` arrives. A line longer than the
//! buffer is dropped whole (and counted), never cut into a half frame.

/// What [`LineBuffer::push`] made of one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinePush {
    /// The byte was stored (or was a `\r`, or ended an empty line); no line yet.
    Incomplete,
    /// A line ended: read it with [`LineBuffer::line`] before the next push.
    Line,
    /// A line too long for the buffer ended and was dropped.
    Overflowed,
}

/// A fixed buffer of `N` bytes that assembles newline-terminated lines (no alloc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineBuffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
    is_complete: bool,
    is_overflowed: bool,
    dropped_lines: u32,
}

impl<const N: usize> Default for LineBuffer<N> {
    fn default() -> Self {
        LineBuffer::new()
    }
}

impl<const N: usize> LineBuffer<N> {
    /// An empty buffer.
    pub const fn new() -> LineBuffer<N> {
        LineBuffer {
            bytes: [0; N],
            len: 0,
            is_complete: false,
            is_overflowed: false,
            dropped_lines: 0,
        }
    }

    /// Takes one byte. `\r` is ignored so CRLF senders work; empty lines are skipped.
    pub fn push(&mut self, byte: u8) -> LinePush {
        if self.is_complete {
            self.len = 0;
            self.is_complete = false;
        }
        match byte {
            b'\n' if self.is_overflowed => {
                self.is_overflowed = false;
                self.len = 0;
                self.dropped_lines = self.dropped_lines.wrapping_add(1);
                LinePush::Overflowed
            }
            b'\n' if self.len == 0 => LinePush::Incomplete,
            b'\n' => {
                self.is_complete = true;
                LinePush::Line
            }
            b'\r' => LinePush::Incomplete,
            _ if self.is_overflowed => LinePush::Incomplete,
            _ if self.len == N => {
                self.is_overflowed = true;
                LinePush::Incomplete
            }
            _ => {
                self.bytes[self.len] = byte;
                self.len += 1;
                LinePush::Incomplete
            }
        }
    }

    /// The line that the last push completed (without its newline); empty otherwise.
    pub fn line(&self) -> &[u8] {
        if self.is_complete {
            &self.bytes[..self.len]
        } else {
            &[]
        }
    }

    /// How many over-long lines were dropped since boot.
    pub const fn dropped_lines(&self) -> u32 {
        self.dropped_lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines<const N: usize>(buffer: &mut LineBuffer<N>, input: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for &byte in input {
            if buffer.push(byte) == LinePush::Line {
                out.push(buffer.line().to_vec());
            }
        }
        out
    }

    #[test]
    fn splits_lines_across_chunks_and_skips_crlf_and_blank_lines() {
        let mut buffer = LineBuffer::<8>::new();
        assert!(lines(&mut buffer, b"ab").is_empty());
        assert_eq!(
            lines(&mut buffer, b"c\r\n\n\nde\n"),
            [b"abc".to_vec(), b"de".to_vec()]
        );
        assert!(buffer.line() == b"de");
    }

    #[test]
    fn drops_an_overlong_line_whole_and_recovers() {
        let mut buffer = LineBuffer::<4>::new();
        assert_eq!(lines(&mut buffer, b"abcdefgh\nxy\n"), [b"xy".to_vec()]);
        assert_eq!(buffer.dropped_lines(), 1);
        assert_eq!(lines(&mut buffer, b"abcd\n"), [b"abcd".to_vec()]);
    }
}
