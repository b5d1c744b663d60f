//! TCP for the boards: the [`Network`] port contract over smoltcp.
//!
//! A board supplies a smoltcp `phy::Device` (its NIC driver) and an
//! interrupt that calls [`NetStack::wake`]; this module does the rest, the
//! same on every board:
//!
//! * one **network task** owns the polling: it runs `Interface::poll`, then
//!   sleeps on its task notification until the NIC interrupt, a request from
//!   another task, or smoltcp's next timer (`poll_delay`), so an idle board
//!   sleeps;
//! * other tasks (the acceptor, the connection tasks) call the [`Network`]
//!   methods, which act on the sockets under the stack's mutex and, when they
//!   must wait, record themselves as the socket's waiter and block on their
//!   `Io` notification. After every poll the network task notifies all
//!   waiters; a waiter re-checks its socket and waits again if it is not ready
//!   yet (a spurious wake costs one check).
//!
//! `connect` opens a client socket (an ephemeral local port from 49152 up)
//! once the interface has an address, and waits for ESTABLISHED; a reset
//! during the handshake is [`NetError::Refused`]. Host names: only IPv4
//! literals and `localhost` (no DNS client yet), see [`Network::resolve`].
//!
//! smoltcp has no accept queue: a listener is a handful of sockets in the
//! LISTEN state (the backlog); `accept` hands out one that reached
//! ESTABLISHED and the network task opens a fresh listening socket in its
//! place. Closed sockets are removed once their FIN exchange is over.
//! Addresses come from DHCP, or from a static configuration.

use alloc::vec;
use alloc::vec::Vec;
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{dhcpv4, tcp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

use crate::port::{Listener, NetError, Network, Socket};
use crate::rtos::{self, Mutex, Notification, TaskHandle, TickType, WAIT_FOREVER};

const TAG: &str = "net";

/// The first local port of outgoing connections (IANA's dynamic range).
const EPHEMERAL_FIRST: u16 = 49152;

/// How the board gets its IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// Ask a DHCP server.
    Dhcp,
    /// A fixed address, prefix length and gateway.
    Static {
        /// The board's address.
        address: [u8; 4],
        /// Prefix length of its network.
        prefix: u8,
        /// The default gateway.
        gateway: [u8; 4],
    },
}

/// Sizes of the stack, chosen per board.
#[derive(Clone, Copy, Debug)]
pub struct NetConfig {
    /// Where the address comes from.
    pub addressing: Addressing,
    /// Receive buffer of each TCP socket, in bytes.
    pub rx_buffer: usize,
    /// Transmit buffer of each TCP socket, in bytes.
    pub tx_buffer: usize,
    /// Listening sockets kept open per listener (connections that may arrive
    /// at once before the acceptor takes them).
    pub backlog: usize,
    /// Most TCP sockets in all (listening, open and closing).
    pub max_sockets: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Listening(usize),
    /// A client socket before its handshake completed; `started` once
    /// smoltcp was told to connect (which needs an address).
    Connecting {
        started: bool,
    },
    Open,
    Closing,
}

struct Slot {
    handle: SocketHandle,
    role: Role,
    waiter: Option<TaskHandle>,
}

struct ListenerState {
    port: u16,
    waiter: Option<TaskHandle>,
}

struct State<D: Device> {
    device: D,
    iface: Interface,
    sockets: SocketSet<'static>,
    /// Index = the `Socket` number handed out; `None` = free.
    slots: Vec<Option<Slot>>,
    listeners: Vec<ListenerState>,
    dhcp: Option<SocketHandle>,
    config: NetConfig,
    /// The next local port to try for an outgoing connection.
    next_local_port: u16,
}

/// The TCP/IP stack of a board.
pub struct NetStack<D: Device> {
    state: Mutex<State<D>>,
    task: AtomicPtr<c_void>,
}

fn now() -> Instant {
    Instant::from_millis(rtos::ticks_to_ms(rtos::tick_count()) as i64)
}

fn to_ticks(d: Duration) -> TickType {
    rtos::ms_to_ticks(d.total_millis())
}

impl<D: Device + Send + 'static> NetStack<D> {
    /// A stack over `device` with the Ethernet address `mac`.
    pub fn new(
        mut device: D,
        mac: [u8; 6],
        config: NetConfig,
    ) -> Result<NetStack<D>, rtos::OutOfMemory> {
        let iface_config = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        let mut iface = Interface::new(iface_config, &mut device, now());
        let mut sockets = SocketSet::new(Vec::new());
        let dhcp = match config.addressing {
            Addressing::Dhcp => Some(sockets.add(dhcpv4::Socket::new())),
            Addressing::Static {
                address,
                prefix,
                gateway,
            } => {
                set_address(&mut iface, address, prefix, Some(gateway));
                None
            }
        };
        Ok(NetStack {
            state: Mutex::new(State {
                device,
                iface,
                sockets,
                slots: Vec::new(),
                listeners: Vec::new(),
                dhcp,
                config,
                // Spread over the range so that a reboot does not reuse the
                // ports of connections the peer may still remember.
                next_local_port: EPHEMERAL_FIRST
                    + (u16::from_le_bytes([mac[4], mac[5]]) ^ rtos::tick_count() as u16)
                        % (u16::MAX - EPHEMERAL_FIRST),
            })?,
            task: AtomicPtr::new(core::ptr::null_mut()),
        })
    }

    /// Wakes the network task (from the NIC interrupt or any task).
    pub fn wake(&self) -> bool {
        match TaskHandle::from_ptr(self.task.load(Ordering::Acquire)) {
            Some(t) => t.notify(Notification::Io),
            None => false,
        }
    }

    /// The board's IPv4 address, once it has one.
    pub fn address(&self) -> Option<[u8; 4]> {
        self.state.with(|s| s.iface.ipv4_addr().map(|a| a.octets()))
    }

    /// The network task's body: poll, wake waiters, sleep until needed.
    /// `after_poll` runs under the lock after each poll, with the device:
    /// where a board re-arms the NIC interrupt its handler masked; it returns
    /// whether frames are still waiting (then the stack polls again at once,
    /// so a frame that came in before the re-arm is not left behind).
    pub fn run(&'static self, mut after_poll: impl FnMut(&mut D) -> bool) -> ! {
        self.task
            .store(TaskHandle::current().as_ptr(), Ordering::Release);
        loop {
            let delay = self.state.with(|s| {
                let t = now();
                s.iface.poll(t, &mut s.device, &mut s.sockets);
                while after_poll(&mut s.device) {
                    s.iface.poll(now(), &mut s.device, &mut s.sockets);
                }
                s.dhcp_events();
                s.reap_and_refill();
                s.wake_waiters();
                s.iface.poll_delay(t, &s.sockets)
            });
            let ticks = delay.map(to_ticks).unwrap_or(WAIT_FOREVER);
            if ticks > 0 {
                rtos::wait_notification(Notification::Io, ticks);
            }
        }
    }

    /// Waits for `ready` to produce a result, up to `timeout` ticks, recording
    /// the caller as the waiter of `id` between tries.
    fn wait_for<R>(
        &self,
        timeout: TickType,
        mut ready: impl FnMut(&mut State<D>, TaskHandle) -> Option<Result<R, NetError>>,
    ) -> Result<R, NetError> {
        let me = TaskHandle::current();
        let deadline = rtos::tick_count().saturating_add(timeout);
        loop {
            rtos::clear_notification(Notification::Io);
            if let Some(r) = self.state.with(|s| ready(s, me)) {
                self.wake();
                return r;
            }
            let left = deadline.saturating_sub(rtos::tick_count());
            if left == 0 || !rtos::wait_notification(Notification::Io, left) {
                // One last look: readiness may have come with the timeout.
                return self
                    .state
                    .with(|s| ready(s, me))
                    .unwrap_or(Err(NetError::TimedOut));
            }
        }
    }
}

fn set_address(iface: &mut Interface, address: [u8; 4], prefix: u8, gateway: Option<[u8; 4]>) {
    let [a, b, c, d] = address;
    iface.update_ip_addrs(|addrs| {
        addrs.clear();
        let _ = addrs.push(IpCidr::Ipv4(Ipv4Cidr::new(
            Ipv4Address::new(a, b, c, d),
            prefix,
        )));
    });
    iface.routes_mut().remove_default_ipv4_route();
    if let Some([a, b, c, d]) = gateway {
        let _ = iface
            .routes_mut()
            .add_default_ipv4_route(Ipv4Address::new(a, b, c, d));
    }
}

impl<D: Device> State<D> {
    fn dhcp_events(&mut self) {
        let Some(handle) = self.dhcp else { return };
        match self
            .sockets
            .get_mut::<dhcpv4::Socket<'static>>(handle)
            .poll()
        {
            Some(dhcpv4::Event::Configured(c)) => {
                let gateway = c.router.map(|r| r.octets());
                set_address(
                    &mut self.iface,
                    c.address.address().octets(),
                    c.address.prefix_len(),
                    gateway,
                );
                log::info!(target: TAG, "DHCP: address {}, gateway {:?}", c.address, c.router);
            }
            Some(dhcpv4::Event::Deconfigured) => {
                self.iface.update_ip_addrs(|addrs| addrs.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
                log::warn!(target: TAG, "DHCP: lease lost");
            }
            None => {}
        }
    }

    fn open_sockets(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// A TCP socket with this stack's buffers and options.
    fn new_tcp_socket(&self) -> tcp::Socket<'static> {
        let mut sock = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; self.config.rx_buffer]),
            tcp::SocketBuffer::new(vec![0; self.config.tx_buffer]),
        );
        // A peer that stops answering is dropped rather than held forever.
        sock.set_timeout(Some(Duration::from_secs(20)));
        // Requests and responses are small and latency-bound: no Nagle, and
        // ACK at once (peers like QEMU's slirp send one segment per ACK).
        sock.set_nagle_enabled(false);
        sock.set_ack_delay(None);
        sock
    }

    /// Adds a socket in `role` to the set; returns its number.
    fn add_slot(&mut self, sock: tcp::Socket<'static>, role: Role) -> usize {
        let handle = self.sockets.add(sock);
        let slot = Slot {
            handle,
            role,
            waiter: None,
        };
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        }
    }

    /// Adds a socket listening on `port` for listener `l`.
    fn add_listening(&mut self, l: usize, port: u16) -> Result<(), NetError> {
        if self.open_sockets() >= self.config.max_sockets {
            return Err(NetError::Exhausted);
        }
        let mut sock = self.new_tcp_socket();
        sock.listen(port).map_err(|_| NetError::AddrUnavailable)?;
        self.add_slot(sock, Role::Listening(l));
        Ok(())
    }

    /// A local port no socket of ours uses, for an outgoing connection.
    fn ephemeral_port(&mut self) -> u16 {
        loop {
            let port = self.next_local_port;
            self.next_local_port = if port == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                port + 1
            };
            let sockets = &self.sockets;
            let taken = self.slots.iter().flatten().any(|slot| {
                sockets
                    .get::<tcp::Socket<'static>>(slot.handle)
                    .local_endpoint()
                    .is_some_and(|e| e.port == port)
            });
            if !taken {
                return port;
            }
        }
    }

    /// Forgets a socket at once (a failed connect: nothing to close).
    fn remove_slot(&mut self, id: usize) {
        if let Some(Some(slot)) = self.slots.get(id) {
            self.sockets.remove(slot.handle);
            self.slots[id] = None;
        }
    }

    /// One step of `connect` for socket `id`: starts the handshake once the
    /// interface has an address; `Some` when it is over.
    fn connect_step(
        &mut self,
        id: usize,
        remote: (Ipv4Address, u16),
        me: TaskHandle,
    ) -> Option<Result<bool, NetError>> {
        let has_address = self.iface.ipv4_addr().is_some();
        let local_port = match self.slots.get(id) {
            Some(Some(Slot {
                role: Role::Connecting { started: false },
                ..
            })) if has_address => Some(self.ephemeral_port()),
            Some(Some(_)) => None,
            _ => return Some(Err(NetError::Closed)),
        };
        let slot = self.slots[id].as_mut()?;
        slot.waiter = Some(me);
        let sock = self.sockets.get_mut::<tcp::Socket<'static>>(slot.handle);
        if let Some(local_port) = local_port {
            return match sock.connect(self.iface.context(), remote, local_port) {
                Ok(()) => {
                    slot.role = Role::Connecting { started: true };
                    // The network task must poll to send the SYN.
                    Some(Ok(false))
                }
                Err(tcp::ConnectError::Unaddressable) => Some(Err(NetError::Unreachable)),
                Err(tcp::ConnectError::InvalidState) => Some(Err(NetError::Other(0))),
            };
        }
        match (slot.role, sock.state()) {
            // No address yet (DHCP still running): wait for the next poll.
            (Role::Connecting { started: false }, _) => None,
            (_, tcp::State::Established | tcp::State::CloseWait) => {
                slot.role = Role::Open;
                slot.waiter = None;
                Some(Ok(true))
            }
            // A reset in SYN-SENT (nothing listens there), or smoltcp gave up.
            (_, tcp::State::Closed) => Some(Err(NetError::Refused)),
            _ => None,
        }
    }

    /// Removes sockets whose close completed and keeps every listener's
    /// backlog of listening sockets full.
    fn reap_and_refill(&mut self) {
        for entry in self.slots.iter_mut() {
            let Some(slot) = entry else { continue };
            let state = self
                .sockets
                .get::<tcp::Socket<'static>>(slot.handle)
                .state();
            if slot.role == Role::Closing
                && matches!(state, tcp::State::Closed | tcp::State::TimeWait)
            {
                self.sockets.remove(slot.handle);
                *entry = None;
            }
        }
        for l in 0..self.listeners.len() {
            let listening = self
                .slots
                .iter()
                .flatten()
                .filter(|s| s.role == Role::Listening(l))
                .count();
            for _ in listening..self.config.backlog {
                if self.add_listening(l, self.listeners[l].port).is_err() {
                    break;
                }
            }
        }
    }

    fn wake_waiters(&mut self) {
        for slot in self.slots.iter().flatten() {
            if let Some(w) = slot.waiter {
                let _ = w.notify(Notification::Io);
            }
        }
        for l in &self.listeners {
            if let Some(w) = l.waiter {
                let _ = w.notify(Notification::Io);
            }
        }
    }

    fn slot_mut(&mut self, id: Socket) -> Option<&mut Slot> {
        self.slots.get_mut(id.0 as usize)?.as_mut()
    }
}

impl<D: Device + Send + 'static> Network for NetStack<D> {
    fn listen(&self, _addr: [u8; 4], port: u16) -> Result<Listener, NetError> {
        if port == 0 {
            return Err(NetError::AddrUnavailable);
        }
        let l = self.state.with(|s| {
            if s.listeners.iter().any(|l| l.port == port) {
                return Err(NetError::AddrUnavailable);
            }
            s.listeners.push(ListenerState { port, waiter: None });
            let l = s.listeners.len() - 1;
            s.add_listening(l, port)?;
            Ok(l)
        })?;
        self.wake();
        Ok(Listener(l as u32))
    }

    fn local_port(&self, listener: Listener) -> u16 {
        self.state
            .with(|s| s.listeners.get(listener.0 as usize).map(|l| l.port))
            .unwrap_or(0)
    }

    fn accept(&self, listener: Listener, timeout: TickType) -> Result<Socket, NetError> {
        let l = listener.0 as usize;
        self.wait_for(timeout, |s, me| {
            let listener_state = s.listeners.get_mut(l)?;
            listener_state.waiter = Some(me);
            let sockets = &s.sockets;
            let found = s.slots.iter().position(|e| {
                e.as_ref().is_some_and(|slot| {
                    slot.role == Role::Listening(l)
                        && matches!(
                            sockets.get::<tcp::Socket<'static>>(slot.handle).state(),
                            tcp::State::Established | tcp::State::CloseWait
                        )
                })
            })?;
            if let Some(slot) = s.slots[found].as_mut() {
                slot.role = Role::Open;
            }
            s.listeners[l].waiter = None;
            Some(Ok(Socket(found as u32)))
        })
        .inspect_err(|_| {
            self.state.with(|s| {
                if let Some(ls) = s.listeners.get_mut(l) {
                    ls.waiter = None;
                }
            })
        })
    }

    fn recv(&self, socket: Socket, buf: &mut [u8], timeout: TickType) -> Result<usize, NetError> {
        let r = self.wait_for(timeout, |s, me| {
            let Some(slot) = s.slot_mut(socket) else {
                return Some(Err(NetError::Closed));
            };
            slot.waiter = Some(me);
            let handle = slot.handle;
            let sock = s.sockets.get_mut::<tcp::Socket<'static>>(handle);
            if sock.can_recv() {
                return Some(sock.recv_slice(buf).map_err(|_| NetError::Closed));
            }
            if !sock.may_recv() {
                // FIN received (or never connected): end of stream.
                return Some(if sock.state() == tcp::State::Closed {
                    Err(NetError::Closed)
                } else {
                    Ok(0)
                });
            }
            None
        });
        self.clear_waiter(socket);
        r
    }

    fn send(&self, socket: Socket, buf: &[u8], timeout: TickType) -> Result<usize, NetError> {
        let r = self.wait_for(timeout, |s, me| {
            let Some(slot) = s.slot_mut(socket) else {
                return Some(Err(NetError::Closed));
            };
            slot.waiter = Some(me);
            let handle = slot.handle;
            let sock = s.sockets.get_mut::<tcp::Socket<'static>>(handle);
            if !sock.may_send() {
                return Some(Err(NetError::Closed));
            }
            if sock.can_send() {
                return Some(sock.send_slice(buf).map_err(|_| NetError::Closed));
            }
            None
        });
        self.clear_waiter(socket);
        r
    }

    fn connect(&self, addr: [u8; 4], port: u16, timeout: TickType) -> Result<Socket, NetError> {
        let [a, b, c, d] = addr;
        let remote = (Ipv4Address::new(a, b, c, d), port);
        let id = self.state.with(|s| {
            if s.open_sockets() >= s.config.max_sockets {
                return Err(NetError::Exhausted);
            }
            let sock = s.new_tcp_socket();
            Ok(s.add_slot(sock, Role::Connecting { started: false }))
        })?;
        let deadline = rtos::tick_count().saturating_add(timeout);
        loop {
            let left = deadline.saturating_sub(rtos::tick_count());
            let step = self.wait_for(left, |s, me| s.connect_step(id, remote, me));
            match step {
                Ok(true) => return Ok(Socket(id as u32)),
                // Started: `wait_for` woke the network task to send the SYN.
                Ok(false) => continue,
                Err(e) => {
                    self.state.with(|s| s.remove_slot(id));
                    return Err(e);
                }
            }
        }
    }

    fn peer_addr(&self, socket: Socket) -> Option<[u8; 4]> {
        self.state.with(|s| {
            let handle = s.slot_mut(socket)?.handle;
            match s
                .sockets
                .get::<tcp::Socket<'static>>(handle)
                .remote_endpoint()?
                .addr
            {
                smoltcp::wire::IpAddress::Ipv4(a) => Some(a.octets()),
            }
        })
    }

    fn close(&self, socket: Socket) {
        self.state.with(|s| {
            if let Some(slot) = s.slot_mut(socket) {
                slot.role = Role::Closing;
                slot.waiter = None;
                let handle = slot.handle;
                s.sockets.get_mut::<tcp::Socket<'static>>(handle).close();
            }
        });
        self.wake();
    }
}

impl<D: Device + Send + 'static> NetStack<D> {
    fn clear_waiter(&self, socket: Socket) {
        self.state.with(|s| {
            if let Some(slot) = s.slot_mut(socket) {
                slot.waiter = None;
            }
        });
    }
}
