//! The chunked transfer coding (RFC 9112 §7.1): an incremental decoder for request
//! bodies, bounded by a body-size limit, and an encoder for response bodies.
//!
//! The decoder is a byte-at-a-time state machine named after the grammar of RFC
//! 9112 §7.1: `chunk-size [ chunk-ext ] CRLF chunk-data CRLF`, then `last-chunk`,
//! `trailer-section` and the final `CRLF`. It buffers nothing but its state, so
//! input may be split at any byte. Chunk extensions (RFC 9112 §7.1.1) and trailer
//! fields (RFC 9112 §7.1.2) are checked for stray control bytes and then ignored.
//!
//! Deliberate choices where the RFCs leave room:
//! * every line must end in CRLF; a bare LF is `400`. RFC 9112 §2.2 allows bare LF
//!   only for the start-line and header fields, and leniency inside chunked framing
//!   is what lets a front proxy and this server disagree on where a body ends
//!   (request smuggling);
//! * whitespace (BWS) is accepted between the size and a `;`, not before the CRLF;
//! * one chunk-size line with its extensions, and the whole trailer section, are
//!   each at most [`MAX_LINE`] bytes, so a client cannot keep the decoder busy
//!   forever on framing without sending data.
//!
//! Panic contract: [`ChunkedDecoder::decode`] never panics on any input; it only
//! reads through `get` and checked arithmetic. After an error it keeps returning
//! that error. The encoders cannot fail.

use alloc::vec::Vec;

use super::request::RequestError;

/// Longest chunk-size line (size, extensions, CRLF) and longest trailer section, in bytes.
pub const MAX_LINE: usize = 4096;

/// Where the decoder is in the chunked grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In `chunk-size` hex digits; `digits` seen so far.
    Size { size: usize, digits: usize },
    /// BWS after `chunk-size`; only more SP/HTAB or `;` may follow.
    SizeSpace { size: usize },
    /// In `chunk-ext`, up to the CR.
    Ext { size: usize },
    /// CR of the chunk-size line seen; LF expected.
    SizeLf { size: usize },
    /// In `chunk-data`, `remaining` bytes to go.
    Data { remaining: usize },
    /// CR after `chunk-data` expected.
    DataCr,
    /// LF after `chunk-data` expected.
    DataLf,
    /// At the start of a trailer field line or of the final CRLF.
    TrailerStart,
    /// In a trailer field name.
    TrailerName,
    /// In a trailer field value, up to the CR.
    TrailerValue,
    /// CR of a trailer field line seen; LF expected.
    TrailerLf,
    /// CR of the final line seen; LF expected.
    EndLf,
    /// The body is complete.
    Done,
    /// An error was returned; it is returned again.
    Failed(RequestError),
}

/// Incremental decoder for a chunked request body (RFC 9112 §7.1), bounded by a size limit.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Decoded bytes announced so far (sum of chunk sizes).
    total: usize,
    max_body: usize,
    /// Bytes in the current chunk-size line, or in the trailer section.
    line: usize,
}

impl ChunkedDecoder {
    /// A decoder that accepts at most `max_body` decoded bytes.
    pub fn new(max_body: usize) -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            total: 0,
            max_body,
            line: 0,
        }
    }

    /// Consumes bytes from `input`, appending decoded data to `out`.
    ///
    /// Returns `Ok((consumed, done))`; `done` = final chunk and trailer section read
    /// (`consumed` then points just past the final CRLF, so pipelined bytes after it
    /// are untouched). While not done, all of `input` is consumed.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(usize, bool), RequestError> {
        match self.run(input, out) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.state = State::Failed(e);
                Err(e)
            }
        }
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), RequestError> {
        use RequestError::{BodyTooLarge, Malformed};

        match self.state {
            State::Done => return Ok((0, true)),
            State::Failed(e) => return Err(e),
            _ => {}
        }
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            // Chunk data is copied in one go; everything else is one byte at a time.
            if let State::Data { remaining } = self.state {
                let rest = input.get(i..).unwrap_or_default();
                let n = remaining.min(rest.len());
                out.extend_from_slice(rest.get(..n).unwrap_or_default());
                i += n;
                self.state = match remaining - n {
                    0 => State::DataCr,
                    left => State::Data { remaining: left },
                };
                continue;
            }
            if self.counts_toward_line() {
                self.line += 1;
                if self.line > MAX_LINE {
                    return Err(Malformed);
                }
            }
            i += 1;
            self.state = match self.state {
                State::Size { size, digits } => match (hex_value(b), b) {
                    (Some(d), _) => {
                        let size = size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(d))
                            .ok_or(BodyTooLarge)?;
                        if size > self.max_body.saturating_sub(self.total) {
                            return Err(BodyTooLarge);
                        }
                        State::Size {
                            size,
                            digits: digits + 1,
                        }
                    }
                    (None, _) if digits == 0 => return Err(Malformed),
                    (None, b';') => State::Ext { size },
                    (None, b' ' | b'\t') => State::SizeSpace { size },
                    (None, b'\r') => State::SizeLf { size },
                    (None, _) => return Err(Malformed),
                },
                State::SizeSpace { size } => match b {
                    b' ' | b'\t' => State::SizeSpace { size },
                    b';' => State::Ext { size },
                    _ => return Err(Malformed),
                },
                State::Ext { size } => match b {
                    b'\r' => State::SizeLf { size },
                    b if is_field_byte(b) => State::Ext { size },
                    _ => return Err(Malformed),
                },
                State::SizeLf { size } => match b {
                    b'\n' => {
                        // `size` was checked against the remaining budget.
                        self.total = self.total.saturating_add(size);
                        self.line = 0;
                        match size {
                            0 => State::TrailerStart,
                            n => State::Data { remaining: n },
                        }
                    }
                    _ => return Err(Malformed),
                },
                State::DataCr => match b {
                    b'\r' => State::DataLf,
                    _ => return Err(Malformed),
                },
                State::DataLf => match b {
                    b'\n' => State::Size { size: 0, digits: 0 },
                    _ => return Err(Malformed),
                },
                State::TrailerStart => match b {
                    b'\r' => State::EndLf,
                    b if is_tchar(b) => State::TrailerName,
                    _ => return Err(Malformed),
                },
                State::TrailerName => match b {
                    b':' => State::TrailerValue,
                    b if is_tchar(b) => State::TrailerName,
                    _ => return Err(Malformed),
                },
                State::TrailerValue => match b {
                    b'\r' => State::TrailerLf,
                    b if is_field_byte(b) => State::TrailerValue,
                    _ => return Err(Malformed),
                },
                State::TrailerLf => match b {
                    b'\n' => State::TrailerStart,
                    _ => return Err(Malformed),
                },
                State::EndLf => match b {
                    b'\n' => {
                        self.state = State::Done;
                        return Ok((i, true));
                    }
                    _ => return Err(Malformed),
                },
                // Not reached: `Data` is handled above, `Done` and `Failed`
                // before the loop, and the loop ends when entering either.
                State::Data { .. } | State::Done | State::Failed(_) => return Err(Malformed),
            };
        }
        Ok((i, false))
    }

    /// Whether the current state's bytes count toward [`MAX_LINE`].
    fn counts_toward_line(&self) -> bool {
        !matches!(
            self.state,
            State::Data { .. } | State::DataCr | State::DataLf | State::Done | State::Failed(_)
        )
    }
}

/// Frames `data` as one chunk into `out` (no-op for empty data, which would end the body).
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    let len = data.len();
    // Hex digits from the most significant non-zero one (len > 0, so at least one).
    let mut shift = (usize::BITS - len.leading_zeros()).div_ceil(4) * 4;
    while shift > 0 {
        shift -= 4;
        let nibble = (len >> shift) & 0xf;
        out.push(b"0123456789abcdef".get(nibble).copied().unwrap_or(b'0'));
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last-chunk and empty trailer section.
pub fn encode_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

/// The value of a hex digit, either case.
fn hex_value(b: u8) -> Option<usize> {
    char::from(b).to_digit(16).map(|d| d as usize)
}

/// `tchar` (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A byte allowed in a field value or extension: HTAB, SP, VCHAR or obs-text.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use alloc::vec;

    /// Decodes `input` in one call.
    fn decode_all(input: &[u8], max: usize) -> Result<(Vec<u8>, usize, bool), RequestError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = Vec::new();
        let (n, done) = d.decode(input, &mut out)?;
        Ok((out, n, done))
    }

    /// Decodes `input` one byte per call; returns the data and the bytes used.
    fn decode_bytewise(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), RequestError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = Vec::new();
        for (i, b) in input.iter().enumerate() {
            let (n, done) = d.decode(core::slice::from_ref(b), &mut out)?;
            assert_eq!(n, 1, "byte {i} not consumed");
            if done {
                return Ok((out, i + 1));
            }
        }
        panic!("body not complete");
    }

    const BODY: &[u8] = b"4;name=value;flag\r\nWiki\r\n5 ;q=\"a;b\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0;last\r\nExpires: never\r\nX-Trailer:\tv \r\n\r\n";
    const DECODED: &[u8] = b"Wikipedia in\r\n\r\nchunks.";

    #[test]
    fn simple_body() {
        let (out, n, done) = decode_all(b"5\r\nhello\r\n0\r\n\r\n", 100).unwrap();
        assert_eq!(out, b"hello");
        assert_eq!(n, 15);
        assert!(done);
    }

    #[test]
    fn empty_body() {
        let (out, n, done) = decode_all(b"0\r\n\r\n", 0).unwrap();
        assert!(out.is_empty());
        assert_eq!(n, 5);
        assert!(done);
    }

    #[test]
    fn extensions_and_trailers_are_ignored() {
        let (out, n, done) = decode_all(BODY, 100).unwrap();
        assert_eq!(out, DECODED);
        assert_eq!(n, BODY.len());
        assert!(done);
    }

    #[test]
    fn one_byte_at_a_time() {
        let (out, n) = decode_bytewise(BODY, 100).unwrap();
        assert_eq!(out, DECODED);
        assert_eq!(n, BODY.len());
    }

    #[test]
    fn every_split_point() {
        for split in 0..=BODY.len() {
            let mut d = ChunkedDecoder::new(100);
            let mut out = Vec::new();
            let (a, done_a) = d.decode(&BODY[..split], &mut out).unwrap();
            assert_eq!(a, split);
            if split == BODY.len() {
                assert!(done_a);
            } else {
                assert!(!done_a);
                let (b, done_b) = d.decode(&BODY[split..], &mut out).unwrap();
                assert_eq!(a + b, BODY.len());
                assert!(done_b);
            }
            assert_eq!(out, DECODED, "split at {split}");
        }
    }

    #[test]
    fn pipelined_bytes_are_left_alone() {
        let input = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let (out, n, done) = decode_all(input, 100).unwrap();
        assert_eq!(out, b"abc");
        assert!(done);
        assert_eq!(&input[n..], b"GET / HTTP/1.1\r\n");
        // Byte-wise: done exactly at the final LF.
        let (_, n) = decode_bytewise(input, 100).unwrap();
        assert_eq!(&input[n..], b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn after_done_nothing_is_consumed() {
        let mut d = ChunkedDecoder::new(10);
        let mut out = Vec::new();
        assert_eq!(d.decode(b"0\r\n\r\n", &mut out), Ok((5, true)));
        assert_eq!(d.decode(b"1\r\nx\r\n", &mut out), Ok((0, true)));
        assert_eq!(d.decode(b"", &mut out), Ok((0, true)));
        assert!(out.is_empty());
    }

    #[test]
    fn empty_input_consumes_nothing() {
        let mut d = ChunkedDecoder::new(10);
        let mut out = Vec::new();
        assert_eq!(d.decode(b"", &mut out), Ok((0, false)));
    }

    #[test]
    fn hex_sizes_either_case_and_leading_zeros() {
        let data = vec![b'x'; 0xab];
        for size in [&b"ab"[..], b"AB", b"aB", b"00ab"] {
            let mut input = size.to_vec();
            input.extend_from_slice(b"\r\n");
            input.extend_from_slice(&data);
            input.extend_from_slice(b"\r\n0\r\n\r\n");
            let (out, n, done) = decode_all(&input, 1000).unwrap();
            assert_eq!(out, data);
            assert_eq!(n, input.len());
            assert!(done);
        }
    }

    #[test]
    fn malformed_framing() {
        for input in [
            &b"g\r\n"[..],
            b"\r\n",
            b";ext\r\n",
            b" 5\r\n",
            b"-1\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"5 \r\nhello\r\n0\r\n\r\n",
            b"5\rhello\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloX\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhello\r\r",
            b"5\r\nhello0\r\n\r\n",
            b"5;a\x00b\r\nhello\r\n",
            b"5;a\nb\r\nhello\r\n",
            b"0\r\n\n",
            b"0\r\n\rX",
            b"0\r\nNo-Colon\r\n\r\n",
            b"0\r\nBad Name: x\r\n\r\n",
            b"0\r\n: x\r\n\r\n",
            b"0\r\n folded\r\n\r\n",
            b"0\r\nX: a\x01\r\n\r\n",
            b"0\r\nX: a\n\r\n",
        ] {
            assert_eq!(
                decode_all(input, 100),
                Err(RequestError::Malformed),
                "{:?}",
                std::string::String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn chunk_total_over_limit() {
        assert_eq!(decode_all(b"b\r\n", 10), Err(RequestError::BodyTooLarge));
        assert_eq!(RequestError::BodyTooLarge.status(), 413);
        // Exactly the limit across chunks is fine; one more byte is not.
        let (out, _, done) = decode_all(b"5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", 10).unwrap();
        assert_eq!(out, b"1234567890");
        assert!(done);
        assert_eq!(
            decode_all(b"5\r\n12345\r\n6\r\n", 10),
            Err(RequestError::BodyTooLarge)
        );
        // Rejected before any of the oversized chunk's data is buffered.
        let mut d = ChunkedDecoder::new(4);
        let mut out = Vec::new();
        assert_eq!(d.decode(b"5", &mut out), Err(RequestError::BodyTooLarge));
        assert!(out.is_empty());
    }

    #[test]
    fn size_overflow() {
        assert_eq!(
            decode_all(b"fffffffffffffffffffffffff\r\n", usize::MAX),
            Err(RequestError::BodyTooLarge)
        );
        assert_eq!(
            decode_all(b"10000000000000000\r\n", usize::MAX),
            Err(RequestError::BodyTooLarge)
        );
    }

    #[test]
    fn huge_max_body_does_not_overflow_the_total() {
        let (out, _, done) = decode_all(b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n", usize::MAX).unwrap();
        assert_eq!(out, b"ab");
        assert!(done);
    }

    #[test]
    fn line_limits() {
        // A chunk-size line with extensions up to MAX_LINE bytes is fine.
        let mut ok = b"1;".to_vec();
        ok.resize(MAX_LINE - 2, b'x');
        ok.extend_from_slice(b"\r\n");
        assert_eq!(ok.len(), MAX_LINE);
        ok.extend_from_slice(b"a\r\n0\r\n\r\n");
        assert_eq!(decode_all(&ok, 10).unwrap().0, b"a");

        let mut long = b"1;".to_vec();
        long.resize(MAX_LINE + 10, b'x');
        assert_eq!(decode_all(&long, 10), Err(RequestError::Malformed));

        // Leading zeros count too.
        let zeros = vec![b'0'; MAX_LINE + 1];
        assert_eq!(decode_all(&zeros, 10), Err(RequestError::Malformed));

        // The trailer section as a whole is bounded, even in short lines.
        let mut trailers = b"0\r\n".to_vec();
        while trailers.len() <= MAX_LINE + 10 {
            trailers.extend_from_slice(b"X: y\r\n");
        }
        assert_eq!(decode_all(&trailers, 10), Err(RequestError::Malformed));

        // The limit is per chunk-size line, not per body.
        let mut many = Vec::new();
        for _ in 0..2000 {
            many.extend_from_slice(b"1;ext\r\nz\r\n");
        }
        many.extend_from_slice(b"0\r\n\r\n");
        let (out, _, done) = decode_all(&many, 2000).unwrap();
        assert_eq!(out.len(), 2000);
        assert!(done);
    }

    #[test]
    fn errors_are_sticky() {
        let mut d = ChunkedDecoder::new(10);
        let mut out = Vec::new();
        assert_eq!(d.decode(b"z", &mut out), Err(RequestError::Malformed));
        assert_eq!(
            d.decode(b"0\r\n\r\n", &mut out),
            Err(RequestError::Malformed)
        );
        assert_eq!(d.decode(b"", &mut out), Err(RequestError::Malformed));
    }

    #[test]
    fn encode_chunks() {
        let mut out = Vec::new();
        encode_chunk(b"hello", &mut out);
        encode_chunk(b"", &mut out);
        encode_chunk(&[b'x'; 26], &mut out);
        encode_last_chunk(&mut out);
        let mut expected = b"5\r\nhello\r\n1a\r\n".to_vec();
        expected.extend_from_slice(&[b'x'; 26]);
        expected.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(out, expected);

        let mut out = Vec::new();
        encode_chunk(&[0u8; 0x1000], &mut out);
        assert!(out.starts_with(b"1000\r\n"));
        assert_eq!(out.len(), 6 + 0x1000 + 2);
    }

    #[test]
    fn encode_then_decode_round_trip() {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for len in [1usize, 15, 16, 17, 255, 256, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            encode_chunk(&data, &mut wire);
            expected.extend_from_slice(&data);
        }
        encode_last_chunk(&mut wire);
        let (out, n, done) = decode_all(&wire, expected.len()).unwrap();
        assert_eq!(out, expected);
        assert_eq!(n, wire.len());
        assert!(done);
        let (out, _) = decode_bytewise(&wire, expected.len()).unwrap();
        assert_eq!(out, expected);
    }

    /// Every single-byte corruption, fed whole and byte-wise: no panic.
    #[test]
    fn no_panic_on_mutations() {
        for i in 0..BODY.len() {
            for b in [
                0u8, b'\r', b'\n', b' ', b';', b':', b'0', b'f', b'F', 0x7f, 0xff,
            ] {
                let mut m = BODY.to_vec();
                m[i] = b;
                for max in [0, 5, 100, usize::MAX] {
                    let _ = decode_all(&m, max);
                    let mut d = ChunkedDecoder::new(max);
                    let mut out = Vec::new();
                    for byte in &m {
                        if d.decode(core::slice::from_ref(byte), &mut out).is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
}
