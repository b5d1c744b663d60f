// node:events (https://nodejs.org/api/events.html): EventEmitter, once, on,
// getEventListeners, listenerCount, errorMonitor.
// EventEmitter is a plain function (not a class) so that the pre-ES2015
// pattern `EventEmitter.call(this)` + `util.inherits` works, as in Node.
// Departures: `captureRejections` is accepted but async listeners' rejections
// are not routed to 'error'; the max-listeners warning is logged once per event
// name through console.warn; `EventEmitterAsyncResource` is absent.
import internal from "isere:internal";

const kEvents = Symbol("events");
const kMax = Symbol("maxListeners");
export const errorMonitor = Symbol("events.errorMonitor");
export const captureRejectionSymbol = Symbol.for("nodejs.rejection");
let defaultMaxListeners = 10;

const nodeError = (Type, code, message) => internal.nodeError(Type, code, message);
function checkListener(fn) {
  if (typeof fn !== "function") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "listener" argument must be of type function. Received ' + (fn === null ? "null" : typeof fn));
  }
}
function events(emitter) {
  let e = emitter[kEvents];
  if (e === undefined) {
    e = new Map();
    Object.defineProperty(emitter, kEvents, { value: e, writable: true, configurable: true });
  }
  return e;
}

export function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}
EventEmitter.init = function (opts) {
  if (this[kEvents] === undefined || this[kEvents] === Object.getPrototypeOf(this)[kEvents]) {
    Object.defineProperty(this, kEvents, { value: new Map(), writable: true, configurable: true });
  }
  if (opts?.captureRejections !== undefined && typeof opts.captureRejections !== "boolean") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "options.captureRejections" property must be of type boolean');
  }
};
Object.defineProperty(EventEmitter, "defaultMaxListeners", {
  enumerable: true,
  get: () => defaultMaxListeners,
  set(n) {
    if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
      throw nodeError(RangeError, "ERR_OUT_OF_RANGE", 'The value of "defaultMaxListeners" is out of range. It must be a non-negative number. Received ' + String(n));
    }
    defaultMaxListeners = n;
  },
});
EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = captureRejectionSymbol;
EventEmitter.captureRejections = false;

const proto = EventEmitter.prototype;

function addListener(emitter, name, fn, prepend) {
  checkListener(fn);
  const map = events(emitter);
  // 'newListener' fires before the listener is added (Node's order).
  if (map.has("newListener")) emitter.emit("newListener", name, fn.listener ?? fn);
  let list = map.get(name);
  if (!list) map.set(name, (list = []));
  if (prepend) list.unshift(fn);
  else list.push(fn);
  const max = emitter.getMaxListeners();
  if (max > 0 && list.length > max && !list.warned) {
    list.warned = true;
    internal.console.warn(
      `(isere) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ${list.length} ${String(name)} listeners added. Use emitter.setMaxListeners() to increase limit`,
    );
  }
  return emitter;
}
function onceWrapper(emitter, name, fn) {
  const wrapper = function (...args) {
    emitter.removeListener(name, wrapper);
    return fn.apply(this, args);
  };
  wrapper.listener = fn;
  return wrapper;
}

proto.on = proto.addListener = function (name, fn) {
  return addListener(this, name, fn, false);
};
proto.prependListener = function (name, fn) {
  return addListener(this, name, fn, true);
};
// once() goes through this.on so that a subclass overriding on (streams do)
// sees it, as in Node.
proto.once = function (name, fn) {
  checkListener(fn);
  return this.on(name, onceWrapper(this, name, fn));
};
proto.prependOnceListener = function (name, fn) {
  checkListener(fn);
  return this.prependListener(name, onceWrapper(this, name, fn));
};
proto.off = proto.removeListener = function (name, fn) {
  checkListener(fn);
  const map = events(this);
  const list = map.get(name);
  if (!list) return this;
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i] === fn || list[i].listener === fn) {
      const [removed] = list.splice(i, 1);
      if (list.length === 0) map.delete(name);
      if (map.has("removeListener")) this.emit("removeListener", name, removed.listener ?? removed);
      break;
    }
  }
  return this;
};
proto.removeAllListeners = function (name) {
  const map = events(this);
  const names = name === undefined ? [...map.keys()].filter((n) => n !== "removeListener") : [name];
  for (const n of names) {
    const list = map.get(n);
    if (!list) continue;
    if (map.has("removeListener") && n !== "removeListener") {
      for (let i = list.length - 1; i >= 0; i--) this.removeListener(n, list[i]);
    }
    map.delete(n);
  }
  if (name === undefined) map.delete("removeListener");
  return this;
};
proto.emit = function (name, ...args) {
  const map = events(this);
  if (name === "error" && map.has(errorMonitor)) this.emit(errorMonitor, ...args);
  const list = map.get(name);
  if (!list || list.length === 0) {
    if (name !== "error") return false;
    // An 'error' without a listener throws (Node's rule).
    const err = args[0];
    if (err instanceof Error) throw err;
    const e = nodeError(Error, "ERR_UNHANDLED_ERROR", "Unhandled error. (" + internal.inspectValue(err) + ")");
    e.context = err;
    throw e;
  }
  for (const fn of [...list]) fn.apply(this, args);
  return true;
};
proto.listeners = function (name) {
  return (events(this).get(name) ?? []).map((fn) => fn.listener ?? fn);
};
proto.rawListeners = function (name) {
  return [...(events(this).get(name) ?? [])];
};
proto.listenerCount = function (name, fn) {
  const list = events(this).get(name) ?? [];
  return fn === undefined ? list.length : list.filter((l) => l === fn || l.listener === fn).length;
};
proto.eventNames = function () {
  return [...events(this).keys()];
};
proto.setMaxListeners = function (n) {
  if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", 'The value of "n" is out of range. It must be a non-negative number. Received ' + String(n));
  }
  this[kMax] = n;
  return this;
};
proto.getMaxListeners = function () {
  return this[kMax] ?? defaultMaxListeners;
};

function abortError(signal) {
  const e = new Error("The operation was aborted", { cause: signal?.reason });
  e.name = "AbortError";
  e.code = "ABORT_ERR";
  return e;
}

// once(emitter, name[, {signal}]): a promise of the arguments of the next
// `name` event; rejects on 'error' (unless waiting for 'error'). Works with
// EventTarget too.
export function once(emitter, name, options = {}) {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const cleanups = [];
    const done = () => cleanups.forEach((f) => f());
    const onEvent = (...args) => {
      done();
      resolve(args);
    };
    if (typeof emitter.on === "function") {
      emitter.once(name, onEvent);
      cleanups.push(() => emitter.removeListener(name, onEvent));
      if (name !== "error") {
        const onError = (err) => {
          done();
          reject(err);
        };
        emitter.once("error", onError);
        cleanups.push(() => emitter.removeListener("error", onError));
      }
    } else if (typeof emitter.addEventListener === "function") {
      emitter.addEventListener(name, onEvent, { once: true });
      cleanups.push(() => emitter.removeEventListener(name, onEvent));
    } else {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "emitter" argument must be an instance of EventEmitter or EventTarget');
    }
    if (signal) {
      const onAbort = () => {
        done();
        reject(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener("abort", onAbort));
    }
  });
}

// on(emitter, name): an async iterator over the arguments of each `name` event;
// an 'error' event ends it with that error.
export function on(emitter, name, options = {}) {
  const queue = [], waiting = [];
  let error = null, finished = false;
  const push = (...args) => {
    if (waiting.length) waiting.shift().resolve({ value: args, done: false });
    else queue.push(args);
  };
  const fail = (err) => {
    finished = true;
    if (waiting.length) waiting.shift().reject(err);
    else error = err;
    cleanup();
  };
  const cleanup = () => {
    emitter.removeListener(name, push);
    emitter.removeListener("error", fail);
  };
  emitter.on(name, push);
  if (name !== "error") emitter.on("error", fail);
  options?.signal?.addEventListener("abort", () => fail(abortError(options.signal)), { once: true });
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (error) {
        const e = error;
        error = null;
        return Promise.reject(e);
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      finished = true;
      cleanup();
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      fail(err);
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export function getEventListeners(emitter, name) {
  if (typeof emitter.listeners === "function") return emitter.listeners(name);
  throw nodeError(Error, "ERR_NOT_SUPPORTED", "getEventListeners: EventTarget listeners cannot be listed on Isère");
}
export function listenerCount(emitter, name) {
  return emitter.listenerCount(name);
}
export function setMaxListeners(n = defaultMaxListeners, ...targets) {
  if (targets.length === 0) EventEmitter.defaultMaxListeners = n;
  for (const t of targets) if (typeof t.setMaxListeners === "function") t.setMaxListeners(n);
}

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.once = once;
EventEmitter.on = on;
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.listenerCount = listenerCount;
EventEmitter.setMaxListeners = setMaxListeners;
export const usingDomains = false;
export default EventEmitter;
