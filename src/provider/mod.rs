//! The providers: configuration, HTTP clients and reading live state. The clients speak the
//! real wire contracts (`crate::wire`); they never decide what to change.

// A provider error carries everything a user needs to act on it (operation, status, code,
// message, tracking id, hint); errors are rare, so their size on the stack does not matter.
#![allow(clippy::result_large_err)]

pub mod acg;
pub mod config;
pub mod http;
pub mod webex;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::ProviderName;

/// Counts of the calls a provider client made, for `--stats` and the benchmarks.
#[derive(Debug, Default)]
pub struct CallStats {
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub retries: AtomicU64,
    /// Of the reads: the prechecks a plan asks (`validateMacs`, the wholesale `validate`
    /// endpoints), which change nothing but are calls all the same.
    pub prechecks: AtomicU64,
    /// Answers `429 Too Many Requests` (each also counts as a read or write, and its retry as
    /// a retry), for watch's metrics.
    pub throttled: AtomicU64,
}

impl CallStats {
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
        )
    }

    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Counts an answer's status where it matters (a 429).
    pub fn answered(&self, status: reqwest::StatusCode) {
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What every provider client offers to the commands.
pub trait Provider {
    fn name(&self) -> ProviderName;
    fn stats(&self) -> &CallStats;
}
