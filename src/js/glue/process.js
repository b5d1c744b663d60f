// @lazy globals: process; internal: process
// Node's `process` (https://nodejs.org/api/process.html), the subset that makes
// sense for a function on a board: `env` (a copy of the function's configured
// env vars), `nextTick`, `hrtime`/`hrtime.bigint` and `uptime` (monotonic, at the
// kernel tick's resolution: 1 ms), `platform`, `arch`, `version(s)`, `cwd()`,
// `argv`, `exitCode`, `emitWarning`, and `exit`/`abort`, which throw (a function
// cannot end the firmware). `process.on(...)` and friends accept listeners
// (libraries register them) but the platform never emits process events.
(function (internal, global) {
  "use strict";
  const P = internal.natives.load("process");
  const nodeVersion = "v22.0.0";

  const ticks = [];
  let draining = false;
  // nextTick callbacks run in order, in one microtask, ahead of the promise
  // reactions queued after that microtask (Node runs them before all promise
  // reactions; here they run as one microtask).
  function drain() {
    draining = false;
    while (ticks.length) {
      const [fn, args] = ticks.shift();
      try {
        fn(...args);
      } catch (e) {
        (internal.reportError ?? ((x) => internal.console.error("Uncaught", x)))(e);
      }
    }
  }
  function nextTick(fn, ...args) {
    if (typeof fn !== "function") {
      throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function. Received ' + (fn === null ? "null" : typeof fn));
    }
    ticks.push([fn, args]);
    if (!draining) {
      draining = true;
      Promise.resolve().then(drain);
    }
  }

  const nowNs = () => BigInt(P.uptimeMs()) * 1000000n;
  function hrtime(previous) {
    const ns = nowNs();
    let s = Number(ns / 1000000000n), n = Number(ns % 1000000000n);
    if (previous !== undefined) {
      if (!Array.isArray(previous) || previous.length !== 2) {
        throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "time" argument must be an instance of Array of two numbers');
      }
      s -= previous[0];
      n -= previous[1];
      if (n < 0) {
        s -= 1;
        n += 1e9;
      }
    }
    return [s, n];
  }
  hrtime.bigint = nowNs;

  const notSupported = (what) => () => {
    throw internal.nodeError(Error, "ERR_NOT_SUPPORTED", `process.${what}() is not supported on Isère: a function cannot end the firmware; return a Response (or throw) instead`);
  };
  const listeners = new Map();
  const process = {
    title: "isere",
    // The env vars only: bindings (KV, databases) stay on the handler's `env`.
    env: Object.fromEntries(Object.entries(internal.env ?? {}).filter(([, v]) => typeof v === "string")),
    argv: ["isere", "function"],
    execArgv: [],
    argv0: "isere",
    execPath: "/isere",
    pid: 1,
    ppid: 0,
    platform: "isere",
    arch: "isere",
    version: nodeVersion,
    versions: { node: nodeVersion.slice(1), isere: P.version },
    release: { name: "isere" },
    exitCode: undefined,
    features: {},
    config: { variables: {} },
    browser: false,
    nextTick,
    hrtime,
    uptime: () => P.uptimeMs() / 1000,
    cwd: () => "/",
    chdir: () => {
      throw internal.nodeError(Error, "ERR_NOT_SUPPORTED", "process.chdir() is not supported on Isère: there is no file system");
    },
    umask: () => 0o22,
    memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
    exit: notSupported("exit"),
    abort: notSupported("abort"),
    kill: notSupported("kill"),
    emitWarning(warning, type) {
      const text = warning instanceof Error ? warning.name + ": " + warning.message : (typeof type === "string" ? type : "Warning") + ": " + String(warning);
      internal.console.warn("(isere) " + text);
    },
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, []);
      listeners.get(name).push(fn);
      return process;
    },
    off(name, fn) {
      const l = listeners.get(name);
      const i = l ? l.lastIndexOf(fn) : -1;
      if (i >= 0) l.splice(i, 1);
      return process;
    },
    emit(name, ...args) {
      const l = listeners.get(name);
      if (!l || l.length === 0) return false;
      for (const fn of [...l]) fn.apply(process, args);
      return true;
    },
    listeners: (name) => [...(listeners.get(name) ?? [])],
    listenerCount: (name) => listeners.get(name)?.length ?? 0,
  };
  process.addListener = process.on;
  process.removeListener = process.off;
  process.once = function (name, fn) {
    const once = (...args) => {
      process.off(name, once);
      fn.apply(process, args);
    };
    return process.on(name, once);
  };
  process.prependListener = (name, fn) => {
    process.on(name, fn);
    listeners.get(name).unshift(listeners.get(name).pop());
    return process;
  };
  process.removeAllListeners = (name) => {
    if (name === undefined) listeners.clear();
    else listeners.delete(name);
    return process;
  };
  Object.defineProperty(process, Symbol.toStringTag, { value: "process" });
  internal.process = process;
  internal.expose("process", process);
});
