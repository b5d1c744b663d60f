//! JSON written with serde-json-core (no hand-made JSON in the core).

use alloc::vec::Vec;

/// `value` as JSON followed by a newline. The buffer starts at 256 bytes
/// and doubles until the value fits (serde-json-core writes into a slice).
pub fn to_vec<T: serde::Serialize>(value: &T) -> Vec<u8> {
    write_growing(&|buf| serde_json_core::to_slice(value, buf).map_err(|_| ()))
}

/// Runs `write` on a buffer that doubles until what it writes fits: one
/// copy of the loop, not one per type written.
fn write_growing(write: &dyn Fn(&mut [u8]) -> Result<usize, ()>) -> Vec<u8> {
    let mut buf = alloc::vec![0u8; 256];
    loop {
        match write(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                buf.push(b'\n');
                return buf;
            }
            // Only "buffer full" can fail for the types the core writes.
            Err(_) if buf.len() < 1 << 20 => {
                let grown = buf.len() * 2;
                buf.resize(grown, 0);
            }
            Err(_) => return b"{\"error\":\"answer too large\"}\n".to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Sample<'a> {
        name: &'a str,
        list: alloc::vec::Vec<u32>,
        none: Option<&'a str>,
    }

    #[test]
    fn escapes_and_grows() {
        let long = "x\"\n".repeat(200);
        let out = super::to_vec(&Sample {
            name: &long,
            list: alloc::vec![1, 2],
            none: None,
        });
        let text = core::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("{\"name\":\"x\\\"\\nx"));
        assert!(text.ends_with(",\"list\":[1,2],\"none\":null}\n"));
    }
}
