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
//! of its entry module (the entry by its file name, `app.js`; the others
//! `lib/util.js`...), or, when its imports reach outside that directory, to
//! the deepest directory holding all its files (`app/app.js`,
//! `shared/x.js`): one file, one name, however it is imported.
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
use super::context::ContextState;
use super::engine::{Ctx, ModuleBytecode, ModuleHost, Runtime, RuntimeLimits, Thrown, Value};

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
    // On bytes (`/` and `.` are ASCII): small code for the boards. The
    // importing file's directory; it ends with `/` (or is empty) while
    // segments are added.
    let dir_end = base.bytes().rposition(|b| b == b'/').map_or(0, |i| i + 1);
    let mut name = base.as_bytes()[..dir_end].to_vec();
    for segment in specifier.as_bytes().split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                // Without its trailing `/`.
                let dir = &name[..name.len().saturating_sub(1)];
                let start = dir.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
                match &dir[start..] {
                    // Above an absolute path's root there is nothing: stay.
                    b"" if name.first() == Some(&b'/') => {}
                    b"" | b".." => name.extend_from_slice(b"../"),
                    _ => name.truncate(start),
                }
            }
            s => {
                name.extend_from_slice(s);
                name.push(b'/');
            }
        }
    }
    name.pop();
    // Whole segments of two strings: still UTF-8.
    String::from_utf8(name).unwrap_or_default()
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
        // A file name must not pass for a module of the host
        // (`./isere:internal`).
        if !resolved.bytes().any(|b| b == b':') {
            return Ok(resolved);
        }
    } else {
        let bare = name.strip_prefix("node:").unwrap_or(name);
        if builtin::module(bare).is_some() {
            return Ok(alloc::format!("node:{bare}"));
        }
    }
    let available = builtin::names(builtin::MODULES, "node:");
    let what = if name.starts_with("node:") {
        "no built-in module"
    } else {
        "cannot import"
    };
    Err(alloc::format!(
        "{what} '{name}' from '{base}': a function imports its own files by a relative \
         path ('./x.js', '../x.js') and the built-in modules ({available})"
    ))
}

/// The bytecode of module `name` for the function running in `ctx`: a
/// built-in module, or one of the function's own modules (handed over from
/// its context state: QuickJS loads each module once per context).
fn function_module(ctx: &Ctx, name: &str) -> ModuleBytecode {
    let found = match name.strip_prefix("node:") {
        Some(bare) => builtin::module(bare).map(Cow::Borrowed),
        None => ContextState::of(ctx)
            .ok()
            .and_then(|state| state.take_module(name))
            .map(Cow::Owned),
    };
    found
        .ok_or_else(|| alloc::format!("cannot find module '{name}': the function has no such file"))
}

fn internal_object<'c>(ctx: &'c Ctx, _name: &str) -> Result<Value<'c>, Thrown> {
    ContextState::of(ctx)?.internal(ctx)
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

fn recorded_module(ctx: &Ctx, name: &str) -> ModuleBytecode {
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
/// specifier (cycles are fine, as in ES). Returns each module's name and
/// bytecode, the entry first, compiled by the engine the JS task runs.
///
/// A module is named by its path relative to the deepest directory that
/// holds all of the function's files: the entry's directory, unless an
/// import reaches outside it (`../shared/x.js`), so that one file always
/// has one name however it is reached. Errors read
/// `file:line:column: message`; an import of a missing file points at the
/// import.
pub fn compile_function(
    entry: &str,
    read: &mut ReadFile<'_>,
    stack_limit: usize,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let rt = Runtime::new(RuntimeLimits {
        memory: 0,
        stack: stack_limit,
        // The global allocator: safe on a host with several threads and no
        // scheduler (the CLI, tests), and the kernel heap on a board anyway.
        heap: super::heap::EngineHeap::Global,
    })
    .ok_or_else(|| "cannot create a JS runtime: out of memory".to_string())?;
    rt.set_module_host(&COMPILE_HOST);
    let result = (|| {
        let placeholder = compile_one(&rt, "", "isere:placeholder", "", &[])?.0;
        // First every file, each named by its path as `read` takes it.
        let files = discover(&rt, &placeholder, entry, read)?;
        let root = common_directory(files.iter().map(|(path, _)| path.as_str()));
        let name_of =
            |path: &str| -> String { path.split('/').skip(root).collect::<Vec<_>>().join("/") };
        // Then each under its name, which its imports resolve against.
        let mut modules = Vec::with_capacity(files.len());
        for (path, source) in &files {
            let name = name_of(path);
            let (bytecode, imports) = compile_one(&rt, source, &name, path, &placeholder)?;
            for import in imports {
                if !files.iter().any(|(p, _)| name_of(p) == import) {
                    // Only a path that leaves the directory and comes back
                    // into it resolves differently from the host's path.
                    let (line, column, literal) =
                        import_position(source, &name, &import).unwrap_or((0, 0, import.clone()));
                    return Err(alloc::format!(
                        "{path}:{line}:{column}: import '{literal}' goes out of the function's directory and back into it: import it by its direct path"
                    ));
                }
            }
            modules.push((name, bytecode));
        }
        Ok(modules)
    })();
    rt.free();
    result
}

/// Finds the files of a function: its entry's path (folded) and every file
/// its modules import, transitively, by their folded paths, with their
/// sources; the entry first.
fn discover(
    rt: &Runtime,
    placeholder: &[u8],
    entry: &str,
    read: &mut ReadFile<'_>,
) -> Result<Vec<(String, String)>, String> {
    let root = if entry.starts_with('/') { "/" } else { "" };
    let entry = resolve_relative(root, entry);
    let mut files: Vec<(String, String)> = Vec::new();
    // A path and the file (an index in `files`) that first imported it.
    let mut queue: Vec<(String, Option<usize>)> = alloc::vec![(entry, None)];
    let mut next = 0;
    while next < queue.len() {
        let (path, importer) = queue[next].clone();
        next += 1;
        let source = match (read(&path)?, importer) {
            (Some(s), _) => s,
            (None, None) => return Err(alloc::format!("{path}: no such file")),
            (None, Some(i)) => {
                let (by, by_source) = &files[i];
                let (line, column, literal) =
                    import_position(by_source, by, &path).unwrap_or((0, 0, path.clone()));
                return Err(alloc::format!(
                    "{by}:{line}:{column}: cannot import '{literal}': {path} does not exist"
                ));
            }
        };
        let (_, imports) = compile_one(rt, &source, &path, &path, placeholder)?;
        let index = files.len();
        files.push((path, source));
        for import in imports {
            if !queue.iter().any(|(p, _)| *p == import) {
                queue.push((import, Some(index)));
            }
        }
    }
    Ok(files)
}

/// How many leading directories all of `paths` share.
fn common_directory<'p>(paths: impl Iterator<Item = &'p str>) -> usize {
    let mut common: Option<Vec<&str>> = None;
    for path in paths {
        let mut dirs: Vec<&str> = path.split('/').collect();
        dirs.pop();
        common = Some(match common {
            None => dirs,
            Some(c) => c
                .into_iter()
                .zip(dirs)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    // A leading `..` is a directory only the host can name: keep it.
    common.map_or(0, |c| c.iter().take_while(|d| **d != "..").count())
}

/// Compiles one module named `name` (its errors name the file `path`) in a
/// fresh context (`placeholder` stands in for the function's own files it
/// imports; empty when compiling the placeholder itself); returns its
/// bytecode and the names of the own modules it imports.
fn compile_one(
    rt: &Runtime,
    source: &str,
    name: &str,
    path: &str,
    placeholder: &[u8],
) -> Result<(Vec<u8>, Vec<String>), String> {
    let imports = Imports {
        names: RefCell::new(Vec::new()),
        placeholder: placeholder.to_vec(),
    };
    let ctx = rt
        .new_context()
        .ok_or_else(|| "cannot create a JS context: out of memory".to_string())?;
    ctx.set_opaque::<Imports>(&imports);
    // SAFETY: the context is live and used by this task only.
    let compiled = unsafe { compiler::compile_with(ctx.raw(), source, name, SourceKind::Module) };
    drop(ctx);
    let bytecode = compiled.map_err(|mut e| {
        e.file = path.to_string();
        e.to_string()
    })?;
    Ok((bytecode, imports.names.into_inner()))
}

/// Where in `source` (module `base`) a relative import resolves to
/// `target`: the 1-based line and column of its string literal, and the
/// literal. A small scan that skips comments and reads quoted strings,
/// enough to point a developer at the import of a missing file.
pub fn import_position(source: &str, base: &str, target: &str) -> Option<(u32, u32, String)> {
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
                if c != '`' && is_relative(&literal) && resolve_relative(base, &literal) == target {
                    return Some((at_line, at_column, literal));
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
            assert_eq!(
                normalize(base, spec).as_deref(),
                Ok(want),
                "{base} + {spec}"
            );
        }
    }

    #[test]
    fn other_specifiers_are_refused_with_what_can_be_imported() {
        for name in [
            "util.js",
            "/abs/util.js",
            "node:no-such-module",
            "./node:fs",
        ] {
            let err = normalize("hello.js", name).unwrap_err();
            assert!(
                err.contains(&alloc::format!("'{name}' from 'hello.js'"))
                    && err.contains("relative path ('./x.js'")
                    && err.contains("node:buffer"),
                "{err}"
            );
        }
        let err = normalize("a.js", "./isere:internal").unwrap_err();
        assert!(err.contains("cannot import"), "{err}");
    }

    #[test]
    fn a_built_in_module_has_one_name_with_and_without_the_node_prefix() {
        for (name, _) in builtin::MODULES {
            let want = alloc::format!("node:{name}");
            assert_eq!(normalize("f.js", name).as_deref(), Ok(want.as_str()));
            assert_eq!(normalize("f.js", &want).as_deref(), Ok(want.as_str()));
        }
    }

    /// Compiles `entry` from the files of `files` (path, source).
    fn compile_files(entry: &str, files: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let mut read = |path: &str| {
            Ok(files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, s)| s.to_string()))
        };
        let modules = compile_function(entry, &mut read, 256 * 1024)?;
        assert!(modules.iter().all(|(_, b)| !b.is_empty()));
        Ok(modules.into_iter().map(|(n, _)| n).collect())
    }

    #[test]
    fn a_function_compiles_with_every_file_it_imports_cycles_included() {
        let files = [
            (
                "src/app.js",
                "import { a } from './lib/a.js';\nimport { s } from '../shared/s.js';\n\
                 import { Buffer } from 'node:buffer';\n\
                 export default { fetch() { return new Response(a() + s); } };",
            ),
            (
                "src/lib/a.js",
                "import { b } from './b.js';\nexport const a = () => b();",
            ),
            (
                "src/lib/b.js",
                "import { a } from '../lib/a.js';\nexport const b = () => typeof a;",
            ),
            ("shared/s.js", "export const s = 's';"),
        ];
        // Named below the directory holding them all: `shared/` is outside
        // the entry's.
        let mut names = compile_files("src/app.js", &files).unwrap();
        assert_eq!(names.remove(0), "src/app.js", "the entry comes first");
        names.sort();
        assert_eq!(names, ["shared/s.js", "src/lib/a.js", "src/lib/b.js"]);
        // Below the entry's directory when nothing is outside it.
        let err = compile_files("./src/lib/../app.js", &files[..3]).unwrap_err();
        assert!(err.contains("shared/s.js does not exist"), "{err}");
        let files = [
            ("/w/f/app.js", "import { a } from './lib/a.js';"),
            ("/w/f/lib/a.js", "import '../app.js'; export const a = 1;"),
        ];
        let names = compile_files("/w/f/app.js", &files).unwrap();
        assert_eq!(names, ["app.js", "lib/a.js"]);
    }

    #[test]
    fn a_path_out_of_the_functions_directory_and_back_is_refused() {
        let files = [
            (
                "app/app.js",
                "import { x } from './x.js';\nimport { y } from '../app/x.js';",
            ),
            ("app/x.js", "export const x = 1, y = 2;"),
        ];
        let err = compile_files("app/app.js", &files).unwrap_err();
        assert_eq!(
            err,
            "app/app.js:2:19: import '../app/x.js' goes out of the function's directory and back into it: import it by its direct path"
        );
    }

    #[test]
    fn a_missing_file_or_a_syntax_error_points_at_its_place() {
        let files = [
            (
                "f/app.js",
                "import { a } from './a.js';\nexport default {};",
            ),
            (
                "f/a.js",
                "export const a = 1;\n  import x from './gone.js';",
            ),
        ];
        let err = compile_files("f/app.js", &files).unwrap_err();
        assert_eq!(
            err,
            "f/a.js:2:17: cannot import './gone.js': f/gone.js does not exist"
        );
        let err = compile_files("f/nope.js", &files).unwrap_err();
        assert_eq!(err, "f/nope.js: no such file");
        let files = [
            ("app.js", "import './bad.js';"),
            ("bad.js", "export const = 1;"),
        ];
        let err = compile_files("app.js", &files).unwrap_err();
        assert!(err.starts_with("bad.js:1:"), "{err}");
        assert!(err.contains("SyntaxError"), "{err}");
    }

    #[test]
    fn the_position_of_an_import_skips_comments_and_other_strings() {
        let source = "// import './gone.js'\n/* './gone.js' */ const s = \"x\";\n\
                      import { a } from './ok.js';\n  import b from \"./lib/../gone.js\";\n";
        let at = |base, target| import_position(source, base, target).map(|(l, c, _)| (l, c));
        assert_eq!(at("app.js", "gone.js"), Some((4, 17)));
        assert_eq!(at("app.js", "ok.js"), Some((3, 19)));
        assert_eq!(at("app.js", "nothing.js"), None);
        assert_eq!(
            import_position("import x from '../y.js'", "lib/a.js", "y.js"),
            Some((1, 15, String::from("../y.js")))
        );
    }
}
