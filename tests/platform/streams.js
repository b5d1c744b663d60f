// ReadableStream, WritableStream, TransformStream, queuing strategies (WHATWG
// Streams), our own cases written from the spec.

const collect = async (rs) => {
  const out = [];
  for await (const c of rs) out.push(c);
  return out;
};
const delay = (ms) => new Promise((r) => setTimeout(r, ms));

promise_test(async () => {
  const rs = new ReadableStream({
    start(c) {
      c.enqueue("a");
      c.enqueue("b");
      c.close();
    },
  });
  const r = rs.getReader();
  assert_true(rs.locked);
  assert_object_equals(await r.read(), { value: "a", done: false });
  assert_object_equals(await r.read(), { value: "b", done: false });
  assert_object_equals(await r.read(), { value: undefined, done: true });
  await r.closed;
  r.releaseLock();
  assert_false(rs.locked);
}, "a default reader reads enqueued chunks then done");

promise_test(async () => {
  let n = 0;
  const rs = new ReadableStream({
    pull(c) {
      n++;
      if (n > 3) c.close();
      else c.enqueue(n);
    },
  }, { highWaterMark: 0 });
  await delay(0);
  assert_equals(n, 0, "highWaterMark 0: no pull before a read");
  assert_array_equals(await collect(rs), [1, 2, 3]);
}, "pull is called on demand");

promise_test(async () => {
  let controller;
  const rs = new ReadableStream({ start(c) { controller = c; } }, new CountQueuingStrategy({ highWaterMark: 2 }));
  assert_equals(controller.desiredSize, 2);
  controller.enqueue("x");
  assert_equals(controller.desiredSize, 1);
  const b = new ReadableStream({ start(c) { controller = c; } }, new ByteLengthQueuingStrategy({ highWaterMark: 10 }));
  controller.enqueue(new Uint8Array(4));
  assert_equals(controller.desiredSize, 6);
  assert_equals(new ByteLengthQueuingStrategy({ highWaterMark: 3 }).size(new Uint8Array(7)), 7);
  assert_equals(new CountQueuingStrategy({ highWaterMark: 3 }).size("anything"), 1);
  assert_throws_js(TypeError, () => new CountQueuingStrategy());
  assert_throws_js(RangeError, () => new ReadableStream({}, { highWaterMark: -1 }));
  assert_throws_js(TypeError, () => new ReadableStream({}, { size: 5 }));
}, "queuing strategies and desiredSize");

promise_test(async () => {
  const err = new Error("boom");
  const rs = new ReadableStream({ start(c) { c.error(err); } });
  const r = rs.getReader();
  await promise_rejects_js(Error, r.read());
  try {
    await r.closed;
    assert_unreached("closed should reject");
  } catch (e) {
    assert_equals(e, err);
  }
}, "an errored stream rejects reads with its error");

promise_test(async () => {
  let reason;
  const rs = new ReadableStream({ cancel(r) { reason = r; } });
  await rs.cancel("why");
  assert_equals(reason, "why");
  const r = rs.getReader();
  assert_object_equals(await r.read(), { value: undefined, done: true });
  assert_throws_js(TypeError, () => rs.getReader());
  await promise_rejects_js(TypeError, rs.cancel());
}, "cancel calls the source and closes the stream");

test(() => {
  const rs = new ReadableStream();
  rs.getReader();
  assert_throws_js(TypeError, () => rs.getReader(), "locked");
  assert_throws_js(TypeError, () => new ReadableStream().getReader({ mode: "byob" }));
  assert_throws_js(TypeError, () => new ReadableStream().getReader({ mode: "x" }));
  assert_throws_js(TypeError, () => new ReadableStream({ type: "other" }));
  assert_throws_js(TypeError, () => new ReadableStream({ pull: 5 }));
  assert_throws_js(TypeError, () => new ReadableStream(5));
  const c = new ReadableStream({ start(c) { c.close(); assert_throws_js(TypeError, () => c.enqueue(1)); assert_throws_js(TypeError, () => c.close()); } });
}, "argument and state errors are TypeErrors");

promise_test(async () => {
  const rs = new ReadableStream();
  const r = rs.getReader();
  const pending = r.read();
  r.releaseLock();
  await promise_rejects_js(TypeError, pending);
  await promise_rejects_js(TypeError, r.closed);
  await promise_rejects_js(TypeError, r.read());
  assert_false(rs.locked);
}, "releaseLock rejects pending reads");

promise_test(async () => {
  const rs = ReadableStream.from([1, 2, 3]);
  const [a, b] = rs.tee();
  assert_true(rs.locked);
  assert_array_equals(await collect(a), [1, 2, 3]);
  assert_array_equals(await collect(b), [1, 2, 3]);
}, "tee gives two branches with every chunk");

promise_test(async () => {
  let reason;
  const rs = new ReadableStream({ cancel(r) { reason = r; } });
  const [a, b] = rs.tee();
  await Promise.all([a.cancel("1"), b.cancel("2")]);
  assert_array_equals(reason, ["1", "2"], "the source is cancelled with both reasons");
}, "tee: cancelling both branches cancels the source");

promise_test(async () => {
  async function* gen() {
    yield "x";
    yield "y";
  }
  assert_array_equals(await collect(ReadableStream.from(gen())), ["x", "y"]);
  assert_array_equals(await collect(ReadableStream.from(new Set([1, 2]))), [1, 2]);
  assert_throws_js(TypeError, () => ReadableStream.from(5));
  assert_throws_js(TypeError, () => ReadableStream.from(null));
}, "ReadableStream.from takes iterables and async iterables");

promise_test(async () => {
  let cancelled = false;
  const rs = new ReadableStream({
    pull(c) { c.enqueue(1); },
    cancel() { cancelled = true; },
  });
  for await (const v of rs) {
    assert_equals(v, 1);
    break;
  }
  assert_true(cancelled, "breaking out of for-await cancels the stream");
  assert_false(rs.locked);
  const rs2 = new ReadableStream({ pull(c) { c.enqueue(2); } });
  const it = rs2.values({ preventCancel: true });
  assert_equals((await it.next()).value, 2);
  await it.return();
  assert_false(rs2.locked);
  assert_equals((await rs2.getReader().read()).value, 2, "preventCancel leaves it readable");
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(new ReadableStream().values()));
  assert_equals(typeof proto[Symbol.asyncIterator], "function", "inherits from %AsyncIteratorPrototype%");
}, "async iteration");

promise_test(async () => {
  const written = [];
  let closed = false;
  const ws = new WritableStream({
    write(chunk) { written.push(chunk); },
    close() { closed = true; },
  });
  const w = ws.getWriter();
  assert_true(ws.locked);
  await w.ready;
  await w.write("a");
  await w.write("b");
  await w.close();
  await w.closed;
  assert_array_equals(written, ["a", "b"]);
  assert_true(closed);
  await promise_rejects_js(TypeError, w.write("c"));
}, "a writer writes in order and closes");

promise_test(async () => {
  const order = [];
  const ws = new WritableStream({
    async write(chunk) {
      order.push("start " + chunk);
      await delay(5);
      order.push("end " + chunk);
    },
  }, { highWaterMark: 2 });
  const w = ws.getWriter();
  assert_equals(w.desiredSize, 2);
  const p1 = w.write(1), p2 = w.write(2);
  assert_equals(w.desiredSize, 0, "two queued chunks fill the queue");
  let readyNow = false;
  w.ready.then(() => (readyNow = true));
  await delay(0);
  assert_false(readyNow, "backpressure: ready is pending");
  await Promise.all([p1, p2]);
  await w.ready;
  assert_array_equals(order, ["start 1", "end 1", "start 2", "end 2"], "one write at a time");
}, "writes run one at a time; ready reflects backpressure");

promise_test(async () => {
  let abortReason, signalAborted;
  const ws = new WritableStream({
    write(chunk, c) {
      return new Promise((r) => setTimeout(r, 10)).then(() => { signalAborted = c.signal.aborted; });
    },
    abort(r) { abortReason = r; },
  });
  const w = ws.getWriter();
  await delay(0); // past start()
  const p = w.write("x");
  const a = w.abort("stop");
  await p;
  await a;
  assert_equals(abortReason, "stop");
  assert_true(signalAborted, "the controller's signal aborts");
  let after;
  await w.write("y").catch((e) => (after = e));
  assert_equals(after, "stop", "later writes reject with the abort reason");
  try {
    await w.closed;
    assert_unreached();
  } catch (e) {
    assert_equals(e, "stop");
  }
}, "abort waits for the write in flight and calls sink.abort");

promise_test(async () => {
  const err = new Error("sink failed");
  const ws = new WritableStream({ write() { throw err; } });
  const w = ws.getWriter();
  await promise_rejects_js(Error, w.write(1));
  await promise_rejects_js(Error, w.write(2));
  await promise_rejects_js(Error, w.closed);
  assert_equals(w.desiredSize, null);
}, "a failing write errors the stream");

promise_test(async () => {
  const ts = new TransformStream({
    transform(chunk, c) {
      c.enqueue(chunk.toUpperCase());
      c.enqueue("!");
    },
    flush(c) {
      c.enqueue("end");
    },
  });
  const out = ReadableStream.from(["a", "b"]).pipeThrough(ts);
  assert_array_equals(await collect(out), ["A", "!", "B", "!", "end"]);
}, "TransformStream with pipeThrough");

promise_test(async () => {
  const ts = new TransformStream();
  const w = ts.writable.getWriter();
  w.write("same");
  w.close();
  assert_array_equals(await collect(ts.readable), ["same"]);
}, "an identity TransformStream");

promise_test(async () => {
  const ts = new TransformStream({ transform() { throw new RangeError("bad chunk"); } });
  const read = ts.readable.getReader().read(); // a read lifts the initial backpressure
  const w = ts.writable.getWriter();
  await promise_rejects_js(RangeError, w.write(1));
  await promise_rejects_js(RangeError, read);
}, "a throwing transform errors both sides");

promise_test(async () => {
  const ts = new TransformStream({ start(c) { c.enqueue(1); c.terminate(); } });
  assert_array_equals(await collect(ts.readable), [1]);
  await promise_rejects_js(TypeError, ts.writable.getWriter().write(2));
}, "terminate closes the readable and errors the writable");

promise_test(async () => {
  const got = [];
  const ws = new WritableStream({ write(c) { got.push(c); } });
  await ReadableStream.from([1, 2, 3]).pipeTo(ws);
  assert_array_equals(got, [1, 2, 3]);
  await promise_rejects_js(TypeError, ws.getWriter().write(4), "closed after the pipe");
}, "pipeTo copies every chunk and closes the destination");

promise_test(async () => {
  const ws = new WritableStream();
  const rs = new ReadableStream({ start(c) { c.error(new SyntaxError("src")); } });
  await promise_rejects_js(SyntaxError, rs.pipeTo(ws));
  await promise_rejects_js(SyntaxError, ws.getWriter().closed, "the destination is aborted with the error");
  let cancelled;
  const rs2 = new ReadableStream({ cancel(r) { cancelled = r; } });
  const ws2 = new WritableStream({ start(c) { c.error(new EvalError("dest")); } });
  await promise_rejects_js(EvalError, rs2.pipeTo(ws2));
  assert_true(cancelled instanceof EvalError, "the source is cancelled with the error");
}, "pipeTo propagates errors both ways");

promise_test(async () => {
  const c = new AbortController();
  let cancelled, aborted;
  const rs = new ReadableStream({ pull(ctl) { return delay(5).then(() => ctl.enqueue(1)); }, cancel(r) { cancelled = r; } });
  const ws = new WritableStream({ abort(r) { aborted = r; } });
  const p = rs.pipeTo(ws, { signal: c.signal });
  await delay(20);
  c.abort();
  const e = await promise_rejects_dom("AbortError", p);
  assert_equals(cancelled, e);
  assert_equals(aborted, e);
  await promise_rejects_dom("AbortError", new ReadableStream().pipeTo(new WritableStream(), { signal: AbortSignal.abort() }));
  await promise_rejects_js(TypeError, new ReadableStream().pipeTo({}));
  await promise_rejects_js(TypeError, new ReadableStream().pipeTo(new WritableStream(), { signal: {} }));
}, "pipeTo with an AbortSignal");

promise_test(async () => {
  const rs = ReadableStream.from(["keep"]);
  const ws = new WritableStream();
  await rs.pipeTo(ws, { preventClose: true });
  const w = ws.getWriter();
  await w.write("still open");
}, "pipeTo preventClose");
