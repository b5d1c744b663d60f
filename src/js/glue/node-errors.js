// @lazy internal: nodeError
// Node-style errors for the node: modules: `internal.nodeError(Type, code,
// message)` is a `Type` error with Node's `code` property (ERR_INVALID_ARG_TYPE,
// ERR_OUT_OF_RANGE, ...), which libraries test.
(function (internal, global) {
  "use strict";
  internal.nodeError = (Type, code, message) => {
    const e = new Type(message);
    Object.defineProperty(e, "code", { value: code, writable: true, configurable: true, enumerable: true });
    return e;
  };
});
