//! The pace a transfer must keep: a grace period, then a minimum rate.
//!
//! A client that sends its body (or takes its answer) slower than that is
//! cut off however its bytes are spread: each wait is what is left of the
//! transfer's overall allowance, never a fresh timeout per read, so a byte
//! every few seconds cannot hold a connection task for long.

use crate::rtos::{self, TickType};

/// A point in time as a start and a length, so that it survives the tick
/// counter wrapping (every ~49 days at 1 kHz on a 32-bit board).
#[derive(Clone, Copy)]
pub(super) struct Deadline {
    started: TickType,
    ticks: TickType,
}

impl Deadline {
    /// `ms` from now.
    pub(super) fn after_ms(ms: u32) -> Deadline {
        Deadline {
            started: rtos::tick_count(),
            ticks: rtos::ms_to_ticks(ms.into()),
        }
    }

    /// Ticks left; `None` once passed.
    pub(super) fn left(&self) -> Option<TickType> {
        let elapsed = rtos::tick_count().wrapping_sub(self.started);
        self.ticks.checked_sub(elapsed).filter(|&t| t > 0)
    }
}

/// One transfer's allowance (see the module docs).
pub(super) struct Pace {
    started: TickType,
    grace_ms: u64,
    min_bytes_per_second: u64,
    done: u64,
}

impl Pace {
    /// A transfer starting now: `grace_ms`, then at least
    /// `min_bytes_per_second` on average.
    pub(super) fn start(grace_ms: u32, min_bytes_per_second: u32) -> Pace {
        Pace {
            started: rtos::tick_count(),
            grace_ms: u64::from(grace_ms),
            min_bytes_per_second: u64::from(min_bytes_per_second.max(1)),
            done: 0,
        }
    }

    /// Counts `bytes` more transferred.
    pub(super) fn advance(&mut self, bytes: usize) {
        self.done = self.done.saturating_add(bytes as u64);
    }

    /// How long the next wait may be; `None` once the transfer is late.
    pub(super) fn wait(&self) -> Option<TickType> {
        let allowed_ms = self
            .grace_ms
            .saturating_add(self.done.saturating_mul(1000) / self.min_bytes_per_second);
        Deadline {
            started: self.started,
            ticks: rtos::ms_to_ticks(allowed_ms),
        }
        .left()
    }
}

#[cfg(all(test, feature = "port-posix"))]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_grows_with_the_bytes_and_runs_out() {
        crate::rtos::testing::run(c"pace", || {
            let mut pace = Pace::start(100, 1000);
            let first = pace.wait().expect("within the grace");
            assert!(first <= rtos::ms_to_ticks(100), "{first}");
            pace.advance(500);
            let more = pace.wait().expect("half a second more");
            assert!(more > rtos::ms_to_ticks(500), "{more}");
            let mut late = Pace::start(50, 1000);
            rtos::delay(rtos::ms_to_ticks(80));
            assert_eq!(late.wait(), None, "past the grace with nothing done");
            late.advance(1000);
            assert!(late.wait().is_some(), "a second's worth of bytes buys time");
        });
    }
}
