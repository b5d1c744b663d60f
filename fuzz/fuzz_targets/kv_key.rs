//! The KV store's key encodings (src/kv.rs, through `isere::fuzzing`):
//! every accepted key has a file name that LittleFS takes, from which the
//! key reads back (or that is the hash form, whose key is in the file);
//! different keys get different names; cursors round-trip.
#![no_main]

use isere::fs::MAX_NAME;
use isere::fuzzing::{
    kv_decode_cursor, kv_decode_name, kv_encode_cursor, kv_file_name, kv_key_valid,
};
use libfuzzer_sys::fuzz_target;

/// Checks the file name of one key; returns it.
fn name_of(key: &str) -> String {
    let name = kv_file_name(key);
    assert!(!name.is_empty() && name.len() <= MAX_NAME, "{name:?}");
    assert!(
        !name.contains('/') && !name.bytes().any(|b| b.is_ascii_control()),
        "{name:?} is no file name"
    );
    assert!(name != "." && name != "..");
    match name.as_bytes()[0] {
        b'k' => assert_eq!(kv_decode_name(&name).as_deref(), Some(key), "{name:?}"),
        b'#' => {
            assert_eq!(name.len(), 65);
            assert!(name[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        }
        _ => panic!("{name:?} starts with neither k nor #"),
    }
    assert_eq!(
        kv_decode_cursor(&kv_encode_cursor(key)).as_deref(),
        Some(key)
    );
    name
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\u{1}').unwrap_or((&text, ""));
    // Names made by something else must not trip the decoders.
    let _ = kv_decode_name(a);
    let _ = kv_decode_cursor(a);
    if !kv_key_valid(a) {
        return;
    }
    let name = name_of(a);
    if kv_key_valid(b) && a != b {
        assert_ne!(name, name_of(b), "keys {a:?} and {b:?} share a file");
    }
});
