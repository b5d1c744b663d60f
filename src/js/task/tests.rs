//! The JS task driven for real, in FreeRTOS tasks ([`crate::rtos::testing`]),
//! over in-memory services: a fixed clock, a counting entropy source, no
//! network, a console that drops its lines.
//!
//! Each test starts a JS task of its own. The task runs until the test
//! process ends (stopping it would end the scheduler, which tests may not),
//! so its queue, runtime and contexts are left behind: a few hundred KiB of
//! the kernel heap per test.
//!
//! [`support`] is shared with the tests of the over-the-air layer
//! (`crate::ota::tests`), which run a JS task under the admin API.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::{ActivationError, FunctionChange, LoadedFunction, StartError};
use crate::rtos::{self, testing};
use crate::running::FunctionId;
use support::{Client, compiled, hello, start};

/// What the tests share: the fake port, a JS task's start and a client.
pub(crate) mod support {
    use crate::js::task::ToConnection;
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::cell::Cell;

    use crate::config::{DEFAULT_MAX_BUNDLE_BYTES, ServerLimits};
    use crate::js::task::{Exchange, JsConfig, JsTask, LoadedFunction, Reply, StartError};
    use crate::logger::Logger;
    use crate::port::NoNetwork;
    use crate::port::mem::{CounterEntropy, FixedClock, NullConsole};
    use crate::rtos::{self, Queue, testing};
    use crate::running::{Ceilings, FunctionId, Limits};
    use crate::services::Services;

    /// The native stack JS may use (the task runs on a host thread's stack
    /// of several MiB).
    pub const STACK_LIMIT: usize = 1 << 20;

    /// The tests' console (the in-memory port's).
    pub static CONSOLE: NullConsole = NullConsole;
    static CLOCK: FixedClock = FixedClock(1_700_000_000);
    static ENTROPY: CounterEntropy = CounterEntropy::new(0);
    static LOG: Logger = Logger::new(&CONSOLE);

    /// The services every test's JS task gets.
    pub static SERVICES: Services = Services {
        net: &NoNetwork,
        clock: &CLOCK,
        entropy: &ENTROPY,
        storage: None,
        log: &LOG,
        cpu_busy_ns: None,
    };

    /// The JS task's sizes in the tests: the tests' priority (see
    /// [`testing`]'s rules on priorities).
    pub fn js_config() -> JsConfig {
        JsConfig {
            stack_limit: STACK_LIMIT,
            task_stack_words: testing::STACK_WORDS,
            priority: testing::PRIORITY,
            queue_len: 16,
            io_workers: 1,
            io_stack_words: testing::STACK_WORDS,
        }
    }

    /// Limits of `server` (no ceilings), for the life of the process.
    pub fn limits(server: &ServerLimits) -> &'static Limits {
        Box::leak(Box::new(Limits::new(
            server,
            DEFAULT_MAX_BUNDLE_BYTES,
            Ceilings::none(),
        )))
    }

    /// Starts a JS task running `functions`, under the default limits but
    /// with an 8 MiB engine (many tests share the kernel heap).
    pub fn start(functions: Vec<(FunctionId, LoadedFunction)>) -> Result<JsTask, StartError> {
        let server = ServerLimits {
            js_memory_bytes: 8 << 20,
            ..ServerLimits::default()
        };
        JsTask::start(functions, js_config(), &SERVICES, limits(&server))
    }

    /// A function named `name` made of `bytecode` alone.
    pub fn function(name: &str, bytecode: Vec<u8>) -> LoadedFunction {
        LoadedFunction {
            name: name.to_string(),
            bytecode,
            modules: Vec::new(),
            env: BTreeMap::new(),
            bindings: BTreeMap::new(),
            cpu_limit_ms: 0,
        }
    }

    /// The built-in `hello` (handlers/hello.js).
    pub fn hello() -> LoadedFunction {
        let bytecode = crate::js::builtin::function("hello").expect("hello is built in");
        function("hello", bytecode.to_vec())
    }

    /// What `hello` answers.
    pub const HELLO: &str = "Hello from Isère!\n";

    /// The bytecode of the one-file module `source`, compiled as `file`.
    pub fn compile(file: &str, source: &str) -> Vec<u8> {
        let mut read = |path: &str| Ok((path == file).then(|| source.to_string()));
        let mut modules = crate::js::modules::compile_function(file, &mut read, STACK_LIMIT)
            .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
        assert_eq!(modules.len(), 1, "{file} imports nothing");
        modules.remove(0).1
    }

    /// Function `name` compiled from `source`.
    pub fn compiled(name: &str, source: &str) -> LoadedFunction {
        function(name, compile(&alloc::format!("{name}.js"), source))
    }

    /// A reply, as plain data.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Answer {
        /// Status code.
        pub status: u16,
        /// The body as text.
        pub body: String,
        /// Header fields.
        pub headers: Vec<(String, String)>,
    }

    impl Answer {
        /// The value of header `name`.
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Requests to a JS task, as a connection task makes them.
    pub struct Client {
        js: JsTask,
        replies: &'static Queue<ToConnection>,
        seq: Cell<u32>,
    }

    /// Longest a test waits for a reply.
    const REPLY_TIMEOUT_MS: u64 = 60_000;

    impl Client {
        /// A client of `js` with its own reply queue (kept for the life of
        /// the process: a late reply must find it).
        pub fn new(js: JsTask) -> Client {
            let replies = Queue::new(8).expect("a reply queue");
            Client {
                js,
                replies: Box::leak(Box::new(replies)),
                seq: Cell::new(0),
            }
        }

        /// Hands `method path` for `function` to the JS task; returns the
        /// request's sequence number.
        pub fn submit(&self, function: FunctionId, method: &str, path: &str) -> u32 {
            let seq = self.seq.get() + 1;
            self.seq.set(seq);
            let exchange = Box::new(Exchange {
                seq,
                function,
                method: method.to_string(),
                url: alloc::format!("http://device.test{path}"),
                headers: alloc::vec![(String::from("host"), b"device.test".to_vec())],
                body: None,
                streamed_body: false,
                body_reservation: None,
                reply_to: self.replies,
            });
            if self.js.submit(exchange).is_err() {
                panic!("the JS task's queue is full");
            }
            seq
        }

        /// The reply to request `seq`, if it came already.
        pub fn poll(&self, seq: u32) -> Option<Answer> {
            super::super::wait_reply(self.replies, seq, 1).map(|r| answer(*r))
        }

        /// Waits for the reply to request `seq`.
        pub fn wait(&self, seq: u32) -> Answer {
            let timeout = rtos::ms_to_ticks(REPLY_TIMEOUT_MS);
            let reply = super::super::wait_reply(self.replies, seq, timeout)
                .unwrap_or_else(|| panic!("no reply to request {seq}"));
            answer(*reply)
        }

        /// `GET /` of `function`.
        pub fn get(&self, function: FunctionId) -> Answer {
            let seq = self.submit(function, "GET", "/");
            self.wait(seq)
        }
    }

    fn answer(reply: Reply) -> Answer {
        Answer {
            status: reply.status,
            body: String::from_utf8_lossy(reply.body.as_deref().unwrap_or(b"")).into_owned(),
            headers: reply.headers,
        }
    }
}

const F0: FunctionId = FunctionId(0);
const F1: FunctionId = FunctionId(1);

/// A Workers module answering `text`.
fn says(text: &str) -> String {
    alloc::format!("export default {{ fetch(request, env) {{ return new Response({text:?}); }} }};")
}

/// A change loading `f` as `function`.
fn load(function: FunctionId, f: LoadedFunction) -> FunctionChange {
    FunctionChange {
        function,
        load: Some(f),
        init_limit_ms: 0,
    }
}

/// The message of a refused load (panics on any other outcome).
fn load_failure(outcome: Result<(), ActivationError>) -> String {
    match outcome {
        Err(ActivationError::LoadFailed(why)) => alloc::format!("{why}"),
        other => panic!("expected LoadFailed, got {other:?}"),
    }
}

#[test]
fn a_built_in_function_answers_a_request() {
    let answer = testing::run(c"js-hello", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        Client::new(js).get(F0)
    });
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, support::HELLO);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain;charset=UTF-8")
    );
}

#[test]
fn a_function_that_does_not_load_stops_the_start() {
    let outcome = testing::run(c"js-bad-start", || {
        let garbage = support::function("broken", b"not bytecode at all".to_vec());
        match start(alloc::vec![(F0, hello()), (F1, garbage)]) {
            Ok(_) => None,
            Err(StartError::Load(why)) => Some(alloc::format!("{why}")),
            Err(e) => panic!("expected a load error, got {e}"),
        }
    });
    let why = outcome.expect("the start fails");
    assert!(why.contains("'broken'"), "names the function: {why}");
}

#[test]
fn a_new_version_serves_the_next_request() {
    let (before, outcome, after) = testing::run(c"js-new-version", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let client = Client::new(js);
        let before = client.get(F0);
        let mut v2 = compiled(
            "hello",
            "export default { fetch(request, env) { \
               return new Response(`v2 says ${env.GREETING} to ${new URL(request.url).pathname}`); } };",
        );
        v2.env = BTreeMap::from([(String::from("GREETING"), String::from("hi"))]);
        let outcome = js.activate(alloc::vec![load(F0, v2)]);
        let seq = client.submit(F0, "GET", "/there");
        (before, outcome, client.wait(seq))
    });
    assert_eq!(before.body, support::HELLO);
    assert_eq!(outcome, Ok(()));
    assert_eq!(after.status, 200);
    assert_eq!(after.body, "v2 says hi to /there");
}

#[test]
fn garbage_bytecode_is_refused_and_the_old_version_serves() {
    let (outcome, after) = testing::run(c"js-garbage", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let garbage = support::function("hello", alloc::vec![0xFF; 64]);
        let outcome = js.activate(alloc::vec![load(F0, garbage)]);
        (outcome, Client::new(js).get(F0))
    });
    let why = load_failure(outcome);
    assert!(
        why.contains("function 'hello'"),
        "names the function: {why}"
    );
    assert_eq!(after.status, 200);
    assert_eq!(after.body, support::HELLO, "the old version still serves");
}

#[test]
fn a_module_whose_top_level_throws_is_refused_with_its_error() {
    let (outcome, after) = testing::run(c"js-throws", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let throws = compiled(
            "hello",
            "throw new TypeError('no config at init');\nexport default { fetch() {} };",
        );
        let outcome = js.activate(alloc::vec![load(F0, throws)]);
        (outcome, Client::new(js).get(F0))
    });
    let why = load_failure(outcome);
    assert!(why.contains("no config at init"), "quotes the error: {why}");
    assert!(why.contains("TypeError"), "says what was thrown: {why}");
    assert_eq!(after.body, support::HELLO);
}

#[test]
fn a_module_without_a_handler_is_refused() {
    let outcomes = testing::run(c"js-no-handler", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let sources = [
            "export const answer = 42;",
            "export default { fetch: 'not a function' };",
            "export function handle() {}",
        ];
        let outcomes: Vec<_> = sources
            .iter()
            .map(|source| js.activate(alloc::vec![load(F0, compiled("shape", source))]))
            .collect();
        // Both shapes that are accepted, for contrast.
        let lambda = compiled(
            "shape",
            "export const handler = async () => ({ statusCode: 200, body: 'lambda' });",
        );
        let workers = compiled("shape", &says("workers"));
        let accepted = [
            js.activate(alloc::vec![load(F0, lambda)]),
            js.activate(alloc::vec![load(F0, workers)]),
        ];
        (outcomes, accepted, Client::new(js).get(F0).body)
    });
    let (refused, accepted, body) = outcomes;
    for outcome in refused {
        let why = load_failure(outcome);
        assert!(
            why.contains("neither `export default { fetch }` nor `export const handler`"),
            "{why}"
        );
    }
    assert_eq!(accepted, [Ok(()), Ok(())]);
    assert_eq!(body, "workers");
}

#[test]
fn an_activation_is_all_or_nothing() {
    let (outcome, f0, f1, f2) = testing::run(c"js-all-or-nothing", || {
        let one = compiled("one", &says("one v1"));
        let js = start(alloc::vec![(F0, hello()), (F1, one)]).expect("the JS task starts");
        let outcome = js.activate(alloc::vec![
            load(F0, compiled("hello", &says("hello v2"))),
            load(FunctionId(2), compiled("two", &says("two v1"))),
            load(F1, support::function("one", b"garbage".to_vec())),
        ]);
        let client = Client::new(js);
        (
            outcome,
            client.get(F0),
            client.get(F1),
            client.get(FunctionId(2)),
        )
    });
    let why = load_failure(outcome);
    assert!(
        why.contains("'one'"),
        "names the function that failed: {why}"
    );
    assert_eq!(f0.body, support::HELLO, "the first change was not applied");
    assert_eq!(f1.body, "one v1", "the failed one keeps its version");
    assert_eq!(f2.status, 404, "the added function was not added");
}

#[test]
fn a_removed_function_answers_404_and_the_others_serve() {
    let (outcome, f0, f1) = testing::run(c"js-remove", || {
        let one = compiled("one", &says("one"));
        let js = start(alloc::vec![(F0, hello()), (F1, one)]).expect("the JS task starts");
        let outcome = js.activate(alloc::vec![FunctionChange {
            function: F0,
            load: None,
            init_limit_ms: 0,
        }]);
        let client = Client::new(js);
        (outcome, client.get(F0), client.get(F1))
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!(f0.status, 404);
    assert_eq!(f1.status, 200);
    assert_eq!(f1.body, "one");
}

#[test]
fn a_function_added_past_the_last_id_serves_and_the_gap_is_404() {
    let (outcome, added, gap, f0) = testing::run(c"js-add", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let outcome = js.activate(alloc::vec![load(
            FunctionId(5),
            compiled("late", &says("late"))
        )]);
        let client = Client::new(js);
        (
            outcome,
            client.get(FunctionId(5)),
            client.get(FunctionId(3)),
            client.get(F0),
        )
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!((added.status, added.body.as_str()), (200, "late"));
    assert_eq!(gap.status, 404);
    assert_eq!(f0.body, support::HELLO);
}

#[test]
fn a_top_level_that_never_ends_is_interrupted_and_the_task_serves_on() {
    const INIT_LIMIT_MS: u32 = 200;
    let (outcome, waited_ms, after) = testing::run(c"js-init-loop", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        let spins = compiled(
            "hello",
            "for (;;) {}\nexport default { fetch() { return new Response('never'); } };",
        );
        let began = rtos::tick_count();
        let outcome = js.activate(alloc::vec![FunctionChange {
            function: F0,
            load: Some(spins),
            init_limit_ms: INIT_LIMIT_MS,
        }]);
        let waited_ms = rtos::ticks_to_ms(rtos::tick_count() - began);
        (outcome, waited_ms, Client::new(js).get(F0))
    });
    let why = load_failure(outcome);
    assert!(why.contains("interrupted"), "{why}");
    assert!(
        waited_ms >= u64::from(INIT_LIMIT_MS),
        "stopped after {waited_ms} ms, before its limit"
    );
    // The device's handler limit (30 s) would be the limit without
    // `init_limit_ms`.
    assert!(
        waited_ms < 15_000,
        "stopped after {waited_ms} ms: the init limit was not applied"
    );
    assert_eq!(after.body, support::HELLO);
}

#[test]
fn a_handler_over_its_cpu_limit_is_interrupted_and_the_task_serves_on() {
    let (spun, waited_ms, after) = testing::run(c"js-cpu-limit", || {
        let mut spins = compiled("spins", "export default { fetch() { for (;;) {} } };");
        spins.cpu_limit_ms = 200;
        let js = start(alloc::vec![(F0, hello()), (F1, spins)]).expect("the JS task starts");
        let client = Client::new(js);
        let began = rtos::tick_count();
        let spun = client.get(F1);
        let waited_ms = rtos::ticks_to_ms(rtos::tick_count() - began);
        (spun, waited_ms, client.get(F0))
    });
    assert_eq!(spun.status, 500);
    assert!(waited_ms < 15_000, "answered after {waited_ms} ms");
    assert_eq!(after.body, support::HELLO);
}

#[test]
fn a_request_in_flight_finishes_on_the_version_it_started_on() {
    /// Long enough that the activation is over before the timer fires,
    /// even on a loaded machine.
    const HELD_MS: u32 = 3_000;
    let (early, outcome, in_flight, next) = testing::run(c"js-in-flight", || {
        let slow = compiled(
            "slow",
            &alloc::format!(
                "export default {{ async fetch() {{ \
                   await new Promise((resolve) => setTimeout(resolve, {HELD_MS})); \
                   return new Response('old'); }} }};"
            ),
        );
        let js = start(alloc::vec![(F0, slow)]).expect("the JS task starts");
        let client = Client::new(js);
        let first = client.submit(F0, "GET", "/");
        let outcome = js.activate(alloc::vec![load(F0, compiled("slow", &says("new")))]);
        let early = client.poll(first);
        let in_flight = client.wait(first);
        (early, outcome, in_flight, client.get(F0))
    });
    assert_eq!(outcome, Ok(()));
    assert_eq!(
        early, None,
        "the request was answered before the activation ended: the test proves nothing"
    );
    assert_eq!((in_flight.status, in_flight.body.as_str()), (200, "old"));
    assert_eq!((next.status, next.body.as_str()), (200, "new"));
}

#[test]
fn an_interim_or_undefined_lambda_status_is_a_502() {
    let statuses = testing::run(c"js-status", || {
        let js = start(alloc::vec![(F0, hello())]).expect("the JS task starts");
        [101, 199, 600, 204]
            .iter()
            .map(|code| {
                let source = alloc::format!(
                    "export const handler = async () => ({{ statusCode: {code}, body: '' }});"
                );
                js.activate(alloc::vec![load(F0, compiled("status", &source))])
                    .expect("loads");
                Client::new(js).get(F0).status
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(statuses, [502, 502, 502, 204]);
}
