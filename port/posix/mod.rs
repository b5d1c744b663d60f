//! The simulator port: FreeRTOS POSIX port + host sockets, clock and console.
//!
//! The only code of the simulator that knows it runs on Linux (with
//! `sim/main.rs`). It supplies the port's services (for
//! [`crate::services::Services`]) and the
//! kernel hooks the configuration in `freertos-config/posix/` asks for:
//!
//! * the flash is a file-backed image (see `flash.rs`);
//! * the idle hook sleeps in `epoll_wait` (see `net.rs`) instead of spinning,
//!   so an idle simulator costs only the kernel tick;
//! * SIGIO is the network interrupt (see `net.rs` and `isr.c`);
//! * the tick hook (interrupt context) turns SIGTERM/SIGINT into an orderly
//!   shutdown of the JS task;
//! * assertion and allocation-failure hooks report and stop.

pub mod flash;
pub mod net;
pub mod store;

use core::sync::atomic::{AtomicBool, Ordering};
use std::io::Write as _;

use crate::js::task::ShutdownSignal;
use crate::port::{Clock, Console, Entropy, EntropyError};
use crate::rtos::Once;

/// Wall clock from the host.
pub struct HostClock;

impl Clock for HostClock {
    fn unix_time(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn unix_millis(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// Entropy from the host kernel (`getrandom(2)`).
pub struct HostEntropy;

impl Entropy for HostEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        let mut filled = 0;
        while filled < buf.len() {
            let rest = &mut buf[filled..];
            // SAFETY: writes at most `rest.len()` bytes into `rest`. Once the
            // kernel's pool is initialised (long before the simulator runs)
            // getrandom does not block, so no FreeRTOS task stalls in it.
            let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
            if n > 0 {
                filled += n as usize;
            } else if n < 0
                && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                return Err(EntropyError);
            }
        }
        Ok(())
    }
}

/// The simulator's entropy source (for its `JsConfig`).
pub static ENTROPY: HostEntropy = HostEntropy;

/// Log lines to standard error, one `write` each.
pub struct StderrConsole;

impl Console for StderrConsole {
    fn write_line(&self, line: &str) {
        // One writev(2) keeps lines from different tasks whole, allocates
        // nothing and takes no std lock (which a task switch could leave held).
        let iov = [
            libc::iovec {
                iov_base: line.as_ptr().cast_mut().cast(),
                iov_len: line.len(),
            },
            libc::iovec {
                iov_base: b"\n".as_ptr().cast_mut().cast(),
                iov_len: 1,
            },
        ];
        // SAFETY: both buffers outlive the call.
        unsafe { libc::writev(2, iov.as_ptr(), 2) };
    }
}

/// The host's sockets.
pub static NETWORK: net::HostNetwork = net::HostNetwork;
/// The host's clock.
pub static CLOCK: HostClock = HostClock;
/// Standard error.
pub static CONSOLE: StderrConsole = StderrConsole;

static SHUTDOWN_REQUESTED: AtomicBool = AtomicBool::new(false);
/// Where SIGTERM/SIGINT go once the JS task runs ([`on_terminate_stop`]).
static SHUTDOWN: Once<ShutdownSignal> = Once::new();

/// Makes SIGTERM and SIGINT stop the JS task through `signal` (it frees
/// the runtime, runs the leak check and stops the scheduler).
pub fn on_terminate_stop(signal: ShutdownSignal) {
    SHUTDOWN.set(signal);
}

extern "C" fn on_terminate(_signal: libc::c_int) {
    // Only an atomic store: this may run on any thread, inside any code.
    SHUTDOWN_REQUESTED.store(true, Ordering::Release);
}

unsafe extern "C" {
    fn isere_posix_install_io_interrupt() -> libc::c_int;
}

/// Prepares the port: the epoll set, the SIGIO "network interrupt" and the
/// SIGTERM/SIGINT handlers. Call once before the scheduler starts.
pub fn init() -> std::io::Result<()> {
    init_io()?;
    // SAFETY: installs an async-signal-safe handler.
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = on_terminate as *const () as usize;
        libc::sigfillset(&mut sa.sa_mask);
        for sig in [libc::SIGTERM, libc::SIGINT] {
            if libc::sigaction(sig, &sa, core::ptr::null_mut()) < 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The signals of the POSIX port: its tick, our network interrupt and the
/// port's resume signal for the scheduler thread. Only task threads may
/// take them: a handler run on another thread would run kernel code outside
/// any task.
pub const PORT_SIGNALS: [libc::c_int; 3] = [libc::SIGALRM, libc::SIGIO, libc::SIGUSR1];

/// Blocks [`PORT_SIGNALS`] on the calling thread (and the threads it will
/// create): for threads that are not tasks (unit tests' and fuzzers').
pub fn block_port_signals() {
    // SAFETY: builds a signal set and changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in PORT_SIGNALS {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
    }
}

/// Prepares what the kernel hooks need for host I/O: the epoll set the idle
/// hook sleeps on (without it the idle task would spin) and the SIGIO
/// "network interrupt". Part of [`init`]; the unit tests' scheduler
/// (`src/rtos/testing.rs`) takes only this part, leaving Ctrl-C to stop the
/// test process. Call once before the scheduler starts.
pub fn init_io() -> std::io::Result<()> {
    net::init()?;
    // SAFETY: installs the handler defined in isr.c.
    if unsafe { isere_posix_install_io_interrupt() } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Called by the SIGIO handler (isr.c), in interrupt context; returns
/// whether a higher-priority task was woken (the handler then yields).
#[unsafe(no_mangle)]
pub extern "C" fn isere_posix_io_isr() -> crate::rtos::BaseType {
    net::take_events() as crate::rtos::BaseType
}

/// Called by `vApplicationTickHook` (isr.c) on every tick, in interrupt context.
#[unsafe(no_mangle)]
pub extern "C" fn isere_posix_tick_isr() {
    if SHUTDOWN_REQUESTED.load(Ordering::Acquire)
        && let Some(signal) = SHUTDOWN.get()
    {
        signal.raise();
    }
}

/// The kernel's idle hook: sleep until a socket event or the next tick,
/// then take the events with signals masked, so that no task switch falls
/// between taking an event and notifying its task.
#[unsafe(no_mangle)]
pub extern "C" fn vApplicationIdleHook() {
    net::wait_for_events();
    crate::rtos::critical(net::take_events);
}

/// `configASSERT` failed: a firmware bug.
#[unsafe(no_mangle)]
///
/// # Safety
/// `file` must be a NUL-terminated string (the kernel passes `__FILE__`).
pub unsafe extern "C" fn vIsereAssertFailed(
    file: *const core::ffi::c_char,
    line: core::ffi::c_ulong,
) {
    // SAFETY: the kernel passes __FILE__.
    let file = unsafe { core::ffi::CStr::from_ptr(file) }.to_string_lossy();
    let _ = writeln!(
        std::io::stderr(),
        "FreeRTOS assertion failed at {file}:{line}"
    );
    std::process::abort();
}

/// `pvPortMalloc` returned NULL; the caller handles it, we make it visible.
#[unsafe(no_mangle)]
pub extern "C" fn vApplicationMallocFailedHook() {
    // No formatting here: it would allocate from the exhausted heap.
    CONSOLE.write_line("[heap] FreeRTOS heap exhausted: an allocation failed");
}
