//! The board's network interface: USB CDC-NCM as a smoltcp `phy::Device`.
//!
//! Plugged into a laptop, the board enumerates as a USB Ethernet adapter
//! (CDC-NCM: Linux `cdc_ncm`, macOS and Windows 11 have drivers built in).
//! `usbd-ethernet` implements the class over `usb-device`; it speaks
//! smoltcp 0.12's `Device` trait, so this adapter forwards its tokens to the
//! smoltcp 0.14 that `isere::netstack` uses, and answers the host's DHCP
//! messages on the way ([`crate::dhcp`]).
//!
//! Waking contract (see `isere::netstack::NetStack::run`):
//!
//! * `USBCTRL_IRQ` masks itself and wakes the network task; nothing else
//!   happens in interrupt context.
//! * The network task polls smoltcp, which moves frames through the class's
//!   buffers (one 64-byte packet per endpoint and poll), then calls
//!   [`Ncm::service`]: usb-device's state machine runs (enumeration, control
//!   requests, endpoint completions) and the interrupt is unmasked again.
//!   If that poll saw an endpoint complete, the task polls smoltcp again at
//!   once: the class only continues a transfer block when polled, and the
//!   event that would have woken it is already consumed.
//! * An OUT buffer the class cannot take yet (the link is not up, or the
//!   host is not reading what the board sends) keeps the interrupt line
//!   asserted. After a few immediate polls the interrupt stays masked for
//!   one tick (a one-shot kernel timer unmasks it), so a stalled host costs
//!   a poll per millisecond instead of the whole CPU.
//!
//! The host moves data in 64-byte USB packets and each one completes with an
//! interrupt, so a full frame takes ~24 wake-ups of the network task: the
//! link carries a few hundred KiB/s, plenty for an HTTP function server.

use alloc::boxed::Box;
use alloc::vec;
use core::ffi::c_void;

use isere::rtos::{self, Timer};
use rp2040_hal::pac::{self, Interrupt};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp_usbd::phy::{Device as UsbdDevice, RxToken as UsbdRxToken, TxToken as UsbdTxToken};
use usb_device::UsbError;
use usb_device::bus::UsbBusAllocator;
use usb_device::device::{StringDescriptors, UsbDevice, UsbDeviceBuilder, UsbVidPid};
use usbd_ethernet::{DeviceState, Ethernet, EthernetTxToken};

use crate::dhcp::{self, DhcpServer, Verdict};

const TAG: &str = "usb";

/// The USB bus of this chip.
pub type Bus = rp2040_hal::usb::UsbBus;

/// pid.codes' test VID/PID (<https://pid.codes/1209/0001/>): fine for a
/// development board; a product needs its own.
const VID_PID: UsbVidPid = UsbVidPid(0x1209, 0x0001);
/// Full-speed bulk endpoints carry at most 64 bytes per packet.
const MAX_PACKET: u16 = 64;
/// The size of an NCM transfer block in each direction (usbd-ethernet's).
const NTB_SIZE: usize = 2048;
/// The longest Ethernet frame the class passes (no FCS).
const MAX_FRAME: usize = 1514;
/// The link speed reported to the host (USB full speed), in bits/s.
const LINK_BITS_PER_SEC: u32 = 12_000_000;
/// Immediate re-polls while the interrupt line stays asserted, before the
/// interrupt is left masked for a tick.
const MAX_REPOLLS: u8 = 4;

/// The USB network device: usb-device, the NCM class and the DHCP server.
pub struct Ncm {
    usb: UsbDevice<'static, Bus>,
    eth: Ethernet<'static, Bus>,
    dhcp: DhcpServer,
    /// The frame handed to smoltcp, copied out of the class's buffer so the
    /// DHCP server can look at it first.
    frame: Box<[u8]>,
    /// Length of a frame in `frame` smoltcp has not taken yet.
    pending: Option<usize>,
    answer: Box<[u8; dhcp::MAX_ANSWER_LEN]>,
    rearm: Timer,
    repolls: u8,
    link: DeviceState,
}

/// Allocates a zeroed, never-freed buffer on the heap (not on the stack of
/// the task that creates it).
fn leak_zeroed<const N: usize>() -> &'static mut [u8; N] {
    let buf: Box<[u8]> = vec![0u8; N].into_boxed_slice();
    match Box::<[u8; N]>::try_from(buf) {
        Ok(b) => Box::leak(b),
        Err(_) => unreachable!("the length is N"),
    }
}

impl Ncm {
    /// Brings the USB device up on `bus`: the host sees the board (pull-up
    /// on) as soon as this returns, and the network task must run
    /// [`Ncm::service`] from then on. `host_mac` is the address the host
    /// gives its end of the link; `dhcp` serves it an address.
    pub fn new(bus: Bus, host_mac: [u8; 6], dhcp: DhcpServer) -> Result<Ncm, rtos::OutOfMemory> {
        let alloc: &'static UsbBusAllocator<Bus> = Box::leak(Box::new(UsbBusAllocator::new(bus)));
        let eth = Ethernet::new(
            alloc,
            host_mac,
            MAX_PACKET,
            leak_zeroed::<NTB_SIZE>(),
            leak_zeroed::<NTB_SIZE>(),
        );
        let strings = StringDescriptors::default()
            .manufacturer("Isère")
            .product("Isère RP2040")
            .serial_number("0001");
        // Control transfers in 64-byte packets (the full-speed maximum; the
        // default of 8 takes eight times the transactions to enumerate).
        let usb = match UsbDeviceBuilder::new(alloc, VID_PID)
            .strings(&[strings])
            .and_then(|b| b.max_packet_size_0(64))
        {
            Ok(b) => b.device_class(usbd_ethernet::USB_CLASS_CDC).build(),
            // One language, three strings and a valid size: within usb-device's limits.
            Err(_) => unreachable!("the descriptors fit"),
        };
        let rearm = Timer::new(c"usb-rearm", 1, false, 0, rearm_interrupt)?;
        Ok(Ncm {
            usb,
            eth,
            dhcp,
            frame: vec![0u8; MAX_FRAME].into_boxed_slice(),
            pending: None,
            answer: Box::new([0u8; dhcp::MAX_ANSWER_LEN]),
            rearm,
            repolls: 0,
            link: DeviceState::Disabled,
        })
    }

    /// Runs usb-device, brings the link up once the host has configured the
    /// interface, and re-arms the USB interrupt. Returns whether smoltcp
    /// should poll again at once.
    pub fn service(&mut self) -> bool {
        let events = self.usb.poll(&mut [&mut self.eth]);
        if self.eth.state() == DeviceState::Disconnected {
            // First the speed notification, then the connection one; each
            // waits for the previous one to reach the host (WouldBlock).
            let r = if self.eth.connection_speed().is_none() {
                self.eth
                    .set_connection_speed(LINK_BITS_PER_SEC, LINK_BITS_PER_SEC)
            } else {
                self.eth.connect()
            };
            if let Err(e) = r
                && e != UsbError::WouldBlock
            {
                log::warn!(target: TAG, "cannot notify the host: {e:?}");
            }
        }
        let state = self.eth.state();
        if state != self.link {
            match state {
                DeviceState::Connected => log::info!(target: TAG, "network link up"),
                DeviceState::Disconnected => {
                    log::info!(target: TAG, "configured by the host")
                }
                DeviceState::Disabled => log::info!(target: TAG, "network link down"),
            }
            self.link = state;
        }
        if interrupt_asserted() {
            // Something the class has not taken (an OUT packet while the
            // link is not up, or while the host does not read what the
            // board sends): poll again a few times, then leave the interrupt
            // masked for a tick.
            if self.repolls < MAX_REPOLLS {
                self.repolls += 1;
                return true;
            }
            self.repolls = 0;
            if !self.rearm.start() {
                unmask_interrupt();
            }
            return false;
        }
        self.repolls = 0;
        unmask_interrupt();
        // An endpoint completed (a packet went out or came in). The class
        // moves the rest of its transfer blocks only when smoltcp polls it,
        // and this poll consumed the event, so no interrupt will come for
        // it: poll again. Each such event is the hardware's, so this ends.
        events
    }

    /// Takes the next frame for smoltcp from the class, answering DHCP
    /// client messages on the way. Returns its length in `self.frame`.
    fn next_frame(&mut self, now: smoltcp_usbd::time::Instant) -> Option<usize> {
        loop {
            let (rx, tx) = UsbdDevice::receive(&mut self.eth, now)?;
            let frame = &mut self.frame;
            let n = rx.consume(|data| {
                let n = data.len().min(frame.len());
                frame[..n].copy_from_slice(&data[..n]);
                n
            });
            match self.dhcp.handle(&self.frame[..n], &mut self.answer) {
                Verdict::NotDhcp => return Some(n),
                Verdict::Ignored => {}
                Verdict::Answer(m) => {
                    let answer = &self.answer[..m];
                    tx.consume(m, |buf| buf.copy_from_slice(answer));
                }
            }
        }
    }
}

fn usbd_instant(t: Instant) -> smoltcp_usbd::time::Instant {
    smoltcp_usbd::time::Instant::from_micros(t.total_micros())
}

/// Whether USBCTRL_IRQ is asserted (an enabled USB interrupt source is set).
fn interrupt_asserted() -> bool {
    // SAFETY: a read of the read-only interrupt status register.
    unsafe { (*pac::USBCTRL_REGS::ptr()).ints().read().bits() != 0 }
}

/// Lets USBCTRL_IRQ in again.
pub fn unmask_interrupt() {
    // SAFETY: the handler only masks itself and wakes the network task.
    unsafe { cortex_m::peripheral::NVIC::unmask(Interrupt::USBCTRL_IRQ) }
}

/// Masks USBCTRL_IRQ until the network task has serviced the device.
pub fn mask_interrupt() {
    cortex_m::peripheral::NVIC::mask(Interrupt::USBCTRL_IRQ);
}

/// The re-arm timer's callback (in the kernel's timer task).
extern "C" fn rearm_interrupt(_timer: *mut c_void) {
    unmask_interrupt();
}

/// A received frame, handed to smoltcp.
pub struct RxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(self.frame)
    }
}

/// Room for one frame in the class's IN transfer block.
pub struct TxToken<'a> {
    inner: EthernetTxToken<'static, 'a, Bus>,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        self.inner.consume(len, f)
    }
}

impl Device for Ncm {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, timestamp: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let now = usbd_instant(timestamp);
        if self.pending.is_none() {
            self.pending = self.next_frame(now);
        }
        let len = self.pending?;
        // The class gave room to send when it gave the frame; if that is
        // gone the frame waits for the next poll.
        let inner = UsbdDevice::transmit(&mut self.eth, now)?;
        self.pending = None;
        Some((
            RxToken {
                frame: &self.frame[..len],
            },
            TxToken { inner },
        ))
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<TxToken<'_>> {
        UsbdDevice::transmit(&mut self.eth, usbd_instant(timestamp)).map(|inner| TxToken { inner })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}
