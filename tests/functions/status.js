// Test function: responses shaped by the request, for the integration tests.
//   /?status=201&h=x-a:1&h=set-cookie:a=1&h=set-cookie:b=2&body=hi
//               -> status, headers (name:value, repeatable) and body from the query
//   /redirect   -> 307, location: http://example.com/x
//   /json       -> 202, {"a":1}
//   /bytes      -> body bytes [0, 1, 2, 255]
//   /empty      -> 204, no body
//   /waituntil  -> "ok" at once; 50 ms later logs "waitUntil done"
//   /interval   -> setInterval counts to 3, clearInterval -> {"count":3}
//   /microtask  -> ["sync","microtask1","promise","microtask2","timeout"]
//   /env        -> the env bindings as JSON
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/redirect":
        return Response.redirect("http://example.com/x", 307);
      case "/json":
        return Response.json({ a: 1 }, { status: 202 });
      case "/bytes":
        return new Response(new Uint8Array([0, 1, 2, 255]));
      case "/empty":
        return new Response(null, { status: 204 });
      case "/waituntil":
        ctx.waitUntil(sleep(50).then(() => console.log("waitUntil done")));
        return new Response("ok");
      case "/interval": {
        const count = await new Promise((resolve) => {
          let n = 0;
          const id = setInterval(() => {
            if (++n === 3) {
              clearInterval(id);
              resolve(n);
            }
          }, 5);
        });
        return Response.json({ count });
      }
      case "/microtask": {
        const order = [];
        setTimeout(() => order.push("timeout"), 0);
        queueMicrotask(() => order.push("microtask1"));
        Promise.resolve().then(() => order.push("promise"));
        queueMicrotask(() => order.push("microtask2"));
        order.push("sync");
        await sleep(10);
        return Response.json(order);
      }
      case "/env":
        return Response.json(env ?? {});
    }
    const headers = new Headers();
    for (const h of url.searchParams.getAll("h")) {
      const i = h.indexOf(":");
      if (i > 0) headers.append(h.slice(0, i), h.slice(i + 1));
    }
    const status = Number(url.searchParams.get("status") ?? 200);
    return new Response(url.searchParams.get("body"), { status, headers });
  },
};
