// The fuzzing function behind POST /web (fuzz/src/lib.rs): the body, split
// at NUL bytes, is [input, base, search, hash, pathname, name, value, ...].
// Bad input must throw TypeError and nothing else; a broken property throws
// an Error, which the server answers with 500 and the target reports.

// Runs f; a TypeError (the APIs' answer to bad input) gives null.
function tried(f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof TypeError) return null;
    throw e;
  }
}

function same(what, a, b) {
  if (a !== b) throw new Error(`${what}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
}

// WHATWG URL: parsing a URL's serialisation gives the same URL back.
function reparses(u) {
  same('href reparsed', new URL(u.href).href, u.href);
}

function urls(input, base, rest) {
  let n = 0;
  for (const make of [() => new URL(input), () => new URL(input, base), () => new URL(base)]) {
    const u = tried(make);
    if (u === null) continue;
    reparses(u);
    same('URL.canParse', URL.canParse(u.href), true);
    const [search = '', hash = '', pathname = ''] = rest;
    u.search = search;
    reparses(u);
    u.hash = hash;
    reparses(u);
    u.pathname = pathname;
    reparses(u);
    for (const [k, v] of u.searchParams) n += k.length + v.length;
    u.searchParams.append(input, base);
    same('appended param', u.searchParams.getAll(input).at(-1), base);
    reparses(u);
    n += u.href.length + u.origin.length + u.host.length;
  }
  const params = new URLSearchParams(input);
  same('URLSearchParams round trip', new URLSearchParams(params.toString()).toString(), params.toString());
  return n;
}

function headers(pairs) {
  const h = tried(() => new Headers(pairs)) ?? new Headers();
  for (const [name, value] of pairs) {
    const normal = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (tried(() => h.append(name, value)) === null) continue;
    h.set(name, value);
    same('get after set', h.get(name), normal);
    same('has, any case', h.has(name.toUpperCase()), true);
    h.append(name, value);
    if (name.toLowerCase() !== 'set-cookie') same('get after append', h.get(name), `${normal}, ${normal}`);
  }
  const copy = new Headers(h);
  same('copied', JSON.stringify([...copy]), JSON.stringify([...h]));
  let n = 0;
  h.forEach((v, k) => {
    same('lowercase name', k, k.toLowerCase());
    n += k.length + v.length;
  });
  for (const [name] of pairs) tried(() => h.delete(name));
  return n;
}

export default {
  async fetch(request) {
    const [input = '', base = '', search, hash, pathname, ...fields] = (await request.text()).split('\0');
    const pairs = [];
    for (let i = 0; i + 1 < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
    const n = urls(input, base, [search, hash, pathname]) + headers(pairs);
    return new Response(String(n));
  },
};
