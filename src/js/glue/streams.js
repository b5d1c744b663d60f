// @lazy globals: ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController, WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController, TransformStream, TransformStreamDefaultController, ByteLengthQueuingStrategy, CountQueuingStrategy; internal: ReadableStream, WritableStream, TransformStream, readAllBytes, streamFromBytes, streamDisturbed
// WHATWG Streams, compact: ReadableStream (default reader, tee, async
// iteration, from, pipeTo/pipeThrough with an AbortSignal), WritableStream,
// TransformStream and the two queuing strategies, enough for request and
// response bodies and for piping.
// Departures: `type: "bytes"` streams are accepted but behave as default
// streams (their controller has no byobRequest, getReader({ mode: "byob" }) is
// a TypeError): BYOB readers are not implemented. tee() hands the same chunk
// objects to both branches (the spec does too, unless cloning is asked for).
// A WritableStream runs "erroring" as one step after the write in flight.
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
      if (!(writable instanceof WritableStream)) throw new TypeError("pipeThrough: transform.writable must be a WritableStream");
      if (!(readable instanceof ReadableStream)) throw new TypeError("pipeThrough: transform.readable must be a ReadableStream");
      if (this.locked) throw new TypeError("pipeThrough: the stream is locked");
      if (writable.locked) throw new TypeError("pipeThrough: the writable side is locked");
      handled(this.pipeTo(writable, options));
      return readable;
    }
    pipeTo(dest, options = undefined) {
      if (!(dest instanceof WritableStream)) return Promise.reject(new TypeError("pipeTo: the destination must be a WritableStream"));
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

  // ---- WritableStream -------------------------------------------------------
  // State `w`: { state, error, writer, queue, total, hwm, sizeFn, started,
  // busy, closeRequest, sink: {write, close, abort}, abortRequest, ctl }.
  let wsStateOf;
  const wsDesired = (w) => (w.state === "errored" || w.state === "erroring" ? null : w.state === "closed" ? 0 : w.hwm - w.total);
  function wsUpdateReady(w) {
    const wr = w.writer;
    if (!wr || w.state !== "writable") return;
    const pressure = !w.closeRequest && wsDesired(w) <= 0;
    if (pressure && wr.readySettled) wr.ready = deferred(), (wr.readySettled = false);
    else if (!pressure && !wr.readySettled) wr.ready.resolve(), (wr.readySettled = true);
  }
  function wsStartErroring(w, reason) {
    if (w.state !== "writable") return;
    w.state = "erroring";
    w.error = reason;
    const wr = w.writer;
    if (wr) {
      if (wr.readySettled) wr.ready = deferred();
      wr.ready.reject(reason);
      wr.readySettled = true;
      handled(wr.ready.promise);
    }
    if (w.abortController) w.abortController.abort(reason);
    if (!w.busy && w.started) wsFinishErroring(w);
  }
  function wsFinishErroring(w) {
    w.state = "errored";
    for (const item of w.queue.splice(0)) item.reject(w.error);
    w.total = 0;
    const finish = () => {
      if (w.closeRequest) w.closeRequest.reject(w.error), handled(w.closeRequest.promise);
      if (w.writer) w.writer.closed.reject(w.error), handled(w.writer.closed.promise);
    };
    const req = w.abortRequest;
    w.abortRequest = null;
    if (!req) return finish();
    if (req.wasAlreadyErroring) {
      req.reject(w.error);
      return finish();
    }
    w.sink.abort(req.reason).then(() => (req.resolve(), finish()), (e) => (req.reject(e), finish()));
  }
  function wsAdvance(w) {
    if (!w.started || w.busy) return;
    if (w.state === "erroring") return wsFinishErroring(w);
    if (w.state !== "writable") return;
    if (w.queue.length === 0) {
      if (!w.closeRequest) return;
      w.busy = true;
      w.sink.close().then(() => {
        w.busy = false;
        if (w.state === "erroring") {
          // A close that finished wins over an abort requested meanwhile.
          w.error = undefined;
          if (w.abortRequest) w.abortRequest.resolve(), (w.abortRequest = null);
        }
        w.state = "closed";
        w.closeRequest.resolve();
        if (w.writer) w.writer.closed.resolve();
      }, (e) => {
        w.busy = false;
        w.closeRequest.reject(e);
        handled(w.closeRequest.promise);
        if (w.abortRequest) w.abortRequest.reject(e), (w.abortRequest = null);
        w.state = "writable";
        wsStartErroring(w, e);
        if (w.state === "erroring") wsFinishErroring(w);
      });
      return;
    }
    const item = w.queue[0];
    w.busy = true;
    w.sink.write(item.chunk).then(() => {
      w.busy = false;
      w.queue.shift();
      w.total -= item.size;
      if (w.queue.length === 0) w.total = 0;
      item.resolve();
      wsUpdateReady(w);
      wsAdvance(w);
    }, (e) => {
      w.busy = false;
      item.reject(e);
      w.queue.shift();
      if (w.state === "writable") wsStartErroring(w, e);
      else wsAdvance(w);
    });
  }
  function wsWrite(w, chunk) {
    if (w.state === "erroring" || w.state === "errored") return Promise.reject(w.error);
    if (w.closeRequest || w.state === "closed") return Promise.reject(new TypeError("write: the stream is closed or closing"));
    let size;
    try {
      size = chunkSize(w, chunk);
    } catch (e) {
      wsStartErroring(w, e);
      return Promise.reject(e);
    }
    const d = deferred();
    w.queue.push({ chunk, size, resolve: d.resolve, reject: d.reject });
    w.total += size;
    wsUpdateReady(w);
    wsAdvance(w);
    return d.promise;
  }
  function wsClose(w) {
    if (w.state === "closed" || w.closeRequest) return Promise.reject(new TypeError("close: the stream is already closed or closing"));
    if (w.state !== "writable") return Promise.reject(w.error);
    w.closeRequest = deferred();
    if (w.writer && !w.writer.readySettled) w.writer.ready.resolve(), (w.writer.readySettled = true);
    wsAdvance(w);
    return w.closeRequest.promise;
  }
  function wsAbort(w, reason) {
    if (w.state === "closed" || w.state === "errored") return resolved;
    if (w.abortRequest) return w.abortRequest.promise;
    const wasAlreadyErroring = w.state === "erroring";
    w.abortRequest = { ...deferred(), reason, wasAlreadyErroring };
    const p = w.abortRequest.promise;
    if (wasAlreadyErroring) reason = undefined;
    else wsStartErroring(w, reason);
    return p;
  }

  class WritableStreamDefaultController {
    #w;
    constructor(key, w) {
      if (key !== ILLEGAL) throw new TypeError("WritableStreamDefaultController: illegal constructor");
      this.#w = w;
    }
    get signal() {
      // Created on first use: a sink that never looks pays nothing for it.
      const w = this.#w;
      if (!w.abortController) {
        w.abortController = new internal.AbortController();
        if (w.state !== "writable" && w.state !== "closed") w.abortController.abort(w.error);
      }
      return w.abortController.signal;
    }
    error(e) {
      if (this.#w.state === "writable") wsStartErroring(this.#w, e);
    }
    get [Symbol.toStringTag]() {
      return "WritableStreamDefaultController";
    }
  }

  class WritableStreamDefaultWriter {
    #wr;
    constructor(stream) {
      if (!(stream instanceof WritableStream)) throw new TypeError("WritableStreamDefaultWriter: the argument must be a WritableStream");
      const w = wsStateOf(stream);
      if (w.writer) throw new TypeError("WritableStreamDefaultWriter: the stream is locked to another writer");
      const wr = (this.#wr = { w, ready: deferred(), readySettled: false, closed: deferred() });
      w.writer = wr;
      if (w.state === "writable") {
        if (w.closeRequest || wsDesired(w) > 0) wr.ready.resolve(), (wr.readySettled = true);
      } else if (w.state === "closed") {
        wr.ready.resolve();
        wr.readySettled = true;
        wr.closed.resolve();
      } else {
        wr.ready.reject(w.error);
        wr.readySettled = true;
        handled(wr.ready.promise);
        if (w.state === "errored") wr.closed.reject(w.error), handled(wr.closed.promise);
      }
    }
    #live(what) {
      if (!this.#wr.w) throw new TypeError(`${what}: the writer has been released`);
      return this.#wr.w;
    }
    get closed() {
      return this.#wr.closed.promise;
    }
    get ready() {
      return this.#wr.ready.promise;
    }
    get desiredSize() {
      return wsDesired(this.#live("desiredSize"));
    }
    write(chunk = undefined) {
      if (!this.#wr.w) return Promise.reject(new TypeError("write: the writer has been released"));
      return wsWrite(this.#wr.w, chunk);
    }
    close() {
      if (!this.#wr.w) return Promise.reject(new TypeError("close: the writer has been released"));
      return wsClose(this.#wr.w);
    }
    abort(reason = undefined) {
      if (!this.#wr.w) return Promise.reject(new TypeError("abort: the writer has been released"));
      return wsAbort(this.#wr.w, reason);
    }
    releaseLock() {
      const wr = this.#wr;
      if (!wr.w) return;
      const e = new TypeError("the writer was released");
      if (!wr.readySettled) wr.ready.reject(e);
      else wr.ready = { promise: Promise.reject(e) };
      wr.readySettled = true;
      handled(wr.ready.promise);
      if (wr.w.state === "writable" || wr.w.state === "erroring") wr.closed.reject(e);
      else wr.closed = { promise: Promise.reject(e) };
      handled(wr.closed.promise);
      wr.w.writer = null;
      wr.w = null;
    }
    get [Symbol.toStringTag]() {
      return "WritableStreamDefaultWriter";
    }
  }

  class WritableStream {
    #w;
    constructor(sink = undefined, strategy = undefined) {
      if (sink === null || sink === undefined) sink = {};
      if (typeof sink !== "object") throw new TypeError("WritableStream: the underlying sink must be an object");
      checkMethods(sink, ["start", "write", "close", "abort"], "WritableStream");
      if (sink.type !== undefined) throw new RangeError("WritableStream: type must be undefined");
      const [hwm, sizeFn] = strategyOf(strategy, 1);
      const w = (this.#w = { state: "writable", error: undefined, writer: null, queue: [], total: 0, hwm, sizeFn,
        started: false, busy: false, closeRequest: null, abortRequest: null });
      const ctl = (w.ctl = new WritableStreamDefaultController(ILLEGAL, w));
      w.sink = {
        write: (chunk) => call(sink, "write", [chunk, ctl]),
        close: () => call(sink, "close", []),
        abort: (reason) => call(sink, "abort", [reason]),
      };
      // A start() that throws synchronously makes the constructor throw.
      const started = Promise.resolve(sink.start === undefined ? undefined : sink.start.call(sink, ctl));
      started.then(() => {
        w.started = true;
        wsAdvance(w);
      }, (e) => {
        w.started = true;
        if (w.state === "writable") wsStartErroring(w, e);
        else wsAdvance(w);
      });
    }
    get locked() {
      return this.#w.writer !== null;
    }
    abort(reason = undefined) {
      if (this.#w.writer) return Promise.reject(new TypeError("abort: the stream is locked to a writer"));
      return wsAbort(this.#w, reason);
    }
    close() {
      if (this.#w.writer) return Promise.reject(new TypeError("close: the stream is locked to a writer"));
      return wsClose(this.#w);
    }
    getWriter() {
      return new WritableStreamDefaultWriter(this);
    }
    get [Symbol.toStringTag]() {
      return "WritableStream";
    }
    static {
      wsStateOf = (stream) => stream.#w;
    }
  }

  // ---- TransformStream ------------------------------------------------------
  class TransformStreamDefaultController {
    #t;
    constructor(key, t) {
      if (key !== ILLEGAL) throw new TypeError("TransformStreamDefaultController: illegal constructor");
      this.#t = t;
    }
    get desiredSize() {
      return rsDesired(this.#t.rs);
    }
    enqueue(chunk) {
      const t = this.#t;
      try {
        rsEnqueue(t.rs, chunk);
      } catch (e) {
        t.errorWritable(e);
        throw t.rs.state === "errored" ? t.rs.error : e;
      }
      if (rsDesired(t.rs) <= 0) t.setBackpressure(true);
    }
    error(reason) {
      this.#t.error(reason);
    }
    terminate() {
      const t = this.#t;
      if (t.rs.state === "readable" && !t.rs.closeRequested) rsClose(t.rs);
      t.errorWritable(new TypeError("the TransformStream was terminated"));
    }
    get [Symbol.toStringTag]() {
      return "TransformStreamDefaultController";
    }
  }

  class TransformStream {
    #readable;
    #writable;
    constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
      if (transformer === null || transformer === undefined) transformer = {};
      if (typeof transformer !== "object") throw new TypeError("TransformStream: the transformer must be an object");
      checkMethods(transformer, ["start", "transform", "flush", "cancel"], "TransformStream");
      if (transformer.readableType !== undefined) throw new RangeError("TransformStream: readableType must be undefined");
      if (transformer.writableType !== undefined) throw new RangeError("TransformStream: writableType must be undefined");
      const [rHwm, rSize] = strategyOf(readableStrategy, 0);
      const started = deferred();
      let pressure = null; // a deferred while there is backpressure
      const t = {
        setBackpressure(on) {
          if (on && !pressure) pressure = deferred();
          else if (!on && pressure) pressure.resolve(), (pressure = null);
        },
        errorWritable(e) {
          const w = wsStateOf(this.writable);
          if (w.state === "writable") wsStartErroring(w, e);
          this.setBackpressure(false);
        },
        error(e) {
          rsError(this.rs, e);
          this.errorWritable(e);
        },
      };
      const ctl = new TransformStreamDefaultController(ILLEGAL, t);
      const transform = transformer.transform === undefined
        ? (chunk) => ctl.enqueue(chunk)
        : (chunk) => transformer.transform.call(transformer, chunk, ctl);
      this.#writable = t.writable = new WritableStream({
        start: () => started.promise,
        async write(chunk) {
          if (pressure) await pressure.promise;
          const w = wsStateOf(t.writable);
          if (w.state === "erroring") throw w.error;
          try {
            await transform(chunk);
          } catch (e) {
            t.error(e);
            throw e;
          }
        },
        async close() {
          try {
            await call(transformer, "flush", [ctl]);
          } catch (e) {
            t.error(e);
            throw e;
          }
          if (t.rs.state === "errored") throw t.rs.error;
          if (t.rs.state === "readable" && !t.rs.closeRequested) rsClose(t.rs);
        },
        async abort(reason) {
          rsError(t.rs, reason);
          await call(transformer, "cancel", [reason]);
        },
      }, writableStrategy);
      this.#readable = new ReadableStream(ILLEGAL, [
        () => started.promise,
        () => (t.setBackpressure(false), resolved),
        async (reason) => {
          t.errorWritable(reason);
          await call(transformer, "cancel", [reason]);
        },
        rHwm,
        rSize,
      ]);
      t.rs = stateOf(this.#readable);
      t.setBackpressure(true);
      try {
        Promise.resolve(transformer.start === undefined ? undefined : transformer.start.call(transformer, ctl))
          .then(started.resolve, (e) => (t.error(e), started.reject(e)));
      } catch (e) {
        t.error(e);
        started.reject(e);
        throw e;
      }
    }
    get readable() {
      return this.#readable;
    }
    get writable() {
      return this.#writable;
    }
    get [Symbol.toStringTag]() {
      return "TransformStream";
    }
  }

  // ---- Queuing strategies (Streams §7) ---------------------------------------
  const hwmOf = (init, what) => {
    if (init === null || typeof init !== "object" || init.highWaterMark === undefined) {
      throw new TypeError(`${what}: init.highWaterMark is required`);
    }
    return Number(init.highWaterMark);
  };
  const byteSize = function size(chunk) {
    return chunk.byteLength;
  };
  const countSize = function size() {
    return 1;
  };
  class ByteLengthQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = hwmOf(init, "ByteLengthQueuingStrategy");
    }
    get highWaterMark() {
      return this.#hwm;
    }
    get size() {
      return byteSize;
    }
    get [Symbol.toStringTag]() {
      return "ByteLengthQueuingStrategy";
    }
  }
  class CountQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = hwmOf(init, "CountQueuingStrategy");
    }
    get highWaterMark() {
      return this.#hwm;
    }
    get size() {
      return countSize;
    }
    get [Symbol.toStringTag]() {
      return "CountQueuingStrategy";
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

  const expose = internal.expose;
  Object.assign(internal, { ReadableStream, WritableStream, TransformStream });
  for (const C of [ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController, WritableStream,
    WritableStreamDefaultWriter, WritableStreamDefaultController, TransformStream, TransformStreamDefaultController,
    ByteLengthQueuingStrategy, CountQueuingStrategy]) expose(C.name, C);
});
