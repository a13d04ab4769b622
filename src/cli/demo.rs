//! `telform demo`: the README's first command. Everything runs on this machine: the providers
//! are the emulator, started in-process with its built-in demo seed.

use std::collections::HashMap;

use std::path::{Path, PathBuf};

use super::{
    ApplyArgs, ApplyFormat, DemoArgs, DiagnosticFormat, ExitStatus, PlanArgs, PlanFormat, ScopeArgs, ValidateArgs,
    apply, plan, print_err, print_out, validate,
};
use crate::emulator::{self, Config, seed};
use crate::provider::config::Trusted;

/// The repository's `examples/` manifests, built in: `telform demo` works from any folder,
/// after `cargo install` too. A test checks that the list is the folder's.
pub const BUILT_IN_EXAMPLES: &[(&str, &str)] = &[
    ("acg/contoso.yaml", include_str!("../../examples/acg/contoso.yaml")),
    (
        "acg/fabrikam-mobile.yaml",
        include_str!("../../examples/acg/fabrikam-mobile.yaml"),
    ),
    (
        "acg/litware-decommission.yaml",
        include_str!("../../examples/acg/litware-decommission.yaml"),
    ),
    ("acg/prospects.yaml", include_str!("../../examples/acg/prospects.yaml")),
    ("acg/tailspin.yaml", include_str!("../../examples/acg/tailspin.yaml")),
    ("telform.yaml", include_str!("../../examples/telform.yaml")),
    (
        "webex/acme/customer.yaml",
        include_str!("../../examples/webex/acme/customer.yaml"),
    ),
    (
        "webex/acme/devices.yaml",
        include_str!("../../examples/webex/acme/devices.yaml"),
    ),
    (
        "webex/acme/locations.yaml",
        include_str!("../../examples/webex/acme/locations.yaml"),
    ),
    (
        "webex/acme/users.yaml",
        include_str!("../../examples/webex/acme/users.yaml"),
    ),
    (
        "webex/acme/workspaces.yaml",
        include_str!("../../examples/webex/acme/workspaces.yaml"),
    ),
    (
        "webex/globex/customer.yaml",
        include_str!("../../examples/webex/globex/customer.yaml"),
    ),
    (
        "webex/templates.yaml",
        include_str!("../../examples/webex/templates.yaml"),
    ),
];

pub fn run(args: DemoArgs) -> ExitStatus {
    // Kept until the demo ends: the built-in examples are written there.
    let mut _built_in = None;
    let dir = match args.dir {
        Some(dir) => dir,
        None if Path::new("examples").is_dir() => PathBuf::from("examples"),
        None => match Scratch::new().and_then(|scratch| {
            let dir = scratch.path.join("examples");
            for (name, text) in BUILT_IN_EXAMPLES {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
                std::fs::write(&path, text)?;
            }
            Ok((scratch, dir))
        }) {
            Ok((scratch, dir)) => {
                print_out(&format!(
                    "(no examples/ here: using the examples built into telform, written to {})\n",
                    dir.display()
                ));
                _built_in = Some(scratch);
                dir
            }
            Err(error) => {
                print_err(&format!("error: cannot write the built-in examples: {error}\n"));
                return ExitStatus::Failure;
            }
        },
    };
    print_out(&format!("==> 1/5  telform validate {}\n", dir.display()));
    let status = validate::run(
        ValidateArgs {
            paths: vec![dir.clone()],
            output: DiagnosticFormat::Text,
        },
        &super::OperatorSettings(None, None),
    );
    if status != ExitStatus::Success {
        print_err("error: the demo needs valid manifests\n");
        return ExitStatus::Failure;
    }

    print_out("\n==> 2/5  telform emulator (in-process, built-in demo seed)\n");
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
                seed: seed_for(&dir),
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

    // Only the emulator's environment: the demo never reaches a real provider, whatever the
    // shell has in TELFORM_*.
    let env: HashMap<String, String> = emulator.env().into_iter().collect();
    let providers = |key: &str| env.get(key).cloned();
    let status = demo_cycle(&dir, Trusted::env(&providers));
    let _ = runtime.block_on(emulator.shutdown());
    status
}

/// The built-in demo seed, plus what no API can create and the folder's manifests rely on: an
/// onboarding template (made in Partner Hub) for each `Template`'s provisioning id, and a
/// consent (an enterprise gives it in Teams admin center) for each `Consent`'s tenant, so that
/// the demo works on any folder, `telform init`'s too.
fn seed_for(dir: &Path) -> seed::Seed {
    let mut seed = seed::demo();
    let validated = crate::validate::validate(&[dir.to_path_buf()]);
    for template in &validated.manifests.templates {
        let id = &template.spec.provisioning_id;
        if !seed.webex.provisioning_ids.contains(id) {
            print_out(&format!(
                "(the emulator holds an onboarding template for {}, as if it had been made in Partner Hub)\n",
                template.metadata.name
            ));
            seed.webex.provisioning_ids.push(id.clone());
        }
    }
    let Some(template) = seed.acg.requests_for_information.first().cloned() else {
        return seed;
    };
    for consent in &validated.manifests.consents {
        let tenant = &consent.spec.tenant_id;
        if seed.acg.requests_for_information.iter().any(|r| &r.tenant_id == tenant) {
            continue;
        }
        print_out(&format!(
            "(the emulator holds a consent from tenant {tenant}, as if the enterprise had picked you in Teams admin center)\n"
        ));
        let mut given = template.clone();
        given.tenant_id = tenant.clone();
        given.id = Some(tenant.clone());
        given.account_name = None;
        given.customer_relationship = None;
        given.contacts = None;
        seed.acg.requests_for_information.push(given);
    }
    seed
}

/// plan → apply → plan again, against the emulator whose environment `providers` reads.
fn demo_cycle(dir: &Path, providers: Trusted) -> ExitStatus {
    let plan_args = || PlanArgs {
        dir: Some(dir.to_path_buf()),
        out: None,
        output: PlanFormat::Text,
        detailed_exitcode: true,
        scope: ScopeArgs::default(),
        stats: true,
    };
    // SIP passwords: the manifests name vault entries (environment variables, files) this
    // machine does not have. The demo stands in throwaway ones, in a private temporary folder.
    let scratch = match Scratch::new() {
        Ok(s) => s,
        Err(error) => {
            print_err(&format!(
                "error: cannot create a temporary folder for the demo's passwords: {error}\n"
            ));
            return ExitStatus::Failure;
        }
    };
    if let Err(error) = scratch.write_password_files(dir) {
        print_err(&format!("error: cannot write the demo's password files: {error}\n"));
        return ExitStatus::Failure;
    }
    let secrets_out = scratch.path.join("generated-sip-passwords.tsv");
    let saved = scratch.path.join("plan.json");

    print_out(&format!(
        "\n==> 3/5  telform plan {} -o {} (against the emulator)\n\n",
        dir.display(),
        saved.display()
    ));
    let mut first = plan_args();
    first.out = Some(saved.clone());
    match plan::run_with_env(first, providers) {
        ExitStatus::Success | ExitStatus::Changes => {}
        other => return other,
    }
    print_out(&format!(
        "\n==> 4/5  telform apply {} --secrets-out {}\n\n\
         (the reviewed plan, refused if anything changed since; sipPassword fromEnv/fromFile get throwaway demo \
         values; generated passwords go to the file named, never to the screen)\n",
        saved.display(),
        secrets_out.display()
    ));
    let demo_password = |_: &str| Some(format!("Demo-{}-Pw9", std::process::id()));
    let status = apply::run_with_env(
        ApplyArgs {
            target: Some(saved),
            auto_approve: false,
            output: ApplyFormat::Text,
            concurrency: None,
            scope: ScopeArgs::default(),
            secrets_out: Some(secrets_out),
            stats: true,
            lock_timeout: None,
        },
        &apply::ApplyEnv {
            trusted: providers,
            secrets: &demo_password,
            secrets_base: Some(scratch.path.clone()),
            // The demo's lock and history are of its own throwaway emulator: they stay in its
            // temporary folder, out of the operator's store.
            store: crate::reconcile::guard::StoreConfig {
                location: crate::store::Location::Sqlite(scratch.path.join("store.db")),
                lock_timeout: std::time::Duration::ZERO,
            },
        },
    );
    if status != ExitStatus::Success {
        print_err("error: the demo's apply did not complete (see above)\n");
        return ExitStatus::Failure;
    }

    print_out(&format!(
        "\n==> 5/5  telform plan {} again: nothing left to do\n\n",
        dir.display()
    ));
    match plan::run_with_env(plan_args(), providers) {
        ExitStatus::Success => {
            print_out(
                "\nThat is the whole cycle a pull request goes through: plan for the reviewer, apply on merge, \
                 and an empty plan after. Next: the tour in README.md; docs/emulator.md to run the emulator yourself.\n",
            );
            ExitStatus::Success
        }
        ExitStatus::Changes => {
            print_err("error: the plan after apply still has changes: apply did not converge\n");
            ExitStatus::Failure
        }
        other => other,
    }
}

/// A private temporary folder, removed when the demo ends.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        // A name nobody can guess and a folder that must not exist yet: another user of a
        // shared /tmp cannot prepare it (or a symlink in its place).
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("telform-demo-{}-{suffix}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&path)?;
        Ok(Scratch { path })
    }

    /// A throwaway password in place of every `sipPassword.fromFile` the manifests name.
    fn write_password_files(&self, dir: &Path) -> std::io::Result<()> {
        let validated = crate::validate::validate(&[dir.to_path_buf()]);
        for device in &validated.manifests.devices {
            if let Some(file) = &device.spec.sip_password.from_file {
                // Only inside the scratch folder: a path that would leave it (absolute, `..`)
                // is refused by validation, and skipped here whatever happens there.
                let Ok(relative) = crate::manifest::confined::relative(file) else {
                    continue;
                };
                let path = self.path.join(relative);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                match options.open(&path) {
                    Ok(mut out) => {
                        use std::io::Write;
                        out.write_all(format!("Demo-file-{}-Pw7\n", std::process::id()).as_bytes())?;
                    }
                    // Two devices may share a file.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
