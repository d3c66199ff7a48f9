//! Server-Sent Events, read incrementally: the daemon's `/events` stream as a cluster on Wi-Fi
//! receives it (`docs/protocol.md`, "HTTP"), framed by the WHATWG rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>).
//!
//! Sits between the HTTP body and [`crate::decode_frame`]: bytes arrive in any chunks, an event
//! comes out when its blank line does. Both buffers are fixed (`N` bytes for a line and for an
//! event's data); a longer line or event is dropped whole and counted, never cut into half a
//! frame. Comments (the keep-alives) and unknown fields are skipped.

/// The longest event name kept, bytes (longer names are cut; they are only compared).
const NAME_MAX_LEN: usize = 16;
/// The longest event id kept, bytes (longer ids are cut; `seq` needs 10).
const ID_MAX_LEN: usize = 16;

/// What [`SseParser::push`] made of one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsePush {
    /// Nothing complete yet.
    Incomplete,
    /// An event ended: read it with [`SseParser::event`] before the next push.
    Event,
    /// An event too long for the buffers ended and was dropped.
    Dropped,
}

/// One dispatched event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// The `event:` field (`message` when none was sent).
    pub name: &'a [u8],
    /// The last `id:` seen on the stream (empty when none).
    pub id: &'a [u8],
    /// The `data:` lines joined by `\n`.
    pub data: &'a [u8],
}

/// An incremental Server-Sent Events parser with `N`-byte line and data buffers (no alloc).
#[derive(Clone, Debug)]
pub struct SseParser<const N: usize> {
    line: [u8; N],
    line_len: usize,
    is_line_overflowed: bool,
    was_cr: bool,
    data: [u8; N],
    data_len: usize,
    has_data: bool,
    is_event_overflowed: bool,
    name: [u8; NAME_MAX_LEN],
    name_len: usize,
    id: [u8; ID_MAX_LEN],
    id_len: usize,
    retry_ms: Option<u32>,
    is_dispatched: bool,
    dropped_events: u32,
}

impl<const N: usize> Default for SseParser<N> {
    fn default() -> Self {
        SseParser::new()
    }
}

impl<const N: usize> SseParser<N> {
    /// A parser at the start of a stream.
    pub const fn new() -> SseParser<N> {
        SseParser {
            line: [0; N],
            line_len: 0,
            is_line_overflowed: false,
            was_cr: false,
            data: [0; N],
            data_len: 0,
            has_data: false,
            is_event_overflowed: false,
            name: [0; NAME_MAX_LEN],
            name_len: 0,
            id: [0; ID_MAX_LEN],
            id_len: 0,
            retry_ms: None,
            is_dispatched: false,
            dropped_events: 0,
        }
    }

    /// Takes one byte of the stream.
    pub fn push(&mut self, byte: u8) -> SsePush {
        if self.is_dispatched {
            self.is_dispatched = false;
            self.data_len = 0;
            self.name_len = 0;
        }
        let was_cr = core::mem::replace(&mut self.was_cr, byte == b'\r');
        match byte {
            // The `\n` of a `\r\n` pair: the line already ended at the `\r`.
            b'\n' if was_cr => SsePush::Incomplete,
            b'\r' | b'\n' => self.end_line(),
            _ if self.line_len == N => {
                self.is_line_overflowed = true;
                SsePush::Incomplete
            }
            _ => {
                self.line[self.line_len] = byte;
                self.line_len += 1;
                SsePush::Incomplete
            }
        }
    }

    /// The event the last push dispatched; empty fields otherwise.
    pub fn event(&self) -> SseEvent<'_> {
        if !self.is_dispatched {
            return SseEvent {
                name: b"",
                id: b"",
                data: b"",
            };
        }
        let name: &[u8] = if self.name_len == 0 {
            b"message"
        } else {
            &self.name[..self.name_len]
        };
        SseEvent {
            name,
            id: &self.id[..self.id_len],
            // Without the `\n` after the last data line.
            data: &self.data[..self.data_len.saturating_sub(1)],
        }
    }

    /// The reconnection time the server asked for (`retry:`), milliseconds.
    pub const fn retry_ms(&self) -> Option<u32> {
        self.retry_ms
    }

    /// How many events were dropped for being too long.
    pub const fn dropped_events(&self) -> u32 {
        self.dropped_events
    }

    fn end_line(&mut self) -> SsePush {
        let len = core::mem::take(&mut self.line_len);
        if core::mem::take(&mut self.is_line_overflowed) {
            // A field line too long to read: whatever event it belonged to is incomplete.
            self.is_event_overflowed = true;
            return SsePush::Incomplete;
        }
        if len == 0 {
            return self.dispatch();
        }
        let line = &self.line[..len];
        if line[0] == b':' {
            return SsePush::Incomplete;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                let end = self.data_len + value.len() + 1;
                if end > N {
                    self.is_event_overflowed = true;
                } else {
                    self.data[self.data_len..end - 1].copy_from_slice(value);
                    self.data[end - 1] = b'\n';
                    self.data_len = end;
                }
                self.has_data = true;
            }
            b"event" => {
                let kept = value.len().min(NAME_MAX_LEN);
                self.name[..kept].copy_from_slice(&value[..kept]);
                self.name_len = kept;
            }
            b"id" if !value.contains(&0) => {
                let kept = value.len().min(ID_MAX_LEN);
                self.id[..kept].copy_from_slice(&value[..kept]);
                self.id_len = kept;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u32, |ms, digit| {
                    ms.saturating_mul(10)
                        .saturating_add(u32::from(digit - b'0'))
                });
                self.retry_ms = Some(ms);
            }
            _ => {}
        }
        SsePush::Incomplete
    }

    fn dispatch(&mut self) -> SsePush {
        let has_data = core::mem::take(&mut self.has_data);
        if core::mem::take(&mut self.is_event_overflowed) {
            self.data_len = 0;
            self.name_len = 0;
            self.dropped_events = self.dropped_events.wrapping_add(1);
            return SsePush::Dropped;
        }
        if !has_data {
            // No data: nothing to dispatch (the spec resets the buffers).
            self.data_len = 0;
            self.name_len = 0;
            return SsePush::Incomplete;
        }
        self.is_dispatched = true;
        SsePush::Event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event in `stream`, as `name|id|data`.
    fn events<const N: usize>(parser: &mut SseParser<N>, stream: &[u8]) -> Vec<String> {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let mut out = Vec::new();
        for &byte in stream {
            if parser.push(byte) == SsePush::Event {
                let event = parser.event();
                out.push(format!(
                    "{}|{}|{}",
                    text(event.name),
                    text(event.id),
                    text(event.data)
                ));
            }
        }
        out
    }

    #[test]
    fn reads_events_across_line_endings_comments_and_multiline_data() {
        let mut parser = SseParser::<64>::new();
        let stream =
            b": keep-alive\n\nevent: frame\r\nid: 7\rdata: {\"a\":1}\r\n\r\ndata:x\ndata: y\n\n";
        assert_eq!(
            events(&mut parser, stream),
            ["frame|7|{\"a\":1}", "message|7|x\ny",]
        );
    }

    #[test]
    fn drops_an_overlong_event_whole_and_recovers() {
        let mut parser = SseParser::<8>::new();
        let stream = b"data: 0123456789\n\ndata: abc\ndata: defgh\n\ndata: ok\n\n";
        assert_eq!(events(&mut parser, stream), ["message||ok"]);
        assert_eq!(parser.dropped_events(), 2);
    }

    #[test]
    fn fields_without_data_dispatch_nothing_and_retry_is_read() {
        let mut parser = SseParser::<32>::new();
        assert!(events(&mut parser, b"event: frame\nid: 3\nretry: 2500\nbogus\n\n").is_empty());
        assert_eq!(parser.retry_ms(), Some(2_500));
        assert_eq!(events(&mut parser, b"data\n\n"), ["message|3|"]);
        assert_eq!(parser.event().data, b"");
    }

    mod props {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            /// Any bytes: no panic, and what comes out fits the buffer.
            #[test]
            fn hostile_streams_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
                let mut parser = SseParser::<32>::new();
                for byte in bytes {
                    if parser.push(byte) == SsePush::Event {
                        prop_assert!(parser.event().data.len() < 32);
                    }
                }
            }

            /// The same events whatever the line endings and with comments between them (a `\r`
            /// then a `\n` is one line end, so the blank line repeats the data line's ending).
            #[test]
            fn line_endings_do_not_matter(
                datas in prop::collection::vec("[a-z{}\":,0-9]{0,40}", 1..8),
                endings in prop::collection::vec(0usize..3, 32),
            ) {
                let eol = |i: usize| ["\n", "\r", "\r\n"][endings[i % endings.len()]];
                let mut stream = String::new();
                for (i, data) in datas.iter().enumerate() {
                    stream += &format!(": ping{}event: frame{}id: {i}{}data: {data}{}{}", eol(i), eol(i + 1), eol(i + 2), eol(i + 3), eol(i + 3));
                }
                let mut parser = SseParser::<64>::new();
                let got = events(&mut parser, stream.as_bytes());
                let expected: Vec<String> = datas.iter().enumerate().map(|(i, d)| format!("frame|{i}|{d}")).collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
