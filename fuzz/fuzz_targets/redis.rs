//! `parse_reply` (src/db/redis.rs): never panics, uses at most its input,
//! honours its limit, is prefix-consistent, and what `encode_command`
//! writes parses back as the same array of bulk strings.
#![no_main]

use isere::db::redis::{MAX_DEPTH, ParseError, Reply, encode_command, parse_reply};
use libfuzzer_sys::fuzz_target;

/// Whether `reply` respects `limit` and the depth bound.
fn within(reply: &Reply, limit: usize, depth: usize) -> bool {
    depth <= MAX_DEPTH
        && match reply {
            Reply::Bulk(b) => b.len() <= limit,
            Reply::Array(items) => {
                items.len() <= limit && items.iter().all(|r| within(r, limit, depth + 1))
            }
            _ => true,
        }
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit, buf)) = data.split_first() else {
        return;
    };
    let limit = usize::from(limit);
    match parse_reply(buf, limit) {
        Ok(Some((reply, used))) => {
            assert!(0 < used && used <= buf.len());
            assert!(within(&reply, limit, 0), "{reply:?} beyond limit {limit}");
            assert_eq!(
                parse_reply(&buf[..used], limit),
                Ok(Some((reply.clone(), used)))
            );
            // One byte less is never a whole reply (nor an error: it was
            // fine so far).
            assert_eq!(parse_reply(&buf[..used - 1], limit), Ok(None), "{reply:?}");
        }
        Ok(None) => {
            let cut = buf.len() / 2;
            assert_eq!(
                parse_reply(&buf[..cut], limit),
                Ok(None),
                "a prefix of an incomplete reply"
            );
        }
        Err(ParseError::Malformed(_) | ParseError::TooLarge) => {}
    }
    // Commands: the input's lines as arguments.
    let args: Vec<&[u8]> = buf.split(|&b| b == b'\n').take(limit).collect();
    let mut out = Vec::new();
    encode_command(&mut out, &args);
    let expected = Reply::Array(args.iter().map(|a| Reply::Bulk(a.to_vec())).collect());
    assert_eq!(
        parse_reply(&out, usize::MAX),
        Ok(Some((expected, out.len())))
    );
});
