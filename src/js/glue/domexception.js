// @lazy globals: DOMException; internal: DOMException, domError
// DOMException (WebIDL §3.14.1 / §2.8.1): name, message and the legacy `code`,
// with the legacy code constants on the constructor and its prototype. It
// inherits from Error (so `instanceof Error` holds and it has a `stack`), and
// keeps name/message/code as prototype getters as the spec defines them.
// internal.domError(message, name) is the shorthand the other glue throws with.
(function (internal, global) {
  "use strict";
  // Error names with a legacy code, in code order; "" marks codes with no name.
  const NAMES = ("IndexSizeError,,HierarchyRequestError,WrongDocumentError,InvalidCharacterError,," +
    "NoModificationAllowedError,NotFoundError,NotSupportedError,InUseAttributeError,InvalidStateError," +
    "SyntaxError,InvalidModificationError,NamespaceError,InvalidAccessError,,TypeMismatchError," +
    "SecurityError,NetworkError,AbortError,URLMismatchError,QuotaExceededError,TimeoutError," +
    "InvalidNodeTypeError,DataCloneError").split(",");
  const CONSTANTS = ("INDEX_SIZE,DOMSTRING_SIZE,HIERARCHY_REQUEST,WRONG_DOCUMENT,INVALID_CHARACTER," +
    "NO_DATA_ALLOWED,NO_MODIFICATION_ALLOWED,NOT_FOUND,NOT_SUPPORTED,INUSE_ATTRIBUTE,INVALID_STATE," +
    "SYNTAX,INVALID_MODIFICATION,NAMESPACE,INVALID_ACCESS,VALIDATION,TYPE_MISMATCH,SECURITY,NETWORK," +
    "ABORT,URL_MISMATCH,QUOTA_EXCEEDED,TIMEOUT,INVALID_NODE_TYPE,DATA_CLONE").split(",");

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = "", options = "Error") {
      super();
      this.#message = String(message);
      // The newer dictionary form ({ name, cause }) is accepted as well.
      if (options !== null && typeof options === "object") {
        this.#name = options.name === undefined ? "Error" : String(options.name);
        if ("cause" in options) {
          Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true });
        }
      } else {
        this.#name = String(options);
      }
    }
    get name() {
      return this.#name;
    }
    get message() {
      return this.#message;
    }
    get code() {
      const i = NAMES.indexOf(this.#name);
      return i < 0 || this.#name === "" ? 0 : i + 1;
    }
  }
  const constant = { enumerable: true, writable: false, configurable: false };
  CONSTANTS.forEach((c, i) => {
    Object.defineProperty(DOMException, c + "_ERR", { ...constant, value: i + 1 });
    Object.defineProperty(DOMException.prototype, c + "_ERR", { ...constant, value: i + 1 });
  });
  Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: "DOMException", configurable: true });

  internal.DOMException = DOMException;
  internal.domError = (message, name) => new DOMException(message, name);
  internal.expose("DOMException", DOMException);
});
