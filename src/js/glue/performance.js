// @lazy globals: performance, navigator
// performance (High Resolution Time §4-5: now(), timeOrigin, toJSON) and
// navigator (HTML §8.9.1, the WinterTC subset: userAgent).
// performance.now() is monotonic, from the kernel tick (1 ms resolution on the
// boards, 10 ms on the simulator); its origin is the first use of `performance`
// in the function's context (the context lives across requests).
// Departure: Performance is not an EventTarget (it has no events here).
// Not covered: the Performance Timeline (mark, measure, getEntries...): no
// entries are recorded on a board.
(function (internal, global) {
  "use strict";
  const P = internal.natives.load("platform");
  const ILLEGAL = {};
  let last = P.now(), wraps = 0;
  const monotonic = () => {
    const t = P.now();
    if (t < last) wraps += P.wrapMs; // the tick counter wrapped
    last = t;
    return t + wraps;
  };
  const start = monotonic();
  const origin = Date.now();

  class Performance {
    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError("Performance: illegal constructor");
    }
    now() {
      return monotonic() - start;
    }
    get timeOrigin() {
      return origin;
    }
    toJSON() {
      return { timeOrigin: origin };
    }
    get [Symbol.toStringTag]() {
      return "Performance";
    }
  }

  class Navigator {
    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError("Navigator: illegal constructor");
    }
    get userAgent() {
      return P.userAgent;
    }
    get [Symbol.toStringTag]() {
      return "Navigator";
    }
  }

  internal.expose("performance", new Performance(ILLEGAL));
  internal.expose("navigator", new Navigator(ILLEGAL));
});
