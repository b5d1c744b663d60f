// node:path (https://nodejs.org/api/path.html), POSIX flavour only: a function
// runs on no file system, and `process.cwd()` is "/". `path.win32` is absent
// (accessing a method of it throws), `toNamespacedPath` returns its argument.
import internal from "isere:internal";

function checkString(name, v) {
  if (typeof v !== "string") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be of type string. Received ` + (v === null ? "null" : typeof v));
  }
}

// Resolves "." and ".." in `path` (no leading slash handling).
function normalizeSegments(path, allowAboveRoot) {
  const out = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (allowAboveRoot) out.push("..");
    } else {
      out.push(seg);
    }
  }
  return out.join("/");
}

export const sep = "/";
export const delimiter = ":";

export function normalize(path) {
  checkString("path", path);
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  let p = normalizeSegments(path, !absolute);
  if (p === "" && !absolute) p = ".";
  if (p !== "" && trailing) p += "/";
  return absolute ? "/" + p : p;
}

export function join(...parts) {
  for (const p of parts) checkString("path", p);
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

export function resolve(...parts) {
  let resolved = "";
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const p = i >= 0 ? parts[i] : "/"; // process.cwd() is "/"
    checkString("paths[" + i + "]", p);
    if (p === "") continue;
    resolved = p + "/" + resolved;
    absolute = p.startsWith("/");
  }
  const p = normalizeSegments(resolved, false);
  return "/" + p;
}

export function isAbsolute(path) {
  checkString("path", path);
  return path.startsWith("/");
}

export function relative(from, to) {
  checkString("from", from);
  checkString("to", to);
  if (from === to) return "";
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
}

export function dirname(path) {
  checkString("path", path);
  if (path === "") return ".";
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  const i = path.lastIndexOf("/", end - 1);
  if (i === -1) return ".";
  if (i === 0) return "/";
  let d = i;
  while (d > 1 && path[d - 1] === "/") d--;
  return path.slice(0, d);
}

export function basename(path, suffix) {
  checkString("path", path);
  if (suffix !== undefined) checkString("suffix", suffix);
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  if (end === 0) return "";
  const base = path.slice(path.lastIndexOf("/", end - 1) + 1, end);
  if (suffix !== undefined && suffix !== base && base.endsWith(suffix)) return base.slice(0, base.length - suffix.length);
  return base;
}

export function extname(path) {
  checkString("path", path);
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  // A leading dot names a hidden file, not an extension (".profile").
  if (dot <= 0 || base.slice(0, dot).split("").every((c) => c === ".")) return "";
  return base.slice(dot);
}

export function parse(path) {
  checkString("path", path);
  const root = path.startsWith("/") ? "/" : "";
  if (path === "" || path.split("").every((c) => c === "/")) return { root, dir: root, base: "", ext: "", name: "" };
  const base = basename(path);
  const ext = extname(path);
  let dir = dirname(path);
  if (dir === "." && !path.startsWith("./") && !path.includes("/")) dir = "";
  return { root, dir, base, ext, name: base.slice(0, base.length - ext.length) };
}

export function format(obj) {
  if (obj === null || typeof obj !== "object") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "pathObject" argument must be of type object. Received ' + (obj === null ? "null" : typeof obj));
  }
  const dir = obj.dir || obj.root;
  const ext = obj.ext ? (obj.ext.startsWith(".") ? obj.ext : "." + obj.ext) : "";
  const base = obj.base || (obj.name || "") + ext;
  if (!dir) return base;
  return dir === obj.root ? dir + base : dir + "/" + base;
}

export function toNamespacedPath(path) {
  return path;
}

export function matchesGlob() {
  throw internal.nodeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", "path.matchesGlob is not implemented on Isère");
}

const notWin32 = new Proxy(
  {},
  {
    get(_, name) {
      if (typeof name === "symbol" || name === "then") return undefined;
      throw internal.nodeError(Error, "ERR_METHOD_NOT_IMPLEMENTED", `path.win32.${String(name)} is not implemented on Isère: only POSIX paths are`);
    },
  },
);

const path = { sep, delimiter, normalize, join, resolve, isAbsolute, relative, dirname, basename, extname, parse, format, toNamespacedPath, matchesGlob, win32: notWin32 };
path.posix = path;
export const posix = path;
export const win32 = notWin32;
export default path;
