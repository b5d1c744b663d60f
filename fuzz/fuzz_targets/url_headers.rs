//! `URL`, `URLSearchParams` and `Headers` through the engine: each input is
//! the body of `POST /web` on the device of `isere_fuzz`, whose function
//! (fuzz/src/web.js) checks the APIs' properties and throws when one
//! fails. Every input must be answered 200, and the engine's memory must
//! not grow from input to input (a leak would).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Engine memory the device may hold above its first figure: garbage not
/// collected yet, caches; a leak passes it sooner or later.
const SLACK: usize = 4 << 20;

fuzz_target!(
    init: isere::fuzzing::block_port_signals(),
    |data: &[u8]| {
        static BASELINE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let board = isere_fuzz::device();
        let mut request = format!(
            "POST /web HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            data.len()
        )
        .into_bytes();
        request.extend_from_slice(data);
        let out = board.exchange(&request);
        assert_eq!(
            isere_fuzz::status(&out),
            Some(200),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
        let used = board.device.js.memory_used();
        let baseline = *BASELINE.get_or_init(|| used);
        assert!(used <= baseline + SLACK, "engine memory grew from {baseline} to {used} B");
    }
);
