// node:diagnostics_channel, our own cases written from Node's documentation
// (https://nodejs.org/api/diagnostics_channel.html).
import dc from "node:diagnostics_channel";

test(() => {
  const ch = dc.channel("my-channel");
  assert_equals(dc.channel("my-channel"), ch, "one channel per name");
  assert_false(ch.hasSubscribers);
  assert_false(dc.hasSubscribers("my-channel"));
  const got = [];
  const fn = (message, name) => got.push([message, name]);
  dc.subscribe("my-channel", fn);
  assert_true(ch.hasSubscribers);
  assert_true(dc.hasSubscribers("my-channel"));
  ch.publish({ some: "data" });
  assert_equals(got.length, 1);
  assert_equals(got[0][0].some, "data");
  assert_equals(got[0][1], "my-channel");
  assert_true(dc.unsubscribe("my-channel", fn));
  assert_false(dc.unsubscribe("my-channel", fn));
  ch.publish("ignored");
  assert_equals(got.length, 1);
  assert_false(ch.hasSubscribers);
}, "channel, subscribe, hasSubscribers, publish, unsubscribe");

test(() => {
  const ch = dc.channel(Symbol("s"));
  let n = 0;
  ch.subscribe(() => {
    throw new Error("subscriber bug");
  });
  ch.subscribe(() => n++);
  ch.publish(1);
  assert_equals(n, 1, "a throwing subscriber does not stop the others");
  assert_throws_js(TypeError, () => dc.channel(1));
  assert_throws_js(TypeError, () => ch.subscribe(1));
}, "symbol names, throwing subscribers, argument checks");

promise_test(async () => {
  const tc = dc.tracingChannel("op");
  const events = [];
  tc.subscribe({
    start: () => events.push("start"),
    end: () => events.push("end"),
    asyncStart: () => events.push("asyncStart"),
    asyncEnd: () => events.push("asyncEnd"),
    error: (ctx) => events.push("error:" + ctx.error.message),
  });
  assert_equals(tc.traceSync((a) => a + 1, {}, null, 1), 2);
  assert_equals(await tc.tracePromise(async () => 5, {}), 5);
  assert_throws_js(Error, () => tc.traceSync(() => {
    throw new Error("x");
  }));
  assert_array_equals(events, ["start", "end", "start", "end", "asyncStart", "asyncEnd", "start", "error:x", "end"]);
}, "tracingChannel traceSync and tracePromise");
