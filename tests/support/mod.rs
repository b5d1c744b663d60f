//! Test support for the HTTP integration tests: a harness that runs `isere-sim`
//! (or points at a board given by `ISERE_TEST_TARGET`), a small raw HTTP/1.1
//! client over `std::net::TcpStream`, and a tiny JSON reader for checking
//! handler output. `std` only, no dev-dependencies.
//!
//! Timeouts are generous on purpose: CI machines have 2 loaded cores and every
//! test runs its own simulator in parallel with the others.

#![allow(dead_code)]

pub mod rp2040;

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The simulator binary built by cargo for this test.
pub const SIM_BIN: &str = env!("CARGO_BIN_EXE_isere-sim");

/// The crate root: the simulator runs with this as its current directory.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// How long the simulator may take to print its listening line.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Default read/write timeout on client sockets.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a graceful stop (SIGTERM) may take.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable naming an external target (a board, a QEMU
/// port-forward), e.g. `127.0.0.1:18080`. When set, tests talk to it instead of
/// spawning the simulator, and tests that need their own configuration skip.
pub const TARGET_ENV: &str = "ISERE_TEST_TARGET";

/// The environment variable that runs every test against a board emulated by
/// QEMU instead of the simulator: `ISERE_TEST_BOARD=mps2-an385`. Each test
/// boots its own QEMU with the firmware (`ISERE_TEST_FIRMWARE`, default the
/// `firmware` profile build), passing `--config`/`FUNCTION.js` as semihosting
/// arguments and forwarding a free host port to the board's port 80.
pub const BOARD_ENV: &str = "ISERE_TEST_BOARD";

/// The firmware ELF to boot in QEMU, when `ISERE_TEST_BOARD` is set.
pub fn board_firmware() -> Option<PathBuf> {
    let board = std::env::var(BOARD_ENV).ok()?;
    match board.trim() {
        "" => None,
        "mps2-an385" => Some(
            std::env::var_os("ISERE_TEST_FIRMWARE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    Path::new(ROOT).join("target/thumbv7m-none-eabi/firmware/isere-mps2-an385")
                }),
        ),
        "rp2040" => None,
        other => {
            panic!("{BOARD_ENV}={other:?}: the boards are mps2-an385 (QEMU) and rp2040 (rp2040js)")
        }
    }
}

/// True when `ISERE_TEST_BOARD=rp2040`: every test boots the RP2040 image
/// in rp2040js ([`rp2040::Board`]) and configures it over the air.
pub fn on_rp2040() -> bool {
    std::env::var(BOARD_ENV).is_ok_and(|b| b.trim() == "rp2040")
}

/// Where a function on the device under test reaches the host's servers:
/// the loopback for the simulator, QEMU's gateway for the mps2-an385 board,
/// the laptop's end of the USB network for the RP2040.
pub fn host_address() -> &'static str {
    if on_rp2040() {
        rp2040::LAPTOP
    } else if board_firmware().is_some() {
        "10.0.2.2"
    } else {
        "127.0.0.1"
    }
}

/// The QEMU command line for the board, serving on host port `port` (0: no
/// network), with the simulator-style `args` turned into semihosting ones.
fn qemu_command(elf: &Path, args: &[OsString], port: u16) -> Command {
    let mut semihosting = String::from("enable=on,target=native,arg=isere");
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = it.next() {
        let arg = match a.as_str() {
            "--config" => format!("config={}", it.next().expect("--config needs a value")),
            "--log-level" => format!("log={}", it.next().expect("--log-level needs a value")),
            // The board's file system: an image file on the host through
            // semihosting, or its default (RAM) for `:memory:`.
            "--data" => match it.next().expect("--data needs a value").as_str() {
                ":memory:" => continue,
                image => format!("data={image}"),
            },
            s if s.starts_with('-') => panic!("no board equivalent for the simulator option {s}"),
            path => format!("function={path}"),
        };
        assert!(
            !arg.contains(','),
            "semihosting arguments cannot contain ',': {arg}"
        );
        semihosting.push_str(",arg=");
        semihosting.push_str(&arg);
    }
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args(["-M", "mps2-an385", "-nographic", "-monitor", "none"])
        .arg("-nic")
        .arg(format!(
            "user,model=lan9118,hostfwd=tcp:127.0.0.1:{port}-:80"
        ))
        .arg("-semihosting-config")
        .arg(semihosting)
        .arg("-kernel")
        .arg(elf)
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The simulator's arguments for a test: `args`, with the file system in
/// RAM unless the test gives `--data` (tests must not share the default
/// image in the working directory, nor leave state there).
fn sim_args(args: &[OsString]) -> Vec<OsString> {
    let mut all = args.to_vec();
    if !args.iter().any(|a| a == "--data") {
        all.extend([OsString::from("--data"), OsString::from(":memory:")]);
    }
    all
}

/// A host port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// The external target's address, if `ISERE_TEST_TARGET` is set.
pub fn external_target() -> Option<SocketAddr> {
    let value = std::env::var(TARGET_ENV).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let addr = value
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("{TARGET_ENV}={value:?} is not an address: {e}"))
        .next()
        .unwrap_or_else(|| panic!("{TARGET_ENV}={value:?} resolves to nothing"));
    Some(addr)
}

/// Absolute path of a file in `tests/functions/`, as a JSON string literal
/// (quoted and escaped) ready to paste into a config.
pub fn function_path_json(name: &str) -> String {
    json_string(&format!("{ROOT}/tests/functions/{name}"))
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    isere::ota::bundle::json_string(&mut out, s);
    out
}

// ---------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------

/// A unique directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "isere-test-{}-{}-{n}-{nanos}",
            tag,
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` (a path inside the directory, whose
    /// missing directories are made) and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------
// Captured output
// ---------------------------------------------------------------------------

/// Output collected by a background thread, with a condition variable so tests
/// can wait for a line to appear.
#[derive(Clone, Default)]
pub struct Captured {
    inner: Arc<(Mutex<Vec<u8>>, Condvar)>,
}

impl Captured {
    fn append(&self, bytes: &[u8]) {
        let (lock, cvar) = &*self.inner;
        lock.lock().unwrap().extend_from_slice(bytes);
        cvar.notify_all();
    }

    /// Everything captured so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.inner.0.lock().unwrap()).into_owned()
    }

    /// Waits until the captured text contains `needle`; false on timeout.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.inner;
        let mut buf = lock.lock().unwrap();
        loop {
            if String::from_utf8_lossy(&buf).contains(needle) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            buf = cvar.wait_timeout(buf, deadline - now).unwrap().0;
        }
    }

    fn pump<R: Read + Send + 'static>(&self, mut r: R) -> JoinHandle<()> {
        let me = self.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match r.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => me.append(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------
// The simulator harness
// ---------------------------------------------------------------------------

/// A running simulator (spawned by the test) or an external target.
pub struct Sim {
    addr: SocketAddr,
    child: Option<Child>,
    rp2040: Option<rp2040::Board>,
    stderr: Captured,
    stdout: Captured,
    pumps: Vec<JoinHandle<()>>,
    _dir: Option<TempDir>,
}

impl Sim {
    /// The built-in default configuration (`/hello`, `/echo`, `/timer`,
    /// `/lambda`). Against an external target this is the target itself: the
    /// board is expected to run the default configuration.
    pub fn default_config() -> Sim {
        if let Some(addr) = external_target() {
            return Sim::external(addr);
        }
        Sim::spawn(Vec::<OsString>::new(), None)
    }

    /// A simulator started with `--config` holding `json`. Returns `None` (after
    /// printing why) when an external target is configured: a board cannot be
    /// given a configuration by a test.
    pub fn with_config(test: &str, json: &str) -> Option<Sim> {
        Sim::with_config_dir(test, |_| json.to_string())
    }

    /// Like [`Sim::with_config`], but `make` may first write files (function
    /// sources) into the temp dir and refer to them from the config it returns.
    /// The directory lives as long as the `Sim`.
    pub fn with_config_dir(test: &str, make: impl FnOnce(&TempDir) -> String) -> Option<Sim> {
        if skip_on_target(test, "needs its own configuration") {
            return None;
        }
        let dir = TempDir::new("cfg");
        let json = make(&dir);
        let cfg = dir.write("config.json", &json);
        Some(Sim::spawn(
            vec![OsString::from("--config"), cfg.into_os_string()],
            Some(dir),
        ))
    }

    /// A simulator in dev mode, serving the function whose source is `js` (saved
    /// as `file_name` in a temp dir) at every path.
    pub fn with_function(test: &str, file_name: &str, js: &str) -> Option<Sim> {
        if skip_on_target(test, "needs a dev-mode function") {
            return None;
        }
        let dir = TempDir::new("fn");
        let path = dir.write(file_name, js);
        Some(Sim::spawn(vec![path.into_os_string()], Some(dir)))
    }

    fn external(addr: SocketAddr) -> Sim {
        Sim {
            addr,
            child: None,
            rp2040: None,
            stderr: Captured::default(),
            stdout: Captured::default(),
            pumps: Vec::new(),
            _dir: None,
        }
    }

    /// Spawns the simulator with `args` plus `--port 0`, and waits for its
    /// listening line. Panics (with its stderr) if it does not come up.
    pub fn spawn<I, S>(args: I, dir: Option<TempDir>) -> Sim
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        if let Some(elf) = board_firmware() {
            return Sim::spawn_board(&elf, &args, dir);
        }
        if on_rp2040() {
            return Sim::spawn_rp2040(&args, dir);
        }
        let mut child = Command::new(SIM_BIN)
            .args(sim_args(&args))
            .args(["--port", "0", "--host", "127.0.0.1"])
            .current_dir(ROOT)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {SIM_BIN}: {e}"));

        let stderr = Captured::default();
        let stdout = Captured::default();
        let mut pumps = vec![stderr.pump(child.stderr.take().unwrap())];

        // The first stdout line is the listening line; the rest is drained so the
        // child never blocks on a full pipe.
        let (tx, rx) = mpsc::channel::<String>();
        let out = child.stdout.take().unwrap();
        let stdout_rest = stdout.clone();
        pumps.push(thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(n) if n > 0 => {
                    stdout_rest.append(line.as_bytes());
                    let _ = tx.send(line);
                }
                _ => return,
            }
            drop(tx);
            let mut rest = Vec::new();
            let _ = r.read_to_end(&mut rest);
            stdout_rest.append(&rest);
        }));

        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(e) => {
                let why = match e {
                    mpsc::RecvTimeoutError::Timeout => {
                        format!("no listening line within {START_TIMEOUT:?}")
                    }
                    mpsc::RecvTimeoutError::Disconnected => {
                        "stdout closed before the listening line".to_string()
                    }
                };
                let _ = child.kill();
                let status = child.wait();
                for p in pumps {
                    let _ = p.join();
                }
                panic!(
                    "isere-sim {args:?}: {why} (exit: {status:?})\n--- stderr ---\n{}",
                    stderr.text()
                );
            }
        };
        let addr = parse_listening_line(&line).unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "isere-sim printed {line:?} instead of `isere-sim listening on http://ADDR:PORT`\n--- stderr ---\n{}",
                stderr.text()
            )
        });
        Sim {
            addr,
            child: Some(child),
            rp2040: None,
            stderr,
            stdout,
            pumps,
            _dir: dir,
        }
    }

    /// Boots the board in QEMU; its console (UART) is what `stderr` holds.
    fn spawn_board(elf: &Path, args: &[OsString], dir: Option<TempDir>) -> Sim {
        let port = free_port();
        let mut child = qemu_command(elf, args, port)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn qemu-system-arm: {e}"));
        let console = Captured::default();
        let stdout = Captured::default();
        let pumps = vec![
            console.pump(child.stdout.take().unwrap()),
            console.pump(child.stderr.take().unwrap()),
        ];
        let listening = console.wait_for("isere listening on http://", START_TIMEOUT);
        if !listening {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "the board did not listen within {START_TIMEOUT:?} (QEMU exit: {status:?})\n--- console ---\n{}",
                console.text()
            );
        }
        stdout.append(b"listening\n");
        Sim {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child: Some(child),
            rp2040: None,
            stderr: console,
            stdout,
            pumps,
            _dir: dir,
        }
    }

    /// Powers the RP2040 image in rp2040js with `--data IMAGE` (a
    /// file-system image the simulator made, `--data-size 512K`) flashed
    /// into its partition, and pushes `--config FILE` over the air, signed
    /// with the test image's keys, as `isere config push` does for a user.
    fn spawn_rp2040(args: &[OsString], dir: Option<TempDir>) -> Sim {
        let mut config = None;
        let mut data = None;
        let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(a) = it.next() {
            match a.as_str() {
                "--config" => config = Some(it.next().expect("--config needs a value")),
                "--data" => match it.next().expect("--data needs a value").as_str() {
                    ":memory:" => {}
                    image => data = Some(image.to_string()),
                },
                // The board's log level is its configuration's.
                "--log-level" => {
                    it.next();
                }
                other => panic!(
                    "{other}: the RP2040 takes functions as deployed bundles, not files (skip with skip_on_board)"
                ),
            }
        }
        let board = rp2040::Board::power_on(rp2040::IMAGE, data.as_deref());
        if let Some(config) = config {
            board.push_config(&config);
        }
        Sim {
            addr: board.addr(),
            child: None,
            stderr: board.console.clone(),
            stdout: Captured::default(),
            rp2040: Some(board),
            pumps: Vec::new(),
            _dir: dir,
        }
    }

    /// Waits until `d` has passed on the device's clock: wall-clock time,
    /// but simulated time for the RP2040 in rp2040js, which runs at its
    /// own pace.
    pub fn let_time_pass(&self, d: Duration) {
        let Some(board) = &self.rp2040 else {
            thread::sleep(d);
            return;
        };
        let until = board.clock().nanos + d.as_nanos() as f64;
        while board.clock().nanos < until {
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The emulated RP2040 behind this device, if the tests run on one.
    pub fn rp2040(&self) -> Option<&rp2040::Board> {
        self.rp2040.as_ref()
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process id of the spawned simulator (or of the QEMU running the
    /// board, which holds the board's outgoing connections as host sockets);
    /// `None` for an external target.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True if this is an external target, not a spawned simulator.
    pub fn is_external(&self) -> bool {
        self.child.is_none()
    }

    /// A new client connection.
    pub fn conn(&self) -> Conn {
        Conn::connect(self.addr)
    }

    /// Everything the simulator wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Everything the simulator wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Waits until stderr contains `needle`. Always false for an external target.
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> bool {
        if self.is_external() {
            return false;
        }
        self.stderr.wait_for(needle, timeout)
    }

    /// Like [`Sim::wait_stderr`], but panics with the stderr seen so far.
    pub fn expect_stderr(&self, needle: &str, timeout: Duration) {
        assert!(
            self.wait_stderr(needle, timeout),
            "stderr did not contain {needle:?} within {timeout:?}\n--- stderr ---\n{}",
            self.stderr()
        );
    }

    /// Graceful stop: SIGTERM, then wait up to [`STOP_TIMEOUT`]. Returns the exit
    /// status and the complete stderr. Panics (after a hard kill) on timeout.
    pub fn stop(self) -> (ExitStatus, String) {
        self.stop_with("TERM")
    }

    /// Graceful stop with the given signal name (`TERM`, `INT`).
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, String) {
        assert!(
            board_firmware().is_none(),
            "a board cannot be stopped by a signal: skip with skip_on_board"
        );
        let mut child = self.child.take().expect("stop() on an external target");
        let pid = child.id().to_string();
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(&pid)
            .status()
            .unwrap_or_else(|e| panic!("run kill -{signal} {pid}: {e}"));
        assert!(sent.success(), "kill -{signal} {pid} failed: {sent}");
        let status = match wait_timeout(&mut child, STOP_TIMEOUT) {
            Some(status) => status,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                self.join_pumps();
                panic!(
                    "isere-sim did not exit within {STOP_TIMEOUT:?} of SIG{signal}\n--- stderr ---\n{}",
                    self.stderr.text()
                );
            }
        };
        self.join_pumps();
        (status, self.stderr.text())
    }

    fn join_pumps(&mut self) {
        for p in self.pumps.drain(..) {
            let _ = p.join();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // ISERE_TEST_STACKS=1 (with --nocapture) prints how much of their
        // stacks the device's tasks used by the end of each test: what the
        // boards' stack sizes are chosen from.
        if std::env::var_os("ISERE_TEST_STACKS").is_some() && !thread::panicking() {
            let addr = self.addr();
            if let Ok(stats) = std::panic::catch_unwind(|| {
                Conn::connect(addr).get("/_isere/stats").text().to_string()
            }) {
                let stacks = Json::parse(&stats).map(|j| format!("{:?}", j["stacks"]));
                eprintln!("stacks: {}", stacks.unwrap_or(stats));
            }
        }
        if let Some(mut child) = self.child.take() {
            let exited = child.try_wait().ok().flatten();
            if exited.is_none() {
                let _ = child.kill();
            }
            let _ = child.wait();
            self.join_pumps();
            let log = self.stderr.text();
            if thread::panicking() {
                eprintln!("--- isere-sim stderr ---\n{log}");
            } else if board_firmware().is_some() && (exited.is_some() || log.contains("FATAL")) {
                // The board stopped by itself: a fault handler ended QEMU.
                panic!(
                    "the board faulted or stopped during the test (QEMU exit: {exited:?})\n--- console ---\n{log}"
                );
            }
        }
    }
}

/// Prints a skip notice and returns true when the tests run on a QEMU board
/// (for what only the simulator can do, such as receiving a signal).
pub fn skip_on_board(test: &str, why: &str) -> bool {
    if board_firmware().is_some() || on_rp2040() || external_target().is_some() {
        eprintln!("SKIP {test}: {why}");
        return true;
    }
    false
}

/// What the built-in `hello` function answers.
pub const HELLO_BODY: &str = "Hello from Isère!\n";

/// The device still answers `GET /hello` on a new connection (after a bad
/// input, the next good request must be served).
#[track_caller]
pub fn assert_alive(sim: &Sim) {
    let r = sim.conn().get("/hello");
    r.assert_status(200);
    assert_eq!(r.text(), HELLO_BODY);
}

/// Prints a skip notice and returns true when an external target is set.
pub fn skip_on_target(test: &str, why: &str) -> bool {
    match external_target() {
        Some(addr) => {
            eprintln!("SKIP {test}: {why}; {TARGET_ENV}={addr} is set");
            true
        }
        None => false,
    }
}

fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let rest = line.trim().strip_prefix("isere-sim listening on http://")?;
    rest.trim_end_matches('/').parse().ok()
}

/// Waits for `child` to exit, polling; `None` on timeout.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the simulator with `args` expecting it to exit by itself (e.g. a
/// syntax error). Returns exit status, stdout and stderr.
pub fn run_to_exit<I, S>(args: I, timeout: Duration) -> (ExitStatus, String, String)
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let board = board_firmware();
    let mut child = match &board {
        // On a board the console is stderr's equivalent; stdout stays empty
        // unless the board listens (then it holds the listening line).
        Some(elf) => qemu_command(elf, &args, 0).spawn(),
        None => Command::new(SIM_BIN)
            .args(sim_args(&args))
            .args(["--port", "0", "--host", "127.0.0.1"])
            .current_dir(ROOT)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn(),
    }
    .unwrap_or_else(|e| panic!("spawn for {args:?}: {e}"));
    let out = Captured::default();
    let err = Captured::default();
    let p1 = if board.is_some() {
        err.pump(child.stdout.take().unwrap())
    } else {
        out.pump(child.stdout.take().unwrap())
    };
    let p2 = err.pump(child.stderr.take().unwrap());
    let status = wait_timeout(&mut child, timeout);
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let _ = p1.join();
            let _ = p2.join();
            panic!(
                "isere-sim {args:?} did not exit within {timeout:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                out.text(),
                err.text()
            );
        }
    };
    let _ = p1.join();
    let _ = p2.join();
    (status, out.text(), err.text())
}

// ---------------------------------------------------------------------------
// HTTP/1.1 client
// ---------------------------------------------------------------------------

/// A parsed HTTP response.
#[derive(Clone, Debug)]
pub struct Response {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// In wire order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was sent with `Transfer-Encoding: chunked`.
    pub chunked: bool,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header line named `name`, in order.
    pub fn headers_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// True if a `Connection` header lists `token`.
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers_all("connection")
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The body as UTF-8 (panics otherwise).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|_| panic!("body is not UTF-8: {:?}", self.body))
    }

    /// The body parsed as JSON (panics otherwise).
    pub fn json(&self) -> Json {
        Json::parse(self.text())
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// Asserts the status, showing the whole response on failure.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status in {self}");
        self
    }

    /// The checks every response must pass: a reason phrase, a well-formed
    /// `Date`, and framing (`Content-Length` or chunked) except where HTTP
    /// forbids a body (1xx, 204, 304).
    #[track_caller]
    pub fn assert_well_formed(&self) -> &Self {
        assert!(
            self.version == "HTTP/1.1" || self.version == "HTTP/1.0",
            "bad version in {self}"
        );
        assert!(!self.reason.trim().is_empty(), "no reason phrase in {self}");
        if self.status >= 200 {
            let date = self
                .header("date")
                .unwrap_or_else(|| panic!("no Date header in {self}"));
            assert!(
                is_imf_fixdate(date),
                "Date {date:?} is not an IMF-fixdate in {self}"
            );
        }
        let no_body = self.status < 200 || self.status == 204 || self.status == 304;
        if !no_body {
            assert!(
                self.header("content-length").is_some() || self.chunked,
                "neither Content-Length nor chunked in {self}"
            );
        }
        self
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {} {}", self.version, self.status, self.reason)?;
        for (n, v) in &self.headers {
            writeln!(f, "{n}: {v}")?;
        }
        writeln!(f)?;
        let body = String::from_utf8_lossy(&self.body);
        if body.chars().count() > 2000 {
            let head: String = body.chars().take(2000).collect();
            write!(f, "{head}… ({} bytes)", self.body.len())
        } else {
            write!(f, "{body}")
        }
    }
}

/// Checks the shape of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`)
/// without a regex: 29 characters, day and month names, digits, separators.
pub fn is_imf_fixdate(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    if b.len() != 29 || !s.is_ascii() || !s.ends_with(" GMT") {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    DAYS.contains(&&s[0..3])
        && &s[3..5] == ", "
        && digits(5..7)
        && b[7] == b' '
        && MONTHS.contains(&&s[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
}

/// Builds a request: `Host` is added unless given, and `Content-Length` when
/// there is a body (or the method is POST/PUT) unless a framing header is given.
pub fn build_request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !has("host") {
        out.extend_from_slice(b"Host: 127.0.0.1\r\n");
    }
    for (n, v) in headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    let framed = has("content-length") || has("transfer-encoding");
    if !framed && (!body.is_empty() || method == "POST" || method == "PUT") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// One client connection with its own read buffer, so pipelined and
/// keep-alive responses are read one after the other.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

/// Why a response could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed (or reset) before a byte of the response arrived.
    Closed,
    /// The peer closed (or reset) in the middle of a response.
    Truncated(Vec<u8>),
    /// Nothing arrived for the read timeout.
    Timeout(Vec<u8>),
    /// Bytes that are not an HTTP/1.x response.
    Malformed(String),
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Closed => write!(f, "connection closed before a response"),
            ReadError::Truncated(b) => write!(
                f,
                "connection closed mid-response after {:?}",
                String::from_utf8_lossy(b)
            ),
            ReadError::Timeout(b) => write!(
                f,
                "read timed out; buffered {:?}",
                String::from_utf8_lossy(b)
            ),
            ReadError::Malformed(m) => write!(f, "malformed response: {m}"),
            ReadError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    /// Connects (retrying briefly on refusal) with [`IO_TIMEOUT`] reads and writes.
    pub fn connect(addr: SocketAddr) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
                Ok(s) => break s,
                Err(e)
                    if Instant::now() < deadline
                        && e.kind() == io::ErrorKind::ConnectionRefused =>
                {
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("connect {addr}: {e}"),
            }
        };
        Conn::from_stream(stream)
    }

    /// A connection over a socket connected otherwise (from a chosen local
    /// address, say), with [`IO_TIMEOUT`] reads and writes.
    pub fn from_stream(stream: TcpStream) -> Conn {
        stream.set_nodelay(true).unwrap();
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
            eof: false,
        }
    }

    /// `method path` with no body: the response, or why none came.
    pub fn try_request(&mut self, method: &str, path: &str) -> Result<Response, ReadError> {
        self.try_send(&build_request(method, path, &[], b""))
            .map_err(ReadError::Io)?;
        self.try_read_response(method == "HEAD")
    }

    /// The underlying socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Changes the read timeout.
    pub fn set_read_timeout(&self, t: Duration) {
        self.stream.set_read_timeout(Some(t)).unwrap();
    }

    /// Writes all of `data`; panics on error.
    #[track_caller]
    pub fn send(&mut self, data: &[u8]) {
        if let Err(e) = self.try_send(data) {
            panic!("write of {} bytes failed: {e}", data.len());
        }
    }

    /// Writes all of `data`.
    pub fn try_send(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data)?;
        self.stream.flush()
    }

    /// Half-closes the write side (the server sees EOF).
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into the buffer; `Ok(0)` on EOF (a reset counts as EOF).
    fn fill(&mut self) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        let mut chunk = [0u8; 16384];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if is_reset(&e) => {
                    self.eof = true;
                    return Ok(0);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn fill_or_err(&mut self, started: bool) -> Result<(), ReadError> {
        match self.fill() {
            Ok(0) if !started && self.buf.is_empty() => Err(ReadError::Closed),
            Ok(0) => Err(ReadError::Truncated(self.buf.clone())),
            Ok(_) => Ok(()),
            Err(e) if is_timeout(&e) => Err(ReadError::Timeout(self.buf.clone())),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// Takes one CRLF-terminated line from the buffer, reading as needed.
    fn take_line(&mut self, started: bool) -> Result<String, ReadError> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..i + 2).collect();
                return String::from_utf8(line[..i].to_vec())
                    .map_err(|_| ReadError::Malformed(format!("non-UTF-8 line {:?}", &line[..i])));
            }
            self.fill_or_err(started || !self.buf.is_empty())?;
        }
    }

    fn take_exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            self.fill_or_err(true)?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Reads one response. `head_only`: the request was HEAD, so no body follows
    /// whatever the framing headers say. Interim (1xx) responses are returned
    /// as they come; call again for the final one.
    pub fn try_read_response(&mut self, head_only: bool) -> Result<Response, ReadError> {
        let status_line = self.take_line(false)?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("").to_string();
        let status = parts.next().unwrap_or("");
        let reason = parts.next().unwrap_or("").to_string();
        if !version.starts_with("HTTP/1.") || status.len() != 3 {
            return Err(ReadError::Malformed(format!("status line {status_line:?}")));
        }
        let status: u16 = status
            .parse()
            .map_err(|_| ReadError::Malformed(format!("status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.take_line(true)?;
            if line.is_empty() {
                break;
            }
            let (n, v) = line
                .split_once(':')
                .ok_or_else(|| ReadError::Malformed(format!("header line {line:?}")))?;
            if n.is_empty() || n.ends_with(' ') || n.ends_with('\t') {
                return Err(ReadError::Malformed(format!("header name in {line:?}")));
            }
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let mut resp = Response {
            version,
            status,
            reason,
            headers,
            body: Vec::new(),
            chunked: false,
        };
        let te = resp
            .header("transfer-encoding")
            .map(str::to_ascii_lowercase);
        resp.chunked = te
            .as_deref()
            .is_some_and(|t| t.split(',').any(|x| x.trim() == "chunked"));
        if head_only || status < 200 || status == 204 || status == 304 {
            return Ok(resp);
        }
        if resp.chunked {
            loop {
                let size_line = self.take_line(true)?;
                let size_hex = size_line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_hex, 16)
                    .map_err(|_| ReadError::Malformed(format!("chunk size {size_line:?}")))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !self.take_line(true)?.is_empty() {}
                    break;
                }
                let data = self.take_exact(size)?;
                resp.body.extend_from_slice(&data);
                if self.take_exact(2)? != b"\r\n" {
                    return Err(ReadError::Malformed("chunk not followed by CRLF".into()));
                }
            }
        } else if let Some(cl) = resp.header("content-length") {
            let n: usize = cl
                .trim()
                .parse()
                .map_err(|_| ReadError::Malformed(format!("Content-Length {cl:?}")))?;
            resp.body = self.take_exact(n)?;
        } else {
            // No framing: the body runs to the close.
            resp.body = self.read_until_close();
        }
        Ok(resp)
    }

    /// Reads one response to a non-HEAD request; panics on failure.
    #[track_caller]
    pub fn read_response(&mut self) -> Response {
        self.try_read_response(false)
            .unwrap_or_else(|e| panic!("reading response: {e}"))
    }

    /// Reads one response to a HEAD request; panics on failure.
    #[track_caller]
    pub fn read_head_response(&mut self) -> Response {
        self.try_read_response(true)
            .unwrap_or_else(|e| panic!("reading HEAD response: {e}"))
    }

    /// Sends a request and reads its final response (skipping 1xx), checking
    /// that it is well formed.
    #[track_caller]
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(&build_request(method, path, headers, body));
        loop {
            let r = self
                .try_read_response(method == "HEAD")
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            if r.status >= 200 {
                r.assert_well_formed();
                return r;
            }
        }
    }

    /// `GET path`.
    #[track_caller]
    pub fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// Everything the server sends until it closes (buffered bytes included).
    /// Panics if it does not close within the read timeout.
    #[track_caller]
    pub fn read_until_close(&mut self) -> Vec<u8> {
        loop {
            match self.fill() {
                Ok(0) => return std::mem::take(&mut self.buf),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => panic!(
                    "server did not close the connection; buffered {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Err(e) => panic!("reading until close: {e}"),
            }
        }
    }

    /// Asserts that the server closes the connection with nothing more to say.
    #[track_caller]
    pub fn assert_closed(&mut self) {
        let rest = self.read_until_close();
        assert!(
            rest.is_empty(),
            "expected the connection to close, got {:?}",
            String::from_utf8_lossy(&rest)
        );
    }

    /// True if the connection is still open and has nothing to read within
    /// `wait` (a quiet check; does not consume data).
    pub fn is_open_and_quiet(&mut self, wait: Duration) -> bool {
        if !self.buf.is_empty() || self.eof {
            return false;
        }
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut b = [0u8; 1];
        let r = self.stream.peek(&mut b);
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        matches!(r, Err(ref e) if is_timeout(e))
    }
}

// ---------------------------------------------------------------------------
// A small JSON reader (enough to check handler output)
// ---------------------------------------------------------------------------

/// A JSON value. Objects keep member order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

static JSON_NULL: Json = Json::Null;

impl std::ops::Index<&str> for Json {
    type Output = Json;
    /// The member `key` of an object; `Null` if absent or not an object.
    fn index(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&JSON_NULL),
            _ => &JSON_NULL,
        }
    }
}

impl std::ops::Index<usize> for Json {
    type Output = Json;
    fn index(&self, i: usize) -> &Json {
        match self {
            Json::Arr(a) => a.get(i).unwrap_or(&JSON_NULL),
            _ => &JSON_NULL,
        }
    }
}

impl Json {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Parses a complete JSON text.
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = JsonParser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing data at byte {}", p.i));
        }
        Ok(v)
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            None => self.err("unexpected end"),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("expected a key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return self.err("expected ':'");
                    }
                    let v = self.value()?;
                    members.push((k, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(Json::Obj(members));
                    }
                    return self.err("expected ',' or '}'");
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Json::Arr(items));
                    }
                    return self.err("expected ',' or ']'");
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(_) if self.eat("true") => Ok(Json::Bool(true)),
            Some(_) if self.eat("false") => Ok(Json::Bool(false)),
            Some(_) if self.eat("null") => Ok(Json::Null),
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                t.parse().map(Json::Num).or_else(|_| self.err("bad value"))
            }
        }
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        let v = u32::from_str_radix(std::str::from_utf8(h).map_err(|e| e.to_string())?, 16)
            .map_err(|e| e.to_string())?;
        self.i += 4;
        Ok(v)
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("bad escape");
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                        }
                        _ => return self.err("bad escape"),
                    };
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                }
                c => out.push(c),
            }
        }
    }
}

/// A signed bundle of one module: function `name` at `version`, serving
/// `prefix`, with `env` and `bindings` (what a test deploys without the CLI).
#[allow(dead_code, reason = "each test binary uses part of the support")]
pub fn module_bundle(
    (name, version, prefix): (&str, &str, &str),
    (entry, bytecode): (&str, &[u8]),
    env: std::collections::BTreeMap<String, String>,
    bindings: std::collections::BTreeMap<String, isere::config::Binding>,
    key: &ed25519_dalek::SigningKey,
) -> Vec<u8> {
    use isere::ota::bundle;
    let manifest = bundle::Manifest {
        name: name.into(),
        version: version.into(),
        entry: entry.into(),
        engine: isere::ota::engine_version(),
        routes: vec![bundle::BundleRoute {
            prefix: prefix.into(),
            methods: None,
        }],
        env,
        bindings,
        limits: Default::default(),
        members: Vec::new(),
    };
    let members = [bundle::MemberData {
        name: entry,
        kind: bundle::MemberKind::Module,
        bytes: bytecode,
    }];
    bundle::build(manifest, &members, key).unwrap()
}

/// The `authorization` of admin call `method target` with `body`, signed
/// by `key` as the `isere` CLI signs (`isere::ota::auth`): the device id
/// and counter floor asked of `GET /_isere/device` on `c` first.
pub fn sign_admin(
    c: &mut Conn,
    key: &ed25519_dalek::SigningKey,
    method: &str,
    target: &str,
    body: &[u8],
) -> String {
    use ed25519_dalek::Signer as _;
    use isere::ota::auth;
    use sha2::Digest as _;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let r = c.get("/_isere/device");
    assert_eq!(r.status, 200, "{}", r.text());
    let device = r.json()["device"].as_str().unwrap().to_string();
    let floor: u64 = r.header("x-isere-admin-floor").unwrap().parse().unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let line = auth::RequestLine {
        method,
        path: path.strip_prefix("/_isere/").unwrap(),
        query,
    };
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&n.to_le_bytes());
    nonce[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    let time = floor + 1;
    let body_sha256: [u8; 32] = sha2::Sha256::digest(body).into();
    let message = auth::signed_message(&device, &line, time, &nonce, &body_sha256);
    auth::Credentials {
        time,
        nonce,
        body_sha256,
        signature: key.sign(&message).to_bytes(),
    }
    .to_header()
}
