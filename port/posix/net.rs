//! Host TCP sockets for FreeRTOS tasks, without blocking the scheduler.
//!
//! A FreeRTOS task on the POSIX port must never sit in a blocking system
//! call: the kernel would think it runs while it sleeps in the host kernel.
//! So every socket is non-blocking and registered once, edge-triggered, in
//! one epoll set. A task that must wait records itself as the socket's
//! waiter and blocks on its `Io` task notification; the notification is
//! given when epoll reports the socket:
//!
//! * from the SIGIO handler (`isr.c`): sockets are in `O_ASYNC` mode, so the
//!   host raises SIGIO on the running task's thread, like a NIC interrupt,
//!   whatever the tasks are doing;
//! * from the idle hook, which sleeps in `poll` on the epoll set when no task
//!   is ready (the tick signal still interrupts it, so timeouts keep
//!   working), so an idle simulator costs only the kernel tick.
//!
//! The waiter is recorded before the operation is tried, and notifications
//! count, so an edge that arrives between a failed try and the wait is never
//! lost; a stale notification only causes one more try.

use core::ptr;
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

use crate::port::{Listener, NetError, Network, Socket};
use crate::rtos::{self, Notification, TaskHandle, TickType};

/// File descriptors above this are refused (the waiter table is static).
const MAX_FD: usize = 4096;

static EPOLL: AtomicI32 = AtomicI32::new(-1);
static WAITERS: [AtomicPtr<core::ffi::c_void>; MAX_FD] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_FD];

/// The simulator's network: host sockets.
pub struct HostNetwork;

/// Creates the epoll set; call once before the scheduler starts.
pub fn init() -> std::io::Result<()> {
    // SAFETY: plain system call.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    EPOLL.store(fd, Ordering::Release);
    Ok(())
}

/// Sleeps until a socket event is pending or a signal (the tick, SIGIO)
/// interrupts, without taking the events: the caller takes them with
/// [`take_events`] where nothing can preempt it between taking and notifying
/// (an event taken, then left unnotified by a preempted idle task, would be
/// lost: epoll is edge-triggered).
pub fn wait_for_events() {
    let mut fd = libc::pollfd {
        fd: EPOLL.load(Ordering::Acquire),
        events: libc::POLLIN,
        revents: 0,
    };
    if fd.fd >= 0 {
        // SAFETY: polls one descriptor we own.
        unsafe { libc::poll(&mut fd, 1, -1) };
    }
}

/// Takes the pending socket events and notifies the tasks waiting on them;
/// returns whether a task of higher priority than the interrupted one was
/// woken (interrupt context). Call with interrupts (signals) masked.
pub fn take_events() -> bool {
    let timeout_ms = 0;
    let epfd = EPOLL.load(Ordering::Acquire);
    let mut woken = false;
    if epfd < 0 {
        return woken;
    }
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 32];
    // SAFETY: the buffer holds 32 events.
    let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, timeout_ms) };
    for ev in events.iter().take(n.max(0) as usize) {
        let fd = ev.u64 as usize;
        if let Some(task) = WAITERS
            .get(fd)
            .and_then(|w| TaskHandle::from_ptr(w.load(Ordering::Acquire)))
        {
            woken |= task.notify(Notification::Io);
        }
    }
    woken
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn register(fd: i32) -> Result<(), NetError> {
    if fd as usize >= MAX_FD {
        // SAFETY: we own the descriptor.
        unsafe { libc::close(fd) };
        return Err(NetError::Exhausted);
    }
    // SAFETY: fcntl on a descriptor we own: O_ASYNC raises SIGIO for this
    // process when the socket changes state (see the module docs).
    unsafe {
        libc::fcntl(fd, libc::F_SETOWN, libc::getpid());
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC);
    }
    let mut ev = libc::epoll_event {
        events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
        u64: fd as u64,
    };
    // SAFETY: registers a descriptor we own.
    if unsafe {
        libc::epoll_ctl(
            EPOLL.load(Ordering::Acquire),
            libc::EPOLL_CTL_ADD,
            fd,
            &mut ev,
        )
    } < 0
    {
        let e = last_errno();
        // SAFETY: we own the descriptor.
        unsafe { libc::close(fd) };
        return Err(NetError::Other(e));
    }
    Ok(())
}

/// A system call's result: the count, or `Err(errno)`.
fn syscall(r: isize) -> Result<usize, i32> {
    if r >= 0 {
        Ok(r as usize)
    } else {
        Err(last_errno())
    }
}

/// Maps an errno to the port's error.
fn net_error(e: i32) -> NetError {
    match e {
        libc::ECONNRESET | libc::EPIPE | libc::ENOTCONN | libc::EBADF | libc::ECONNABORTED => {
            NetError::Closed
        }
        libc::ECONNREFUSED => NetError::Refused,
        libc::ENETUNREACH | libc::EHOSTUNREACH | libc::ENETDOWN | libc::EHOSTDOWN => {
            NetError::Unreachable
        }
        libc::ETIMEDOUT => NetError::TimedOut,
        libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM => NetError::Exhausted,
        other => NetError::Other(other),
    }
}

/// Runs `op` until it stops saying "would block" (`EAGAIN`), waiting for
/// readiness of `fd` between tries, for at most `timeout` ticks in all.
fn with_readiness(
    fd: i32,
    timeout: TickType,
    mut op: impl FnMut() -> Result<usize, i32>,
) -> Result<usize, NetError> {
    let Some(slot) = WAITERS.get(fd as usize) else {
        return Err(NetError::Closed);
    };
    slot.store(TaskHandle::current().as_ptr(), Ordering::Release);
    rtos::clear_notification(Notification::Io);
    let deadline = rtos::tick_count().saturating_add(timeout);
    let result = loop {
        match op() {
            Ok(n) => break Ok(n),
            Err(libc::EINTR) => continue,
            Err(e) if e != libc::EAGAIN && e != libc::EWOULDBLOCK => break Err(net_error(e)),
            Err(_would_block) => {}
        }
        let left = deadline.saturating_sub(rtos::tick_count());
        if left == 0 || !rtos::wait_notification(Notification::Io, left) {
            // One last try: the edge may have come with the timeout.
            break match op() {
                Ok(n) => Ok(n),
                Err(e) if e != libc::EAGAIN && e != libc::EWOULDBLOCK && e != libc::EINTR => {
                    Err(net_error(e))
                }
                Err(_) => Err(NetError::TimedOut),
            };
        }
    };
    slot.store(ptr::null_mut(), Ordering::Release);
    result
}

/// Sets `TCP_NODELAY`: requests and answers are small and latency-bound.
fn set_nodelay(fd: i32) {
    let one: libc::c_int = 1;
    // SAFETY: a socket option on a descriptor we own.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            core::mem::size_of::<libc::c_int>() as u32,
        )
    };
}

/// Deregisters and closes a descriptor at once (no lingering).
fn release(fd: i32) {
    // SAFETY: deregister and close a descriptor we own; no waiter remains.
    unsafe {
        libc::epoll_ctl(
            EPOLL.load(Ordering::Acquire),
            libc::EPOLL_CTL_DEL,
            fd,
            ptr::null_mut(),
        );
        libc::close(fd);
    }
    if let Some(slot) = WAITERS.get(fd as usize) {
        slot.store(ptr::null_mut(), Ordering::Release);
    }
}

/// Whether a non-blocking connect finished: `Ok` when connected, `EAGAIN`
/// while the handshake runs, the connect's errno when it failed.
fn connect_finished(fd: i32) -> Result<usize, i32> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: polls one descriptor we own, without waiting.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n < 0 {
        return Err(last_errno());
    }
    if n == 0 {
        return Err(libc::EAGAIN);
    }
    let mut err: libc::c_int = 0;
    let mut len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: SO_ERROR writes one int into `err`.
    if unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    } < 0
    {
        return Err(last_errno());
    }
    if err != 0 { Err(err) } else { Ok(0) }
}

/// glibc's asynchronous name lookup (`getaddrinfo_a`, in libc since 2.34):
/// it resolves on a helper thread of its own, with every signal blocked, so
/// the FreeRTOS task that asked only polls for the answer tick by tick.
mod gai {
    use core::ffi::{c_char, c_int};

    /// `struct gaicb` of `<netdb.h>`.
    #[repr(C)]
    pub struct GaiCb {
        pub ar_name: *const c_char,
        pub ar_service: *const c_char,
        pub ar_request: *const libc::addrinfo,
        pub ar_result: *mut libc::addrinfo,
        pub ret: c_int,
        pub reserved: [c_int; 5],
    }

    pub const GAI_NOWAIT: c_int = 1;
    pub const EAI_INPROGRESS: c_int = -100;
    pub const EAI_ALLDONE: c_int = -103;

    unsafe extern "C" {
        pub fn getaddrinfo_a(
            mode: c_int,
            list: *mut *mut GaiCb,
            nitems: c_int,
            sevp: *mut libc::sigevent,
        ) -> c_int;
        pub fn gai_error(req: *mut GaiCb) -> c_int;
        pub fn gai_cancel(req: *mut GaiCb) -> c_int;
    }

    /// What a lookup keeps alive while glibc's helper thread works on it.
    pub struct Lookup {
        pub name: std::ffi::CString,
        pub hints: libc::addrinfo,
        pub cb: GaiCb,
    }
}

/// Resolves `host` to an IPv4 address without blocking the scheduler.
fn resolve_name(host: &str, timeout: TickType) -> Result<[u8; 4], NetError> {
    use std::boxed::Box;
    let name = std::ffi::CString::new(host).map_err(|_| NetError::HostNotFound)?;
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut hints: libc::addrinfo = unsafe { core::mem::zeroed() };
    hints.ai_family = libc::AF_INET;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut lookup = Box::new(gai::Lookup {
        name,
        hints,
        cb: gai::GaiCb {
            ar_name: ptr::null(),
            ar_service: ptr::null(),
            ar_request: ptr::null(),
            ar_result: ptr::null_mut(),
            ret: 0,
            reserved: [0; 5],
        },
    });
    lookup.cb.ar_name = lookup.name.as_ptr();
    lookup.cb.ar_request = &lookup.hints;
    let mut list = [&mut lookup.cb as *mut gai::GaiCb];
    // SAFETY: the request and everything it points to live in `lookup`,
    // which outlives the lookup (or is leaked if it cannot be cancelled).
    let started =
        unsafe { gai::getaddrinfo_a(gai::GAI_NOWAIT, list.as_mut_ptr(), 1, ptr::null_mut()) };
    if started != 0 {
        return Err(NetError::Exhausted);
    }
    let deadline = rtos::tick_count().saturating_add(timeout);
    loop {
        // SAFETY: the request was submitted above and is still alive.
        let status = unsafe { gai::gai_error(&mut lookup.cb) };
        if status == 0 {
            break;
        }
        if status != gai::EAI_INPROGRESS {
            return Err(NetError::HostNotFound);
        }
        if rtos::tick_count() >= deadline {
            // SAFETY: as above.
            let cancelled = unsafe { gai::gai_cancel(&mut lookup.cb) };
            // SAFETY: as above.
            if cancelled != gai::EAI_ALLDONE
                && unsafe { gai::gai_error(&mut lookup.cb) } == gai::EAI_INPROGRESS
            {
                // glibc's thread still writes into it: leak it rather than
                // free memory under it (a few hundred bytes per timed-out lookup).
                Box::leak(lookup);
            }
            return Err(NetError::TimedOut);
        }
        rtos::delay(1);
    }
    let mut found = None;
    let mut ai = lookup.cb.ar_result;
    while !ai.is_null() {
        // SAFETY: glibc's result list, walked until its end.
        let entry = unsafe { &*ai };
        if entry.ai_family == libc::AF_INET && !entry.ai_addr.is_null() {
            // SAFETY: an AF_INET entry's address is a sockaddr_in.
            let sa = unsafe { &*entry.ai_addr.cast::<libc::sockaddr_in>() };
            found = Some(u32::from_be(sa.sin_addr.s_addr).to_be_bytes());
            break;
        }
        ai = entry.ai_next;
    }
    if !lookup.cb.ar_result.is_null() {
        // SAFETY: the list glibc allocated for this request, freed once.
        unsafe { libc::freeaddrinfo(lookup.cb.ar_result) };
    }
    found.ok_or(NetError::HostNotFound)
}

fn socket_addr(addr: [u8; 4], port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes(addr).to_be(),
        },
        sin_zero: [0; 8],
    }
}

impl Network for HostNetwork {
    fn listen(&self, addr: [u8; 4], port: u16) -> Result<Listener, NetError> {
        // SAFETY: plain socket calls on a descriptor we own.
        unsafe {
            let fd = libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if fd < 0 {
                return Err(NetError::Other(last_errno()));
            }
            let one: libc::c_int = 1;
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                (&one as *const libc::c_int).cast(),
                core::mem::size_of::<libc::c_int>() as u32,
            );
            let sa = socket_addr(addr, port);
            if libc::bind(
                fd,
                (&sa as *const libc::sockaddr_in).cast(),
                core::mem::size_of_val(&sa) as u32,
            ) < 0
                || libc::listen(fd, 128) < 0
            {
                let e = last_errno();
                libc::close(fd);
                return Err(if e == libc::EADDRINUSE || e == libc::EADDRNOTAVAIL {
                    NetError::AddrUnavailable
                } else {
                    NetError::Other(e)
                });
            }
            register(fd)?;
            Ok(Listener(fd as u32))
        }
    }

    fn peer_addr(&self, socket: Socket) -> Option<[u8; 4]> {
        let mut sa = socket_addr([0; 4], 0);
        let mut len = core::mem::size_of_val(&sa) as libc::socklen_t;
        // SAFETY: getpeername writes at most `len` bytes into `sa`.
        let r = unsafe {
            libc::getpeername(
                socket.0 as i32,
                (&mut sa as *mut libc::sockaddr_in).cast(),
                &mut len,
            )
        };
        (r == 0 && sa.sin_family == libc::AF_INET as libc::sa_family_t)
            .then(|| sa.sin_addr.s_addr.to_ne_bytes())
    }

    fn local_port(&self, listener: Listener) -> u16 {
        let mut sa = socket_addr([0; 4], 0);
        let mut len = core::mem::size_of_val(&sa) as libc::socklen_t;
        // SAFETY: getsockname writes at most `len` bytes into `sa`.
        unsafe {
            libc::getsockname(
                listener.0 as i32,
                (&mut sa as *mut libc::sockaddr_in).cast(),
                &mut len,
            )
        };
        u16::from_be(sa.sin_port)
    }

    fn accept(&self, listener: Listener, timeout: TickType) -> Result<Socket, NetError> {
        let lfd = listener.0 as i32;
        // SAFETY: accept4 on our listening descriptor.
        let fd = with_readiness(lfd, timeout, || {
            syscall(unsafe {
                libc::accept4(
                    lfd,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                ) as isize
            })
        })? as i32;
        set_nodelay(fd);
        register(fd)?;
        Ok(Socket(fd as u32))
    }

    fn recv(&self, socket: Socket, buf: &mut [u8], timeout: TickType) -> Result<usize, NetError> {
        let fd = socket.0 as i32;
        // SAFETY: recv writes at most `buf.len()` bytes into `buf`.
        with_readiness(fd, timeout, || {
            syscall(unsafe {
                libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
            })
        })
    }

    fn send(&self, socket: Socket, buf: &[u8], timeout: TickType) -> Result<usize, NetError> {
        let fd = socket.0 as i32;
        // SAFETY: send reads at most `buf.len()` bytes from `buf`.
        with_readiness(fd, timeout, || {
            syscall(unsafe {
                libc::send(
                    fd,
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            })
        })
    }

    fn connect(&self, addr: [u8; 4], port: u16, timeout: TickType) -> Result<Socket, NetError> {
        // SAFETY: a new descriptor we own.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return Err(net_error(last_errno()));
        }
        set_nodelay(fd);
        // Registered before connecting, so the edge of the handshake's end
        // cannot come before epoll watches the socket.
        register(fd)?;
        let sa = socket_addr(addr, port);
        // SAFETY: `sa` is a valid sockaddr_in of the given length.
        let r = unsafe {
            libc::connect(
                fd,
                (&sa as *const libc::sockaddr_in).cast(),
                core::mem::size_of_val(&sa) as u32,
            )
        };
        if r < 0 {
            let e = last_errno();
            let waited = if e == libc::EINPROGRESS {
                with_readiness(fd, timeout, || connect_finished(fd))
            } else {
                Err(net_error(e))
            };
            if let Err(e) = waited {
                release(fd);
                return Err(e);
            }
        }
        Ok(Socket(fd as u32))
    }

    fn resolve(&self, host: &str, timeout: TickType) -> Result<[u8; 4], NetError> {
        match crate::port::resolve_literal(host) {
            Some(addr) => Ok(addr),
            None => resolve_name(host, timeout),
        }
    }

    fn close(&self, socket: Socket) {
        let fd = socket.0 as i32;
        // Lingering close: stop sending, then read and drop what the client
        // still sends for a moment, so that closing with unread input does
        // not reset the connection before the client has read our answer.
        // SAFETY: shutdown on our descriptor.
        unsafe { libc::shutdown(fd, libc::SHUT_WR) };
        let mut scratch = [0u8; 1024];
        let deadline = rtos::tick_count().saturating_add(rtos::ms_to_ticks(200));
        loop {
            let left = deadline.saturating_sub(rtos::tick_count());
            match self.recv(socket, &mut scratch, left) {
                Ok(n) if n > 0 && left > 0 => continue,
                _ => break,
            }
        }
        release(fd);
    }
}
