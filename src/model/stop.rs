//! The cancel flag: Ctrl-C during apply.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Ctrl-C: the writes in flight finish, nothing new starts.
///
/// Set by the commands (`cli`, `watch`), read by apply between actions and by the provider
/// clients inside their waits (a retry's backoff, the rate-limit gate); it lives here so that
/// the providers need not import apply.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
