// lambda: an AWS Lambda handler (API Gateway REST proxy event) runs unchanged.
// Isère calls `handler(event, context)` when a module has no `export default { fetch }`.
//   curl 'http://<board>/hi?name=x'
export const handler = async (event, context) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    message: "Hello from a Lambda-style function",
    path: event.path,
    method: event.httpMethod,
    query: event.queryStringParameters,
  }),
});
