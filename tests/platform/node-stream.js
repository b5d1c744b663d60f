// node:stream, our own cases written from Node's documentation
// (https://nodejs.org/api/stream.html).
import { Readable, Writable, Duplex, Transform, PassThrough, pipeline, finished, promises } from "node:stream";

const collect = (stream) =>
  new Promise((resolve, reject) => {
    const out = [];
    stream.on("data", (c) => out.push(c));
    stream.on("end", () => resolve(out));
    stream.on("error", reject);
  });

promise_test(async () => {
  let i = 0;
  const r = new Readable({
    read() {
      i++;
      this.push(i <= 3 ? "chunk" + i : null);
    },
  });
  const chunks = await collect(r);
  assert_equals(Buffer.concat(chunks).toString(), "chunk1chunk2chunk3");
  assert_true(chunks[0] instanceof Buffer, "byte-mode chunks are Buffers");
  assert_true(r.readableEnded);
}, "Readable in flowing mode: data and end");

promise_test(async () => {
  const r = Readable.from(["a", "b", "c"]);
  assert_true(r.readableObjectMode);
  const got = [];
  for await (const x of r) got.push(x);
  assert_array_equals(got, ["a", "b", "c"]);
  async function* gen() {
    yield 1;
    yield 2;
  }
  assert_array_equals(await collect(Readable.from(gen())), [1, 2]);
}, "Readable.from and async iteration");

promise_test(async () => {
  const r = new Readable({ read() {} });
  r.setEncoding("utf8");
  r.push(Buffer.from([0xe2, 0x82]));
  r.push(Buffer.from([0xac]));
  r.push(null);
  const out = await collect(r);
  assert_equals(out.join(""), "€", "setEncoding keeps split characters together");
}, "setEncoding");

promise_test(async () => {
  const r = new Readable({ read() {} });
  r.push("ab");
  r.push("cd");
  r.push(null);
  await new Promise((resolve) => r.once("readable", resolve));
  assert_equals(r.read(1).toString(), "a");
  assert_equals(r.read().toString(), "bcd");
  assert_equals(r.read(), null);
  await new Promise((resolve) => r.on("end", resolve));
}, "paused mode: readable and read(n)");

promise_test(async () => {
  const written = [];
  const w = new Writable({
    highWaterMark: 4,
    write(chunk, enc, cb) {
      written.push(chunk.toString());
      setTimeout(cb, 1);
    },
  });
  assert_true(w.write("ab"));
  assert_false(w.write("cdef"), "write returns false at the highWaterMark");
  assert_true(w.writableNeedDrain);
  await new Promise((resolve) => w.once("drain", resolve));
  const finishedP = new Promise((resolve) => w.on("finish", resolve));
  w.end("g");
  await finishedP;
  assert_array_equals(written, ["ab", "cdef", "g"]);
  assert_true(w.writableFinished);
  const e = await new Promise((resolve) => w.write("late", resolve));
  assert_equals(e.code, "ERR_STREAM_WRITE_AFTER_END");
}, "Writable: backpressure, drain, end, finish, write after end");

promise_test(async () => {
  const seen = [];
  const w = new Writable({
    objectMode: true,
    write(obj, enc, cb) {
      seen.push(obj);
      cb();
    },
    final(cb) {
      seen.push("final");
      cb();
    },
  });
  w.write({ a: 1 });
  w.end({ b: 2 });
  await new Promise((resolve) => w.on("finish", resolve));
  assert_equals(JSON.stringify(seen), '[{"a":1},{"b":2},"final"]');
}, "Writable object mode and final");

promise_test(async () => {
  const upper = new Transform({
    transform(chunk, enc, cb) {
      cb(null, chunk.toString().toUpperCase());
    },
    flush(cb) {
      this.push("!");
      cb();
    },
  });
  const out = collect(upper);
  upper.write("ab");
  upper.end("c");
  assert_equals(Buffer.concat(await out).toString(), "ABC!");
  const pt = new PassThrough();
  const o2 = collect(pt);
  pt.end("same");
  assert_equals(Buffer.concat(await o2).toString(), "same");
}, "Transform with flush, PassThrough");

promise_test(async () => {
  const d = new Duplex({
    read() {},
    write(chunk, enc, cb) {
      this.push(chunk);
      cb();
    },
    final(cb) {
      this.push(null);
      cb();
    },
  });
  const out = collect(d);
  d.write("x");
  d.end("y");
  assert_equals(Buffer.concat(await out).toString(), "xy");
  assert_true(d instanceof Readable);
  assert_true(d instanceof Writable, "a Duplex is a Writable too");
}, "Duplex");

promise_test(async () => {
  const sink = [];
  const dest = new Writable({
    write(chunk, enc, cb) {
      sink.push(chunk.toString());
      cb();
    },
  });
  const upper = new Transform({
    transform(chunk, enc, cb) {
      cb(null, chunk.toString().toUpperCase());
    },
  });
  await new Promise((resolve, reject) => pipeline(Readable.from(["a", "b"]), upper, dest, (err) => (err ? reject(err) : resolve())));
  assert_equals(sink.join(""), "AB");
  const failing = new Transform({
    transform(chunk, enc, cb) {
      cb(new RangeError("bad chunk"));
    },
  });
  const other = new PassThrough();
  const err = await new Promise((resolve) => pipeline(Readable.from(["a"]), failing, other, resolve));
  assert_true(err instanceof RangeError);
  assert_true(other.destroyed, "pipeline destroys every stream on error");
}, "pipeline: success and error");

promise_test(async () => {
  const out = [];
  await promises.pipeline(
    Readable.from([1, 2, 3]),
    async function* (source) {
      for await (const n of source) yield n * 10;
    },
    new Writable({
      objectMode: true,
      write(n, enc, cb) {
        out.push(n);
        cb();
      },
    }),
  );
  assert_array_equals(out, [10, 20, 30]);
}, "promises.pipeline with an async generator stage");

promise_test(async () => {
  const r = Readable.from(["x"]);
  r.resume();
  await new Promise((resolve, reject) => finished(r, (err) => (err ? reject(err) : resolve())));
  const w = new Writable({ write(c, e, cb) { cb(); } });
  const p = promises.finished(w);
  w.destroy();
  const e = await p.then(() => null, (x) => x);
  assert_equals(e && e.code, "ERR_STREAM_PREMATURE_CLOSE");
  const broken = new Readable({ read() {} });
  const p2 = promises.finished(broken);
  broken.destroy(new TypeError("t"));
  await promise_rejects_js(TypeError, p2);
}, "finished: end, premature close, error");

promise_test(async () => {
  let reads = 0;
  const r = new Readable({
    highWaterMark: 2,
    objectMode: true,
    read() {
      reads++;
      this.push(reads);
      if (reads === 100) this.push(null);
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert_less_than(reads, 5, "a readable nobody consumes fills only to its highWaterMark");
  assert_equals(r.readableHighWaterMark, 2);
  r.destroy();
}, "Readable backpressure: read stops at the highWaterMark");
