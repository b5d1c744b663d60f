//! Writes the `bundle` target's seeds: a real bundle of this firmware's
//! engine signed with the target's key, and its manifest (both behind the
//! target's mode byte). `cargo +nightly run --example bundle_seed -- DIR`.

use isere::ota::bundle::{BundleLimits, BundleRoute, Manifest, MemberData, MemberKind, build};

fn main() {
    let dir = std::env::args().nth(1).expect("the corpus directory");
    let manifest = Manifest {
        name: "hello".into(),
        version: "1.0.0".into(),
        entry: "hello.js".into(),
        engine: isere::ota::engine_version(),
        routes: vec![BundleRoute {
            prefix: "/hello".into(),
            methods: Some(vec!["GET".into()]),
        }],
        env: [("GREETING".into(), "hi".into())].into(),
        bindings: Default::default(),
        limits: BundleLimits {
            cpu_ms: 100,
            init_ms: 50,
        },
        members: Vec::new(),
    };
    let members = [
        MemberData {
            name: "hello.js",
            kind: MemberKind::Module,
            bytes: b"\x01\x02bytecode",
        },
        MemberData {
            name: "static/index.html",
            kind: MemberKind::Static,
            bytes: b"<h1>hi</h1>",
        },
    ];
    let bundle = build(manifest, &members, &isere_fuzz::bundle_key()).expect("a bundle");
    let verified = isere::ota::bundle::verify(
        &bundle,
        &[isere_fuzz::bundle_key().verifying_key()],
        &isere::ota::engine_version(),
    )
    .expect("the seed verifies");
    let write = |name: &str, mode: u8, bytes: &[u8]| {
        let mut seed = vec![mode];
        seed.extend_from_slice(bytes);
        std::fs::write(format!("{dir}/{name}"), seed).expect("a seed file");
    };
    write("signed-bundle", 0, &bundle);
    write("signed-bundle-bytewise", 64, &bundle);
    write("manifest", 1, verified.manifest.to_json().as_bytes());
}
