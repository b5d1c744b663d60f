// Touches every global of the platform and imports every node: module, to
// measure what the whole API costs a context (compare with none.js):
//   isere-sim bench/heap/all.js --port 8080 & curl -s localhost:8080/ && curl -s localhost:8080/_isere/stats
//   scripts/qemu.sh target/thumbv7m-none-eabi/firmware/isere-mps2-an385 function=bench/heap/all.js
import assert from "node:assert";
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import dc from "node:diagnostics_channel";
import { EventEmitter } from "node:events";
import path from "node:path";
import process from "node:process";
import stream from "node:stream";
import { StringDecoder } from "node:string_decoder";
import util from "node:util";
export default { async fetch() {
  const touched = [Request, Response, Headers, FormData, Blob, File, URL, URLSearchParams, TextEncoder, TextDecoder,
    atob, btoa, structuredClone, queueMicrotask, performance.now(), navigator.userAgent, Event, CustomEvent, EventTarget,
    AbortController, AbortSignal, DOMException, ReadableStream, WritableStream, TransformStream, ByteLengthQueuingStrategy,
    CountQueuingStrategy, console, crypto.subtle, globalThis.crypto.subtle, fetch, setTimeout, Buffer, process,
    assert, dc, EventEmitter, path, stream, StringDecoder, util];
  return new Response("all " + touched.length);
} };
