//! The running configuration: its one owner, below both the HTTP server and
//! the over-the-air layer.
//!
//! [`Running`] holds what a configuration pushed over the air changes while
//! the device serves: the [`Limits`] (read by the server and the JS task at
//! every request), the route table ([`RouteTable`]: the configured routes
//! and the deployed functions' routes and static files, held once) and the
//! function table (each function's [`FunctionId`] by name). The server only
//! reads it; the admin API changes it through [`Running::apply`] and the
//! deploy calls; neither calls the other.

mod limits;
mod routes;

pub use limits::{Ceilings, Limits};
pub use routes::{Asset, AssetRange, Resolved, Route, RouteTable, Target};

use alloc::string::String;
use alloc::vec::Vec;

use log::LevelFilter;

use crate::config::{self, Config, ServerLimits};
use core::cell::UnsafeCell;

use crate::rtos;

/// A function as the JS task knows it: the configuration's functions first,
/// in order, then each deployed name the first time it is deployed. Not an
/// index into anything: the JS task maps it to the context that runs the
/// function's active version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId(pub u16);

impl FunctionId {
    /// The most functions a device runs.
    pub const MAX: usize = 255;

    /// The id as an index (tables keyed by function).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl core::fmt::Display for FunctionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "function #{}", self.0)
    }
}

/// More functions than [`FunctionId::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyFunctions;

impl core::fmt::Display for TooManyFunctions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "more than {} functions", FunctionId::MAX)
    }
}

/// What [`Running::apply`] changes: the parts of a configuration that apply
/// without loading code (the functions are loaded by the JS task first).
pub struct Update<'a> {
    /// The log level.
    pub log_level: LevelFilter,
    /// The server limits.
    pub server: &'a ServerLimits,
    /// The largest bundle accepted.
    pub max_bundle_bytes: u64,
    /// The configured routes; their function targets index `functions`.
    pub routes: &'a [config::Route],
    /// The configured functions' ids, in the configuration's order.
    pub functions: &'a [FunctionId],
}

/// What [`Running::apply`] applied, after clamping to the port's ceilings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The connection pool's size now.
    pub max_connections: usize,
    /// The engine's memory limit now.
    pub js_memory_bytes: usize,
    /// Whether either was clamped below what was asked.
    pub clamped: bool,
}

/// The running configuration (see the module docs).
pub struct Running {
    limits: Limits,
    /// Read at every request, changed by a deploy or a pushed
    /// configuration: each access is short and never blocks, so it runs
    /// with task switches off (`rtos::without_task_switches`) instead of
    /// under a kernel mutex, which would cost 80 B of a board's heap.
    table: UnsafeCell<Table>,
}

// SAFETY: `table` is only reached through `Running::with_table`, with task
// switches off, never from an interrupt, and its closures do not nest.
unsafe impl Sync for Running {}

struct Table {
    routes: RouteTable,
    /// Each function's id, by name.
    ids: Vec<(String, FunctionId)>,
}

impl Running {
    /// The running configuration of `config`, with the port's `ceilings`:
    /// the configured functions get ids 0, 1, ... in order.
    pub fn new(config: &Config, ceilings: Ceilings) -> Running {
        let ids: Vec<(String, FunctionId)> = config
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), FunctionId(i as u16)))
            .collect();
        let numbers: Vec<FunctionId> = ids.iter().map(|(_, id)| *id).collect();
        let mut routes = RouteTable::default();
        routes.set_configured(&config.routes, &numbers);
        Running {
            limits: Limits::new(&config.server, config.admin.max_bundle_bytes, ceilings),
            table: UnsafeCell::new(Table { routes, ids }),
        }
    }

    /// Runs `f` on the table with task switches off (see `table`).
    fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        // SAFETY: no other task runs until `f` returns, interrupts never
        // touch the table, and `f` never calls back into `with_table`.
        rtos::without_task_switches(|| f(unsafe { &mut *self.table.get() }))
    }

    /// The limits now.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What serves `method` of `path` (see [`RouteTable::resolve`]).
    pub fn resolve(&self, path: &str, method: &str) -> Option<Resolved> {
        self.with_table(|t| t.routes.resolve(path, method))
    }

    /// The id of function `name`, if it has one.
    pub fn id_of(&self, name: &str) -> Option<FunctionId> {
        self.with_table(|t| t.ids.iter().find(|(n, _)| n == name).map(|(_, id)| *id))
    }

    /// The id of function `name`, given the next free one the first time.
    pub fn id_for(&self, name: &str) -> Result<FunctionId, TooManyFunctions> {
        self.with_table(|t| {
            if let Some((_, id)) = t.ids.iter().find(|(n, _)| n == name) {
                return Ok(*id);
            }
            let next = t
                .ids
                .iter()
                .map(|(_, id)| id.index() + 1)
                .max()
                .unwrap_or(0);
            if next >= FunctionId::MAX {
                return Err(TooManyFunctions);
            }
            let id = FunctionId(next as u16);
            t.ids.push((String::from(name), id));
            Ok(id)
        })
    }

    /// Records that deployed function `name` (id `id`) serves `routes` and
    /// the static files `assets` of its bundle `version`, replacing what it
    /// served before.
    pub fn set_deployed(
        &self,
        name: &str,
        id: FunctionId,
        version: &str,
        routes: Vec<Route>,
        assets: Vec<(String, AssetRange)>,
    ) {
        self.with_table(|t| t.routes.set_deployed(name, id, version, routes, assets));
    }

    /// Forgets deployed function `name`'s routes and files.
    pub fn remove_deployed(&self, name: &str) {
        self.with_table(|t| t.routes.remove_deployed(name));
    }

    /// Applies `update`: the log level, the limits (the pool size and the
    /// engine's memory limit clamped to the port's ceilings) and the
    /// configured routes, from the next request on.
    pub fn apply(&self, update: &Update<'_>) -> Applied {
        crate::logger::set_level(update.log_level);
        let applied = self.limits.set(update.server, update.max_bundle_bytes);
        self.with_table(|t| t.routes.set_configured(update.routes, update.functions));
        applied
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;

    fn config(json: &str) -> Config {
        Config::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn ids_are_configured_first_then_given_in_order() {
        // The table is reached with task switches off: from a task.
        crate::rtos::testing::run(c"running-ids", || {
            let running = Running::new(
                &config(
                    r#"{"functions":[{"name":"a","module":"hello"},{"name":"b","module":"echo"}],"routes":[]}"#,
                ),
                Ceilings::none(),
            );
            assert_eq!(running.id_of("b"), Some(FunctionId(1)));
            assert_eq!(running.id_for("c"), Ok(FunctionId(2)));
            assert_eq!(running.id_for("a"), Ok(FunctionId(0)));
            assert_eq!(running.id_for("c"), Ok(FunctionId(2)));
            assert_eq!(running.id_of("d"), None);
        });
    }

    #[test]
    fn apply_clamps_to_the_ceilings_and_replaces_routes() {
        crate::rtos::testing::run(c"running-apply", || {
            let c = config(
                r#"{"server":{"max_connections":4},"functions":[{"name":"a","module":"hello"}],"routes":[{"prefix":"/a","function":"a"}]}"#,
            );
            let ceilings = Ceilings {
                max_connections: 8,
                js_memory_bytes: 1 << 20,
                body_bytes: 1 << 20,
                cap_clients_by_default: false,
            };
            let running = Running::new(&c, ceilings);
            assert_eq!(
                running.resolve("/a/x", "GET"),
                Some(Resolved::Function(FunctionId(0)))
            );
            let mut server = c.server.clone();
            server.max_connections = 100;
            server.js_memory_bytes = 2 << 20;
            let applied = running.apply(&Update {
                log_level: LevelFilter::Info,
                server: &server,
                max_bundle_bytes: 1,
                routes: &[],
                functions: &[],
            });
            let expected = Applied {
                max_connections: 8,
                js_memory_bytes: 1 << 20,
                clamped: true,
            };
            assert_eq!(applied, expected);
            assert_eq!(running.limits().max_connections(), 8);
            assert!(running.resolve("/a/x", "GET").is_none());
        });
    }
}
