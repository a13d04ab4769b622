//! `telform demo`: the README's first command. Everything runs on this machine: the providers
//! are the emulator, started in-process with its built-in demo seed.

use std::collections::HashMap;

use super::{
    DemoArgs, DiagnosticFormat, ExitStatus, PlanArgs, PlanFormat, ValidateArgs, plan, print_err, print_out, validate,
};
use crate::emulator::{self, Config, seed};

pub fn run(args: DemoArgs) -> ExitStatus {
    let dir = args.dir;
    print_out(&format!("==> 1/3  telform validate {}\n", dir.display()));
    let status = validate::run(ValidateArgs {
        paths: vec![dir.clone()],
        output: DiagnosticFormat::Text,
    });
    if status != ExitStatus::Success {
        print_err("error: the demo needs valid manifests\n");
        return ExitStatus::Failure;
    }

    print_out("\n==> 2/3  telform emulator (in-process, built-in demo seed)\n");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            print_err(&format!("error: cannot start the runtime: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    let started = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        emulator::start(
            listener,
            Config {
                seed: seed::demo(),
                ..Config::default()
            },
        )
        .await
    });
    let emulator = match started {
        Ok(emulator) => emulator,
        Err(error) => {
            print_err(&format!("error: cannot start the emulator: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    print_out(&format!("telform emulator listening on {}\n", emulator.url()));

    print_out(&format!(
        "\n==> 3/3  telform plan {} (against the emulator)\n\n",
        dir.display()
    ));
    // Only the emulator's environment: the demo never reaches a real provider, whatever the
    // shell has in TELFORM_*.
    let env: HashMap<String, String> = emulator.env().into_iter().collect();
    let status = plan::run_with_env(
        PlanArgs {
            dir: Some(dir),
            out: None,
            output: PlanFormat::Text,
            detailed_exitcode: true,
            prune: false,
            max_deletes: None,
            selector: Vec::new(),
            stats: true,
        },
        &|key: &str| env.get(key).cloned(),
    );
    let _ = runtime.block_on(emulator.shutdown());
    match status {
        ExitStatus::Success | ExitStatus::Changes => {
            print_out(
                "\nThat is the plan a reviewer would see in the pull request. Next: `telform plan --output markdown` \
                 for the comment, `-o plan.json` to keep it; docs/emulator.md to run the emulator yourself.\n",
            );
            ExitStatus::Success
        }
        other => other,
    }
}
