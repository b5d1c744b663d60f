//! `ChunkedDecoder` (src/http/chunked.rs): any split of the input decodes
//! exactly as the whole does, never past the body limit or the input; and
//! what the encoder frames decodes back to the same bytes.
#![no_main]

use isere::http::chunked::{ChunkedDecoder, encode_chunk, encode_last_chunk};
use libfuzzer_sys::fuzz_target;

/// Decodes `pieces` in turn: the data, the bytes used and the outcome.
fn decode(pieces: &[&[u8]], max: usize) -> (Vec<u8>, usize, Result<bool, u16>) {
    let mut d = ChunkedDecoder::new(max);
    let mut out = Vec::new();
    let mut used = 0;
    for piece in pieces {
        match d.decode(piece, &mut out) {
            Ok((n, done)) => {
                assert!(n <= piece.len(), "used {n} of {}", piece.len());
                used += n;
                if done {
                    return (out, used, Ok(true));
                }
                assert_eq!(n, piece.len(), "all of the input is used until done");
            }
            Err(e) => return (out, used, Err(e.status())),
        }
        assert!(out.len() <= max, "{} bytes past the limit {max}", out.len());
    }
    (out, used, Ok(false))
}

fuzz_target!(|data: &[u8]| {
    let Some((&[limit, seed], body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let max = usize::from(limit) * 64;
    let (whole, used, outcome) = decode(&[body], max);
    let split = decode(&isere_fuzz::chunks(body, seed), max);
    match outcome {
        // Data decoded before the error may differ with the cut: not compared.
        Err(e) => assert_eq!(split.2, Err(e), "split decoding disagrees"),
        Ok(done) => {
            assert_eq!(
                split,
                (whole.clone(), used, Ok(done)),
                "split decoding disagrees"
            );
            assert!(whole.len() <= max);
        }
    }

    // The encoder's framing of the same bytes, cut by the seed into chunks.
    let mut framed = Vec::new();
    for piece in isere_fuzz::chunks(body, seed.wrapping_add(1)) {
        encode_chunk(piece, &mut framed);
    }
    encode_last_chunk(&mut framed);
    framed.extend_from_slice(b"GET / HTTP/1.1\r\n");
    let (out, used, done) = decode(&[&framed], body.len());
    assert_eq!(done, Ok(true));
    assert_eq!(out, body, "encoded chunks decode back");
    assert_eq!(used, framed.len() - 16, "pipelined bytes are left alone");
});
