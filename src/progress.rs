//! The progress line `convert` and `validate` draw on a terminal, one
//! place for both so they look alike: a count on standard error, redrawn at
//! most every 200 ms (drawing costs a syscall; a busy loop would pay it per
//! item), and cleared before anything else is printed there, so that a
//! message never lands in the middle of it.

use std::time::{Duration, Instant};

/// A progress line counting `what` (`posts read`, `messages checked`).
pub(crate) struct Progress {
    on: bool,
    what: &'static str,
    last: Instant,
    drawn: bool,
}

impl Progress {
    /// A line that is drawn only when `on` (standard error is a terminal
    /// and the user did not ask for quiet).
    pub(crate) fn new(on: bool, what: &'static str) -> Progress {
        Progress { on, what, last: Instant::now(), drawn: false }
    }

    /// Redraws the line with `count`, unless it was drawn less than 200 ms ago.
    pub(crate) fn tick(&mut self, count: u64) {
        if self.on && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            self.drawn = true;
            eprint!("\rtgnorm: {} {}…", thousands(count), self.what);
        }
    }

    /// Erases the line if it is on the screen.
    pub(crate) fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            eprint!("\r\x1b[2K");
        }
    }
}

/// `n` with a comma between groups of three digits (`1,234,567`).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn groups_of_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
