// @lazy internal: deepEqual
// internal.deepEqual(a, b, strict): the comparison of Node's
// assert.deepStrictEqual / util.isDeepStrictEqual (strict) and assert.deepEqual
// (loose), shared by node:assert and node:util.
(function (internal, global) {
  "use strict";
  // Deep equality as assert.deepStrictEqual (strict) and assert.deepEqual
  // (loose: == for primitives, prototypes ignored) define it.
  const tag = (v) => Object.prototype.toString.call(v);
  const ownKeys = (o) => Reflect.ownKeys(o).filter((k) => Object.prototype.propertyIsEnumerable.call(o, k));
  function deepEqual(a, b, strict, memo = new Map()) {
    if (strict ? Object.is(a, b) : a === b || (a == b && (typeof a !== "object" || a === null) && (typeof b !== "object" || b === null))) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
      return !strict && typeof a !== "object" && typeof b !== "object" && Number.isNaN(a) && Number.isNaN(b);
    }
    if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (tag(a) !== tag(b)) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    // Cycles: a pair already being compared counts as equal.
    const seen = memo.get(a);
    if (seen?.has(b)) return true;
    if (seen) seen.add(b);
    else memo.set(a, new Set([b]));
  
    if (a instanceof Date) {
      if (a.getTime() !== b.getTime()) return false;
    } else if (a instanceof RegExp) {
      if (a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
    } else if (a instanceof Error) {
      if (a.message !== b.message || a.name !== b.name) return false;
    } else if (ArrayBuffer.isView(a)) {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (x.length !== y.length) return false;
      if (!(a instanceof Float32Array || a instanceof Float64Array) || strict) {
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
      } else {
        for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
      }
    } else if (a instanceof ArrayBuffer) {
      if (!deepEqual(new Uint8Array(a), new Uint8Array(b), strict, memo)) return false;
    } else if (a instanceof Number || a instanceof String || a instanceof Boolean || a instanceof BigInt || a instanceof Symbol) {
      if (!Object.is(a.valueOf(), b.valueOf())) return false;
    } else if (a instanceof WeakMap || a instanceof WeakSet || a instanceof Promise) {
      return a === b;
    }
    if (Array.isArray(a) && a.length !== b.length) return false;
    const ka = ownKeys(a), kb = ownKeys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
      if (!deepEqual(a[k], b[k], strict, memo)) return false;
    }
    if (a instanceof Set) {
      if (a.size !== b.size) return false;
      const rest = [];
      for (const x of a) {
        if (typeof x === "object" && x !== null) rest.push(x);
        else if (!b.has(x)) return false;
      }
      const candidates = [...b].filter((y) => typeof y === "object" && y !== null);
      for (const x of rest) {
        const i = candidates.findIndex((y) => deepEqual(x, y, strict, memo));
        if (i === -1) return false;
        candidates.splice(i, 1);
      }
    } else if (a instanceof Map) {
      if (a.size !== b.size) return false;
      const rest = [];
      for (const [k, v] of a) {
        if (typeof k === "object" && k !== null) rest.push([k, v]);
        else if (!b.has(k) || !deepEqual(v, b.get(k), strict, memo)) return false;
      }
      const candidates = [...b].filter(([k]) => typeof k === "object" && k !== null);
      for (const [k, v] of rest) {
        const i = candidates.findIndex(([k2, v2]) => deepEqual(k, k2, strict, memo) && deepEqual(v, v2, strict, memo));
        if (i === -1) return false;
        candidates.splice(i, 1);
      }
    }
    return true;
  }
  internal.deepEqual = (a, b, strict) => deepEqual(a, b, strict);
});
