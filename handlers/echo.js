// echo: answers with what it received, as JSON: the method, the path, the query
// (a repeated key becomes an array), the headers (lowercased names) and the body.
//   curl -d 'hi' 'http://<board>/a/b?x=1&x=2'
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const query = Object.create(null);
    for (const [k, v] of url.searchParams) {
      query[k] = k in query ? [].concat(query[k], v) : v;
    }
    return Response.json({
      method: request.method,
      path: url.pathname,
      query,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
  },
};
