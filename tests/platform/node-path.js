// node:path (POSIX), our own cases written from Node's documentation
// (https://nodejs.org/api/path.html).
import path, { join, posix } from "node:path";

test(() => {
  assert_equals(join("/foo", "bar", "baz/asdf", "quux", ".."), "/foo/bar/baz/asdf");
  assert_equals(join("a", "", "b"), "a/b");
  assert_equals(join(), ".");
  assert_equals(join("a/", "/b/"), "a/b/");
  assert_throws_js(TypeError, () => join("a", {}));
}, "join");

test(() => {
  assert_equals(path.resolve("/foo/bar", "./baz"), "/foo/bar/baz");
  assert_equals(path.resolve("/foo/bar", "/tmp/file/"), "/tmp/file");
  assert_equals(path.resolve("a", "../b"), "/b", "relative to process.cwd(), which is /");
  assert_equals(path.resolve(), "/");
}, "resolve");

test(() => {
  assert_equals(path.normalize("/foo/bar//baz/asdf/quux/.."), "/foo/bar/baz/asdf");
  assert_equals(path.normalize("./a/../../b"), "../b");
  assert_equals(path.normalize(""), ".");
  assert_equals(path.normalize("/.."), "/");
  assert_equals(path.normalize("a/"), "a/");
}, "normalize");

test(() => {
  assert_equals(path.dirname("/foo/bar/baz/asdf/quux"), "/foo/bar/baz/asdf");
  assert_equals(path.dirname("/a/b/"), "/a");
  assert_equals(path.dirname("a"), ".");
  assert_equals(path.dirname("/a"), "/");
  assert_equals(path.basename("/foo/bar/baz/asdf/quux.html"), "quux.html");
  assert_equals(path.basename("/foo/bar/baz/asdf/quux.html", ".html"), "quux");
  assert_equals(path.basename("/a/b/"), "b");
  assert_equals(path.extname("index.html"), ".html");
  assert_equals(path.extname("index.coffee.md"), ".md");
  assert_equals(path.extname("index."), ".");
  assert_equals(path.extname("index"), "");
  assert_equals(path.extname(".index"), "");
  assert_equals(path.extname(".index.md"), ".md");
}, "dirname, basename, extname");

test(() => {
  assert_equals(path.relative("/data/orandea/test/aaa", "/data/orandea/impl/bbb"), "../../impl/bbb");
  assert_equals(path.relative("/a", "/a"), "");
  assert_equals(path.relative("/a/b", "/a/b/c/d"), "c/d");
  assert_true(path.isAbsolute("/foo/bar"));
  assert_false(path.isAbsolute("qux/"));
  assert_false(path.isAbsolute("."));
}, "relative and isAbsolute");

test(() => {
  assert_object_equals(path.parse("/home/user/dir/file.txt"), { root: "/", dir: "/home/user/dir", base: "file.txt", ext: ".txt", name: "file" });
  assert_object_equals(path.parse("file.txt"), { root: "", dir: "", base: "file.txt", ext: ".txt", name: "file" });
  assert_equals(path.format({ root: "/ignored", dir: "/home/user/dir", base: "file.txt" }), "/home/user/dir/file.txt");
  assert_equals(path.format({ root: "/", base: "file.txt", ext: "ignored" }), "/file.txt");
  assert_equals(path.format({ root: "/", name: "file", ext: ".txt" }), "/file.txt");
  assert_equals(path.format({ root: "/", name: "file", ext: "txt" }), "/file.txt");
}, "parse and format");

test(() => {
  assert_equals(path.sep, "/");
  assert_equals(path.delimiter, ":");
  assert_equals(path.posix, path);
  assert_equals(posix.join, join);
  assert_throws_js(Error, () => path.win32.join("a"));
}, "sep, delimiter, posix; win32 is not implemented");
