// Node.js baseline for bench/bench.sh: serves a Workers-style module
// (`export default { fetch(request, env, ctx) }`) with node:http, adapting
// Node's request to the global Request/Response of Node >= 18.
//
//   node bench/node-server.mjs [--port N] [--host ADDR] [HANDLER.js]
//
// HANDLER.js defaults to handlers/hello.js. Prints one line to stdout when
// listening: `node listening on http://HOST:PORT`. Stops on SIGTERM/SIGINT.

import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
let handlerPath = path.join(here, "..", "handlers", "hello.js");
let port = 0;
let host = "127.0.0.1";

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--port") port = Number(args[++i]);
  else if (args[i] === "--host") host = args[++i];
  else handlerPath = args[i];
}

if (typeof Request !== "function" || typeof Response !== "function") {
  console.error("node-server: this Node has no global Request/Response (need Node >= 18)");
  process.exit(2);
}

const mod = await import(pathToFileURL(path.resolve(handlerPath)).href);
const worker = mod.default;
if (!worker || typeof worker.fetch !== "function") {
  console.error(`node-server: ${handlerPath} has no default export with fetch()`);
  process.exit(2);
}
const env = {};

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const server = http.createServer(async (req, res) => {
  try {
    const method = req.method;
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const hasBody = method !== "GET" && method !== "HEAD";
    const body = hasBody ? await readBody(req) : undefined;
    const url = `http://${req.headers.host ?? `${host}:${port}`}${req.url}`;
    const request = new Request(url, { method, headers, body });
    const ctx = {
      waitUntil(p) {
        Promise.resolve(p).catch((e) => console.error("waitUntil:", e));
      },
      passThroughOnException() {},
    };

    const response = await worker.fetch(request, env, ctx);
    const out = response.body ? Buffer.from(await response.arrayBuffer()) : Buffer.alloc(0);
    const outHeaders = {};
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") outHeaders[name] = value;
    });
    const cookies = response.headers.getSetCookie ? response.headers.getSetCookie() : [];
    if (cookies.length) outHeaders["set-cookie"] = cookies;
    if (response.status !== 204 && response.status !== 304) {
      outHeaders["content-length"] = out.length;
    }
    res.writeHead(response.status, response.statusText || undefined, outHeaders);
    res.end(method === "HEAD" ? undefined : out);
  } catch (e) {
    console.error("handler error:", e);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal Server Error\n");
  }
});

server.keepAliveTimeout = 30_000;
server.listen(port, host, () => {
  const a = server.address();
  console.log(`node listening on http://${a.address}:${a.port}`);
});

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
