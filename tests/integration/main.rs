//! telform's integration tests: one binary (see Cargo.toml) so the suite links once.

mod apply_acg;
mod apply_webex;
mod bad_input;
mod cli;
mod docs;
mod emulator_acg;
mod emulator_webex;
mod fmt;
mod fuzz;
mod github;
mod plan;
mod watch;

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
        .args(args)
        .output()
        .expect("telform runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
