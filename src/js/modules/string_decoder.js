// node:string_decoder (https://nodejs.org/api/string_decoder.html):
// StringDecoder for utf8, utf16le, base64, base64url, hex, latin1 and ascii.
// Bytes of a character (utf8, utf16le, surrogate pairs) or of a base64
// group split across writes are held back until the next write; end()
// flushes them (an incomplete utf8 character becomes U+FFFD).
import internal from "isere:internal";

const Buffer = internal.Buffer;

function normalize(enc) {
  const e = enc === undefined || enc === null ? "utf8" : String(enc).toLowerCase();
  const map = { "utf-8": "utf8", ucs2: "utf16le", "ucs-2": "utf16le", "utf-16le": "utf16le", binary: "latin1" };
  const name = map[e] ?? e;
  if (!Buffer.isEncoding(name)) throw internal.nodeError(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + String(enc));
  return name;
}

// The number of bytes at the end of `b` that begin an unfinished UTF-8
// character (0 when it ends on a character boundary).
function utf8Incomplete(b) {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export class StringDecoder {
  constructor(encoding) {
    this.encoding = normalize(encoding);
    this.pending = new Uint8Array(0);
  }

  // Decodes `buf`, keeping back the bytes of a character it ends in the middle of.
  write(buf) {
    if (typeof buf === "string") return buf;
    if (!ArrayBuffer.isView(buf)) {
      throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "buf" argument must be an instance of Buffer, TypedArray, or DataView');
    }
    let bytes = internal.toBytes(buf);
    if (this.pending.length) {
      const all = new Uint8Array(this.pending.length + bytes.length);
      all.set(this.pending);
      all.set(bytes, this.pending.length);
      bytes = all;
    }
    const keep = this.held(bytes);
    this.pending = bytes.slice(bytes.length - keep);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length - keep).toString(this.encoding);
  }

  // Decodes `buf` (if given) and whatever is held back.
  end(buf) {
    let out = buf === undefined ? "" : this.write(buf);
    if (this.pending.length) {
      out += this.encoding === "utf8" ? "\ufffd" : Buffer.from(this.pending).toString(this.encoding);
      this.pending = new Uint8Array(0);
    }
    return out;
  }

  // How many trailing bytes of `bytes` to hold back.
  held(bytes) {
    switch (this.encoding) {
      case "utf8":
        return utf8Incomplete(bytes);
      case "utf16le": {
        let keep = bytes.length % 2;
        // A high surrogate at the end waits for its low half.
        const end = bytes.length - keep;
        if (end >= 2 && (bytes[end - 1] & 0xfc) === 0xd8) keep += 2;
        return keep;
      }
      case "base64":
      case "base64url":
        return bytes.length % 3;
      default:
        return 0;
    }
  }

  get lastNeed() {
    return this.pending.length ? (this.encoding === "utf8" ? utf8Need(this.pending) : 0) : 0;
  }
  get lastTotal() {
    return this.pending.length + this.lastNeed;
  }
}

function utf8Need(p) {
  const c = p[0];
  const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  return need - p.length;
}

export default { StringDecoder };
