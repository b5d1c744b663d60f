// @lazy globals: Event, EventTarget, CustomEvent, AbortController, AbortSignal; internal: Event, EventTarget, AbortSignal, AbortController, abortSignal, onAbort, newAbortSignal
// Event, CustomEvent and EventTarget (WHATWG DOM §2), AbortController and
// AbortSignal (DOM §3.1-3.2) with abort(), timeout(), any(), reason,
// throwIfAborted() and onabort.
// There is no node tree here: an event's path is its target alone, so
// `bubbles` and capture only change the order at the target (capturing
// listeners first), and composedPath() is [target] during dispatch.
// An exception thrown by a listener is reported (console.error), as "report an
// exception" says, and does not stop the other listeners.
// internal.abortSignal(signal, reason) runs "signal abort" (used by Request).
(function (internal, global) {
  "use strict";
  const expose = internal.expose;
  const report = (e) => internal.console.error("Uncaught", e);
  const NONE = 0, CAPTURING = 1, AT_TARGET = 2, BUBBLING = 3;

  let setDispatch, eventState;
  class Event {
    #type;
    #bubbles;
    #cancelable;
    #composed;
    #target = null;
    #current = null;
    #phase = NONE;
    #stop = false;
    #stopNow = false;
    #canceled = false;
    #passive = false;
    #dispatching = false;
    #time = global.performance ? global.performance.now() : Date.now();

    constructor(type, init = undefined) {
      if (arguments.length === 0) throw new TypeError("Event: the type argument is required");
      if (init !== undefined && init !== null && typeof init !== "object") {
        throw new TypeError("Event: the options must be an object");
      }
      this.#type = String(type);
      this.#bubbles = !!init?.bubbles;
      this.#cancelable = !!init?.cancelable;
      this.#composed = !!init?.composed;
    }
    get type() {
      return this.#type;
    }
    get target() {
      return this.#target;
    }
    get srcElement() {
      return this.#target;
    }
    get currentTarget() {
      return this.#current;
    }
    get eventPhase() {
      return this.#phase;
    }
    get bubbles() {
      return this.#bubbles;
    }
    get cancelable() {
      return this.#cancelable;
    }
    get composed() {
      return this.#composed;
    }
    get defaultPrevented() {
      return this.#canceled;
    }
    get returnValue() {
      return !this.#canceled;
    }
    set returnValue(v) {
      if (!v) this.preventDefault();
    }
    get cancelBubble() {
      return this.#stop;
    }
    set cancelBubble(v) {
      if (v) this.#stop = true;
    }
    get isTrusted() {
      return false;
    }
    get timeStamp() {
      return this.#time;
    }
    composedPath() {
      return this.#current === null ? [] : [this.#current];
    }
    stopPropagation() {
      this.#stop = true;
    }
    stopImmediatePropagation() {
      this.#stop = this.#stopNow = true;
    }
    preventDefault() {
      if (this.#cancelable && !this.#passive) this.#canceled = true;
    }
    get [Symbol.toStringTag]() {
      return "Event";
    }
    static {
      // [dispatching, target, current, phase, passive] updates from dispatchEvent.
      setDispatch = (e, on, target, current, phase) => {
        e.#dispatching = on;
        e.#target = target;
        e.#current = current;
        e.#phase = phase;
        if (!on) e.#stop = e.#stopNow = false;
      };
      eventState = (e, passive) => {
        if (passive !== undefined) e.#passive = passive;
        return [e.#dispatching, e.#stopNow];
      };
    }
  }
  for (const [k, v] of Object.entries({ NONE, CAPTURING_PHASE: CAPTURING, AT_TARGET, BUBBLING_PHASE: BUBBLING })) {
    Object.defineProperty(Event, k, { value: v, enumerable: true });
    Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
  }

  class CustomEvent extends Event {
    #detail;
    constructor(type, init = undefined) {
      super(type, init);
      this.#detail = init?.detail ?? null;
    }
    get detail() {
      return this.#detail;
    }
    get [Symbol.toStringTag]() {
      return "CustomEvent";
    }
  }

  // "flatten more" (DOM §2.7): [capture, once, passive, signal].
  function flatten(options) {
    if (typeof options === "boolean") return [options, false, false, null];
    if (options === null || typeof options !== "object") return [!!options, false, false, null];
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("addEventListener: options.signal must be an AbortSignal");
    }
    return [!!options.capture, !!options.once, !!options.passive, signal ?? null];
  }

  let listenersOf;
  class EventTarget {
    // type -> array of { callback, capture, once, passive, removed }
    #listeners = new Map();

    addEventListener(type, callback, options = undefined) {
      const [capture, once, passive, signal] = flatten(options);
      if (callback === null || callback === undefined) return;
      if (typeof callback !== "function" && typeof callback !== "object") {
        throw new TypeError("addEventListener: the listener must be a function or an object with handleEvent");
      }
      if (signal !== null && signal.aborted) return;
      type = String(type);
      let list = this.#listeners.get(type);
      if (!list) this.#listeners.set(type, (list = []));
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const l = { callback, capture, once, passive, removed: false };
      list.push(l);
      if (signal !== null) {
        signal.addEventListener("abort", () => this.removeEventListener(type, callback, { capture }));
      }
    }
    removeEventListener(type, callback, options = undefined) {
      const capture = typeof options === "object" && options !== null ? !!options.capture : !!options;
      const list = this.#listeners.get(String(type));
      if (!list) return;
      const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (i < 0) return;
      list[i].removed = true;
      list.splice(i, 1);
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError("dispatchEvent: the argument must be an Event");
      if (eventState(event)[0]) {
        throw internal.domError("dispatchEvent: the event is already being dispatched", "InvalidStateError");
      }
      setDispatch(event, true, this, this, AT_TARGET);
      try {
        const list = this.#listeners.get(event.type);
        if (list) {
          // Capturing listeners first, then the others (DOM §2.9, at target).
          const snapshot = list.filter((l) => l.capture).concat(list.filter((l) => !l.capture));
          for (const l of snapshot) {
            if (l.removed) continue;
            if (l.once) this.removeEventListener(event.type, l.callback, { capture: l.capture });
            eventState(event, l.passive);
            try {
              const cb = l.callback;
              if (typeof cb === "function") cb.call(this, event);
              else {
                const handle = cb.handleEvent;
                if (typeof handle !== "function") throw new TypeError("the listener object has no handleEvent method");
                handle.call(cb, event);
              }
            } catch (e) {
              report(e);
            }
            eventState(event, false);
            if (eventState(event)[1]) break;
          }
        }
      } finally {
        setDispatch(event, false, this, null, NONE);
      }
      return !event.defaultPrevented;
    }
    get [Symbol.toStringTag]() {
      return "EventTarget";
    }
  }

  // An event handler IDL attribute (HTML §8.1.8.1): a listener added when the
  // handler is first set, which calls whatever handler is current.
  function defineHandler(proto, name) {
    const slot = new WeakMap();
    Object.defineProperty(proto, "on" + name, {
      configurable: true,
      enumerable: true,
      get() {
        return slot.get(this)?.handler ?? null;
      },
      set(v) {
        const handler = typeof v === "function" || (v !== null && typeof v === "object") ? v : null;
        let s = slot.get(this);
        if (!s) {
          if (handler === null) return;
          s = { handler };
          slot.set(this, s);
          this.addEventListener(name, function (e) {
            const h = s.handler;
            if (typeof h === "function" && h.call(this, e) === false) e.preventDefault();
          });
        }
        s.handler = handler;
      },
    });
  }

  const ILLEGAL = {}; // the only key that opens the AbortSignal constructor
  let signalAbort, addAlgorithm;
  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    #algorithms = [];
    #dependents = null; // signals made by any() that follow this one

    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError("AbortSignal: illegal constructor (use new AbortController().signal)");
      super();
    }
    get aborted() {
      return this.#aborted;
    }
    get reason() {
      return this.#reason;
    }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }
    static abort(reason = undefined) {
      const s = new AbortSignal(ILLEGAL);
      s.#aborted = true;
      s.#reason = reason !== undefined ? reason : internal.domError("signal is aborted without reason", "AbortError");
      return s;
    }
    static timeout(ms) {
      ms = Number(ms);
      if (!Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER) {
        throw new TypeError(`AbortSignal.timeout: the delay must be a non-negative integer of milliseconds (got ${ms})`);
      }
      const s = new AbortSignal(ILLEGAL);
      global.setTimeout(() => signalAbort(s, internal.domError("signal timed out", "TimeoutError")), ms);
      return s;
    }
    static any(signals) {
      if (signals === null || typeof signals !== "object" || typeof signals[Symbol.iterator] !== "function") {
        throw new TypeError("AbortSignal.any: expected an iterable of AbortSignal");
      }
      const list = [...signals];
      for (const s of list) {
        if (!(s instanceof AbortSignal)) throw new TypeError("AbortSignal.any: every item must be an AbortSignal");
      }
      const result = new AbortSignal(ILLEGAL);
      const first = list.find((s) => s.#aborted);
      if (first) {
        result.#aborted = true;
        result.#reason = first.#reason;
        return result;
      }
      for (const s of list) (s.#dependents ??= new Set()).add(result);
      return result;
    }
    get [Symbol.toStringTag]() {
      return "AbortSignal";
    }
    [internal.inspect]() {
      return { aborted: this.#aborted };
    }
    static {
      // "signal abort" (DOM §3.2).
      signalAbort = (s, reason) => {
        if (s.#aborted) return;
        s.#aborted = true;
        s.#reason = reason !== undefined ? reason : internal.domError("signal is aborted without reason", "AbortError");
        const deps = s.#dependents;
        s.#dependents = null;
        for (const run of s.#algorithms.splice(0)) {
          try {
            run(s.#reason);
          } catch (e) {
            report(e);
          }
        }
        s.dispatchEvent(new Event("abort"));
        if (deps) for (const d of deps) signalAbort(d, s.#reason);
      };
      // An internal "abort algorithm" (runs before the abort event, once).
      addAlgorithm = (s, fn) => {
        if (!s.#aborted) s.#algorithms.push(fn);
      };
    }
  }
  defineHandler(AbortSignal.prototype, "abort");

  class AbortController {
    #signal = new AbortSignal(ILLEGAL);
    get signal() {
      return this.#signal;
    }
    abort(reason = undefined) {
      signalAbort(this.#signal, reason);
    }
    get [Symbol.toStringTag]() {
      return "AbortController";
    }
  }

  Object.assign(internal, { Event, EventTarget, AbortSignal, AbortController });
  internal.abortSignal = signalAbort;
  internal.onAbort = addAlgorithm;
  internal.newAbortSignal = () => new AbortSignal(ILLEGAL);
  expose("Event", Event);
  expose("CustomEvent", CustomEvent);
  expose("EventTarget", EventTarget);
  expose("AbortSignal", AbortSignal);
  expose("AbortController", AbortController);
});
