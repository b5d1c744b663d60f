// @lazy globals: Buffer; internal: Buffer
// Node's Buffer (https://nodejs.org/api/buffer.html), a Uint8Array subclass, for
// the global `Buffer` and `node:buffer` (which re-exports it). The byte paths
// (encodings other than UTF-8, search) are Rust natives (src/js/natives/buffer.rs).
// Departures: `Buffer(x)` without `new` throws (a class); there is no pool, so
// allocUnsafe returns zeroed memory; `transcode` and `Buffer.prototype.parent`
// are absent.
(function (internal, global) {
  "use strict";
  const N = internal.natives;
  const B = N.load("buffer");
  const K_MAX_LENGTH = 2 ** 31 - 1;

  const nodeError = internal.nodeError;
  const describe = (v) =>
    v === null ? "null" : typeof v === "object" ? "an instance of " + (v.constructor?.name ?? "Object") : "type " + typeof v + " (" + String(v).slice(0, 30) + ")";
  const argType = (name, want, v) =>
    nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${want}. Received ${describe(v)}`);
  const outOfRange = (name, range, v) =>
    nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be ${range}. Received ${String(v)}`);

  const ENCODINGS = {
    utf8: "utf8", "utf-8": "utf8", hex: "hex", base64: "base64", base64url: "base64url",
    latin1: "latin1", binary: "latin1", ascii: "ascii",
    utf16le: "utf16le", "utf-16le": "utf16le", ucs2: "utf16le", "ucs-2": "utf16le",
  };
  // Node's encoding name for `enc` (default utf8); unknown -> TypeError.
  function encodingOf(enc) {
    if (enc === undefined || enc === null) return "utf8";
    const e = ENCODINGS[typeof enc === "string" ? enc.toLowerCase() : ""];
    if (e === undefined) throw nodeError(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + String(enc));
    return e;
  }
  const encode = (s, enc) => (enc === "utf8" ? internal.utf8Encode(s) : B.encode(s, enc));
  const decode = (bytes, enc) => (enc === "utf8" ? internal.utf8Decode(bytes) : B.decode(bytes, enc));

  function checkSize(size) {
    if (typeof size !== "number") throw argType("size", "of type number", size);
    if (!(size >= 0 && size <= K_MAX_LENGTH)) throw outOfRange("size", ">= 0 && <= " + K_MAX_LENGTH, size);
    return Math.trunc(size);
  }
  // An integer offset in [0, max] (undefined -> dflt).
  function offsetArg(name, v, dflt, max) {
    if (v === undefined) return dflt;
    if (typeof v !== "number") throw argType(name, "of type number", v);
    if (!Number.isInteger(v) || v < 0 || v > max) throw outOfRange(name, Number.isInteger(v) ? ">= 0 and <= " + max : "an integer", v);
    return v;
  }
  // start/end clamped the way toString/fill/compare do.
  const clampIndex = (v, len, dflt) => {
    if (v === undefined) return dflt;
    v = Math.trunc(Number(v)) || 0;
    return v < 0 ? 0 : v > len ? len : v;
  };

  class Buffer extends Uint8Array {
    // new Buffer(size) / new Buffer(string, encoding) are Node's deprecated forms;
    // other arguments are those of Uint8Array (used by subarray/slice/map).
    constructor(a, b, c) {
      if (typeof a === "string") {
        const bytes = encode(a, encodingOf(b));
        super(bytes.length);
        this.set(bytes);
      } else if (typeof a === "number" && b === undefined) {
        super(checkSize(a));
      } else {
        super(a, b, c);
      }
    }

    static from(value, encodingOrOffset, length) {
      if (typeof value === "string") return fromBytes(encode(value, encodingOf(encodingOrOffset)));
      if (typeof value === "object" && value !== null) {
        if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)) {
          const offset = encodingOrOffset === undefined ? 0 : Math.trunc(Number(encodingOrOffset)) || 0;
          if (offset < 0 || offset > value.byteLength) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"offset" is outside of buffer bounds');
          const len = length === undefined ? value.byteLength - offset : Math.trunc(Number(length)) || 0;
          if (len < 0 || offset + len > value.byteLength) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"length" is outside of buffer bounds');
          return new Buffer(value, offset, len);
        }
        if (value instanceof Uint8Array) return fromBytes(value);
        if (ArrayBuffer.isView(value) || Array.isArray(value)) return fromArrayLike(value);
        const prim = value[Symbol.toPrimitive]?.("string") ?? value.valueOf?.();
        if (prim !== undefined && prim !== null && prim !== value && (typeof prim === "string" || typeof prim === "object")) {
          return Buffer.from(prim, encodingOrOffset, length);
        }
        if (value.type === "Buffer" && Array.isArray(value.data)) return fromArrayLike(value.data);
        if (typeof value.length === "number") return fromArrayLike(value);
      }
      throw argType("first", "of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object", value);
    }

    static alloc(size, fill, encoding) {
      const buf = new Buffer(checkSize(size));
      if (fill !== undefined && fill !== 0 && buf.length > 0) buf.fill(fill, 0, buf.length, encoding);
      return buf;
    }
    static allocUnsafe(size) {
      return new Buffer(checkSize(size));
    }
    static allocUnsafeSlow(size) {
      return new Buffer(checkSize(size));
    }
    static isBuffer(b) {
      return b instanceof Buffer;
    }
    static isEncoding(enc) {
      return typeof enc === "string" && enc.toLowerCase() in ENCODINGS;
    }
    static byteLength(value, encoding) {
      if (typeof value === "string") return B.byteLength(value, encodingOf(encoding));
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer)) return value.byteLength;
      throw argType("string", "of type string or an instance of Buffer or ArrayBuffer", value);
    }
    static compare(a, b) {
      if (!(a instanceof Uint8Array)) throw argType("buf1", "an instance of Buffer or Uint8Array", a);
      if (!(b instanceof Uint8Array)) throw argType("buf2", "an instance of Buffer or Uint8Array", b);
      return compareBytes(a, b);
    }
    static concat(list, totalLength) {
      if (!Array.isArray(list)) throw argType("list", "an instance of Array", list);
      let total = 0;
      for (let i = 0; i < list.length; i++) {
        if (!(list[i] instanceof Uint8Array)) throw argType(`list[${i}]`, "an instance of Buffer or Uint8Array", list[i]);
        total += list[i].length;
      }
      if (totalLength !== undefined) total = checkSize(totalLength);
      const out = new Buffer(total);
      let pos = 0;
      for (const b of list) {
        if (pos >= total) break;
        const n = Math.min(b.length, total - pos);
        out.set(n === b.length ? b : b.subarray(0, n), pos);
        pos += n;
      }
      return out;
    }

    toString(encoding, start, end) {
      const enc = encodingOf(encoding);
      start = clampIndex(start, this.length, 0);
      end = clampIndex(end, this.length, this.length);
      if (end <= start) return "";
      return decode(start === 0 && end === this.length ? this : this.subarray(start, end), enc);
    }
    toJSON() {
      return { type: "Buffer", data: Array.from(this) };
    }
    equals(other) {
      if (!(other instanceof Uint8Array)) throw argType("otherBuffer", "an instance of Buffer or Uint8Array", other);
      return compareBytes(this, other) === 0;
    }
    compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
      if (!(target instanceof Uint8Array)) throw argType("target", "an instance of Buffer or Uint8Array", target);
      const ts = offsetArg("targetStart", targetStart, 0, target.length);
      const te = offsetArg("targetEnd", targetEnd, target.length, target.length);
      const ss = offsetArg("sourceStart", sourceStart, 0, this.length);
      const se = offsetArg("sourceEnd", sourceEnd, this.length, this.length);
      return compareBytes(this.subarray(ss, Math.max(ss, se)), target.subarray(ts, Math.max(ts, te)));
    }
    indexOf(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, false);
    }
    lastIndexOf(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, true);
    }
    includes(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, false) !== -1;
    }
    // write(string[, offset[, length]][, encoding]) -> bytes written (never a
    // partial character for utf8/utf16le).
    write(string, offset, length, encoding) {
      if (typeof string !== "string") throw argType("string", "of type string", string);
      if (typeof offset === "string") [offset, length, encoding] = [0, undefined, offset];
      else if (typeof length === "string") [length, encoding] = [undefined, length];
      const enc = encodingOf(encoding);
      offset = offsetArg("offset", offset, 0, this.length);
      const room = this.length - offset;
      length = length === undefined ? room : Math.min(room, offsetArg("length", length, 0, this.length));
      let bytes = encode(string, enc);
      if (bytes.length > length) bytes = bytes.subarray(0, wholeCharacters(bytes, length, enc));
      this.set(bytes, offset);
      return bytes.length;
    }
    fill(value, offset, end, encoding) {
      if (typeof offset === "string") [offset, end, encoding] = [0, this.length, offset];
      else if (typeof end === "string") [end, encoding] = [this.length, end];
      offset = offsetArg("offset", offset, 0, this.length);
      end = offsetArg("end", end, this.length, this.length);
      if (end <= offset) return this;
      if (typeof value === "number" || typeof value === "boolean") {
        Uint8Array.prototype.fill.call(this, Number(value) & 255, offset, end);
        return this;
      }
      const bytes = typeof value === "string" ? encode(value, encodingOf(encoding)) : value instanceof Uint8Array ? value : undefined;
      if (bytes === undefined) throw argType("value", "one of type string, Buffer, Uint8Array or number", value);
      if (bytes.length === 0) {
        if (typeof value === "string" && value.length > 0) throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", "The argument 'value' is invalid. Received '" + value + "'");
        Uint8Array.prototype.fill.call(this, 0, offset, end);
        return this;
      }
      // Lay the pattern once, then double it with copyWithin.
      let filled = Math.min(bytes.length, end - offset);
      this.set(bytes.subarray(0, filled), offset);
      while (filled < end - offset) {
        const n = Math.min(filled, end - offset - filled);
        this.copyWithin(offset + filled, offset, offset + n);
        filled += n;
      }
      return this;
    }
    copy(target, targetStart, sourceStart, sourceEnd) {
      if (!(target instanceof Uint8Array)) throw argType("target", "an instance of Buffer or Uint8Array", target);
      const ts = clampIndex(targetStart, target.length, 0);
      const ss = clampIndex(sourceStart, this.length, 0);
      const se = clampIndex(sourceEnd, this.length, this.length);
      const n = Math.max(0, Math.min(se - ss, target.length - ts));
      if (n > 0) target.set(this.subarray(ss, ss + n), ts);
      return n;
    }
    // Node's slice shares memory, like subarray (Uint8Array's slice copies).
    slice(start, end) {
      return this.subarray(start, end);
    }
    swap16() {
      return swap(this, 2);
    }
    swap32() {
      return swap(this, 4);
    }
    swap64() {
      return swap(this, 8);
    }
  }
  // As in Node, toLocaleString is toString itself.
  Object.defineProperty(Buffer.prototype, "toLocaleString", { value: Buffer.prototype.toString, writable: true, configurable: true });
  Object.defineProperty(Buffer, "poolSize", { value: 8192, writable: true, enumerable: true });

  const fromBytes = (bytes) => {
    const b = new Buffer(bytes.length);
    b.set(bytes);
    return b;
  };
  const fromArrayLike = (a) => {
    const n = a.length >>> 0;
    const b = new Buffer(n);
    for (let i = 0; i < n; i++) b[i] = Number(a[i]) & 255;
    return b;
  };
  function compareBytes(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  // The longest prefix of `bytes` no longer than `max` that ends on a character.
  function wholeCharacters(bytes, max, enc) {
    if (enc === "utf16le") return max & ~1;
    if (enc !== "utf8") return max;
    let n = max;
    while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
    return n;
  }
  function swap(buf, size) {
    if (buf.length % size !== 0) throw nodeError(RangeError, "ERR_INVALID_BUFFER_SIZE", `Buffer size must be a multiple of ${size * 8}-bits`);
    for (let i = 0; i < buf.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) [buf[a], buf[b]] = [buf[b], buf[a]];
    }
    return buf;
  }
  function search(buf, value, byteOffset, encoding, last) {
    if (typeof byteOffset === "string") [byteOffset, encoding] = [undefined, byteOffset];
    let from = byteOffset === undefined ? (last ? buf.length : 0) : Number(byteOffset);
    if (Number.isNaN(from)) from = last ? buf.length : 0;
    from = Math.trunc(from);
    if (from < 0) from += buf.length;
    if (!last && from < 0) from = 0;
    let needle;
    if (typeof value === "number") needle = new Uint8Array([value & 255]);
    else if (typeof value === "string") needle = encode(value, encodingOf(encoding));
    else if (value instanceof Uint8Array) needle = value;
    else throw argType("value", "one of type number or string or an instance of Buffer or Uint8Array", value);
    if (!last && from > buf.length) return needle.length === 0 ? buf.length : -1;
    if (last && from < 0) return -1;
    return B.indexOf(buf, needle, from, last);
  }

  // Fixed-size integer and float accessors: readUInt16LE(offset) and friends,
  // with Node's range checks (RangeError ERR_OUT_OF_RANGE).
  const P = Buffer.prototype;
  function checkOffset(buf, offset, size) {
    if (offset === undefined) offset = 0;
    if (typeof offset !== "number") throw argType("offset", "of type number", offset);
    if (!Number.isInteger(offset)) throw outOfRange("offset", "an integer", offset);
    if (offset < 0 || offset > buf.length - size) {
      if (buf.length - size < 0) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds");
      throw outOfRange("offset", ">= 0 and <= " + (buf.length - size), offset);
    }
    return offset;
  }
  // The value range of an integer of `bits` bits, for writes.
  function checkInt(value, bits, signed) {
    const min = signed ? -(2 ** (bits - 1)) : 0, max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    if (!(value >= min && value <= max)) throw outOfRange("value", `>= ${min} and <= ${max}`, value);
  }
  function checkByteLength(n) {
    if (typeof n !== "number") throw argType("byteLength", "of type number", n);
    if (!Number.isInteger(n) || n < 1 || n > 6) throw outOfRange("byteLength", ">= 1 and <= 6", n);
    return n;
  }
  // Kinds of value a fixed-size accessor moves.
  const UNSIGNED = 0, SIGNED = 1, FLOAT = 2, BIGINT = 3, BIGUINT = 4;
  // The DataView method names of the float and bigint kinds, by size.
  const VIEW = { 4: "Float32", 8: "Float64" };
  const viewName = (size, kind) => (kind === FLOAT ? VIEW[size] : kind === BIGINT ? "BigInt64" : "BigUint64");
  // One reader and one writer serve every accessor (size 0: the byte length
  // is the last argument, as in readUIntLE(offset, byteLength)).
  function readAt(buf, offset, size, kind, le) {
    offset = checkOffset(buf, offset, size);
    if (kind > SIGNED) return new DataView(buf.buffer, buf.byteOffset, buf.byteLength)["get" + viewName(size, kind)](offset, le);
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + buf[offset + (le ? size - 1 - i : i)];
    return kind === SIGNED && v >= 2 ** (size * 8 - 1) ? v - 2 ** (size * 8) : v;
  }
  function writeAt(buf, value, offset, size, kind, le) {
    if (kind > FLOAT) {
      if (typeof value !== "bigint") throw argType("value", "of type bigint", value);
      const min = kind === BIGINT ? -(2n ** 63n) : 0n, max = kind === BIGINT ? 2n ** 63n - 1n : 2n ** 64n - 1n;
      if (value < min || value > max) throw outOfRange("value", `>= ${min}n and <= ${max}n`, value + "n");
    } else {
      value = Number(value);
      if (kind !== FLOAT) checkInt(value, size * 8, kind === SIGNED);
    }
    offset = checkOffset(buf, offset, size);
    if (kind > SIGNED) {
      new DataView(buf.buffer, buf.byteOffset, buf.byteLength)["set" + viewName(size, kind)](offset, value, le);
      return offset + size;
    }
    let v = value < 0 ? value + 2 ** (size * 8) : Math.trunc(value);
    for (let i = 0; i < size; i++) {
      buf[offset + (le ? i : size - 1 - i)] = v % 256;
      v = Math.floor(v / 256);
    }
    return offset + size;
  }
  // [name, size, kind] of readUInt8 ... readBigUInt64BE and their writers;
  // each method is a small closure over its format (far cheaper in RAM than
  // a function body per method). "UInt" names also exist as "Uint".
  const FORMATS = [
    ["UInt8", 1, UNSIGNED], ["Int8", 1, SIGNED], ["UInt16", 2, UNSIGNED], ["Int16", 2, SIGNED],
    ["UInt32", 4, UNSIGNED], ["Int32", 4, SIGNED], ["Float", 4, FLOAT], ["Double", 8, FLOAT],
    ["BigInt64", 8, BIGINT], ["BigUInt64", 8, BIGUINT], ["UInt", 0, UNSIGNED], ["Int", 0, SIGNED],
  ];
  for (const [name, size, kind] of FORMATS) {
    for (const suffix of size === 1 ? [""] : ["LE", "BE"]) {
      const le = suffix === "LE";
      const read = size
        ? function (offset) {
            return readAt(this, offset, size, kind, le);
          }
        : function (offset, byteLength) {
            return readAt(this, offset, checkByteLength(byteLength), kind, le);
          };
      const write = size
        ? function (value, offset) {
            return writeAt(this, value, offset, size, kind, le);
          }
        : function (value, offset, byteLength) {
            return writeAt(this, value, offset, checkByteLength(byteLength), kind, le);
          };
      for (const n of name.startsWith("UInt") || name.startsWith("BigUInt") ? [name, name.replace("UInt", "Uint")] : [name]) {
        P["read" + n + suffix] = read;
        P["write" + n + suffix] = write;
      }
    }
  }

  internal.Buffer = Buffer;
  internal.expose("Buffer", Buffer);
});
