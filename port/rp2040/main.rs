//! Isère firmware for the Raspberry Pi RP2040 (a Pico: Cortex-M0+ at
//! 125 MHz, 264 KiB SRAM, 2 MiB flash), on one core.
//!
//! The same core as the simulator and the QEMU board: connection tasks, the
//! JS task, the example functions compiled to bytecode at build time and
//! linked into flash. The network is the USB cable: the board is a CDC-NCM
//! Ethernet adapter at 192.168.7.1 and leases 192.168.7.2 to the host
//! ([`ncm`], [`dhcp`]), so `curl http://192.168.7.1/hello` answers from the
//! board. This file brings the board up (clocks, UART console, heap, kernel
//! hooks, fault handlers) and starts the tasks.
//!
//! Build with `make rp2040`; flashing and use: port/rp2040/README.md.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../common/boot.rs"]
mod boot;
mod dhcp;
mod entropy;
mod flash;
#[path = "../common/hooks.rs"]
mod hooks;
mod ncm;
mod uart;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::sync::atomic::{AtomicPtr, Ordering};

use cortex_m::peripheral::NVIC;
use isere::config::Config;
use isere::device::Device;
use isere::http::server::TaskSizes;
use isere::js::task::JsConfig;
use isere::netstack::{Addressing, NetConfig, NetStack};
use isere::port::{Listener, Network};
use isere::rtos;
use rp2040_hal::pac::{self, interrupt};
use smoltcp::wire::{EthernetAddress, Ipv4Address};

use dhcp::DhcpServer;
use ncm::Ncm;

/// The second-stage bootloader for the Pico's W25Q16JV flash: the boot ROM
/// runs these 256 bytes (memory.x puts them at the start of flash) to map
/// the flash before jumping to the vector table.
#[unsafe(link_section = ".boot2")]
#[unsafe(no_mangle)]
#[used]
pub static BOOT2_FIRMWARE: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

#[global_allocator]
static HEAP: isere::heap::FreeRtosHeap = isere::heap::FreeRtosHeap;

/// The configuration the board boots with until one is pushed: isere.json
/// (`hello` behind 4 connection slots, request limits sized for 264 KiB of
/// RAM, no admin keys), or the file `ISERE_BOARD_CONFIG` named at build.
const BOARD_CONFIG: &str = include_str!(env!("ISERE_BOARD_CONFIG"));

/// Heap the engine may not take: what the connection tasks allocate for
/// the heads of their requests (at most the board configuration's 4 KiB
/// each, 4 connections), so that a function using all its memory cannot
/// starve them.
const REQUEST_RESERVE: usize = 16 * 1024;

/// The Pico's crystal.
const XOSC_HZ: u32 = 12_000_000;

/// Task sizes on this board, in 32-bit words. The JS task: the handlers
/// of handlers/ take up to ~8.4 KiB of stack in ARMv6-M code.
const JS_STACK_WORDS: usize = 4096;
/// Connection tasks and the I/O worker: across the HTTP integration suites
/// on the QEMU board a connection task used at most 3.2 KiB of stack and an
/// I/O worker 2.7 KiB (`ISERE_TEST_STACKS=1`, see tests/support; ARMv6-M
/// code takes up to ~20 % more), so 5 KiB.
const TASK_STACK_WORDS: usize = 1280;
/// Worker tasks for functions' I/O (started on first use; RAM is scarce).
const IO_WORKERS: usize = 1;
/// The init task, which ends after boot. Measured in rp2040js: checking
/// the signatures of a pushed configuration and of deployed bundles again
/// at boot takes up to 13.5 KiB of stack (boot's own frames 4.4 KiB, then
/// Ed25519's `verify_strict` ~8 KiB in ARMv6-M code), more than parsing
/// the configuration with serde-json-core (~8.3 KiB). 12 KiB overflowed
/// into the heap's bookkeeping below it at the first boot after a push.
const INIT_STACK_WORDS: usize = 4096;
/// What the board allocates after the engine is sized: the connection
/// tasks' and the network task's stacks, the I/O worker's, an admin call's
/// task, and the sockets' buffers (`make_network`: at most 8, 3.5 KiB each).
const LATER_ALLOCATIONS: usize = MAX_CONNECTIONS * TASK_STACK_WORDS * 4
    + NET_STACK_WORDS * 4
    + IO_WORKERS * TASK_STACK_WORDS * 4
    + isere::http::server::ADMIN_STACK_WORDS * 4
    + MAX_SOCKETS * (SOCKET_RX_BYTES + SOCKET_TX_BYTES);
/// The network stack's sockets and their buffers.
const MAX_SOCKETS: usize = 8;
const SOCKET_RX_BYTES: usize = 1536;
const SOCKET_TX_BYTES: usize = 2048;
/// The most connection tasks (`server.max_connections` is clamped to it):
/// their stacks are what the 264 KiB of RAM affords beside the engine.
const MAX_CONNECTIONS: usize = 4;
/// The network task (USB, smoltcp, DHCP server): 2.4 KiB used serving
/// requests in rp2040js (`make test-rp2040-emu` prints the stacks).
const NET_STACK_WORDS: usize = 1024;
/// QuickJS's own stack limit: what the JS task's stack has, minus a margin
/// for the Rust frames below the engine.
const JS_STACK_LIMIT: usize = JS_STACK_WORDS * 4 - 6 * 1024;
const JS_PRIORITY: u32 = 2;
const SERVER_PRIORITY: u32 = 2;
/// The network task outranks the others so USB is serviced promptly.
const NET_PRIORITY: u32 = 3;
const INIT_PRIORITY: u32 = 4;

/// Priority of the USB interrupt (2 of the M0+'s 4 levels; the kernel's
/// PendSV and SysTick take the lowest, 0xC0).
const USB_PRIORITY: u8 = 2 << 6;

/// The link: the board's address, the one it leases to the host.
const BOARD_ADDRESS: [u8; 4] = [192, 168, 7, 1];
const HOST_ADDRESS: [u8; 4] = [192, 168, 7, 2];
const PREFIX: u8 = 24;
const LEASE_SECS: u32 = 24 * 3600;
/// Locally administered Ethernet addresses ("Isère" in ASCII, roughly): the
/// board's end, and the host's end (which the host reads from the USB
/// descriptors).
const BOARD_MAC: [u8; 6] = [0x02, 0x49, 0x53, 0x45, 0x52, 0x01];
const HOST_MAC: [u8; 6] = [0x02, 0x49, 0x53, 0x45, 0x52, 0x02];
/// The HTTP port.
const HTTP_PORT: u16 = 80;

type Stack = NetStack<Ncm>;

/// The stack, for the USB interrupt handler; set before the interrupt is
/// unmasked.
static STACK: AtomicPtr<Stack> = AtomicPtr::new(core::ptr::null_mut());

/// USB: mask the interrupt and wake the network task, which services the
/// controller and unmasks it again (ncm.rs).
#[interrupt]
fn USBCTRL_IRQ() {
    ncm::mask_interrupt();
    // SAFETY: leaked from a box before the interrupt was unmasked.
    let stack = unsafe { STACK.load(Ordering::Acquire).as_ref() };
    let woken = stack.is_some_and(|s| s.wake());
    rtos::yield_from_isr(woken);
}

/// This board, for the shared start-up (`port/common/boot.rs`), with the
/// peripherals the init task takes over from `main`.
struct Pico {
    usb: Option<rp2040_hal::usb::UsbBus>,
}

/// The reset handler's target (rp2040-hal's `entry` first releases the
/// hardware spinlocks, which survive a soft reset).
#[rp2040_hal::entry]
fn main() -> ! {
    start()
}

/// Brings the board up and starts the scheduler with the init task.
fn start() -> ! {
    let Some(mut p) = pac::Peripherals::take() else {
        fail("peripherals taken twice");
    };
    let mut watchdog = rp2040_hal::Watchdog::new(p.WATCHDOG);
    let Ok(clocks) = rp2040_hal::clocks::init_clocks_and_plls(
        XOSC_HZ,
        p.XOSC,
        p.CLOCKS,
        p.PLL_SYS,
        p.PLL_USB,
        &mut p.RESETS,
        &mut watchdog,
    ) else {
        fail("clock set-up failed (no 12 MHz crystal?)");
    };
    let sio = rp2040_hal::Sio::new(p.SIO);
    let pins = rp2040_hal::gpio::Pins::new(p.IO_BANK0, p.PADS_BANK0, sio.gpio_bank0, &mut p.RESETS);
    uart::init(p.UART0, pins.gpio0, pins.gpio1, &mut p.RESETS, &clocks);
    isere::logger::register(&hooks::LOGGER, log::LevelFilter::Info);
    log::info!(target: "board", "Isère {} on FreeRTOS (rp2040, Cortex-M0+ at 125 MHz)", isere::VERSION);
    let usb = rp2040_hal::usb::UsbBus::new(
        p.USBCTRL_REGS,
        p.USBCTRL_DPRAM,
        clocks.usb_clock,
        true,
        &mut p.RESETS,
    );
    let board = Pico { usb: Some(usb) };
    if rtos::spawn(c"init", INIT_STACK_WORDS, INIT_PRIORITY, move || {
        log_flash_layout();
        boot::run(board)
    })
    .is_err()
    {
        fail("cannot create the init task");
    }
    rtos::start_scheduler();
    fail("the scheduler returned");
}

impl boot::Board for Pico {
    const SIZES: boot::Sizes = boot::Sizes {
        js: JsConfig {
            stack_limit: JS_STACK_LIMIT,
            task_stack_words: JS_STACK_WORDS,
            priority: JS_PRIORITY,
            // Sized for the largest pool a pushed configuration can ask for.
            queue_len: 4 + 2 * MAX_CONNECTIONS,
            io_workers: IO_WORKERS,
            io_stack_words: TASK_STACK_WORDS,
        },
        server: TaskSizes {
            stack_words: TASK_STACK_WORDS,
            priority: SERVER_PRIORITY,
        },
        max_connections: MAX_CONNECTIONS,
        // One body of the board configuration's 16 KiB limit at a time (a
        // larger one is streamed to the handler, not held).
        body_budget_bytes: 16 * 1024,
        // 2 KiB of the RP2040's budget, with over-the-air deploys.
        log_ring_bytes: 2 * 1024,
    };

    fn mount(&mut self) -> Option<isere::fs::Fs> {
        mount_file_system()
    }

    /// One pushed over the air, else the board's built-in one.
    fn config(&mut self, pushed: Option<(Config, Vec<u8>)>) -> Result<(Config, Vec<u8>), String> {
        let (config, text) = match pushed {
            Some(pushed) => pushed,
            None => {
                let config = Config::parse(BOARD_CONFIG.as_bytes())
                    .map_err(|e| alloc::format!("board configuration: {e}"))?;
                (config, BOARD_CONFIG.as_bytes().to_vec())
            }
        };
        isere::logger::set_level(config.log_level);
        Ok((config, text))
    }

    /// What the heap has left once everything allocated after the engine
    /// starts has its room: the heads of requests in flight, the stacks of
    /// the tasks started later, the sockets' buffers, an admin call's task.
    /// A pushed configuration cannot promise the engine more, so that a
    /// function (or the activation of a new one, beside the old) running
    /// out of memory is refused by the engine rather than starving the
    /// rest of the board.
    /// The init task's stack, still allocated now, is freed once boot is
    /// over.
    fn js_memory_ceiling(&self, free_heap: usize) -> usize {
        (free_heap + INIT_STACK_WORDS * 4).saturating_sub(REQUEST_RESERVE + LATER_ALLOCATIONS)
    }

    /// The stack and its listener; the link comes up once the device runs
    /// ([`Pico::started`]), so that USB is not serviced while the init task
    /// loads the functions.
    fn start_network(&mut self) -> (&'static dyn Network, Option<Listener>) {
        let Some(usb) = self.usb.take() else {
            fail("the USB bus was taken before");
        };
        let stack = make_network(usb);
        match stack.listen([0; 4], HTTP_PORT) {
            Ok(l) => (stack, Some(l)),
            Err(e) => fail_fmt(format_args!("cannot listen on port {HTTP_PORT}: {e}")),
        }
    }

    fn started(&mut self, _device: &Device) {
        // SAFETY: set by `make_network`.
        if let Some(stack) = unsafe { STACK.load(Ordering::Acquire).as_ref() } {
            bring_link_up(stack);
        }
        let [a, b, c, d] = BOARD_ADDRESS;
        log::info!(target: "board", "isere listening on http://{a}.{b}.{c}.{d}:{HTTP_PORT} (USB network)");
    }

    fn fail(&self, message: core::fmt::Arguments<'_>) -> ! {
        fail_fmt(message)
    }
}

/// Makes the USB network device and its stack (not running yet: see
/// [`bring_link_up`]).
fn make_network(bus: rp2040_hal::usb::UsbBus) -> &'static Stack {
    let [a, b, c, d] = BOARD_ADDRESS;
    let [e, f, g, h] = HOST_ADDRESS;
    let dhcp = DhcpServer {
        mac: EthernetAddress(BOARD_MAC),
        address: Ipv4Address::new(a, b, c, d),
        lease: Ipv4Address::new(e, f, g, h),
        prefix: PREFIX,
        lease_secs: LEASE_SECS,
    };
    let device = match Ncm::new(bus, HOST_MAC, dhcp) {
        Ok(d) => d,
        Err(e) => fail_fmt(format_args!("USB network device: {e}")),
    };
    // smoltcp has no accept queue: a backlog of 2 listening sockets; with
    // the 4 connections and sockets closing, at most 8 sockets (each with
    // its buffers, 3.5 KiB, allocated when opened).
    let config = NetConfig {
        addressing: Addressing::Static {
            address: BOARD_ADDRESS,
            prefix: PREFIX,
            gateway: HOST_ADDRESS,
        },
        rx_buffer: SOCKET_RX_BYTES,
        tx_buffer: SOCKET_TX_BYTES,
        backlog: 2,
        max_sockets: MAX_SOCKETS,
    };
    let stack: &'static Stack = match NetStack::new(device, BOARD_MAC, config) {
        Ok(s) => Box::leak(Box::new(s)),
        Err(e) => fail_fmt(format_args!("network stack: {e}")),
    };
    STACK.store((stack as *const Stack).cast_mut(), Ordering::Release);
    stack
}

/// Starts the network task and unmasks the USB interrupt.
fn bring_link_up(stack: &'static Stack) {
    if rtos::spawn(c"net", NET_STACK_WORDS, NET_PRIORITY, move || {
        stack.run(Ncm::service)
    })
    .is_err()
    {
        fail("cannot create the network task");
    }
    // SAFETY: the handler's state is set above; any priority may use the
    // FromISR calls on this port (see FreeRTOSConfig.h).
    unsafe {
        let mut cp = cortex_m::Peripherals::steal();
        cp.NVIC
            .set_priority(pac::Interrupt::USBCTRL_IRQ, USB_PRIORITY);
        NVIC::unpend(pac::Interrupt::USBCTRL_IRQ);
    }
    ncm::unmask_interrupt();
    let [a, b, c, d] = BOARD_ADDRESS;
    let [e, f, g, h] = HOST_ADDRESS;
    let [m0, m1, m2, m3, m4, m5] = BOARD_MAC;
    log::info!(target: "net", "USB CDC-NCM up, MAC {m0:02x}:{m1:02x}:{m2:02x}:{m3:02x}:{m4:02x}:{m5:02x}, {a}.{b}.{c}.{d}/{PREFIX}, leasing {e}.{f}.{g}.{h} to the host");
}

/// Mounts LittleFS on the flash partition (formatting it on first boot).
fn mount_file_system() -> Option<isere::fs::Fs> {
    // SAFETY: called once; only the file system writes the partition and
    // core 1 is not started.
    let device = unsafe { flash::FlashPartition::new() };
    match isere::fs::Fs::mount_or_format(Box::new(device)) {
        Ok(fs) => Some(fs),
        Err(e) => {
            log::error!(target: "board", "file system: {e}; running without one");
            None
        }
    }
}

/// Logs where the file-system partition is (memory.x reserves it).
fn log_flash_layout() {
    // Symbols memory.x defines; never read, only their addresses are used.
    unsafe extern "C" {
        static __isere_fs_start: u8;
        static __isere_fs_end: u8;
    }
    // Only the addresses of the linker symbols are taken, never their bytes.
    let start = &raw const __isere_fs_start as usize;
    let end = &raw const __isere_fs_end as usize;
    log::info!(
        target: "board",
        "flash: file system partition {start:#010x}..{end:#010x} ({} KiB)",
        (end - start) / 1024
    );
}

/// Reports a fatal error on the console and resets the chip.
fn fail(message: &str) -> ! {
    fail_fmt(format_args!("{message}"))
}

/// How long a fatal error stays on the console before the reset, in cycles
/// of the 125 MHz clock (of the 12 MHz crystal or ring oscillator before
/// the clocks are set up, when it just lasts longer).
const FATAL_DELAY_CYCLES: u32 = 2 * 125_000_000;

fn fail_fmt(args: core::fmt::Arguments<'_>) -> ! {
    cortex_m::interrupt::disable();
    let mut line = heapless::String::<256>::new();
    let _ = line.write_fmt(args);
    uart::write(b"FATAL: ");
    uart::write(line.as_bytes());
    uart::write(b"\r\nresetting in 2 s\r\n");
    cortex_m::asm::delay(FATAL_DELAY_CYCLES);
    cortex_m::peripheral::SCB::sys_reset();
}

/// Called by newlib's `_exit`.
#[unsafe(no_mangle)]
pub extern "C" fn isere_board_exit(status: i32) -> ! {
    fail_fmt(format_args!("exit({status})"))
}

/// Raw console output, for the shared hooks.
fn console_bytes(bytes: &[u8]) {
    uart::write(bytes);
}
