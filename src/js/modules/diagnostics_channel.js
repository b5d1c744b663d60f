// node:diagnostics_channel (https://nodejs.org/api/diagnostics_channel.html):
// named channels, subscribe/unsubscribe, hasSubscribers, publish, and
// tracingChannel (start/end/asyncStart/asyncEnd/error). A subscriber that throws
// does not stop the others: its error is reported on the next microtask, as
// Node reports it on process.nextTick. Channels live as long as the context
// (Node holds unsubscribed channels weakly).
// Departures: bindStore/unbindStore/runStores need AsyncLocalStorage, which
// Isère has not: runStores runs its function without binding anything.
import internal from "isere:internal";

const channels = new Map();

function checkName(name) {
  if (typeof name !== "string" && typeof name !== "symbol") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "channel" argument must be of type string or symbol. Received ' + (name === null ? "null" : typeof name));
  }
}
function checkSubscriber(fn) {
  if (typeof fn !== "function") {
    throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "subscription" argument must be of type function. Received ' + (fn === null ? "null" : typeof fn));
  }
}

export class Channel {
  constructor(name) {
    this.name = name;
    this._subscribers = [];
  }
  get hasSubscribers() {
    return this._subscribers.length > 0;
  }
  subscribe(fn) {
    checkSubscriber(fn);
    this._subscribers = [...this._subscribers, fn];
    channels.set(this.name, this);
  }
  unsubscribe(fn) {
    const i = this._subscribers.indexOf(fn);
    if (i === -1) return false;
    this._subscribers = this._subscribers.filter((_, k) => k !== i);
    return true;
  }
  publish(message) {
    for (const fn of this._subscribers) {
      try {
        fn(message, this.name);
      } catch (e) {
        Promise.resolve().then(() => {
          throw e;
        });
      }
    }
  }
  bindStore() {}
  unbindStore() {
    return false;
  }
  runStores(data, fn, thisArg, ...args) {
    this.publish(data);
    return fn.apply(thisArg, args);
  }
}

export function channel(name) {
  checkName(name);
  let c = channels.get(name);
  if (!c) {
    c = new Channel(name);
    channels.set(name, c);
  }
  return c;
}
export function hasSubscribers(name) {
  checkName(name);
  return channels.get(name)?.hasSubscribers ?? false;
}
export function subscribe(name, fn) {
  channel(name).subscribe(fn);
}
export function unsubscribe(name, fn) {
  checkName(name);
  return channels.get(name)?.unsubscribe(fn) ?? false;
}

const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"];

class TracingChannel {
  constructor(nameOrChannels) {
    for (const e of EVENTS) {
      this[e] = typeof nameOrChannels === "string" ? channel(`tracing:${nameOrChannels}:${e}`) : nameOrChannels[e];
      if (!(this[e] instanceof Channel)) {
        throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `tracingChannel: "${e}" must be a Channel`);
      }
    }
  }
  get hasSubscribers() {
    return EVENTS.some((e) => this[e].hasSubscribers);
  }
  subscribe(handlers) {
    for (const e of EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]);
  }
  unsubscribe(handlers) {
    let all = true;
    for (const e of EVENTS) if (handlers[e] && !this[e].unsubscribe(handlers[e])) all = false;
    return all;
  }
  traceSync(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const result = fn.apply(thisArg, args);
      context.result = result;
      return result;
    } catch (error) {
      context.error = error;
      this.error.publish(context);
      throw error;
    } finally {
      this.end.publish(context);
    }
  }
  tracePromise(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const p = fn.apply(thisArg, args);
      return Promise.resolve(p).then(
        (result) => {
          context.result = result;
          this.asyncStart.publish(context);
          this.asyncEnd.publish(context);
          return result;
        },
        (error) => {
          context.error = error;
          this.error.publish(context);
          this.asyncStart.publish(context);
          this.asyncEnd.publish(context);
          throw error;
        },
      );
    } catch (error) {
      context.error = error;
      this.error.publish(context);
      throw error;
    } finally {
      this.end.publish(context);
    }
  }
  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    const i = position < 0 ? args.length + position : position;
    const callback = args[i];
    if (typeof callback !== "function") {
      throw internal.nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "callback" argument must be of type function');
    }
    const self = this;
    args[i] = function (err, result) {
      if (err) {
        context.error = err;
        self.error.publish(context);
      } else {
        context.result = result;
      }
      self.asyncStart.publish(context);
      try {
        return callback.apply(this, arguments);
      } finally {
        self.asyncEnd.publish(context);
      }
    };
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

export function tracingChannel(nameOrChannels) {
  return new TracingChannel(nameOrChannels);
}

export default { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };
