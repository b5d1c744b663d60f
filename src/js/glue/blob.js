// @lazy globals: Blob, File; internal: Blob, File, blobBytes, cloneBlob
// Blob and File (W3C File API §3-4). The bytes are held in one Uint8Array;
// slice() shares it (no copy). stream() yields the bytes as one chunk.
// internal.blobBytes(blob) gives the Body mixin the bytes without a copy.
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode, toBytes, isBufferSource } = internal;

  // A type is kept only if it is printable ASCII, and is lowercased (§3.1).
  const normalizeType = (t) => {
    t = String(t);
    return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : "";
  };

  let bytesOf;
  // "process blob parts" (§3.1.1): Uint8Array of everything, in order.
  function processParts(parts, endings) {
    if (parts === undefined) return new Uint8Array(0);
    if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
      throw new TypeError("Blob: the parts must be a sequence (an array) of strings, buffers or Blobs");
    }
    const chunks = [];
    let total = 0;
    for (const p of parts) {
      let b;
      if (p instanceof Blob) b = bytesOf(p);
      else if (isBufferSource(p)) b = toBytes(p).slice();
      else {
        let s = String(p);
        if (endings === "native") s = s.replace(/\r\n?/g, "\n"); // the native line ending here is LF
        b = utf8Encode(s);
      }
      chunks.push(b);
      total += b.length;
    }
    if (chunks.length === 1 && !(parts[0] instanceof Blob)) return chunks[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) out.set(c, at), (at += c.length);
    return out;
  }

  const RAW = {};
  class Blob {
    #bytes;
    #type;
    constructor(parts = undefined, options = undefined) {
      if (parts === RAW) {
        [this.#bytes, this.#type] = options;
        return;
      }
      if (options !== undefined && options !== null && typeof options !== "object") {
        throw new TypeError("Blob: options must be an object");
      }
      const endings = options?.endings === undefined ? "transparent" : String(options.endings);
      if (endings !== "transparent" && endings !== "native") {
        throw new TypeError(`Blob: endings must be "transparent" or "native" (got ${JSON.stringify(endings)})`);
      }
      this.#bytes = processParts(parts, endings);
      this.#type = options?.type === undefined ? "" : normalizeType(options.type);
    }
    get size() {
      return this.#bytes.length;
    }
    get type() {
      return this.#type;
    }
    // Negative positions count from the end (§3.3.1).
    slice(start = undefined, end = undefined, contentType = undefined) {
      const size = this.#bytes.length;
      const pos = (v, dflt) => {
        if (v === undefined) return dflt;
        v = Math.trunc(Number(v)) || 0;
        return v < 0 ? Math.max(size + v, 0) : Math.min(v, size);
      };
      const from = pos(start, 0), to = pos(end, size);
      const type = contentType === undefined ? "" : normalizeType(contentType);
      return new Blob(RAW, [this.#bytes.subarray(from, Math.max(from, to)), type]);
    }
    async arrayBuffer() {
      return this.#bytes.slice().buffer;
    }
    async bytes() {
      return this.#bytes.slice();
    }
    async text() {
      const s = utf8Decode(this.#bytes);
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    }
    stream() {
      return internal.streamFromBytes(this.#bytes.slice());
    }
    get [Symbol.toStringTag]() {
      return "Blob";
    }
    [internal.inspect]() {
      return { size: this.size, type: this.#type };
    }
    static {
      bytesOf = (b) => b.#bytes;
    }
  }

  class File extends Blob {
    #name;
    #lastModified;
    constructor(bits, name, options = undefined) {
      if (arguments.length < 2) throw new TypeError("File: the bits and name arguments are required");
      super(bits, options);
      this.#name = String(name);
      const lm = options?.lastModified;
      this.#lastModified = lm === undefined ? Date.now() : Math.trunc(Number(lm)) || 0;
    }
    get name() {
      return this.#name;
    }
    get lastModified() {
      return this.#lastModified;
    }
    get webkitRelativePath() {
      return "";
    }
    get [Symbol.toStringTag]() {
      return "File";
    }
    [internal.inspect]() {
      return { name: this.#name, size: this.size, type: this.type, lastModified: this.#lastModified };
    }
  }

  internal.Blob = Blob;
  internal.File = File;
  internal.blobBytes = bytesOf;
  internal.cloneBlob = (b) =>
    b instanceof File
      ? new File([b], b.name, { type: b.type, lastModified: b.lastModified })
      : new Blob([b], { type: b.type });
  internal.expose("Blob", Blob);
  internal.expose("File", File);
});
