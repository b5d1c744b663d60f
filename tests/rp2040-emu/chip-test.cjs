// Checks of the chip model itself (chip.cjs), on programs of a few Thumb
// instructions run from SRAM: what the ROM's flash routines do to the
// flash, and each mistake the model must report rather than let pass,
// the ones the firmware's flash path exists to avoid. The firmware run
// (host.cjs) shows the right sequence works; this shows the wrong ones
// fail.
//
//   node chip-test.cjs
//
// Exits 0 when every case behaved, 1 otherwise.
'use strict';

const { createChip, FLASH_SIZE } = require('./chip.cjs');
const { buildRom, crc32mpeg2 } = require('./rom.cjs');

const SRAM = 0x20000000;
const PROGRAM = SRAM + 0x100;
const DATA = SRAM + 0x1000;
const FLASH = 0x10000000;
const AIRCR = 0xe000ed0c;
const TIMERAWL = 0x40054028;

// Thumb encodings, enough for "load the arguments, call, repeat".
const T = {
  ldrLit: (rt, imm8) => 0x4800 | (rt << 8) | imm8,
  ldr: (rt, rn) => 0x6800 | (rn << 3) | rt,
  str: (rt, rn) => 0x6000 | (rn << 3) | rt,
  blx: (rm) => 0x4780 | (rm << 3),
  bx: (rm) => 0x4700 | (rm << 3),
  cpsid: 0xb672,
  bSelf: 0xe7fe,
  nop: 0xbf00,
};

// A routine's address, through the ROM's own tables, as firmware finds it.
const rom = buildRom().image;
const view = new DataView(rom.buffer);
function romFunction(code) {
  const want = code.charCodeAt(0) | (code.charCodeAt(1) << 8);
  for (let at = view.getUint16(0x14, true); view.getUint16(at, true); at += 4) {
    if (view.getUint16(at, true) === want) return view.getUint16(at + 2, true);
  }
  throw new Error(`no ROM function ${code}`);
}

// Assembles steps: ['call', code, ...args] calls a ROM function,
// ['load', address, register = 5] reads a word, ['store', address, value]
// writes one, ['jump', address] branches there. Ends in `b .` at `halt`.
function assemble(steps) {
  const code = [];
  const literals = [];
  const fixups = [];
  const literal = (rt, value) => {
    fixups.push({ at: code.length, rt });
    literals.push(value >>> 0);
    code.push(0);
  };
  for (const [kind, a, ...args] of steps) {
    if (kind === 'call') {
      args.forEach((v, i) => literal(i, v));
      literal(4, romFunction(a));
      code.push(T.blx(4));
    } else if (kind === 'load') {
      const rt = args[0] === undefined ? 5 : args[0];
      literal(rt, a);
      code.push(T.ldr(rt, rt));
    } else if (kind === 'store') {
      literal(5, a);
      literal(6, args[0]);
      code.push(T.str(6, 5));
    } else if (kind === 'jump') {
      literal(5, a | 1);
      code.push(T.bx(5));
    }
  }
  const halt = PROGRAM + code.length * 2;
  code.push(T.bSelf);
  if (code.length % 2) code.push(T.nop);
  const pool = PROGRAM + code.length * 2;
  fixups.forEach(({ at, rt }, i) => {
    const pc = (PROGRAM + at * 2 + 4) & ~3;
    code[at] = T.ldrLit(rt, (pool + 4 * i - pc) / 4);
  });
  const bytes = Buffer.alloc(code.length * 2 + literals.length * 4);
  code.forEach((h, i) => bytes.writeUInt16LE(h, 2 * i));
  literals.forEach((w, i) => bytes.writeUInt32LE(w, code.length * 2 + 4 * i));
  return { bytes, halt };
}

// boot2 that goes straight to the program (with its CRC, or not).
function blankFlash({ goodCrc = true } = {}) {
  const flash = new Uint8Array(FLASH_SIZE).fill(0xff);
  const boot2 = Buffer.alloc(256);
  boot2.writeUInt16LE(T.ldrLit(0, 0), 0);
  boot2.writeUInt16LE(T.bx(0), 2);
  boot2.writeUInt32LE(PROGRAM | 1, 4);
  boot2.writeUInt32LE(crc32mpeg2(boot2.subarray(0, 252)) ^ (goodCrc ? 0 : 1), 252);
  flash.set(boot2);
  return flash;
}

// Boots `flash` with `steps` in SRAM: the faults, the resets, and the
// chip once the program halted on its `expectBoots`th boot (or the time
// ran out).
async function run(flash, steps, { data = null, limitMs = 2000, expectBoots = 1 } = {}) {
  const { bytes, halt } = assemble(steps);
  const faults = [];
  const boots = [];
  const chip = createChip({
    flash,
    seed: 1,
    onFault: (m) => faults.push(m),
    onReset(mcu, reason) {
      boots.push(reason);
      if (boots.length > 1) {
        mcu.sram.set([0xfe, 0xe7], PROGRAM - SRAM); // after a reset: `b .`
        return;
      }
      mcu.sram.set(bytes, PROGRAM - SRAM);
      if (data) mcu.sram.set(data, DATA - SRAM);
    },
  });
  chip.start();
  const until = Date.now() + limitMs;
  const done = () => boots.length === expectBoots && chip.mcu.core.PC === (expectBoots > 1 ? PROGRAM : halt);
  while (!faults.length && !done() && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
  }
  chip.stop();
  return { faults, boots, halted: done(), chip };
}

let failed = false;
function check(ok, what) {
  console.log(`[chip-test] ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
}
const faulted = (r, pattern) => r.faults.length === 1 && pattern.test(r.faults[0]);

const WRITE = [['call', 'IF'], ['call', 'EX']];
const RESTORE = [['call', 'FC'], ['call', 'CX']];

async function main() {
  const page = Uint8Array.from({ length: 256 }, (_, i) => i);

  let r = await run(blankFlash({ goodCrc: false }), []);
  check(faulted(r, /boot2 .* fails its CRC/), `a bad boot2 CRC is reported: ${r.faults[0]}`);

  // The right sequence: erase, program twice (NOR: bits only clear), read back.
  const flash = blankFlash();
  flash.fill(0x00, 0x1000, 0x2000);
  r = await run(flash, [['load', TIMERAWL, 7], ...WRITE,
    ['call', 'RE', 0x1000, 0x1000, 0, 0],
    ['call', 'RP', 0x1000, DATA, 256],
    ['call', 'RP', 0x1000, DATA + 1, 256],
    ...RESTORE, ['load', FLASH + 0x1000], ['load', TIMERAWL, 6]], { data: Uint8Array.from({ length: 512 }, (_, i) => i & 0xff) });
  const regs = r.chip.mcu.core.registers;
  const tookMs = (regs[6] - regs[7]) / 1000;
  const expect = page.map((b) => b & ((b + 1) & 0xff));
  check(r.halted && !r.faults.length, `erase, program, program again, restore XIP, read: ${r.faults[0] || 'no fault'}`);
  check(Buffer.from(flash.subarray(0x1000, 0x1100)).equals(Buffer.from(expect)) && flash.subarray(0x1100, 0x2000).every((b) => b === 0xff),
    'erase sets the sector to 0xFF, programming ANDs bits in');
  check(tookMs >= 45.8 && tookMs < 47, `the core stalls for the sector erase and two page programs: ${tookMs.toFixed(3)} ms on the chip's timer`);
  check(regs[5] === Buffer.from(expect).readUInt32LE(0), 'the written bytes read back through XIP once it is restored');

  r = await run(blankFlash(), [...WRITE, ['load', FLASH + 0x1000]]);
  check(faulted(r, /data read of 0x10001000 .* while XIP is off/), `a data read from flash with XIP off: ${r.faults[0]}`);

  r = await run(blankFlash(), [...WRITE, ['jump', FLASH + 0x2000]]);
  check(faulted(r, /instruction fetch at PC 0x10002000 while XIP is off/), `code run from flash with XIP off: ${r.faults[0]}`);

  r = await run(blankFlash(), [...WRITE, ['call', 'RE', 0x1000, 0x1000, 0, 0], ['call', 'CX'], ['load', FLASH + 0x1000]]);
  check(faulted(r, /chip select is still forced/), `XIP restored without flash_flush_cache: ${r.faults[0]}`);

  r = await run(blankFlash(), [['call', 'RE', 0x1000, 0x1000, 0, 0]]);
  check(faulted(r, /flash_exit_xip must come first/), `erase without leaving XIP: ${r.faults[0]}`);

  r = await run(blankFlash(), [...WRITE, ['call', 'RE', 0x1100, 0x1000, 0, 0]]);
  check(faulted(r, /4 KiB-aligned/), `a misaligned erase: ${r.faults[0]}`);

  r = await run(blankFlash(), [...WRITE, ['call', 'RP', FLASH_SIZE - 256, DATA, 512]]);
  check(faulted(r, /inside the 2 MiB flash/), `a program past the end of the flash: ${r.faults[0]}`);

  r = await run(blankFlash(), [...WRITE, ['call', 'RP', 0x1000, FLASH + 0x3000, 256]]);
  check(faulted(r, /data at 0x10003000 is in the flash/), `programming from the flash itself: ${r.faults[0]}`);

  r = await run(blankFlash(), [['store', FLASH + 0x1000, 0]]);
  check(faulted(r, /store .*\(the flash window\)/), `a store to the flash window: ${r.faults[0]}`);

  // The core running the ROM's vectors, header or tables, as after a return
  // to an address a stack overflow replaced with 0 (the firmware's init
  // task once did, in __aeabi_memclr: the fault then came 8 instructions
  // later, from a store the header's bytes decode to).
  r = await run(blankFlash(), [['jump', 0]]);
  check(faulted(r, /instruction fetch at 0x00000000, in the boot ROM's vector table and header/), `a jump to address 0: ${r.faults[0]}`);
  r = await run(blankFlash(), [['jump', view.getUint16(0x14, true)]]);
  check(faulted(r, /in the boot ROM's function and data tables/), `a jump into the ROM's tables: ${r.faults[0]}`);
  r = await run(blankFlash(), [['load', 0x10], ['call', 'MS', DATA, 0, 16]]);
  check(r.halted && !r.faults.length && r.chip.mcu.core.registers[5] === 0x0301754d,
    `the ROM's header reads as data, its functions run: ${r.faults[0] || 'no fault'}`);

  // A reset keeps the flash: SYSRESETREQ after a write boots again.
  const kept = blankFlash();
  r = await run(kept, [...WRITE, ['call', 'RE', 0x1000, 0x1000, 0, 0], ['call', 'RP', 0x1000, DATA, 256], ...RESTORE,
    ['store', AIRCR, (0x05fa << 16) | 4]], { data: page, expectBoots: 2 });
  check(r.halted && !r.faults.length && r.boots.join(',') === 'power-on,SYSRESETREQ' && kept[0x10ff] === 0xff && kept[0x1001] === 1,
    `SYSRESETREQ boots a fresh chip on the same flash: boots ${r.boots.join(', ')}`);

  console.log(`[chip-test] ${failed ? 'failed' : 'passed'}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
