//! Bytecode compiled by `build.rs`: the glue scripts, the built-in modules and
//! the example functions.

/// A Web API glue file (`src/js/glue/NAME.js`).
pub struct Glue {
    /// Its file name without `.js`.
    pub name: &'static str,
    /// Its bytecode: a script whose value is `(internal, global) => void`.
    pub bytecode: &'static [u8],
    /// Globals that load it (lazy files).
    pub globals: &'static [&'static str],
    /// `internal` properties that load it (lazy files).
    pub internals: &'static [&'static str],
}

impl Glue {
    /// Runs on first use of one of its names rather than at context creation
    /// (every lazy file lists at least one).
    pub fn is_lazy(&self) -> bool {
        !self.globals.is_empty() || !self.internals.is_empty()
    }
}

/// Bytecode files by name.
pub type NamedBytecode = [(&'static str, &'static [u8])];

include!(concat!(env!("OUT_DIR"), "/builtin_js.rs"));

/// The bytecode of the built-in function `name` (`handlers/NAME.js`).
pub fn function(name: &str) -> Option<&'static [u8]> {
    FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// The names of `table`, each after `prefix`, separated by commas.
pub fn names(table: &NamedBytecode, prefix: &str) -> alloc::string::String {
    let mut out = alloc::string::String::new();
    for (i, (name, _)) in table.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(prefix);
        out.push_str(name);
    }
    out
}

/// The files of `handlers/` that built-in function `name` imports (besides
/// its entry), by the names their imports resolve to.
pub fn function_modules(name: &str) -> &'static NamedBytecode {
    FUNCTION_MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, m)| m)
}

/// The bytecode of the built-in module `node:NAME` (`src/js/modules/NAME.js`).
pub fn module(name: &str) -> Option<&'static [u8]> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}
