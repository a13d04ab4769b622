//! `telform watch`

use std::path::PathBuf;

use super::{ExitStatus, OperatorSettings, WatchArgs, WatchFormat, print_err, print_out};
use crate::provider::config::{Trusted, process_env};
use crate::watch::{
    self, ActionOptions, Config, Deps, Ended, Listener, LogFormat, OpsConfig, Printer, Shutdown, Token,
};

pub fn run(args: WatchArgs, operator: &OperatorSettings) -> ExitStatus {
    let settings = match operator.load(args.dir.as_deref().unwrap_or(std::path::Path::new("."))) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let store = if args.apply {
        let trusted = Trusted {
            env: &process_env,
            settings: settings.as_ref(),
        };
        match operator.store(args.lock_timeout, trusted) {
            Ok(store) => Some(store),
            Err(status) => return status,
        }
    } else {
        None
    };
    let mut notify = Vec::new();
    for url in &args.notify {
        match watch::notify::Target::parse(url, args.notify_format) {
            Ok(target) => notify.push(target),
            Err(message) => {
                print_err(&format!("error: {message}\n"));
                return ExitStatus::Failure;
            }
        }
    }
    if args.healthz_max_age.is_zero() {
        print_err("error: --healthz-max-age must be more than 0\nhint: e.g. --healthz-max-age 1h\n");
        return ExitStatus::Failure;
    }
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(status) => return status,
    };
    let config = Config {
        dir: args.dir.unwrap_or_else(|| PathBuf::from(".")),
        apply: args.apply,
        interval: args.interval,
        debounce: args.debounce,
        listen: args.listen.map(Listener::Addr),
        once: args.once,
        output: match args.output {
            WatchFormat::Text => LogFormat::Text,
            WatchFormat::Json => LogFormat::Json,
        },
        secrets_out: args.secrets_out,
        store,
        ops: OpsConfig {
            notify,
            healthz_max_age: args.healthz_max_age,
            rewatch_timeout: args.rewatch_timeout,
            ..OpsConfig::default()
        },
        // The token comes from the process environment (a service's EnvironmentFile), never
        // from the manifest folder that Git fills.
        actions: ActionOptions {
            allow: args.allow_actions,
            token: std::env::var("TELFORM_WATCH_TOKEN").ok().and_then(Token::new),
        },
    };
    let printer = Printer {
        out: Box::new(print_out),
        err: Box::new(print_err),
    };
    let secrets = |name: &str| std::env::var(name).ok();
    let shutdown = Shutdown::default();
    let result = runtime.block_on(async {
        let signals = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                // Watch must also wake its loop, so it stops a `Shutdown`, not only apply's `Stop`.
                let message =
                    "stopping: finishing the writes in flight, starting nothing new (a second signal quits at once)\n";
                super::signals::stop_on_signals(|| shutdown.request(), message, super::signals::to_stderr).await;
            }
        });
        let deps = Deps {
            trusted: Trusted {
                env: &process_env,
                settings: settings.as_ref(),
            },
            secrets: &secrets,
            printer: &printer,
        };
        let result = watch::run(config, deps, shutdown).await;
        signals.abort();
        result
    });
    match result {
        Ok(Ended::Stopped) => ExitStatus::Success,
        Ok(Ended::Once(outcome)) if outcome.ok() => ExitStatus::Success,
        Ok(Ended::Once(_)) => ExitStatus::Failure,
        Err(message) => {
            print_err(&format!("error: {message}\n"));
            ExitStatus::Failure
        }
    }
}
