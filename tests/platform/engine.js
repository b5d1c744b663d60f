// The engine itself as the boards build it: language features whose code
// paths a C compiler could get wrong (the firmware's QuickJS-NG is compiled
// by another compiler, for another word size, than the simulator's).

test(() => {
  assert_array_equals([..."abc"], ["a", "b", "c"]);
  const seen = [];
  for (const c of "h\u00e9\u20ac\u{1F600}") seen.push(c);
  assert_array_equals(seen, ["h", "\u00e9", "\u20ac", "\u{1F600}"], "1-, 2-, 3-byte and astral characters");
  assert_array_equals(Array.from("xy", (c) => c + "!"), ["x!", "y!"]);
  const it = "ab"[Symbol.iterator]();
  assert_equals(it.next().value, "a");
  assert_equals(it.next().value, "b");
  assert_true(it.next().done);
}, "strings iterate by code point and advance");

test(() => {
  assert_array_equals([...new Set([3, 1, 3])], [3, 1]);
  assert_array_equals([...new Map([[1, "a"]]).values()], ["a"]);
  assert_array_equals([...[7, 8].entries()].flat(), [0, 7, 1, 8]);
  function* g() {
    yield 1;
    yield* [2, 3];
  }
  assert_array_equals([...g()], [1, 2, 3]);
}, "collections, array iterators and generators iterate");

test(() => {
  assert_equals(2 ** 53 + 1, 9007199254740992);
  assert_equals(0.1 + 0.2, 0.30000000000000004);
  assert_equals((-7) % 3, -1);
  assert_equals(Math.fround(1.1), 1.100000023841858);
  assert_equals(parseFloat("1e-7"), 1e-7);
  assert_equals((1234.5678).toFixed(2), "1234.57");
  assert_equals(JSON.stringify(JSON.parse("[1.5e300,-0,3]")), "[1.5e+300,0,3]");
  assert_equals(String(123456789012345680000), "123456789012345680000");
  assert_equals(10n ** 20n, 100000000000000000000n);
  assert_equals(BigInt.asUintN(64, -1n), 18446744073709551615n);
}, "numbers, number formatting and parsing, BigInt");

test(() => {
  assert_equals("Straße".toUpperCase(), "STRASSE");
  assert_equals("\u0130".toLowerCase().length, 2);
  assert_equals("a-b_c".replace(/[-_](.)/g, (_, c) => c.toUpperCase()), "aBC");
  assert_array_equals("2026-11-24".match(/(\d+)-(\d+)-(\d+)/).slice(1), ["2026", "11", "24"]);
  assert_true(/^\p{L}+$/u.test("héllo"));
  assert_equals("abc".localeCompare("abd"), -1);
  assert_equals("x".padStart(3, "ab"), "abx");
}, "strings and regular expressions");

test(() => {
  const d = new Date(Date.UTC(2026, 10, 24, 12, 30, 15, 250));
  assert_equals(d.toISOString(), "2026-11-24T12:30:15.250Z");
  assert_equals(Date.parse("2026-11-24T12:30:15.250Z"), d.getTime());
  const u8 = new Uint8Array([1, 2, 3, 250]);
  const view = new DataView(u8.buffer);
  assert_equals(view.getUint16(2), 0x03fa);
  assert_equals(view.getInt8(3), -6);
  const f64 = new Float64Array([Math.PI]);
  assert_equals(new Uint8Array(f64.buffer)[7], 0x40);
  assert_array_equals(u8.subarray(1, 3), [2, 3]);
}, "dates, typed arrays and DataView");

promise_test(async () => {
  const order = [];
  const p = Promise.resolve().then(() => order.push("then"));
  queueMicrotask(() => order.push("microtask"));
  order.push("sync");
  await p;
  await null;
  assert_array_equals(order, ["sync", "then", "microtask"]);
  const results = await Promise.allSettled([Promise.reject(new Error("x")), 1]);
  assert_array_equals(results.map((r) => r.status), ["rejected", "fulfilled"]);
}, "promises and microtasks run in order");

test(() => {
  class A {
    #x = 1;
    static s = 2;
    get x() {
      return this.#x;
    }
  }
  class B extends A {}
  assert_equals(new B().x, 1);
  assert_equals(B.s, 2);
  const { a, ...rest } = { a: 1, b: 2, c: 3 };
  assert_equals(a, 1);
  assert_object_equals(rest, { b: 2, c: 3 });
  assert_equals(null ?? "d", "d");
  assert_equals(({}).missing?.deep, undefined);
  const o = { n: 1 };
  o.n ||= 5;
  o.m ??= 6;
  assert_object_equals(o, { n: 1, m: 6 });
}, "classes, private fields, destructuring and the newer operators");
