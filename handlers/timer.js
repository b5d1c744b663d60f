// timer: waits ?ms= milliseconds (default 50, at most 10000) on a setTimeout
// promise, then reports how long it really waited, measured with Date.now().
//   curl 'http://<board>/?ms=200'  ->  {"waited":200,"elapsed":201}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default {
  async fetch(request) {
    const param = new URL(request.url).searchParams.get("ms");
    let ms = param === null || param.trim() === "" ? 50 : Math.trunc(Number(param));
    if (!Number.isFinite(ms)) ms = 50;
    ms = Math.min(Math.max(ms, 0), 10000);
    const start = Date.now();
    await sleep(ms);
    return Response.json({ waited: ms, elapsed: Date.now() - start });
  },
};
