// Our own model of the RP2040 boot ROM (0x00000000-0x00003FFF), written
// from the interface the RP2040 datasheet documents (§2.8: the header at
// 0x10, the function and data tables, the flash boot sequence); none of
// Raspberry Pi's ROM is in it.
//
// The image holds what firmware can see: the vector table, the magic
// 'M','u',1 and the version at 0x10, the 16-bit pointers to the function
// table, the data table and the lookup function at 0x14/0x16/0x18, the
// tables themselves (two ASCII characters per code) and a 4-byte Thumb
// stub per function: `bkpt #n; bx lr`. The core stops on the BKPT, the
// chip (chip.cjs) runs function n here in JS against the core's registers
// and the memory map, charges the cycles it would take, and the stub
// returns to the caller. So a call through a looked-up pointer behaves as
// on the chip, including what it does to the flash and to XIP, and the
// flash routines stall the core for the flash's erase and program times.
//
// At reset the ROM does its flash boot: take the flash out of
// continuous-read mode, read the first 256 bytes with serial 03h reads,
// check their CRC, copy them to SRAM at 0x20041F00 and enter them with
// lr = 0, which tells boot2 to go on to the vector table at 0x10000100
// rather than return. A failed CRC is where a Pico would come up as the
// RPI-RP2 drive: the model reports it instead.
'use strict';

const { FLOAT_TABLE, DOUBLE_TABLE } = require('./romfloat.cjs');
const { FLASH_SIZE, PAGE, SECTOR } = require('./w25q.cjs');
const { SSI_REG } = require('./ssi.cjs');

const ROM_SIZE = 16 * 1024;
const VERSION = 3; // RP2040-B2's: the double table and V2 float functions exist
const SRAM_BASE = 0x20000000;
const SRAM_SIZE = 264 * 1024;
const BOOT2_SRAM = 0x20041f00;
const FLASH_WINDOW = 0x10000000;

const THUMB_BKPT = 0xbe00;
const THUMB_BX_LR = 0x4770;
const THUMB_B_SELF = 0xe7fe;

const hex = (n, digits = 8) => (n >>> 0).toString(16).padStart(digits, '0');

// How the ROM's flash routines leave the SSI (the datasheet: serial mode,
// SCK divided by 6) and how flash_enter_cmd_xip sets it (serial 03h reads
// with a 24-bit address on every access).
function ssiSerial(ssi) {
  ssi.writeUint32(SSI_REG.SSIENR, 0);
  ssi.writeUint32(SSI_REG.CTRLR0, 7 << 16); // 8-bit frames, TX and RX
  ssi.writeUint32(0x14, 6); // BAUDR
  ssi.writeUint32(SSI_REG.SSIENR, 1);
}
function ssiCmdXip(ssi) {
  ssi.writeUint32(SSI_REG.SSIENR, 0);
  ssi.writeUint32(SSI_REG.CTRLR0, (31 << 16) | (3 << 8)); // 32-bit frames, EEPROM read
  ssi.writeUint32(SSI_REG.CTRLR1, 0);
  ssi.writeUint32(SSI_REG.SPI_CTRLR0, (0x03 << 24) | (2 << 8) | (6 << 2)); // 03h, 8-bit instruction, 24-bit address
  ssi.writeUint32(SSI_REG.SSIENR, 1);
}

// CRC-32/MPEG-2, what the ROM checks boot2's last word against.
function crc32mpeg2(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b << 24;
    for (let i = 0; i < 8; i++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

const inSram = (a, n) => a >= SRAM_BASE && a + n <= SRAM_BASE + SRAM_SIZE;
const inFlashWindow = (a, n) => a < 0x14000000 && a + n > FLASH_WINDOW;

// Memory for the memory functions: fast where the bytes are plain memory,
// else through the chip's memory map (and its checks) a byte at a time.
function copy(ctx, dest, src, n) {
  const { sram } = ctx.mcu;
  if (!ctx.checkRead(src, n)) return;
  if (inSram(dest, n) && inSram(src, n)) {
    sram.copyWithin(dest - SRAM_BASE, src - SRAM_BASE, src - SRAM_BASE + n);
  } else if (inSram(dest, n) && src >= FLASH_WINDOW && (src & 0xffffff) + n <= FLASH_SIZE && src < 0x14000000) {
    const at = src & 0xffffff;
    sram.set(ctx.flash.bytes.subarray(at, at + n), dest - SRAM_BASE);
  } else {
    for (let i = 0; i < n; i++) ctx.mcu.writeUint8(dest + i, ctx.mcu.readUint8(src + i));
  }
}
function fill(ctx, dest, value, n) {
  if (inSram(dest, n)) ctx.mcu.sram.fill(value, dest - SRAM_BASE, dest - SRAM_BASE + n);
  else for (let i = 0; i < n; i++) ctx.mcu.writeUint8(dest + i, value);
}

// Estimated cycles: a word loop moves about a byte a cycle, a byte loop
// a quarter of that.
const copyCycles = (aligned, n) => 12 + (aligned ? n : 4 * n);
const fillCycles = (aligned, n) => 12 + (aligned ? n / 2 : 3 * n);

// The flash routines: what each checks, what it does to the flash, the
// SSI and the QSPI chip select, and the time the core spends in it.
function needSerial(ctx, what) {
  if (ctx.flash.continuous || !ctx.ssi.enabled || ctx.ssi.tmod !== 0) {
    ctx.fault(`${what} with the flash still in XIP mode: flash_exit_xip must come first`);
    return false;
  }
  return true;
}
function command(ctx, bytes) {
  ctx.flash.transfer(Uint8Array.from(bytes));
}
function waitReady(ctx) {
  ctx.wait(ctx.flash.busyNanos);
}
const address = (a) => [(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff];

function rangeErase(ctx) {
  const r = ctx.core.registers;
  const [addr, count, blockSize, blockCmd] = [r[0], r[1], r[2], r[3] & 0xff];
  if (addr % SECTOR || count % SECTOR || addr + count > FLASH_SIZE) {
    ctx.fault(`flash_range_erase(0x${hex(addr)}, 0x${hex(count)}): needs 4 KiB-aligned offsets inside the 2 MiB flash`);
    return 0;
  }
  if (!needSerial(ctx, 'flash_range_erase')) return 0;
  for (let at = addr; at < addr + count;) {
    const block = blockCmd && blockSize && at % blockSize === 0 && addr + count - at >= blockSize;
    command(ctx, [0x06]);
    command(ctx, [block ? blockCmd : 0x20, ...address(at)]);
    waitReady(ctx);
    at += block ? blockSize : SECTOR;
  }
  return 200;
}

function rangeProgram(ctx) {
  const r = ctx.core.registers;
  const [addr, data, count] = [r[0], r[1], r[2]];
  if (addr % PAGE || count % PAGE || addr + count > FLASH_SIZE) {
    ctx.fault(`flash_range_program(0x${hex(addr)}, .., 0x${hex(count)}): needs 256-byte-aligned offsets inside the 2 MiB flash`);
    return 0;
  }
  if (inFlashWindow(data, count)) {
    ctx.fault(`flash_range_program's data at 0x${hex(data)} is in the flash, which cannot be read while it is written: copy it to RAM first`);
    return 0;
  }
  if (!needSerial(ctx, 'flash_range_program')) return 0;
  for (let i = 0; i < count; i += PAGE) {
    const page = [];
    for (let j = 0; j < PAGE; j++) page.push(ctx.mcu.readUint8(data + i + j));
    command(ctx, [0x06]);
    command(ctx, [0x02, ...address(addr + i), ...page]);
    waitReady(ctx);
  }
  return 200 + count * 4;
}

function boot(ctx) {
  const { flash, ssi, core } = ctx;
  flash.exitContinuous();
  ssiSerial(ssi);
  const read = new Uint8Array(4 + 256);
  read[0] = 0x03;
  const boot2 = flash.transfer(read).subarray(4);
  const expected = new DataView(boot2.buffer, boot2.byteOffset).getUint32(252, true);
  if (crc32mpeg2(boot2.subarray(0, 252)) !== expected) {
    ctx.fault('boot2 (the first 256 bytes of flash) fails its CRC: a Pico would come up as the RPI-RP2 USB drive');
    return 0;
  }
  ctx.mcu.sram.set(boot2, BOOT2_SRAM - SRAM_BASE);
  ssiCmdXip(ssi);
  core.LR = 0;
  core.PC = BOOT2_SRAM;
  return 5000;
}

// The functions, by code: [code, name, run(ctx) -> cycles].
const FUNCTIONS = [
  ['P3', 'popcount32', (ctx) => {
    let v = ctx.core.registers[0];
    let n = 0;
    for (; v; v &= v - 1) n++;
    ctx.core.registers[0] = n;
    return 20;
  }],
  ['R3', 'reverse32', (ctx) => {
    const r = ctx.core.registers;
    let v = r[0];
    let out = 0;
    for (let i = 0; i < 32; i++, v >>>= 1) out = (out << 1) | (v & 1);
    r[0] = out >>> 0;
    return 20;
  }],
  ['L3', 'clz32', (ctx) => {
    ctx.core.registers[0] = Math.clz32(ctx.core.registers[0]);
    return 12;
  }],
  ['T3', 'ctz32', (ctx) => {
    const v = ctx.core.registers[0];
    ctx.core.registers[0] = v ? 31 - Math.clz32(v & -v) : 32;
    return 12;
  }],
  ['MS', 'memset', (ctx) => {
    const r = ctx.core.registers;
    fill(ctx, r[0], r[1] & 0xff, r[2]);
    return fillCycles(r[0] % 4 === 0, r[2]);
  }],
  ['S4', 'memset4', (ctx) => {
    const r = ctx.core.registers;
    if (r[0] % 4) ctx.fault(`memset4 on 0x${hex(r[0])}, which is not word aligned`);
    else fill(ctx, r[0], r[1] & 0xff, r[2]);
    return fillCycles(true, r[2]);
  }],
  ['MC', 'memcpy', (ctx) => {
    const r = ctx.core.registers;
    copy(ctx, r[0], r[1], r[2]);
    return copyCycles((r[0] | r[1]) % 4 === 0, r[2]);
  }],
  ['C4', 'memcpy44', (ctx) => {
    const r = ctx.core.registers;
    if ((r[0] | r[1]) % 4) ctx.fault(`memcpy44 from 0x${hex(r[1])} to 0x${hex(r[0])}, which are not both word aligned`);
    else copy(ctx, r[0], r[1], r[2]);
    return copyCycles(true, r[2]);
  }],
  ['IF', 'connect_internal_flash', () => 100],
  ['EX', 'flash_exit_xip', (ctx) => {
    ssiSerial(ctx.ssi);
    ctx.flash.exitContinuous();
    ctx.setCsForced(true);
    return 400;
  }],
  ['RE', 'flash_range_erase', rangeErase],
  ['RP', 'flash_range_program', rangeProgram],
  ['FC', 'flash_flush_cache', (ctx) => {
    ctx.setCsForced(false);
    return 100;
  }],
  ['CX', 'flash_enter_cmd_xip', (ctx) => {
    ssiCmdXip(ctx.ssi);
    return 100;
  }],
  ['UB', 'reset_to_usb_boot', (ctx) => {
    ctx.fault('reset_to_usb_boot: the chip would restart as the RPI-RP2 drive, which this model does not have');
    return 0;
  }],
  ['WV', 'wait_for_vector', (ctx) => {
    ctx.fault('wait_for_vector is for core 1, which this model does not run');
    return 0;
  }],
];

const COPYRIGHT = '(model of the) RP2040 boot ROM, Isere test harness';

/**
 * Lays the ROM out. Returns the image, the routines by BKPT number and
 * where the code is (the stubs; the rest is vectors, header, tables and
 * data): { image: Uint8Array, routines: [{ name, run(ctx) -> cycles }],
 * codeStart, codeEnd }.
 */
function buildRom() {
  const image = new Uint8Array(ROM_SIZE);
  const view = new DataView(image.buffer);
  const routines = [];
  const codeStart = 0x200;
  let codeAt = codeStart;
  // A 4-byte stub that traps to routine `run`; returns its Thumb address.
  const stub = (name, run, tail = THUMB_BX_LR) => {
    const n = routines.length;
    if (n > 255) throw new Error('rom.cjs: more routines than BKPT numbers');
    routines.push({ name, run });
    view.setUint16(codeAt, THUMB_BKPT | n, true);
    view.setUint16(codeAt + 2, tail, true);
    codeAt += 4;
    return (codeAt - 4) | 1;
  };
  const codeOf = (s) => s.charCodeAt(0) | (s.charCodeAt(1) << 8);

  const reset = stub('reset', boot, THUMB_B_SELF);
  const fault = stub('fault', (ctx) => {
    ctx.fault('a fault while the boot ROM ran');
    return 0;
  }, THUMB_B_SELF);
  view.setUint32(0x00, BOOT2_SRAM, true); // its stack ends where boot2 goes
  view.setUint32(0x04, reset, true);
  view.setUint32(0x08, fault, true);
  view.setUint32(0x0c, fault, true);
  image.set([0x4d, 0x75, 0x01, VERSION], 0x10);

  // The table lookup: r0 = table, r1 = code; the entry's value, or a
  // loud failure where the ROM would answer 0.
  const lookup = stub('rom_table_lookup', (ctx) => {
    const r = ctx.core.registers;
    const code = r[1] & 0xffff;
    let steps = 0;
    for (let at = r[0]; at + 4 <= ROM_SIZE; at += 4, steps++) {
      const c = view.getUint16(at, true);
      if (c === 0) break;
      if (c === code) {
        r[0] = view.getUint16(at + 2, true);
        ctx.noteLookup(code);
        return 10 + 6 * steps;
      }
    }
    ctx.fault(`the image looked up ROM code '${String.fromCharCode(code & 0xff, code >> 8)}', which this model does not provide`);
    r[0] = 0;
    return 0;
  });

  // Function table.
  const functionPointers = FUNCTIONS.map(([code, name, run]) => [codeOf(code), stub(name, run)]);
  // Float tables and the data they are found through.
  const floatStart = codeAt;
  const tableWords = (entries) =>
    entries.map(([, name, cycles, run]) => (name
      ? stub(name, (ctx) => { run(ctx.core.registers, ctx.fault); return cycles; })
      : stub('deprecated float entry', (ctx) => { ctx.fault('a deprecated floating-point table entry was called'); return 0; })));
  const floatWords = tableWords(FLOAT_TABLE);
  const doubleWords = tableWords(DOUBLE_TABLE);
  const floatEnd = codeAt;
  let dataAt = (codeAt + 3) & ~3;
  const words = (list) => {
    const at = dataAt;
    for (const w of list) { view.setUint32(dataAt, w, true); dataAt += 4; }
    return at;
  };
  const sf = words(floatWords);
  const sd = words(doubleWords);
  const gitRevision = words([0]);
  const copyright = dataAt;
  image.set(Buffer.from(`${COPYRIGHT}\0`, 'latin1'), dataAt);
  dataAt += COPYRIGHT.length + 1;
  const dataPointers = [['CR', copyright], ['GR', gitRevision], ['FS', floatStart], ['SF', sf], ['FE', floatEnd], ['SD', sd]]
    .map(([code, p]) => [codeOf(code), p]);

  // The tables, after the header: (code, 16-bit value) pairs, 0-terminated.
  let tableAt = 0x20;
  const pairs = (list) => {
    const at = tableAt;
    for (const [code, value] of list) {
      view.setUint16(tableAt, code, true);
      view.setUint16(tableAt + 2, value, true);
      tableAt += 4;
    }
    tableAt += 4;
    return at;
  };
  view.setUint16(0x14, pairs(functionPointers), true);
  view.setUint16(0x16, pairs(dataPointers), true);
  view.setUint16(0x18, lookup, true);
  if (tableAt > 0x200 || dataAt > ROM_SIZE) throw new Error('rom.cjs: the ROM layout overflows');
  return { image, routines, codeStart, codeEnd: floatEnd };
}

module.exports = { buildRom, crc32mpeg2, ROM_SIZE, FLASH_WINDOW };
