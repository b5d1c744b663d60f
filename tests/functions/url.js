// Answers the URL the handler was given (tests/hostile.rs: built from a
// validated Host).
export default {
  fetch: (request) => new Response(request.url),
};
