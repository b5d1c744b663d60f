//! UART0 on GP0 (TX) and GP1 (RX) at 115200 8N1: the console.
//!
//! rp2040-hal sets the UART up; afterwards lines are written straight to
//! its data register, polling the 32-byte FIFO, so that any task, a fault
//! handler or newlib's `_write` can print without owning the peripheral.
//! Transmit only. At 115200 baud a 100-character line takes ~9 ms; callers
//! keep other tasks from interleaving (see `Console` in main.rs) without
//! masking interrupts for that long.

use rp2040_hal::Clock as _;
use rp2040_hal::clocks::ClocksManager;
use rp2040_hal::fugit::RateExtU32;
use rp2040_hal::gpio::bank0::{Gpio0, Gpio1};
use rp2040_hal::gpio::{FunctionNull, FunctionUart, Pin, PullDown};
use rp2040_hal::pac;
use rp2040_hal::uart::{DataBits, StopBits, UartConfig, UartPeripheral};

/// The console's baud rate.
pub const BAUD: u32 = 115_200;

/// Configures UART0 on GP0/GP1.
pub fn init(
    uart: pac::UART0,
    tx: Pin<Gpio0, FunctionNull, PullDown>,
    rx: Pin<Gpio1, FunctionNull, PullDown>,
    resets: &mut pac::RESETS,
    clocks: &ClocksManager,
) {
    let pins = (
        tx.into_function::<FunctionUart>(),
        rx.into_function::<FunctionUart>(),
    );
    let config = UartConfig::new(BAUD.Hz(), DataBits::Eight, None, StopBits::One);
    // The HAL's UART has no `Drop`: the peripheral stays configured when the
    // object goes, and `write` drives its registers directly. The only error
    // is a baud rate the 125 MHz peripheral clock cannot reach, which this
    // one can; the console stays silent then.
    let _ = UartPeripheral::new(uart, pins, resets).enable(config, clocks.peripheral_clock.freq());
}

/// Writes bytes, waiting while the transmit FIFO is full.
pub fn write(bytes: &[u8]) {
    // SAFETY: after `init`, only this function touches UART0's data and
    // flag registers; writes to a disabled UART are ignored by the hardware.
    let uart = unsafe { &*pac::UART0::ptr() };
    for &b in bytes {
        while uart.uartfr().read().txff().bit_is_set() {}
        // SAFETY: any byte is a valid value of the data field.
        uart.uartdr().write(|w| unsafe { w.data().bits(b) });
    }
}
