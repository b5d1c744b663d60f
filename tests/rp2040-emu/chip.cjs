// Interim: boots at the vector table (replaced by the boot-ROM model).
'use strict';
const { Simulator } = require('rp2040js');
function createChip({ flash, onUartByte }) {
  const sim = new Simulator();
  const mcu = sim.rp2040;
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
    clock() { return { nanos: mcu.clock.nanos }; },
  };
}
module.exports = { createChip };
