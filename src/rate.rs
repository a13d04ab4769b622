//! A sliding-minute request budget: ACG allows 100 requests per minute across all calls. The
//! emulator enforces it; the ACG client keeps under it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `limit` requests in any sliding minute.
#[derive(Debug)]
pub struct RateWindow {
    limit: u32,
    window: Duration,
    recent: VecDeque<Instant>,
}

impl RateWindow {
    pub fn new(limit: u32) -> RateWindow {
        RateWindow {
            limit,
            window: Duration::from_secs(60),
            recent: VecDeque::new(),
        }
    }

    /// A client's budget: the window is `margin` longer than the server's minute, because a
    /// request reaches the server some time after the client counted it, and not always the
    /// same time. Counted to the exact minute, the limit+1-th request can arrive less than a
    /// minute after the first one and be refused.
    pub fn with_margin(limit: u32, margin: Duration) -> RateWindow {
        RateWindow {
            limit,
            window: Duration::from_secs(60) + margin,
            recent: VecDeque::new(),
        }
    }

    /// Counts a request; when over the limit, returns how long until one is allowed.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let minute = self.window;
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

    #[test]
    fn a_client_window_keeps_a_margin() {
        let mut w = RateWindow::with_margin(1, Duration::from_secs(2));
        let t0 = Instant::now();
        assert!(w.admit(t0).is_ok());
        assert_eq!(w.admit(t0 + Duration::from_secs(60)), Err(Duration::from_secs(2)));
        assert!(w.admit(t0 + Duration::from_secs(62)).is_ok());
    }
}
