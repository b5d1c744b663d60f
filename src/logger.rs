//! The `log` sink: leveled lines with a timestamp and a subsystem tag.
//!
//! A line looks like `[   12.345] INFO  http: listening on port 8080`: seconds
//! since boot (from the kernel tick), the level, the record's target (each
//! subsystem logs with its own short target: `http`, `js`, `net`, ...), the
//! message. Lines go to the port's console in one write each.

use alloc::string::String;
use core::fmt::Write as _;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::port::Console;

struct Logger {
    console: &'static dyn Console,
}

static mut LOGGER: Option<Logger> = None;

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

/// Installs the logger writing to `console`; call once, before the scheduler
/// starts.
pub fn init(console: &'static dyn Console, level: LevelFilter) {
    // SAFETY: called once from the start-up thread before any task exists,
    // so nothing reads LOGGER concurrently; afterwards it is only read.
    unsafe {
        let slot = &mut *core::ptr::addr_of_mut!(LOGGER);
        *slot = Some(Logger { console });
        if let Some(logger) = slot.as_ref() {
            let _ = log::set_logger_racy(logger);
        }
    }
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
    fn levels_parse() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level("loud"), None);
    }
}
