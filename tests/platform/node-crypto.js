// node:crypto (Node.js documentation): createHash, createHmac, randomBytes,
// randomUUID, randomInt, randomFillSync, timingSafeEqual, pbkdf2/pbkdf2Sync
// and webcrypto, imported both as `node:crypto` and as `crypto`. Known
// answers from FIPS 180, RFC 4231 and RFC 6070.
import nodeCrypto, { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual, pbkdf2, pbkdf2Sync, webcrypto } from "node:crypto";
import * as bare from "crypto";

const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
// An index loop rather than string iteration, which crashes the QEMU
// board's engine build (reported; not a crypto matter).
const asciiBytes = (s) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};
const codeOf = (fn) => {
  try {
    fn();
  } catch (e) {
    return [e.constructor.name, e.code];
  }
  return ["nothing thrown"];
};

test(() => {
  assert_equals(bare.createHash, createHash, "'crypto' and 'node:crypto' are one module");
  assert_equals(nodeCrypto.createHash, createHash, "the default export has the functions");
  assert_equals(webcrypto, globalThis.crypto, "webcrypto is the global crypto");
  assert_equals(nodeCrypto.subtle, globalThis.crypto.subtle);
  assert_array_equals(nodeCrypto.getHashes(), ["sha1", "sha256", "sha384", "sha512"]);
}, "the module and its exports");

test(() => {
  assert_equals(createHash("sha1").update("abc").digest("hex"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert_equals(createHash("sha256").update("abc").digest("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_equals(
    createHash("SHA384").update("abc").digest("hex"),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
  );
  assert_equals(
    createHash("sha512").update("a").update("b").update(asciiBytes("c")).digest("hex"),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "incremental, strings and bytes",
  );
  assert_equals(createHash("sha256").update("").digest("base64"), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  assert_equals(createHash("sha256").update("").digest("base64url"), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
  assert_equals(createHash("sha256").update("616263", "hex").digest("hex"), createHash("sha256").update("abc").digest("hex"), "hex input");
  assert_equals(createHash("sha256").update("YWJj", "base64").digest("hex"), createHash("sha256").update("abc").digest("hex"), "base64 input");
  assert_equals(createHash("sha1").update("é").digest("hex"), createHash("sha1").update(new Uint8Array([0xc3, 0xa9])).digest("hex"), "utf8 by default");
  const raw = createHash("sha256").update("abc").digest();
  assert_true(raw instanceof Uint8Array, "no encoding: bytes (a Buffer when node:buffer is there)");
  assert_equals(hexOf(raw), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}, "createHash: FIPS 180 examples, encodings in and out");

test(() => {
  const h = createHash("sha256").update("ab");
  const copy = h.copy();
  h.update("c");
  assert_equals(h.digest("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_equals(copy.update("c").digest("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "the copy goes on independently");
  assert_array_equals(codeOf(() => h.digest()), ["Error", "ERR_CRYPTO_HASH_FINALIZED"]);
  assert_array_equals(codeOf(() => h.update("x")), ["Error", "ERR_CRYPTO_HASH_FINALIZED"]);
  assert_array_equals(codeOf(() => createHash("sha256").update(42)), ["TypeError", "ERR_INVALID_ARG_TYPE"]);
  assert_array_equals(codeOf(() => createHash("sha256").digest("utf16")), ["TypeError", "ERR_UNKNOWN_ENCODING"]);
  assert_throws_js(Error, () => createHash("md5"));
  assert_throws_js(TypeError, () => createHash(256));
}, "createHash: copy, and errors once finalized or with bad input");

test(() => {
  assert_equals(
    createHmac("sha256", new Uint8Array(20).fill(0x0b)).update("Hi There").digest("hex"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assert_equals(
    createHmac("sha512", "Jefe").update("what do ya want ").update("for nothing?").digest("hex"),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  );
  assert_equals(
    createHmac("sha384", new Uint8Array(131).fill(0xaa)).update("Test Using Larger Than Block-Size Key - Hash Key First").digest("hex"),
    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
  );
  assert_array_equals(codeOf(() => createHmac("md5", "k")), ["TypeError", "ERR_CRYPTO_INVALID_DIGEST"]);
  assert_array_equals(codeOf(() => createHmac("sha256", 5)), ["TypeError", "ERR_INVALID_ARG_TYPE"]);
}, "createHmac: RFC 4231 test cases");

test(() => {
  const a = randomBytes(32), b = randomBytes(32);
  assert_true(a instanceof Uint8Array);
  assert_equals(a.length, 32);
  assert_not_equals(hexOf(a), hexOf(b));
  assert_equals(randomBytes(0).length, 0);
  assert_array_equals(codeOf(() => randomBytes(-1)), ["RangeError", "ERR_OUT_OF_RANGE"]);
  assert_array_equals(codeOf(() => randomBytes(1.5)), ["RangeError", "ERR_OUT_OF_RANGE"]);
  assert_array_equals(codeOf(() => randomBytes("8")), ["TypeError", "ERR_INVALID_ARG_TYPE"]);
  assert_regexp_match(randomUUID(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const buf = new Uint8Array(8);
  assert_equals(nodeCrypto.randomFillSync(buf, 4), buf);
  assert_array_equals(buf.subarray(0, 4), [0, 0, 0, 0], "before the offset stays");
  for (let i = 0; i < 50; i++) {
    const n = nodeCrypto.randomInt(3, 6);
    assert_true(n >= 3 && n < 6 && Number.isInteger(n), `randomInt in [3, 6): ${n}`);
  }
  assert_array_equals(codeOf(() => nodeCrypto.randomInt(5, 5)), ["RangeError", "ERR_OUT_OF_RANGE"]);
}, "randomBytes, randomUUID, randomFillSync, randomInt");

promise_test(async () => {
  const got = await new Promise((resolve, reject) => randomBytes(16, (err, buf) => (err ? reject(err) : resolve(buf))));
  assert_equals(got.length, 16);
}, "randomBytes with a callback");

test(() => {
  assert_true(timingSafeEqual(asciiBytes("secret"), asciiBytes("secret")));
  assert_false(timingSafeEqual(asciiBytes("secret"), asciiBytes("secreT")));
  assert_true(timingSafeEqual(new Uint16Array([1, 2]), new Uint8Array([1, 0, 2, 0])), "bytes are compared, whatever the view");
  assert_array_equals(codeOf(() => timingSafeEqual(asciiBytes("a"), asciiBytes("ab"))), ["RangeError", "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH"]);
  assert_array_equals(codeOf(() => timingSafeEqual("a", "a")), ["TypeError", "ERR_INVALID_ARG_TYPE"]);
}, "timingSafeEqual");

test(() => {
  assert_equals(hexOf(pbkdf2Sync("password", "salt", 1, 20, "sha1")), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  assert_equals(hexOf(pbkdf2Sync("password", "salt", 4096, 20, "sha1")), "4b007901b765489abead49d926f721d065a429c1");
  assert_equals(
    hexOf(pbkdf2Sync(asciiBytes("passwordPASSWORDpassword"), "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25, "sha1")),
    "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
  );
  assert_equals(hexOf(pbkdf2Sync("password", "salt", 1, 32, "sha256")), "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  assert_array_equals(codeOf(() => pbkdf2Sync("p", "s", 0, 20, "sha1")), ["RangeError", "ERR_OUT_OF_RANGE"]);
  assert_array_equals(codeOf(() => pbkdf2Sync("p", "s", 1, -1, "sha1")), ["RangeError", "ERR_OUT_OF_RANGE"]);
  assert_array_equals(codeOf(() => pbkdf2Sync("p", "s", 1, 20, "md5")), ["TypeError", "ERR_CRYPTO_INVALID_DIGEST"]);
  assert_array_equals(codeOf(() => pbkdf2Sync("p", 7, 1, 20, "sha1")), ["TypeError", "ERR_INVALID_ARG_TYPE"]);
}, "pbkdf2Sync: RFC 6070 vectors and argument errors");

promise_test(async () => {
  const key = await new Promise((resolve, reject) =>
    pbkdf2("pass\0word", "sa\0lt", 4096, 16, "sha1", (err, k) => (err ? reject(err) : resolve(k))),
  );
  assert_equals(hexOf(key), "56fa6aa75548099dcc37d7f03425e0c3");
  assert_array_equals(codeOf(() => pbkdf2("p", "s", 1, 20, "sha1")), ["TypeError", "ERR_INVALID_ARG_TYPE"], "a callback is required");
}, "pbkdf2 with a callback (computed off the JS task)");
