// Bodies as streams both ways (tests/http.rs): /count reads the request
// body a piece at a time and keeps none of it; /produce answers with a
// stream of `n` chunks made one at a time; /echo sends the request body
// back as it arrives.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/count")) {
      let bytes = 0;
      let pieces = 0;
      if (request.body !== null) {
        for await (const chunk of request.body) {
          bytes += chunk.length;
          pieces++;
        }
      }
      return Response.json({ bytes, pieces });
    }
    if (url.pathname.endsWith("/produce")) {
      const n = Number(url.searchParams.get("n") ?? 3);
      const size = Number(url.searchParams.get("size") ?? 0);
      let i = 0;
      const stream = new ReadableStream({
        async pull(c) {
          if (i === n) return c.close();
          await new Promise((r) => setTimeout(r, 1));
          const line = `chunk ${i++}\n`;
          c.enqueue(new TextEncoder().encode(size > 0 ? line.padEnd(size, ".") : line));
        },
      });
      return new Response(stream, { headers: { "content-type": "text/plain" } });
    }
    if (url.pathname.endsWith("/fail")) {
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("partial"));
        },
        pull(c) {
          c.error(new Error("the producer failed"));
        },
      });
      return new Response(stream);
    }
    if (url.pathname.endsWith("/text")) {
      return new Response(String((await request.text()).length));
    }
    return new Response(request.body);
  },
};
