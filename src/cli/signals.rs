//! SIGINT and SIGTERM for the commands that write: the first one asks for a clean stop (the
//! writes in flight finish, nothing new starts), a second one quits at once.

use super::print_err;

/// Waits for the first signal and calls `stop` with it, saying `message`; on a second signal
/// exits with 130.
pub(crate) async fn stop_on_signals(stop: impl FnOnce(), message: &str) {
    if !wait_signal().await {
        return;
    }
    stop();
    print_err(message);
    if wait_signal().await {
        print_err("quitting at once: run `telform plan` to see what was applied\n");
        std::process::exit(130);
    }
}

/// The next SIGINT (Ctrl-C) or SIGTERM (systemd's stop, CI's cancel); false when signals cannot
/// be listened to.
async fn wait_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = term.recv() => r.is_some(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
