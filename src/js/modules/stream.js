// node:stream (https://nodejs.org/api/stream.html), the subset libraries use:
// Stream, Readable (flowing and paused modes, 'readable', pipe/unpipe,
// setEncoding, unshift, async iteration, Readable.from), Writable (write
// buffering with highWaterMark backpressure and 'drain', cork/uncork, final,
// end), Duplex (allowHalfOpen), Transform (transform/flush), PassThrough,
// pipeline, finished, addAbortSignal, and `promises` (pipeline, finished).
// Object mode counts chunks against highWaterMark (default 16), byte mode
// bytes (default 16 KiB).
// Departures: `construct`, `writev` (writes go one at a time through
// `write`), Readable.fromWeb/toWeb, compose, and the iterator helpers
// (map/filter/...) are absent; `read(n)` in byte mode returns whole chunks
// joined, split only to honour `n`.
import internal from "isere:internal";
import EventEmitter from "node:events";

// Buffer is read from `internal` where used: an object-mode stream never
// loads it (glue/buffer.js costs tens of KB of engine heap).

const tick = (fn, ...args) => queueMicrotask(() => fn(...args));
const err = (Type, code, message) => internal.nodeError(Type, code, message);
const DEFAULT_HWM = 16 * 1024, DEFAULT_OBJECT_HWM = 16;

function hwm(options, key, objectMode) {
  const v = options?.[key] ?? options?.highWaterMark;
  if (v === undefined) return objectMode ? DEFAULT_OBJECT_HWM : DEFAULT_HWM;
  if (typeof v !== "number" || !(v >= 0) || !Number.isInteger(v)) {
    throw err(TypeError, "ERR_INVALID_ARG_VALUE", `The property 'options.${key in (options ?? {}) ? key : "highWaterMark"}' is invalid. Received ${String(v)}`);
  }
  return v;
}

export function Stream(options) {
  EventEmitter.call(this, options);
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);
// The legacy pipe of a bare Stream: data events written to `dest`.
Stream.prototype.pipe = function (dest, options) {
  const onData = (chunk) => {
    if (dest.write(chunk) === false && typeof this.pause === "function") this.pause();
  };
  this.on("data", onData);
  dest.on("drain", () => typeof this.resume === "function" && this.resume());
  if (options?.end !== false) this.on("end", () => dest.end());
  dest.emit("pipe", this);
  return dest;
};

// ---- Readable ----

export function Readable(options) {
  if (!(this instanceof Readable)) return new Readable(options);
  Stream.call(this, options);
  const objectMode = !!(options?.objectMode || options?.readableObjectMode);
  this._readableState = {
    objectMode,
    highWaterMark: hwm(options, "readableHighWaterMark", objectMode),
    buffer: [],
    length: 0,
    flowing: null,
    ended: false,
    endEmitted: false,
    reading: false,
    sync: false,
    readableListening: false,
    emittedReadable: false,
    decoder: null,
    encoding: null,
    pipes: [],
    destroyed: false,
    closed: false,
    errored: null,
    autoDestroy: options?.autoDestroy !== false,
    emitClose: options?.emitClose !== false,
  };
  if (typeof options?.read === "function") this._read = options.read;
  if (typeof options?.destroy === "function") this._destroy = options.destroy;
  if (options?.encoding) this.setEncoding(options.encoding);
  if (options?.signal) addAbortSignal(options.signal, this);
}
Object.setPrototypeOf(Readable.prototype, Stream.prototype);
Object.setPrototypeOf(Readable, Stream);

const R = Readable.prototype;
R._read = function () {
  throw err(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _read() method is not implemented");
};

R.push = function (chunk, encoding) {
  return addChunk(this, chunk, encoding, false);
};
R.unshift = function (chunk, encoding) {
  return addChunk(this, chunk, encoding, true);
};
function addChunk(stream, chunk, encoding, front) {
  const s = stream._readableState;
  if (s.destroyed) return false;
  if (chunk === null) {
    s.reading = false;
    if (!s.ended) {
      s.ended = true;
      if (s.decoder) {
        const rest = s.decoder.end();
        if (rest) {
          s.buffer.push(rest);
          s.length += s.objectMode ? 1 : rest.length;
        }
      }
      emitReadable(stream);
      maybeEnd(stream);
    }
    return false;
  }
  if (!s.objectMode) {
    if (typeof chunk === "string") {
      chunk = s.decoder && (encoding === undefined || encoding === s.encoding) ? chunk : internal.Buffer.from(chunk, encoding);
    } else if (chunk instanceof Uint8Array) {
      if (!(chunk instanceof internal.Buffer)) chunk = internal.Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else if (chunk !== undefined) {
      stream.destroy(err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ' + typeof chunk));
      return false;
    }
    if (s.decoder && typeof chunk !== "string") chunk = s.decoder.write(chunk);
  }
  if (!front && s.ended) {
    stream.destroy(err(Error, "ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF"));
    return false;
  }
  if (!front) s.reading = false;
  const size = s.objectMode ? 1 : chunk?.length ?? 0;
  if (size > 0 || s.objectMode) {
    if (s.flowing && s.buffer.length === 0 && !s.sync && !front) {
      stream.emit("data", chunk);
    } else {
      if (front) s.buffer.unshift(chunk);
      else s.buffer.push(chunk);
      s.length += size;
      emitReadable(stream);
    }
  }
  scheduleRead(stream);
  return s.length < s.highWaterMark;
}

// Asks _read for more when the buffer is below the mark (on a microtask, so
// a push inside _read does not recurse).
function scheduleRead(stream) {
  const s = stream._readableState;
  if (s.readScheduled) return;
  s.readScheduled = true;
  tick(() => {
    s.readScheduled = false;
    if (s.flowing) flow(stream, false);
    if (!s.reading && !s.ended && !s.destroyed && s.length < s.highWaterMark && (s.flowing || s.readableListening || s.length === 0 && s.flowing !== false)) {
      callRead(stream);
    }
  });
}
function callRead(stream) {
  const s = stream._readableState;
  s.reading = true;
  s.sync = true;
  try {
    stream._read(s.objectMode ? s.highWaterMark : s.highWaterMark);
  } catch (e) {
    stream.destroy(e);
  }
  s.sync = false;
}
function emitReadable(stream) {
  const s = stream._readableState;
  if (!s.readableListening || s.emittedReadable) return;
  s.emittedReadable = true;
  tick(() => {
    s.emittedReadable = false;
    if (!s.destroyed && (s.length > 0 || s.ended)) stream.emit("readable");
    maybeEnd(stream);
  });
}
// Emits the buffered chunks while flowing; `more`: then asks for more (once:
// _read is not called again until it has pushed).
function flow(stream, more = true) {
  const s = stream._readableState;
  while (s.flowing && s.buffer.length > 0 && !s.destroyed) {
    const chunk = s.buffer.shift();
    s.length -= s.objectMode ? 1 : chunk.length;
    stream.emit("data", chunk);
  }
  maybeEnd(stream);
  if (more && s.flowing && !s.ended && !s.reading) scheduleRead(stream);
}
function maybeEnd(stream) {
  const s = stream._readableState;
  if (!s.ended || s.length > 0 || s.endEmitted || s.destroyed || s.endScheduled) return;
  // 'end' comes once the data is consumed: flowing, or read() to the end.
  if (s.flowing !== true && !s.readCalled) return;
  s.endScheduled = true;
  tick(() => {
    if (s.endEmitted || s.destroyed || s.length > 0) return;
    s.endEmitted = true;
    stream.emit("end");
    if (stream._writableState && stream.allowHalfOpen === false && !stream._writableState.ending) stream.end();
    const w = stream._writableState;
    if (s.autoDestroy && (!w || w.finished || w.destroyed)) stream.destroy();
  });
}

R.read = function (n) {
  const s = this._readableState;
  s.readCalled = true;
  if (n !== undefined) n = Number(n);
  let chunk = null;
  if (s.length > 0 && (n === undefined || n === 0 ? n !== 0 : true)) {
    if (s.objectMode) {
      chunk = s.buffer.shift();
      s.length -= 1;
    } else if (n === undefined || n >= s.length) {
      if (n === undefined || n === s.length || s.ended) {
        chunk = s.decoder ? s.buffer.join("") : s.buffer.length === 1 ? s.buffer[0] : internal.Buffer.concat(s.buffer);
        s.buffer = [];
        s.length = 0;
      }
    } else {
      chunk = takeBytes(s, n);
    }
  }
  if (chunk !== null) this.emit("data", chunk);
  if (s.length === 0 && s.ended) maybeEnd(this);
  else if (!s.ended && s.length < s.highWaterMark) {
    if (!s.reading && !s.destroyed) callRead(this);
  }
  return chunk;
};
function takeBytes(s, n) {
  if (s.decoder) {
    const all = s.buffer.join("");
    s.buffer = [all.slice(n)];
    s.length = all.length - n;
    return all.slice(0, n);
  }
  const all = s.buffer.length === 1 ? s.buffer[0] : internal.Buffer.concat(s.buffer);
  s.buffer = [all.subarray(n)];
  s.length = all.length - n;
  return all.subarray(0, n);
}

R.on = R.addListener = function (name, fn) {
  const r = Stream.prototype.on.call(this, name, fn);
  const s = this._readableState;
  if (name === "data") {
    if (s.flowing !== false) this.resume();
  } else if (name === "readable" && !s.endEmitted) {
    s.readableListening = true;
    s.flowing = false;
    if (s.length > 0 || s.ended) emitReadable(this);
    else if (!s.reading) scheduleRead(this);
  }
  return r;
};
R.resume = function () {
  const s = this._readableState;
  if (!s.flowing) {
    s.flowing = !s.readableListening;
    if (s.flowing) {
      this.emit("resume");
      tick(() => flow(this));
      scheduleRead(this);
    }
  }
  return this;
};
R.pause = function () {
  const s = this._readableState;
  if (s.flowing !== false) {
    s.flowing = false;
    this.emit("pause");
  }
  return this;
};
R.isPaused = function () {
  return this._readableState.flowing === false;
};
R.setEncoding = function (encoding) {
  const s = this._readableState;
  s.decoder = new StringDecoderLite(encoding);
  s.encoding = s.decoder.encoding;
  // Re-decode what is buffered.
  const bytes = s.buffer.length ? internal.Buffer.concat(s.buffer.map((c) => (typeof c === "string" ? internal.Buffer.from(c) : c))) : null;
  s.buffer = bytes ? [s.decoder.write(bytes)] : [];
  s.length = s.buffer.length ? s.buffer[0].length : 0;
  return this;
};
// The minimal string decoding Readable needs, on node:string_decoder's rules
// without importing it (characters split across chunks are held back).
class StringDecoderLite {
  constructor(encoding) {
    this.encoding = internal.Buffer.isEncoding(encoding) ? String(encoding).toLowerCase().replace("utf-8", "utf8") : (() => {
      throw err(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + encoding);
    })();
    this.rest = null;
  }
  write(b) {
    if (this.rest) b = internal.Buffer.concat([this.rest, b]);
    let keep = 0;
    if (this.encoding === "utf8") {
      for (let back = 1; back <= Math.min(3, b.length); back++) {
        const c = b[b.length - back];
        if ((c & 0xc0) === 0x80) continue;
        const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        keep = need > back ? back : 0;
        break;
      }
    } else if (this.encoding === "base64" || this.encoding === "base64url") keep = b.length % 3;
    else if (this.encoding === "utf16le" || this.encoding === "ucs2") keep = b.length % 2;
    this.rest = keep ? b.subarray(b.length - keep) : null;
    return b.subarray(0, b.length - keep).toString(this.encoding);
  }
  end() {
    const r = this.rest ? this.rest.toString(this.encoding) : "";
    this.rest = null;
    return r;
  }
}

R.pipe = function (dest, options) {
  const s = this._readableState;
  s.pipes.push(dest);
  const onData = (chunk) => {
    if (dest.write(chunk) === false) this.pause();
  };
  const onDrain = () => this.resume();
  const onEnd = () => dest.end();
  const cleanup = () => {
    this.removeListener("data", onData);
    dest.removeListener("drain", onDrain);
    this.removeListener("end", onEnd);
  };
  this.on("data", onData);
  dest.on("drain", onDrain);
  if (options?.end !== false) this.once("end", onEnd);
  dest.once("unpipe", (src) => src === this && cleanup());
  dest.once("close", cleanup);
  dest.emit("pipe", this);
  if (!s.flowing) this.resume();
  return dest;
};
R.unpipe = function (dest) {
  const s = this._readableState;
  const targets = dest === undefined ? s.pipes.splice(0) : s.pipes.splice(s.pipes.indexOf(dest) >>> 0, s.pipes.includes(dest) ? 1 : 0);
  for (const d of targets) d.emit("unpipe", this);
  if (s.pipes.length === 0) this.pause();
  return this;
};

R[Symbol.asyncIterator] = function () {
  const stream = this;
  const s = this._readableState;
  let error = null, done = false, wake = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on("readable", signal);
  stream.on("end", () => {
    done = true;
    signal();
  });
  stream.on("error", (e) => {
    error = e;
    signal();
  });
  stream.on("close", () => {
    done = true;
    signal();
  });
  return {
    async next() {
      for (;;) {
        if (error) throw error;
        // read() also asks for more, and emits 'end' once all is read.
        const chunk = s.destroyed ? null : stream.read();
        if (chunk !== null) return { value: chunk, done: false };
        if (done || s.ended) return { value: undefined, done: true };
        await new Promise((resolve) => (wake = resolve));
      }
    },
    async return() {
      done = true;
      stream.destroy();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
};

// Readable.from(iterable): a readable (object mode by default) of the items of
// a sync or async iterable; a string or Buffer is one chunk.
Readable.from = function (iterable, options) {
  if (typeof iterable === "string" || iterable instanceof Uint8Array) {
    let sent = false;
    return new Readable({
      objectMode: true,
      ...options,
      read() {
        this.push(sent ? null : iterable);
        sent = true;
      },
    });
  }
  const it = iterable?.[Symbol.asyncIterator]?.() ?? iterable?.[Symbol.iterator]?.();
  if (!it) throw err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "iterable" argument must be an instance of Iterable');
  let pulling = false;
  const readable = new Readable({
    objectMode: true,
    highWaterMark: 1,
    ...options,
    async read() {
      if (pulling) return;
      pulling = true;
      try {
        for (;;) {
          const { value, done } = await it.next();
          if (done) {
            this.push(null);
            break;
          }
          const v = await value;
          if (v === null) throw err(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
          if (!this.push(v)) break;
        }
      } catch (e) {
        this.destroy(e);
      }
      pulling = false;
    },
    destroy(error, cb) {
      Promise.resolve(it.return?.()).then(() => cb(error), cb);
    },
  });
  return readable;
};

for (const [name, get] of Object.entries({
  readable: function () {
    const s = this._readableState;
    return !!s && !s.destroyed && !s.endEmitted && !s.errored;
  },
  readableEnded: function () {
    return this._readableState.endEmitted;
  },
  readableLength: function () {
    return this._readableState.length;
  },
  readableFlowing: function () {
    return this._readableState.flowing;
  },
  readableHighWaterMark: function () {
    return this._readableState.highWaterMark;
  },
  readableObjectMode: function () {
    return this._readableState.objectMode;
  },
  readableEncoding: function () {
    return this._readableState.encoding;
  },
  destroyed: function () {
    return (this._readableState ?? this._writableState).destroyed;
  },
  closed: function () {
    return (this._readableState ?? this._writableState).closed;
  },
  errored: function () {
    return (this._readableState ?? this._writableState).errored;
  },
})) {
  Object.defineProperty(R, name, { get, configurable: true });
}

// destroy(err): stops the stream, then 'error' (if err) and 'close' on a
// microtask. Shared by every kind of stream.
function destroy(error, cb) {
  const states = [this._readableState, this._writableState].filter(Boolean);
  if (states.some((s) => s.destroyed)) {
    if (typeof cb === "function") cb(error);
    return this;
  }
  for (const s of states) {
    s.destroyed = true;
    if (error) s.errored = error;
  }
  const done = (e) => {
    e = e ?? error;
    tick(() => {
      if (e) {
        for (const s of states) s.errored = e;
        this.emit("error", e);
      }
      for (const s of states) s.closed = true;
      if (states.every((s) => s.emitClose !== false)) this.emit("close");
      if (typeof cb === "function") cb(e);
    });
  };
  try {
    this._destroy(error ?? null, done);
  } catch (e) {
    done(e);
  }
  return this;
}
R.destroy = destroy;
R._destroy = function (error, cb) {
  cb(error);
};

// ---- Writable ----

export function Writable(options) {
  if (!(this instanceof Writable) && !(this instanceof Duplex)) return new Writable(options);
  Stream.call(this, options);
  initWritable(this, options);
}
function initWritable(stream, options) {
  const objectMode = !!(options?.objectMode || options?.writableObjectMode);
  stream._writableState = {
    objectMode,
    highWaterMark: hwm(options, "writableHighWaterMark", objectMode),
    decodeStrings: options?.decodeStrings !== false,
    defaultEncoding: options?.defaultEncoding ?? "utf8",
    length: 0,
    buffered: [],
    writing: false,
    corked: 0,
    needDrain: false,
    ending: false,
    ended: false,
    finished: false,
    finalCalled: false,
    pendingcb: 0,
    destroyed: false,
    closed: false,
    errored: null,
    autoDestroy: options?.autoDestroy !== false,
    emitClose: options?.emitClose !== false,
  };
  if (typeof options?.write === "function") stream._write = options.write;
  if (typeof options?.writev === "function") stream._writev = options.writev;
  if (typeof options?.final === "function") stream._final = options.final;
  if (typeof options?.destroy === "function") stream._destroy = options.destroy;
  if (options?.signal) addAbortSignal(options.signal, stream);
}
Object.setPrototypeOf(Writable.prototype, Stream.prototype);
Object.setPrototypeOf(Writable, Stream);
Object.defineProperty(Writable, Symbol.hasInstance, {
  value(obj) {
    if (Function.prototype[Symbol.hasInstance].call(this, obj)) return true;
    return this === Writable && !!obj?._writableState;
  },
});

const W = Writable.prototype;
W._write = function (chunk, encoding, cb) {
  if (typeof this._writev === "function") this._writev([{ chunk, encoding }], cb);
  else throw err(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _write() method is not implemented");
};
W.write = function (chunk, encoding, cb) {
  const s = this._writableState;
  if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
  encoding = encoding ?? s.defaultEncoding;
  cb = typeof cb === "function" ? cb : () => {};
  let e = null;
  if (chunk === null) e = err(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
  else if (!s.objectMode) {
    if (typeof chunk === "string") {
      if (s.decodeStrings) {
        chunk = internal.Buffer.from(chunk, encoding);
        encoding = "buffer";
      }
    } else if (chunk instanceof Uint8Array) {
      if (!(chunk instanceof internal.Buffer)) chunk = internal.Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      encoding = "buffer";
    } else {
      e = err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ' + (chunk === undefined ? "undefined" : typeof chunk));
    }
  }
  if (!e && s.ending) e = err(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end");
  if (!e && s.destroyed) e = err(Error, "ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed");
  if (e) {
    tick(cb, e);
    if (e.code === "ERR_INVALID_ARG_TYPE" || e.code === "ERR_STREAM_NULL_VALUES") throw e;
    if (!s.destroyed) this.destroy(e);
    return false;
  }
  const size = s.objectMode ? 1 : chunk.length;
  s.length += size;
  const ok = s.length < s.highWaterMark;
  if (!ok) s.needDrain = true;
  if (s.writing || s.corked || s.errored) s.buffered.push({ chunk, encoding, cb, size });
  else doWrite(this, { chunk, encoding, cb, size });
  return ok && !s.errored;
};
function doWrite(stream, w) {
  const s = stream._writableState;
  s.writing = true;
  s.pendingcb++;
  let called = false;
  const onwrite = (e) => {
    if (called) {
      stream.destroy(err(Error, "ERR_MULTIPLE_CALLBACK", "Callback called multiple times"));
      return;
    }
    called = true;
    s.writing = false;
    s.length -= w.size;
    s.pendingcb--;
    if (e) {
      tick(w.cb, e);
      stream.destroy(e);
      return;
    }
    tick(() => {
      w.cb(null);
      afterWrite(stream);
    });
  };
  try {
    stream._write(w.chunk, w.encoding, onwrite);
  } catch (e) {
    onwrite(e);
  }
}
function afterWrite(stream) {
  const s = stream._writableState;
  if (s.destroyed) return;
  if (!s.writing && !s.corked && s.buffered.length) {
    doWrite(stream, s.buffered.shift());
    return;
  }
  if (s.needDrain && s.length === 0 && !s.ending) {
    s.needDrain = false;
    stream.emit("drain");
  }
  maybeFinish(stream);
}
function maybeFinish(stream) {
  const s = stream._writableState;
  if (!s.ending || s.finished || s.writing || s.buffered.length || s.destroyed || s.finishing) return;
  s.finishing = true;
  const finish = (e) => {
    if (e) {
      stream.destroy(e);
      return;
    }
    tick(() => {
      if (s.destroyed) return;
      s.finished = true;
      stream.emit("finish");
      const r = stream._readableState;
      if (s.autoDestroy && (!r || r.endEmitted || r.destroyed)) stream.destroy();
    });
  };
  if (typeof stream._final === "function") {
    try {
      stream._final(finish);
    } catch (e) {
      finish(e);
    }
  } else finish();
}
W.end = function (chunk, encoding, cb) {
  const s = this._writableState;
  if (typeof chunk === "function") [cb, chunk, encoding] = [chunk, undefined, undefined];
  else if (typeof encoding === "function") [cb, encoding] = [encoding, undefined];
  if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
  if (s.corked) {
    s.corked = 1;
    this.uncork();
  }
  if (typeof cb === "function") {
    if (s.finished) tick(cb, null);
    else if (s.ending) tick(cb, err(Error, "ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished"));
    else {
      this.once("finish", () => cb(null));
      this.once("error", (e) => cb(e));
    }
  }
  if (!s.ending) {
    s.ending = true;
    s.ended = true;
    tick(() => maybeFinish(this));
  }
  return this;
};
W.cork = function () {
  this._writableState.corked++;
};
W.uncork = function () {
  const s = this._writableState;
  if (s.corked > 0 && --s.corked === 0 && !s.writing && s.buffered.length) doWrite(this, s.buffered.shift());
};
W.setDefaultEncoding = function (encoding) {
  if (!internal.Buffer.isEncoding(encoding)) throw err(TypeError, "ERR_UNKNOWN_ENCODING", "Unknown encoding: " + encoding);
  this._writableState.defaultEncoding = encoding;
  return this;
};
W.destroy = destroy;
W._destroy = R._destroy;
for (const [name, get] of Object.entries({
  writable: function () {
    const s = this._writableState;
    return !!s && !s.destroyed && !s.ending && !s.errored;
  },
  writableEnded: function () {
    return this._writableState.ending;
  },
  writableFinished: function () {
    return this._writableState.finished;
  },
  writableLength: function () {
    return this._writableState.length;
  },
  writableHighWaterMark: function () {
    return this._writableState.highWaterMark;
  },
  writableObjectMode: function () {
    return this._writableState.objectMode;
  },
  writableCorked: function () {
    return this._writableState.corked;
  },
  writableNeedDrain: function () {
    return this._writableState.needDrain;
  },
  destroyed: function () {
    return this._writableState.destroyed;
  },
  closed: function () {
    return this._writableState.closed;
  },
  errored: function () {
    return this._writableState.errored;
  },
})) {
  Object.defineProperty(W, name, { get, configurable: true });
}

// ---- Duplex, Transform, PassThrough ----

export function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  Readable.call(this, options);
  initWritable(this, options);
  this.allowHalfOpen = options?.allowHalfOpen !== false;
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);
for (const key of Reflect.ownKeys(W)) {
  if (key === "constructor" || key === "destroy" || key === "_destroy" || key === "destroyed" || key === "closed" || key === "errored") continue;
  Object.defineProperty(Duplex.prototype, key, Object.getOwnPropertyDescriptor(W, key));
}

export function Transform(options) {
  if (!(this instanceof Transform)) return new Transform(options);
  Duplex.call(this, options);
  if (typeof options?.transform === "function") this._transform = options.transform;
  if (typeof options?.flush === "function") this._flush = options.flush;
  this._pendingWrite = null;
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);
Transform.prototype._transform = function () {
  throw err(Error, "ERR_METHOD_NOT_IMPLEMENTED", "The _transform() method is not implemented");
};
Transform.prototype._write = function (chunk, encoding, cb) {
  let called = false;
  this._transform(chunk, encoding, (e, data) => {
    if (called) return this.destroy(err(Error, "ERR_MULTIPLE_CALLBACK", "Callback called multiple times"));
    called = true;
    if (e) return cb(e);
    if (data !== undefined && data !== null) this.push(data);
    const r = this._readableState;
    // Backpressure: hold the write until the readable side is read from.
    if (r.length < r.highWaterMark || r.ended) cb();
    else this._pendingWrite = cb;
  });
};
Transform.prototype._read = function () {
  const cb = this._pendingWrite;
  if (cb) {
    this._pendingWrite = null;
    cb();
  }
};
Transform.prototype._final = function (cb) {
  const done = (e, data) => {
    if (e) return cb(e);
    if (data !== undefined && data !== null) this.push(data);
    this.push(null);
    cb();
  };
  if (typeof this._flush === "function") {
    try {
      this._flush(done);
    } catch (e) {
      cb(e);
    }
  } else done();
};

export function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);
PassThrough.prototype._transform = function (chunk, encoding, cb) {
  cb(null, chunk);
};

// ---- utilities ----

// finished(stream[, options], callback): calls back once the stream has ended
// ('end' for readables, 'finish' for writables), errored or closed early.
// Returns a function removing the listeners.
export function finished(stream, options, callback) {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (typeof callback !== "function") throw err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
  const r = stream._readableState, w = stream._writableState;
  const wantRead = options?.readable !== false && !!r;
  const wantWrite = options?.writable !== false && !!w;
  let readDone = !wantRead || r.endEmitted, writeDone = !wantWrite || w.finished;
  let called = false;
  const call = (e) => {
    if (called) return;
    called = true;
    cleanup();
    callback.call(stream, e);
  };
  const onEnd = () => {
    readDone = true;
    if (writeDone) call();
  };
  const onFinish = () => {
    writeDone = true;
    if (readDone) call();
  };
  const onError = (e) => call(e);
  const onClose = () => {
    if (readDone && writeDone) call();
    else call(err(Error, "ERR_STREAM_PREMATURE_CLOSE", "Premature close"));
  };
  stream.on("end", onEnd);
  stream.on("finish", onFinish);
  stream.on("error", onError);
  stream.on("close", onClose);
  const cleanup = () => {
    stream.removeListener("end", onEnd);
    stream.removeListener("finish", onFinish);
    stream.removeListener("error", onError);
    stream.removeListener("close", onClose);
  };
  const errored = r?.errored ?? w?.errored;
  if (errored) tick(call, errored);
  else if (readDone && writeDone) tick(call);
  else if ((r ?? w).closed) tick(onClose);
  return cleanup;
}

// pipeline(source, ...transforms, destination[, callback]): pipes each stream
// into the next, destroys them all on the first error, and calls back once
// the destination has finished. A source may be an iterable, a transform or
// destination a function taking the previous stage's async iterable (an async
// generator function).
export function pipeline(...streams) {
  const callback = streams.pop();
  if (typeof callback !== "function") throw err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  return runPipeline(streams, callback);
}
function runPipeline(stages, callback) {
  if (stages.length < 2) throw err(TypeError, "ERR_MISSING_ARGS", 'The "streams" argument must be specified');
  const streams = [];
  let prev = null, lastPromise = null;
  stages.forEach((stage, i) => {
    let s = stage;
    if (typeof stage === "function") {
      s = i === 0 ? stage() : stage(prev);
      if (i === stages.length - 1 && s && typeof s.then === "function") {
        lastPromise = s;
        return;
      }
    }
    if (!(s && typeof s.on === "function")) {
      if (s && (s[Symbol.asyncIterator] || s[Symbol.iterator])) s = Readable.from(s);
      else throw err(TypeError, "ERR_INVALID_ARG_TYPE", `pipeline: stage ${i} is not a stream, an iterable or a function`);
    } else if (prev && typeof stage !== "function") {
      prev.pipe(s);
    }
    streams.push(s);
    prev = s;
  });
  const last = streams[streams.length - 1];
  let done = false;
  const finish = (e, value) => {
    if (done) return;
    done = true;
    if (e) for (const s of streams) if (!s.destroyed) s.destroy(e);
    callback(e ?? undefined, value);
  };
  for (const s of streams) {
    finished(s, (e) => {
      if (e) finish(e);
      else if (s === last && !lastPromise) finish();
    });
  }
  if (lastPromise) lastPromise.then((v) => finish(undefined, v), (e) => finish(e));
  return last;
}

// addAbortSignal(signal, stream): destroys the stream with an AbortError when
// the signal aborts.
export function addAbortSignal(signal, stream) {
  if (!signal || typeof signal.addEventListener !== "function") {
    throw err(TypeError, "ERR_INVALID_ARG_TYPE", 'The "signal" argument must be an instance of AbortSignal');
  }
  const abort = () => {
    const e = new Error("The operation was aborted", { cause: signal.reason });
    e.name = "AbortError";
    e.code = "ABORT_ERR";
    stream.destroy(e);
  };
  if (signal.aborted) tick(abort);
  else signal.addEventListener("abort", abort, { once: true });
  return stream;
}

export const promises = {
  pipeline: (...streams) => new Promise((resolve, reject) => pipeline(...streams, (e, v) => (e ? reject(e) : resolve(v)))),
  finished: (stream, options) => new Promise((resolve, reject) => finished(stream, options ?? {}, (e) => (e ? reject(e) : resolve()))),
};

export function isReadable(s) {
  return !!s?._readableState && s.readable;
}
export function isErrored(s) {
  return !!(s?._readableState?.errored ?? s?._writableState?.errored);
}

Object.assign(Stream, { Stream, Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, addAbortSignal, promises, isReadable, isErrored });
export default Stream;
