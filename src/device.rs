//! The device's composition: the shared start-up path every binary's
//! composition root calls once it has built its services, and the control
//! the over-the-air layer is given.
//!
//! Order, explicit here and nowhere else: the running configuration
//! (limits, routes, function ids), the JS task with the configured
//! functions, the over-the-air state and the functions it restores, the
//! HTTP server (its pool sized by the running limits), which the control
//! then resizes when a configuration is pushed.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::config::Config;
use crate::http::server::{Extras, Server, TaskSizes};
use crate::js::task::{JsConfig, JsTask, LoadedFunction, StartError};
use crate::port::Listener;
use crate::rtos::{self, OutOfMemory};
use crate::running::{Ceilings, FunctionId, Running};
use crate::services::Services;

#[cfg(feature = "ota")]
use crate::js::task::{ActivationError, FunctionChange};
#[cfg(feature = "ota")]
use crate::ota::{Control, FileCompiler, Ota, store::BundleStore};
#[cfg(feature = "ota")]
use crate::running::{Applied, Update};

/// What a composition root hands to [`start`].
pub struct Boot {
    /// The configuration to run.
    pub config: Config,
    /// Its text (what `GET /_isere/config` returns).
    pub config_json: Vec<u8>,
    /// Its functions, resolved to bytecode, in the configuration's order.
    pub functions: Vec<LoadedFunction>,
    /// The most the port affords.
    pub ceilings: Ceilings,
    /// The JS task's sizes.
    pub js: JsConfig,
    /// The connection tasks' sizes.
    pub server: TaskSizes,
    /// Where the server listens; `None`: no server (a board without a
    /// network).
    pub listener: Option<Listener>,
    /// Where deployed bundles are kept; `None`: no over-the-air deploys.
    #[cfg(feature = "ota")]
    pub store: Option<&'static dyn BundleStore>,
    /// How a pushed configuration's function files are compiled, where the
    /// port can.
    #[cfg(feature = "ota")]
    pub compile_file: Option<FileCompiler>,
}

/// The running device.
pub struct Device {
    /// The running configuration.
    pub running: &'static Running,
    /// The JS task.
    pub js: JsTask,
    /// The HTTP server, if it listens.
    pub server: Option<Server>,
    /// Over-the-air deploys, if the device has a store.
    #[cfg(feature = "ota")]
    pub ota: Option<&'static Ota>,
}

/// Why the device did not start.
#[derive(Debug)]
pub enum BootError {
    /// Not enough memory for one of its parts.
    OutOfMemory(&'static str),
    /// The JS task did not start (a function failed to load).
    Js(StartError),
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BootError::OutOfMemory(what) => write!(f, "out of memory for {what}"),
            BootError::Js(e) => write!(f, "{e}"),
        }
    }
}

/// Starts the device over `services` (see the module docs). Call from a
/// task; once.
pub fn start(services: &'static Services, boot: Boot) -> Result<Device, BootError> {
    let oom = |what| move |_: OutOfMemory| BootError::OutOfMemory(what);
    let running: &'static Running = Box::leak(Box::new(Running::new(&boot.config, boot.ceilings)));
    let functions = boot
        .functions
        .into_iter()
        .enumerate()
        .map(|(i, f)| (FunctionId(i as u16), f))
        .collect();
    let before = rtos::heap_stats();
    let js =
        JsTask::start(functions, boot.js, services, running.limits()).map_err(BootError::Js)?;
    let loaded = rtos::heap_stats();
    log::info!(
        target: "boot",
        "heap: {} bytes used ({} by the JS runtime and its functions), {} peak, {} free",
        loaded.used,
        loaded.used.saturating_sub(before.used),
        loaded.peak,
        loaded.free
    );
    // Over-the-air deploys, where the device has a store, with the control
    // they change the device through (it exists for them only).
    #[cfg(feature = "ota")]
    let ota = boot.store.and_then(|store| {
        let control: &'static DeviceControl = Box::leak(Box::new(DeviceControl {
            running,
            js,
            server: rtos::Once::new(),
        }));
        match Ota::new(
            store,
            &boot.config,
            boot.config_json,
            running,
            control,
            services.log,
            services.entropy,
        ) {
            Ok(ota) => {
                let ota: &'static Ota = Box::leak(Box::new(ota));
                if let Some(compile) = boot.compile_file {
                    ota.set_file_compiler(compile);
                }
                ota.restore();
                Some((ota, control))
            }
            Err(e) => {
                log::error!(target: "boot", "over-the-air deploys are off: {e}");
                None
            }
        }
    });
    #[cfg(not(feature = "ota"))]
    let _ = boot.config_json;
    let server = match boot.listener {
        None => None,
        Some(listener) => {
            #[cfg(feature = "ota")]
            let extras = Extras {
                admin: ota.map(|(o, _)| o as &'static dyn crate::http::admin::AdminApi),
                assets: ota.map(|(o, _)| o as &'static dyn crate::http::server::AssetSource),
            };
            #[cfg(not(feature = "ota"))]
            let extras = Extras::default();
            let server = Server::new(services, running, js, boot.server, extras, listener)
                .map_err(oom("the server"))?;
            #[cfg(feature = "ota")]
            if let Some((_, control)) = ota {
                control.server.set(server);
            }
            server.start().map_err(oom("the connection tasks"))?;
            Some(server)
        }
    };
    Ok(Device {
        running,
        js,
        server,
        #[cfg(feature = "ota")]
        ota: ota.map(|(o, _)| o),
    })
}

/// What the over-the-air layer may change, over the JS task, the running
/// configuration and the server's pool.
#[cfg(feature = "ota")]
struct DeviceControl {
    running: &'static Running,
    js: JsTask,
    /// Set once the server exists (it is made after the admin API it
    /// serves).
    server: rtos::Once<Server>,
}

#[cfg(feature = "ota")]
impl Control for DeviceControl {
    fn activate(&self, changes: Vec<FunctionChange>) -> Result<(), ActivationError> {
        self.js.activate(changes)
    }

    fn apply(&self, update: &Update<'_>) -> Applied {
        let applied = self.running.apply(update);
        if let Some(server) = self.server.get() {
            // The pool says so itself when memory runs out before the size.
            server.resize(applied.max_connections);
        }
        applied
    }
}
