// Headers (WHATWG Fetch §5.2). Storage is one combined value per lowercased name
// (values joined with ", " as `get` returns them) plus a separate list for
// set-cookie, so the wire form of a repeated header is its combined value (same
// meaning, RFC 9110 §5.3) and set-cookie lines stay separate.
// Departures: original name case is not kept (nothing observable from JS shows
// it); no guards (request/response/immutable); iterators iterate a snapshot
// taken when they are created.
(function (internal, global) {
  "use strict";
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const WS = "\t\n\r ", TRIM = /^[\t\n\r ]+|[\t\n\r ]+$/g; // HTTP whitespace
  const BAD_VALUE = /[\0\r\n\u0100-\uffff]/; // CR/LF/NUL; >0xFF is not a ByteString

  function checkName(name) {
    name = String(name);
    if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    return name.toLowerCase();
  }
  function checkValue(value, name) {
    value = String(value);
    const last = value.length - 1;
    if (last >= 0 && (WS.includes(value[0]) || WS.includes(value[last]))) value = value.replace(TRIM, "");
    if (BAD_VALUE.test(value)) {
      throw new TypeError(`Invalid value for header ${JSON.stringify(name)}: ${JSON.stringify(value)} (CR, LF, NUL and characters above U+00FF are not allowed)`);
    }
    return value;
  }

  let fromFlat;
  class Headers {
    #map = new Map();
    #cookies = [];

    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init !== "object" && typeof init !== "function") {
        throw new TypeError("Headers: init must be a Headers, an array of [name, value] pairs, or a record of names to values");
      }
      if (init instanceof Headers) {
        for (const [k, v] of init.#map) this.#map.set(k, v);
        this.#cookies = init.#cookies.slice();
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = typeof pair === "object" && pair !== null && typeof pair[Symbol.iterator] === "function" ? [...pair] : null;
          if (p === null || p.length !== 2) {
            throw new TypeError("Headers: each header must be a [name, value] pair");
          }
          this.append(p[0], p[1]);
        }
      } else {
        for (const k of Object.keys(init)) this.append(k, init[k]);
      }
    }

    append(name, value) {
      const k = checkName(name);
      const v = checkValue(value, name);
      if (k === "set-cookie") this.#cookies.push(v);
      else {
        const old = this.#map.get(k);
        this.#map.set(k, old === undefined ? v : old + ", " + v);
      }
    }
    delete(name) {
      const k = checkName(name);
      if (k === "set-cookie") this.#cookies.length = 0;
      else this.#map.delete(k);
    }
    get(name) {
      const k = checkName(name);
      if (k === "set-cookie") return this.#cookies.length ? this.#cookies.join(", ") : null;
      return this.#map.get(k) ?? null;
    }
    getSetCookie() {
      return this.#cookies.slice();
    }
    has(name) {
      const k = checkName(name);
      return k === "set-cookie" ? this.#cookies.length > 0 : this.#map.has(k);
    }
    set(name, value) {
      const k = checkName(name);
      const v = checkValue(value, name);
      if (k === "set-cookie") this.#cookies = [v];
      else this.#map.set(k, v);
    }

    // "sort and combine" (§5.2): by name; set-cookie values not combined.
    #sorted() {
      const names = [...this.#map.keys()];
      if (this.#cookies.length) names.push("set-cookie");
      names.sort();
      const out = [];
      for (const k of names) {
        if (k === "set-cookie") for (const c of this.#cookies) out.push([k, c]);
        else out.push([k, this.#map.get(k)]);
      }
      return out;
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== "function") throw new TypeError("Headers.forEach: callback must be a function");
      for (const [k, v] of this.#sorted()) callback.call(thisArg, v, k, this);
    }
    entries() {
      return this.#sorted().values();
    }
    keys() {
      return this.#sorted().map((e) => e[0]).values();
    }
    values() {
      return this.#sorted().map((e) => e[1]).values();
    }
    [Symbol.iterator]() {
      return this.#sorted().values();
    }
    get [Symbol.toStringTag]() {
      return "Headers";
    }
    [internal.inspect]() {
      const o = {};
      for (const [k, v] of this.#sorted()) o[k] = k in o ? [].concat(o[k], v) : v;
      return o;
    }

    static {
      // Trusted input from the Rust side: [name, value, name, value, ...].
      fromFlat = (flat) => {
        const h = new Headers();
        const map = h.#map;
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const k = flat[i].toLowerCase(), v = flat[i + 1];
          if (k === "set-cookie") h.#cookies.push(v);
          else {
            const old = map.get(k);
            map.set(k, old === undefined ? v : old + ", " + v);
          }
        }
        return h;
      };
      internal.headersToFlat = (h) => {
        const out = [];
        for (const [k, v] of h.#map) out.push(k, v);
        for (const c of h.#cookies) out.push("set-cookie", c);
        return out;
      };
    }
  }
  internal.headersFromFlat = fromFlat;
  internal.Headers = Headers;
  internal.expose("Headers", Headers);
});
