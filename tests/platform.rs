//! The platform API suites (`tests/platform/*.js`), web-platform-tests style:
//! each suite runs as a function on the simulator (and, with
//! `ISERE_TEST_BOARD=mps2-an385`, on the QEMU board) and reports every case;
//! a test here fails when any case of its suite fails, listing them.
//!
//! Run: `cargo test --test platform [SUITE]`.

mod support;

use std::time::Duration;

use support::Sim;

const HARNESS: &str = include_str!("platform/harness.js");
const FOOTER: &str =
    "\nexport default { async fetch() { return Response.json(await __run()); } };\n";

/// `platform_test!(node_crypto)` runs `tests/platform/node-crypto.js`
/// (underscores in the test name are hyphens in the file name).
macro_rules! platform_test {
    ($name:ident) => {
        platform_test!($name, env = "{}");
    };
    // `env`: the function's env vars, a JSON object.
    ($name:ident, env = $env:expr) => {
        #[test]
        fn $name() {
            let file = stringify!($name).replace('_', "-");
            let suite = std::fs::read_to_string(format!(
                "{}/tests/platform/{file}.js",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            run_suite(stringify!($name), &file, &suite, $env);
        }
    };
}

/// Splits a suite into its leading static `import` lines, which must come
/// first in the module, and the rest.
fn split_imports(suite: &str) -> (String, String) {
    let mut imports = String::new();
    let mut rest = suite;
    while let Some(line) = rest.lines().next() {
        let t = line.trim();
        if !(t.starts_with("import ") || t.starts_with("//") || t.is_empty()) {
            break;
        }
        if t.starts_with("import ") {
            imports.push_str(line);
        }
        imports.push('\n');
        rest = rest.get(line.len() + 1..).unwrap_or("");
    }
    (imports, rest.to_string())
}

fn run_suite(test: &str, file: &str, suite: &str, env: &str) {
    let (imports, suite) = split_imports(suite);
    let source = format!("{imports}{HARNESS}\n// ---- {file}.js\n{suite}{FOOTER}");
    let sim = if env == "{}" {
        Sim::with_function(test, &format!("{file}.js"), &source)
    } else {
        Sim::with_config_dir(test, |dir| {
            let path = dir.write(&format!("{file}.js"), &source);
            format!(
                r#"{{"functions":[{{"name":"suite","path":{:?},"env":{env}}}],"routes":[{{"prefix":"/","function":"suite"}}]}}"#,
                path.display().to_string()
            )
        })
    };
    let Some(sim) = sim else {
        return;
    };
    let mut conn = sim.conn();
    conn.set_read_timeout(Duration::from_secs(120));
    conn.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let res = conn.read_response();
    assert_eq!(
        res.status,
        200,
        "suite {file}: {}\n{}",
        res.text(),
        sim.stderr()
    );
    let report = res.json();
    let field = |k: &str| {
        report
            .as_object()
            .and_then(|o| o.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap_or_else(|| panic!("suite {file}: no '{k}' in {}", res.text()))
    };
    let total = field("total").as_f64().unwrap_or(0.0);
    let passed = field("passed").as_f64().unwrap_or(-1.0);
    let failures: Vec<String> = field("failures")
        .as_array()
        .unwrap_or(&[])
        .iter()
        .map(|f| {
            let get = |k: &str| {
                f.as_object()
                    .and_then(|o| o.iter().find(|(n, _)| n == k))
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            format!("  {}: {}", get("name"), get("message"))
        })
        .collect();
    assert!(total > 0.0, "suite {file} has no cases");
    assert!(
        failures.is_empty() && passed == total,
        "suite {file}: {passed} of {total} passed; failures:\n{}",
        failures.join("\n")
    );
    eprintln!("suite {file}: {passed} of {total} cases passed");
}

platform_test!(headers);
platform_test!(url);
platform_test!(lazy_globals);
platform_test!(domexception);
platform_test!(events);
platform_test!(abort);
platform_test!(encoding);
platform_test!(structured_clone);
platform_test!(performance);
platform_test!(streams);
platform_test!(blob);
platform_test!(formdata);
platform_test!(body);
platform_test!(request_response);
platform_test!(node_assert);
platform_test!(node_buffer);
platform_test!(node_diagnostics_channel);
platform_test!(node_events);
platform_test!(node_modules);
platform_test!(node_path);
platform_test!(node_process, env = r#"{"GREETING":"hi","EMPTY":""}"#);
platform_test!(node_stream);
platform_test!(node_string_decoder);
platform_test!(node_util);
platform_test!(engine);
platform_test!(crypto);
platform_test!(node_crypto);
