//! What a function can `import`:
//!
//! * the built-in modules of `src/js/modules/` (the Node-like ones, as
//!   `node:NAME` or `NAME`), each loaded from its bytecode on first import,
//!   so an unimported module costs no RAM;
//! * its own other files, by a relative specifier (`./util.js`,
//!   `../lib/x.js`), resolved against the importing module's name (see
//!   [`resolve_relative`]).
//!
//! A function's modules are named by their path relative to the directory
//! of its entry module: the entry by its file name (`app.js`), the others
//! by the path their imports resolve to (`lib/util.js`, `../shared/x.js`).
//! `isere build` puts each in the bundle as a module member of that name;
//! a port that compiles function files when it starts ([`compile_function`])
//! names them the same way. In the JS task the modules of a function wait in
//! its context state until its entry's imports load them (each once), and
//! whatever was not imported is dropped once the entry has loaded: a
//! dynamic `import()` of an own file therefore finds the modules the
//! function imports statically (as `isere build` bundles those only).
//!
//! Built-in modules reach the glue through `import internal from
//! "isere:internal"`, a module only they may import.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use super::builtin;
use super::compiler::{self, SourceKind};
use super::engine::{Ctx, ModuleHost, Runtime, RuntimeLimits, Thrown, Value};
use super::task::ContextState;

/// The module that gives built-in modules the context's `internal` object.
const INTERNAL: &str = "isere:internal";

/// The module host every runtime of the JS task uses.
pub static HOST: ModuleHost = ModuleHost {
    normalize,
    bytecode: function_module,
    native: &[INTERNAL],
    native_default: internal_object,
};

/// Whether `specifier` names one of the function's own files.
pub fn is_relative(specifier: &str) -> bool {
    specifier.starts_with("./") || specifier.starts_with("../")
}

/// The name of the module that relative `specifier` names when module
/// `base` imports it: `base`'s directory joined with `specifier`, with `.`
/// and `..` segments folded (`lib/a.js` + `../b.js` = `b.js`; `a.js` +
/// `../x.js` = `../x.js`, a file beside the entry's directory). Pure path
/// arithmetic: the same on the host that builds and on the device.
pub fn resolve_relative(base: &str, specifier: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop(); // the importing file's own name
    let rooted = parts.first() == Some(&"");
    for segment in specifier.split('/') {
        match segment {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." && !last.is_empty() => {
                    parts.pop();
                }
                // Above an absolute path's root there is nothing: stay.
                _ if rooted && parts.len() == 1 => {}
                _ => parts.push(".."),
            },
            s => parts.push(s),
        }
    }
    parts.join("/")
}

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
    if is_relative(name) {
        let resolved = resolve_relative(base, name);
        if resolved.starts_with("node:") || resolved.starts_with("isere:") {
            return Err(alloc::format!(
                "cannot import '{name}' from '{base}': a file's name must not start with node: or isere:"
            ));
        }
        return Ok(resolved);
    }
    if name.starts_with('/') {
        return Err(alloc::format!(
            "cannot import '{name}' from '{base}': import the function's own files by a path relative to the importing file ('./x.js', '../x.js')"
        ));
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
            "cannot import '{name}' from '{base}': a function imports its own files by a \
             relative path ('./{name}') and the built-in modules ({available})"
        ))
    }
}

/// The bytecode of module `name` for the function running in `ctx`: a
/// built-in module, or one of the function's own modules (handed over from
/// its context state: QuickJS loads each module once per context).
fn function_module(ctx: &Ctx, name: &str) -> Result<Cow<'static, [u8]>, String> {
    if let Some(bare) = name.strip_prefix("node:") {
        return builtin::module(bare)
            .map(Cow::Borrowed)
            .ok_or_else(|| alloc::format!("cannot find module '{name}'"));
    }
    // SAFETY: every context of the JS task carries its ContextState, which
    // outlives the context.
    let state = unsafe { ctx.opaque::<ContextState>() }
        .ok_or_else(|| alloc::format!("cannot import '{name}': no function state"))?;
    state.take_module(name).map(Cow::Owned).ok_or_else(|| {
        alloc::format!(
            "cannot find module '{name}': the function has no such file (a bundle holds \
             the files its entry imports, named by their path relative to the entry's \
             directory; rebuild it with `isere build`)"
        )
    })
}

fn internal_object<'c>(ctx: &'c Ctx, _name: &str) -> Result<Value<'c>, Thrown> {
    // SAFETY: every context of the JS task carries its ContextState, which
    // outlives the context.
    let state = unsafe { ctx.opaque::<ContextState>() }
        .ok_or_else(|| ctx.throw_type_error("no function state"))?;
    state.internal(ctx)
}

/// The module host of [`compile_function`]: built-in modules load for real
/// (so a bad `node:` import fails the build), a function's own files are
/// recorded and stand in as empty modules (imports are linked when a module
/// runs, not when it compiles).
static COMPILE_HOST: ModuleHost = ModuleHost {
    normalize,
    bytecode: recorded_module,
    native: &[INTERNAL],
    native_default: no_default,
};

/// A compiling context's opaque: what its module imported.
struct Imports {
    names: RefCell<Vec<String>>,
    /// Bytecode of an empty module, standing in for every own file.
    placeholder: Vec<u8>,
}

fn recorded_module(ctx: &Ctx, name: &str) -> Result<Cow<'static, [u8]>, String> {
    if let Some(bare) = name.strip_prefix("node:") {
        return builtin::module(bare)
            .map(Cow::Borrowed)
            .ok_or_else(|| alloc::format!("cannot find module '{name}'"));
    }
    // SAFETY: `compile_function` gives every compiling context its Imports,
    // alive until the context is freed.
    let imports = unsafe { ctx.opaque::<Imports>() }
        .ok_or_else(|| alloc::format!("cannot import '{name}' here"))?;
    imports.names.borrow_mut().push(name.to_string());
    Ok(Cow::Owned(imports.placeholder.clone()))
}

fn no_default<'c>(ctx: &'c Ctx, name: &str) -> Result<Value<'c>, Thrown> {
    Err(ctx.throw_type_error(&alloc::format!("{name} does not run at build time")))
}

/// Reads a function's file: `Ok(None)` when it does not exist.
pub type ReadFile<'a> = dyn FnMut(&str) -> Result<Option<String>, String> + 'a;

/// Compiles a function made of files: `entry` (a path `read` understands)
/// and, transitively, every file its modules import by a relative
/// specifier (cycles are fine, as in ES). Returns each module's name (see
/// the module docs; the entry first) and bytecode, compiled by the engine
/// the JS task runs. Errors read `file:line:column: message`; an import of a
/// missing file points at the import.
pub fn compile_function(
    entry: &str,
    read: &mut ReadFile<'_>,
    stack_limit: usize,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let (dir, entry_name) = match entry.rsplit_once('/') {
        Some((d, f)) => (Some(d), f),
        None => (None, entry),
    };
    let host_path = |member: &str| match dir {
        Some(d) => alloc::format!("{d}/{member}"),
        None => String::from(member),
    };
    let rt = Runtime::new(RuntimeLimits {
        memory: 0,
        stack: stack_limit,
        heap: super::heap::EngineHeap::Kernel,
    })
    .ok_or_else(|| "cannot create a JS runtime: out of memory".to_string())?;
    rt.set_module_host(&COMPILE_HOST);
    let result = (|| {
        let ctx = rt
            .new_context()
            .ok_or_else(|| "cannot create a JS context: out of memory".to_string())?;
        // SAFETY: the context is live and used by this task only.
        let placeholder = unsafe {
            compiler::compile_with(ctx.raw(), "", "isere:placeholder", SourceKind::Module)
        }
        .map_err(|e| e.to_string())?;
        drop(ctx);
        // Module name, bytecode, source (kept to place a missing import).
        let mut done: Vec<(String, Vec<u8>, String)> = Vec::new();
        // Module name and the module that first imported it.
        let mut queue: Vec<(String, Option<usize>)> = alloc::vec![(entry_name.to_string(), None)];
        while let Some((name, importer)) = queue.pop() {
            let path = host_path(&name);
            let source = match (read(&path)?, importer) {
                (Some(s), _) => s,
                (None, None) => return Err(alloc::format!("{path}: no such file")),
                (None, Some(i)) => {
                    let (by, _, by_source) = &done[i];
                    let (line, column) = import_position(by_source, by, &name).unwrap_or((0, 0));
                    return Err(alloc::format!(
                        "{}:{line}:{column}: cannot import '{name}': {path} does not exist",
                        host_path(by)
                    ));
                }
            };
            let imports = Imports {
                names: RefCell::new(Vec::new()),
                placeholder: placeholder.clone(),
            };
            let ctx = rt
                .new_context()
                .ok_or_else(|| "cannot create a JS context: out of memory".to_string())?;
            ctx.set_opaque::<Imports>(&imports);
            // SAFETY: the context is live and used by this task only.
            let compiled =
                unsafe { compiler::compile_with(ctx.raw(), &source, &name, SourceKind::Module) };
            drop(ctx);
            let bytecode = compiled.map_err(|mut e| {
                e.file = path.clone();
                e.to_string()
            })?;
            let index = done.len();
            done.push((name, bytecode, source));
            for wanted in imports.names.into_inner() {
                let known = done.iter().any(|(n, ..)| *n == wanted)
                    || queue.iter().any(|(n, _)| *n == wanted);
                if !known {
                    queue.push((wanted, Some(index)));
                }
            }
        }
        Ok(done.into_iter().map(|(n, b, _)| (n, b)).collect())
    })();
    rt.free();
    result
}

/// Where in `source` (module `base`) a relative import resolves to
/// `target`: the 1-based line and column of its string literal. A small
/// scan that skips comments and reads quoted strings, enough to point a
/// developer at the import of a missing file.
pub fn import_position(source: &str, base: &str, target: &str) -> Option<(u32, u32)> {
    let mut chars = source.chars().peekable();
    let (mut line, mut column) = (1u32, 0u32);
    fn advance(c: char, line: &mut u32, column: &mut u32) {
        if c == '\n' {
            *line += 1;
            *column = 0;
        } else {
            *column += 1;
        }
    }
    while let Some(c) = chars.next() {
        advance(c, &mut line, &mut column);
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    advance(c, &mut line, &mut column);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut star = false;
                for c in chars.by_ref() {
                    advance(c, &mut line, &mut column);
                    if star && c == '/' {
                        break;
                    }
                    star = c == '*';
                }
            }
            '"' | '\'' | '`' => {
                let (at_line, at_column) = (line, column);
                let mut literal = String::new();
                let mut escaped = false;
                for d in chars.by_ref() {
                    advance(d, &mut line, &mut column);
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c || (d == '\n' && c != '`') {
                        break;
                    }
                    literal.push(d);
                }
                if c != '`' && is_relative(&literal) && resolve_relative(base, &literal) == target
                {
                    return Some((at_line, at_column));
                }
            }
            _ => {}
        }
    }
    None
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
    fn relative_specifiers_resolve_against_the_importing_module() {
        let cases = [
            ("app.js", "./util.js", "util.js"),
            ("app.js", "./lib/util.js", "lib/util.js"),
            ("lib/a.js", "./b.js", "lib/b.js"),
            ("lib/a.js", "../b.js", "b.js"),
            ("lib/deep/a.js", "../../b.js", "b.js"),
            ("lib/a.js", "./../lib/./c.js", "lib/c.js"),
            ("app.js", "../shared/x.js", "../shared/x.js"),
            ("../shared/x.js", "./y.js", "../shared/y.js"),
            ("../shared/x.js", "../../z.js", "../../z.js"),
            ("lib/a.js", ".//b.js", "lib/b.js"),
            ("/abs/app.js", "./u.js", "/abs/u.js"),
            ("/abs/app.js", "../../../u.js", "/u.js"),
        ];
        for (base, spec, want) in cases {
            assert_eq!(resolve_relative(base, spec), want, "{base} + {spec}");
            assert_eq!(normalize(base, spec).as_deref(), Ok(want), "{base} + {spec}");
        }
    }

    #[test]
    fn other_specifiers_are_refused_with_what_can_be_imported() {
        let err = normalize("hello.js", "util.js").unwrap_err();
        assert!(
            err.contains("'util.js'") && err.contains("'./util.js'"),
            "{err}"
        );
        let err = normalize("hello.js", "/abs/util.js").unwrap_err();
        assert!(err.contains("relative"), "{err}");
        let err = normalize("hello.js", "node:no-such-module").unwrap_err();
        assert!(
            err.contains("no built-in module 'node:no-such-module'"),
            "{err}"
        );
        let err = normalize("a.js", "./node:fs").unwrap_err();
        assert!(err.contains("must not start with node:"), "{err}");
    }

    #[test]
    fn a_built_in_module_has_one_name_with_and_without_the_node_prefix() {
        for (name, _) in builtin::MODULES {
            let want = alloc::format!("node:{name}");
            assert_eq!(normalize("f.js", name).as_deref(), Ok(want.as_str()));
            assert_eq!(normalize("f.js", &want).as_deref(), Ok(want.as_str()));
        }
    }

    #[test]
    fn the_position_of_an_import_skips_comments_and_other_strings() {
        let source = "// import './gone.js'\n/* './gone.js' */ const s = \"x\";\n\
                      import { a } from './ok.js';\n  import b from \"./lib/../gone.js\";\n";
        assert_eq!(import_position(source, "app.js", "gone.js"), Some((4, 17)));
        assert_eq!(import_position(source, "app.js", "ok.js"), Some((3, 19)));
        assert_eq!(import_position(source, "app.js", "nothing.js"), None);
        assert_eq!(
            import_position("import x from '../y.js'", "lib/a.js", "y.js"),
            Some((1, 15))
        );
    }
}
