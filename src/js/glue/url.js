// @lazy globals: URL, URLSearchParams; internal: URL, URLSearchParams, parseForm, percentDecode
// URL and URLSearchParams (WHATWG URL Standard), compact: enough to read a
// request's path and query reliably and to build URLs for redirects and fetch.
//
// Covered: special schemes (http, https, ws, wss, ftp; file minimally) with
// userinfo, host (ASCII lowercasing, percent-decoding, forbidden code points,
// IPv4 in all its dotted/hex/octal forms -> dotted decimal), port (default-port
// elision, 0..65535), path ('.'/'..' segments incl. %2e forms, '\' as '/',
// percent-encoding per the path/query/fragment/userinfo sets), relative references
// against a base, non-special schemes with an authority or an opaque path,
// application/x-www-form-urlencoded parsing and serialisation.
//
// Not covered (departures from the standard):
// - IDNA: non-ASCII hostnames are only lowercased, not converted to punycode.
// - IPv6: a bracketed host is checked for hex digits, ':' and '.' and lowercased,
//   but not validated further nor compressed ("[0:0::1]" stays as written).
// - file: URLs: no Windows drive-letter rules, no "localhost" quirks beyond the
//   empty host; blob: origins are "null".
// - Setters exist for href, pathname, search and hash only (the others are
//   read-only); no validation errors are reported, only failures.
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode } = internal;
  const DEFAULT_PORT = { http: "80", https: "443", ws: "80", wss: "443", ftp: "21", file: "" };
  const isSpecial = (scheme) => Object.hasOwn(DEFAULT_PORT, scheme);

  // Percent-encode sets (URL §1.3). Each is a pair: a quick test (UTF-16 code
  // units) and the replacing regex (code points, so a pair encodes as one). The
  // path set follows today's engines (V8/Ada, Node 20) and leaves '^' as is.
  const set = (ascii) => [new RegExp("[" + ascii + "\\x7f-\\uffff]"), new RegExp("[" + ascii + "\\x7f-\\u{10ffff}]", "gu")];
  const C0 = set("\\0-\\x1f");
  const FRAGMENT = set('\\0-\\x20"<>`');
  const QUERY = set('\\0-\\x20"#<>');
  const SPECIAL_QUERY = set("\\0-\\x20\"#<>'");
  const PATH = set('\\0-\\x20"#<>?`{}');
  const USERINFO = set('\\0-\\x20"#<>?`{}/:;=@[\\\\\\]^|');
  const hex = (n) => (n < 16 ? "%0" : "%") + n.toString(16).toUpperCase();
  const encChar = (c) => (c < "\x80" ? hex(c.charCodeAt(0)) : encodeURIComponent(c));
  const enc = (s, [test, re]) => (test.test(s) ? s.toWellFormed().replace(re, encChar) : s);

  // String percent-decode (URL §1.3): UTF-8 bytes, %XX -> byte, back to UTF-8.
  function percentDecode(s) {
    if (!s.includes("%")) return s;
    const b = utf8Encode(s), out = new Uint8Array(b.length);
    const hv = (c) => (c >= 48 && c <= 57 ? c - 48 : (c |= 32) >= 97 && c <= 102 ? c - 87 : -1);
    let j = 0;
    for (let i = 0; i < b.length; i++) {
      let h, l;
      if (b[i] === 37 && (h = hv(b[i + 1])) >= 0 && (l = hv(b[i + 2])) >= 0) {
        out[j++] = h * 16 + l;
        i += 2;
      } else out[j++] = b[i];
    }
    return utf8Decode(out.subarray(0, j));
  }

  // IPv4 parser (URL §3.5); returns the serialised address, or null on failure.
  function parseIPv4(parts) {
    if (parts.length > 4) return null;
    const nums = [];
    for (const p of parts) {
      let m, n;
      if ((m = /^0[xX]([0-9A-Fa-f]*)$/.exec(p))) n = m[1] ? parseInt(m[1], 16) : 0;
      else if (/^0[0-7]+$/.test(p)) n = parseInt(p, 8);
      else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
      else return null;
      nums.push(n);
    }
    const last = nums.pop();
    if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
    let v = last;
    nums.forEach((n, i) => (v += n * 256 ** (3 - i)));
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
  }

  // Host parser (URL §3.5), simplified: see the header comment.
  function parseHost(s, special) {
    if (s.startsWith("[")) {
      return /^\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]$/.test(s) ? s.toLowerCase() : null;
    }
    if (!special) return /[\0\t\n\r #/:<>?@[\\\]^|]/.test(s) ? null : enc(s, C0);
    const host = percentDecode(s).toLowerCase();
    if (host === "" || /[\0-\x20#%/:<>?@[\\\]^|\x7f]/.test(host)) return null;
    const parts = host.split(".");
    if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
    if (/^([0-9]+|0[xX][0-9A-Fa-f]*)$/.test(parts[parts.length - 1])) return parseIPv4(parts);
    return host;
  }

  // Path state (URL §4.4): appends the segments of `s` to `segs`.
  function parsePath(s, segs, special) {
    const parts = special && s.includes("\\") ? s.split(/[\/\\]/) : s.split("/");
    for (let i = parts[0] === "" ? 1 : 0; i < parts.length; i++) {
      const p = parts[i], last = i === parts.length - 1, c = p.charCodeAt(0);
      const l = (c === 46 || c === 37) && p.length <= 6 ? p.toLowerCase() : "";
      if (l === ".." || l === ".%2e" || l === "%2e." || l === "%2e%2e") {
        segs.pop();
        if (last) segs.push("");
      } else if (l === "." || l === "%2e") {
        if (last) segs.push("");
      } else segs.push(enc(p, PATH));
    }
    return segs;
  }

  // Authority: userinfo@host:port. Returns false on failure.
  function parseAuthority(auth, u, special) {
    const at = auth.lastIndexOf("@");
    if (at >= 0) {
      const info = auth.slice(0, at), c = info.indexOf(":");
      u.user = enc(c < 0 ? info : info.slice(0, c), USERINFO);
      u.pass = c < 0 ? "" : enc(info.slice(c + 1), USERINFO);
      auth = auth.slice(at + 1);
    }
    const colon = auth.lastIndexOf(":");
    if (colon > auth.lastIndexOf("]")) {
      const port = auth.slice(colon + 1);
      auth = auth.slice(0, colon);
      if (port !== "") {
        if (!/^[0-9]+$/.test(port) || +port > 65535) return false;
        u.port = String(+port);
        if (u.port === DEFAULT_PORT[u.scheme]) u.port = "";
      }
    }
    if (u.scheme === "file" && (at >= 0 || u.port !== "")) return false; // a file host is a host only
    if (auth === "") {
      if ((special && u.scheme !== "file") || at >= 0 || u.port !== "") return false;
      u.host = "";
      return true;
    }
    u.host = parseHost(auth, special);
    if (u.scheme === "file" && u.host === "localhost") u.host = "";
    return u.host !== null;
  }

  // Basic URL parser (URL §4.4), simplified. Returns a record or null.
  function parse(input, base) {
    input = String(input);
    if (/[\0-\x20]/.test(input)) input = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
    const u = { scheme: "", user: "", pass: "", host: null, port: "", path: [], opaque: false, query: null, frag: null };
    let rest = input;
    let i = rest.indexOf("#");
    if (i >= 0) {
      u.frag = enc(rest.slice(i + 1), FRAGMENT);
      rest = rest.slice(0, i);
    }
    const m = /^([A-Za-z][A-Za-z0-9+.\-]*):/.exec(rest);
    if (m) {
      u.scheme = m[1].toLowerCase();
      rest = rest.slice(m[0].length);
      // "http:foo" against an http: base is relative (§4.4 special relative or authority state).
      if (!(base && base.scheme === u.scheme && isSpecial(u.scheme))) base = null;
    } else if (!base) return null;
    else u.scheme = base.scheme;
    const special = isSpecial(u.scheme);
    i = rest.indexOf("?");
    let path = rest;
    if (i >= 0) {
      u.query = enc(rest.slice(i + 1), special ? SPECIAL_QUERY : QUERY);
      path = rest.slice(0, i);
    }
    if (base) {
      if (base.opaque) {
        // Only a fragment can be resolved against an opaque path (§4.4 no scheme state).
        if (rest !== "" || u.frag === null) return null;
        return { ...base, frag: u.frag };
      }
      if (special ? /^[\/\\]{2}/.test(path) : path.startsWith("//")) {
        base = null; // scheme-relative: "//host/path"
      } else {
        u.user = base.user;
        u.pass = base.pass;
        u.host = base.host;
        u.port = base.port;
        if (path === "") {
          u.path = base.path.slice();
          if (i < 0) u.query = base.query;
        } else if (special ? /^[\/\\]/.test(path) : path.startsWith("/")) {
          u.path = parsePath(path, [], special);
        } else {
          u.path = parsePath(path, base.path.slice(0, -1), special);
        }
        return u;
      }
    }
    if (special || path.startsWith("//")) {
      // Authority: special schemes skip any number of slashes (§4.4); file: has
      // one only after exactly two, and may have an empty host.
      let auth = "";
      if (u.scheme !== "file" || /^[\/\\]{2}/.test(path)) {
        const p = path.replace(u.scheme === "file" ? /^[\/\\]{2}/ : special ? /^[\/\\]*/ : /^\/\//, "");
        const end = p.search(special ? /[\/\\]/ : /\//);
        auth = end < 0 ? p : p.slice(0, end);
        path = end < 0 ? "" : p.slice(end);
      }
      if (!parseAuthority(auth, u, special)) return null;
      u.path = special && path === "" ? [""] : parsePath(path, [], special);
    } else if (path.startsWith("/")) {
      u.path = parsePath(path, [], false);
    } else {
      u.opaque = true;
      u.path = enc(path, C0);
    }
    return u;
  }

  function serializePath(u) {
    if (u.opaque) return u.path;
    let s = "";
    for (const seg of u.path) s += "/" + seg;
    return s;
  }
  function serialize(u) {
    let s = u.scheme + ":";
    if (u.host !== null) {
      s += "//";
      if (u.user !== "" || u.pass !== "") s += u.user + (u.pass !== "" ? ":" + u.pass : "") + "@";
      s += u.host + (u.port !== "" ? ":" + u.port : "");
    }
    // "/." keeps a null-host path starting with "//" from reading as a host (§4.5).
    else if (!u.opaque && u.path.length > 1 && u.path[0] === "") s += "/.";
    s += serializePath(u);
    if (u.query !== null) s += "?" + u.query;
    if (u.frag !== null) s += "#" + u.frag;
    return s;
  }

  // application/x-www-form-urlencoded (URL §5).
  const formDecode = (s) => percentDecode(s.includes("+") ? s.replace(/\+/g, " ") : s);
  function parseForm(s) {
    const list = [];
    for (const part of s.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      list.push(eq < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
    }
    return list;
  }
  const formEncode = (s) =>
    /^[\w*\-.]*$/.test(s) ? s : encodeURIComponent(s).replace(/[!'()~]/g, encChar).replace(/%20/g, "+");
  const serializeForm = (list) => list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&");
  const usv = (x) => String(x).toWellFormed();

  let setParamsList, setUrlQuery;
  class URLSearchParams {
    #list = [];
    #url = null;

    constructor(init = "") {
      if ((typeof init === "object" && init !== null) || typeof init === "function") {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const p = typeof pair === "object" && pair !== null && typeof pair[Symbol.iterator] === "function" ? [...pair] : null;
            if (p === null || p.length !== 2) {
              throw new TypeError("URLSearchParams: each pair must be a [name, value] sequence of length 2");
            }
            this.#list.push([usv(p[0]), usv(p[1])]);
          }
        } else {
          for (const k of Object.keys(init)) this.#list.push([usv(k), usv(init[k])]);
        }
      } else {
        const s = usv(init);
        this.#list = parseForm(s.startsWith("?") ? s.slice(1) : s);
      }
    }
    #update() {
      if (this.#url !== null) {
        const q = serializeForm(this.#list);
        setUrlQuery(this.#url, q === "" ? null : q);
      }
    }
    get size() {
      return this.#list.length;
    }
    append(name, value) {
      this.#list.push([usv(name), usv(value)]);
      this.#update();
    }
    delete(name, value = undefined) {
      name = usv(name);
      if (value === undefined) this.#list = this.#list.filter((e) => e[0] !== name);
      else {
        value = usv(value);
        this.#list = this.#list.filter((e) => e[0] !== name || e[1] !== value);
      }
      this.#update();
    }
    get(name) {
      name = usv(name);
      const e = this.#list.find((e) => e[0] === name);
      return e ? e[1] : null;
    }
    getAll(name) {
      name = usv(name);
      return this.#list.filter((e) => e[0] === name).map((e) => e[1]);
    }
    has(name, value = undefined) {
      name = usv(name);
      if (value === undefined) return this.#list.some((e) => e[0] === name);
      value = usv(value);
      return this.#list.some((e) => e[0] === name && e[1] === value);
    }
    set(name, value) {
      name = usv(name);
      value = usv(value);
      const i = this.#list.findIndex((e) => e[0] === name);
      if (i < 0) this.#list.push([name, value]);
      else {
        this.#list[i] = [name, value];
        this.#list = this.#list.filter((e, j) => j <= i || e[0] !== name);
      }
      this.#update();
    }
    sort() {
      // Stable sort by UTF-16 code units (ES2019 requires sort to be stable).
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }
    toString() {
      return serializeForm(this.#list);
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== "function") throw new TypeError("URLSearchParams.forEach: callback must be a function");
      for (let i = 0; i < this.#list.length; i++) callback.call(thisArg, this.#list[i][1], this.#list[i][0], this);
    }
    entries() {
      return this.#list.map((e) => [e[0], e[1]]).values();
    }
    keys() {
      return this.#list.map((e) => e[0]).values();
    }
    values() {
      return this.#list.map((e) => e[1]).values();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    get [Symbol.toStringTag]() {
      return "URLSearchParams";
    }
    [internal.inspect]() {
      const o = {};
      for (const [k, v] of this.#list) o[k] = Object.hasOwn(o, k) ? [].concat(o[k], v) : v;
      return o;
    }
    static {
      setParamsList = (sp, url, query) => {
        sp.#url = url;
        sp.#list = query ? parseForm(query) : [];
      };
    }
  }

  const parseArgs = (url, base) => {
    let b = null;
    if (base !== undefined) {
      b = parse(usv(base), null);
      if (b === null) return null;
    }
    return parse(usv(url), b);
  };

  class URL {
    #u;
    #sp = null;

    constructor(url, base = undefined) {
      const u = parseArgs(url, base);
      if (u === null) {
        throw new TypeError(`Invalid URL: ${JSON.stringify(String(url))}` + (base === undefined ? "" : ` (base ${JSON.stringify(String(base))})`));
      }
      this.#u = u;
    }
    static canParse(url, base = undefined) {
      return parseArgs(url, base) !== null;
    }
    static parse(url, base = undefined) {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }
    #sync() {
      if (this.#sp !== null) setParamsList(this.#sp, this, this.#u.query);
    }

    get href() {
      return serialize(this.#u);
    }
    set href(value) {
      const u = parse(usv(value), null);
      if (u === null) throw new TypeError(`Invalid URL: ${JSON.stringify(String(value))}`);
      this.#u = u;
      this.#sync();
    }
    get origin() {
      const u = this.#u;
      if (!isSpecial(u.scheme) || u.scheme === "file") return "null";
      return u.scheme + "://" + u.host + (u.port !== "" ? ":" + u.port : "");
    }
    get protocol() {
      return this.#u.scheme + ":";
    }
    get username() {
      return this.#u.user;
    }
    get password() {
      return this.#u.pass;
    }
    get host() {
      const u = this.#u;
      return u.host === null ? "" : u.host + (u.port !== "" ? ":" + u.port : "");
    }
    get hostname() {
      return this.#u.host ?? "";
    }
    get port() {
      return this.#u.port;
    }
    get pathname() {
      return serializePath(this.#u);
    }
    set pathname(value) {
      const u = this.#u;
      if (u.opaque) return;
      const special = isSpecial(u.scheme);
      u.path = parsePath(usv(value), [], special);
      if (special && u.path.length === 0) u.path = [""];
    }
    get search() {
      const q = this.#u.query;
      return q ? "?" + q : "";
    }
    set search(value) {
      const s = usv(value);
      this.#u.query = s === "" ? null : enc(s.startsWith("?") ? s.slice(1) : s, isSpecial(this.#u.scheme) ? SPECIAL_QUERY : QUERY);
      this.#sync();
    }
    get searchParams() {
      if (this.#sp === null) {
        this.#sp = new URLSearchParams();
        this.#sync();
      }
      return this.#sp;
    }
    get hash() {
      const f = this.#u.frag;
      return f ? "#" + f : "";
    }
    set hash(value) {
      const s = usv(value);
      this.#u.frag = s === "" ? null : enc(s.startsWith("#") ? s.slice(1) : s, FRAGMENT);
    }
    toString() {
      return serialize(this.#u);
    }
    toJSON() {
      return serialize(this.#u);
    }
    get [Symbol.toStringTag]() {
      return "URL";
    }
    [internal.inspect]() {
      return { href: this.href };
    }
    static {
      setUrlQuery = (url, q) => {
        url.#u.query = q;
      };
    }
  }

  internal.URL = URL;
  internal.URLSearchParams = URLSearchParams;
  internal.parseForm = parseForm;
  internal.percentDecode = percentDecode;
  internal.expose("URL", URL);
  internal.expose("URLSearchParams", URLSearchParams);
});
