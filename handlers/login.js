// A stateless login endpoint: POST /login checks a password against a user
// store and answers an HS256 JWT; GET /me checks such a token.
//
// Configuration (env of the function):
//   JWT_SECRET          the HMAC key of the tokens (required)
//   TOKEN_TTL           token lifetime in seconds (default 3600)
//   PBKDF2_ITERATIONS   iterations of the decoy hash run for unknown users, so
//                       that they cost the same as known ones (default 10000)
// The user store is the first binding present of:
//   env.DB     PostgreSQL: table users(username text primary key, password_hash text not null)
//   env.REDIS  Redis: hash "user:<username>" with field password_hash
//   env.USERS  KV: key <username>, JSON value {"password_hash": "..."}
// A password hash is "pbkdf2-sha256$<iterations>$<salt>$<hash>" with salt and
// hash in base64; `isere-sim --hash-password` makes one.

const MAX_ITERATIONS = 10_000_000;
const DENIED = { error: "invalid username or password" };
const enc = new TextEncoder();

const b64 = {
  decode: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)),
  url: (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  fromUrl: (s) => b64.decode(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)),
};

const json = (status, body, headers = {}) => Response.json(body, { status, headers });

class StoreUnavailable extends Error {}

// The stored hash of `username`, or null when there is no such user.
async function findHash(env, username) {
  try {
    if (env.DB) {
      const { rows } = await env.DB.query("SELECT password_hash FROM users WHERE username = $1", [username]);
      return rows.length ? rows[0].password_hash : null;
    }
    if (env.REDIS) return await env.REDIS.hget(`user:${username}`, "password_hash");
    if (env.USERS) {
      const user = await env.USERS.get(username, { type: "json" });
      return user ? user.password_hash : null;
    }
  } catch (e) {
    console.error("login: user store failed:", e);
    throw new StoreUnavailable("user store unavailable");
  }
  throw new Error("login: no user store: bind DB, REDIS or USERS");
}

function parseHash(stored) {
  const parts = typeof stored === "string" ? stored.split("$") : [];
  if (parts.length !== 4 || parts[0] !== "pbkdf2-sha256") return null;
  const iterations = Number(parts[1]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return null;
  try {
    return { iterations, salt: b64.decode(parts[2]), hash: b64.decode(parts[3]) };
  } catch {
    return null;
  }
}

async function pbkdf2(password, salt, iterations, bytes) {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8));
}

// Compares in time that depends only on the lengths.
function equalBytes(a, b) {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

async function hmacKey(env, usage) {
  if (!env.JWT_SECRET) throw new Error("login: JWT_SECRET is not set");
  return crypto.subtle.importKey("raw", enc.encode(env.JWT_SECRET), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

async function issueToken(env, username) {
  const now = Math.floor(Date.now() / 1000);
  const ttl = Number(env.TOKEN_TTL) > 0 ? Math.floor(Number(env.TOKEN_TTL)) : 3600;
  const head = b64.url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64.url(enc.encode(JSON.stringify({ sub: username, iat: now, exp: now + ttl })));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(env, "sign"), enc.encode(`${head}.${body}`));
  return `${head}.${body}.${b64.url(signature)}`;
}

// The token's claims when its signature and expiry check out, else null.
async function verifyToken(env, token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(new TextDecoder().decode(b64.fromUrl(parts[0])));
    if (header.alg !== "HS256") return null;
    const ok = await crypto.subtle.verify("HMAC", await hmacKey(env, "verify"), b64.fromUrl(parts[2]), enc.encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return null;
    const claims = JSON.parse(new TextDecoder().decode(b64.fromUrl(parts[1])));
    if (typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    return claims.exp > Date.now() / 1000 ? claims : null;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("login:")) throw e;
    return null;
  }
}

async function login(request, env) {
  let input;
  try {
    input = await request.json();
  } catch {
    return json(400, { error: "the body must be JSON: {\"username\": \"...\", \"password\": \"...\"}" });
  }
  const { username, password } = input ?? {};
  if (typeof username !== "string" || typeof password !== "string" || !username || !password) {
    return json(400, { error: "username and password are required strings" });
  }
  const stored = parseHash(await findHash(env, username));
  // An unknown user costs a hash of the same kind, so timing tells nothing.
  const decoy = { iterations: Number(env.PBKDF2_ITERATIONS) > 0 ? Number(env.PBKDF2_ITERATIONS) : 10_000, salt: new Uint8Array(16), hash: new Uint8Array(32) };
  const check = stored ?? decoy;
  const derived = await pbkdf2(password, check.salt, Math.min(check.iterations, MAX_ITERATIONS), check.hash.length || 32);
  if (!equalBytes(derived, check.hash) || stored === null) return json(401, DENIED);
  return json(200, { token: await issueToken(env, username) });
}

async function me(request, env) {
  const auth = request.headers.get("authorization") ?? "";
  const match = /^Bearer +([A-Za-z0-9_\-.]+)$/.exec(auth);
  const claims = match ? await verifyToken(env, match[1]) : null;
  if (!claims) return json(401, { error: "a valid bearer token is required" }, { "www-authenticate": 'Bearer realm="isere"' });
  return json(200, { username: claims.sub, iat: claims.iat, exp: claims.exp });
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    try {
      if (path.endsWith("/login")) {
        if (request.method !== "POST") return json(405, { error: "use POST" }, { allow: "POST" });
        return await login(request, env);
      }
      if (path.endsWith("/me")) {
        if (request.method !== "GET" && request.method !== "HEAD") return json(405, { error: "use GET" }, { allow: "GET, HEAD" });
        return await me(request, env);
      }
      return json(404, { error: "not found: POST /login or GET /me" });
    } catch (e) {
      if (e instanceof StoreUnavailable) return json(503, { error: e.message }, { "retry-after": "5" });
      throw e;
    }
  },
};
