//! telform's integration tests: one binary (see Cargo.toml) so the suite links once.

mod apply_acg;
mod apply_faults;
mod apply_webex;
mod bad_input;
mod cli;
mod docs;
mod emulator_acg;
mod emulator_webex;
mod fields;
mod fmt;
mod fuzz;
mod github;
mod hostile;
mod import;
mod layers;
mod plan;
mod scoped;
mod store;
mod truthful;
mod watch;
mod watch_console;
mod watch_ops;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the real `telform` binary in `dir`.
pub fn telform(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("telform")
        .expect("the telform binary is built")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_STATE_HOME", state_home())
        .args(args)
        .output()
        .expect("telform runs")
}

/// The state folder of the binaries the tests run (the default store lives there): one for
/// the test binary, never the user's own.
pub fn state_home() -> PathBuf {
    std::env::temp_dir().join(format!("telform-tests-state-{}", std::process::id()))
}

/// An emulator serving `seed` with `faults`, on a runtime of its own (so that a test can run
/// the real binary against it), and the `TELFORM_*` environment that points at it.
pub fn emulator_on_runtime(
    seed: telform::emulator::seed::Seed,
    faults: &str,
) -> (
    tokio::runtime::Runtime,
    telform::emulator::Emulator,
    Vec<(String, String)>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let emulator = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        telform::emulator::start(
            listener,
            telform::emulator::Config {
                seed,
                faults: telform::emulator::faults::Faults::parse(faults).expect("fault spec"),
                ..telform::emulator::Config::default()
            },
        )
        .await
        .expect("the emulator starts")
    });
    let mut env = emulator.env();
    env.push(("XDG_STATE_HOME".into(), state_home().display().to_string()));
    (runtime, emulator, env)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
