// A Lambda handler answering the statusCode it is asked for
// (tests/hostile.rs): anything but 200-599 must not reach the client.
export const handler = async (event) => ({
  statusCode: Number(event.queryStringParameters?.code ?? 200),
  body: "status",
});
