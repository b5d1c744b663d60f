#!/bin/sh
# Engine heap a function pays for touching each lazily loaded API: runs
# isere-sim on a one-line function per API and prints the "engine N bytes" of
# its load log minus that of a function touching nothing.
# Usage: tests/platform/measure-heap.sh [NAME...]   (after `cargo build --bin isere-sim`)
set -eu
SIM=${SIM:-target/debug/isere-sim}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

touch_of() {
  case $1 in
    base) echo '' ;;
    events) echo 'void EventTarget;' ;;
    abort) echo 'void AbortController;' ;;
    streams) echo "void ReadableStream;" ;;
    writable) echo "void WritableStream;" ;;
    transform) echo "void TransformStream;" ;;
    queuing) echo "void CountQueuingStrategy;" ;;
    blob) echo 'void Blob;' ;;
    formdata) echo 'void FormData;' ;;
    url) echo 'void URL;' ;;
    url-use) echo 'new URL("http://a/b?c=1").searchParams.get("c");' ;;
    request) echo 'new Request("http://a/b");' ;;
    text-use) echo 'new TextDecoder().decode(new TextEncoder().encode("\u00e9"));' ;;
    typed-arrays) echo 'new Uint8Array(1);' ;;
    subtle) echo 'void crypto.subtle;' ;;
    clone) echo "void structuredClone;" ;;
    text) echo "void TextEncoder;" ;;
    console) echo "void console;" ;;
    node-buffer | node-stream | node-util | node-events | node-assert | node-path \
      | node-string_decoder | node-diagnostics_channel | node-process)
      echo "import \"node:${1#node-}\";" ;;
    *) echo "unknown API $1" >&2; exit 2 ;;
  esac
}

engine_bytes() {
  printf '%s\nexport default { fetch() { return new Response(""); } };\n' "$(touch_of "$1")" >"$DIR/f.js"
  "$SIM" "$DIR/f.js" --port 0 --log-level info >"$DIR/out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q "function(s) loaded\|error" "$DIR/out" && break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  sed -n 's/.*function(s) loaded: engine \([0-9]*\) bytes.*/\1/p' "$DIR/out"
}

base=$(engine_bytes base)
echo "base: $base bytes"
for api in ${@:-events streams blob formdata node-buffer node-stream node-util node-events node-assert}; do
  n=$(engine_bytes "$api")
  echo "$api: +$((n - base)) bytes"
done
