//! Turning configured functions into what the JS task loads: built-in
//! ones from the firmware's bytecode, files through a port's compiler.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::messages::LoadedFunction;

/// Compiles a function file and the files it imports (a port that can
/// read files does it, see [`crate::js::modules::compile_function`]): module
/// names and bytecode, the entry first.
pub type CompilePath<'a> = dyn FnMut(&str) -> Result<Vec<(String, Vec<u8>)>, String> + 'a;

/// Turns a configuration's functions into bytecode: built-in ones from the
/// firmware, files through `compile_path` (a port that can read files
/// compiles them when it starts).
pub fn resolve_functions(
    config: &crate::config::Config,
    mut compile_path: impl FnMut(&str) -> Result<Vec<(String, Vec<u8>)>, String>,
) -> Result<Vec<LoadedFunction>, String> {
    config
        .functions
        .iter()
        .map(|f| resolve_function(f, &mut compile_path))
        .collect()
}

/// Turns one configured function into bytecode (see [`resolve_functions`]).
pub fn resolve_function(
    f: &crate::config::FunctionConfig,
    compile_path: &mut CompilePath<'_>,
) -> Result<LoadedFunction, String> {
    use crate::config::FunctionSource;
    let (bytecode, modules) = match &f.source {
        FunctionSource::Builtin(name) => {
            let bytecode = crate::js::builtin::function(name).ok_or_else(|| {
                alloc::format!(
                    "function '{}': no built-in module '{name}' (built in: {})",
                    f.name,
                    crate::js::builtin::names(crate::js::builtin::FUNCTIONS, "")
                )
            })?;
            let modules = crate::js::builtin::function_modules(name)
                .iter()
                .map(|(n, b)| (n.to_string(), b.to_vec()))
                .collect();
            (bytecode.to_vec(), modules)
        }
        FunctionSource::Path(path) => {
            // The entry first, then the modules it imports.
            let mut modules = compile_path(path)?.into_iter();
            let (_, entry) = modules.next().unwrap_or_default();
            (entry, modules.collect())
        }
    };
    Ok(LoadedFunction {
        name: f.name.clone(),
        bytecode,
        modules,
        env: f.env.clone(),
        bindings: f.bindings.clone(),
        cpu_limit_ms: 0,
    })
}
