// Checks sleep.cjs's SysTick and WFI against the ARMv6-M behaviour it
// models (see the notes at the top of sleep.cjs), on a bare rp2040js
// instance with a few instructions in SRAM; no firmware needed.
//
//   node sleep-check.cjs          (exits 1 if a check fails)
//   node sleep-check.cjs --stock  (the same checks against rp2040js's own model)
'use strict';
const { Simulator } = require('rp2040js');
const sleep = require('./sleep.cjs');

const stock = process.argv.includes('--stock');
let failed = false;
function check(ok, what) {
  console.log(`[sleep-check] ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
}

const CSR = 0xe000e010;
const RVR = 0xe000e014;
const CVR = 0xe000e018;
const SHPR3 = 0xe000ed20;
const CYCLE = 8; // ns at 125 MHz

function board() {
  const sim = new Simulator();
  const mcu = sim.rp2040;
  mcu.logger = { debug() {}, info() {}, warn() {}, error() {} };
  const power = sleep.attach(sim, { model: !stock });
  return { sim, mcu, power };
}

// The counter alone: period RVR + 1, CVR writes, COUNTFLAG.
{
  const { mcu } = board();
  const { core, clock } = mcu;
  mcu.writeUint32(RVR, 999);
  mcu.writeUint32(CVR, 0);
  mcu.writeUint32(CSR, 0b111);
  clock.tick(CYCLE);
  check(!core.pendingSystick && !(mcu.readUint32(CSR) & 0x10000),
    'a write to CVR, then ENABLE: no count to zero, no SysTick pended');
  check(mcu.readUint32(CVR) === 999, `one clock after ENABLE from CVR 0, CVR reloads RVR (999): ${mcu.readUint32(CVR)}`);
  clock.tick(10 * CYCLE);
  check(mcu.readUint32(CVR) === 989, `ten clocks later, CVR 989: ${mcu.readUint32(CVR)}`);
  clock.tick(988 * CYCLE);
  check(!core.pendingSystick && mcu.readUint32(CVR) === 1, 'after RVR clocks: CVR 1, nothing pended yet');
  clock.tick(CYCLE);
  check(core.pendingSystick, 'the 1 -> 0 transition, RVR + 1 clocks after the reload, pends SysTick');
  check((mcu.readUint32(CSR) & 0x10000) !== 0, 'and sets COUNTFLAG');
  check((mcu.readUint32(CSR) & 0x10000) === 0, 'reading CSR cleared COUNTFLAG');
  core.pendingSystick = false;
  clock.tick(1000 * CYCLE);
  check(core.pendingSystick, 'the next period is RVR + 1 clocks too');
  mcu.writeUint32(CVR, 12345);
  check((mcu.readUint32(CSR) & 0x10000) === 0 && mcu.readUint32(CVR) === 0,
    'a write to CVR clears it and COUNTFLAG, whatever is written');
}

// WFI with PRIMASK set, as an RTOS enters tickless sleep: the SysTick
// ends the sleep; the handler runs only once PRIMASK is cleared.
{
  const { sim, mcu, power } = board();
  const { core } = mcu;
  const code = 0x20000000;
  const handler = 0x20000100;
  const vectors = 0x20001000;
  // cpsid i; wfi; b .      handler: b .
  [0xb672, 0xbf30, 0xe7fe].forEach((op, i) => mcu.sramView.setUint16(i * 2, op, true));
  mcu.sramView.setUint16(handler - code, 0xe7fe, true);
  mcu.sramView.setUint32(vectors - code + 15 * 4, handler | 1, true);
  core.VTOR = vectors;
  core.SP = 0x20002000;
  core.PC = code;
  mcu.writeUint32(SHPR3, 0xc0c00000);
  mcu.writeUint32(RVR, 124999);
  mcu.writeUint32(CVR, 0);
  mcu.writeUint32(CSR, 0b111);
  const before = power.snapshot();
  const slice = () => { sim.execute(); sim.stop(); };
  slice();
  check(core.waiting && power.since(before).wfi === 1, 'cpsid i; wfi: the core sleeps');
  for (let i = 0; i < 4 && core.waiting; i++) slice();
  const d = power.since(before);
  check(!core.waiting && core.PC === code + 4 && core.IPSR === 0 && core.pendingSystick,
    `WFI with PRIMASK set ends at the SysTick, which stays pending (PC 0x${core.PC.toString(16)}, IPSR ${core.IPSR})`);
  check(d.wfi === 1 && d.asleepNanos <= 1e6 && d.asleepNanos >= 1e6 - 4 * CYCLE,
    `the meter: 1 WFI, ${(d.asleepNanos / 1e3).toFixed(3)} us asleep (the 1 ms period less 3 cycles of cpsid and wfi)`);
  core.PM = false;
  core.interruptsUpdated = true;
  slice();
  check(core.IPSR === 15 && (core.PC & ~1) === handler,
    `PRIMASK cleared: the SysTick handler runs (IPSR ${core.IPSR}, PC 0x${core.PC.toString(16)})`);
  check(power.since(before).sysTicks === 1, 'the meter counted one SysTick exception');
}

// The same with an interrupt line (USB's, IRQ 5) raised while the core
// sleeps: it ends the WFI and waits for PRIMASK to clear.
{
  const { sim, mcu } = board();
  const { core } = mcu;
  [0xb672, 0xbf30, 0xe7fe].forEach((op, i) => mcu.sramView.setUint16(i * 2, op, true));
  core.SP = 0x20002000;
  core.PC = 0x20000000;
  mcu.writeUint32(0xe000e100, 1 << 5); // NVIC_ISER
  sim.execute();
  sim.stop();
  core.setInterrupt(5, true);
  check(!core.waiting && core.IPSR === 0 && core.PC === 0x20000004,
    `an IRQ raised during WFI with PRIMASK set ends the sleep without entering its handler (IPSR ${core.IPSR})`);
}

process.exit(failed ? 1 : 0);
