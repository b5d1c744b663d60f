// @lazy globals: setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask; internal: fireTimer, pendingTimers, reportError
// setTimeout/setInterval/clearTimeout/clearInterval/queueMicrotask (HTML §8.6/§8.7).
// The Rust side owns the clock: natives.timerStart(ms, repeat) returns the id and
// later calls internal.fireTimer(id); a repeating timer fires until timerCancel(id).
// Departures: a string callback is a TypeError (no eval); a delay that is NaN or
// negative becomes 0 (1 for an interval: HTML clamps nested timers to 4 ms), and
// one over 2^31-1 ms is clamped to it (browsers wrap it around).
(function (internal, global) {
  "use strict";
  const N = internal.natives;
  const timers = new Map(); // id -> [callback, args, repeat]
  const report = (internal.reportError = (e) => internal.console.error("Uncaught", e));

  function start(fn, ms, args, repeat, what) {
    if (typeof fn !== "function") {
      throw new TypeError(what + ": callback must be a function (got " + (fn === null ? "null" : typeof fn) + ")");
    }
    ms = Number(ms);
    ms = ms > 0 ? Math.min(Math.trunc(ms), 2147483647) : 0;
    if (repeat && ms < 1) ms = 1; // a 0 ms interval would starve the event loop
    const id = N.timerStart(ms, repeat);
    timers.set(id, [fn, args, repeat]);
    return id;
  }
  function clear(id) {
    id = Number(id);
    if (timers.delete(id)) N.timerCancel(id);
  }

  internal.fireTimer = (id) => {
    const t = timers.get(id);
    if (t === undefined) return; // cleared while the message was in flight
    if (!t[2]) timers.delete(id);
    try {
      t[0].apply(undefined, t[1]);
    } catch (e) {
      report(e);
    }
  };
  // Number of live timers (the event loop and tests may use it).
  internal.pendingTimers = () => timers.size;

  const done = Promise.resolve();
  function runMicrotask(fn) {
    try {
      fn();
    } catch (e) {
      report(e);
    }
  }

  const expose = internal.expose;
  expose("setTimeout", function setTimeout(fn, ms = 0, ...args) {
    return start(fn, ms, args, false, "setTimeout");
  });
  expose("setInterval", function setInterval(fn, ms = 0, ...args) {
    return start(fn, ms, args, true, "setInterval");
  });
  expose("clearTimeout", function clearTimeout(id) {
    clear(id);
  });
  expose("clearInterval", function clearInterval(id) {
    clear(id);
  });
  expose("queueMicrotask", function queueMicrotask(fn) {
    if (typeof fn !== "function") {
      throw new TypeError("queueMicrotask: callback must be a function (got " + (fn === null ? "null" : typeof fn) + ")");
    }
    done.then(() => runMicrotask(fn));
  });
});
