// hello: the smallest Workers-style function. Every request gets a greeting.
//   curl http://<board>/  ->  Hello from Isère!
export default {
  async fetch(request, env, ctx) {
    return new Response("Hello from Isère!\n", {
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
  },
};
