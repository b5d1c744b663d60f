// A function that touches no API: the baseline for all.js (same commands).
export default { async fetch() { return new Response("none"); } };
