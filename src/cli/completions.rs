//! `telform completions SHELL`

use clap::CommandFactory;

use super::{Cli, CompletionsArgs, ExitStatus, print_out};

pub fn run(args: CompletionsArgs) -> ExitStatus {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "telform", &mut script);
    print_out(&String::from_utf8_lossy(&script));
    ExitStatus::Success
}
