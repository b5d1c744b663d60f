// Web Crypto: crypto.getRandomValues, crypto.randomUUID and crypto.subtle
// (W3C Web Cryptography API; Ed25519 from the Secure Curves draft). Known
// answers from FIPS 180 (SHA), RFC 4231 (HMAC), RFC 6070 (PBKDF2-SHA1) and
// the published PBKDF2-SHA256 answers for its inputs, RFC 5869 (HKDF),
// RFC 8032 (Ed25519) and RFC 6979 (the P-256 key and its signatures); JWTs
// signed here and by another implementation.

// Index loops rather than string iteration: iterating a string crashes the
// QEMU board's engine build (reported; not a crypto matter).
const ascii = (s) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array(s.match(/../g).map((p) => parseInt(p, 16)));
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const b64url = (buf) => {
  const b = new Uint8Array(buf);
  let out = "";
  for (let i = 0; i < b.length; i += 3) {
    const v = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[v >> 18] + B64[(v >> 12) & 63] + (i + 1 < b.length ? B64[(v >> 6) & 63] : "") + (i + 2 < b.length ? B64[v & 63] : "");
  }
  return out;
};
const unb64url = (s) => {
  const out = [];
  let acc = 0, bits = 0;
  for (let i = 0; i < s.length; i++) {
    acc = (acc << 6) | B64.indexOf(s[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 255);
    }
  }
  return new Uint8Array(out);
};
const subtle = crypto.subtle;

// ---- getRandomValues and randomUUID

test(() => {
  const a = new Uint8Array(64);
  assert_equals(crypto.getRandomValues(a), a, "returns its argument");
  assert_true(a.some((b) => b !== 0), "64 random bytes are not all zero");
  const b = crypto.getRandomValues(new Uint8Array(64));
  assert_not_equals(hex(a), hex(b), "two draws differ");
}, "getRandomValues fills a Uint8Array in place");

test(() => {
  for (const T of [Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]) {
    const a = new T(8);
    assert_equals(crypto.getRandomValues(a), a, T.name);
  }
  const big = new Uint8Array(65536);
  crypto.getRandomValues(big);
  const offset = new Uint8Array(16);
  crypto.getRandomValues(offset.subarray(8));
  assert_array_equals(offset.subarray(0, 8), [0, 0, 0, 0, 0, 0, 0, 0], "only the view is written");
}, "getRandomValues takes every integer TypedArray, up to 65536 bytes");

test(() => {
  assert_throws_dom("TypeMismatchError", () => crypto.getRandomValues(new Float32Array(4)));
  assert_throws_dom("TypeMismatchError", () => crypto.getRandomValues(new Float64Array(4)));
  assert_throws_dom("TypeMismatchError", () => crypto.getRandomValues(new DataView(new ArrayBuffer(4))));
  assert_throws_dom("QuotaExceededError", () => crypto.getRandomValues(new Uint8Array(65537)));
  assert_throws_dom("QuotaExceededError", () => crypto.getRandomValues(new Uint32Array(16385)));
  assert_throws_js(TypeError, () => crypto.getRandomValues([1, 2, 3]));
  assert_throws_js(TypeError, () => crypto.getRandomValues(new ArrayBuffer(4)));
  assert_throws_js(TypeError, () => crypto.getRandomValues());
  assert_throws_js(TypeError, () => crypto.getRandomValues.call({}, new Uint8Array(4)));
}, "getRandomValues errors: TypeMismatchError, QuotaExceededError, TypeError");

test(() => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const a = crypto.randomUUID(), b = crypto.randomUUID();
  assert_regexp_match(a, re);
  assert_regexp_match(b, re);
  assert_not_equals(a, b);
}, "randomUUID gives version 4 UUIDs");

test(() => {
  assert_equals(String(crypto), "[object Crypto]");
  assert_equals(String(crypto.subtle), "[object SubtleCrypto]");
  assert_true(crypto instanceof Crypto && crypto.subtle instanceof SubtleCrypto);
  assert_throws_js(TypeError, () => new Crypto());
  assert_throws_js(TypeError, () => new SubtleCrypto());
  assert_throws_js(TypeError, () => new CryptoKey());
}, "Crypto, SubtleCrypto and CryptoKey cannot be constructed");

// ---- digest

promise_test(async () => {
  const abc = ascii("abc");
  assert_equals(hex(await subtle.digest("SHA-1", abc)), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert_equals(hex(await subtle.digest("SHA-256", abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_equals(
    hex(await subtle.digest("SHA-384", abc)),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
  );
  assert_equals(
    hex(await subtle.digest({ name: "SHA-512" }, abc)),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
  const two = ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  assert_equals(hex(await subtle.digest("sha-256", two)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert_equals(hex(await subtle.digest("SHA-256", new ArrayBuffer(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const r = await subtle.digest("SHA-256", new DataView(abc.buffer));
  assert_true(r instanceof ArrayBuffer, "an ArrayBuffer");
  assert_equals(hex(r), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "from a DataView");
}, "digest: FIPS 180 examples for SHA-1/256/384/512");

promise_test(async () => {
  await promise_rejects_dom("NotSupportedError", subtle.digest("MD5", ascii("a")));
  await promise_rejects_dom("NotSupportedError", subtle.digest({ name: "SHA-3" }, ascii("a")));
  await promise_rejects_js(TypeError, subtle.digest("SHA-256", "abc"));
  await promise_rejects_js(TypeError, subtle.digest({}, ascii("a")));
  await promise_rejects_js(TypeError, subtle.digest.call({}, "SHA-256", ascii("a")));
}, "digest errors: NotSupportedError for unknown hashes, TypeError for bad arguments");

// ---- HMAC

const RFC4231 = [
  {
    key: unhex("0b".repeat(20)),
    data: ascii("Hi There"),
    "SHA-256": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    "SHA-384": "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
    "SHA-512": "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
  },
  {
    key: ascii("Jefe"),
    data: ascii("what do ya want for nothing?"),
    "SHA-256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "SHA-384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
    "SHA-512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  },
  {
    key: unhex("aa".repeat(131)),
    data: ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
    "SHA-256": "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    "SHA-384": "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
    "SHA-512": "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
  },
];

promise_test(async () => {
  for (const [i, c] of RFC4231.entries()) {
    for (const hash of ["SHA-256", "SHA-384", "SHA-512"]) {
      const key = await subtle.importKey("raw", c.key, { name: "HMAC", hash }, false, ["sign", "verify"]);
      const mac = await subtle.sign("HMAC", key, c.data);
      assert_equals(hex(mac), c[hash], `case ${i} ${hash}`);
      assert_true(await subtle.verify("HMAC", key, unhex(c[hash]), c.data), `case ${i} ${hash} verifies`);
      const bad = unhex(c[hash]);
      bad[0] ^= 1;
      assert_false(await subtle.verify("HMAC", key, bad, c.data), `case ${i} ${hash}: a changed tag fails`);
      assert_false(await subtle.verify("HMAC", key, unhex(c[hash]).subarray(1), c.data), `case ${i} ${hash}: a short tag fails`);
    }
  }
}, "HMAC sign/verify: RFC 4231 test cases 1, 2 and 6");

promise_test(async () => {
  const key = await subtle.importKey("raw", ascii("Jefe"), { name: "HMAC", hash: { name: "SHA-256" } }, true, ["verify", "sign", "sign"]);
  assert_equals(key.type, "secret");
  assert_equals(key.extractable, true);
  assert_object_equals(key.algorithm, { name: "HMAC", length: 32, hash: { name: "SHA-256" } });
  assert_equals(key.algorithm, key.algorithm, "the same algorithm object each time");
  assert_array_equals(key.usages, ["sign", "verify"], "usages as a set, in the spec's order");
  assert_equals(String(key), "[object CryptoKey]");
  assert_equals(hex(await subtle.exportKey("raw", key)), hex(ascii("Jefe")));
  const jwk = await subtle.exportKey("jwk", key);
  assert_object_equals(jwk, { kty: "oct", k: "SmVmZQ", alg: "HS256", key_ops: ["sign", "verify"], ext: true });
  const back = await subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  assert_equals(hex(await subtle.sign("HMAC", back, ascii("what do ya want for nothing?"))), RFC4231[1]["SHA-256"]);
}, "HMAC keys: attributes, raw and JWK export, JWK import");

promise_test(async () => {
  const key = await subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign", "verify"]);
  assert_object_equals(key.algorithm, { name: "HMAC", length: 1024, hash: { name: "SHA-512" } });
  assert_equals((await subtle.exportKey("raw", key)).byteLength, 128, "block size by default");
  const short = await subtle.generateKey({ name: "HMAC", hash: "SHA-256", length: 128 }, false, ["sign"]);
  assert_equals(short.algorithm.length, 128);
  const sig = await subtle.sign("HMAC", key, ascii("m"));
  assert_true(await subtle.verify("HMAC", key, sig, ascii("m")));
}, "HMAC generateKey with the default and a given length");

// ---- PBKDF2 and HKDF

const pbkdf2 = async (hash, password, salt, iterations, bits) => {
  const key = await subtle.importKey("raw", ascii(password), "PBKDF2", false, ["deriveBits"]);
  return hex(await subtle.deriveBits({ name: "PBKDF2", hash, salt: ascii(salt), iterations }, key, bits));
};

promise_test(async () => {
  assert_equals(await pbkdf2("SHA-1", "password", "salt", 1, 160), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  assert_equals(await pbkdf2("SHA-1", "password", "salt", 2, 160), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  assert_equals(await pbkdf2("SHA-1", "password", "salt", 4096, 160), "4b007901b765489abead49d926f721d065a429c1");
  assert_equals(
    await pbkdf2("SHA-1", "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 200),
    "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
  );
  assert_equals(await pbkdf2("SHA-1", "pass\0word", "sa\0lt", 4096, 128), "56fa6aa75548099dcc37d7f03425e0c3");
}, "PBKDF2-SHA1: RFC 6070 test vectors");

promise_test(async () => {
  assert_equals(await pbkdf2("SHA-256", "password", "salt", 1, 256), "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  assert_equals(await pbkdf2("SHA-256", "password", "salt", 4096, 256), "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  assert_equals(await pbkdf2("SHA-256", "password", "salt", 1, 0), "", "zero bits");
}, "PBKDF2-SHA256: the RFC 6070 inputs");

promise_test(async () => {
  const key = await subtle.importKey("raw", ascii("password"), "PBKDF2", false, ["deriveBits"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: ascii("salt"), iterations: 1 };
  await promise_rejects_dom("OperationError", subtle.deriveBits({ ...params, iterations: 0 }, key, 256));
  await promise_rejects_dom("OperationError", subtle.deriveBits(params, key, 255));
  await promise_rejects_dom("OperationError", subtle.deriveBits(params, key));
  await promise_rejects_dom("OperationError", subtle.deriveBits(params, key, null));
  await promise_rejects_js(TypeError, subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", iterations: 1 }, key, 256));
  await promise_rejects_dom("NotSupportedError", subtle.deriveBits({ ...params, hash: "MD5" }, key, 256));
  await promise_rejects_dom("InvalidAccessError", subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: ascii(""), info: ascii("") }, key, 256));
  const keyOnly = await subtle.importKey("raw", ascii("password"), "PBKDF2", false, ["deriveKey"]);
  await promise_rejects_dom("InvalidAccessError", subtle.deriveBits(params, keyOnly, 256));
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", ascii("p"), "PBKDF2", true, ["deriveBits"]));
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", ascii("p"), "PBKDF2", false, ["sign"]));
  await promise_rejects_dom("NotSupportedError", subtle.importKey("jwk", { kty: "oct", k: "cA" }, "PBKDF2", false, ["deriveBits"]));
  await promise_rejects_dom("NotSupportedError", subtle.exportKey("raw", key));
  await promise_rejects_dom("NotSupportedError", subtle.generateKey("PBKDF2", false, ["deriveBits"]));
}, "PBKDF2 errors: OperationError, InvalidAccessError, SyntaxError, NotSupportedError, TypeError");

promise_test(async () => {
  const ikm = await subtle.importKey("raw", unhex("0b".repeat(22)), "HKDF", false, ["deriveBits"]);
  const case1 = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: unhex("000102030405060708090a0b0c"), info: unhex("f0f1f2f3f4f5f6f7f8f9") }, ikm, 42 * 8);
  assert_equals(hex(case1), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", "test case 1");
  const case3 = await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new Uint8Array(0) }, ikm, 42 * 8);
  assert_equals(hex(case3), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", "test case 3");
  const ikm11 = await subtle.importKey("raw", unhex("0b".repeat(11)), "HKDF", false, ["deriveBits"]);
  const case4 = await subtle.deriveBits({ name: "HKDF", hash: "SHA-1", salt: unhex("000102030405060708090a0b0c"), info: unhex("f0f1f2f3f4f5f6f7f8f9") }, ikm11, 42 * 8);
  assert_equals(hex(case4), "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896", "test case 4");
  const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new Uint8Array(0) };
  await promise_rejects_dom("OperationError", subtle.deriveBits(params, ikm, 255 * 256 + 8));
  await promise_rejects_dom("OperationError", subtle.deriveBits(params, ikm, 12));
  await promise_rejects_js(TypeError, subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0) }, ikm, 256));
}, "HKDF deriveBits: RFC 5869 test cases 1, 3 and 4, and its limits");

promise_test(async () => {
  const base = await subtle.importKey("raw", ascii("password"), "PBKDF2", false, ["deriveKey", "deriveBits"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: ascii("salt"), iterations: 2 };
  const key = await subtle.deriveKey(params, base, { name: "HMAC", hash: "SHA-256", length: 256 }, true, ["sign"]);
  assert_object_equals(key.algorithm, { name: "HMAC", length: 256, hash: { name: "SHA-256" } });
  assert_array_equals(key.usages, ["sign"]);
  const bits = await subtle.deriveBits(params, base, 256);
  assert_equals(hex(await subtle.exportKey("raw", key)), hex(bits), "the key is the derived bits");
  const blockSized = await subtle.deriveKey(params, base, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  assert_equals((await subtle.exportKey("raw", blockSized)).byteLength, 64, "HMAC's default length: the hash's block size");
  await promise_rejects_dom("OperationError", subtle.deriveKey(params, base, "HKDF", false, ["deriveBits"]));
  await promise_rejects_dom("NotSupportedError", subtle.deriveKey(params, base, { name: "AES-GCM", length: 256 }, false, ["encrypt"]));
  const bitsOnly = await subtle.importKey("raw", ascii("password"), "PBKDF2", false, ["deriveBits"]);
  await promise_rejects_dom("InvalidAccessError", subtle.deriveKey(params, bitsOnly, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]));
  const hkdf = await subtle.importKey("raw", unhex("0b".repeat(22)), "HKDF", false, ["deriveKey"]);
  const hk = await subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new Uint8Array(0) }, hkdf, { name: "HMAC", hash: "SHA-1", length: 160 }, true, ["verify"]);
  assert_equals(hex(await subtle.exportKey("raw", hk)), "8da4e775a563c18f715f802a063c5a31b8a11f5c", "RFC 5869 case 3, first 20 bytes");
}, "deriveKey: PBKDF2 and HKDF to HMAC keys");

// ---- Ed25519 (RFC 8032 §7.1 test 1)

const ED_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const ED_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const ED_SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const ED_PKCS8 = "302e020100300506032b657004220420" + ED_SEED;
const ED_SPKI = "302a300506032b6570032100" + ED_PUBLIC;

promise_test(async () => {
  const priv = await subtle.importKey("pkcs8", unhex(ED_PKCS8), "Ed25519", true, ["sign"]);
  assert_equals(priv.type, "private");
  assert_object_equals(priv.algorithm, { name: "Ed25519" });
  const sig = await subtle.sign("Ed25519", priv, new Uint8Array(0));
  assert_equals(hex(sig), ED_SIG, "RFC 8032 test 1 signature");
  const pub = await subtle.importKey("raw", unhex(ED_PUBLIC), { name: "Ed25519" }, true, ["verify"]);
  assert_equals(pub.type, "public");
  assert_true(await subtle.verify("Ed25519", pub, sig, new Uint8Array(0)));
  const bad = new Uint8Array(sig);
  bad[10] ^= 4;
  assert_false(await subtle.verify("Ed25519", pub, bad, new Uint8Array(0)), "a changed signature fails");
  assert_false(await subtle.verify("Ed25519", pub, sig, new Uint8Array(1)), "another message fails");
  assert_false(await subtle.verify("Ed25519", pub, sig.slice(0, 63), new Uint8Array(0)), "a short signature fails");
}, "Ed25519: RFC 8032 test 1 sign and verify");

promise_test(async () => {
  const jwk = { kty: "OKP", crv: "Ed25519", x: b64url(unhex(ED_PUBLIC)), d: b64url(unhex(ED_SEED)) };
  const priv = await subtle.importKey("jwk", jwk, "Ed25519", true, ["sign"]);
  assert_equals(hex(await subtle.exportKey("pkcs8", priv)), ED_PKCS8);
  const exported = await subtle.exportKey("jwk", priv);
  assert_object_equals(exported, { ...jwk, key_ops: ["sign"], ext: true });
  const pub = await subtle.importKey("spki", unhex(ED_SPKI), "Ed25519", true, ["verify"]);
  assert_equals(hex(await subtle.exportKey("raw", pub)), ED_PUBLIC);
  assert_equals(hex(await subtle.exportKey("spki", pub)), ED_SPKI);
  assert_object_equals(await subtle.exportKey("jwk", pub), { kty: "OKP", crv: "Ed25519", x: jwk.x, key_ops: ["verify"], ext: true });
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("raw", priv));
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("spki", priv));
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("pkcs8", pub));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...jwk, d: b64url(new Uint8Array(32)) }, "Ed25519", true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...jwk, crv: "X25519" }, "Ed25519", true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("raw", new Uint8Array(31), "Ed25519", true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("pkcs8", unhex(ED_SPKI), "Ed25519", true, ["sign"]));
}, "Ed25519 keys: JWK, PKCS #8, SPKI and raw round trips; errors");

promise_test(async () => {
  const { publicKey, privateKey } = await subtle.generateKey("Ed25519", false, ["sign", "verify"]);
  assert_equals(publicKey.extractable, true, "public keys are always extractable");
  assert_equals(privateKey.extractable, false);
  assert_array_equals(publicKey.usages, ["verify"]);
  assert_array_equals(privateKey.usages, ["sign"]);
  const sig = await subtle.sign({ name: "Ed25519" }, privateKey, ascii("hello"));
  assert_true(await subtle.verify("Ed25519", publicKey, sig, ascii("hello")));
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("pkcs8", privateKey));
}, "Ed25519 generateKey");

// ---- ECDSA P-256 (RFC 6979 A.2.5 key)

const EC_D = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const EC_X = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
const EC_Y = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
const EC_SIG_SHA256 = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
const EC_SIG_SHA384 = "0eafea039b20e9b42309fb1d89e213057cbf973dc0cfc8f129edddc800ef77194861f0491e6998b9455193e34e7b0d284ddd7149a74b95b9261f13abde940954";
const EC_JWK = { kty: "EC", crv: "P-256", x: b64url(unhex(EC_X)), y: b64url(unhex(EC_Y)) };
const ECDSA = { name: "ECDSA", namedCurve: "P-256" };

promise_test(async () => {
  const pub = await subtle.importKey("jwk", EC_JWK, ECDSA, true, ["verify"]);
  assert_equals(pub.type, "public");
  assert_object_equals(pub.algorithm, { name: "ECDSA", namedCurve: "P-256" });
  assert_true(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, unhex(EC_SIG_SHA256), ascii("sample")), "SHA-256");
  assert_true(await subtle.verify({ name: "ECDSA", hash: "SHA-384" }, pub, unhex(EC_SIG_SHA384), ascii("sample")), "SHA-384");
  assert_false(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, unhex(EC_SIG_SHA384), ascii("sample")), "wrong hash");
  assert_false(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, unhex(EC_SIG_SHA256), ascii("samplE")), "wrong message");
  assert_false(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, unhex(EC_SIG_SHA256).slice(1), ascii("sample")), "short signature");
}, "ECDSA: import a JWK public key and verify RFC 6979's signatures");

promise_test(async () => {
  const { publicKey, privateKey } = await subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  assert_array_equals(privateKey.usages, ["sign"]);
  assert_array_equals(publicKey.usages, ["verify"]);
  for (const hash of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) {
    const sig = await subtle.sign({ name: "ECDSA", hash }, privateKey, ascii("round trip"));
    assert_equals(sig.byteLength, 64, `${hash}: r || s`);
    assert_true(await subtle.verify({ name: "ECDSA", hash }, publicKey, sig, ascii("round trip")), hash);
  }
}, "ECDSA generateKey, sign and verify round trip with each hash");

promise_test(async () => {
  const priv = await subtle.importKey("jwk", { ...EC_JWK, d: b64url(unhex(EC_D)) }, ECDSA, true, ["sign"]);
  const pkcs8 = await subtle.exportKey("pkcs8", priv);
  const again = await subtle.importKey("pkcs8", pkcs8, ECDSA, true, ["sign"]);
  assert_object_equals(await subtle.exportKey("jwk", again), { ...EC_JWK, d: b64url(unhex(EC_D)), key_ops: ["sign"], ext: true });
  const pub = await subtle.importKey("jwk", EC_JWK, ECDSA, true, ["verify"]);
  const raw = await subtle.exportKey("raw", pub);
  assert_equals(hex(raw), "04" + EC_X + EC_Y, "raw: the uncompressed point");
  const spki = await subtle.exportKey("spki", pub);
  assert_equals(hex(spki), "3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04" + EC_X + EC_Y);
  const fromSpki = await subtle.importKey("spki", spki, ECDSA, true, ["verify"]);
  const fromRaw = await subtle.importKey("raw", raw, ECDSA, true, ["verify"]);
  for (const k of [fromSpki, fromRaw]) {
    assert_true(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, k, unhex(EC_SIG_SHA256), ascii("sample")));
  }
  const sig = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, again, ascii("sample"));
  assert_true(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, fromRaw, sig, ascii("sample")));
}, "ECDSA keys: JWK, PKCS #8, SPKI and raw round trips");

promise_test(async () => {
  await promise_rejects_dom("NotSupportedError", subtle.importKey("jwk", { ...EC_JWK, crv: "P-384" }, { name: "ECDSA", namedCurve: "P-384" }, true, ["verify"]));
  await promise_rejects_dom("NotSupportedError", subtle.generateKey({ name: "ECDSA", namedCurve: "P-521" }, true, ["sign"]));
  await promise_rejects_js(TypeError, subtle.generateKey({ name: "ECDSA" }, true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, crv: "P-384" }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, kty: "OKP" }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, y: EC_JWK.x }, ECDSA, true, ["verify"]), "not on the curve");
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, alg: "ES384" }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, use: "enc" }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, key_ops: ["sign"] }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { ...EC_JWK, ext: false }, ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("raw", new Uint8Array(65), ECDSA, true, ["verify"]));
  await promise_rejects_dom("DataError", subtle.importKey("spki", unhex(ED_SPKI), ECDSA, true, ["verify"]), "an Ed25519 SPKI");
  await promise_rejects_dom("SyntaxError", subtle.importKey("jwk", EC_JWK, ECDSA, true, ["sign"]), "a public key cannot sign");
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", unhex("04" + EC_X + EC_Y), ECDSA, true, ["sign"]));
  await promise_rejects_dom("SyntaxError", subtle.importKey("jwk", { ...EC_JWK, d: b64url(unhex(EC_D)) }, ECDSA, true, []), "a private key needs a usage");
  await promise_rejects_dom("SyntaxError", subtle.generateKey(ECDSA, true, ["verify"]), "a pair needs 'sign'");
  await promise_rejects_dom("SyntaxError", subtle.generateKey(ECDSA, true, ["sign", "encrypt"]));
}, "ECDSA errors: NotSupportedError, DataError, SyntaxError, TypeError");

// ---- usage and extractable checks

promise_test(async () => {
  const signOnly = await subtle.importKey("raw", ascii("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("raw", signOnly), "not extractable");
  await promise_rejects_dom("InvalidAccessError", subtle.exportKey("jwk", signOnly), "not extractable (jwk)");
  await promise_rejects_dom("InvalidAccessError", subtle.verify("HMAC", signOnly, new Uint8Array(32), ascii("m")), "no 'verify' usage");
  const ed = await subtle.importKey("pkcs8", unhex(ED_PKCS8), "Ed25519", false, ["sign"]);
  await promise_rejects_dom("InvalidAccessError", subtle.sign("HMAC", ed, ascii("m")), "algorithm mismatch");
  await promise_rejects_dom("InvalidAccessError", subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ed, ascii("m")), "algorithm mismatch");
  const pub = await subtle.importKey("raw", unhex(ED_PUBLIC), "Ed25519", true, ["verify"]);
  await promise_rejects_dom("InvalidAccessError", subtle.sign("Ed25519", pub, ascii("m")), "a public key cannot sign");
  const hmac = await subtle.importKey("raw", ascii("key"), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
  await promise_rejects_dom("NotSupportedError", subtle.exportKey("spki", hmac));
  await promise_rejects_js(TypeError, subtle.exportKey("der", hmac), "unknown format");
  await promise_rejects_js(TypeError, subtle.exportKey("raw", { type: "secret" }), "not a CryptoKey");
  await promise_rejects_js(TypeError, subtle.sign("HMAC", hmac, "text"), "data must be a BufferSource");
  await promise_rejects_js(TypeError, subtle.importKey("raw", "key", { name: "HMAC", hash: "SHA-256" }, true, ["sign"]));
  await promise_rejects_js(TypeError, subtle.importKey("jwk", ascii("{}"), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]));
  await promise_rejects_js(TypeError, subtle.importKey("raw", ascii("k"), { name: "HMAC" }, true, ["sign"]), "hash is required");
  await promise_rejects_js(TypeError, subtle.importKey("raw", ascii("k"), { name: "HMAC", hash: "SHA-256" }, true, ["fly"]), "not a usage");
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", ascii("k"), { name: "HMAC", hash: "SHA-256" }, true, ["deriveBits"]));
  await promise_rejects_dom("SyntaxError", subtle.importKey("raw", ascii("k"), { name: "HMAC", hash: "SHA-256" }, true, []));
  await promise_rejects_dom("DataError", subtle.importKey("raw", new Uint8Array(0), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("raw", ascii("key"), { name: "HMAC", hash: "SHA-256", length: 32 }, true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { kty: "oct", k: "a2V5", alg: "HS512" }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]));
  await promise_rejects_dom("DataError", subtle.importKey("jwk", { kty: "oct", k: "a2V+" }, { name: "HMAC", hash: "SHA-256" }, true, ["sign"]), "not base64url");
  await promise_rejects_dom("NotSupportedError", subtle.importKey("raw", ascii("k"), "AES-GCM", true, ["encrypt"]));
  await promise_rejects_dom("NotSupportedError", subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, hmac, ascii("m")));
  await promise_rejects_dom("NotSupportedError", subtle.sign("RSASSA-PKCS1-v1_5", hmac, ascii("m")));
}, "usage, extractable and argument errors have the spec's types");

// ---- JWTs with crypto.subtle alone

const jwtSign = async (header, payload, key, alg) => {
  const input = b64url(ascii(JSON.stringify(header))) + "." + b64url(ascii(JSON.stringify(payload)));
  return input + "." + b64url(await subtle.sign(alg, key, ascii(input)));
};
const jwtVerify = async (token, key, alg) => {
  const [h, p, s] = token.split(".");
  return subtle.verify(alg, key, unb64url(s), ascii(h + "." + p));
};

promise_test(async () => {
  // The well-known HS256 example token and its secret.
  const token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  const key = await subtle.importKey("raw", ascii("your-256-bit-secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  assert_true(await jwtVerify(token, key, "HMAC"), "the example token verifies");
  const again = await jwtSign({ alg: "HS256", typ: "JWT" }, { sub: "1234567890", name: "John Doe", iat: 1516239022 }, key, "HMAC");
  assert_equals(again, token, "signing the same claims gives the same token");
  const forged = token.replace("eyJzdWIiOiIxMjM0NTY3ODkwIi", "eyJzdWIiOiIxMjM0NTY3ODkxIi");
  assert_false(await jwtVerify(forged, key, "HMAC"), "changed claims fail");
}, "JWT HS256: sign and verify with crypto.subtle");

promise_test(async () => {
  const alg = { name: "ECDSA", hash: "SHA-256" };
  // Signed by another implementation (randomised nonce) with the RFC 6979 key.
  const foreign =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJpc2VyZSIsImlhdCI6MTcwMDAwMDAwMH0.Xv91lNLUPiuyIgfnubXdlgLiiyZESSw-EOFIUs8Hka6cGUWQ3JtL64IEYdsDWxiI8vnovf9laQJLmq_qWlTRew";
  const pub = await subtle.importKey("jwk", { ...EC_JWK, alg: "ES256" }, ECDSA, false, ["verify"]);
  assert_true(await jwtVerify(foreign, pub, alg), "a foreign ES256 token verifies");
  const { publicKey, privateKey } = await subtle.generateKey(ECDSA, false, ["sign", "verify"]);
  const token = await jwtSign({ alg: "ES256", typ: "JWT" }, { sub: "board", exp: 2000000000 }, privateKey, alg);
  assert_true(await jwtVerify(token, publicKey, alg), "our ES256 token verifies");
  assert_false(await jwtVerify(token, pub, alg), "not with another key");
  const [h, , s] = token.split(".");
  assert_false(await jwtVerify(`${h}.${b64url(ascii('{"sub":"root"}'))}.${s}`, publicKey, alg), "changed claims fail");
}, "JWT ES256: sign and verify with crypto.subtle");
