//! A sliding-minute request budget: ACG allows 100 requests per minute across all calls. The
//! emulator enforces it; the ACG client keeps under it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `limit` requests in any sliding minute.
#[derive(Debug)]
pub struct RateWindow {
    limit: u32,
    recent: VecDeque<Instant>,
}

impl RateWindow {
    pub fn new(limit: u32) -> RateWindow {
        RateWindow {
            limit,
            recent: VecDeque::new(),
        }
    }

    /// Counts a request; when over the limit, returns how long until one is allowed.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let minute = Duration::from_secs(60);
        while self.recent.front().is_some_and(|t| now.duration_since(*t) >= minute) {
            self.recent.pop_front();
        }
        if self.recent.len() as u32 >= self.limit {
            let oldest = *self.recent.front().expect("non-empty when at the limit");
            return Err(minute - now.duration_since(oldest));
        }
        self.recent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_admits_the_limit_per_minute() {
        let mut w = RateWindow::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(w.admit(t0).is_ok());
        }
        let wait = w.admit(t0 + Duration::from_secs(10)).expect_err("over the limit");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(w.admit(t0 + Duration::from_secs(60)).is_ok());
    }
}
