// An RP2040 on a Pico, around rp2040js (Wokwi's model of the core and
// most peripherals): what rp2040js leaves out and the firmware's flash
// path needs, so that the image runs as it would on the board.
//
//   * A boot ROM at 0x00000000 (rom.cjs): reset runs the ROM's flash boot,
//     which loads boot2 from the flash and runs it, and the firmware finds
//     the ROM's functions (flash erase and program, memcpy, ...) through
//     its tables. Running the ROM anywhere but its functions' code (its
//     vectors, header, tables) is a failure: a bad branch or return got
//     the core there.
//   * The QSPI flash, a W25Q16JV (w25q.cjs), behind a model of the SSI
//     (ssi.cjs). Its bytes are the caller's and outlive resets.
//   * XIP: the flash window 0x10000000-0x13FFFFFF serves reads only while
//     the SSI and the flash are set up for them. From flash_exit_xip until
//     boot2 or flash_enter_cmd_xip sets XIP up again, and while the QSPI
//     chip select is forced (from flash_exit_xip to flash_flush_cache), an
//     instruction fetch or data read there is a failure naming the PC: on
//     the chip it would hang or read garbage. (The XIP cache itself is not
//     modelled: flash_flush_cache, which empties it, is also the only way
//     to release the chip select, so a stale line cannot be read here.) A
//     store to the flash window or the ROM fails too.
//   * The ring oscillator's RANDOMBIT (rosc.cjs), the firmware's entropy.
//   * Resets: a SYSRESETREQ write to AIRCR, a watchdog trigger, or
//     `reset()` (the RUN pin) stop the running rp2040js instance and boot
//     a fresh one from the same flash. A fresh instance is a harder reset
//     than SYSRESETREQ (which leaves, for one, the spinlocks as they
//     were): the firmware must not rely on such leftovers anyway.
//   * A BKPT or UDF outside the ROM is a HardFault, as on an M0+ without a
//     debugger (rp2040js would stop).
//   * SysTick and WFI as ARMv6-M defines them, and an account of the time
//     the core sleeps (sleep.cjs; `chip.power`): rp2040js leaves a core
//     asleep through a pending SysTick, which the kernel's tickless idle
//     relies on. RP2040_EMU_STOCK_SLEEP=1 keeps rp2040js's own model.
//
//   const chip = createChip({ flash, onUartByte, onReset, onFault });
//   chip.start();        // power on: onReset(mcu, 'power-on'), then runs
//   chip.reset('RUN');   // later: a fresh instance, onReset(mcu, 'RUN')
//
// `flash` is a Uint8Array of 2 MiB; `onReset(mcu, reason)` runs before
// each instance executes, to wire its peripherals (USB, ...);
// `onFault(message)` is told of a failure, after which the chip stops;
// `onError(message)` of what rp2040js itself reports as an error;
// `realTime`: a sleeping core's time keeps to the wall clock (sleep.cjs),
// for a board talking to real servers.
'use strict';

const { Simulator, RP2040 } = require('rp2040js');
const { W25Q16JV, FLASH_SIZE } = require('./w25q.cjs');
const { SSI } = require('./ssi.cjs');
const sleep = require('./sleep.cjs');
const { ROSC } = require('./rosc.cjs');
const { buildRom, ROM_SIZE, FLASH_WINDOW } = require('./rom.cjs');

const WINDOW_END = 0x14000000;
const AIRCR = 0xe000ed0c;
const AIRCR_VECTKEY = 0x05fa;
const AIRCR_SYSRESETREQ = 1 << 2;
const SSI_SLOT = 0x18000; // rp2040js's peripheral table index for 0x18000000
const ROSC_SLOT = 0x40060;
const WATCHDOG_SLOT = 0x40058;
const HARDFAULT = 3;
// rp2040js counts every cycle at 125 MHz.
const NANOS_PER_CYCLE = 8;

const hex = (n, digits = 8) => (n >>> 0).toString(16).padStart(digits, '0');

const ROM = buildRom();
const base = RP2040.prototype;

/**
 * `seed` fixes the ring oscillator's bits (each boot draws a new stream
 * from it); by default they differ from run to run, as on the chip.
 */
function createChip({
  flash,
  onUartByte = () => {},
  onReset = () => {},
  onFault,
  onError = (m) => console.error(m),
  seed,
  realTime = false,
} = {}) {
  let sim = null;
  let mcu = null;
  let power = null;
  let ssi = null;
  let boots = 0;
  let pendingReset = null;
  let csForced = false;
  let guarded = false;
  let failed = false;
  const lookups = new Map();
  let entropySeed = seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : seed >>> 0;
  const device = new W25Q16JV(flash, fault);

  // The first failure stops the chip and is reported; what follows from
  // it is not.
  function fault(message) {
    if (failed) return;
    failed = true;
    if (sim) sim.stop();
    const core = mcu && mcu.core;
    const where = core ? ` (LR 0x${hex(core.LR)}, SP 0x${hex(core.SP)}, VTOR 0x${hex(core.VTOR)}, IPSR ${core.IPSR}, r0-r3 ${[0, 1, 2, 3].map((i) => hex(core.registers[i])).join(' ')})` : '';
    if (onFault) onFault(message + where);
    else throw new Error(message + where);
  }

  // Why the flash window cannot be read now, or null.
  function xipProblem() {
    if (csForced) return 'the QSPI chip select is still forced by flash_exit_xip (flash_flush_cache releases it)';
    return ssi.xipProblem();
  }

  function checkFlashRead(address) {
    const problem = xipProblem();
    if (problem === null) return true;
    const pc = mcu.core.PC & ~1;
    const fetch = address === pc || address === pc + 2;
    const what = fetch
      ? `instruction fetch at PC 0x${hex(address)}`
      : `data read of 0x${hex(address)} by the instruction at PC 0x${hex(pc - 2)}`;
    fault(`${what} while XIP is off: ${problem}`);
    return false;
  }

  // An instruction fetch from the ROM outside its code (the vectors, the
  // header, the tables, the data) is a failure naming the address: the
  // core got there through a bad branch or return, such as a return
  // address a stack overflow or a stray write replaced (on the chip it
  // would run whatever those bytes decode to, and fail later and
  // elsewhere). rp2040js reads the ROM a word at a time whatever the
  // width, and fetches at the PC before it moves on.
  let fetchChecked = false;
  function romRead32(address) {
    const a = address >>> 0;
    if (a < ROM_SIZE && (a < ROM.codeStart || a >= ROM.codeEnd) && fetchChecked && a === (mcu.core.PC & ~3)) {
      const what = a < 0x20 ? 'vector table and header' : a < ROM.codeStart ? 'function and data tables' : 'data';
      fault(`instruction fetch at 0x${hex(mcu.core.PC & ~1)}, in the boot ROM's ${what}, which is not code: a branch or return to a bad address (a return address overwritten on the stack?)`);
      return 0xbf00bf00; // NOPs, for what is left of the instruction
    }
    return base.readUint32.call(this, address);
  }
  const plainReads = { readUint8: base.readUint8, readUint16: base.readUint16, readUint32: romRead32 };
  // The reads of the flash window are checked only while XIP is down:
  // rp2040js's own reads otherwise, at full speed.
  function guardedRead(name) {
    const read = plainReads[name];
    return function (address) {
      const a = address >>> 0;
      if (a >= FLASH_WINDOW && a < WINDOW_END && !checkFlashRead(a)) return 0;
      return read.call(this, address);
    };
  }
  const guardedReads = {
    readUint8: guardedRead('readUint8'),
    readUint16: guardedRead('readUint16'),
    readUint32: guardedRead('readUint32'),
  };
  function setReads() {
    for (const [name, fn] of Object.entries(guarded ? guardedReads : plainReads)) {
      if (fn === base[name]) delete mcu[name];
      else mcu[name] = fn;
    }
  }
  function updateGuard() {
    const want = xipProblem() !== null;
    if (want === guarded) return;
    guarded = want;
    setReads();
  }

  function writeUint32(address, value) {
    const a = address >>> 0;
    if (a < ROM_SIZE || (a >= FLASH_WINDOW && a < WINDOW_END)) {
      fault(`store of 0x${hex(value)} to 0x${hex(a)} (${a < ROM_SIZE ? 'the boot ROM' : 'the flash window'}) by the instruction at PC 0x${hex((mcu.core.PC & ~1) - 2)}`);
      return;
    }
    if (a === AIRCR && value >>> 16 === AIRCR_VECTKEY && value & AIRCR_SYSRESETREQ) {
      resetSoon('SYSRESETREQ');
      return;
    }
    base.writeUint32.call(this, address, value);
  }

  // What the ROM's routines work with.
  const rom = {
    get core() { return mcu.core; },
    get mcu() { return mcu; },
    /** This boot's account of time asleep (sleep.cjs `attach`). */
    get power() { return power; },
    get ssi() { return ssi; },
    flash: device,
    fault,
    wait(nanos) { if (nanos > 0) sim.clock.tick(nanos); },
    setCsForced(forced) { csForced = forced; },
    checkRead(address, n) {
      if (n === 0 || address >= WINDOW_END || address + n <= FLASH_WINDOW) return true;
      return checkFlashRead(Math.max(address, FLASH_WINDOW));
    },
    noteLookup(code) { lookups.set(code, (lookups.get(code) || 0) + 1); },
  };

  function onBreak(n) {
    const core = mcu.core;
    // rp2040js has moved the PC past the (16-bit) BKPT or UDF.
    const at = (core.PC - 2) >>> 0;
    if (at < ROM_SIZE && n < ROM.routines.length) {
      const cycles = ROM.routines[n].run(rom);
      if (cycles > 0) sim.clock.tick(cycles * NANOS_PER_CYCLE);
      updateGuard();
      return;
    }
    core.PC = at;
    core.exceptionEntry(HARDFAULT);
  }

  function boot(reason) {
    if (sim) sim.stop();
    clearImmediate(pendingReset);
    pendingReset = null;
    failed = false;
    boots += 1;
    sim = new Simulator();
    mcu = sim.rp2040;
    mcu.logger = { debug() {}, info() {}, warn() {}, error: (c, m) => onError(`rp2040js: ${c}: ${m}`) };
    // The caller's flash in place of rp2040js's 16 MiB array (which its
    // `reset()` would wipe: never called here).
    mcu.flash = flash;
    mcu.flash16 = new Uint16Array(flash.buffer, flash.byteOffset, FLASH_SIZE / 2);
    mcu.flashView = new DataView(flash.buffer, flash.byteOffset, FLASH_SIZE);
    mcu.bootrom.set(new Uint32Array(ROM.image.buffer));
    device.attach(() => sim.clock.nanos);
    ssi = new SSI(mcu, device, fault, updateGuard);
    mcu.peripherals[SSI_SLOT] = ssi;
    entropySeed = (Math.imul(entropySeed ^ boots, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
    mcu.peripherals[ROSC_SLOT] = new ROSC(mcu, entropySeed);
    mcu.peripherals[WATCHDOG_SLOT].onWatchdogTrigger = () => resetSoon('watchdog');
    power = sleep.attach(sim, { model: process.env.RP2040_EMU_STOCK_SLEEP !== '1', realTime });
    mcu.writeUint32 = writeUint32;
    mcu.onBreak = onBreak;
    mcu.uart[0].onByte = onUartByte;
    csForced = false;
    guarded = xipProblem() !== null;
    setReads();
    // The core's reset reads the ROM's vectors with the PC still at 0.
    fetchChecked = false;
    mcu.core.reset();
    fetchChecked = true;
    onReset(mcu, reason);
    sim.execute();
  }

  // From inside an instruction: the instance stops now, the new one boots
  // once the current slice of execution has unwound.
  function resetSoon(reason) {
    sim.stop();
    pendingReset = setImmediate(() => boot(reason));
  }

  return {
    get sim() { return sim; },
    get mcu() { return mcu; },
    /** This boot's account of time asleep (sleep.cjs `attach`). */
    get power() { return power; },
    /** The flash model (its `bytes` are the caller's array). */
    flash: device,
    /** ROM codes the image looked up, as 'XY' -> how many times. */
    get romLookups() {
      return new Map([...lookups].map(([c, n]) => [String.fromCharCode(c & 0xff, c >> 8), n]));
    },
    /** How many times the chip has booted. */
    get boots() { return boots; },
    start() { boot('power-on'); },
    reset(reason = 'RUN pin') { boot(reason); },
    stop() {
      clearImmediate(pendingReset);
      pendingReset = null;
      if (sim) sim.stop();
    },
  };
}

/**
 * A Pico's flash fresh from the boot drive: erased (0xFF), with the blocks
 * of the UF2 file at `path` written in, as the ROM's USB drive writes them.
 * Throws if a block lies outside the 2 MiB.
 */
function flashFromUf2(path) {
  const flash = new Uint8Array(FLASH_SIZE).fill(0xff);
  const uf2 = require('fs').readFileSync(path);
  for (let off = 0; off + 512 <= uf2.length; off += 512) {
    const addr = uf2.readUInt32LE(off + 12);
    const len = uf2.readUInt32LE(off + 16);
    if (addr < FLASH_WINDOW || addr + len > FLASH_WINDOW + FLASH_SIZE) {
      throw new Error(`${path}: a UF2 block at 0x${addr.toString(16)} is outside the 2 MiB flash`);
    }
    flash.set(uf2.subarray(off + 32, off + 32 + len), addr - FLASH_WINDOW);
  }
  return flash;
}

module.exports = { createChip, flashFromUf2, FLASH_SIZE };
