// Test function: the Lambda form, its result shapes and error paths.
//   /event  -> 200, the event (minus requestContext.requestTimeEpoch) and
//              context.functionName as JSON
//   /string -> the handler returns a string          -> 200 with that body
//   /b64    -> isBase64Encoded body "AAEC/w=="        -> 200, bytes [0, 1, 2, 255]
//   /multi  -> multiValueHeaders set-cookie a=1, b=2  -> two set-cookie lines
//   /bad    -> { body: "x" } (no statusCode)          -> 502, error logged
//   else    -> the handler rejects                    -> 500, stack logged
export const handler = async (event, context) => {
  switch (event.path) {
    case "/event": {
      const { requestTimeEpoch, ...requestContext } = event.requestContext;
      return {
        statusCode: 200,
        body: JSON.stringify({ ...event, requestContext, functionName: context.functionName }),
      };
    }
    case "/string":
      return "plain string";
    case "/b64":
      return { statusCode: 200, headers: { "content-type": "application/octet-stream" }, body: "AAEC/w==", isBase64Encoded: true };
    case "/multi":
      return { statusCode: 201, multiValueHeaders: { "set-cookie": ["a=1", "b=2"] }, body: "" };
    case "/bad":
      return { body: "x" };
  }
  await null;
  throw new Error("lambda rejected");
};
