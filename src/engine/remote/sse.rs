//! Server-sent events from a blocking HTTP body. The parsing is eventsource-stream's (a maintained
//! SSE parser: fields, comments, CRLF, multi-line data); this file only feeds it the body's bytes
//! from a blocking reader and bounds what a hostile server can make it hold: an event may not
//! grow past [`MAX_EVENT_BYTES`] before its blank line.

use std::io::Read;

use eventsource_stream::{EventStream, EventStreamError};
use futures_executor::BlockingStream;
use futures_util::stream::Iter;

/// Most bytes one event may have before the blank line that ends it.
pub const MAX_EVENT_BYTES: usize = 4 << 20;
/// Bytes asked of the body per read.
const READ_BYTES: usize = 16 << 10;

/// Why the events stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// The body could not be read (connection broken); `timed_out` when nothing came in time.
    Read {
        /// The reader's words.
        reason: String,
        /// Whether the read timed out (the server stopped sending).
        timed_out: bool,
    },
    /// An event longer than [`MAX_EVENT_BYTES`].
    TooLong,
    /// Not UTF-8, or not SSE.
    Malformed(String),
}

/// The body's bytes in chunks, counting the bytes of the event being received.
struct Chunks<R> {
    reader: R,
    event_bytes: usize,
    line_bytes: usize,
    done: bool,
}

impl<R: Read> Iterator for Chunks<R> {
    type Item = Result<Vec<u8>, SseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut buf = vec![0u8; READ_BYTES];
        let n = loop {
            match self.reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                        || e.to_string().to_lowercase().contains("timeout");
                    return Some(Err(SseError::Read {
                        reason: e.to_string(),
                        timed_out,
                    }));
                }
            }
        };
        if n == 0 {
            self.done = true;
            return None;
        }
        buf.truncate(n);
        for &b in &buf {
            match b {
                b'\n' => {
                    if self.line_bytes == 0 {
                        self.event_bytes = 0;
                    }
                    self.line_bytes = 0;
                }
                b'\r' => {}
                _ => {
                    self.line_bytes += 1;
                    self.event_bytes += 1;
                }
            }
        }
        if self.event_bytes > MAX_EVENT_BYTES {
            self.done = true;
            return Some(Err(SseError::TooLong));
        }
        Some(Ok(buf))
    }
}

type Inner<R> = BlockingStream<EventStream<Iter<Chunks<R>>>>;

/// The events of a body, in order; ends with the body.
pub struct SseEvents<R: Read + Unpin> {
    inner: Inner<R>,
}

impl<R: Read + Unpin> SseEvents<R> {
    /// Reads events from `reader`.
    pub fn new(reader: R) -> Self {
        let chunks = Chunks {
            reader,
            event_bytes: 0,
            line_bytes: 0,
            done: false,
        };
        Self {
            inner: futures_executor::block_on_stream(EventStream::new(futures_util::stream::iter(
                chunks,
            ))),
        }
    }
}

impl<R: Read + Unpin> Iterator for SseEvents<R> {
    /// An event's `data` (the parser joins multi-line data with `\n`), or why reading stopped.
    type Item = Result<String, SseError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.inner.next()? {
            Ok(event) => Ok(event.data),
            Err(EventStreamError::Transport(e)) => Err(e),
            Err(EventStreamError::Utf8(e)) => Err(SseError::Malformed(format!("not UTF-8: {e}"))),
            Err(EventStreamError::Parser(e)) => Err(SseError::Malformed(e.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(bytes: &[u8]) -> Vec<Result<String, SseError>> {
        SseEvents::new(std::io::Cursor::new(bytes.to_vec())).collect()
    }

    #[test]
    fn data_comments_and_crlf() {
        let got = events(
            b": keep-alive\n\ndata: {\"a\":1}\n\ndata: x\r\ndata: y\r\n\r\ndata: [DONE]\n\n",
        );
        let got: Vec<String> = got.into_iter().map(|e| e.unwrap()).collect();
        assert_eq!(got, ["{\"a\":1}", "x\ny", "[DONE]"]);
    }

    #[test]
    fn an_endless_event_is_cut() {
        let mut body = b"data: ".to_vec();
        body.extend(std::iter::repeat_n(b'a', MAX_EVENT_BYTES + 10));
        let got = events(&body);
        assert_eq!(got.last(), Some(&Err(SseError::TooLong)));
    }

    #[test]
    fn invalid_utf8_is_said() {
        let got = events(b"data: \xff\xfe\n\n");
        assert!(
            matches!(got.first(), Some(Err(SseError::Malformed(_)))),
            "{got:?}"
        );
    }
}
