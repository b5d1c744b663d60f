// @lazy globals: console; internal: console, format, inspectValue
// console: log/info/warn/error/debug/trace (+ assert, dir), formatted like
// Node/browsers for the common cases, on one line (no 72-column wrapping), and
// sent to natives.log(level, message): 1=error 2=warn 3=info 4=debug 5=trace.
// Glue classes may define an `internal.inspect` method returning a plain value to
// show after their class name (e.g. `Headers { a: '1' }`).
(function (internal, global) {
  "use strict";
  const N = internal.natives;
  const INSPECT = internal.inspect;
  const CUSTOM = Symbol.for("nodejs.util.inspect.custom");
  const MAX_ITEMS = 100, MAX_DEPTH = 2;
  const IDENT = /^[A-Za-z_$][\w$]*$/;

  const quote = (s) => "'" + JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'") + "'";

  function errorText(e, seen) {
    let name, msg, stack, cause;
    try {
      name = String(e.name ?? "Error");
      msg = String(e.message ?? "");
      stack = typeof e.stack === "string" ? e.stack.replace(/\n+$/, "") : "";
      cause = e.cause;
    } catch {
      return "[Error]";
    }
    const head = msg ? name + ": " + msg : name;
    // QuickJS's `stack` holds the frames only; V8's starts with the header.
    let s = !stack ? head : stack.startsWith(head) ? stack : head + "\n" + stack;
    if (cause !== undefined && seen.length <= MAX_DEPTH) {
      s += " {\n  [cause]: " + inspect(cause, [...seen, e]) + "\n}";
    }
    return s;
  }

  // One value, Node-style: strings quoted when nested, depth limit 2, cycles shown
  // as [Circular].
  // What the native classes of the request path (src/js/natives/) show.
  function nativeView(v) {
    if (v instanceof internal.Headers) {
      const o = {};
      for (const [k, x] of v) o[k] = Object.hasOwn(o, k) ? [].concat(o[k], x) : x;
      return o;
    }
    if (v instanceof internal.Request) return { method: v.method, url: v.url, headers: v.headers, bodyUsed: v.bodyUsed };
    if (v instanceof internal.Response) return { status: v.status, statusText: v.statusText, headers: v.headers, bodyUsed: v.bodyUsed };
    // By tag, so that showing a value does not define URL in the context.
    const tag = Object.prototype.toString.call(v);
    try {
      if (tag === "[object URL]") return { href: v.href };
      if (tag === "[object URLSearchParams]") {
        const o = {};
        for (const [k, x] of v) o[k] = Object.hasOwn(o, k) ? [].concat(o[k], x) : x;
        return o;
      }
    } catch {}
    return undefined;
  }

  function inspect(v, seen, top) {
    switch (typeof v) {
      case "string": return top ? v : quote(v);
      case "number": return Object.is(v, -0) ? "-0" : String(v);
      case "bigint": return v + "n";
      case "symbol": return v.toString();
      case "undefined": return "undefined";
      case "boolean": return String(v);
      case "function": {
        const name = v.name ? v.name : "(anonymous)";
        return Function.prototype.toString.call(v).startsWith("class") ? "[class " + name + "]" : "[Function: " + name + "]";
      }
    }
    if (v === null) return "null";
    if (seen.includes(v)) return "[Circular]";
    if (v instanceof Error) return errorText(v, seen);
    if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v instanceof Promise) return "Promise {}";
    if (v instanceof WeakMap || v instanceof WeakSet) return v.constructor.name + " { <items unknown> }";
    let ctor = "";
    try {
      const p = Object.getPrototypeOf(v);
      ctor = p === null ? "[Object: null prototype]" : (p.constructor && p.constructor.name) || "";
    } catch {}
    // Node's util.inspect.custom hook: a string is shown as it is, anything
    // else is inspected in its place.
    if (typeof v[CUSTOM] === "function") {
      const r = v[CUSTOM](MAX_DEPTH - seen.length, { depth: MAX_DEPTH - seen.length }, (x) => inspect(x, [], false));
      return typeof r === "string" ? r : inspect(r, [...seen, v]);
    }
    if (typeof v[INSPECT] === "function") {
      return ctor + " " + inspect(v[INSPECT](), [...seen, v]);
    }
    const view = nativeView(v);
    if (view !== undefined) return ctor + " " + inspect(view, [...seen, v]);
    const isArr = Array.isArray(v);
    if (seen.length > MAX_DEPTH) return isArr ? "[Array]" : "[" + (ctor || "Object") + "]";
    seen = [...seen, v];
    const parts = [];
    let open = "{", close = "}", prefix = ctor === "Object" ? "" : ctor;
    const list = (items, fmt) => {
      let n = 0;
      for (const it of items) {
        if (n++ === MAX_ITEMS) {
          parts.push("... more items");
          break;
        }
        parts.push(fmt(it));
      }
    };
    if (isArr || ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      open = "[";
      close = "]";
      prefix = isArr && ctor === "Array" ? "" : ctor + "(" + v.length + ")";
      const n = Math.min(v.length, MAX_ITEMS);
      for (let i = 0; i < n; i++) parts.push(i in v ? inspect(v[i], seen) : "<empty>");
      if (v.length > n) parts.push("... " + (v.length - n) + " more items");
      if (!isArr) return prefix + " [ " + parts.join(", ") + (parts.length ? " ]" : "]");
    } else if (v instanceof Map) {
      prefix = ctor + "(" + v.size + ")";
      list(v, ([k, x]) => inspect(k, seen) + " => " + inspect(x, seen));
    } else if (v instanceof Set) {
      prefix = ctor + "(" + v.size + ")";
      list(v, (x) => inspect(x, seen));
    } else if (v instanceof ArrayBuffer) {
      return "ArrayBuffer { byteLength: " + v.byteLength + " }";
    }
    for (const k of Object.keys(v)) {
      if (isArr && String(k >>> 0) === k) continue;
      let x;
      try {
        x = inspect(v[k], seen);
      } catch {
        x = "[Getter]";
      }
      parts.push((IDENT.test(k) ? k : quote(k)) + ": " + x);
    }
    const body = parts.length ? open + " " + parts.join(", ") + " " + close : open + close;
    return prefix ? prefix + " " + body : body;
  }

  // printf-style substitutions (WHATWG Console "Formatter"), then the remaining
  // arguments, joined with spaces.
  function format(args) {
    let out = "", i = 0;
    const first = args[0];
    if (typeof first === "string" && args.length > 1 && first.includes("%")) {
      i = 1;
      out = first.replace(/%([sdifoOjc%])/g, (m, c) => {
        if (c === "%") return "%";
        if (i >= args.length) return m;
        const a = args[i++];
        switch (c) {
          case "s": return typeof a === "string" ? a : typeof a === "object" && a !== null ? inspect(a, [], false) : typeof a === "bigint" ? a + "n" : String(a);
          case "d": return typeof a === "bigint" ? a + "n" : typeof a === "symbol" ? "NaN" : String(Number(a));
          case "i": return typeof a === "bigint" ? a + "n" : typeof a === "symbol" ? "NaN" : String(parseInt(a));
          case "f": return typeof a === "symbol" ? "NaN" : String(parseFloat(a));
          case "j":
            try {
              return String(JSON.stringify(a));
            } catch {
              return "[Circular]";
            }
          case "c": return "";
          default: return inspect(a, [], false);
        }
      });
      if (i < args.length) out += " ";
    }
    for (let sep = ""; i < args.length; i++, sep = " ") {
      out += sep + inspect(args[i], [], true);
    }
    return out;
  }
  internal.format = format;
  // One value as console.log shows it; `quoted`: a string is quoted too, as
  // util.inspect shows it.
  internal.inspectValue = (v, quoted) => inspect(v, [], !quoted);

  const emit = (level) =>
    function (...args) {
      N.log(level, format(args));
    };
  const console = {
    log: emit(3),
    info: emit(3),
    warn: emit(2),
    error: emit(1),
    debug: emit(4),
    trace(...args) {
      const stack = (new Error().stack || "").split("\n").slice(1).join("\n").replace(/\n+$/, "");
      N.log(5, "Trace" + (args.length ? ": " + format(args) : "") + (stack ? "\n" + stack : ""));
    },
    dir(v) {
      N.log(3, inspect(v, [], false));
    },
    assert(cond, ...args) {
      if (!cond) N.log(1, "Assertion failed" + (args.length ? ": " + format(args) : ""));
    },
  };
  internal.console = console;
  internal.expose("console", console);
});
