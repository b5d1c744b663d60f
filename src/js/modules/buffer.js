// node:buffer (https://nodejs.org/api/buffer.html). `Buffer` itself is the
// global's implementation (src/js/glue/buffer.js); Blob, File, atob and btoa
// are the Web globals, read when asked for.
import internal from "isere:internal";

export const Buffer = internal.Buffer;
export const kMaxLength = 2 ** 31 - 1;
export const kStringMaxLength = 2 ** 29 - 24;
export const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });
export let INSPECT_MAX_BYTES = 50;
export const SlowBuffer = function SlowBuffer(size) {
  return Buffer.allocUnsafeSlow(size);
};

// Valid UTF-8 / only ASCII bytes (TypedArray, ArrayBuffer or Buffer).
export function isUtf8(input) {
  return internal.isUtf8(toView(input));
}
export function isAscii(input) {
  const b = toView(input);
  for (let i = 0; i < b.length; i++) if (b[i] > 127) return false;
  return true;
}
function toView(input) {
  if (internal.isBufferSource(input)) return internal.toBytes(input);
  throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "input" argument must be an instance of ArrayBuffer, Buffer, or TypedArray');
}
export function transcode() {
  throw internal.nodeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "buffer.transcode is not implemented on Isère");
}
export function atob(s) {
  return globalThis.atob(s);
}
export function btoa(s) {
  return globalThis.btoa(s);
}

const exports = { Buffer, kMaxLength, kStringMaxLength, constants, INSPECT_MAX_BYTES, SlowBuffer, isUtf8, isAscii, transcode, atob, btoa };
for (const name of ["Blob", "File"]) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => globalThis[name] });
}
export default exports;
