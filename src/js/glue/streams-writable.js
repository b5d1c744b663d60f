// @lazy globals: WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController, TransformStream, TransformStreamDefaultController; internal: WritableStream, TransformStream
// WHATWG Streams: WritableStream and TransformStream, a lazy file of their own
// so that a function reading bodies pays only for ReadableStream (streams.js,
// whose helpers and ReadableStream internals come as internal.streamKit).
// Departure: a WritableStream runs "erroring" as one step after the write in
// flight.
(function (internal, global) {
  "use strict";
  // Getting internal.ReadableStream first runs streams.js, which sets streamKit.
  const ReadableStream = internal.ReadableStream;
  const { ILLEGAL, resolved, handled, deferred, call, checkMethods, strategyOf, chunkSize } = internal.streamKit;
  const { stateOf, rsDesired, rsEnqueue, rsClose, rsError } = internal.streamKit;

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

  Object.assign(internal, { WritableStream, TransformStream });
  for (const C of [WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController, TransformStream,
    TransformStreamDefaultController]) internal.expose(C.name, C);
});
