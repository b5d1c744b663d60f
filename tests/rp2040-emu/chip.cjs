// Interim: boots at the vector table (replaced by the boot-ROM model).
'use strict';
const { Simulator } = require('rp2040js');
const sleep = require('./sleep.cjs');
function createChip({ flash, onUartByte }) {
  const sim = new Simulator();
  const mcu = sim.rp2040;
  const power = sleep.attach(sim);
  mcu.logger = { debug() {}, info() {}, warn() {}, error() {} };
  mcu.flash.set(flash, 0);
  mcu.uart[0].onByte = onUartByte;
  mcu.core.VTOR = 0x10000100;
  mcu.core.SP = mcu.flashView.getUint32(0x100, true);
  mcu.core.PC = mcu.flashView.getUint32(0x104, true) & ~1;
  return {
    mcu,
    start() { sim.execute(); },
    stop() { sim.stop(); },
    clock() { const s = power.snapshot(); return { nanos: s.nanos, asleep: s.asleepNanos }; },
  };
}
module.exports = { createChip };
