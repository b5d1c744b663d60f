//! The pool of connection tasks. It is created at start (its size is
//! `server.max_connections`, at most the port's ceiling); each task serves
//! one accepted connection at a time, for as long as the client keeps it
//! alive.
//!
//! The pool changes size while the server runs (a configuration pushed over
//! the air): growing spawns the missing tasks at once; shrinking retires
//! idle tasks at once and busy ones when their connection ends (never in
//! the middle of a request). A retired task's reply queue is kept for the
//! next task spawned (a late reply from the JS task may still arrive in
//! it), so resizing back and forth does not leak.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;

use super::connection::{Worker, connection_task};
use super::{Job, ReplyQueue, Shared, TAG};
use crate::port::Socket;
use crate::rtos::{self, OutOfMemory, Queue, WAIT_FOREVER};

/// Words of the JS task a connection's queue holds: an exchange has at most
/// a pull, a piece and an end or reply outstanding at once.
const REPLY_QUEUE_LEN: usize = 4;

/// The pool's counts, changed together inside kernel critical sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Connection tasks alive.
    pub tasks: usize,
    /// Those waiting for a connection.
    pub idle: usize,
    /// The size the pool is going to (`max_connections` now).
    pub target: usize,
}

/// The pool's shared state.
pub(super) struct Pool {
    ceiling: usize,
    /// Sized for the ceiling: a job is sent only to a claimed idle task, so
    /// it never holds more than the pool has tasks.
    pub(super) work: Queue<Job>,
    counts: UnsafeCell<PoolCounts>,
    /// Reply queues of retired tasks, in kernel critical sections. Its
    /// capacity is the ceiling: pushing never allocates.
    spare_replies: UnsafeCell<Vec<ReplyQueue>>,
    /// Connections held per client address, in kernel critical sections.
    /// Its capacity is the ceiling (no more addresses than busy tasks):
    /// admitting never allocates.
    clients: UnsafeCell<Vec<([u8; 4], usize)>>,
}

/// Why the acceptor answers a connection itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Turned {
    /// Every connection task is busy.
    Busy,
    /// The client's address holds its share of the pool already.
    ClientCap,
}

// SAFETY: `counts`, `spare_replies` and `clients` are only touched inside kernel
// critical sections; the queue is kernel-synchronised.
unsafe impl Sync for Pool {}

impl Pool {
    pub(super) fn new(ceiling: usize) -> Result<Pool, OutOfMemory> {
        Ok(Pool {
            ceiling,
            work: Queue::new(ceiling)?,
            counts: UnsafeCell::new(PoolCounts::default()),
            spare_replies: UnsafeCell::new(Vec::with_capacity(ceiling)),
            clients: UnsafeCell::new(Vec::with_capacity(ceiling)),
        })
    }

    /// Runs `f` on the pool's counts inside a critical section.
    fn with<R>(&self, f: impl FnOnce(&mut PoolCounts) -> R) -> R {
        // SAFETY: exclusive inside the critical section.
        rtos::critical(|| f(unsafe { &mut *self.counts.get() }))
    }

    /// The counts now.
    pub(super) fn counts(&self) -> PoolCounts {
        self.with(|p| *p)
    }

    /// Claims an idle connection task, if any.
    fn claim_idle(&self) -> bool {
        self.with(|p| {
            let claimed = p.idle > 0;
            if claimed {
                p.idle -= 1;
            }
            claimed
        })
    }

    /// The calling task, between connections, is idle again.
    pub(super) fn release_idle(&self) {
        self.with(|p| p.idle += 1);
    }

    /// Whether the calling task, between connections, should end because
    /// the pool is over its size (it is then no longer counted).
    pub(super) fn retire_if_surplus(&self) -> bool {
        self.with(|p| {
            let retire = p.tasks > p.target;
            if retire {
                p.tasks -= 1;
            }
            retire
        })
    }

    /// Counts one more connection from `addr`, unless it holds `cap`
    /// already (0: no cap).
    fn admit(&self, addr: [u8; 4], cap: usize) -> bool {
        rtos::critical(|| {
            // SAFETY: exclusive inside the critical section.
            let clients = unsafe { &mut *self.clients.get() };
            let room = clients.len() < clients.capacity();
            match clients.iter_mut().find(|(a, _)| *a == addr) {
                Some((_, n)) if cap > 0 && *n >= cap => false,
                Some((_, n)) => {
                    *n += 1;
                    true
                }
                // Room is certain: one entry per busy task at most.
                None if room => {
                    clients.push((addr, 1));
                    true
                }
                None => false,
            }
        })
    }

    /// A connection from `addr` has ended.
    pub(super) fn leave(&self, addr: [u8; 4]) {
        rtos::critical(|| {
            // SAFETY: exclusive inside the critical section.
            let clients = unsafe { &mut *self.clients.get() };
            if let Some(i) = clients.iter().position(|(a, _)| *a == addr) {
                clients[i].1 -= 1;
                if clients[i].1 == 0 {
                    clients.swap_remove(i);
                }
            }
        })
    }

    /// Keeps the reply queue of a retired task (`Some`), or takes one back.
    pub(super) fn spare_reply(&self, keep: Option<ReplyQueue>) -> Option<ReplyQueue> {
        rtos::critical(|| {
            // SAFETY: exclusive inside the critical section.
            let spares = unsafe { &mut *self.spare_replies.get() };
            match keep {
                // Full only after a retire raced a spawn: the queue stays
                // allocated (a late reply may still arrive), unused.
                Some(spare) if spares.len() < spares.capacity() => {
                    spares.push(spare);
                    None
                }
                Some(_) => None,
                None => spares.pop(),
            }
        })
    }
}

impl Shared {
    /// Hands `socket` to an idle connection task; says why not when all
    /// are busy or its client holds its share already.
    pub(super) fn hand_over(&self, socket: Socket) -> Result<(), Turned> {
        if !self.pool.claim_idle() {
            return Err(Turned::Busy);
        }
        let peer = self.services.net.peer_addr(socket);
        if let Some(addr) = peer {
            let cap = self.running.limits().max_connections_per_client();
            if !self.pool.admit(addr, cap) {
                self.pool.release_idle();
                return Err(Turned::ClientCap);
            }
        }
        if let Err(job) = self
            .pool
            .work
            .send(Box::new(Job::Serve(socket, peer)), WAIT_FOREVER)
            && let Job::Serve(s, peer) = *job
        {
            self.services.net.close(s);
            if let Some(addr) = peer {
                self.pool.leave(addr);
            }
        }
        Ok(())
    }

    /// Spawns one connection task (already counted in the pool's tasks).
    fn spawn_worker(&'static self) -> Result<(), OutOfMemory> {
        let replies = match self.pool.spare_reply(None) {
            Some(spare) => spare,
            // Kept for the pool's life (see the module docs).
            None => ReplyQueue {
                queue: Box::leak(Box::new(Queue::new(REPLY_QUEUE_LEN)?)),
                seq: 0,
            },
        };
        let spawned = rtos::spawn(
            c"http-conn",
            self.sizes.stack_words,
            self.sizes.priority,
            move || connection_task(Worker::new(self, replies)),
        );
        spawned.map(|_| ())
    }

    /// Grows or shrinks the pool towards `wanted` (see the module docs);
    /// returns the tasks it has then.
    pub(super) fn resize(&'static self, wanted: usize) -> usize {
        let target = wanted.clamp(1, self.pool.ceiling.max(1));
        self.pool.with(|p| p.target = target);
        loop {
            let grow = self.pool.with(|p| {
                let grow = p.tasks < p.target;
                if grow {
                    p.tasks += 1;
                }
                grow
            });
            if !grow {
                break;
            }
            if self.spawn_worker().is_err() {
                let tasks = self.pool.with(|p| {
                    p.tasks -= 1;
                    p.tasks
                });
                log::warn!(target: TAG, "out of memory for connection tasks: {tasks} of {target}");
                break;
            }
        }
        loop {
            let retire = self.pool.with(|p| {
                let retire = p.tasks > p.target && p.idle > 0;
                if retire {
                    p.idle -= 1;
                    p.tasks -= 1;
                }
                retire
            });
            if !retire {
                break;
            }
            // Room is certain: the queue holds one job per claimed idle task.
            if self
                .pool
                .work
                .send(Box::new(Job::Retire), WAIT_FOREVER)
                .is_err()
            {
                self.pool.with(|p| {
                    p.idle += 1;
                    p.tasks += 1;
                });
                break;
            }
        }
        self.pool.counts().tasks
    }
}
