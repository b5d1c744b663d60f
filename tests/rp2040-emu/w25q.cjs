// The Pico's QSPI flash, a Winbond W25Q16JV (2 MiB of NOR flash), as the
// RP2040 talks to it through its SSI: serial commands, the status
// registers, the continuous-read mode fast XIP runs in, and erase and
// program with the part's typical timings (W25Q16JV datasheet, "AC
// electrical characteristics").
//
// Like the chip on the board it outlives resets of the RP2040: the bytes
// belong to the caller, the quad-enable bit is non-volatile, and the
// continuous-read mode survives an RP2040 reset (which is why a boot ROM
// takes the flash out of it before anything else).
'use strict';

const SIZE = 2 * 1024 * 1024;
const PAGE = 256;
const SECTOR = 4096;

// Typical times; the maxima are several times longer (tSE up to 400 ms).
const NS = {
  pageProgram: 0.4e6, // tPP
  sectorErase: 45e6, // tSE, 4 KiB
  block32Erase: 120e6, // tBE1
  block64Erase: 150e6, // tBE2
  writeStatus: 10e6, // tW
};

// Status register bits.
const SR1_BUSY = 1;
const SR1_WEL = 2;
const SR2_QE = 2;
// What a status write may change: SR1's protection bits and SRP; SR2's
// SRL, QE and CMP (its LB bits are one-time programmable: never set here).
const SR1_WRITABLE = 0xfc;
const SR2_WRITABLE = 0x43;

// JEDEC id: Winbond, SPI NOR, 16 Mbit.
const JEDEC_ID = [0xef, 0x40, 0x15];
const DEVICE_ID = 0x14;

const hex = (n, digits = 8) => (n >>> 0).toString(16).padStart(digits, '0');

class W25Q16JV {
  /**
   * @param {Uint8Array} bytes the whole flash, 2 MiB
   * @param {(message: string) => void} fault reports a use the part would
   *   not answer as the firmware expects
   */
  constructor(bytes, fault) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== SIZE) {
      throw new TypeError(`the flash must be a Uint8Array of ${SIZE} bytes`);
    }
    this.bytes = bytes;
    this.fault = fault;
    this.sr1 = 0;
    this.sr2 = 0;
    this.sr3 = 0;
    this.continuous = false;
    this.busyUntil = 0;
    this.now = () => 0;
    // A fixed 64-bit unique id: enough for firmware that reads one.
    this.uniqueId = [0xe6, 0x60, 0x58, 0x38, 0x83, 0x4b, 0x2e, 0x2a];
  }

  /**
   * Connects the part to the clock of the RP2040 now running. An erase or
   * status write still in progress at a reset has finished by the time
   * the new one asks (the ROM model waits for each of its own).
   */
  attach(now) {
    this.now = now;
    this.busyUntil = 0;
    this.sr1 &= ~SR1_WEL;
  }

  get busy() {
    return this.now() < this.busyUntil;
  }

  /** Nanoseconds until the operation in progress ends. */
  get busyNanos() {
    return Math.max(0, this.busyUntil - this.now());
  }

  get quadEnabled() {
    return (this.sr2 & SR2_QE) !== 0;
  }

  /** The XIP exit sequence: mode bits other than 0x2X end continuous reads. */
  exitContinuous() {
    this.continuous = false;
  }

  status1() {
    return (this.sr1 & ~SR1_BUSY) | (this.busy ? SR1_BUSY : 0);
  }

  /**
   * One single-line command, chip select low for `tx.length` bytes: what
   * the flash shifted out for each byte shifted in.
   */
  transfer(tx) {
    const rx = new Uint8Array(tx.length);
    if (tx.length === 0) return rx;
    const cmd = tx[0];
    if (this.continuous) {
      this.fault(`flash command 0x${hex(cmd, 2)} sent while the flash is in continuous-read mode (it would take it as an address): leave XIP first`);
      return rx;
    }
    const address = () => ((tx[1] << 16) | (tx[2] << 8) | tx[3]) & (SIZE - 1);
    const repeat = (value) => rx.fill(value, 1);
    if (this.busy && cmd !== 0x05 && cmd !== 0x35 && cmd !== 0x15) {
      this.fault(`flash command 0x${hex(cmd, 2)} while the flash is busy (the part ignores it)`);
      return rx;
    }
    switch (cmd) {
      case 0x05: repeat(this.status1()); break;
      case 0x35: repeat(this.sr2); break;
      case 0x15: repeat(this.sr3); break;
      case 0x06: this.sr1 |= SR1_WEL; break;
      case 0x04: this.sr1 &= ~SR1_WEL; break;
      case 0x01: // SR1, then SR2 if a second data byte follows
        if (this.writeEnabled('write status') && tx.length >= 2) {
          this.sr1 = (this.sr1 & ~SR1_WRITABLE) | (tx[1] & SR1_WRITABLE);
          if (tx.length >= 3) this.writeSr2(tx[2]);
          this.start(NS.writeStatus);
        }
        break;
      case 0x31:
        if (this.writeEnabled('write status 2') && tx.length >= 2) {
          this.writeSr2(tx[1]);
          this.start(NS.writeStatus);
        }
        break;
      case 0x9f: rx.set(JEDEC_ID.slice(0, tx.length - 1), 1); break;
      case 0xab: if (tx.length > 4) rx.fill(DEVICE_ID, 4); break;
      case 0x90: for (let i = 4; i < tx.length; i++) rx[i] = i % 2 ? DEVICE_ID : JEDEC_ID[0]; break;
      case 0x4b: for (let i = 5; i < tx.length; i++) rx[i] = this.uniqueId[(i - 5) % 8]; break;
      case 0x03: this.readInto(rx, 4, address()); break;
      case 0x0b: this.readInto(rx, 5, address()); break;
      case 0x02:
        if (this.writeEnabled('page program')) this.program(address(), tx.subarray(4));
        break;
      case 0x20:
        if (this.writeEnabled('sector erase')) this.erase(address(), SECTOR, NS.sectorErase);
        break;
      case 0x52:
        if (this.writeEnabled('32 KiB block erase')) this.erase(address(), 32 * 1024, NS.block32Erase);
        break;
      case 0xd8:
        if (this.writeEnabled('64 KiB block erase')) this.erase(address(), 64 * 1024, NS.block64Erase);
        break;
      case 0x66: break; // enable reset: 0x99 must follow
      case 0x99: this.sr1 &= ~SR1_WEL; this.continuous = false; break;
      case 0xff: this.continuous = false; break;
      default:
        this.fault(`flash command 0x${hex(cmd, 2)} is not in this model of the W25Q16JV`);
    }
    return rx;
  }

  /**
   * A read the SSI makes in its EEPROM-read mode: `cmd` (null: none, the
   * flash being in continuous-read mode), the 24-bit address, the mode
   * byte (quad I/O reads only) and how many bytes come back.
   */
  eepromRead(cmd, lines, address, mode, length) {
    const out = new Uint8Array(length);
    if (cmd === null && !this.continuous) {
      this.fault('a read without a command while the flash is not in continuous-read mode');
      return out;
    }
    if (cmd !== null && this.continuous) {
      this.fault(`read command 0x${hex(cmd, 2)} sent while the flash is in continuous-read mode`);
      return out;
    }
    if (this.busy) {
      this.fault('a read while the flash is busy');
      return out;
    }
    const quadIo = cmd === 0xeb || cmd === null;
    if (quadIo || cmd === 0x6b) {
      if (lines !== 4) this.fault(`quad read 0x${hex(cmd === null ? 0xeb : cmd, 2)} on ${lines} data lines`);
      if (!this.quadEnabled) this.fault('a quad read with the quad-enable bit (SR2.QE) clear: IO2/IO3 are still WP/HOLD');
    } else if (cmd !== 0x03 && cmd !== 0x0b) {
      this.fault(`read command 0x${hex(cmd, 2)} is not in this model of the W25Q16JV`);
      return out;
    }
    this.readInto(out, 0, address & (SIZE - 1));
    if (quadIo) this.continuous = (mode & 0x30) === 0x20;
    return out;
  }

  writeEnabled(what) {
    if (!(this.sr1 & SR1_WEL)) {
      this.fault(`flash ${what} without write enable (06h) first: the part ignores it`);
      return false;
    }
    return true;
  }

  writeSr2(value) {
    this.sr2 = (this.sr2 & ~SR2_WRITABLE) | (value & SR2_WRITABLE);
  }

  start(nanos) {
    this.busyUntil = this.now() + nanos;
    this.sr1 &= ~SR1_WEL;
  }

  readInto(out, from, address) {
    for (let i = from; i < out.length; i++) out[i] = this.bytes[(address + i - from) & (SIZE - 1)];
  }

  // NOR flash: programming only clears bits; past the end of the page the
  // address wraps to its start.
  program(address, data) {
    const page = address & ~(PAGE - 1);
    for (let i = 0; i < data.length; i++) {
      const at = page | ((address + i) & (PAGE - 1));
      this.bytes[at] &= data[i];
    }
    this.start(NS.pageProgram);
  }

  erase(address, size, nanos) {
    const start = address & ~(size - 1);
    this.bytes.fill(0xff, start, start + size);
    this.start(nanos);
  }
}

module.exports = { W25Q16JV, FLASH_SIZE: SIZE, PAGE, SECTOR };
