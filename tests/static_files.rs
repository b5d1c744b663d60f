//! Static files over HTTP: a route serving a directory of the device's file
//! system, against the simulator (or the QEMU board, which mounts the same
//! image through semihosting).
//!
//! Each test prepares a LittleFS image the way a user would,
//! `isere-sim --data IMG --put SRC DEST --no-serve`, then starts the server
//! with `--data IMG` and a configuration routing `/s` to `/www`.
//!
//! Run: `cargo test --test static_files`.

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Conn, SIM_BIN, Sim, TempDir, skip_on_target};

const INDEX: &str = "<!doctype html><h1>Isère</h1>\n";
const STYLE: &str = "body { color: #333; }\n";
const SECRET: &str = "outside the static directory\n";

/// A file of `len` bytes that no two offsets confuse.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// A site and a file outside it, put into a new image; then a server on it.
fn site(test: &str, big_len: usize) -> Option<(Sim, Vec<u8>)> {
    if skip_on_target(test, "needs its own file system image") {
        return None;
    }
    let dir = TempDir::new("static");
    let src = dir.path().join("site");
    std::fs::create_dir_all(src.join("css")).unwrap();
    std::fs::create_dir_all(src.join("docs")).unwrap();
    std::fs::write(src.join("index.html"), INDEX).unwrap();
    std::fs::write(src.join("css/style.css"), STYLE).unwrap();
    std::fs::write(src.join("docs/index.html"), "docs\n").unwrap();
    std::fs::write(src.join("café menu.txt"), "crème\n").unwrap();
    std::fs::write(src.join("noext"), "raw").unwrap();
    let big = pattern(big_len);
    std::fs::write(src.join("big.bin"), &big).unwrap();
    let secret = dir.write("secret.txt", SECRET);
    let image = dir.path().join("data.img");
    put(&image, &[(&src, "/www"), (&secret, "/secret.txt")], "2M");
    let config = dir.write(
        "config.json",
        r#"{"routes":[{"prefix":"/s","static":"/www"},{"prefix":"/root","static":"/www/docs/"}]}"#,
    );
    let args: Vec<OsString> = vec![
        "--config".into(),
        config.into_os_string(),
        "--data".into(),
        image.into_os_string(),
    ];
    Some((Sim::spawn(args, Some(dir)), big))
}

/// `isere-sim --data IMAGE [--data-size SIZE] --put SRC DEST... --no-serve`.
fn put(image: &Path, items: &[(&PathBuf, &str)], size: &str) {
    let mut cmd = Command::new(SIM_BIN);
    cmd.arg("--data").arg(image).args(["--data-size", size]);
    for (src, dest) in items {
        cmd.arg("--put").arg(src).arg(dest);
    }
    let out = cmd.arg("--no-serve").output().expect("run isere-sim --put");
    assert!(
        out.status.success(),
        "isere-sim --put failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serves_files_with_type_validators_and_head() {
    let Some((sim, _)) = site("serves_files_with_type_validators_and_head", 1000) else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/s/css/style.css");
    r.assert_status(200);
    assert_eq!(r.text(), STYLE);
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let etag = r.header("etag").expect("an ETag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    let modified = r
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    assert!(support::is_imf_fixdate(&modified), "{modified}");
    // HEAD: the same head, no body, and the connection stays usable.
    let h = c.request("HEAD", "/s/css/style.css", &[], b"");
    h.assert_status(200);
    assert!(h.body.is_empty());
    assert_eq!(h.header("etag"), Some(etag.as_str()));
    assert_eq!(
        h.header("content-length"),
        Some(STYLE.len().to_string().as_str())
    );
    assert_eq!(
        c.get("/s/noext").header("content-type"),
        Some("application/octet-stream")
    );
    let r = c.get("/s/caf%C3%A9%20menu.txt");
    r.assert_status(200);
    assert_eq!(r.text(), "crème\n");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    // Another file, another tag.
    let other = c.get("/s/index.html");
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    c.get("/s/missing.txt").assert_status(404);
    let post = c.request("POST", "/s/index.html", &[], b"x");
    post.assert_status(405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[test]
fn directories_serve_index_html_and_redirect_to_their_slash_form() {
    let Some((sim, _)) = site(
        "directories_serve_index_html_and_redirect_to_their_slash_form",
        10,
    ) else {
        return;
    };
    let mut c = sim.conn();
    let r = c.get("/s/");
    r.assert_status(200);
    assert_eq!(r.text(), INDEX);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = c.get("/s/docs/");
    assert_eq!(r.text(), "docs\n");
    let r = c.get("/s/docs?x=1");
    r.assert_status(301);
    assert_eq!(r.header("location"), Some("/s/docs/?x=1"));
    let r = c.get("/s");
    r.assert_status(301);
    assert_eq!(r.header("location"), Some("/s/"));
    // A route onto a subdirectory; a file asked for as a directory.
    assert_eq!(c.get("/root/").text(), "docs\n");
    c.get("/s/index.html/").assert_status(404);
}

#[test]
fn conditional_requests_answer_304() {
    let Some((sim, _)) = site("conditional_requests_answer_304", 10) else {
        return;
    };
    let mut c = sim.conn();
    let first = c.get("/s/index.html");
    let etag = first.header("etag").unwrap().to_string();
    let modified = first.header("last-modified").unwrap().to_string();
    for inm in [etag.clone(), format!("\"nope\", W/{etag}"), "*".to_string()] {
        let r = c.request("GET", "/s/index.html", &[("If-None-Match", &inm)], b"");
        r.assert_status(304);
        assert!(r.body.is_empty());
        assert_eq!(
            r.header("etag"),
            Some(etag.as_str()),
            "304 carries the validator"
        );
    }
    let r = c.request(
        "GET",
        "/s/index.html",
        &[("If-None-Match", "\"stale\"")],
        b"",
    );
    r.assert_status(200);
    assert_eq!(r.text(), INDEX);
    let r = c.request("HEAD", "/s/index.html", &[("If-None-Match", &etag)], b"");
    r.assert_status(304);
    let r = c.request(
        "GET",
        "/s/index.html",
        &[("If-Modified-Since", &modified)],
        b"",
    );
    r.assert_status(304);
    let r = c.request(
        "GET",
        "/s/index.html",
        &[("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")],
        b"",
    );
    r.assert_status(200);
    // The connection is still in step after bodiless answers.
    assert_eq!(c.get("/s/css/style.css").text(), STYLE);
}

#[test]
fn single_byte_ranges_206_and_416() {
    let len = 5000;
    let Some((sim, big)) = site("single_byte_ranges_206_and_416", len) else {
        return;
    };
    let mut c = sim.conn();
    let cases: [(&str, usize, usize); 4] = [
        ("bytes=0-99", 0, 99),
        ("bytes=4990-", 4990, 4999),
        ("bytes=-10", 4990, 4999),
        ("bytes=1000-999999", 1000, 4999),
    ];
    for (range, first, last) in cases {
        let r = c.request("GET", "/s/big.bin", &[("Range", range)], b"");
        r.assert_status(206);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {first}-{last}/{len}").as_str()),
            "{range}"
        );
        assert_eq!(r.body, &big[first..=last], "{range}");
    }
    let r = c.request("GET", "/s/big.bin", &[("Range", "bytes=5000-")], b"");
    r.assert_status(416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert!(r.body.is_empty());
    // Several ranges: the whole file, as the RFC allows.
    let r = c.request("GET", "/s/big.bin", &[("Range", "bytes=0-1,5-6")], b"");
    r.assert_status(200);
    assert_eq!(r.body, big);
    // If-Range with a stale validator: the whole file; with the current one: the range.
    let etag = r.header("etag").unwrap().to_string();
    let r = c.request(
        "GET",
        "/s/big.bin",
        &[("Range", "bytes=0-9"), ("If-Range", "\"old\"")],
        b"",
    );
    r.assert_status(200);
    let r = c.request(
        "GET",
        "/s/big.bin",
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
        b"",
    );
    r.assert_status(206);
    assert_eq!(r.body, &big[..10]);
}

#[test]
fn path_traversal_never_leaves_the_directory() {
    let Some((sim, _)) = site("path_traversal_never_leaves_the_directory", 10) else {
        return;
    };
    let attempts = [
        "/s/../secret.txt",
        "/s/%2e%2e/secret.txt",
        "/s/%2E%2E/secret.txt",
        "/s/.%2e/secret.txt",
        "/s/css/../../secret.txt",
        "/s/..%2fsecret.txt",
        "/s/..%2Fsecret.txt",
        "/s/css%2f..%2f..%2fsecret.txt",
        "/s/..%5csecret.txt",
        "/s/..\\secret.txt",
        "/s/%00",
        "/s/%zz",
        "/root/../../secret.txt",
    ];
    for path in attempts {
        let mut c = Conn::connect(sim.addr());
        let r = c.get(path);
        assert!(
            r.status == 400 || r.status == 404,
            "{path} answered {}:\n{r}",
            r.status
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains(SECRET.trim()),
            "{path} leaked the file outside the directory"
        );
    }
    // `.` and empty segments stay inside and are fine.
    assert_eq!(sim.conn().get("/s/./css//style.css").text(), STYLE);
}

#[test]
fn large_files_are_streamed_not_held_in_ram() {
    let len = 600 * 1024;
    let Some((sim, big)) = site("large_files_are_streamed_not_held_in_ram", len) else {
        return;
    };
    let mut c = sim.conn();
    let before = c.get("/_isere/stats").json()["heap"]["used"]
        .as_f64()
        .unwrap();
    let r = c.get("/s/big.bin");
    r.assert_status(200);
    assert_eq!(r.body.len(), len);
    assert!(r.body == big, "the body differs from the file");
    let peak = c.get("/_isere/stats").json()["heap"]["peak"]
        .as_f64()
        .unwrap();
    assert!(
        peak - before < (len / 4) as f64,
        "serving a {len}-byte file raised the heap peak by {} bytes",
        peak - before
    );
}
