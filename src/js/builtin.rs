//! Bytecode compiled by `build.rs`: the glue scripts and the example functions.

include!(concat!(env!("OUT_DIR"), "/builtin_js.rs"));

/// The bytecode of the built-in function `name` (`handlers/NAME.js`).
pub fn function(name: &str) -> Option<&'static [u8]> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}
