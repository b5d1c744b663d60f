// @lazy globals: FormData; internal: FormData, formDataFromBody, formDataToBody
// FormData (XHR §4.3, HTML §4.10.21.8 for its entry list) and the two body
// formats of Fetch §5.3 "package data": application/x-www-form-urlencoded and
// multipart/form-data (RFC 7578), both parsed and serialised.
// Departures: there are no HTML forms, so `new FormData(form)` with a form
// argument is a TypeError; in multipart names and filenames, `"`, CR and LF
// are written as %22, %0D and %0A (as browsers do) and read back as they come.
(function (internal, global) {
  "use strict";
  const { utf8Encode, utf8Decode, Blob, File } = internal;
  const normalizeNewlines = (s) => s.replace(/\r\n|\r|\n/g, "\r\n");

  // "create an entry" (XHR §4.3): [name, string | File].
  function entry(name, value, filename, args) {
    name = String(name).toWellFormed();
    if (value instanceof Blob) {
      if (!(value instanceof File) || filename !== undefined) {
        value = new File([value], filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob", {
          type: value.type,
          lastModified: value instanceof File ? value.lastModified : undefined,
        });
      }
    } else {
      if (args > 2) throw new TypeError("FormData: a filename is only allowed with a Blob value");
      value = String(value).toWellFormed();
    }
    return [name, value];
  }

  class FormData {
    #list = [];
    constructor(form = undefined) {
      if (form !== undefined) throw new TypeError("FormData: there are no HTML forms here; call new FormData() and append()");
    }
    append(name, value, filename = undefined) {
      if (arguments.length < 2) throw new TypeError("FormData.append: 2 arguments required");
      this.#list.push(entry(name, value, filename, arguments.length));
    }
    set(name, value, filename = undefined) {
      if (arguments.length < 2) throw new TypeError("FormData.set: 2 arguments required");
      const e = entry(name, value, filename, arguments.length);
      const i = this.#list.findIndex(([n]) => n === e[0]);
      if (i < 0) this.#list.push(e);
      else this.#list.splice(i, this.#list.length - i, e, ...this.#list.slice(i + 1).filter(([n]) => n !== e[0]));
    }
    delete(name) {
      name = String(name);
      this.#list = this.#list.filter(([n]) => n !== name);
    }
    get(name) {
      name = String(name);
      const e = this.#list.find(([n]) => n === name);
      return e ? e[1] : null;
    }
    getAll(name) {
      name = String(name);
      return this.#list.filter(([n]) => n === name).map(([, v]) => v);
    }
    has(name) {
      name = String(name);
      return this.#list.some(([n]) => n === name);
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== "function") throw new TypeError("FormData.forEach: callback must be a function");
      for (let i = 0; i < this.#list.length; i++) callback.call(thisArg, this.#list[i][1], this.#list[i][0], this);
    }
    *entries() {
      // Live: entries added during iteration are visited (as Web IDL iterators are).
      for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    get [Symbol.toStringTag]() {
      return "FormData";
    }
    [internal.inspect]() {
      return Object.fromEntries(this.#list);
    }
  }

  const escapeName = (s) => normalizeNewlines(s).replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");

  // multipart/form-data encoding: [bytes, content-type].
  function toMultipart(fd) {
    let boundary = "----IsereFormBoundary";
    for (let i = 0; i < 16; i++) boundary += "0123456789abcdef"[(Math.random() * 16) | 0];
    const parts = [];
    for (const [name, value] of fd) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
      if (typeof value === "string") {
        parts.push(utf8Encode(head + "\r\n\r\n" + normalizeNewlines(value) + "\r\n"));
      } else {
        head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        parts.push(utf8Encode(head), internal.blobBytes(value), utf8Encode("\r\n"));
      }
    }
    parts.push(utf8Encode(`--${boundary}--\r\n`));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) out.set(p, at), (at += p.length);
    return [out, "multipart/form-data; boundary=" + boundary];
  }

  function indexOf(hay, needle, from) {
    const first = needle[0], last = hay.length - needle.length;
    for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
      let j = 1;
      while (j < needle.length && hay[i + j] === needle[j]) j++;
      if (j === needle.length) return i;
    }
    return -1;
  }

  const bad = (why) => new TypeError("formData(): invalid multipart/form-data body: " + why);
  // A parameter of a header value: name="quoted" or name=token.
  function param(header, key) {
    const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
    const m = re.exec(header);
    return m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]) : undefined;
  }

  // The multipart/form-data parser (RFC 7578; Fetch §5.3 "package data").
  function parseMultipart(bytes, boundary) {
    const fd = new FormData();
    const delim = utf8Encode("--" + boundary);
    const next = utf8Encode("\r\n--" + boundary);
    let at = 0;
    if (indexOf(bytes.subarray(0, delim.length), delim, 0) !== 0) {
      at = indexOf(bytes, next, 0); // skip a preamble
      if (at < 0) throw bad("the boundary does not occur");
      at += 2;
    }
    for (;;) {
      at += delim.length;
      if (bytes[at] === 45 && bytes[at + 1] === 45) return fd; // "--": the end
      while (bytes[at] === 32 || bytes[at] === 9) at++; // transport padding
      if (bytes[at] !== 13 || bytes[at + 1] !== 10) throw bad("expected CRLF after the boundary");
      at += 2;
      const headEnd = indexOf(bytes, utf8Encode("\r\n\r\n"), at);
      if (headEnd < 0) throw bad("a part's headers do not end");
      let disposition = null, type = null;
      for (const line of utf8Decode(bytes.subarray(at, headEnd)).split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) throw bad(`a malformed header line ${JSON.stringify(line)}`);
        const name = line.slice(0, colon).trim().toLowerCase(), value = line.slice(colon + 1).trim();
        if (name === "content-disposition") disposition = value;
        else if (name === "content-type") type = value;
      }
      if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) throw bad("a part has no Content-Disposition: form-data");
      const name = param(disposition, "name");
      if (name === undefined) throw bad("a part has no name");
      const filename = param(disposition, "filename");
      const bodyStart = headEnd + 4;
      const end = indexOf(bytes, next, bodyStart);
      if (end < 0) throw bad("the closing boundary is missing");
      const body = bytes.subarray(bodyStart, end);
      if (filename !== undefined) fd.append(name, new File([body], filename, { type: type ?? "text/plain" }));
      else fd.append(name, utf8Decode(body));
      at = end + 2;
    }
  }

  // Body -> FormData by its Content-Type (Fetch §5.3 "formData()").
  internal.formDataFromBody = (bytes, contentType) => {
    const essence = (contentType ?? "").split(";")[0].trim().toLowerCase();
    if (essence === "multipart/form-data") {
      const boundary = param(contentType, "boundary");
      if (!boundary) throw new TypeError("formData(): the multipart/form-data Content-Type has no boundary");
      return parseMultipart(bytes, boundary);
    }
    if (essence === "application/x-www-form-urlencoded") {
      const fd = new FormData();
      for (const [k, v] of internal.parseForm(utf8Decode(bytes))) fd.append(k, v);
      return fd;
    }
    throw new TypeError(`formData(): cannot parse a body of Content-Type ${JSON.stringify(contentType ?? "")} (expected multipart/form-data or application/x-www-form-urlencoded)`);
  };
  internal.formDataToBody = toMultipart;
  internal.FormData = FormData;
  internal.expose("FormData", FormData);
});
