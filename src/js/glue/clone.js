// @lazy globals: structuredClone; internal: structuredClone
// structuredClone (HTML §2.7.10), in one pass (serialise and deserialise at
// once). Cloned: primitives but symbols, Boolean/Number/String/BigInt objects,
// Date, RegExp, ArrayBuffer (shared between the views that use it), typed
// arrays and DataView, Map, Set, Error and its standard subtypes (name, message,
// cause, stack), DOMException, Blob and File, arrays and other objects (own
// enumerable string keys, prototype dropped, as the spec does), with cycles and
// shared references kept. `transfer` moves ArrayBuffers (the originals are
// detached). Functions, symbols, WeakMap/WeakSet/WeakRef, Promise and other
// platform objects are a DataCloneError DOMException.
// Not covered: SharedArrayBuffer (no threads), resizable ArrayBuffers keep
// their content but not their max length, MessagePort and other transferables.
(function (internal, global) {
  "use strict";
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const fail = (what) => internal.domError(`structuredClone: ${what} could not be cloned`, "DataCloneError");
  const NOT_CLONEABLE = [Promise, WeakMap, WeakSet, typeof WeakRef === "function" ? WeakRef : null,
    typeof FinalizationRegistry === "function" ? FinalizationRegistry : null].filter(Boolean);
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const PLATFORM = ["Request", "Response", "Headers", "ReadableStream", "WritableStream", "TransformStream",
    "EventTarget", "Event", "AbortController", "FormData", "URL", "URLSearchParams", "TextEncoder", "TextDecoder"];

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required");
    const memory = new Map();
    const transfer = options?.transfer;
    if (transfer !== undefined) {
      if (transfer === null || typeof transfer[Symbol.iterator] !== "function") {
        throw new TypeError("structuredClone: options.transfer must be a sequence");
      }
      const list = [...transfer];
      for (const buf of list) {
        if (!(buf instanceof ArrayBuffer)) throw fail("a transfer item other than an ArrayBuffer");
        if (memory.has(buf)) throw fail("the same ArrayBuffer listed twice in transfer,");
        if (buf.detached) throw fail("a detached ArrayBuffer");
        memory.set(buf, null); // placeholder until every item is checked
      }
      for (const buf of list) memory.set(buf, buf.transfer());
    }
    return clone(value, memory);
  }

  function clone(v, memory) {
    const type = typeof v;
    if (type === "symbol") throw fail("a symbol");
    if (type === "function") throw fail(`the function ${v.name || "(anonymous)"}`);
    if (v === null || type !== "object") return v;
    if (memory.has(v)) return memory.get(v);
    let out;
    if (v instanceof Boolean) out = new Boolean(v.valueOf());
    else if (v instanceof Number) out = new Number(v.valueOf());
    else if (v instanceof String) out = new String(v.valueOf());
    else if (typeof BigInt === "function" && v instanceof BigInt) out = Object(v.valueOf());
    else if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof ArrayBuffer) {
      if (v.detached) throw fail("a detached ArrayBuffer");
      out = v.slice(0);
    } else if (v instanceof TypedArray || v instanceof DataView) {
      const buf = clone(v.buffer, memory);
      const C = v.constructor;
      out = v instanceof DataView
        ? new DataView(buf, v.byteOffset, v.byteLength)
        : new C(buf, v.byteOffset, v.length);
    } else if (internal.peek("DOMException") && v instanceof internal.DOMException) {
      out = new internal.DOMException(v.message, v.name);
    } else if (v instanceof Error) {
      const name = Object.hasOwn(ERRORS, v.name) ? v.name : "Error";
      out = new ERRORS[name]();
      memory.set(v, out);
      const d = Object.getOwnPropertyDescriptor(v, "message");
      if (d && "value" in d) out.message = String(d.value);
      else delete out.message;
      if (typeof v.stack === "string") out.stack = v.stack;
      if (Object.hasOwn(v, "cause")) out.cause = clone(v.cause, memory);
      return out;
    } else if (internal.peek("Blob") && v instanceof internal.Blob) {
      out = internal.cloneBlob(v);
    } else if (v instanceof Map) {
      out = new Map();
      memory.set(v, out);
      for (const [k, x] of v) out.set(clone(k, memory), clone(x, memory));
      return out;
    } else if (v instanceof Set) {
      out = new Set();
      memory.set(v, out);
      for (const k of v) out.add(clone(k, memory));
      return out;
    } else {
      for (const C of NOT_CLONEABLE) if (v instanceof C) throw fail(`a ${C.name}`);
      for (const n of PLATFORM) {
        const C = internal.peek(n) || (Object.getOwnPropertyDescriptor(global, n)?.value);
        if (typeof C === "function" && v instanceof C) throw fail(`a ${n}`);
      }
      out = Array.isArray(v) ? new Array(v.length) : {};
      memory.set(v, out);
      for (const k of Object.keys(v)) out[k] = clone(v[k], memory);
      return out;
    }
    memory.set(v, out);
    return out;
  }

  internal.structuredClone = structuredClone;
  internal.expose("structuredClone", structuredClone);
});
