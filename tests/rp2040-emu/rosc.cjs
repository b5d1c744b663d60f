// The RP2040's ring oscillator (RP2040 datasheet §2.17), which rp2040js
// leaves unimplemented: enough of it for RANDOMBIT, the jittery sample of
// the free-running oscillator the firmware draws its entropy from
// (port/rp2040/entropy.rs). The bits come from a seeded generator, so a
// run can be repeated; the oscillator runs unless CTRL disables it, as at
// power-on.
'use strict';

const { BasePeripheral } = require('rp2040js');

const CTRL = 0x00;
const STATUS = 0x18;
const RANDOMBIT = 0x1c;
const CTRL_ENABLE_DISABLE = 0xd1e;
const STATUS_STABLE = 1 << 31;
const STATUS_ENABLED = 1 << 12;

class ROSC extends BasePeripheral {
  constructor(rp2040, seed) {
    super(rp2040, 'ROSC');
    this.regs = new Map([[CTRL, 0x00000aa0]]);
    // xorshift32: a fixed stream per seed.
    this.state = (seed >>> 0) || 0x9e3779b9;
  }

  get running() {
    return ((this.regs.get(CTRL) >> 12) & 0xfff) !== CTRL_ENABLE_DISABLE;
  }

  readUint32(offset) {
    switch (offset) {
      case STATUS:
        return this.running ? (STATUS_STABLE | STATUS_ENABLED) >>> 0 : 0;
      case RANDOMBIT:
        return this.running ? this.nextBit() : 0;
      default:
        return this.regs.get(offset) || 0;
    }
  }

  writeUint32(offset, value) {
    this.regs.set(offset, value >>> 0);
  }

  nextBit() {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state >>> 31;
  }
}

module.exports = { ROSC };
