// @lazy globals: ByteLengthQueuingStrategy, CountQueuingStrategy
// The two queuing strategies of WHATWG Streams (§7), apart from streams.js
// since few functions construct them.
(function (internal, global) {
  "use strict";
  const hwmOf = (init, what) => {
    if (init === null || typeof init !== "object" || init.highWaterMark === undefined) {
      throw new TypeError(`${what}: init.highWaterMark is required`);
    }
    return Number(init.highWaterMark);
  };
  const byteSize = function size(chunk) {
    return chunk.byteLength;
  };
  const countSize = function size() {
    return 1;
  };
  class ByteLengthQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = hwmOf(init, "ByteLengthQueuingStrategy");
    }
    get highWaterMark() {
      return this.#hwm;
    }
    get size() {
      return byteSize;
    }
    get [Symbol.toStringTag]() {
      return "ByteLengthQueuingStrategy";
    }
  }
  class CountQueuingStrategy {
    #hwm;
    constructor(init) {
      this.#hwm = hwmOf(init, "CountQueuingStrategy");
    }
    get highWaterMark() {
      return this.#hwm;
    }
    get size() {
      return countSize;
    }
    get [Symbol.toStringTag]() {
      return "CountQueuingStrategy";
    }
  }

  internal.expose("ByteLengthQueuingStrategy", ByteLengthQueuingStrategy);
  internal.expose("CountQueuingStrategy", CountQueuingStrategy);
});
