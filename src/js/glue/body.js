// @lazy internal: extractBody, consumeBody
// The rare paths of the Body mixin (Fetch §5.3) of the native Request and
// Response (src/js/natives/body.rs), which handles strings, ArrayBuffers and
// typed arrays, and reads byte bodies as text, JSON, ArrayBuffer or bytes
// itself. Blob, FormData, URLSearchParams and streams are recognised only once
// their glue is loaded (no instance can exist before).
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode, toBytes, isBufferSource, peek } = internal;
  const is = (name, x) => {
    const C = peek(name);
    return C !== undefined && x instanceof C;
  };

  // "extract a body" for an object the native side does not know:
  // [Uint8Array|ReadableStream, contentType|null], or null for any other
  // object (which the native side converts to a string, as Web IDL does).
  internal.extractBody = (init) => {
    if (isBufferSource(init)) return [toBytes(init).slice(), null]; // DataView, SharedArrayBuffer
    if (is("URLSearchParams", init)) return [utf8Encode(init.toString()), "application/x-www-form-urlencoded;charset=UTF-8"];
    if (is("Blob", init)) return [internal.blobBytes(init).slice(), init.type !== "" ? init.type : null];
    if (is("FormData", init)) return internal.formDataToBody(init);
    if (is("ReadableStream", init)) {
      if (init.locked || internal.streamDisturbed(init)) throw new TypeError("The body stream is locked or has been read");
      return [init, null];
    }
    return null;
  };

  // "consume body" of a stream (read to its end) or of bytes into a Blob or
  // a FormData: kind is the Body method's name; type the Content-Type or null.
  internal.consumeBody = async (source, kind, type) => {
    const b = source instanceof Uint8Array ? source : await internal.readAllBytes(source);
    switch (kind) {
      case "text":
      case "json": {
        let s = utf8Decode(b);
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); // UTF-8 decode drops a BOM
        return kind === "text" ? s : JSON.parse(s);
      }
      case "arrayBuffer":
        return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;
      case "bytes":
        return b;
      case "blob":
        return new internal.Blob([b], { type: type ?? "" });
      default:
        return internal.formDataFromBody(b, type);
    }
  };
});
