//! `telform emulator`

use super::{EmulatorArgs, ExitStatus, print_err, print_out};
use crate::emulator::{self, Config, faults::Faults, seed};

pub fn run(args: EmulatorArgs) -> ExitStatus {
    let seed = match &args.seed {
        Some(path) => match seed::load(path) {
            Ok(seed) => seed,
            Err(error) => return fail(&error, "check the file against docs/emulator.md"),
        },
        None => seed::demo(),
    };
    let faults = match args.faults.as_deref().map(Faults::parse).transpose() {
        Ok(faults) => faults.unwrap_or_else(|| Faults::parse("").unwrap_or_default()),
        Err(error) => return fail(&format!("--faults: {error}"), "the syntax is in docs/emulator.md"),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(
                &format!("cannot start the runtime: {error}"),
                "check the system's limits",
            );
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(error) => {
                return fail(
                    &format!("cannot listen on {}: {error}", args.listen),
                    "pick another port, or 0 for a free one",
                );
            }
        };
        let config = Config {
            seed,
            state_file: args.state.clone(),
            faults,
            connections: emulator::Connections {
                header_read: args.header_read_timeout,
                idle: args.idle_timeout,
            },
        };
        let emulator = match emulator::start(listener, config).await {
            Ok(emulator) => emulator,
            Err(error) => return fail(&error.to_string(), "fix or remove the state file"),
        };
        if let Some(path) = &args.env_file
            && let Err(error) = emulator.write_env_file(path)
        {
            return fail(
                &format!("cannot write {}: {error}", path.display()),
                "check the folder exists and is writable",
            );
        }
        print_out(&format!("telform emulator listening on {}\n", emulator.url()));
        stopped().await;
        match emulator.shutdown().await {
            Ok(()) => ExitStatus::Success,
            Err(error) => fail(
                &format!("cannot save the state: {error}"),
                "check the state file's folder",
            ),
        }
    })
}

fn fail(message: &str, hint: &str) -> ExitStatus {
    print_err(&format!("error: {message}\nhint: {hint}\n"));
    ExitStatus::Failure
}

/// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM (a service manager stopping it).
async fn stopped() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
