// node:util (https://nodejs.org/api/util.html): format, formatWithOptions,
// inspect (console's formatter: src/js/glue/console.js), promisify,
// callbackify, types, inherits, deprecate, isDeepStrictEqual, debuglog,
// TextEncoder/TextDecoder (the Web globals), stripVTControlCharacters,
// toUSVString, aborted, and the legacy is* predicates.
// Departures: inspect's options (depth, colors, compact, ...) are accepted and
// ignored: the output is console's (depth 2, one line, no colours);
// `parseArgs`, `styleText`, `MIMEType` and `getSystemErrorName` are absent.
import internal from "isere:internal";

export function format(...args) {
  return internal.format(args);
}
export function formatWithOptions(options, ...args) {
  if (options === null || typeof options !== "object") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "inspectOptions" argument must be of type object');
  }
  return internal.format(args);
}
export function inspect(value, options) {
  return internal.inspectValue(value, true);
}
inspect.custom = Symbol.for("nodejs.util.inspect.custom");
inspect.defaultOptions = { depth: 2, colors: false, compact: 3, breakLength: Infinity };

const kCustomPromisify = Symbol.for("nodejs.util.promisify.custom");
export function promisify(fn) {
  if (typeof fn !== "function") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "original" argument must be of type function. Received ' + (fn === null ? "null" : typeof fn));
  }
  if (typeof fn[kCustomPromisify] === "function") return fn[kCustomPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      fn.call(this, ...args, (err, value) => (err ? reject(err) : resolve(value)));
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
  Object.defineProperty(promisified, kCustomPromisify, { value: promisified });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
}
promisify.custom = kCustomPromisify;

export function callbackify(fn) {
  if (typeof fn !== "function") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "original" argument must be of type function. Received ' + (fn === null ? "null" : typeof fn));
  }
  return function (...args) {
    const cb = args.pop();
    if (typeof cb !== "function") {
      throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The last argument must be of type function. Received ' + (cb === null ? "null" : typeof cb));
    }
    fn.apply(this, args).then(
      (v) => queueMicrotask(() => cb(null, v)),
      (err) => {
        // A falsy rejection reason becomes an Error carrying it (Node's rule).
        if (!err) {
          const e = internal.nodeError(Error, "ERR_FALSY_VALUE_REJECTION", "Promise was rejected with falsy value");
          e.reason = err;
          err = e;
        }
        queueMicrotask(() => cb(err));
      },
    );
  };
}

export function inherits(ctor, superCtor) {
  if (typeof ctor !== "function") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "ctor" argument must be of type function');
  if (typeof superCtor !== "function") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "superCtor" argument must be of type function');
  if (superCtor.prototype === undefined) throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "superCtor.prototype" property must be of type object');
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const warned = new Set();
export function deprecate(fn, message, code) {
  if (typeof fn !== "function") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "fn" argument must be of type function');
  let done = false;
  return function deprecated(...args) {
    if (!done && !(code !== undefined && warned.has(code))) {
      done = true;
      if (code !== undefined) warned.add(code);
      internal.console.warn(`(isere) [${code ?? "DEP"}] DeprecationWarning: ${message}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  };
}

export function debuglog(section) {
  const log = (...args) => internal.console.debug(`${String(section).toUpperCase()}: ${internal.format(args)}`);
  log.enabled = false;
  return log;
}
export const debug = debuglog;

export function stripVTControlCharacters(s) {
  if (typeof s !== "string") throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "str" argument must be of type string');
  return s.replace(/[\u001b\u009b][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, "");
}
export function toUSVString(s) {
  return String(s).toWellFormed();
}
export function aborted(signal, resource) {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

export function isDeepStrictEqual(a, b) {
  return internal.deepEqual(a, b, true);
}

const proto = (v) => Object.prototype.toString.call(v).slice(8, -1);
const typedArray = (name) => (v) => ArrayBuffer.isView(v) && proto(v) === name;
export const types = {
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isPromise: (v) => v instanceof Promise,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isWeakMap: (v) => v instanceof WeakMap,
  isWeakSet: (v) => v instanceof WeakSet,
  isMapIterator: (v) => proto(v) === "Map Iterator",
  isSetIterator: (v) => proto(v) === "Set Iterator",
  isNativeError: (v) => v instanceof Error,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isSharedArrayBuffer: (v) => typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => v instanceof DataView,
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: typedArray("Uint8Array"),
  isUint8ClampedArray: typedArray("Uint8ClampedArray"),
  isUint16Array: typedArray("Uint16Array"),
  isUint32Array: typedArray("Uint32Array"),
  isInt8Array: typedArray("Int8Array"),
  isInt16Array: typedArray("Int16Array"),
  isInt32Array: typedArray("Int32Array"),
  isFloat32Array: typedArray("Float32Array"),
  isFloat64Array: typedArray("Float64Array"),
  isBigInt64Array: typedArray("BigInt64Array"),
  isBigUint64Array: typedArray("BigUint64Array"),
  isAsyncFunction: (v) => typeof v === "function" && proto(v).startsWith("Async"),
  isGeneratorFunction: (v) => typeof v === "function" && /GeneratorFunction$/.test(proto(v)),
  isGeneratorObject: (v) => proto(v) === "Generator" || proto(v) === "AsyncGenerator",
  isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol,
  isNumberObject: (v) => v instanceof Number,
  isStringObject: (v) => v instanceof String,
  isBooleanObject: (v) => v instanceof Boolean,
  isBigIntObject: (v) => v instanceof BigInt,
  isSymbolObject: (v) => v instanceof Symbol,
  isProxy: () => false,
  isModuleNamespaceObject: (v) => proto(v) === "Module",
  isKeyObject: () => false,
  isCryptoKey: (v) => typeof globalThis.CryptoKey === "function" && v instanceof globalThis.CryptoKey,
  isExternal: () => false,
  isArgumentsObject: (v) => proto(v) === "Arguments",
};

// The legacy predicates (deprecated in Node, still used by old libraries).
export const isArray = Array.isArray;
export const isBoolean = (v) => typeof v === "boolean";
export const isNull = (v) => v === null;
export const isNullOrUndefined = (v) => v === null || v === undefined;
export const isNumber = (v) => typeof v === "number";
export const isString = (v) => typeof v === "string";
export const isSymbol = (v) => typeof v === "symbol";
export const isUndefined = (v) => v === undefined;
export const isRegExp = types.isRegExp;
export const isObject = (v) => v !== null && typeof v === "object";
export const isDate = types.isDate;
export const isError = types.isNativeError;
export const isFunction = (v) => typeof v === "function";
export const isPrimitive = (v) => v === null || (typeof v !== "object" && typeof v !== "function");

const util = {
  format, formatWithOptions, inspect, promisify, callbackify, inherits, deprecate, debuglog, debug,
  stripVTControlCharacters, toUSVString, aborted, isDeepStrictEqual, types,
  isArray, isBoolean, isNull, isNullOrUndefined, isNumber, isString, isSymbol, isUndefined,
  isRegExp, isObject, isDate, isError, isFunction, isPrimitive,
};
// The Web globals (no second copy): the named exports are read at import, the
// default export's properties at each use.
export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;
for (const name of ["TextEncoder", "TextDecoder"]) {
  Object.defineProperty(util, name, { enumerable: true, get: () => globalThis[name] });
}
export default util;
