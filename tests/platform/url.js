// URL and URLSearchParams (WHATWG URL Standard), our own cases written from
// the spec.
import { inspect } from "node:util";

test(() => {
  const u = new URL("HTTPS://User:Pa%73s@EXAMPLE.com:443/a/./b/../c?q=1#frag");
  assert_equals(u.href, "https://User:Pa%73s@example.com/a/c?q=1#frag");
  assert_equals(u.protocol, "https:");
  assert_equals(u.username, "User");
  assert_equals(u.password, "Pa%73s");
  assert_equals(u.host, "example.com", "the default port is dropped");
  assert_equals(u.hostname, "example.com");
  assert_equals(u.port, "");
  assert_equals(u.pathname, "/a/c");
  assert_equals(u.search, "?q=1");
  assert_equals(u.hash, "#frag");
  assert_equals(u.origin, "https://example.com");
  assert_equals(String(u), u.href);
  assert_equals(u.toJSON(), u.href);
  assert_equals(JSON.stringify({ u }), `{"u":"${u.href}"}`);
}, "an absolute URL is parsed into its parts");

test(() => {
  assert_equals(new URL("../c?x#y", "http://a/b/d/e").href, "http://a/b/c?x#y");
  assert_equals(new URL("//other/p", "https://a/b").href, "https://other/p");
  assert_equals(new URL("?only", "http://a/b?old#h").href, "http://a/b?only");
  assert_equals(new URL("#h2", "http://a/b?q").href, "http://a/b?q#h2");
  assert_equals(new URL("http:rel", "http://a/b/c").href, "http://a/b/rel");
  assert_equals(new URL("\\\\x\\y", "http://a/").href, "http://x/y", "backslashes are slashes in special URLs");
}, "relative references resolve against a base");

test(() => {
  assert_equals(new URL("http://0x7f.1/").hostname, "127.0.0.1");
  assert_equals(new URL("http://0300.0250.1.1/").hostname, "192.168.1.1");
  assert_equals(new URL("http://[0:0::1]:8080/").host, "[::1]:8080");
  assert_equals(new URL("http://bücher.example/").hostname, "xn--bcher-kva.example");
  assert_equals(new URL("http://EX%41mple.com/").hostname, "example.com");
  assert_throws_js(TypeError, () => new URL("http://a b/"));
  assert_throws_js(TypeError, () => new URL("http://[::1/"));
  assert_throws_js(TypeError, () => new URL("http://1.2.3.256/"));
  assert_throws_js(TypeError, () => new URL("http://ex:99999/"));
}, "hosts: IPv4 forms, IPv6, IDNA, forbidden code points");

test(() => {
  const u = new URL("mailto:ada@example.com?subject=hi");
  assert_equals(u.protocol, "mailto:");
  assert_equals(u.pathname, "ada@example.com");
  assert_equals(u.host, "");
  assert_equals(u.origin, "null");
  const d = new URL("data:text/plain,a b");
  assert_equals(d.pathname, "text/plain,a b");
  assert_equals(new URL("foo://h/p").origin, "null");
}, "non-special schemes and opaque paths");

test(() => {
  assert_equals(new URL("http://a/ é?q=é#é").href, "http://a/%20%C3%A9?q=%C3%A9#%C3%A9");
  assert_equals(new URL("http://a/?'").search, "?%27", "special query set");
  assert_equals(new URL("foo://a/?'").search, "?'");
  assert_equals(new URL("http://a/\uD800").pathname, "/%EF%BF%BD", "a lone surrogate is U+FFFD");
}, "percent-encoding sets");

test(() => {
  assert_throws_js(TypeError, () => new URL("/no-base"));
  assert_throws_js(TypeError, () => new URL("x", "not a base"));
  assert_throws_js(TypeError, () => new URL());
  let message = "";
  try {
    new URL("nope");
  } catch (e) {
    message = e.message;
  }
  assert_true(message.includes('"nope"'), message);
  assert_true(URL.canParse("http://a/"));
  assert_false(URL.canParse("/x"));
  assert_true(URL.canParse("/x", "http://a/"));
  assert_equals(URL.parse("/x"), null);
  assert_equals(URL.parse("/x", "http://a/b").href, "http://a/x");
  assert_true(URL.parse("http://a/") instanceof URL);
}, "failures throw TypeError; canParse and parse do not");

test(() => {
  const u = new URL("http://a/p?q#h");
  u.pathname = "/x y";
  assert_equals(u.pathname, "/x%20y");
  u.search = "a=1";
  assert_equals(u.search, "?a=1");
  u.hash = "frag";
  assert_equals(u.hash, "#frag");
  u.host = "b:81";
  assert_equals(u.host, "b:81");
  u.port = "80";
  assert_equals(u.port, "", "the default port clears it");
  u.port = "nope";
  assert_equals(u.port, "", "an invalid port is ignored");
  u.hostname = "c";
  u.username = "me";
  u.password = "pw";
  u.protocol = "https";
  assert_equals(u.href, "https://me:pw@c/x%20y?a=1#frag");
  u.protocol = "mailto";
  assert_equals(u.protocol, "https:", "a special scheme cannot become a non-special one");
  u.search = "";
  u.hash = "";
  assert_equals(u.href, "https://me:pw@c/x%20y");
  u.href = "http://z/";
  assert_equals(u.href, "http://z/");
  assert_throws_js(TypeError, () => (u.href = "not a url"));
  assert_equals(u.href, "http://z/", "a failed href set changes nothing");
}, "setters follow the standard's rules");

test(() => {
  const u = new URL("http://a/?x=1&y=2");
  const p = u.searchParams;
  assert_equals(p, u.searchParams, "the same object each time");
  assert_equals(p.get("x"), "1");
  p.append("z", "a b");
  assert_equals(u.search, "?x=1&y=2&z=a+b");
  p.delete("x");
  assert_equals(u.href, "http://a/?y=2&z=a+b");
  u.search = "?k=v";
  assert_equals(p.get("k"), "v", "setting search refills the params");
  assert_equals(p.get("y"), null);
  u.href = "http://b/?n=1";
  assert_equals([...p].join(";"), "n,1");
  p.delete("n");
  assert_equals(u.href, "http://b/", "no params, no query");
}, "searchParams is linked to its URL both ways");

test(() => {
  assert_equals(new URLSearchParams("?a=1&b=2&a=3").getAll("a").join(), "1,3");
  assert_equals(new URLSearchParams([["a", "1"], ["b", "2"]]).toString(), "a=1&b=2");
  assert_equals(new URLSearchParams({ a: "1", b: 2 }).toString(), "a=1&b=2");
  const copy = new URLSearchParams(new URLSearchParams("a=1"));
  copy.append("b", "2");
  assert_equals(copy.toString(), "a=1&b=2");
  assert_equals(new URLSearchParams().toString(), "");
  assert_throws_js(TypeError, () => new URLSearchParams([["a"]]));
  assert_throws_js(TypeError, () => new URLSearchParams([["a", "1", "2"]]));
  assert_equals(new URLSearchParams("a=%zz&b=%C3%A9&c=+").toString(), "a=%25zz&b=%C3%A9&c=+");
}, "URLSearchParams: the forms of init");

test(() => {
  const p = new URLSearchParams("b=2&a=1&b=3&c=é");
  assert_equals(p.size, 4);
  assert_true(p.has("b"));
  assert_true(p.has("b", "3"));
  assert_false(p.has("b", "4"));
  p.delete("b", "2");
  assert_equals(p.getAll("b").join(), "3");
  p.set("a", "x");
  p.append("a", "y");
  p.set("a", "z");
  assert_equals(p.getAll("a").join(), "z");
  assert_equals(p.get("missing"), null);
  p.sort();
  assert_equals([...p.keys()].join(), "a,b,c");
  assert_equals([...p.values()].join(), "z,3,é");
  assert_equals(p.toString(), "a=z&b=3&c=%C3%A9");
  const seen = [];
  p.forEach(function (v, k, self) {
    seen.push(k + "=" + v + (self === p) + (this === seen));
  }, seen);
  assert_equals(seen.join(), "a=ztruetrue,b=3truetrue,c=étruetrue");
  assert_equals(Object.prototype.toString.call(p), "[object URLSearchParams]");
}, "URLSearchParams: reading, changing, sorting, iterating");

test(() => {
  const p = new URLSearchParams("\uD83D\uDE00=1&\uFFFF=2");
  p.sort();
  assert_equals([...p.keys()].join(), "\uD83D\uDE00,\uFFFF", "by UTF-16 code units");
  assert_equals(new URLSearchParams([["\uD800", "x"]]).toString(), "%EF%BF%BD=x");
}, "URLSearchParams: sorting by code units, lone surrogates");

test(() => {
  class MyURL extends URL {
    get twice() {
      return this.pathname + this.pathname;
    }
  }
  const u = new MyURL("http://a/x");
  assert_equals(u.twice, "/x/x");
  assert_true(u instanceof URL);
  assert_throws_js(TypeError, () => URL.prototype.pathname);
  assert_throws_js(TypeError, () => Object.getOwnPropertyDescriptor(URL.prototype, "href").get.call({}));
  assert_throws_js(TypeError, () => URLSearchParams.prototype.get.call({}, "a"));
  assert_equals(Object.prototype.toString.call(u), "[object URL]");
}, "subclasses work; other receivers are a TypeError");

test(() => {
  assert_equals(inspect(new URL("http://a/b?c")), "URL { href: 'http://a/b?c' }");
  assert_equals(inspect(new URLSearchParams("a=1&b=2&a=3")), "URLSearchParams { a: [ '1', '3' ], b: '2' }");
}, "console and util.inspect show what they hold");
