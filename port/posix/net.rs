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

/// Runs `op` until it stops saying "would block", waiting for readiness of
/// `fd` between tries, for at most `timeout` ticks in all.
fn with_readiness(
    fd: i32,
    timeout: TickType,
    mut op: impl FnMut() -> isize,
) -> Result<usize, NetError> {
    let Some(slot) = WAITERS.get(fd as usize) else {
        return Err(NetError::Closed);
    };
    slot.store(TaskHandle::current().as_ptr(), Ordering::Release);
    rtos::clear_notification(Notification::Io);
    let deadline = rtos::tick_count().saturating_add(timeout);
    let result = loop {
        let r = op();
        if r >= 0 {
            break Ok(r as usize);
        }
        let e = last_errno();
        if e == libc::EINTR {
            continue;
        }
        if e != libc::EAGAIN && e != libc::EWOULDBLOCK {
            break Err(match e {
                libc::ECONNRESET | libc::EPIPE | libc::ENOTCONN | libc::EBADF => NetError::Closed,
                libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM => NetError::Exhausted,
                other => NetError::Other(other),
            });
        }
        let left = deadline.saturating_sub(rtos::tick_count());
        if left == 0 || !rtos::wait_notification(Notification::Io, left) {
            // One last try: the edge may have come with the timeout.
            let r = op();
            break if r >= 0 {
                Ok(r as usize)
            } else {
                Err(NetError::TimedOut)
            };
        }
    };
    slot.store(ptr::null_mut(), Ordering::Release);
    result
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
        let fd = with_readiness(lfd, timeout, || unsafe {
            libc::accept4(
                lfd,
                ptr::null_mut(),
                ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ) as isize
        })? as i32;
        let one: libc::c_int = 1;
        // SAFETY: a socket option on the new descriptor.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&one as *const libc::c_int).cast(),
                core::mem::size_of::<libc::c_int>() as u32,
            )
        };
        register(fd)?;
        Ok(Socket(fd as u32))
    }

    fn recv(&self, socket: Socket, buf: &mut [u8], timeout: TickType) -> Result<usize, NetError> {
        let fd = socket.0 as i32;
        // SAFETY: recv writes at most `buf.len()` bytes into `buf`.
        with_readiness(fd, timeout, || unsafe {
            libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT)
        })
    }

    fn send(&self, socket: Socket, buf: &[u8], timeout: TickType) -> Result<usize, NetError> {
        let fd = socket.0 as i32;
        // SAFETY: send reads at most `buf.len()` bytes from `buf`.
        with_readiness(fd, timeout, || unsafe {
            libc::send(
                fd,
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        })
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
}
