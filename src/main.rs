use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = telform::cli::Cli::parse();
    telform::cli::run(cli).into()
}
