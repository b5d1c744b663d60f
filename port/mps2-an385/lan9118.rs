//! SMSC LAN9118 Ethernet controller (LAN9118/LAN9220 family) as a smoltcp
//! [`phy::Device`], written for the `lan9118` model of QEMU's `mps2-an385`
//! board (MMIO base `0x4020_0000`, IRQ 13).
//!
//! # Contract
//!
//! * **Init** ([`Lan9118::new`]): checks `BYTE_TEST` and `ID_REV` (else
//!   [`InitError::NoDevice`]), quiets the interrupt line, soft-resets the chip
//!   (`HW_CFG.SRST`) and waits for the reset, `PMT_CTRL.READY`, the EEPROM
//!   loader and the MAC CSR port ([`InitError::Timeout`] if one never
//!   finishes). It then reads the station address from the MAC's `ADDRH`/`ADDRL`
//!   (QEMU puts the `-nic ...,mac=` address there, `52:54:00:12:34:56` by
//!   default); an all-zero or all-ones address is replaced by
//!   `02:00:00:00:00:01`, written back so the address filter matches it. RX is
//!   set to no offset and no end padding, TX on with status-FIFO overrun
//!   allowed, the MAC to TX+RX, full duplex, perfect unicast filter plus
//!   broadcast (promiscuous off). The PHY is not touched: QEMU's reports the
//!   link up at once. Finally the only interrupt source enabled is `RSFL` (RX
//!   status FIFO level 0, i.e. "a frame arrived"), and `IRQ_CFG` is set to
//!   enabled, push-pull, active-high.
//! * **RX**: [`phy::Device::receive`] pops one RX status word, then reads the
//!   frame's DWORDs out of the RX data FIFO into a buffer inside the driver
//!   (the FIFO always delivers whole DWORDs: `ceil(len / 4)` reads, the last one
//!   partly padding), and hands smoltcp the frame without its 4-byte FCS.
//!   Frames with the error-summary or filter-fail status bit, shorter than an
//!   Ethernet header or longer than the buffer are read out and dropped, and the
//!   next one is tried. The copy happens in `receive`, so a token that smoltcp
//!   drops unconsumed never leaves the FIFO in the middle of a frame.
//! * **TX**: [`phy::Device::transmit`] hands out a token while the TX data FIFO
//!   has room for a full frame; consuming it lets smoltcp build the frame in the
//!   driver's buffer, then writes TX command A (first+last segment, offset 0,
//!   end alignment 0, buffer length), command B (tag = a frame counter, length)
//!   and the frame as little-endian DWORDs. Each transmit drains the TX status
//!   FIFO (the chip may overrun it, but reading keeps it empty) and restarts
//!   the chip's general-purpose timer (see "QEMU quirks": it wakes QEMU's
//!   main loop; its interrupt stays disabled).
//! * **Interrupt**: the line is level, active-high, and stays high while any
//!   enabled `INT_STS` bit is set. [`InterruptHandle::acknowledge`] (usable from an ISR that
//!   does not own the driver) writes the bits back (write-1-to-clear), which drops the line, and
//!   returns them. The ISR should only wake the network task; that task drains
//!   every pending frame with `Interface::poll` (check [`Lan9118::rx_pending`]
//!   after acknowledging, never rely on one interrupt per frame).
//!
//! # QEMU quirks handled
//!
//! * Accesses to registers the model does not implement are errors: the driver
//!   uses only FIFO ports and CSRs the model implements (see `reg`), 32-bit
//!   accesses only, and never the PHY (MII) registers.
//! * slirp (`-nic user`) handles a frame from the guest on the vCPU thread
//!   without waking QEMU's main loop, which sleeps in `poll()` on the socket
//!   set computed before that frame (timeout up to ~0.5 s). A frame that
//!   changes what slirp must watch, e.g. the guest's ACK that completes a
//!   `hostfwd` handshake, is therefore followed by up to 0.5 s of silence
//!   unless some virtual-clock timer is re-armed. Measured on QEMU 7.2 with an
//!   idle (`wfi`) guest: first request on a connection 65-500 ms without the
//!   kick, 0.5-2 ms with it. Every transmit therefore restarts `GPT_CFG` with a
//!   100 us count: the new earliest deadline wakes the main loop.
//! * Until `IRQ_CFG` says active-high push-pull the model drives the line as
//!   *asserted* whenever nothing is pending (it inverts the level), so
//!   unmasking IRQ 13 before `new` storms. `new` sets the polarity before
//!   anything else; on QEMU 7.2 IRQ 13 was not pending at reset nor after
//!   `new`, but clearing the NVIC pending bit before unmasking costs nothing.
//! * The model raises `RSFL` only when a frame arrives, not while the FIFO
//!   stays above the level, so an acknowledged interrupt with frames still
//!   queued does not fire again: drain by polling.
//! * The RX length in the status word includes the FCS, which the model
//!   appends: it is stripped here.
//! * The model's RX fast-forward (`RX_DP_CTRL.RX_FFWD`) does not update its
//!   FIFO bookkeeping and desynchronises the following frames: frames are
//!   discarded by reading their DWORDs instead.
//! * After reset the MAC is promiscuous with RX off, dropping every frame;
//!   `new` switches RX on and promiscuous mode off.
//! * The model takes a frame's length from command A's buffer sizes, ignores
//!   command B's length, and computes end-alignment padding from the wrong
//!   field: TX uses end alignment 0, offset 0 and one buffer per frame.
//! * The model keeps no more than 512 TX status words and `TSFF` sticks when
//!   full: status overrun is allowed (`TX_CFG.TXSAO`) and drained anyway.
//! * The model's RX FIFOs hold about 10 KiB of data (176 status entries); a
//!   frame that does not fit is dropped without any overflow indication, so a
//!   slow network task costs retransmissions, never a stuck FIFO.

use core::fmt;
use core::ptr::{read_volatile, write_volatile};

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Largest Ethernet frame handed to or accepted from smoltcp, without FCS.
const MAX_FRAME: usize = 1514;
/// Size of each of the RX and TX buffers kept in the driver (a DWORD multiple).
const BUF_LEN: usize = 1536;
/// Ethernet header length; shorter frames are dropped.
const ETH_HEADER: usize = 14;
/// Frame check sequence appended to received frames.
const FCS_LEN: usize = 4;
/// Polls of a busy bit before giving up; far more than the chip needs.
const SPIN_LIMIT: u32 = 1_000_000;
/// Address used when the chip has none (locally administered, unicast).
const FALLBACK_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

/// Register offsets from the MMIO base (system control and status registers).
mod reg {
    pub const RX_DATA_FIFO: usize = 0x00;
    pub const TX_DATA_FIFO: usize = 0x20;
    pub const RX_STATUS_FIFO: usize = 0x40;
    pub const TX_STATUS_FIFO: usize = 0x48;
    pub const ID_REV: usize = 0x50;
    pub const IRQ_CFG: usize = 0x54;
    pub const INT_STS: usize = 0x58;
    pub const INT_EN: usize = 0x5c;
    pub const BYTE_TEST: usize = 0x64;
    pub const FIFO_INT: usize = 0x68;
    pub const RX_CFG: usize = 0x6c;
    pub const TX_CFG: usize = 0x70;
    pub const HW_CFG: usize = 0x74;
    pub const RX_FIFO_INF: usize = 0x7c;
    pub const TX_FIFO_INF: usize = 0x80;
    pub const PMT_CTRL: usize = 0x84;
    pub const GPT_CFG: usize = 0x8c;
    pub const MAC_CSR_CMD: usize = 0xa4;
    pub const MAC_CSR_DATA: usize = 0xa8;
    pub const E2P_CMD: usize = 0xb0;
}

/// Indices of the MAC control registers behind `MAC_CSR_CMD`/`MAC_CSR_DATA`.
mod mac {
    pub const CR: u32 = 1;
    pub const ADDRH: u32 = 2;
    pub const ADDRL: u32 = 3;

    pub const CR_FDPX: u32 = 1 << 20;
    pub const CR_TXEN: u32 = 1 << 3;
    pub const CR_RXEN: u32 = 1 << 2;
}

/// Register bit fields.
mod bit {
    pub const BYTE_TEST_VALUE: u32 = 0x8765_4321;

    pub const IRQ_CFG_EN: u32 = 1 << 8;
    pub const IRQ_CFG_POL_HIGH: u32 = 1 << 4;
    pub const IRQ_CFG_PUSH_PULL: u32 = 1 << 0;

    pub const INT_RSFL: u32 = 1 << 3;

    /// TX data available level 0x48 (reset value), RX/TX status levels 0.
    pub const FIFO_INT_LEVELS: u32 = 0x4800_0000;

    pub const TX_CFG_TXSAO: u32 = 1 << 2;
    pub const TX_CFG_TX_ON: u32 = 1 << 1;

    pub const HW_CFG_SRST: u32 = 1 << 0;
    pub const PMT_CTRL_READY: u32 = 1 << 0;
    pub const E2P_CMD_BUSY: u32 = 1 << 31;

    /// `GPT_CFG`: timer enable (29) and reload value (15:0, 100 us units).
    pub const GPT_TIMER_EN: u32 = 1 << 29;

    pub const MAC_CSR_BUSY: u32 = 1 << 31;
    pub const MAC_CSR_READ: u32 = 1 << 30;

    /// `RX_FIFO_INF`: used RX status entries (23:16) and used data bytes (15:0).
    pub const RX_FIFO_INF_SUSED_SHIFT: u32 = 16;
    pub const RX_FIFO_INF_SUSED_MASK: u32 = 0xff;
    pub const RX_FIFO_INF_DUSED_MASK: u32 = 0xffff;
    /// `TX_FIFO_INF`: used TX status entries (23:16) and free data bytes (15:0).
    pub const TX_FIFO_INF_SUSED_SHIFT: u32 = 16;
    pub const TX_FIFO_INF_SUSED_MASK: u32 = 0xff;
    pub const TX_FIFO_INF_FREE_MASK: u32 = 0xffff;

    /// RX status word: frame length with FCS (29:16), error summary, filter fail.
    pub const RX_STS_LEN_SHIFT: u32 = 16;
    pub const RX_STS_LEN_MASK: u32 = 0x3fff;
    pub const RX_STS_ERROR: u32 = 1 << 15;
    pub const RX_STS_FILTER_FAIL: u32 = 1 << 30;

    /// `RX_CFG`: discard everything in the RX FIFOs (self-clearing).
    pub const RX_CFG_DUMP: u32 = 1 << 15;

    /// TX command A: first and last segment; buffer size in 10:0.
    pub const TX_CMD_A_FIRST: u32 = 1 << 13;
    pub const TX_CMD_A_LAST: u32 = 1 << 12;
    /// TX command B: packet tag in 31:16, packet length in 10:0.
    pub const TX_CMD_B_TAG_SHIFT: u32 = 16;
}

/// Chip IDs (`ID_REV` 31:16) of the LAN9118 family this driver accepts.
const CHIP_IDS: [u16; 14] = [
    0x0115, 0x0116, 0x0117, 0x0118, 0x115a, 0x116a, 0x117a, 0x118a, 0x9210, 0x9211, 0x9215, 0x9218,
    0x9220, 0x9221,
];

/// Why [`Lan9118::new`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitError {
    /// `BYTE_TEST` or `ID_REV` does not read as a LAN9118-family chip.
    NoDevice,
    /// The soft reset, `PMT_CTRL.READY`, the EEPROM loader or the MAC CSR port
    /// never finished.
    Timeout,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::NoDevice => f.write_str("no LAN9118-family chip at this address"),
            InitError::Timeout => f.write_str("LAN9118 did not finish reset or a CSR access"),
        }
    }
}

/// The register block. Built only by [`Lan9118::new`], whose caller promised
/// that `base` maps the chip and nothing else uses it; every access is one
/// aligned 32-bit volatile access at `base + offset` with `offset < 0x100`.
#[derive(Clone, Copy)]
struct Regs {
    base: usize,
}

impl Regs {
    fn read(self, offset: usize) -> u32 {
        // SAFETY: `base` is the chip's MMIO base (contract of `Lan9118::new`),
        // `offset` is one of the `reg` constants: 4-byte aligned, inside the
        // 256-byte register window. Reads of the FIFO ports have side effects
        // on the device only, which the callers account for.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    fn write(self, offset: usize, value: u32) {
        // SAFETY: as in `read`; the write only affects the device.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }

    /// Spins until `reg & mask == 0`.
    fn wait_clear(self, offset: usize, mask: u32) -> Result<(), InitError> {
        for _ in 0..SPIN_LIMIT {
            if self.read(offset) & mask == 0 {
                return Ok(());
            }
        }
        Err(InitError::Timeout)
    }

    fn mac_read(self, index: u32) -> Result<u32, InitError> {
        self.wait_clear(reg::MAC_CSR_CMD, bit::MAC_CSR_BUSY)?;
        self.write(
            reg::MAC_CSR_CMD,
            bit::MAC_CSR_BUSY | bit::MAC_CSR_READ | index,
        );
        self.wait_clear(reg::MAC_CSR_CMD, bit::MAC_CSR_BUSY)?;
        Ok(self.read(reg::MAC_CSR_DATA))
    }

    fn mac_write(self, index: u32, value: u32) -> Result<(), InitError> {
        self.wait_clear(reg::MAC_CSR_CMD, bit::MAC_CSR_BUSY)?;
        self.write(reg::MAC_CSR_DATA, value);
        self.write(reg::MAC_CSR_CMD, bit::MAC_CSR_BUSY | index);
        self.wait_clear(reg::MAC_CSR_CMD, bit::MAC_CSR_BUSY)
    }

    fn rx_status_used(self) -> u32 {
        (self.read(reg::RX_FIFO_INF) >> bit::RX_FIFO_INF_SUSED_SHIFT) & bit::RX_FIFO_INF_SUSED_MASK
    }

    fn tx_free(self) -> usize {
        (self.read(reg::TX_FIFO_INF) & bit::TX_FIFO_INF_FREE_MASK) as usize
    }

    /// Pops every TX status word (they only report what the chip already did).
    fn drain_tx_status(self) {
        let used = (self.read(reg::TX_FIFO_INF) >> bit::TX_FIFO_INF_SUSED_SHIFT)
            & bit::TX_FIFO_INF_SUSED_MASK;
        for _ in 0..used {
            self.read(reg::TX_STATUS_FIFO);
        }
    }

    /// Restarts the general-purpose timer with a 100 us period, its interrupt
    /// left disabled. On QEMU this re-arms a virtual-clock timer that becomes
    /// the earliest deadline, which wakes QEMU's main loop so that slirp
    /// re-reads its socket set after the frame just sent (see the module doc).
    /// On silicon it only runs an unused timer.
    fn kick_host(self) {
        self.write(reg::GPT_CFG, 0);
        self.write(reg::GPT_CFG, bit::GPT_TIMER_EN | 1);
    }

    fn acknowledge(self) -> u32 {
        let pending = self.read(reg::INT_STS);
        self.write(reg::INT_STS, pending);
        pending
    }
}

/// The LAN9118 driver: owns the register block and one RX and one TX frame
/// buffer (no heap).
pub struct Lan9118 {
    regs: Regs,
    mac: [u8; 6],
    tx_tag: u16,
    rx_buf: [u8; BUF_LEN],
    tx_buf: [u8; BUF_LEN],
}

impl fmt::Debug for Lan9118 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lan9118")
            .field("base", &format_args!("{:#010x}", self.regs.base))
            .field("mac", &self.mac)
            .finish_non_exhaustive()
    }
}

impl Lan9118 {
    /// Resets and configures the chip at `base` (see the module doc for the
    /// exact sequence) and returns the driver, RX and TX on, `RSFL` interrupt
    /// enabled, the line active-high.
    ///
    /// # Errors
    ///
    /// [`InitError::NoDevice`] if `BYTE_TEST`/`ID_REV` do not identify a
    /// LAN9118-family chip, [`InitError::Timeout`] if a busy bit never clears.
    ///
    /// # Safety
    ///
    /// `base` must be the device's MMIO base, used by nothing else.
    pub unsafe fn new(base: usize) -> Result<Lan9118, InitError> {
        let regs = Regs { base };

        if regs.read(reg::BYTE_TEST) != bit::BYTE_TEST_VALUE {
            return Err(InitError::NoDevice);
        }
        let chip = (regs.read(reg::ID_REV) >> 16) as u16;
        if !CHIP_IDS.contains(&chip) {
            return Err(InitError::NoDevice);
        }

        // Polarity first, line disabled: the default (active-low) reads as
        // asserted with nothing pending.
        regs.write(reg::IRQ_CFG, bit::IRQ_CFG_POL_HIGH | bit::IRQ_CFG_PUSH_PULL);

        regs.write(reg::HW_CFG, bit::HW_CFG_SRST);
        regs.wait_clear(reg::HW_CFG, bit::HW_CFG_SRST)?;
        if !(0..SPIN_LIMIT).any(|_| regs.read(reg::PMT_CTRL) & bit::PMT_CTRL_READY != 0) {
            return Err(InitError::Timeout);
        }
        regs.wait_clear(reg::E2P_CMD, bit::E2P_CMD_BUSY)?;

        regs.write(reg::IRQ_CFG, bit::IRQ_CFG_POL_HIGH | bit::IRQ_CFG_PUSH_PULL);
        regs.write(reg::INT_EN, 0);
        regs.write(reg::INT_STS, u32::MAX);

        let high = regs.mac_read(mac::ADDRH)?;
        let low = regs.mac_read(mac::ADDRL)?;
        let [a0, a1, a2, a3] = low.to_le_bytes();
        let [a4, a5, _, _] = high.to_le_bytes();
        let mut addr = [a0, a1, a2, a3, a4, a5];
        if addr == [0; 6] || addr == [0xff; 6] {
            addr = FALLBACK_MAC;
            let [b0, b1, b2, b3, b4, b5] = addr;
            regs.mac_write(mac::ADDRL, u32::from_le_bytes([b0, b1, b2, b3]))?;
            regs.mac_write(mac::ADDRH, u32::from_le_bytes([b4, b5, 0, 0]))?;
        }

        regs.write(reg::FIFO_INT, bit::FIFO_INT_LEVELS);
        regs.write(reg::RX_CFG, 0);
        regs.write(reg::TX_CFG, bit::TX_CFG_TX_ON | bit::TX_CFG_TXSAO);
        regs.mac_write(mac::CR, mac::CR_TXEN | mac::CR_RXEN | mac::CR_FDPX)?;

        regs.write(reg::INT_EN, bit::INT_RSFL);
        regs.write(
            reg::IRQ_CFG,
            bit::IRQ_CFG_EN | bit::IRQ_CFG_POL_HIGH | bit::IRQ_CFG_PUSH_PULL,
        );

        Ok(Lan9118 {
            regs,
            mac: addr,
            tx_tag: 0,
            rx_buf: [0; BUF_LEN],
            tx_buf: [0; BUF_LEN],
        })
    }

    /// The station (MAC) address in use.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    /// A copyable handle that can acknowledge interrupts from an ISR while the
    /// driver itself is owned by the network task.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle { regs: self.regs }
    }

    /// Whether a received frame is waiting (RX status FIFO not empty).
    pub fn rx_pending(&self) -> bool {
        self.regs.rx_status_used() != 0
    }

    /// Reads the next good frame into `rx_buf`; returns its length without FCS.
    fn receive_frame(&mut self) -> Option<usize> {
        let regs = self.regs;
        while regs.rx_status_used() != 0 {
            let status = regs.read(reg::RX_STATUS_FIFO);
            let len = ((status >> bit::RX_STS_LEN_SHIFT) & bit::RX_STS_LEN_MASK) as usize;
            let words = len.div_ceil(4);
            let data_used = (regs.read(reg::RX_FIFO_INF) & bit::RX_FIFO_INF_DUSED_MASK) as usize;
            if words * 4 > data_used {
                // Status and data disagree: resynchronise by dropping everything.
                regs.write(reg::RX_CFG, bit::RX_CFG_DUMP);
                return None;
            }
            let good = status & (bit::RX_STS_ERROR | bit::RX_STS_FILTER_FAIL) == 0
                && len >= ETH_HEADER + FCS_LEN
                && len - FCS_LEN <= BUF_LEN;
            for i in 0..words {
                let word = regs.read(reg::RX_DATA_FIFO).to_le_bytes();
                if good {
                    let start = i * 4;
                    let end = (start + 4).min(BUF_LEN);
                    if let (Some(dst), Some(src)) = (
                        self.rx_buf.get_mut(start..end),
                        word.get(..end.saturating_sub(start)),
                    ) {
                        dst.copy_from_slice(src);
                    }
                }
            }
            if good {
                return Some(len - FCS_LEN);
            }
        }
        None
    }
}

/// Acknowledges the LAN9118's interrupts without owning the driver; obtained
/// from [`Lan9118::interrupt_handle`].
#[derive(Clone, Copy)]
pub struct InterruptHandle {
    regs: Regs,
}

impl InterruptHandle {
    /// Acknowledges the pending interrupts (`INT_STS`, write-1-to-clear) and returns the bits
    /// seen. Only touches `INT_STS`, so it may race with the network task.
    pub fn acknowledge(&self) -> u32 {
        self.regs.acknowledge()
    }
}

/// One received frame, already copied out of the chip.
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

/// Permission to send one frame; the chip had room for a full frame when it
/// was made.
pub struct TxToken<'a> {
    regs: Regs,
    tag: &'a mut u16,
    buf: &'a mut [u8; BUF_LEN],
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let len = len.min(BUF_LEN);
        let (frame, _) = self.buf.split_at_mut(len); // len <= BUF_LEN: no panic
        let result = f(frame);
        // A frame larger than the MTU is a caller bug; dropping it beats
        // handing the chip a length field it would truncate.
        if len > MAX_FRAME || len == 0 {
            return result;
        }

        let regs = self.regs;
        // The token from `receive` was made without looking at the FIFO: wait
        // for room (immediate on QEMU, one frame time at most on silicon).
        if !(0..SPIN_LIMIT).any(|_| regs.tx_free() >= len + 8) {
            return result;
        }
        *self.tag = self.tag.wrapping_add(1);
        #[allow(clippy::cast_possible_truncation)] // len <= MAX_FRAME: fits 11 bits
        let len_field = len as u32;
        regs.write(
            reg::TX_DATA_FIFO,
            bit::TX_CMD_A_FIRST | bit::TX_CMD_A_LAST | len_field,
        );
        regs.write(
            reg::TX_DATA_FIFO,
            (u32::from(*self.tag) << bit::TX_CMD_B_TAG_SHIFT) | len_field,
        );
        for chunk in frame.chunks(4) {
            let mut word = [0u8; 4];
            for (dst, src) in word.iter_mut().zip(chunk) {
                *dst = *src;
            }
            regs.write(reg::TX_DATA_FIFO, u32::from_le_bytes(word));
        }
        regs.drain_tx_status();
        regs.kick_host();
        result
    }
}

impl phy::Device for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.receive_frame()?;
        let Lan9118 {
            regs,
            tx_tag,
            rx_buf,
            tx_buf,
            ..
        } = self;
        Some((
            RxToken {
                frame: rx_buf.split_at(len).0,
            }, // len <= BUF_LEN
            TxToken {
                regs: *regs,
                tag: tx_tag,
                buf: tx_buf,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxToken<'_>> {
        self.regs.drain_tx_status();
        if self.regs.tx_free() < MAX_FRAME + 8 {
            return None;
        }
        Some(TxToken {
            regs: self.regs,
            tag: &mut self.tx_tag,
            buf: &mut self.tx_buf,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}
