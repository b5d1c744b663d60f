// The boot ROM's floating-point tables ('SF' single, 'SD' double: RP2040
// datasheet §2.8.3.2), as this model provides them: each entry is a
// function of the caller's registers (the AAPCS soft-float convention:
// a float in one register, a double or a 64-bit integer in a pair, low
// word first) that writes its result back to r0 (and r1).
//
// Behaviour follows the datasheet's descriptions, not a C library's:
// no denormals (inputs and results flush to signed zero), conversions to
// integers round towards -infinity and clamp, sqrt and ln of a negative
// give -infinity, the trigonometric functions take only the documented
// range. What the datasheet leaves undefined (NaN into a comparison or a
// conversion, angles out of range) fails loudly instead of guessing.
// Results are correctly rounded, where the ROM's scientific functions
// are a few ULP off: nothing here depends on that.
//
// The cycle counts are estimates of the ROM's, so that a program that
// calls these spends roughly the simulated time it would on the chip.
'use strict';

const scratch = new DataView(new ArrayBuffer(8));
const f32 = (bits) => (scratch.setUint32(0, bits, true), scratch.getFloat32(0, true));
const bits32 = (x) => (scratch.setFloat32(0, x, true), scratch.getUint32(0, true));
const f64 = (lo, hi) => (scratch.setUint32(0, lo, true), scratch.setUint32(4, hi, true), scratch.getFloat64(0, true));
function set64(r, x) {
  scratch.setFloat64(0, x, true);
  r[0] = scratch.getUint32(0, true);
  r[1] = scratch.getUint32(4, true);
}
const i64 = (lo, hi) => BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
const u64 = (lo, hi) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
function setInt64(r, v) {
  const u = BigInt.asUintN(64, v);
  r[0] = Number(u & 0xffffffffn);
  r[1] = Number(u >> 32n);
}

const MIN_NORMAL_32 = 2 ** -126;
const MIN_NORMAL_64 = 2 ** -1022;
const ftz32 = (x) => (x !== 0 && Math.abs(x) < MIN_NORMAL_32 ? (x < 0 ? -0 : 0) : x);
const ftz64 = (x) => (x !== 0 && Math.abs(x) < MIN_NORMAL_64 ? (x < 0 ? -0 : 0) : x);
const round32 = (x) => ftz32(Math.fround(x));

// A 64-bit integer (or fixed-point value) to the nearest float: through
// 53 bits with a sticky bit, so that the second rounding cannot go wrong.
function bigToFloat32(v, n = 0) {
  const negative = v < 0n;
  let m = negative ? -v : v;
  let scale = -n;
  const bits = m.toString(2).length;
  if (bits > 53) {
    const drop = BigInt(bits - 53);
    const sticky = (m & ((1n << drop) - 1n)) !== 0n ? 1n : 0n;
    m = (m >> drop) | sticky;
    scale += bits - 53;
  }
  const x = Math.fround(Number(m) * 2 ** scale);
  return ftz32(negative ? -x : x);
}

function clamp(x, lo, hi) {
  return x < lo ? lo : x > hi ? hi : x;
}
function clampBig(x, lo, hi) {
  return x < lo ? lo : x > hi ? hi : x;
}
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

// Floor of `x * 2^n` as a BigInt, for the 64-bit conversions.
function floorBig(x, n) {
  const y = Math.floor(x * 2 ** n);
  return Number.isFinite(y) ? BigInt(y) : y > 0 ? U64_MAX * 2n : -U64_MAX * 2n;
}

/**
 * The entries: [offset, name, estimated cycles, run(registers, fail)], or
 * [offset, null] for a slot the datasheet marks deprecated.
 */
function table(kind) {
  const single = kind === 'float';
  const arg = single ? (r, i) => f32(r[i]) : (r, i) => f64(r[2 * i], r[2 * i + 1]);
  const nArg = single ? 1 : 2; // the register after the first argument
  const put = single ? (r, x) => { r[0] = bits32(round32(x)); } : (r, x) => set64(r, ftz64(x));
  const flush = single ? ftz32 : ftz64;
  const trigRange = single ? 128 : 1024;
  const c = single ? 1 : 2; // doubles cost about twice as much
  const defined = (x, what, fail) => {
    if (Number.isNaN(x)) fail(`${kind} ${what} of NaN: undefined in the ROM's documentation`);
    return x;
  };
  const arith = (name, op, cycles) => [name, cycles * c, (r) => put(r, op(flush(arg(r, 0)), flush(arg(r, 1))))];
  const unary = (name, op, cycles) => [name, cycles * c, (r, fail) => put(r, op(flush(arg(r, 0)), fail))];
  const trig = (name, op) => unary(name, (x, fail) => {
    if (!(Math.abs(x) < trigRange)) fail(`${kind} ${name} of ${x}: outside the ROM's range (-${trigRange}, ${trigRange})`);
    return op(x);
  }, 600);
  const toInt = (name, signed, withN) => [name, 20 * c, (r, fail) => {
    const n = withN ? r[nArg] | 0 : 0;
    const x = defined(arg(r, 0), name, fail);
    const y = Math.floor(x * 2 ** n);
    r[0] = signed ? clamp(y, -(2 ** 31), 2 ** 31 - 1) | 0 : clamp(y, 0, 2 ** 32 - 1) >>> 0;
  }];
  const toInt64 = (name, signed, withN) => [name, 40 * c, (r, fail) => {
    const n = withN ? r[nArg] | 0 : 0;
    const y = floorBig(defined(arg(r, 0), name, fail), n);
    setInt64(r, signed ? clampBig(y, I64_MIN, I64_MAX) : clampBig(y, 0n, U64_MAX));
  }];
  const fromInt = (name, signed, withN) => [name, 20 * c, (r) => {
    const v = signed ? r[0] | 0 : r[0] >>> 0;
    const n = withN ? r[1] | 0 : 0;
    put(r, v * 2 ** -n);
  }];
  const fromInt64 = (name, signed, withN) => [name, 40 * c, (r) => {
    const v = signed ? i64(r[0], r[1]) : u64(r[0], r[1]);
    const n = withN ? r[2] | 0 : 0;
    if (single) r[0] = bits32(bigToFloat32(v, n));
    else set64(r, ftz64(Number(v) * 2 ** -n));
  }];
  const entries = [
    [0x00, ...arith(single ? 'fadd' : 'dadd', (a, b) => a + b, 70)],
    [0x04, ...arith(single ? 'fsub' : 'dsub', (a, b) => a - b, 70)],
    [0x08, ...arith(single ? 'fmul' : 'dmul', (a, b) => a * b, 60)],
    [0x0c, ...arith(single ? 'fdiv' : 'ddiv', (a, b) => a / b, 80)],
    [0x10, null],
    [0x14, null],
    [0x18, ...unary(single ? 'fsqrt' : 'dsqrt', (x) => (x < 0 ? -Infinity : Math.sqrt(x)), 100)],
    [0x1c, ...toInt(`${kind}_to_int`, true, false)],
    [0x20, ...toInt(`${kind}_to_fix`, true, true)],
    [0x24, ...toInt(`${kind}_to_uint`, false, false)],
    [0x28, ...toInt(`${kind}_to_ufix`, false, true)],
    [0x2c, ...fromInt(`int_to_${kind}`, true, false)],
    [0x30, ...fromInt(`fix_to_${kind}`, true, true)],
    [0x34, ...fromInt(`uint_to_${kind}`, false, false)],
    [0x38, ...fromInt(`ufix_to_${kind}`, false, true)],
    [0x3c, ...trig(single ? 'fcos' : 'dcos', Math.cos)],
    [0x40, ...trig(single ? 'fsin' : 'dsin', Math.sin)],
    [0x44, ...trig(single ? 'ftan' : 'dtan', Math.tan)],
    [0x48, null],
    [0x4c, ...unary(single ? 'fexp' : 'dexp', Math.exp, 500)],
    [0x50, ...unary(single ? 'fln' : 'dln', (x) => (x <= 0 ? -Infinity : Math.log(x)), 500)],
    [0x54, single ? 'fcmp' : 'dcmp', 20 * c, (r, fail) => {
      const a = defined(flush(arg(r, 0)), 'comparison', fail);
      const b = defined(flush(arg(r, 1)), 'comparison', fail);
      r[0] = a === b ? 0 : a < b ? -1 >>> 0 : 1;
    }],
    [0x58, ...arith(single ? 'fatan2' : 'datan2', (y, x) => Math.atan2(y, x), 600)],
    [0x5c, ...fromInt64(`int64_to_${kind}`, true, false)],
    [0x60, ...fromInt64(`fix64_to_${kind}`, true, true)],
    [0x64, ...fromInt64(`uint64_to_${kind}`, false, false)],
    [0x68, ...fromInt64(`ufix64_to_${kind}`, false, true)],
    [0x6c, ...toInt64(`${kind}_to_int64`, true, false)],
    [0x70, ...toInt64(`${kind}_to_fix64`, true, true)],
    [0x74, ...toInt64(`${kind}_to_uint64`, false, false)],
    [0x78, ...toInt64(`${kind}_to_ufix64`, false, true)],
    single
      ? [0x7c, 'float_to_double', 20, (r) => set64(r, ftz32(f32(r[0])))]
      : [0x7c, 'double_to_float', 25, (r) => { r[0] = bits32(round32(ftz64(f64(r[0], r[1])))); }],
  ];
  return entries;
}

module.exports = { FLOAT_TABLE: table('float'), DOUBLE_TABLE: table('double') };
