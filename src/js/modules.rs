//! What a function can `import`: the built-in modules of `src/js/modules/`
//! (the Node-like ones, as `node:NAME` or `NAME`), each loaded from its
//! bytecode on first import, so an unimported module costs no RAM.
//!
//! Built-in modules reach the glue through `import internal from
//! "isere:internal"`, a module only they may import.

use alloc::string::String;
use alloc::vec::Vec;

use super::builtin;
use super::engine::{Ctx, ModuleHost, Thrown, Value};
use super::task::ContextState;

/// The module that gives built-in modules the context's `internal` object.
const INTERNAL: &str = "isere:internal";

/// The module host every runtime of the JS task uses.
pub static HOST: ModuleHost = ModuleHost {
    normalize,
    bytecode: |name| builtin::module(name.strip_prefix("node:")?),
    native: &[INTERNAL],
    native_default: internal_object,
};

/// Resolves `name` as imported by module `base` (see the module docs).
fn normalize(base: &str, name: &str) -> Result<String, String> {
    if name == INTERNAL {
        return if base.starts_with("node:") {
            Ok(String::from(INTERNAL))
        } else {
            Err(alloc::format!(
                "cannot import '{INTERNAL}': it is private to the built-in modules"
            ))
        };
    }
    let bare = name.strip_prefix("node:").unwrap_or(name);
    if builtin::module(bare).is_some() {
        return Ok(alloc::format!("node:{bare}"));
    }
    let available = builtin::MODULES
        .iter()
        .map(|(n, _)| alloc::format!("node:{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if name.starts_with("node:") {
        Err(alloc::format!(
            "no built-in module '{name}' (available: {available})"
        ))
    } else {
        Err(alloc::format!(
            "cannot import '{name}' from '{base}': a function is one file and can import \
             only the built-in modules ({available})"
        ))
    }
}

fn internal_object<'c>(ctx: &'c Ctx, _name: &str) -> Result<Value<'c>, Thrown> {
    // SAFETY: every context of the JS task carries its ContextState, which
    // outlives the context.
    let state = unsafe { ctx.opaque::<ContextState>() }
        .ok_or_else(|| ctx.throw_type_error("no function state"))?;
    state.internal(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_built_in_modules_may_import_the_internal_module() {
        assert_eq!(normalize("node:x", INTERNAL).as_deref(), Ok(INTERNAL));
        let err = normalize("hello.js", INTERNAL).unwrap_err();
        assert!(err.contains("private"), "{err}");
    }

    #[test]
    fn other_files_cannot_be_imported_and_the_error_says_what_can() {
        let err = normalize("hello.js", "./util.js").unwrap_err();
        assert!(
            err.contains("'./util.js'") && err.contains("one file"),
            "{err}"
        );
        let err = normalize("hello.js", "node:no-such-module").unwrap_err();
        assert!(
            err.contains("no built-in module 'node:no-such-module'"),
            "{err}"
        );
    }

    #[test]
    fn a_built_in_module_has_one_name_with_and_without_the_node_prefix() {
        for (name, _) in builtin::MODULES {
            let want = alloc::format!("node:{name}");
            assert_eq!(normalize("f.js", name).as_deref(), Ok(want.as_str()));
            assert_eq!(normalize("f.js", &want).as_deref(), Ok(want.as_str()));
        }
    }
}
