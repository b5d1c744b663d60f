//! The `log` sink: leveled lines with a timestamp and a subsystem tag.
//!
//! A line looks like `[   12.345] INFO  http: listening on port 8080`: seconds
//! since boot (from the kernel tick), the level, the record's target (each
//! subsystem logs with its own short target: `http`, `js`, `net`, ...), the
//! message. Lines go to the port's console in one write each and, once the
//! composition root calls [`Logger::enable_ring`], into a ring buffer of the
//! last lines that the admin API serves (`GET /_isere/logs`, see
//! [`Logger::read_ring`]). The ring comes from the heap, so a board that
//! does not serve the admin API pays nothing.
//!
//! The [`Logger`] is the device's log sink: a binary's composition root
//! owns it (a `static`), [`register`]s it with the `log` crate (whose
//! facade is global by design) and hands it to the admin API.

use alloc::string::String;
use core::cell::UnsafeCell;
use core::fmt::Write as _;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::port::Console;

/// The log sink: the console, and the ring of recent lines once enabled.
pub struct Logger {
    console: &'static dyn Console,
    /// Only touched inside kernel critical sections.
    ring: UnsafeCell<Option<Ring>>,
}

// SAFETY: `ring` is only read or written inside `rtos::critical`; the
// console is `Sync`.
unsafe impl Sync for Logger {}

impl Logger {
    /// A sink writing to `console`, without a ring yet.
    pub const fn new(console: &'static dyn Console) -> Logger {
        Logger {
            console,
            ring: UnsafeCell::new(None),
        }
    }

    /// Keeps the last `bytes` bytes of log lines for [`Logger::read_ring`]
    /// (replacing a ring kept before).
    pub fn enable_ring(&self, bytes: usize) {
        let ring = Ring::new(bytes);
        // SAFETY: inside a critical section (see `ring`).
        let old = crate::rtos::critical(|| unsafe { (*self.ring.get()).replace(ring) });
        drop(old);
    }

    fn ring_append(&self, bytes: &[u8]) {
        // A copy of one line under a critical section: short, and safe from
        // any task (log lines are never written from interrupts).
        // SAFETY: inside a critical section (see `ring`).
        crate::rtos::critical(|| unsafe {
            if let Some(ring) = (*self.ring.get()).as_mut() {
                ring.push(bytes);
            }
        })
    }

    /// The bytes logged after cursor `since` that are still in the ring
    /// (from the next whole line when older bytes were overwritten), and the
    /// cursor to ask with next time (`since = 0`: everything kept). Empty
    /// when no ring was enabled.
    pub fn read_ring(&self, since: u64) -> (alloc::vec::Vec<u8>, u64) {
        // SAFETY: inside a critical section (see `ring`).
        crate::rtos::critical(|| unsafe {
            match (*self.ring.get()).as_ref() {
                Some(ring) => ring.read(since),
                None => (alloc::vec::Vec::new(), 0),
            }
        })
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // 0 until the scheduler starts the tick.
        let ms = crate::rtos::ticks_to_ms(crate::rtos::tick_count());
        let mut line = String::with_capacity(96);
        let _ = write!(
            line,
            "[{:>5}.{:03}] {:<5} {}: {}",
            ms / 1000,
            ms % 1000,
            level_name(record.level()),
            record.target(),
            record.args()
        );
        self.console.write_line(&line);
        line.push('\n');
        self.ring_append(line.as_bytes());
    }

    fn flush(&self) {}
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

/// The ring size the simulator uses: 8 KiB of lines.
pub const RING_BYTES: usize = 8 * 1024;

/// The last bytes logged; `written` counts every byte ever logged, so a
/// reader's cursor says what it has already seen.
struct Ring {
    buf: alloc::vec::Vec<u8>,
    written: u64,
}

impl Ring {
    fn new(bytes: usize) -> Ring {
        Ring {
            buf: alloc::vec![0; bytes.max(1)],
            written: 0,
        }
    }

    fn at(&self, i: u64) -> usize {
        (i % self.buf.len() as u64) as usize
    }

    fn push(&mut self, bytes: &[u8]) {
        let skip = bytes.len().saturating_sub(self.buf.len());
        for &b in &bytes[skip..] {
            let at = self.at(self.written);
            self.buf[at] = b;
            self.written += 1;
        }
    }

    fn read(&self, since: u64) -> (alloc::vec::Vec<u8>, u64) {
        let oldest = self.written.saturating_sub(self.buf.len() as u64);
        let start = since.clamp(oldest, self.written);
        let mut out: alloc::vec::Vec<u8> = (start..self.written)
            .map(|i| self.buf[self.at(i)])
            .collect();
        // Bytes were overwritten: start at the next whole line.
        if since < oldest
            && let Some(nl) = out.iter().position(|&b| b == b'\n')
        {
            out.drain(..=nl);
        }
        (out, self.written)
    }
}

/// Parses `error`, `warn`, `info`, `debug`, `trace` or `off`.
pub fn parse_level(s: &str) -> Option<LevelFilter> {
    Some(match s {
        "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        "trace" => LevelFilter::Trace,
        _ => return None,
    })
}

/// Makes `logger` the sink of the `log` facade at `level`; call once,
/// before the scheduler starts.
pub fn register(logger: &'static Logger, level: LevelFilter) {
    // SAFETY: called once from the start-up thread before any task exists.
    let _ = unsafe { log::set_logger_racy(logger) };
    set_level(level);
}

/// Changes the level at run time (e.g. from a configuration change).
pub fn set_level(level: LevelFilter) {
    // SAFETY: a plain store of the level; readers tolerate any value.
    unsafe { log::set_max_level_racy(level) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_lines() {
        let mut ring = Ring::new(RING_BYTES);
        ring.push(b"first\n");
        ring.push(b"second\n");
        let (text, next) = ring.read(0);
        assert_eq!(text, b"first\nsecond\n");
        assert_eq!(ring.read(next).0, b"");
        ring.push(&alloc::vec![b'x'; RING_BYTES]);
        ring.push(b"\nlast\n");
        let (text, _) = ring.read(0);
        assert_eq!(text, b"last\n", "a partial line is dropped");
    }

    #[test]
    fn levels_parse() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level("loud"), None);
    }
}
