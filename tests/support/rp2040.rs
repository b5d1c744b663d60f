//! The RP2040 image in rp2040js, reached as a laptop reaches a Pico on its
//! USB cable. `tests/rp2040-emu/board.cjs` is the hardware (the chip, its
//! flash and boot ROM, the laptop's USB host controller carrying Ethernet
//! in CDC-NCM); this module is the laptop's network stack, smoltcp, which
//! gets its address from the board's DHCP server like a laptop's would.
//!
//! The test's side of it is plain sockets on the loopback:
//! * a listener on 127.0.0.1 whose connections go to the board's
//!   192.168.7.1:80;
//! * the board's connections to the laptop (192.168.7.2, any port) go to
//!   the same port on 127.0.0.1, where the test servers (PostgreSQL,
//!   Redis) listen; a port nobody listens on refuses the board's SYN with a
//!   reset, as the laptop's kernel would.
//!
//! `ISERE_RP2040_TRACE=1` prints the first bytes of every frame on the
//! cable, both ways.

use std::collections::VecDeque;
use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium};
use smoltcp::socket::{dhcpv4, tcp};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, IpAddress, IpCidr, IpProtocol, Ipv4Address,
    Ipv4Packet, TcpPacket,
};

use super::{Captured, ROOT};

/// The laptop's address on the cable, which the board leases to it: where
/// a function on the board reaches the laptop's servers.
pub const LAPTOP: &str = "192.168.7.2";
/// The board's address on the cable and its HTTP port (port/rp2040).
const BOARD: Ipv4Address = Ipv4Address::new(192, 168, 7, 1);
const HTTP_PORT: u16 = 80;
/// The laptop's end of the cable: the Ethernet address the board's USB
/// descriptors give the host.
const LAPTOP_MAC: [u8; 6] = [0x02, 0x49, 0x53, 0x45, 0x52, 0x02];
/// Socket buffers of the laptop's stack: a laptop's are larger than the
/// board's, which then decide the pace.
const BUFFER: usize = 16 * 1024;

/// The image `make test-rp2040-emu` builds.
pub const IMAGE: &str = "target/rp2040-emu/thumbv6m-none-eabi/firmware-small/isere-rp2040.uf2";

/// The emulated chip's clock, read from the model.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Simulated time since the chip was powered (or last reset).
    pub nanos: f64,
    /// Of that, the time the core slept (WFI).
    pub asleep_nanos: f64,
}

/// The chip's time something took: in all, and with the core awake (what
/// the firmware itself spent, apart from waiting on the laptop).
#[derive(Clone, Copy, Debug)]
pub struct ChipTime {
    /// Simulated milliseconds in all.
    pub total_ms: f64,
    /// Of those, the milliseconds the core did not sleep.
    pub awake_ms: f64,
}

enum Request {
    Clock(mpsc::Sender<Clock>),
    Reset,
}

enum Event {
    Frame(Vec<u8>),
    LinkUp,
    Clock(Clock),
    Gone,
}

/// A running emulated board and the laptop around it.
pub struct Board {
    child: Child,
    /// The board's console (UART) and the harness's notes, a line each.
    pub console: Captured,
    addr: SocketAddr,
    requests: mpsc::Sender<Request>,
    /// A message for each DHCP lease the laptop gets.
    leases: std::sync::Mutex<mpsc::Receiver<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Board {
    /// Powers a board flashed with `uf2` and, in its file-system
    /// partition, `data` (an image `isere-sim --data-size 512K` made; else
    /// the partition is erased), and plugs it in. Returns once the laptop
    /// has its DHCP lease.
    pub fn power_on(uf2: &str, data: Option<&str>) -> Board {
        let mut command = Command::new("node");
        command
            .arg(format!("{ROOT}/tests/rp2040-emu/board.cjs"))
            .arg(uf2);
        if let Some(data) = data {
            command.arg("--data").arg(data);
        }
        let mut child = command
            .current_dir(ROOT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn node tests/rp2040-emu/board.cjs: {e}"));
        let console = Captured::default();
        let (events_tx, events) = mpsc::channel();
        let (requests, requests_rx) = mpsc::channel();
        let mut threads = vec![console.pump(child.stderr.take().unwrap())];
        let stdout = child.stdout.take().unwrap();
        let lines = console.clone();
        threads.push(thread::spawn(move || {
            read_board(stdout, &lines, &events_tx)
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the laptop's forward");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stdin = child.stdin.take().unwrap();
        let (leases_tx, leases) = mpsc::channel();
        let notes = console.clone();
        threads.push(thread::spawn(move || {
            Laptop::new(stdin, listener, notes, leases_tx).run(&events, &requests_rx)
        }));
        let board = Board {
            child,
            console,
            addr,
            requests,
            leases: std::sync::Mutex::new(leases),
            threads,
        };
        board.wait_for_lease("power on");
        board
    }

    /// Waits for the laptop's next DHCP lease.
    fn wait_for_lease(&self, after: &str) {
        let leases = self.leases.lock().unwrap();
        if leases.recv_timeout(super::START_TIMEOUT * 4).is_err() {
            panic!(
                "no DHCP lease from the board after {after}\n--- console ---\n{}",
                self.console.text()
            );
        }
    }

    /// What `f` took of the chip's time.
    pub fn chip_time<R>(&self, f: impl FnOnce() -> R) -> (R, ChipTime) {
        let before = self.clock();
        let r = f();
        let after = self.clock();
        let total = after.nanos - before.nanos;
        let asleep = after.asleep_nanos - before.asleep_nanos;
        let time = ChipTime {
            total_ms: total / 1e6,
            awake_ms: (total - asleep) / 1e6,
        };
        (r, time)
    }

    /// Where the test connects to reach the board's port 80.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The chip's clock.
    pub fn clock(&self) -> Clock {
        let (tx, rx) = mpsc::channel();
        self.requests
            .send(Request::Clock(tx))
            .expect("the laptop is gone");
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the board did not report its clock")
    }

    /// Presses the reset button: the chip restarts from its flash. Returns
    /// once the laptop has its address again (the board serves by then).
    pub fn reset(&self) {
        self.requests
            .send(Request::Reset)
            .expect("the laptop is gone");
        self.wait_for_lease("a reset");
    }

    /// `isere config push` of the configuration in `file`, signed with the
    /// test image's keys. The pushed configuration replaces the
    /// provisioned one whole, so the provisioned `admin` (and `server`,
    /// unless `file` has its own) are added to it, as a user keeps them.
    pub fn push_config(&self, file: &str) {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let provisioned = std::fs::read_to_string(format!("{ROOT}/{PROVISIONED}")).unwrap();
        let parsed =
            super::Json::parse(&text).unwrap_or_else(|e| panic!("{file}: not JSON: {e:?}"));
        let has = |key: &str| {
            parsed
                .as_object()
                .is_some_and(|o| o.iter().any(|(k, _)| k == key))
        };
        assert!(
            !has("admin"),
            "{file}: the test image's admin keys are added to it"
        );
        let mut merged = format!("{{\"admin\": {},", member(&provisioned, "admin"));
        if !has("server") {
            merged.push_str(&format!("\"server\": {},", member(&provisioned, "server")));
        }
        let body = text.trim_start().strip_prefix('{').expect("a JSON object");
        merged.push_str(body);
        let dir = super::TempDir::new("rp2040-config");
        let pushed = dir.write("config.json", &merged);
        let out = self.isere(&[
            "config",
            "push",
            pushed.to_str().unwrap(),
            "--key",
            TRUSTED_KEY,
        ]);
        assert!(
            out.status.success(),
            "isere config push to the RP2040: {}{}\n--- console ---\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.console.text()
        );
    }

    /// Runs the `isere` CLI against this board (`--device` and
    /// `--admin-key` added).
    pub fn isere(&self, args: &[&str]) -> std::process::Output {
        Command::new(ISERE)
            .args(args)
            .arg("--device")
            .arg(format!("http://{}", self.addr))
            .arg("--admin-key")
            .arg(format!("{ROOT}/{ADMIN_KEY}"))
            .current_dir(ROOT)
            .output()
            .unwrap_or_else(|e| panic!("run isere {args:?}: {e}"))
    }
}

/// The configuration the test image is built with (`ISERE_BOARD_CONFIG`),
/// and the keys it trusts.
pub const PROVISIONED: &str = "tests/rp2040-emu/isere.json";
/// Signs bundles and configurations for the test image.
pub const TRUSTED_KEY: &str = "tests/rp2040-emu/keys/isere.key";
/// Signs admin requests to the test image.
pub const ADMIN_KEY: &str = "tests/rp2040-emu/keys/admin.key";
const ISERE: &str = env!("CARGO_BIN_EXE_isere");

/// The text of the object member `key` of the JSON object `text` (a
/// nested object; the files it reads have no braces inside strings).
fn member(text: &str, key: &str) -> String {
    let at = text
        .find(&format!("\"{key}\""))
        .unwrap_or_else(|| panic!("no {key} in {text}"));
    let start = at + text[at..].find('{').expect("an object");
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return text[start..=start + i].to_string();
                }
            }
            _ => {}
        }
    }
    panic!("{key} is not closed in {text}")
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if thread::panicking() {
            eprintln!("--- RP2040 console ---\n{}", self.console.text());
        }
    }
}

/// Splits board.cjs's output into messages.
fn read_board(stdout: impl Read, console: &Captured, events: &mpsc::Sender<Event>) {
    let mut r = BufReader::new(stdout);
    let mut head = [0u8; 5];
    while r.read_exact(&mut head).is_ok() {
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut payload = vec![0; len];
        if r.read_exact(&mut payload).is_err() {
            break;
        }
        let event = match head[0] {
            b'E' => Event::Frame(payload),
            b'L' => Event::LinkUp,
            b'T' => Event::Clock(parse_clock(&String::from_utf8_lossy(&payload))),
            b'U' => {
                let mut line = payload;
                line.push(b'\n');
                console.append(&line);
                continue;
            }
            b'X' => {
                let note = format!("[board] boots: {}\n", String::from_utf8_lossy(&payload));
                console.append(note.as_bytes());
                continue;
            }
            other => {
                console.append(format!("[laptop] unknown message {other:#x}\n").as_bytes());
                break;
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
    let _ = events.send(Event::Gone);
}

/// `{"nanos":N,"asleep":M}` from board.cjs.
fn parse_clock(text: &str) -> Clock {
    let json = super::Json::parse(text).unwrap_or_else(|e| panic!("clock {text}: {e:?}"));
    let field = |key: &str| {
        json[key]
            .as_f64()
            .unwrap_or_else(|| panic!("no {key} in the clock {text}"))
    };
    Clock {
        nanos: field("nanos"),
        asleep_nanos: field("asleep"),
    }
}

/// The laptop's end of the cable for smoltcp: frames to and from board.cjs.
struct Cable {
    stdin: ChildStdin,
    received: VecDeque<Vec<u8>>,
}

impl Cable {
    fn send(&mut self, kind: u8, payload: &[u8]) {
        let mut message = Vec::with_capacity(5 + payload.len());
        message.push(kind);
        message.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        message.extend_from_slice(payload);
        // The board gone is seen by the reader; nothing to do here.
        let _ = self.stdin.write_all(&message);
    }
}

struct RxToken(Vec<u8>);
struct TxToken<'a>(&'a mut Cable);

impl smoltcp::phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl smoltcp::phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let r = f(&mut frame);
        if std::env::var_os("ISERE_RP2040_TRACE").is_some() {
            eprintln!(
                "[laptop] -> {} bytes: {:02x?}",
                frame.len(),
                &frame[..frame.len().min(48)]
            );
        }
        self.0.send(b'E', &frame);
        r
    }
}

impl Device for Cable {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let frame = self.received.pop_front()?;
        Some((RxToken(frame), TxToken(self)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

/// One TCP connection carried between a loopback socket and smoltcp.
struct Pipe {
    handle: SocketHandle,
    stream: TcpStream,
    /// Received from the board, not yet written to the loopback socket.
    to_host: Vec<u8>,
    host_closed: bool,
    board_closed: bool,
}

impl Pipe {
    fn new(handle: SocketHandle, stream: TcpStream) -> Pipe {
        let _ = stream.set_nonblocking(true);
        let _ = stream.set_nodelay(true);
        Pipe {
            handle,
            stream,
            to_host: Vec::new(),
            host_closed: false,
            board_closed: false,
        }
    }
}

/// The laptop's network stack.
struct Laptop {
    cable: Cable,
    iface: Interface,
    sockets: SocketSet<'static>,
    dhcp: Option<SocketHandle>,
    listener: TcpListener,
    pipes: Vec<Pipe>,
    /// Listening sockets for the board's connections being opened, with the
    /// loopback connection each will be joined to and the board's port of
    /// the SYN that asked for it (to know that SYN again).
    accepting: Vec<(SocketHandle, TcpStream, u16)>,
    next_port: u16,
    console: Captured,
    leases: mpsc::Sender<()>,
    address: Option<Ipv4Address>,
}

impl Laptop {
    fn new(
        stdin: ChildStdin,
        listener: TcpListener,
        console: Captured,
        leases: mpsc::Sender<()>,
    ) -> Laptop {
        let mut cable = Cable {
            stdin,
            received: VecDeque::new(),
        };
        let config = Config::new(EthernetAddress(LAPTOP_MAC).into());
        let iface = Interface::new(config, &mut cable, Instant::now());
        Laptop {
            cable,
            iface,
            sockets: SocketSet::new(Vec::new()),
            dhcp: None,
            listener,
            pipes: Vec::new(),
            accepting: Vec::new(),
            next_port: 49152,
            console,
            leases,
            address: None,
        }
    }

    fn note(&self, text: &str) {
        self.console.append(format!("[laptop] {text}\n").as_bytes());
    }

    fn run(mut self, events: &mpsc::Receiver<Event>, requests: &mpsc::Receiver<Request>) {
        let mut clock_waiters: VecDeque<mpsc::Sender<Clock>> = VecDeque::new();
        loop {
            let wait = self
                .iface
                .poll_delay(Instant::now(), &self.sockets)
                .map_or(Duration::from_millis(2), |d| {
                    Duration::from_micros(d.total_micros()).min(Duration::from_millis(2))
                });
            match events.recv_timeout(wait) {
                Ok(event) => {
                    if !self.on_event(event, &mut clock_waiters) {
                        return;
                    }
                    while let Ok(event) = events.try_recv() {
                        if !self.on_event(event, &mut clock_waiters) {
                            return;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            loop {
                match requests.try_recv() {
                    Ok(Request::Clock(tx)) => {
                        clock_waiters.push_back(tx);
                        self.cable.send(b'T', &[]);
                    }
                    Ok(Request::Reset) => self.cable.send(b'R', &[]),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            self.iface
                .poll(Instant::now(), &mut self.cable, &mut self.sockets);
            self.dhcp_events();
            self.accept_from_test();
            self.accept_from_board();
            self.pump();
            self.iface
                .poll(Instant::now(), &mut self.cable, &mut self.sockets);
        }
    }

    /// False when the board is gone.
    fn on_event(
        &mut self,
        event: Event,
        clock_waiters: &mut VecDeque<mpsc::Sender<Clock>>,
    ) -> bool {
        match event {
            Event::Frame(frame) => {
                if std::env::var_os("ISERE_RP2040_TRACE").is_some() {
                    self.note(&format!(
                        "<- {} bytes: {:02x?}",
                        frame.len(),
                        &frame[..frame.len().min(48)]
                    ));
                }
                self.open_for_board(&frame);
                self.cable.received.push_back(frame);
            }
            Event::LinkUp => {
                self.note("link up: asking for an address (DHCP)");
                if let Some(h) = self.dhcp.take() {
                    self.sockets.remove(h);
                }
                self.dhcp = Some(self.sockets.add(dhcpv4::Socket::new()));
            }
            Event::Clock(c) => {
                if let Some(tx) = clock_waiters.pop_front() {
                    let _ = tx.send(c);
                }
            }
            Event::Gone => return false,
        }
        true
    }

    fn dhcp_events(&mut self) {
        let Some(h) = self.dhcp else { return };
        let event = match self.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
            Some(dhcpv4::Event::Configured(config)) => {
                Some((config.address, config.server.address, config.router))
            }
            Some(dhcpv4::Event::Deconfigured) => None,
            None => return,
        };
        match event {
            Some((address, server, router)) => {
                self.iface.update_ip_addrs(|addrs| {
                    addrs.clear();
                    let _ = addrs.push(IpCidr::Ipv4(address));
                });
                self.address = Some(address.address());
                self.note(&format!(
                    "DHCP: leased {address} from {server}, router {router:?}"
                ));
                let _ = self.leases.send(());
            }
            None => {
                self.iface.update_ip_addrs(|addrs| addrs.clear());
                self.address = None;
                self.note("DHCP: lease lost");
            }
        }
    }

    fn new_tcp_socket() -> tcp::Socket<'static> {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUFFER]),
            tcp::SocketBuffer::new(vec![0; BUFFER]),
        );
        s.set_nagle_enabled(false);
        s
    }

    /// A test's connection to the listener: a connection to the board's
    /// port 80.
    fn accept_from_test(&mut self) {
        loop {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.note(&format!("accept: {e}"));
                    return;
                }
            };
            if self.address.is_none() {
                // No lease (the board is restarting): refused, as the route
                // to 192.168.7.1 is gone.
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            let mut socket = Self::new_tcp_socket();
            self.next_port = if self.next_port >= 65000 {
                49152
            } else {
                self.next_port + 1
            };
            if let Err(e) = socket.connect(
                self.iface.context(),
                (IpAddress::Ipv4(BOARD), HTTP_PORT),
                self.next_port,
            ) {
                self.note(&format!("connect to the board: {e}"));
                continue;
            }
            let handle = self.sockets.add(socket);
            self.pipes.push(Pipe::new(handle, stream));
        }
    }

    /// A SYN from the board to the laptop: if something listens on that
    /// port of the loopback, a listening socket takes it, joined to a
    /// connection to that port; otherwise smoltcp answers with a reset.
    fn open_for_board(&mut self, frame: &[u8]) {
        let Some(address) = self.address else { return };
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return;
        };
        if eth.ethertype() != EthernetProtocol::Ipv4 {
            return;
        }
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
            return;
        };
        if ip.dst_addr() != address || ip.next_header() != IpProtocol::Tcp {
            return;
        }
        let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
            return;
        };
        if !tcp.syn() || tcp.ack() {
            return;
        }
        // A SYN the board sends again (its SYN-ACK not in yet) is the same
        // connection: one loopback connection for it.
        let (port, from) = (tcp.dst_port(), tcp.src_port());
        if self.accepting.iter().any(|&(_, _, f)| f == from) {
            return;
        }
        let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        match TcpStream::connect_timeout(&to, Duration::from_secs(2)) {
            Ok(stream) => {
                let mut socket = Self::new_tcp_socket();
                if socket.listen(port).is_ok() {
                    self.accepting
                        .push((self.sockets.add(socket), stream, from));
                }
            }
            Err(e) => self.note(&format!(
                "the board connects to port {port}: {e} on the loopback, refused"
            )),
        }
    }

    /// Listening sockets the board has connected to become pipes.
    fn accept_from_board(&mut self) {
        let mut i = 0;
        while i < self.accepting.len() {
            let state = self.sockets.get::<tcp::Socket>(self.accepting[i].0).state();
            if matches!(state, tcp::State::Listen | tcp::State::SynReceived) {
                i += 1;
                continue;
            }
            let (handle, stream, _) = self.accepting.swap_remove(i);
            self.pipes.push(Pipe::new(handle, stream));
        }
    }

    /// Moves bytes both ways and carries closes and resets across.
    fn pump(&mut self) {
        let mut chunk = [0u8; 4096];
        let mut i = 0;
        while i < self.pipes.len() {
            let p = &mut self.pipes[i];
            let s = self.sockets.get_mut::<tcp::Socket>(p.handle);
            let mut done = false;
            // Loopback -> board.
            while !p.host_closed && s.can_send() {
                let room = (s.send_capacity() - s.send_queue()).min(chunk.len());
                if room == 0 {
                    break;
                }
                match p.stream.read(&mut chunk[..room]) {
                    Ok(0) => {
                        p.host_closed = true;
                        s.close();
                    }
                    Ok(n) => {
                        let _ = s.send_slice(&chunk[..n]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        s.abort();
                        done = true;
                        break;
                    }
                }
            }
            // Board -> loopback.
            loop {
                if !p.to_host.is_empty() {
                    match p.stream.write(&p.to_host) {
                        Ok(n) => {
                            p.to_host.drain(..n);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            s.abort();
                            done = true;
                            break;
                        }
                    }
                    if !p.to_host.is_empty() {
                        break;
                    }
                }
                if !s.can_recv() {
                    break;
                }
                let _ = s.recv(|data| {
                    p.to_host.extend_from_slice(data);
                    (data.len(), ())
                });
            }
            if !done && p.to_host.is_empty() && !p.board_closed && !s.may_recv() {
                let state = s.state();
                if state != tcp::State::SynSent && state != tcp::State::Listen {
                    p.board_closed = true;
                    if state == tcp::State::Closed && !p.host_closed {
                        // A reset (or a connection that never opened): the
                        // loopback side is reset too.
                        let _ = set_linger_zero(&p.stream);
                        done = true;
                    } else {
                        let _ = p.stream.shutdown(Shutdown::Write);
                    }
                }
            }
            if !done
                && p.to_host.is_empty()
                && matches!(s.state(), tcp::State::Closed | tcp::State::TimeWait)
            {
                done = true;
            }
            if done {
                let p = self.pipes.swap_remove(i);
                self.sockets.remove(p.handle);
            } else {
                i += 1;
            }
        }
    }
}

/// Makes the close of `stream` a reset (SO_LINGER 0), as a reset from the
/// board is carried to the test.
fn set_linger_zero(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and an option value of the size given.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of_val(&linger) as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
