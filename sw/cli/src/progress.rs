//! The progress bar every long command draws on standard error (`--no-progress` silences it):
//! one line, redrawn in place at most ten times a second, cleared when the work ends.

use std::io::Write;
use std::time::{Duration, Instant};

/// Cells of the bar.
const WIDTH: usize = 30;
/// The least time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);

pub struct Bar {
    enabled: bool,
    drawn: Option<Instant>,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        Bar {
            enabled,
            drawn: None,
        }
    }

    /// Shows `label [###...] done/total unit extra`; the last step is always drawn.
    pub fn draw(&mut self, label: &str, done: u64, total: u64, unit: &str, extra: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if done < total && self.drawn.is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.drawn = Some(now);
        let filled = (done.min(total) as u128 * WIDTH as u128 / total.max(1) as u128) as usize;
        let mut stderr = std::io::stderr();
        // A failed write to the terminal must not stop the work.
        let _ = write!(
            stderr,
            "\r{label} [{}{}] {done}/{total} {unit} {extra}  ",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled)
        );
        let _ = stderr.flush();
    }

    /// Removes the bar's line.
    pub fn clear(&mut self) {
        if self.enabled && self.drawn.take().is_some() {
            let _ = write!(std::io::stderr(), "\r{:78}\r", "");
        }
    }
}
