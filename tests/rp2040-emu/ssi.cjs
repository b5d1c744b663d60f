// The RP2040's SSI (the QSPI controller in front of the flash, RP2040
// datasheet §4.10), in place of rp2040js's stub: register writes become
// transactions on the flash model, and the registers decide whether the
// XIP window can be read at all.
//
// What the firmware's flash path uses is modelled: serial commands in
// TX-and-RX mode (boot2 reads and writes the status registers this way),
// EEPROM-read transfers (boot2's dummy read that puts the flash into
// continuous-read mode), and the XIP configurations boot2 and the ROM's
// flash_enter_cmd_xip leave. Anything else fails loudly rather than
// answering what real hardware would not.
//
// A transfer is made whole when the firmware next looks at the SSI (SR,
// DR0, the FIFO levels) or disables it: as on the chip, where frames
// pushed back to back go out under one chip select and software waits for
// the FIFO to drain before it reads.
'use strict';

const { BasePeripheral } = require('rp2040js');

const CTRLR0 = 0x00;
const CTRLR1 = 0x04;
const SSIENR = 0x08;
const TXFLR = 0x20;
const RXFLR = 0x24;
const SR = 0x28;
const IDR = 0x58;
const VERSION_ID = 0x5c;
const DR0 = 0x60;
const SPI_CTRLR0 = 0xf4;

const SR_TFNF = 0x2;
const SR_TFE = 0x4;
const SR_RFNE = 0x8;

const TMOD_TX_AND_RX = 0;
const TMOD_EEPROM_READ = 3;
const LINES = [1, 2, 4];
// Read commands by data lines, for XIP with a command on every access.
const XIP_READS = { 1: [0x03, 0x0b], 2: [0x3b, 0xbb], 4: [0x6b, 0xeb] };

const hex = (n, digits = 8) => (n >>> 0).toString(16).padStart(digits, '0');

class SSI extends BasePeripheral {
  /**
   * @param rp2040 the rp2040js chip
   * @param flash the W25Q16JV model
   * @param fault reports a use this model (or the chip) does not serve
   * @param changed called when XIP may have come up or gone down
   */
  constructor(rp2040, flash, fault, changed) {
    super(rp2040, 'SSI');
    this.flash = flash;
    this.fault = fault;
    this.changed = changed;
    this.regs = new Map();
    this.enabled = false;
    this.tx = [];
    this.rx = [];
  }

  reg(offset) {
    return this.regs.get(offset) || 0;
  }

  get tmod() {
    return (this.reg(CTRLR0) >> 8) & 3;
  }

  get frameBits() {
    return ((this.reg(CTRLR0) >> 16) & 31) + 1;
  }

  get lines() {
    return LINES[(this.reg(CTRLR0) >> 21) & 3];
  }

  get instructionBits() {
    return [0, 4, 8, 16][(this.reg(SPI_CTRLR0) >> 8) & 3];
  }

  get addressBits() {
    return ((this.reg(SPI_CTRLR0) >> 2) & 15) * 4;
  }

  get xipCommand() {
    return this.reg(SPI_CTRLR0) >>> 24;
  }

  readUint32(offset) {
    switch (offset) {
      case SR:
        this.settle();
        return SR_TFE | SR_TFNF | (this.rx.length ? SR_RFNE : 0);
      case DR0:
        this.settle();
        return this.rx.length ? this.rx.shift() : 0;
      case TXFLR:
        this.settle();
        return 0;
      case RXFLR:
        this.settle();
        return this.rx.length;
      case SSIENR:
        return this.enabled ? 1 : 0;
      case IDR:
        return 0x51535049;
      case VERSION_ID:
        return 0x3430312a;
      default:
        return this.reg(offset);
    }
  }

  writeUint32(offset, value) {
    value >>>= 0;
    switch (offset) {
      case SSIENR:
        this.settle();
        this.enabled = (value & 1) === 1;
        this.tx = [];
        this.rx = [];
        this.changed();
        return;
      case DR0:
        if (!this.enabled) {
          this.fault(`SSI: DR0 written (0x${hex(value)}) while the SSI is disabled`);
          return;
        }
        this.tx.push(value);
        return;
      case CTRLR0:
      case CTRLR1:
      case SPI_CTRLR0:
        // The hardware ignores these while the SSI is enabled.
        if (this.enabled) {
          this.fault(`SSI: register 0x${hex(offset, 2)} written while the SSI is enabled (the hardware ignores it)`);
          return;
        }
        this.regs.set(offset, value);
        return;
      default:
        this.regs.set(offset, value);
    }
  }

  /** Runs the frames pushed so far as one transfer. */
  settle() {
    if (!this.tx.length) return;
    const frames = this.tx;
    this.tx = [];
    if (this.tmod === TMOD_TX_AND_RX && this.lines === 1) {
      this.serial(frames);
    } else if (this.tmod === TMOD_EEPROM_READ) {
      this.eepromRead(frames);
    } else {
      this.fault(`SSI: transfer mode ${this.tmod} on ${this.lines} lines is not in this model`);
    }
    this.changed();
  }

  serial(frames) {
    const bytesPerFrame = this.frameBytes();
    if (!bytesPerFrame) return;
    const out = [];
    for (const f of frames) for (let i = bytesPerFrame - 1; i >= 0; i--) out.push((f >>> (8 * i)) & 0xff);
    const back = this.flash.transfer(Uint8Array.from(out));
    for (let i = 0; i < back.length; i += bytesPerFrame) {
      let f = 0;
      for (let j = 0; j < bytesPerFrame; j++) f = (f << 8) | back[i + j];
      this.rx.push(f >>> 0);
    }
  }

  eepromRead(frames) {
    const bytesPerFrame = this.frameBytes();
    if (!bytesPerFrame) return;
    const instruction = this.instructionBits ? frames.shift() & 0xff : null;
    const addressFrame = frames.shift();
    if (addressFrame === undefined) {
      this.fault('SSI: an EEPROM-read transfer without an address frame');
      return;
    }
    let address;
    let mode = 0;
    if (this.addressBits === 32) {
      address = addressFrame >>> 8;
      mode = addressFrame & 0xff;
    } else if (this.addressBits === 24) {
      address = addressFrame & 0xffffff;
    } else {
      this.fault(`SSI: ${this.addressBits}-bit addresses are not in this model`);
      return;
    }
    const count = ((this.reg(CTRLR1) & 0xffff) + 1) * bytesPerFrame;
    const data = this.flash.eepromRead(instruction, this.lines, address, mode, count);
    for (let i = 0; i < data.length; i += bytesPerFrame) {
      let f = 0;
      for (let j = 0; j < bytesPerFrame; j++) f = (f << 8) | data[i + j];
      this.rx.push(f >>> 0);
    }
  }

  frameBytes() {
    const bits = this.frameBits;
    if (bits !== 8 && bits !== 32) {
      this.fault(`SSI: ${bits}-bit frames are not in this model`);
      return 0;
    }
    return bits / 8;
  }

  /**
   * Why a read of the XIP window would not reach the flash now, or null
   * when it would.
   */
  xipProblem() {
    if (!this.enabled) return 'the SSI is disabled';
    if (this.tmod !== TMOD_EEPROM_READ) return 'the SSI is in serial-command mode, as flash_exit_xip leaves it';
    if (this.frameBits !== 32) return `XIP needs 32-bit frames, the SSI has ${this.frameBits}`;
    if (this.flash.busy) return 'the flash is busy erasing or programming';
    const lines = this.lines;
    if (this.instructionBits) {
      if (this.flash.continuous) return 'the flash is in continuous-read mode but the SSI sends a command';
      if (!XIP_READS[lines].includes(this.xipCommand)) {
        return `0x${hex(this.xipCommand, 2)} is not a read command on ${lines} data lines`;
      }
      if (lines === 4 && !this.flash.quadEnabled) return 'a quad read with the flash\'s quad-enable bit clear';
      return null;
    }
    if (!this.flash.continuous) return 'the SSI sends no command but the flash is not in continuous-read mode';
    if (lines !== 4) return 'continuous reads are quad I/O';
    if ((this.xipCommand & 0x30) !== 0x20) return 'the mode bits the SSI sends would end continuous-read mode';
    return null;
  }
}

module.exports = { SSI, SSI_REG: { CTRLR0, CTRLR1, SSIENR, SPI_CTRLR0, DR0, SR } };
