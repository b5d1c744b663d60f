//! Isère firmware for QEMU's `mps2-an385` (Cortex-M3, 25 MHz, LAN9118).
//!
//! The same core as the simulator: connection tasks, the JS task, the
//! example functions compiled to bytecode at build time and linked into
//! flash. This file brings the board up (UART console, heap, kernel hooks,
//! fault handlers) and starts the tasks.
//!
//! Run it with `make qemu`. Built for `thumbv6m-none-eabi` (the kernel's
//! CM0 port), the same board runs the RP2040's ARMv6-M code
//! (`make selftest-v6m`). Arguments come through semihosting
//! (`-semihosting-config enable=on,target=native,arg=...`), read at boot:
//!
//! * `config=FILE`: the configuration (JSON) instead of the built-in one;
//! * `only=NAME`: serve the built-in function NAME alone (how
//!   `scripts/size.sh` measures the heap one function costs);
//! * `function=FILE.js`: serve that one function at every path, compiled on
//!   the board when it starts (errors with file, line and column);
//! * `log=LEVEL`: the log level;
//! * `data=IMAGE`: keep the file system in the host file IMAGE (created and
//!   formatted if missing; an image made with `isere-sim --data IMAGE --put
//!   ...` mounts as it is), so that it persists across boots; without it
//!   the file system is in RAM ([`RAM_FS_BLOCKS`]) and starts empty;
//! * `selftest`: run one request through the JS task without the network,
//!   print the heap figures and exit QEMU with the result.
//!
//! Files are the host's, read through semihosting (relative to QEMU's
//! working directory).

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../common/boot.rs"]
mod boot;
mod entropy;
#[path = "../common/hooks.rs"]
mod hooks;
mod lan9118;
mod semihosting;
mod uart;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use core::sync::atomic::{AtomicPtr, Ordering};

use cortex_m::peripheral::NVIC;
use cortex_m_rt::entry;
use isere::config::Config;
use isere::device::Device;
use isere::fs::Fs;
use isere::fs::ram::RamDevice;
use isere::http::server::TaskSizes;
use isere::js::modules::compile_function;
use isere::js::task::JsConfig;
use isere::netstack::{Addressing, NetConfig, NetStack};
use isere::port::{Listener, Network};
use isere::rtos;
use lan9118::{InterruptHandle, Lan9118};

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration the board boots with: the example functions.
const DEFAULT_CONFIG: &str = include_str!("../../handlers/isere.json");

/// Task sizes on this board, in 32-bit words.
const JS_STACK_WORDS: usize = 8192;
const TASK_STACK_WORDS: usize = 2048;
/// Worker tasks for functions' I/O (started on first use).
const IO_WORKERS: usize = 2;
/// QuickJS's own stack limit: what the JS task's stack has, minus a margin
/// for the Rust frames below the engine.
const JS_STACK_LIMIT: usize = JS_STACK_WORDS * 4 - 6 * 1024;
/// The init task compiles function files, which needs a deep stack.
const INIT_STACK_WORDS: usize = 8192;
const JS_PRIORITY: u32 = 2;
const SERVER_PRIORITY: u32 = 2;
/// The network task outranks the others so frames are handled promptly.
const NET_PRIORITY: u32 = 3;
const INIT_PRIORITY: u32 = 4;
const NET_STACK_WORDS: usize = 2048;

/// The file system in RAM without `data=`: 256 KiB of the heap.
const RAM_FS_BLOCKS: u32 = 64;
/// Size of a host image created by `data=` for a file that does not exist.
const NEW_IMAGE_BYTES: u32 = 1 << 20;

/// Heap kept out of the JS engine's reach for sockets, connection buffers and
/// task stacks.
const HEAP_RESERVE: usize = 1024 * 1024;

/// The most connection tasks (`server.max_connections` is clamped to it):
/// each holds a TCP socket of the network stack's 40 while it serves, and 8
/// more stay listening.
const MAX_CONNECTIONS: usize = 32;

/// The LAN9118's registers and interrupt on this board.
const LAN9118_BASE: usize = 0x4020_0000;
/// Priority of the NIC interrupt: below configMAX_SYSCALL_INTERRUPT_PRIORITY
/// (numerically above it), so its handler may use the FromISR calls.
const ETHERNET_PRIORITY: u8 = 6 << 5;
/// The HTTP port inside the board (QEMU forwards a host port to it).
const HTTP_PORT: u16 = 80;

type Stack = NetStack<Lan9118>;

/// The stack and the NIC's interrupt handle, for the interrupt handler;
/// set before IRQ 13 is unmasked.
static STACK: AtomicPtr<Stack> = AtomicPtr::new(core::ptr::null_mut());
static LAN_IRQ: AtomicPtr<InterruptHandle> = AtomicPtr::new(core::ptr::null_mut());

#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: the numbers are the AN385 image's IRQ lines.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// The NIC interrupt: acknowledge it and wake the network task, which
/// drains the receive FIFO.
#[unsafe(no_mangle)]
pub extern "C" fn ETHERNET() {
    // SAFETY: both were leaked from boxes before the interrupt was unmasked.
    let (irq, stack) = unsafe {
        (
            LAN_IRQ.load(Ordering::Acquire).as_ref(),
            STACK.load(Ordering::Acquire).as_ref(),
        )
    };
    if let Some(irq) = irq {
        irq.acknowledge();
    }
    let woken = stack.is_some_and(|s| s.wake());
    rtos::yield_from_isr(woken);
}

unsafe extern "C" {
    fn vIsereCpuMeterStart();
    fn ullIsereCpuBusyNs() -> u64;
}

/// Nanoseconds awake since boot (port/mps2-an385/cpu.c).
fn cpu_busy_ns() -> u64 {
    // SAFETY: reads the meter inside a critical section.
    unsafe { ullIsereCpuBusyNs() }
}

#[entry]
fn main() -> ! {
    // SAFETY: starts TIMER1, which only cpu.c uses.
    unsafe { vIsereCpuMeterStart() };
    uart::init();
    isere::logger::register(&hooks::LOGGER, log::LevelFilter::Info);
    log::info!(target: "board", "Isère {} on FreeRTOS (mps2-an385, Cortex-M3)", isere::VERSION);
    let mut buf = [0u8; 512];
    let args = BootArgs::parse(semihosting::command_line(&mut buf).unwrap_or(""));
    if rtos::spawn(c"init", INIT_STACK_WORDS, INIT_PRIORITY, move || {
        boot::run(Mps2 { args })
    })
    .is_err()
    {
        fail("cannot create the init task");
    }
    rtos::start_scheduler();
    fail("the scheduler returned");
}

/// What the semihosting command line asked for.
struct BootArgs {
    config: Option<String>,
    only: Option<String>,
    function: Option<String>,
    data: Option<String>,
    log: Option<log::LevelFilter>,
    selftest: bool,
}

impl BootArgs {
    fn parse(line: &str) -> BootArgs {
        let mut args = BootArgs {
            config: None,
            only: None,
            function: None,
            data: None,
            log: None,
            selftest: false,
        };
        for word in line.split_ascii_whitespace() {
            match word.split_once('=') {
                Some(("config", v)) => args.config = Some(String::from(v)),
                Some(("only", v)) => args.only = Some(String::from(v)),
                Some(("function", v)) => args.function = Some(String::from(v)),
                Some(("data", v)) => args.data = Some(String::from(v)),
                Some(("log", v)) => args.log = isere::logger::parse_level(v),
                None if word == "selftest" => args.selftest = true,
                _ => {}
            }
        }
        args
    }
}

/// Reads a host file through semihosting.
fn host_file(path: &str) -> Result<Vec<u8>, String> {
    semihosting::read_file(path).map_err(|e| alloc::format!("{path}: {e}"))
}

/// Compiles the host's function file `path` and the files it imports (read
/// through semihosting; call on a task with a deep stack).
fn compile_host_function(path: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut read = |file: &str| match semihosting::read_file(file) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| alloc::format!("{file}: not UTF-8")),
        // Semihosting says only that the file could not be opened.
        Err(_) => Ok(None),
    };
    compile_function(path, &mut read, INIT_STACK_WORDS * 4 - 6 * 1024)
}

/// Exits QEMU with status 1 after printing `message` (a user error, not a fault).
fn exit_with_error(message: &str) -> ! {
    uart::write(message.as_bytes());
    uart::write(b"\r\n");
    semihosting::exit(1);
}

/// This board, for the shared start-up (`port/common/boot.rs`).
struct Mps2 {
    args: BootArgs,
}

impl boot::Board for Mps2 {
    const SIZES: boot::Sizes = boot::Sizes {
        js: JsConfig {
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: JS_STACK_WORDS,
            priority: JS_PRIORITY,
            // Sized for the largest pool a pushed configuration can ask for.
            queue_len: 16 + 2 * MAX_CONNECTIONS,
            io_workers: IO_WORKERS,
            io_stack_words: TASK_STACK_WORDS,
        },
        server: TaskSizes {
            stack_words: TASK_STACK_WORDS,
            priority: SERVER_PRIORITY,
        },
        max_connections: MAX_CONNECTIONS,
        // Half a MiB of the ~2.2 MB free after boot: a body as large as
        // that is refused with 413, bodies beyond it in flight wait (503).
        body_budget_bytes: 512 * 1024,
        log_ring_bytes: 8 * 1024,
    };

    fn cpu_busy_ns(&self) -> Option<fn() -> u64> {
        Some(cpu_busy_ns)
    }

    /// A host image through semihosting (`data=`), else RAM.
    fn mount(&mut self) -> Option<Fs> {
        let image = self.args.data.as_deref();
        let mounted = match image {
            Some(path) => match semihosting::HostImage::open(path, NEW_IMAGE_BYTES) {
                Ok(device) => Fs::mount_or_format(Box::new(device)),
                Err(e) => exit_with_error(&alloc::format!("data={path}: {e}")),
            },
            None => Fs::format(Box::new(RamDevice::new(RAM_FS_BLOCKS))),
        };
        match mounted {
            Ok(fs) => Some(fs),
            Err(e) => fail_fmt(format_args!(
                "file system ({}): {e}",
                image.unwrap_or("RAM")
            )),
        }
    }

    /// `function=`'s, else one pushed over the air, else `config=`'s, else
    /// the built-in one; `only=` keeps one function of it; `log=` wins.
    fn config(&mut self, pushed: Option<(Config, Vec<u8>)>) -> Result<(Config, Vec<u8>), String> {
        let args = &self.args;
        let (config, text) = match (&args.function, pushed) {
            (Some(path), _) => (Config::function_file(path), b"{}".to_vec()),
            (None, Some(pushed)) => pushed,
            (None, None) => {
                let (text, name) = match &args.config {
                    Some(path) => (host_file(path)?, path.as_str()),
                    None => (DEFAULT_CONFIG.as_bytes().to_vec(), "built-in configuration"),
                };
                let mut config = Config::parse(&text).map_err(|e| alloc::format!("{name}: {e}"))?;
                if let Some(only) = &args.only {
                    let f = config
                        .functions
                        .iter()
                        .find(|f| f.name == *only)
                        .ok_or_else(|| alloc::format!("only={only}: no such function"))?;
                    let server = config.server.clone();
                    config = Config::single(f.clone());
                    config.server = server;
                }
                (config, text)
            }
        };
        isere::logger::set_level(args.log.unwrap_or(config.log_level));
        Ok((config, text))
    }

    fn compile_file(&self) -> Option<boot::FileCompiler> {
        // On a task with the init task's deep stack (a pushed configuration
        // compiles on the admin call's task).
        Some(|path| {
            rtos::run_on_new_task(c"compile", INIT_STACK_WORDS, INIT_PRIORITY, || {
                compile_host_function(path)
            })
            .unwrap_or_else(|_| Err(String::from("out of memory for the compiler's task")))
        })
    }

    /// What is free at boot minus a reserve for the network and the
    /// connection tasks.
    fn js_memory_ceiling(&self, free_heap: usize) -> usize {
        free_heap.saturating_sub(HEAP_RESERVE)
    }

    /// The LAN9118 and DHCP; none for a self-test run.
    fn start_network(&mut self) -> (&'static dyn Network, Option<Listener>) {
        if self.args.selftest {
            return (&isere::port::NoNetwork, None);
        }
        let stack = start_network();
        match stack.listen([0; 4], HTTP_PORT) {
            Ok(l) => (stack, Some(l)),
            Err(e) => fail_fmt(format_args!("cannot listen on port {HTTP_PORT}: {e}")),
        }
    }

    fn started(&mut self, device: &Device) {
        if self.args.selftest {
            semihosting::exit(if boot::self_test(device) { 0 } else { 1 });
        }
        // SAFETY: set by `start_network` before the interrupt was unmasked.
        let Some(stack) = (unsafe { STACK.load(Ordering::Acquire).as_ref() }) else {
            return;
        };
        // Wait for an address (DHCP answers in milliseconds on QEMU's slirp).
        let deadline = rtos::tick_count() + rtos::ms_to_ticks(30_000);
        while stack.address().is_none() && rtos::tick_count() < deadline {
            rtos::delay(rtos::ms_to_ticks(10));
        }
        let Some([a, b, c, d]) = stack.address() else {
            fail("no IPv4 address from DHCP within 30 s");
        };
        log::info!(target: "board", "isere listening on http://{a}.{b}.{c}.{d}:{HTTP_PORT}");
    }

    fn fail(&self, message: core::fmt::Arguments<'_>) -> ! {
        let mut line = heapless::String::<256>::new();
        let _ = line.write_fmt(message);
        exit_with_error(&line)
    }
}

/// Brings the LAN9118 up, starts the network task and unmasks the NIC interrupt.
fn start_network() -> &'static Stack {
    // SAFETY: the LAN9118's registers, used by this driver only.
    let lan = match unsafe { Lan9118::new(LAN9118_BASE) } {
        Ok(lan) => lan,
        Err(e) => fail_fmt(format_args!("LAN9118: {e}")),
    };
    let mac = lan.mac();
    let irq = lan.interrupt_handle();
    // smoltcp has no accept queue: connections that arrive together each need
    // a listening socket, hence a backlog of 8 (QEMU's slirp forwards bursts).
    let config = NetConfig {
        addressing: Addressing::Dhcp,
        rx_buffer: 4 * 1024,
        tx_buffer: 8 * 1024,
        backlog: 8,
        max_sockets: 40,
    };
    let stack: &'static Stack = match NetStack::new(lan, mac, config) {
        Ok(s) => Box::leak(Box::new(s)),
        Err(e) => fail_fmt(format_args!("network stack: {e}")),
    };
    LAN_IRQ.store(Box::leak(Box::new(irq)), Ordering::Release);
    STACK.store((stack as *const Stack).cast_mut(), Ordering::Release);
    if rtos::spawn(c"net", NET_STACK_WORDS, NET_PRIORITY, move || {
        stack.run(|lan| lan.rx_pending())
    })
    .is_err()
    {
        fail("cannot create the network task");
    }
    let eth = Irq(IRQ_ETHERNET as u16);
    // SAFETY: the handler's state is set above; the priority allows FromISR calls.
    unsafe {
        let mut p = cortex_m::Peripherals::steal();
        p.NVIC.set_priority(eth, ETHERNET_PRIORITY);
        NVIC::unpend(eth);
        NVIC::unmask(eth);
    }
    let [a, b, c, d, e, f] = mac;
    log::info!(target: "net", "LAN9118 up, MAC {a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}");
    stack
}

/// Reports a fatal error on the console and ends the emulation.
fn fail(message: &str) -> ! {
    fail_fmt(format_args!("{message}"))
}

fn fail_fmt(args: core::fmt::Arguments<'_>) -> ! {
    let mut line = heapless::String::<256>::new();
    let _ = line.write_fmt(args);
    uart::write(b"FATAL: ");
    uart::write(line.as_bytes());
    uart::write(b"\r\n");
    semihosting::exit(70);
}

/// Called by newlib's `_exit`.
#[unsafe(no_mangle)]
pub extern "C" fn isere_board_exit(status: i32) -> ! {
    semihosting::exit(status)
}

/// The AN385 image's interrupt vector (cortex-m-rt's `device` table).
#[repr(C)]
#[derive(Clone, Copy)]
pub union Vector {
    handler: unsafe extern "C" fn(),
    reserved: usize,
}

/// IRQ numbers of the AN385 image used here.
const IRQ_ETHERNET: usize = 13;

#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
#[used]
static __INTERRUPTS: [Vector; 32] = {
    let mut v = [Vector { reserved: 0 }; 32];
    v[IRQ_ETHERNET] = Vector { handler: ETHERNET };
    v
};

/// Raw console output, for the shared hooks.
fn console_bytes(bytes: &[u8]) {
    uart::write(bytes);
}
