// Test function for the JS task's limits: CPU time, memory, hung promises.
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/spin") {
      for (;;) {}
    }
    if (path === "/hog") {
      const kept = [];
      for (;;) kept.push("x".repeat(4096) + kept.length);
    }
    if (path === "/hang") {
      return new Promise(() => {});
    }
    return new Response("ok");
  },
};
