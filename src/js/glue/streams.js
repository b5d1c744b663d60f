// @lazy globals: ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController; internal: ReadableStream, readAllBytes, streamFromBytes, streamDisturbed, incomingStream, pumpBody
// WHATWG Streams, compact: ReadableStream (default reader, tee, async
// iteration, from, pipeTo/pipeThrough with an AbortSignal), enough for request
// and response bodies and for piping. WritableStream and TransformStream
// (streams-writable.js) and the queuing strategies (streams-queuing.js) are
// their own lazy files, loaded only by a function that uses them: most
// functions only ever read a body.
// Departures: `type: "bytes"` streams are accepted but behave as default
// streams (their controller has no byobRequest, getReader({ mode: "byob" }) is
// a TypeError): BYOB readers are not implemented. tee() hands the same chunk
// objects to both branches (the spec does too, unless cloning is asked for).
(function (internal, global) {
  "use strict";
  const ILLEGAL = {};
  const noop = () => {};
  const resolved = Promise.resolve();
  const handled = (p) => (p.catch(noop), p);
  function deferred() {
    let resolve, reject;
    const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
    return { promise, resolve, reject };
  }
  // Calls an optional method of an underlying source/sink as a promise.
  function call(obj, name, args) {
    try {
      const f = obj[name];
      if (f === undefined) return resolved;
      if (typeof f !== "function") return Promise.reject(new TypeError(`${name} must be a function`));
      return Promise.resolve(f.apply(obj, args));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  function checkMethods(obj, names, what) {
    for (const n of names) {
      if (obj[n] !== undefined && typeof obj[n] !== "function") throw new TypeError(`${what}: ${n} must be a function`);
    }
  }
  // ExtractHighWaterMark / ExtractSizeAlgorithm (Streams §7.4).
  function strategyOf(strategy, defaultHwm) {
    if (strategy === undefined || strategy === null) return [defaultHwm, () => 1];
    if (typeof strategy !== "object") throw new TypeError("the queuing strategy must be an object");
    let hwm = defaultHwm;
    if (strategy.highWaterMark !== undefined) {
      hwm = Number(strategy.highWaterMark);
      if (Number.isNaN(hwm) || hwm < 0) throw new RangeError(`highWaterMark must be a non-negative number (got ${strategy.highWaterMark})`);
    }
    const size = strategy.size;
    if (size !== undefined && typeof size !== "function") throw new TypeError("the queuing strategy's size must be a function");
    return [hwm, size === undefined ? () => 1 : (chunk) => size(chunk)];
  }
  function chunkSize(q, chunk) {
    const n = Number(q.sizeFn(chunk));
    if (Number.isNaN(n) || n < 0 || n === Infinity) throw new RangeError("the queuing strategy's size must be a finite non-negative number");
    return n;
  }

  // ---- ReadableStream -------------------------------------------------------
  // State `s`: { state, error, disturbed, reader, queue, total, hwm, sizeFn,
  // started, closeRequested, pulling, pullAgain, source, controller }.
  let stateOf;
  const rsDesired = (s) => (s.state === "errored" ? null : s.state === "closed" ? 0 : s.hwm - s.total);
  function rsCallPull(s) {
    const wanted = s.started && !s.closeRequested && s.state === "readable" &&
      ((s.reader && s.reader.requests.length > 0) || rsDesired(s) > 0);
    if (!wanted) return;
    if (s.pulling) {
      s.pullAgain = true;
      return;
    }
    s.pulling = true;
    s.pull().then(() => {
      s.pulling = false;
      if (s.pullAgain) {
        s.pullAgain = false;
        rsCallPull(s);
      }
    }, (e) => rsError(s, e));
  }
  function rsFinishClose(s) {
    s.state = "closed";
    const r = s.reader;
    if (r) {
      for (const req of r.requests.splice(0)) req.resolve({ value: undefined, done: true });
      r.closed.resolve();
    }
  }
  function rsError(s, e) {
    if (s.state !== "readable") return;
    s.state = "errored";
    s.error = e;
    s.queue = [];
    s.total = 0;
    const r = s.reader;
    if (r) {
      for (const req of r.requests.splice(0)) req.reject(e);
      r.closed.reject(e);
      handled(r.closed.promise);
    }
  }
  function rsEnqueue(s, chunk) {
    if (s.closeRequested || s.state !== "readable") throw new TypeError("enqueue: the stream is closed or closing");
    const r = s.reader;
    if (r && r.requests.length > 0) {
      r.requests.shift().resolve({ value: chunk, done: false });
    } else {
      let n;
      try {
        n = chunkSize(s, chunk);
      } catch (e) {
        rsError(s, e);
        throw e;
      }
      s.queue.push([chunk, n]);
      s.total += n;
    }
    rsCallPull(s);
  }
  function rsClose(s) {
    if (s.closeRequested || s.state !== "readable") throw new TypeError("close: the stream is closed or closing");
    s.closeRequested = true;
    if (s.queue.length === 0) rsFinishClose(s);
  }
  function rsCancel(s, reason) {
    s.disturbed = true;
    if (s.state === "closed") return resolved;
    if (s.state === "errored") return Promise.reject(s.error);
    s.queue = [];
    s.total = 0;
    rsFinishClose(s);
    return s.cancel(reason).then(noop);
  }
  function rsRead(s) {
    s.disturbed = true;
    if (s.state === "closed") return Promise.resolve({ value: undefined, done: true });
    if (s.state === "errored") return Promise.reject(s.error);
    if (s.queue.length > 0) {
      const [chunk, n] = s.queue.shift();
      s.total -= n;
      if (s.queue.length === 0) s.total = 0; // no float drift
      if (s.closeRequested && s.queue.length === 0) rsFinishClose(s);
      else rsCallPull(s);
      return Promise.resolve({ value: chunk, done: false });
    }
    const d = deferred();
    s.reader.requests.push(d);
    rsCallPull(s);
    return d.promise;
  }

  class ReadableStreamDefaultController {
    #s;
    constructor(key, s) {
      if (key !== ILLEGAL) throw new TypeError("ReadableStreamDefaultController: illegal constructor");
      this.#s = s;
    }
    get desiredSize() {
      return rsDesired(this.#s);
    }
    close() {
      rsClose(this.#s);
    }
    enqueue(chunk) {
      rsEnqueue(this.#s, chunk);
    }
    error(e) {
      rsError(this.#s, e);
    }
    get [Symbol.toStringTag]() {
      return "ReadableStreamDefaultController";
    }
  }

  class ReadableStreamDefaultReader {
    #r;
    constructor(stream) {
      if (!(stream instanceof ReadableStream)) throw new TypeError("ReadableStreamDefaultReader: the argument must be a ReadableStream");
      const s = stateOf(stream);
      if (s.reader) throw new TypeError("ReadableStreamDefaultReader: the stream is locked to another reader");
      const r = (this.#r = { s, requests: [], closed: deferred() });
      s.reader = r;
      if (s.state === "closed") r.closed.resolve();
      else if (s.state === "errored") {
        r.closed.reject(s.error);
        handled(r.closed.promise);
      }
    }
    get closed() {
      return this.#r.closed.promise;
    }
    read() {
      if (!this.#r.s) return Promise.reject(new TypeError("read: the reader has been released"));
      return rsRead(this.#r.s);
    }
    cancel(reason = undefined) {
      if (!this.#r.s) return Promise.reject(new TypeError("cancel: the reader has been released"));
      return rsCancel(this.#r.s, reason);
    }
    releaseLock() {
      const r = this.#r;
      if (!r.s) return;
      const e = new TypeError("the reader was released");
      for (const req of r.requests.splice(0)) req.reject(e);
      if (r.s.state === "readable") r.closed.reject(e);
      else r.closed = { promise: Promise.reject(e) };
      handled(r.closed.promise);
      r.s.reader = null;
      r.s = null;
    }
    get [Symbol.toStringTag]() {
      return "ReadableStreamDefaultReader";
    }
  }

  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);

  class ReadableStream {
    #s;
    constructor(source = undefined, strategy = undefined) {
      if (source === ILLEGAL) {
        // Internal: strategy = [start, pull, cancel, hwm, sizeFn]
        this.#s = this.#init(...strategy);
        return;
      }
      if (source === null || source === undefined) source = {};
      if (typeof source !== "object") throw new TypeError("ReadableStream: the underlying source must be an object");
      checkMethods(source, ["start", "pull", "cancel"], "ReadableStream");
      const type = source.type;
      if (type !== undefined && String(type) !== "bytes") throw new TypeError(`ReadableStream: invalid type ${JSON.stringify(String(type))}`);
      const [hwm, sizeFn] = strategyOf(strategy, type === undefined ? 1 : 0);
      if (type !== undefined && strategy?.size !== undefined) throw new RangeError("ReadableStream: a byte stream cannot have a size function");
      this.#s = this.#init(
        (c) => (source.start === undefined ? undefined : source.start.call(source, c)),
        (c) => call(source, "pull", [c]),
        (reason) => call(source, "cancel", [reason]),
        hwm,
        sizeFn,
      );
    }
    #init(start, pull, cancel, hwm, sizeFn) {
      const s = { state: "readable", error: undefined, disturbed: false, reader: null, queue: [], total: 0, hwm, sizeFn,
        started: false, closeRequested: false, pulling: false, pullAgain: false, cancel };
      const c = (s.controller = new ReadableStreamDefaultController(ILLEGAL, s));
      s.pull = () => pull(c);
      Promise.resolve(start(c)).then(() => {
        s.started = true;
        rsCallPull(s);
      }, (e) => rsError(s, e));
      return s;
    }
    get locked() {
      return this.#s.reader !== null;
    }
    cancel(reason = undefined) {
      if (this.#s.reader) return Promise.reject(new TypeError("cancel: the stream is locked to a reader"));
      return rsCancel(this.#s, reason);
    }
    getReader(options = undefined) {
      const mode = options?.mode;
      if (mode !== undefined) {
        if (String(mode) === "byob") throw new TypeError("getReader: BYOB readers are not supported (read with the default reader)");
        throw new TypeError(`getReader: invalid mode ${JSON.stringify(String(mode))}`);
      }
      return new ReadableStreamDefaultReader(this);
    }
    pipeThrough(transform, options = undefined) {
      if (transform === null || typeof transform !== "object") throw new TypeError("pipeThrough: expected { writable, readable }");
      const { writable, readable } = transform;
      if (!isWritable(writable)) throw new TypeError("pipeThrough: transform.writable must be a WritableStream");
      if (!(readable instanceof ReadableStream)) throw new TypeError("pipeThrough: transform.readable must be a ReadableStream");
      if (this.locked) throw new TypeError("pipeThrough: the stream is locked");
      if (writable.locked) throw new TypeError("pipeThrough: the writable side is locked");
      handled(this.pipeTo(writable, options));
      return readable;
    }
    pipeTo(dest, options = undefined) {
      if (!isWritable(dest)) return Promise.reject(new TypeError("pipeTo: the destination must be a WritableStream"));
      if (this.locked) return Promise.reject(new TypeError("pipeTo: the stream is locked"));
      if (dest.locked) return Promise.reject(new TypeError("pipeTo: the destination is locked"));
      const signal = options?.signal;
      if (signal !== undefined && !(internal.peek("AbortSignal") && signal instanceof internal.AbortSignal)) {
        return Promise.reject(new TypeError("pipeTo: options.signal must be an AbortSignal"));
      }
      return pipe(this, dest, !!options?.preventClose, !!options?.preventAbort, !!options?.preventCancel, signal);
    }
    tee() {
      return tee(this);
    }
    values(options = undefined) {
      const reader = this.getReader();
      const preventCancel = !!options?.preventCancel;
      let done = false;
      const it = Object.create(ReadableStreamAsyncIteratorPrototype);
      it.next = async () => {
        if (done) return { value: undefined, done: true };
        try {
          const r = await reader.read();
          if (r.done) {
            done = true;
            reader.releaseLock();
          }
          return r;
        } catch (e) {
          done = true;
          reader.releaseLock();
          throw e;
        }
      };
      it.return = async (value) => {
        if (!done) {
          done = true;
          const p = preventCancel ? undefined : reader.cancel(value);
          reader.releaseLock();
          await p;
        }
        return { value, done: true };
      };
      return it;
    }
    [Symbol.asyncIterator](options = undefined) {
      return this.values(options);
    }
    static from(iterable) {
      if (iterable instanceof ReadableStream) return iterable;
      if (iterable === null || iterable === undefined) throw new TypeError("ReadableStream.from: expected an iterable or async iterable");
      let it;
      const asyncMethod = iterable[Symbol.asyncIterator];
      if (asyncMethod !== undefined && asyncMethod !== null) it = asyncMethod.call(iterable);
      else {
        const syncMethod = iterable[Symbol.iterator];
        if (typeof syncMethod !== "function") throw new TypeError("ReadableStream.from: the argument is not iterable");
        it = syncMethod.call(iterable);
      }
      if (it === null || typeof it !== "object") throw new TypeError("ReadableStream.from: the iterator is not an object");
      return new ReadableStream(ILLEGAL, [
        noop,
        async (c) => {
          const r = await it.next();
          if (r === null || typeof r !== "object") throw new TypeError("ReadableStream.from: next() must return an object");
          if (r.done) c.close();
          else c.enqueue(await r.value);
        },
        async (reason) => {
          const ret = it.return;
          if (ret === undefined || ret === null) return;
          const r = await ret.call(it, reason);
          if (r === null || typeof r !== "object") throw new TypeError("ReadableStream.from: return() must return an object");
        },
        0,
        () => 1,
      ]);
    }
    get [Symbol.toStringTag]() {
      return "ReadableStream";
    }
    static {
      stateOf = (stream) => stream.#s;
    }
  }
  const ReadableStreamAsyncIteratorPrototype = Object.create(AsyncIteratorPrototype);

  // ReadableStreamDefaultTee (Streams §4.9.1), no cloning.
  function tee(stream) {
    const reader = stream.getReader();
    let reading = false, readAgain = false, canceled1 = false, canceled2 = false, reason1, reason2;
    const cancelDone = deferred();
    let c1, c2;
    const pull = () => {
      if (reading) {
        readAgain = true;
        return resolved;
      }
      reading = true;
      reader.read().then(({ value, done }) => {
        if (done) {
          reading = false;
          if (!canceled1) c1.close();
          if (!canceled2) c2.close();
          if (!canceled1 || !canceled2) cancelDone.resolve();
          return;
        }
        if (!canceled1) c1.enqueue(value);
        if (!canceled2) c2.enqueue(value);
        reading = false;
        if (readAgain) {
          readAgain = false;
          pull();
        }
      }, noop);
      return resolved;
    };
    const cancelBoth = () => rsCancel(stateOf(stream), [reason1, reason2]).then(cancelDone.resolve, cancelDone.reject);
    const branch = (i) =>
      new ReadableStream(ILLEGAL, [
        (c) => void (i === 1 ? (c1 = c) : (c2 = c)),
        pull,
        (reason) => {
          if (i === 1) (canceled1 = true), (reason1 = reason);
          else (canceled2 = true), (reason2 = reason);
          if (canceled1 && canceled2) cancelBoth();
          return cancelDone.promise;
        },
        1,
        () => 1,
      ]);
    const b1 = branch(1), b2 = branch(2);
    reader.closed.catch((e) => {
      rsError(stateOf(b1), e);
      rsError(stateOf(b2), e);
      if (!canceled1 || !canceled2) cancelDone.resolve();
    });
    return [b1, b2];
  }

  // A WritableStream exists only once streams-writable.js ran.
  const isWritable = (v) => !!internal.peek("WritableStream") && v instanceof internal.WritableStream;

  // ReadableStreamPipeTo (Streams §4.9.2), as one async loop.
  async function pipe(source, dest, preventClose, preventAbort, preventCancel, signal) {
    const reader = source.getReader();
    const writer = dest.getWriter();
    const s = stateOf(source);
    source = null;
    let abortReason, onAbort;
    const aborted = new Promise((_, reject) => {
      onAbort = () => reject((abortReason = { reason: signal.reason }));
      if (signal) {
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort);
      }
    });
    handled(aborted);
    const destFailed = writer.closed.then(() => Promise.reject({ destClosed: true }), (e) => Promise.reject({ destError: e }));
    handled(destFailed);
    let lastWrite = resolved;
    try {
      for (;;) {
        await Promise.race([writer.ready.catch((e) => Promise.reject({ destError: e })), aborted, destFailed]);
        const r = await Promise.race([reader.read().then((v) => v, (e) => Promise.reject({ sourceError: e })), aborted, destFailed]);
        if (r.done) break;
        lastWrite = handled(writer.write(r.value));
      }
      await lastWrite.catch(noop);
      if (!preventClose) await writer.close();
    } catch (why) {
      await lastWrite.catch(noop);
      if (why === abortReason) {
        const actions = [];
        if (!preventAbort) actions.push(writer.abort(why.reason));
        if (!preventCancel) actions.push(reader.cancel(why.reason));
        await Promise.all(actions).catch(noop);
        throw why.reason;
      }
      if (why && "sourceError" in why) {
        if (!preventAbort) await writer.abort(why.sourceError).catch(noop);
        throw why.sourceError;
      }
      if (why && "destError" in why) {
        if (!preventCancel) await reader.cancel(why.destError).catch(noop);
        throw why.destError;
      }
      if (why && why.destClosed) {
        const e = new TypeError("pipeTo: the destination was closed");
        if (!preventCancel) await reader.cancel(e).catch(noop);
        throw e;
      }
      throw why;
    } finally {
      if (signal) signal.removeEventListener("abort", onAbort);
      writer.releaseLock();
      reader.releaseLock();
    }
  }

  // ---- For the Body mixin ----------------------------------------------------
  // Reads a body stream to its end; every chunk must be a Uint8Array (Fetch
  // §5.3 "fully read").
  internal.readAllBytes = async (stream) => {
    const reader = stream.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        const e = new TypeError("a body stream chunk must be a Uint8Array");
        reader.cancel(e).catch(noop);
        throw e;
      }
      chunks.push(value);
      total += value.length;
    }
    reader.releaseLock();
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) out.set(c, at), (at += c.length);
    return out;
  };
  // A stream of one chunk (a body held as bytes).
  internal.streamFromBytes = (bytes) =>
    new ReadableStream(ILLEGAL, [
      (c) => {
        if (bytes.length > 0) c.enqueue(bytes);
        c.close();
      },
      () => resolved,
      () => resolved,
      0,
      () => 1,
    ]);
  internal.streamDisturbed = (stream) => stateOf(stream).disturbed;

  // ---- Bodies in transit (src/js/natives/transit.rs) -------------------------
  // A request body the connection sends a piece at a time, as the handler
  // reads it: nothing is read ahead of a read (highWaterMark 0).
  internal.incomingStream = (token) =>
    new ReadableStream(
      {
        async pull(c) {
          const piece = await internal.pullBody(token);
          if (piece === null) c.close();
          else c.enqueue(piece);
        },
      },
      { highWaterMark: 0 },
    );
  // Sends a response body stream to the connection in pieces of at most
  // 16 KiB, each once the one before was written: the stream is read no
  // faster than the client takes it. A piece not wanted (a HEAD request)
  // ends it quietly.
  const PIECE = 16384;
  internal.pumpBody = async (stream, token) => {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) throw new TypeError("a body stream chunk must be a Uint8Array");
        for (let at = 0; at < value.length; at += PIECE) {
          if (!(await internal.sendPiece(token, value.subarray(at, at + PIECE)))) {
            reader.cancel().catch(noop);
            return internal.endBody(token, true);
          }
        }
      }
      internal.endBody(token, true);
    } catch (e) {
      try {
        internal.endBody(token, false);
      } catch {}
      reader.cancel(e).catch(noop);
      internal.console.error("streamed response body failed:", e);
    }
  };

  // What streams-writable.js shares with this file.
  internal.streamKit = {
    ILLEGAL, noop, resolved, handled, deferred, call, checkMethods, strategyOf, chunkSize,
    stateOf, rsDesired, rsEnqueue, rsClose, rsError,
  };
  internal.ReadableStream = ReadableStream;
  for (const C of [ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController]) internal.expose(C.name, C);
});
