use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match telform::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are answers, not errors.
            let asked = !error.use_stderr();
            let _ = error.print();
            // A usage error is an error like any other: 1, as in Terraform. clap's 2 is what
            // `plan --detailed-exitcode` uses for "changes", and CI would read it as such.
            return if asked { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
    };
    telform::cli::run(cli).into()
}
