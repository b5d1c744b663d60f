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
    if (path === "/huge-url") {
      // 3 M characters: 6 MB of UTF-8, which percent-encoding would triple.
      try {
        return new Response(new URL("http://a/" + "\u00e9".repeat(3 << 20)).href.length);
      } catch (e) {
        return new Response(String(e), { status: 500 });
      }
    }
    if (path === "/hang") {
      return new Promise(() => {});
    }
    return new Response("ok");
  },
};
