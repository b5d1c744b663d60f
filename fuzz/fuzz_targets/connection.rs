//! The whole server, bytes in to bytes out: each input is one client
//! connection to the device of `isere_fuzz` (real server, real JS task, on
//! the in-memory network). The server must answer with a well-formed
//! response or close, within the deadline, and then still serve a plain
//! `GET /hello`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: isere::fuzzing::block_port_signals(),
    |data: &[u8]| {
        let board = isere_fuzz::device();
        let out = board.exchange(data);
        if !out.is_empty() {
            let code = isere_fuzz::status(&out);
            assert!(
                code.is_some_and(|c| (100..600).contains(&c)),
                "not an HTTP/1.1 response: {:?}",
                String::from_utf8_lossy(&out)
            );
        }
        board.assert_serves();
    }
);
