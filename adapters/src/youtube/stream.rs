//! Reading `liveChatMessages.streamList`'s body as it arrives. The response is one JSON
//! array that stays open: `[` + object, then `,` + object for each later batch (Google
//! separates them with `\r\n`), then `]` when the chat ends or the server closes the
//! stream. Each object is a `liveChatMessageListResponse`. HTTP chunk boundaries mean
//! nothing: an object may arrive in pieces, or several in one chunk.
//!
//! [`ArrayReader`] finds each object's end with a small scanner (string- and
//! escape-aware brace counting), so an object is parsed once, when complete.

use thiserror::Error;

/// An object larger than this is refused (memory bound for a misbehaving stream). A batch of
/// 2,000 messages with author details is about 2 MB.
pub const MAX_OBJECT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StreamError {
    #[error("the stream is not a JSON array of objects (unexpected {0:?} at byte {1})")]
    Framing(char, usize),
    #[error("a streamed object exceeds {MAX_OBJECT_BYTES} bytes")]
    TooLarge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before `[`.
    Start,
    /// After `[`: an object or `]`.
    First,
    /// After an object: `,` or `]`.
    Between,
    /// After `,`: an object.
    Next,
    /// Inside an object.
    Object {
        depth: u32,
        in_string: bool,
        escaped: bool,
    },
    /// After `]`.
    Done,
}

#[derive(Debug)]
pub struct ArrayReader {
    buf: Vec<u8>,
    /// Where scanning resumes in `buf`.
    scan: usize,
    /// Where the current object starts in `buf`.
    start: usize,
    state: State,
    /// Bytes consumed before `buf[0]`, for error positions.
    consumed: usize,
}

impl Default for ArrayReader {
    fn default() -> Self {
        ArrayReader {
            buf: Vec::new(),
            scan: 0,
            start: 0,
            state: State::Start,
            consumed: 0,
        }
    }
}

impl ArrayReader {
    /// Appends bytes from the body.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        if self.buf.len() + bytes.len() > MAX_OBJECT_BYTES {
            return Err(StreamError::TooLarge);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Whether the closing `]` was read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The next complete object, if one has arrived.
    pub fn next_object(&mut self) -> Result<Option<Vec<u8>>, StreamError> {
        while self.scan < self.buf.len() {
            let i = self.scan;
            let b = self.buf[i];
            self.scan += 1;
            let blank = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
            match self.state {
                State::Done => {
                    if !blank {
                        return Err(self.framing(b, i));
                    }
                }
                State::Start if blank => {}
                State::Start if b == b'[' => self.state = State::First,
                State::First | State::Between | State::Next if blank => {}
                State::First | State::Between if b == b']' => self.state = State::Done,
                State::Between if b == b',' => self.state = State::Next,
                State::First | State::Next if b == b'{' => {
                    self.start = i;
                    self.state = State::Object {
                        depth: 1,
                        in_string: false,
                        escaped: false,
                    };
                }
                State::Start | State::First | State::Between | State::Next => {
                    return Err(self.framing(b, i));
                }
                State::Object {
                    depth,
                    in_string,
                    escaped,
                } => {
                    let (depth, in_string, escaped) = match (in_string, escaped, b) {
                        (true, true, _) => (depth, true, false),
                        (true, false, b'\\') => (depth, true, true),
                        (true, false, b'"') => (depth, false, false),
                        (true, false, _) => (depth, true, false),
                        (false, _, b'"') => (depth, true, false),
                        (false, _, b'{' | b'[') => (depth + 1, false, false),
                        (false, _, b'}' | b']') => (depth - 1, false, false),
                        (false, _, _) => (depth, false, false),
                    };
                    if depth == 0 {
                        let object = self.buf[self.start..=i].to_vec();
                        // Forget what was read, so the buffer holds one object at most.
                        self.buf.drain(..=i);
                        self.consumed += i + 1;
                        self.scan = 0;
                        self.start = 0;
                        self.state = State::Between;
                        return Ok(Some(object));
                    }
                    self.state = State::Object {
                        depth,
                        in_string,
                        escaped,
                    };
                }
            }
        }
        if !matches!(self.state, State::Object { .. }) {
            // Nothing of an object is pending: drop separators already scanned.
            self.buf.clear();
            self.consumed += self.scan;
            self.scan = 0;
        }
        Ok(None)
    }

    fn framing(&self, b: u8, i: usize) -> StreamError {
        StreamError::Framing(char::from(b), self.consumed + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "[{\"a\":1,\"s\":\"}{,][\\\"\\\\\"}\r\n,\r\n{\"b\":{\"c\":[1,{\"d\":\"]\"}]}}\r\n, {\"e\":\"\u{1F916} é\"}]";

    fn objects(chunks: &[&[u8]]) -> Result<(Vec<String>, bool), StreamError> {
        let mut r = ArrayReader::default();
        let mut out = Vec::new();
        for chunk in chunks {
            r.push(chunk)?;
            while let Some(o) = r.next_object()? {
                out.push(String::from_utf8(o).unwrap());
            }
        }
        Ok((out, r.is_done()))
    }

    #[test]
    fn objects_come_out_whatever_the_chunking() {
        let expected = vec![
            "{\"a\":1,\"s\":\"}{,][\\\"\\\\\"}".to_string(),
            "{\"b\":{\"c\":[1,{\"d\":\"]\"}]}}".to_string(),
            "{\"e\":\"\u{1F916} é\"}".to_string(),
        ];
        let bytes = BODY.as_bytes();
        assert_eq!(objects(&[bytes]).unwrap(), (expected.clone(), true));
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(
                objects(&[a, b]).unwrap(),
                (expected.clone(), true),
                "cut {cut}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(objects(&singles).unwrap(), (expected.clone(), true));
        for o in &expected {
            serde_json::from_str::<serde_json::Value>(o).unwrap();
        }
    }

    #[test]
    fn open_empty_and_broken_streams() {
        // Still open: the objects so far, not done.
        assert_eq!(
            objects(&[b"[{\"a\":1}", b",\r\n{\"b\":"]).unwrap(),
            (vec!["{\"a\":1}".to_string()], false)
        );
        assert_eq!(objects(&[b"[]"]).unwrap(), (vec![], true));
        assert_eq!(objects(&[b" [ \r\n ] "]).unwrap(), (vec![], true));
        assert_eq!(
            objects(&[b"{\"a\":1}"]).unwrap_err(),
            StreamError::Framing('{', 0)
        );
        assert_eq!(
            objects(&[b"[{\"a\":1}{\"b\":2}]"]).unwrap_err(),
            StreamError::Framing('{', 8)
        );
        assert_eq!(
            objects(&[b"[1]"]).unwrap_err(),
            StreamError::Framing('1', 1)
        );
        let mut r = ArrayReader::default();
        r.push(b"[{\"a\":\"").unwrap();
        assert_eq!(r.next_object(), Ok(None));
        let big = vec![b'x'; MAX_OBJECT_BYTES];
        assert_eq!(r.push(&big), Err(StreamError::TooLarge));
    }
}
