//! `parse_head` (src/http/request.rs) under limits taken from the input:
//! never panics, stays within its limits, and a parsed head is
//! self-delimiting (parsing just its bytes gives the same head).
#![no_main]

use isere::http::request::{BodyFraming, Limits, MAX_HEADERS, parse_head};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b, c, d], buf)) = data.split_first_chunk::<4>() else {
        return;
    };
    let limits = Limits {
        max_request_line: 8 + usize::from(a) * 16,
        max_header_bytes: 16 + usize::from(b) * 32,
        max_headers: usize::from(c) % (MAX_HEADERS + 20),
        max_body: usize::from(d).pow(3),
    };
    match parse_head(buf, &limits) {
        Ok(Some((head, used))) => {
            assert!(used <= buf.len(), "used {used} of {}", buf.len());
            assert!(used <= limits.max_header_bytes, "head of {used} bytes");
            assert!(head.headers.len() <= limits.max_headers.min(MAX_HEADERS));
            if let BodyFraming::Length(n) = head.framing {
                assert!(n <= limits.max_body, "body of {n} bytes");
            }
            assert!(!head.method.is_empty());
            let again = parse_head(&buf[..used], &limits);
            assert_eq!(
                again,
                Ok(Some((head, used))),
                "the head alone parses the same"
            );
        }
        // A prefix of what is incomplete is incomplete too (or hits a limit
        // already), never a different request.
        Ok(None) => {
            let cut = buf.len() / 2;
            assert!(
                !matches!(parse_head(&buf[..cut], &limits), Ok(Some(_))),
                "a prefix of an incomplete head parsed"
            );
        }
        Err(e) => assert!([400, 413, 414, 431, 501, 505].contains(&e.status())),
    }
});
