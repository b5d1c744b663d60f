// Test function: error paths of the Workers form.
//   /throw  -> fetch throws synchronously         -> 500, stack logged
//   /reject -> fetch returns a rejected promise    -> 500, stack logged
//   /bad    -> fetch returns {} (not a Response)   -> 500, "must return a Response" logged
//   else    -> 200 "ok"
export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/throw") throw new Error("boom");
    if (path === "/reject") return Promise.reject(new Error("rejected"));
    if (path === "/bad") return {};
    return new Response("ok");
  },
};
