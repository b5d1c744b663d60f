//! Build script: turns JavaScript into QuickJS bytecode and compiles FreeRTOS.
//!
//! 1. `handlers/*.js` (the example functions, with the files of `handlers/`
//!    they import) and `src/js/glue/*.js` (the Web API glue) are compiled to
//!    bytecode with the same QuickJS-NG the firmware links; `builtin_js.rs`
//!    in `OUT_DIR` lists them for `src/js/builtin.rs`.
//! 2. With a port feature, the FreeRTOS-Kernel V11.2.0 sources bundled by the
//!    `freertos-next` crate are compiled with `freertos-config/<port>/`. That
//!    crate is only a build dependency (its Rust wrapper does not build for
//!    `thumbv6m-none-eabi`), so its directory is found with `cargo metadata`.
//!    The kernel is compiled with `cc` directly rather than `freertos-build`,
//!    which insists on its own shim file and overrides configuration macros
//!    from `DEP_FREERTOS_*` variables we do not have.

extern crate alloc;

#[path = "src/js/compiler.rs"]
#[allow(dead_code)]
mod compiler;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use compiler::{SourceKind, compile_with};
use rquickjs_sys as qjs;

/// The glue files every context runs when it is created, in this order (later
/// files use what earlier ones put on `internal`). Every other file of
/// `src/js/glue/` must start with a `// @lazy globals: ...; internal: ...`
/// line and runs on first use of one of the names it lists.
const EAGER_GLUE: &[&str] = &["dispatch"];

/// The ports, one per build (each brings its kernel port, critical section
/// and entry point); `src/lib.rs` checks the same at compile time.
const PORTS: [&str; 4] = [
    "port-posix",
    "board-mps2-an385",
    "board-rp2040",
    "board-esp32c3",
];

fn main() {
    let chosen: Vec<&str> = PORTS
        .iter()
        .copied()
        .filter(|p| {
            let var = format!("CARGO_FEATURE_{}", p.to_uppercase().replace('-', "_"));
            env::var_os(var).is_some()
        })
        .collect();
    if chosen.len() > 1 {
        eprintln!(
            "features {} exclude each other: build one port at a time (boards with --no-default-features)",
            chosen.join(" and ")
        );
        std::process::exit(1);
    }
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=handlers");
    println!("cargo:rerun-if-changed=src/js/glue");
    println!("cargo:rerun-if-changed=src/js/modules");
    println!("cargo:rerun-if-changed=src/js/compiler.rs");

    compile_js(&root, &out);
    if env::var_os("CARGO_FEATURE_BOARD_RP2040").is_some() {
        board_config(&root, "port/rp2040/isere.json");
    }

    if env::var_os("CARGO_FEATURE_PORT_POSIX").is_some() {
        compile_freertos(
            &root,
            "posix",
            "ThirdParty/GCC/Posix",
            &[],
            &[],
            &[("_GNU_SOURCE", None), ("ISERE_PORT_POSIX", None)],
        );
        println!("cargo:rustc-link-lib=pthread");
    }
    if env::var_os("CARGO_FEATURE_BOARD_MPS2_AN385").is_some() {
        // Built for thumbv6m-none-eabi, the Cortex-M3 board runs the
        // ARMv6-M code and the CM0 kernel port of the RP2040 (a subset).
        if env::var("TARGET").unwrap().starts_with("thumbv6m") {
            board(
                &root,
                &out,
                "mps2-an385",
                "GCC/ARM_CM0",
                &["-mthumb", "-march=armv6s-m"],
            );
        } else {
            board(
                &root,
                &out,
                "mps2-an385",
                "GCC/ARM_CM3",
                &["-mthumb", "-march=armv7-m"],
            );
        }
    }
    if env::var_os("CARGO_FEATURE_BOARD_RP2040").is_some() {
        // One core (core 1 stays in the boot ROM), so the single-core CM0
        // port rather than the kernel's SMP ThirdParty/GCC/RP2040 port,
        // which needs the Pico SDK.
        board(
            &root,
            &out,
            "rp2040",
            "GCC/ARM_CM0",
            &["-mthumb", "-march=armv6s-m"],
        );
    }
    if env::var_os("CARGO_FEATURE_BOARD_ESP32C3").is_some() {
        let epoch = build_epoch();
        // The generic RISC-V port with no CLINT: the board supplies the tick.
        compile_freertos(
            &root,
            "esp32c3",
            "GCC/RISC-V",
            &["chip_specific_extensions/RISCV_no_extensions"],
            &["malloc.c"],
            &[("ISERE_BUILD_EPOCH", Some(&epoch))],
        );
        link_esp32c3(&root, &out, "isere-esp32c3");
    }
}

/// picolibc for riscv64-unknown-elf as Debian installs it
/// (`picolibc-riscv64-unknown-elf`); `PICOLIBC_DIR` overrides it.
const PICOLIBC_DIR: &str = "/usr/lib/picolibc/riscv64-unknown-elf";

/// Linker set-up of the ESP32-C3 binary: the board's own linker script
/// (`port/esp32c3/esp32c3.x`, the memory map and the ESP-IDF image layout),
/// picolibc's `libc.a` and libgcc for RV32IM/ilp32.
///
/// Neither Debian package has an rv32imc multilib; rv32im code runs on the
/// C3 (the C extension only adds instructions) and has no atomics, which the
/// chip lacks. picolibc's `rv32im/libm.a` is an empty stub: the math
/// functions are in its `libc.a`, so `-lm` is not linked.
fn link_esp32c3(root: &Path, out: &Path, bin: &str) {
    let script = root.join("port/esp32c3/esp32c3.x");
    fs::copy(&script, out.join("esp32c3.x")).unwrap();
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bin={bin}=-Tesp32c3.x");

    let gcc = |arg: &str| -> String {
        let output = Command::new("riscv64-unknown-elf-gcc")
            .args(["-march=rv32im", "-mabi=ilp32", arg])
            .output()
            .expect("riscv64-unknown-elf-gcc not found (Debian: gcc-riscv64-unknown-elf)");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let multilib = gcc("-print-multi-directory");
    assert_eq!(
        multilib, "rv32im/ilp32",
        "riscv64-unknown-elf-gcc has no rv32im/ilp32 multilib"
    );
    let libgcc = PathBuf::from(gcc("-print-libgcc-file-name"));
    assert!(libgcc.is_absolute(), "no libgcc.a for rv32im/ilp32");

    println!("cargo:rerun-if-env-changed=PICOLIBC_DIR");
    let picolibc = env::var("PICOLIBC_DIR").unwrap_or_else(|_| PICOLIBC_DIR.into());
    let libc_dir = Path::new(&picolibc).join("lib").join(&multilib);
    assert!(
        libc_dir.join("libc.a").exists(),
        "no {}/libc.a: install picolibc-riscv64-unknown-elf",
        libc_dir.display()
    );
    println!("cargo:rustc-link-search={}", libc_dir.display());
    println!(
        "cargo:rustc-link-search={}",
        libgcc.parent().unwrap().display()
    );
    for lib in ["-lc", "-lgcc"] {
        println!("cargo:rustc-link-arg-bin={bin}={lib}");
    }
}

/// A board firmware: the kernel with `freertos-config/<name>/` and the
/// FreeRTOS `port`, the board's C files, and the link set-up of its binary
/// `isere-<name>` for the architecture `gcc_arch`.
fn board(root: &Path, out: &Path, name: &str, port: &str, gcc_arch: &[&str]) {
    let epoch = build_epoch();
    // The ARM boards share the newlib glue and the allocator.
    compile_freertos(
        root,
        name,
        port,
        &[],
        &["malloc.c", "newlib.c"],
        &[("ISERE_BUILD_EPOCH", Some(&epoch))],
    );
    link_board(root, out, name, &format!("isere-{name}"), gcc_arch);
}

/// The configuration a board image is provisioned with: the file named by
/// `ISERE_BOARD_CONFIG` (relative to the crate root or absolute), else the
/// port's own, given to the board's source as `ISERE_BOARD_CONFIG`. Its
/// admin keys are what lets the owner deploy to a board fresh from the
/// boot drive (port/rp2040/README.md).
fn board_config(root: &Path, default: &str) {
    println!("cargo:rerun-if-env-changed=ISERE_BOARD_CONFIG");
    let path = match env::var_os("ISERE_BOARD_CONFIG") {
        Some(p) if !p.is_empty() => root.join(p),
        _ => root.join(default),
    };
    if !path.is_file() {
        eprintln!("ISERE_BOARD_CONFIG: {} is not a file", path.display());
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rustc-env=ISERE_BOARD_CONFIG={}", path.display());
}

/// Seconds since the Unix epoch for the boards' clock (no RTC): the
/// `SOURCE_DATE_EPOCH` of a reproducible build, else now. Also given to the
/// Rust side as `ISERE_BUILD_EPOCH`.
fn build_epoch() -> String {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let epoch = env::var("SOURCE_DATE_EPOCH").unwrap_or_else(|_| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        now.as_secs().to_string()
    });
    println!("cargo:rustc-env=ISERE_BUILD_EPOCH={epoch}");
    epoch
}

/// Linker set-up of a board binary: cortex-m-rt's `link.x` with the board's
/// `memory.x` and, unless its PAC provides one (rp2040-pac does), its
/// `device.x`; newlib-nano, libm and libgcc of the arm-none-eabi toolchain
/// for the board's architecture.
fn link_board(root: &Path, out: &Path, board: &str, bin: &str, gcc_arch: &[&str]) {
    let dir = root.join("port").join(board);
    for file in ["memory.x", "device.x"] {
        let src = dir.join(file);
        println!("cargo:rerun-if-changed={}", src.display());
        if file == "memory.x" || src.exists() {
            fs::copy(&src, out.join(file)).unwrap();
        }
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bin={bin}=-Tlink.x");
    let gcc_file = |name: &str| -> PathBuf {
        let output = Command::new("arm-none-eabi-gcc")
            .args(gcc_arch)
            .arg(format!("-print-file-name={name}"))
            .output()
            .expect("arm-none-eabi-gcc not found (Debian: gcc-arm-none-eabi)");
        let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        assert!(
            path.is_absolute(),
            "arm-none-eabi-gcc does not know {name}: install libnewlib-arm-none-eabi"
        );
        path
    };
    for lib in ["libc_nano.a", "libm.a", "libgcc.a"] {
        let path = gcc_file(lib);
        println!(
            "cargo:rustc-link-search={}",
            path.parent().unwrap().display()
        );
    }
    for lib in ["-lc_nano", "-lm", "-lgcc"] {
        println!("cargo:rustc-link-arg-bin={bin}={lib}");
    }
}

/// Compiles every built-in script and module to bytecode files in `out`.
fn compile_js(root: &Path, out: &Path) {
    let modules: Vec<String> = builtin_modules(root)
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    MODULE_NAMES.set(modules).unwrap();
    // SAFETY: a private runtime and context, freed at the end.
    let (rt, ctx) = unsafe {
        let rt = qjs::JS_NewRuntime();
        compiler::accept_imports(rt, &(is_builtin_import as fn(&str) -> bool));
        let ctx = qjs::JS_NewContext(rt);
        (rt, ctx)
    };
    let mut table = String::new();
    table.push_str(
        "/// The Web API glue scripts: the eager ones first, in the order a context runs them.\n",
    );
    table.push_str("pub static GLUE: &[Glue] = &[\n");
    for (name, lazy) in glue_files(root) {
        let path = root.join("src/js/glue").join(format!("{name}.js"));
        let file = out.join(format!("glue-{name}.qbc"));
        fs::write(
            &file,
            compile_file(ctx, &path, &format!("isere:{name}"), SourceKind::Script),
        )
        .unwrap();
        let (globals, internals) = lazy.unwrap_or_default();
        writeln!(
            table,
            "    Glue {{ name: {name:?}, bytecode: include_bytes!({:?}), globals: &{globals:?}, internals: &{internals:?} }},",
            file.display(),
        )
        .unwrap();
    }
    table.push_str("];\n\n");

    table.push_str("/// The built-in ES modules (`src/js/modules/`), by name (`node:NAME`).\n");
    table.push_str("pub static MODULES: &[(&str, &[u8])] = &[\n");
    for path in builtin_modules(root) {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let file = out.join(format!("module-{name}.qbc"));
        compile_entry(
            ctx,
            &mut table,
            name,
            &path,
            &format!("node:{name}"),
            SourceKind::Module,
            &file,
        );
    }
    table.push_str("];\n\n");

    let handlers = js_files(&root.join("handlers"));
    table.push_str("/// The example functions of `handlers/`, by name.\n");
    table.push_str("pub static FUNCTIONS: &[(&str, &[u8])] = &[\n");
    // What each function imports from `handlers/` besides its entry, and
    // those files' bytecode (each compiled once, under the name its imports
    // resolve to: its path below `handlers/`).
    let mut imported: Vec<(String, Vec<String>)> = Vec::new();
    let mut module_files: Vec<(String, PathBuf)> = Vec::new();
    for path in &handlers {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let file = out.join(format!("fn-{name}.qbc"));
        *HANDLER_IMPORTS.lock().unwrap() = Some(Vec::new());
        compile_entry(
            ctx,
            &mut table,
            name,
            path,
            &format!("{name}.js"),
            SourceKind::Module,
            &file,
        );
        let mut done = 0;
        loop {
            let wanted = HANDLER_IMPORTS.lock().unwrap().clone().unwrap_or_default();
            let Some(module) = wanted.get(done).cloned() else {
                break;
            };
            done += 1;
            if module_files.iter().any(|(m, _)| *m == module) {
                continue;
            }
            assert!(
                !module.starts_with("../") && !module.starts_with('/'),
                "handlers/{name}.js imports '{module}': example functions import files of handlers/ only"
            );
            let bytecode = out.join(format!("fnmod-{}.qbc", module_files.len()));
            let source = root.join("handlers").join(&module);
            fs::write(
                &bytecode,
                compile_file(ctx, &source, &module, SourceKind::Module),
            )
            .unwrap();
            module_files.push((module, bytecode));
        }
        let wanted = HANDLER_IMPORTS.lock().unwrap().take().unwrap_or_default();
        if !wanted.is_empty() {
            imported.push((name.to_string(), wanted));
        }
    }
    table.push_str("];\n\n");
    for (i, (_, file)) in module_files.iter().enumerate() {
        writeln!(
            table,
            "static FUNCTION_MODULE_{i}: &[u8] = include_bytes!({:?});",
            file.display()
        )
        .unwrap();
    }
    table.push_str(
        "/// The files of `handlers/` each example function imports, by name.\n\
         pub static FUNCTION_MODULES: &[(&str, &NamedBytecode)] = &[\n",
    );
    for (function, modules) in &imported {
        write!(table, "    ({function:?}, &[").unwrap();
        for module in modules {
            let i = module_files.iter().position(|(m, _)| m == module).unwrap();
            write!(table, "({module:?}, FUNCTION_MODULE_{i}), ").unwrap();
        }
        table.push_str("]),\n");
    }
    table.push_str("];\n");
    fs::write(out.join("builtin_js.rs"), table).unwrap();

    // SAFETY: nothing refers to the context or runtime any more.
    unsafe {
        qjs::JS_FreeContext(ctx);
        qjs::JS_FreeRuntime(rt);
    }
}

/// The names of `src/js/modules/*.js`.
static MODULE_NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// While an example function compiles: the names of the files of
/// `handlers/` its modules import (QuickJS resolves `./x.js` against the
/// importing module's name, as the device does).
static HANDLER_IMPORTS: std::sync::Mutex<Option<Vec<String>>> = std::sync::Mutex::new(None);

/// What the built-in modules and example functions may import while they are
/// compiled: the glue's internal module and the built-in modules, and the
/// example functions their own files (recorded, compiled after them).
fn is_builtin_import(name: &str) -> bool {
    let bare = name.strip_prefix("node:").unwrap_or(name);
    let builtin = name == "isere:internal"
        || MODULE_NAMES
            .get()
            .is_some_and(|m| m.iter().any(|n| n == bare));
    if builtin {
        return true;
    }
    match HANDLER_IMPORTS.lock().unwrap().as_mut() {
        Some(wanted) => {
            if !wanted.iter().any(|w| w == name) {
                wanted.push(name.to_string());
            }
            true
        }
        None => false,
    }
}

/// The `.js` files of `dir`, sorted (none if it does not exist).
fn js_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "js"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// The Node-like modules of `src/js/modules/`, when the `node-modules`
/// feature is on (a board short of flash leaves them out).
fn builtin_modules(root: &Path) -> Vec<PathBuf> {
    if env::var_os("CARGO_FEATURE_NODE_MODULES").is_none() {
        return Vec::new();
    }
    js_files(&root.join("src/js/modules"))
}

/// Whether a glue file's `// @feature NAME` line (if any, on its first
/// lines) names a feature this build has.
fn feature_enabled(source: &str) -> bool {
    source
        .lines()
        .take(3)
        .all(|line| match line.strip_prefix("// @feature ") {
            Some(name) => {
                let var = format!(
                    "CARGO_FEATURE_{}",
                    name.trim().to_uppercase().replace('-', "_")
                );
                env::var_os(var).is_some()
            }
            None => true,
        })
}

/// Names of lazily loaded globals and `internal` properties.
type LazyNames = (Vec<String>, Vec<String>);

/// The glue files: the eager ones in [`EAGER_GLUE`] order, then every other
/// file with the names its `// @lazy` header lists.
fn glue_files(root: &Path) -> Vec<(String, Option<LazyNames>)> {
    let mut glue: Vec<(String, Option<LazyNames>)> =
        EAGER_GLUE.iter().map(|n| (n.to_string(), None)).collect();
    for path in js_files(&root.join("src/js/glue")) {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if EAGER_GLUE.contains(&name.as_str()) {
            continue;
        }
        let source = fs::read_to_string(&path).unwrap();
        if !feature_enabled(&source) {
            continue;
        }
        let header = source.lines().next().unwrap_or("");
        let lazy = parse_lazy_header(header).unwrap_or_else(|| {
            panic!(
                "{}: a glue file not in EAGER_GLUE must start with \
                 `// @lazy globals: A, B; internal: x, y`",
                path.display()
            )
        });
        glue.push((name, Some(lazy)));
    }
    glue
}

/// Parses `// @lazy globals: A, B; internal: x, y` (either list may be empty).
fn parse_lazy_header(line: &str) -> Option<LazyNames> {
    let rest = line.strip_prefix("// @lazy")?.trim();
    let mut names = (Vec::new(), Vec::new());
    for part in rest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, list) = part.split_once(':')?;
        let list: Vec<String> = list
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        match key.trim() {
            "globals" => names.0 = list,
            "internal" => names.1 = list,
            _ => return None,
        }
    }
    (!names.0.is_empty() || !names.1.is_empty()).then_some(names)
}

/// Compiles `path` into `file` and adds `(name, bytes)` to the table being written.
fn compile_entry(
    ctx: *mut qjs::JSContext,
    table: &mut String,
    name: &str,
    path: &Path,
    label: &str,
    kind: SourceKind,
    file: &Path,
) {
    fs::write(file, compile_file(ctx, path, label, kind)).unwrap();
    writeln!(
        table,
        "    ({name:?}, include_bytes!({:?})),",
        file.display()
    )
    .unwrap();
}

fn compile_file(ctx: *mut qjs::JSContext, path: &Path, name: &str, kind: SourceKind) -> Vec<u8> {
    let source =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // SAFETY: the context is live and used by this thread only.
    match unsafe { compile_with(ctx, &source, name, kind) } {
        Ok(bc) => bc,
        Err(e) => panic!("{} (in {})", e, path.display()),
    }
}

/// Finds the FreeRTOS-Kernel directory bundled by the `freertos-next` package.
fn freertos_kernel_dir(root: &Path) -> PathBuf {
    if let Some(dir) = env::var_os("FREERTOS_KERNEL_DIR") {
        return PathBuf::from(dir);
    }
    println!("cargo:rerun-if-env-changed=FREERTOS_KERNEL_DIR");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .arg("--filter-platform")
        .arg(env::var("HOST").unwrap())
        .current_dir(root)
        .output()
        .expect("cannot run `cargo metadata`");
    assert!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "freertos-next")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("freertos-next is not in the dependency graph");
    Path::new(manifest)
        .parent()
        .unwrap()
        .join("FreeRTOS-Kernel")
}

/// Compiles the kernel, the chosen port, heap_4, our C shim and the port's C
/// files (`port/<config>/*.c`, plus `common_c` of `port/common/`) into
/// `libfreertos.a`. `port_includes` are
/// extra include directories inside the port (e.g. the RISC-V port's chip
/// extensions header).
fn compile_freertos(
    root: &Path,
    config: &str,
    port: &str,
    port_includes: &[&str],
    common_c: &[&str],
    defines: &[(&str, Option<&str>)],
) {
    let kernel = freertos_kernel_dir(root);
    let port_dir = kernel.join("portable").join(port);
    let config_dir = root.join("freertos-config").join(config);
    println!("cargo:rerun-if-changed={}", config_dir.display());
    println!("cargo:rerun-if-changed=src/rtos/shim.c");

    let mut build = cc::Build::new();
    build
        .include(kernel.join("include"))
        .include(&port_dir)
        .include(&config_dir)
        .warnings(false)
        .flag_if_supported("-Wno-unused-parameter");
    for dir in port_includes {
        build.include(port_dir.join(dir));
    }
    if env::var("CARGO_CFG_TARGET_ARCH").unwrap() == "riscv32" {
        // The port's assembly reads CSRs: GCC 12 wants Zicsr named (cc
        // passes the bare `-march=rv32imc` of the Rust target).
        build.flag("-march=rv32imc_zicsr_zifencei");
    }
    for name in [
        "tasks.c",
        "queue.c",
        "list.c",
        "timers.c",
        "event_groups.c",
        "stream_buffer.c",
    ] {
        build.file(kernel.join(name));
    }
    for entry in walk(&port_dir) {
        if entry
            .extension()
            .is_some_and(|e| e == "c" || e == "S" || e == "s")
        {
            build.file(entry);
        }
    }
    // heap_4, compiled through a file that adds a size accessor to it.
    build.include(&kernel);
    build.file(root.join("src/rtos/heap.c"));
    println!("cargo:rerun-if-changed=src/rtos/heap.c");
    build.file(root.join("src/rtos/shim.c"));
    for file in common_c {
        let path = root.join("port/common").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        build.file(path);
    }
    let port_c = root.join("port").join(config);
    println!("cargo:rerun-if-changed={}", port_c.display());
    for entry in walk(&port_c) {
        if entry.extension().is_some_and(|e| e == "c") {
            build.file(entry);
        }
    }
    // The Rust side's idea of the kernel's types, checked by the shim at compile time.
    let long_bytes = match env::var("CARGO_CFG_TARGET_POINTER_WIDTH").unwrap().as_str() {
        "64" => "8",
        _ => "4",
    };
    build.define("ISERE_RUST_LONG_BYTES", long_bytes);
    for (name, value) in defines {
        build.define(name, *value);
    }
    build.compile("freertos");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
