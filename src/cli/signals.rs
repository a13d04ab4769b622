//! SIGINT, SIGTERM and SIGHUP for the commands that write: the first one asks for a clean stop
//! (the writes in flight finish, nothing new starts), a second one quits at once. SIGHUP (a
//! closed terminal or SSH session, a service manager's reload) would otherwise kill the process
//! mid-write without a word.

use super::print_err;

/// Waits for the first signal and calls `stop` with it, saying which signal and `message`; on a
/// second signal exits with 130.
pub(crate) async fn stop_on_signals(stop: impl FnOnce(), message: &str, say: impl Fn(&str)) {
    let Some(first) = wait_signal().await else {
        return;
    };
    stop();
    say(&format!("\n{first}: {message}"));
    if let Some(second) = wait_signal().await {
        say(&format!(
            "{second}: quitting at once: run `telform plan` to see what was applied\n"
        ));
        std::process::exit(130);
    }
}

/// Prints to stderr, for [`stop_on_signals`] when nothing else draws there.
pub(crate) fn to_stderr(text: &str) {
    print_err(text);
}

/// The name of the next SIGINT (Ctrl-C), SIGTERM (systemd's stop, CI's cancel) or SIGHUP; `None`
/// when signals cannot be listened to.
async fn wait_signal() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hangup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
            return tokio::signal::ctrl_c().await.ok().map(|()| "SIGINT");
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.ok().map(|()| "SIGINT"),
            r = term.recv() => r.map(|()| "SIGTERM"),
            r = hangup.recv() => r.map(|()| "SIGHUP"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| "SIGINT")
    }
}
