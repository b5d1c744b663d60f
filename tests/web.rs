//! Web platform APIs where the wire matters: a multipart/form-data POST read
//! with `request.formData()`, a `Response` whose body is a stream (read to its
//! end by the dispatcher before the reply is sent), a `FormData` response body
//! and a request body read as a stream.
//!
//! Run: `cargo test --test web`.

mod support;

use support::Sim;

const FUNCTION: &str = r#"
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/form") {
      const fd = await request.formData();
      const file = fd.get("upload");
      return Response.json({
        name: fd.get("name"),
        file: file.name,
        type: file.type,
        size: file.size,
        text: await file.text(),
      });
    }
    if (path === "/stream") {
      const enc = new TextEncoder();
      let n = 0;
      const body = new ReadableStream({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 1));
          if (++n > 3) c.close();
          else c.enqueue(enc.encode(`chunk ${n}\n`));
        },
      });
      return new Response(body, { headers: { "content-type": "text/plain" } });
    }
    if (path === "/upper") {
      const upper = new TransformStream({
        transform(chunk, c) {
          c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()));
        },
      });
      return new Response(request.body.pipeThrough(upper));
    }
    if (path === "/formdata") {
      const fd = new FormData();
      fd.append("greeting", "bonjour");
      fd.append("file", new File(["data"], "d.txt", { type: "text/plain" }));
      return new Response(fd);
    }
    return new Response("not found", { status: 404 });
  },
};
"#;

fn sim(test: &str) -> Option<Sim> {
    Sim::with_function(test, "web.js", FUNCTION)
}

#[test]
fn multipart_post_is_parsed_by_form_data() {
    let Some(sim) = sim("multipart_post_is_parsed_by_form_data") else {
        return;
    };
    let body = "--b0undary\r\n\
        Content-Disposition: form-data; name=\"name\"\r\n\r\n\
        Is\u{e8}re\r\n\
        --b0undary\r\n\
        Content-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n\
        Content-Type: text/plain\r\n\r\n\
        line one\r\nline two\r\n\
        --b0undary--\r\n";
    let r = sim.conn().request(
        "POST",
        "/form",
        &[("Content-Type", "multipart/form-data; boundary=b0undary")],
        body.as_bytes(),
    );
    r.assert_status(200);
    let j = r.json();
    let field = |k: &str| {
        j.as_object()
            .and_then(|o| o.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap_or_else(|| panic!("no {k} in {}", r.text()))
    };
    assert_eq!(field("name").as_str(), Some("Is\u{e8}re"));
    assert_eq!(field("file").as_str(), Some("notes.txt"));
    assert_eq!(field("type").as_str(), Some("text/plain"));
    assert_eq!(field("text").as_str(), Some("line one\r\nline two"));
    assert_eq!(field("size").as_f64(), Some(18.0));
}

#[test]
fn bad_multipart_body_is_a_500_with_the_type_error_logged() {
    let Some(sim) = sim("bad_multipart_body_is_a_500_with_the_type_error_logged") else {
        return;
    };
    let r = sim.conn().request(
        "POST",
        "/form",
        &[("Content-Type", "multipart/form-data; boundary=b")],
        b"--b\r\nno headers end",
    );
    r.assert_status(500);
    sim.expect_stderr("TypeError", std::time::Duration::from_secs(5));
}

#[test]
fn streamed_response_body_reaches_the_client() {
    let Some(sim) = sim("streamed_response_body_reaches_the_client") else {
        return;
    };
    let r = sim.conn().get("/stream");
    r.assert_status(200);
    assert_eq!(r.text(), "chunk 1\nchunk 2\nchunk 3\n");
    assert_eq!(r.header("content-type"), Some("text/plain"));
}

#[test]
fn request_body_stream_piped_through_a_transform() {
    let Some(sim) = sim("request_body_stream_piped_through_a_transform") else {
        return;
    };
    let r = sim.conn().request("POST", "/upper", &[], b"shout this");
    r.assert_status(200);
    assert_eq!(r.text(), "SHOUT THIS");
}

#[test]
fn form_data_response_is_multipart_on_the_wire() {
    let Some(sim) = sim("form_data_response_is_multipart_on_the_wire") else {
        return;
    };
    let r = sim.conn().get("/formdata");
    r.assert_status(200);
    let ct = r.header("content-type").unwrap_or_default().to_string();
    let boundary = ct
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("content-type {ct}"));
    let text = r.text();
    assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
    assert!(
        text.contains("name=\"greeting\"\r\n\r\nbonjour\r\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "name=\"file\"; filename=\"d.txt\"\r\nContent-Type: text/plain\r\n\r\ndata\r\n"
        ),
        "{text}"
    );
    assert!(text.ends_with(&format!("--{boundary}--\r\n")), "{text}");
}
