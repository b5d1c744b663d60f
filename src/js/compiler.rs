//! JavaScript source → QuickJS bytecode.
//!
//! The one compiler of the project: `build.rs` includes this file to turn
//! `handlers/*.js` and the glue in `src/js/glue/` into bytecode at build time,
//! and the simulator's development mode uses it to compile a function when it
//! starts. Both link the same QuickJS-NG, so the bytecode always matches the
//! engine that loads it. The file depends on nothing but `rquickjs_sys` and
//! `alloc` so that a build script can include it with `#[path]`.

use alloc::ffi::CString;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ffi::{CStr, c_char};
use core::fmt;

use rquickjs_sys as qjs;

/// What a source file is compiled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// An ES module (`export default { fetch }`): a function. Keeps its line
    /// numbers, so stack traces point into the developer's file.
    Module,
    /// A classic script: the glue files, each one function expression. Their
    /// debug information is dropped: it would cost RAM in every context.
    Script,
}

/// A compile error with the position QuickJS reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The file name given to the compiler.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// The error, e.g. `SyntaxError: unexpected token in expression: '}'`.
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Compiles `source` into QuickJS bytecode with a context of the caller's.
///
/// # Safety
/// `ctx` must be a live context used by no other thread during the call.
pub unsafe fn compile_with(
    ctx: *mut qjs::JSContext,
    source: &str,
    file: &str,
    kind: SourceKind,
) -> Result<Vec<u8>, CompileError> {
    let error = |line, column, message: &str| CompileError {
        file: file.to_string(),
        line,
        column,
        message: message.to_string(),
    };
    // QuickJS needs a NUL after the source text.
    let Ok(csource) = CString::new(source) else {
        return Err(error(0, 0, "source contains a NUL byte"));
    };
    let Ok(cfile) = CString::new(file) else {
        return Err(error(0, 0, "file name contains a NUL byte"));
    };
    let flags = match kind {
        SourceKind::Module => qjs::JS_EVAL_TYPE_MODULE,
        SourceKind::Script => qjs::JS_EVAL_TYPE_GLOBAL,
    } | qjs::JS_EVAL_FLAG_COMPILE_ONLY;
    // SAFETY: the buffers outlive the calls; every JSValue obtained is freed once.
    unsafe {
        let obj = qjs::JS_Eval(
            ctx,
            csource.as_ptr(),
            source.len() as _,
            cfile.as_ptr(),
            flags as _,
        );
        if qjs::JS_IsException(obj) {
            return Err(exception_to_error(ctx, file));
        }
        let mut size: qjs::size_t = 0;
        // The source text (kept for Function.prototype.toString) is never
        // shipped: it would be copied into RAM with every function.
        let strip = match kind {
            SourceKind::Module => qjs::JS_WRITE_OBJ_STRIP_SOURCE,
            SourceKind::Script => qjs::JS_WRITE_OBJ_STRIP_SOURCE | qjs::JS_WRITE_OBJ_STRIP_DEBUG,
        };
        let bytes = qjs::JS_WriteObject(
            ctx,
            &mut size,
            obj,
            (qjs::JS_WRITE_OBJ_BYTECODE | strip) as _,
        );
        qjs::JS_FreeValue(ctx, obj);
        if bytes.is_null() {
            return Err(exception_to_error(ctx, file));
        }
        let out = core::slice::from_raw_parts(bytes, size as usize).to_vec();
        qjs::js_free(ctx, bytes.cast());
        Ok(out)
    }
}

/// Lets the modules compiled in `rt` import every specifier `accept` returns
/// true for, each as an empty placeholder module. QuickJS resolves a module's
/// imports when it compiles it, so a compiler without the real modules at
/// hand (the build script, which compiles the built-in modules themselves)
/// needs this; the bytecode keeps the specifiers as written, and the runtime
/// that loads it resolves them for real.
///
/// # Safety
/// `rt` must be a live runtime whose module loader may be replaced.
pub unsafe fn accept_imports(rt: *mut qjs::JSRuntime, accept: &'static fn(&str) -> bool) {
    unsafe extern "C" fn init(
        _: *mut qjs::JSContext,
        _: *mut qjs::JSModuleDef,
    ) -> core::ffi::c_int {
        0
    }
    unsafe extern "C" fn load(
        ctx: *mut qjs::JSContext,
        name: *const c_char,
        opaque: *mut core::ffi::c_void,
        _attributes: qjs::JSValue,
    ) -> *mut qjs::JSModuleDef {
        // SAFETY: QuickJS passes a NUL-terminated name and our opaque, a
        // `&'static fn(&str) -> bool`.
        unsafe {
            let accept = &*opaque.cast::<fn(&str) -> bool>();
            let cname = CStr::from_ptr(name);
            if accept(&cname.to_string_lossy()) {
                return qjs::JS_NewCModule(ctx, name, Some(init));
            }
            let msg = CString::new(alloc::format!(
                "cannot import '{}': not a built-in module",
                cname.to_string_lossy()
            ))
            .unwrap_or_default();
            qjs::JS_ThrowReferenceError(ctx, c"%s".as_ptr(), msg.as_ptr());
            core::ptr::null_mut()
        }
    }
    // SAFETY: per the contract; `accept` lives forever.
    unsafe {
        qjs::JS_SetModuleLoaderFunc2(
            rt,
            None,
            Some(load),
            None,
            (accept as *const fn(&str) -> bool).cast_mut().cast(),
        )
    }
}

/// Takes the pending exception of `ctx` and turns it into a [`CompileError`].
///
/// # Safety
/// `ctx` must be a live context with a pending exception.
unsafe fn exception_to_error(ctx: *mut qjs::JSContext, file: &str) -> CompileError {
    // SAFETY: values taken here are freed before returning.
    unsafe {
        let exc = qjs::JS_GetException(ctx);
        let message = value_to_string(ctx, exc);
        let stack_val = qjs::JS_GetPropertyStr(ctx, exc, c"stack".as_ptr());
        let stack = if qjs::JS_IsString(stack_val) {
            value_to_string(ctx, stack_val)
        } else {
            String::new()
        };
        qjs::JS_FreeValue(ctx, stack_val);
        qjs::JS_FreeValue(ctx, exc);
        let (line, column) = position_in_stack(&stack, file).unwrap_or((0, 0));
        CompileError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Converts any value to a Rust string the way `String(value)` would.
///
/// # Safety
/// `ctx` must be live and `val` a value of it.
unsafe fn value_to_string(ctx: *mut qjs::JSContext, val: qjs::JSValue) -> String {
    // SAFETY: the C string is released with JS_FreeCString.
    unsafe {
        let mut len: usize = 0;
        let p: *const c_char = qjs::JS_ToCStringLen(ctx, &mut len, val);
        if p.is_null() {
            qjs::JS_FreeValue(ctx, qjs::JS_GetException(ctx));
            return String::from("(unprintable error)");
        }
        let bytes = CStr::from_ptr(p).to_bytes();
        let s = String::from_utf8_lossy(bytes).into_owned();
        qjs::JS_FreeCString(ctx, p);
        s
    }
}

/// Finds `file:LINE:COL` in a QuickJS stack trace (`    at file:3:7`).
pub fn position_in_stack(stack: &str, file: &str) -> Option<(u32, u32)> {
    stack.lines().find_map(|l| {
        let rest = &l[l.find(file)? + file.len()..];
        let rest = rest.strip_prefix(':')?;
        let mut parts = rest.split(|c: char| !c.is_ascii_digit());
        let line = parts.next()?.parse().ok()?;
        let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        Some((line, column))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_position_in_stack() {
        let stack = "    at app.js:3:7\n    at <eval>\n";
        assert_eq!(position_in_stack(stack, "app.js"), Some((3, 7)));
        assert_eq!(position_in_stack("    at other.js:1:1", "app.js"), None);
    }
}
