//! The command line: clap definitions, and one file per command.

pub(crate) mod apply;
mod completions;
pub mod demo;
mod docs;
mod emulator;
mod fmt;
mod history;
mod import;
mod init;
mod plan;
mod schema;
mod show;
mod signals;
mod validate;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::reconcile::PlanOptions;

/// How a command ended. Every command returns one; `main` turns it into the process status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; nothing wrong.
    Success,
    /// The input is invalid or the command failed.
    Failure,
    /// `plan --detailed-exitcode`: the plan has changes.
    Changes,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Changes => ExitCode::from(2),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "telform",
    version,
    about = "Declarative provisioning for Azure Communications Gateway and Webex Wholesale",
    long_about = "telform reads YAML manifests that describe enterprise customers, accounts, numbers, users, \
workspaces and SIP devices, validates them, compares them with the providers' live state and applies \
the difference.",
    after_help = "Example:\n  telform validate examples/"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The operator's settings file, kept outside the manifests' checkout: provider endpoints,
    /// tenants, client ids, the names of credential variables, which variables
    /// `sipPassword.fromEnv` may name (docs/security.md). An empty TELFORM_SETTINGS is unset.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "TELFORM_SETTINGS",
        hide_env_values = true
    )]
    pub settings: Option<PathBuf>,
    /// Where apply keeps its lock and its history: `sqlite:PATH` or `postgres://USER@HOST/DB`
    /// [default: store.url of the operator's settings, else
    /// $XDG_STATE_HOME/telform/store.db or ~/.local/state/telform/store.db]. Never read from the
    /// manifest folder (docs/store.md).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "TELFORM_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The tour: validate examples/, start the emulator in-process, plan, apply, and plan again (no changes).
    #[command(
        after_help = "Example:\n  telform demo\n\nNothing leaves this machine: the providers are the built-in emulator."
    )]
    Demo(DemoArgs),
    /// Check manifests: YAML syntax, JSON Schema, then the platforms' rules.
    #[command(
        after_help = "Examples:\n  telform validate examples/\n  telform validate --output github manifests/\n\n\
Exit status: 0 when valid, 1 when any error was found."
    )]
    Validate(ValidateArgs),
    /// Compare the manifests with the providers' live state and show what would change.
    #[command(
        after_help = "Examples:\n  telform plan examples/\n  telform plan --output markdown --detailed-exitcode -o plan.json manifests/\n\n\
Exit status: 0 when the plan was made (with or without changes), 1 on error; with --detailed-exitcode, 0 when there is nothing to change and 2 when there are changes."
    )]
    Plan(PlanArgs),
    /// Make the plan happen on the providers: from a folder (after confirmation) or a saved plan.
    #[command(
        after_help = "Examples:\n  telform apply examples/                      # plan, show, ask, apply\n  \
telform apply --auto-approve examples/       # CI, after review\n  \
telform plan examples/ -o plan.json && telform apply plan.json   # apply exactly the reviewed plan\n\n\
Generated SIP passwords go to --secrets-out FILE (mode 0600), never to the output.\n\
Exit status: 0 when everything was applied (or nothing had to be), 1 otherwise."
    )]
    Apply(ApplyArgs),
    /// A saved plan as a reviewer reads it, or read-only views of what the providers hold.
    #[command(
        after_help = "Examples:\n  telform show plan.json\n  telform show plan.json --output markdown\n  telform show accounts\n  telform show numbers contoso --service operatorConnect\n  telform show number +14255550100\n  telform show consents --status active\n  telform show civic-addresses contoso\n  telform show customers\n  telform show users ACME-0001\n  telform show devices ACME-0001 --output json"
    )]
    Show(ShowArgs),
    /// Write manifests for what the providers hold and no manifest declares yet (brownfield adoption).
    #[command(
        after_help = "Examples:\n  telform import --all --out manifests\n  telform import --account contoso --customer ACME-0001 --out manifests\n  telform import --consents --dry-run\n\n\
Writes acg/<account>.yaml, acg/consents.yaml and webex/<externalId>/{customer,locations,users,workspaces,devices}.yaml; \
never replaces a file. What no API reads (SIP passwords, onboarding templates, first administrators) is said in comments. See docs/import.md.\n\
Exit status: 0 when the files were written (or, with --dry-run, shown), 1 otherwise."
    )]
    Import(ImportArgs),
    /// Serve the ACG and Webex APIs from memory on loopback, for tests, demos and trials.
    #[command(
        after_help = "Examples:\n  telform emulator --env-file emulator.env\n  set -a; . ./emulator.env; set +a\n  \
telform emulator --listen 127.0.0.1:8443 --seed examples/emulator/seed.json --faults seed=1,429=0.1,lost=0.05\n\n\
Seed format and fault syntax: docs/emulator.md"
    )]
    Emulator(EmulatorArgs),
    /// Write a starter manifest repository: settings, an example per kind, the GitHub workflow.
    #[command(after_help = "Examples:\n  telform init manifests\n  telform validate manifests\n\n\
Writes telform.yaml, one example file per manifest kind (acg/, webex/), schemas/ and \
.github/workflows/telform.yml. Refuses, writing nothing, when any of them exists.")]
    Init(InitArgs),
    /// Follow a manifest folder: reconcile on every change and periodically (the GitOps loop).
    #[command(
        after_help = "Examples:\n  telform watch manifests/                                  # report changes and drift\n  \
telform watch --apply --listen 127.0.0.1:9464 manifests/    # apply them; status on :9464\n  \
telform watch --once --apply --output json manifests/      # one reconcile (cron, CI)\n\n\
Endpoints (--listen): /healthz, /status (JSON), /metrics (Prometheus), / (a page for people). Running as a systemd \
service: docs/watch.md\n\
Exit status: 0 when stopped by SIGINT, SIGTERM or SIGHUP (after the writes in flight); with --once, 0 when \
the reconcile succeeded, 1 otherwise."
    )]
    Watch(WatchArgs),
    /// What was applied: when, from where, which commit, and per object the fields before → after.
    #[command(
        after_help = "Examples:\n  telform history\n  telform history --object Number/+33465710101\n  \
telform history --since 2026-12-01 --output json\n\n\
Reads the store (--store, TELFORM_STORE). Secrets are never stored: a password shows as (sensitive, rotated)."
    )]
    History(HistoryArgs),
    /// Free an apply lock whose holder hangs, by the ID a refused apply printed.
    #[command(
        name = "force-unlock",
        after_help = "Examples:\n  telform force-unlock 3f9a0c2b7d41\n  telform force-unlock --yes 3f9a0c2b7d41   # no question (scripts)\n\n\
On PostgreSQL the holder's database session is ended, which frees its lock. The embedded store's lock \
is the operating system's: it goes when its process does, so a live holder is named, not unlocked."
    )]
    ForceUnlock(ForceUnlockArgs),
    /// Write or check the JSON Schemas generated from the manifest kinds.
    #[command(after_help = "Examples:\n  telform schema --write schemas/\n  telform schema --check schemas/")]
    Schema(SchemaArgs),
    /// Rewrite manifests in canonical order: keys in schema order, numbers sorted, contiguous numbers merged into ranges.
    #[command(
        after_help = "Examples:\n  telform fmt examples/\n  telform fmt --check manifests/\n\n\
Comments, quoting and layout are kept. Only valid manifests are formatted. Exit status: 0 when \
every file is formatted (or, with --check, already was); 1 when a file is invalid, cannot be \
rewritten safely, or (with --check) would change."
    )]
    Fmt(FmtArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  telform completions bash > ~/.local/share/bash-completion/completions/telform\n  \
telform completions zsh > ~/.zfunc/_telform\n  telform completions fish > ~/.config/fish/completions/telform.fish"
    )]
    Completions(CompletionsArgs),
    /// The version of telform and the commit it was built from.
    #[command(after_help = "Examples:\n  telform version\n  telform version --output json")]
    Version(VersionArgs),
    /// Write or check the generated documentation (docs/cli.md, docs/reference/).
    #[command(after_help = "Examples:\n  telform docs --write docs\n  telform docs --check docs")]
    Docs(DocsArgs),
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Manifest folders (searched recursively) or files. Default: the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: print the diff of what would change, and fail if anything would.
    #[arg(long)]
    pub check: bool,
    /// Output format: `json` prints one object, `{"files": N, "changed": [...], "refused": N,
    /// "check": bool}` (with --check, `changed` lists the files that would change).
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only the applies that changed this object, and only its changes: KIND/KEY, e.g.
    /// `Number/+33465710101`, `Device/001A2B3C4D5E`, `Customer/ACME-0001`.
    #[arg(long, value_name = "KIND/KEY")]
    pub object: Option<String>,
    /// Only applies started since DATE: `2026-12-01`, `2026-12-01T08:00:00Z` (UTC), or a
    /// duration back from now (`24h`, `7d`).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most N applies, newest first.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Output format: `json` prints an array of applies, newest first.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

#[derive(Debug, clap::Args)]
pub struct ForceUnlockArgs {
    /// The lock's ID, as a refused apply printed it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Do not ask for confirmation (scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct DocsArgs {
    /// Write the generated files into DIR.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "check",
        conflicts_with = "check"
    )]
    pub write: Option<PathBuf>,
    /// Fail when the files in DIR differ from the generated ones.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
    /// The examples folder the reference quotes.
    #[arg(long, value_name = "DIR", default_value = "examples")]
    pub examples: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Manifest folders (searched recursively) or files. Default: the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub output: DiagnosticFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// For people: source snippets, hints, colours on a terminal (NO_COLOR honoured).
    Text,
    /// A JSON array of diagnostics (see docs/diagnostics.md).
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ShowArgs {
    #[command(subcommand)]
    pub what: Option<ShowWhat>,
    /// A plan saved by `telform plan -o FILE`: shown as `plan` would, reading nothing live.
    #[arg(value_name = "PLAN.json", required = true)]
    pub plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text, global = true)]
    pub output: ShowFormat,
    /// The manifest folder whose telform.yaml may lower the ACG request budget (optional).
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ShowWhat {
    /// The ACG accounts: services, tenant, number counts, sync state.
    #[command(after_help = "Example:\n  telform show accounts --output json")]
    Accounts,
    /// The numbers of an ACG account, page by page, with their configuration.
    #[command(
        after_help = "Examples:\n  telform show numbers contoso\n  telform show numbers contoso --service operatorConnect --prefix +1425555"
    )]
    Numbers {
        /// The ACG account name.
        account: String,
        /// Only numbers enabled for this service (operatorConnect, teamsPhoneMobile, directRouting, zoom, callProtection).
        #[arg(long, value_name = "SERVICE")]
        service: Option<String>,
        /// Only numbers with this usage (user, application, conference).
        #[arg(long, value_name = "USAGE")]
        usage: Option<String>,
        /// Only numbers that start with this (e.g. +1425555).
        #[arg(long, value_name = "PREFIX")]
        prefix: Option<String>,
    },
    /// Who holds a number (an ACG account, a Webex customer's location, user or workspace), with its configuration.
    #[command(after_help = "Example:\n  telform show number +33478000100")]
    Number {
        /// The number, E.164 (`+` and digits).
        number: String,
    },
    /// Operator Connect consents (ACG requests for information): status, contacts, relationship, the account serving the tenant.
    #[command(
        after_help = "Examples:\n  telform show consents --output json\n  telform show consents --status active --tenant 8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90"
    )]
    Consents {
        /// Only this tenant's consent.
        #[arg(long, value_name = "TENANT_ID")]
        tenant: Option<String>,
        /// Only consents with this status (active, suspended, removed) or relationship (e.g. agreementSigned).
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
    },
    /// The civic addresses of an ACG account's tenant: address, company, validation, locations and ELINs.
    #[command(after_help = "Example:\n  telform show civic-addresses contoso")]
    CivicAddresses {
        /// The ACG account name.
        account: String,
    },
    /// The Webex wholesale customers: status, organisation, packages, address.
    #[command(after_help = "Example:\n  telform show customers")]
    Customers,
    /// The users (subscribers) of a Webex customer: package, location, number, extension.
    #[command(after_help = "Example:\n  telform show users ACME-0001")]
    Users {
        /// The customer's external id.
        customer: String,
    },
    /// The workspaces of a Webex customer: type, capacity, licence, location, number.
    #[command(after_help = "Example:\n  telform show workspaces ACME-0001")]
    Workspaces {
        /// The customer's external id.
        customer: String,
    },
    /// The devices of a Webex customer: model, who manages it, owner (email or workspace), SIP user name, outbound proxy (never a password).
    #[command(after_help = "Example:\n  telform show devices ACME-0001 --output json")]
    Devices {
        /// The customer's external id.
        customer: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    /// A saved plan only: as a pull-request comment.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Every account, consent and customer.
    #[arg(long, conflicts_with_all = ["accounts", "customers", "consents"])]
    pub all: bool,
    /// An ACG account (by name), with its numbers; repeat for several.
    #[arg(long = "account", id = "accounts", value_name = "NAME")]
    pub accounts: Vec<String>,
    /// A Webex customer (by external id), with its locations, users, workspaces and devices;
    /// repeat for several.
    #[arg(long = "customer", id = "customers", value_name = "EXTERNAL_ID")]
    pub customers: Vec<String>,
    /// The Operator Connect consents (acg/consents.yaml).
    #[arg(long)]
    pub consents: bool,
    /// Only accounts and customers whose name or external id matches PATTERN (`*` any
    /// characters, `?` one), e.g. `acme-*`; repeat for several. Alone, among all of them.
    #[arg(long = "match", id = "patterns", value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Also read the lines of every device that can share one, to import `sharedWith`: one
    /// read per such device, beyond the list reads a plan makes. Without it, devices are
    /// imported without `sharedWith` (plan then leaves their lines alone).
    #[arg(long)]
    pub shared_lines: bool,
    /// The manifest folder to write into (created if missing). Default: the current folder.
    /// What its manifests declare already is not imported.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the files that would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The manifest folder to demonstrate with. Default: `examples/` when the current folder
    /// has one (the repository's root), else the examples built into telform.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The manifest folder. Default: the current folder.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Save the plan (with fingerprints of what it read) for `telform apply FILE`.
    #[arg(short = 'o', long = "out", value_name = "FILE", value_parser = saved_plan_path)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
    /// Exit 2 when the plan has changes, 0 when it has none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Print the number of API calls made, per provider.
    #[arg(long)]
    pub stats: bool,
}

/// What a plan covers and the limits it is held to: the same flags for `plan` and for `apply`
/// of a folder (a saved plan keeps the ones it was made with).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScopeArgs {
    /// Delete undeclared children (numbers of an account; locations, users, workspaces and
    /// devices of a customer) even where the parent does not say `prune: true`.
    #[arg(long)]
    pub prune: bool,
    /// Fail when the plan would delete more objects than this [default: apply.maxDeletes of the settings, else 50].
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,
    /// Fail when the plan would create, update or delete more numbers than this [default:
    /// 2000000, or TELFORM_MAX_NUMBER_CHANGES when set and not empty]: a bound on the plan's
    /// memory.
    #[arg(long, value_name = "N")]
    pub max_number_changes: Option<usize>,
    /// Only manifests with this label (`key=value`); repeat for several.
    #[arg(long, value_name = "KEY=VALUE")]
    pub selector: Vec<String>,
    /// Only this object's changes (and, for an account or a customer, its children's), as
    /// KIND/KEY or KIND/manifest-name: `Account/contoso`, `Device/0004F29B127E`; repeat for
    /// several. Its account or customer comes with it when still to create; other objects it
    /// needs (a device's owner) do not: target them too. For exceptional use, as Terraform's -target.
    #[arg(long = "target", id = "targets", value_name = "KIND/KEY")]
    pub targets: Vec<String>,
    /// Only the accounts, customers and consents of the documents that differ from the Git
    /// revision REF (added, modified or removed; e.g. `origin/main` in a pull request): only they
    /// are read and diffed, each whole. The plan says what it left out; a full plan checks that
    /// for drift. REF must be fetched (`git fetch --depth=1 origin main` in a shallow checkout).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
}

impl ScopeArgs {
    /// The options to plan `dir` with; `env` may set the number limit's default.
    pub(crate) fn plan_options(&self, dir: PathBuf, env: crate::provider::config::Env) -> Result<PlanOptions, String> {
        Ok(PlanOptions {
            dir,
            prune: self.prune,
            max_deletes: self.max_deletes,
            max_number_changes: max_number_changes(self.max_number_changes, env)?,
            selector: self.selector.clone(),
            targets: self.targets.clone(),
            // The journal's password resets are apply's: it adds them under the lock.
            reset_passwords: Default::default(),
            changed_since: self.changed_since.clone(),
            scope: None,
            creation_edits: Vec::new(),
        })
    }

    /// Whether any flag that shapes a new plan is given (a saved plan refuses them).
    pub(crate) fn shapes_the_plan(&self) -> bool {
        self.prune
            || self.max_deletes.is_some()
            || !self.selector.is_empty()
            || !self.targets.is_empty()
            || self.changed_since.is_some()
    }
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A manifest folder (default: the current folder), or a plan saved with `telform plan -o
    /// FILE.json`, applied as reviewed and refused when anything it read has changed.
    #[arg(value_name = "DIR|PLAN.json")]
    pub target: Option<PathBuf>,
    /// Apply without asking (CI). Without it, apply asks on the terminal and refuses without one.
    #[arg(long)]
    pub auto_approve: bool,
    /// Output format of the results.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub output: ApplyFormat,
    /// Independent branches (accounts, customers) applied at once [default: 8, or
    /// apply.concurrency in telform.yaml].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Write generated SIP passwords to FILE (created with mode 0600; never overwritten).
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
    /// Print the number of API calls made, per provider.
    #[arg(long)]
    pub stats: bool,
    /// When another apply holds the lock of these providers, wait for it this long (e.g. 30s,
    /// 10m) [default: store.lockTimeout of the operator's settings, else 0: refuse at once,
    /// naming the holder].
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    /// A result table for people (progress on stderr).
    Text,
    /// The outcome of every action, as JSON.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// For terminals.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// Versioned JSON (docs/plan-format.md).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Seed file (YAML or JSON). Default: the built-in demo seed (serves examples/).
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Persist the store in FILE across restarts (written atomically, mode 0600: it holds the seed's secrets).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Faults to inject, e.g. `seed=42,429=0.05,500=0.02,lost=0.01,acg-limit=100/min`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Write the TELFORM_* environment for this emulator to FILE (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Close a connection whose request headers have not all arrived within DURATION.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::clock::parse_duration)]
    pub header_read_timeout: std::time::Duration,
    /// Close a connection that sends and receives nothing for DURATION.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::clock::parse_duration)]
    pub idle_timeout: std::time::Duration,
}

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// `telform version`: what a bug report needs to name the build.
fn version(args: &VersionArgs) -> ExitStatus {
    let version = env!("CARGO_PKG_VERSION");
    let commit = env!("TELFORM_COMMIT");
    match args.output {
        TextOrJson::Text => print_out(&format!("telform {version} (commit {commit})\n")),
        TextOrJson::Json => print_out(&format!(
            "{}\n",
            serde_json::json!({"version": version, "commit": commit, "planFormatVersion": crate::model::plan::FORMAT_VERSION})
        )),
    }
    ExitStatus::Success
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The folder to write into (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Output format: `json` prints `{"dir": DIR, "written": [files]}`.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub output: TextOrJson,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The manifest folder (a checkout of the manifest repository). Default: the current folder.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Apply changes and correct drift. Without it, watch only reports them.
    #[arg(long)]
    pub apply: bool,
    /// Time between two drift checks (±10% jitter), e.g. 30s, 5m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::clock::parse_duration)]
    pub interval: std::time::Duration,
    /// How long the folder must be quiet after a change before a reconcile.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = crate::clock::parse_duration)]
    pub debounce: std::time::Duration,
    /// Serve /healthz, /status, /metrics and / on this address, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// One reconcile, then exit: 0 when it succeeded, 1 otherwise (cron, tests).
    #[arg(long)]
    pub once: bool,
    /// Log format: one line per reconcile.
    #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
    pub output: WatchFormat,
    /// With --apply: generated SIP passwords go to FILE.TIMESTAMP (mode 0600), a new file per apply.
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
    /// With --apply: wait this long for the lock another apply holds before a reconcile fails
    /// (it is retried) [default: store.lockTimeout of the operator's settings, else 0].
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
    /// Post a notification to this webhook on a failed reconcile, on drift and on an applied
    /// change (repeatable). A slack+https:// or teams+https:// prefix chooses that format.
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
    /// The body of --notify URLs without a prefix.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = crate::watch::notify::Format::Generic)]
    pub notify_format: crate::watch::notify::Format,
    /// /healthz answers 503 when no reconcile has succeeded for this long.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::clock::parse_duration)]
    pub healthz_max_age: std::time::Duration,
    /// How long the manifest folder may be gone (deleted, replaced, unmounted) before watch
    /// exits with a failure.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::clock::parse_duration)]
    pub rewatch_timeout: std::time::Duration,
    /// Offer "reconcile now" and pause / resume on the status page (--listen). Off a loopback
    /// address they need a bearer token in TELFORM_WATCH_TOKEN, asked of every action.
    #[arg(long)]
    pub allow_actions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// One line per reconcile for people; details on stderr.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct SchemaArgs {
    /// Write the schemas into DIR.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Fail when the schemas in DIR differ from the ones the code generates.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitStatus {
    let operator = OperatorSettings(
        cli.settings.filter(|p| !p.as_os_str().is_empty()),
        cli.store.filter(|s| !s.trim().is_empty()),
    );
    match cli.command {
        Command::Validate(args) => validate::run(args, &operator),
        Command::Schema(args) => schema::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Plan(args) => plan::run(args, &operator),
        Command::Apply(args) => apply::run(args, &operator),
        // The demo talks to its own emulator only: no operator settings.
        Command::Demo(args) => demo::run(args),
        Command::Show(args) => show::run(args, &operator),
        Command::Import(args) => import::run(args, &operator),
        Command::Fmt(args) => fmt::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Version(args) => version(&args),
        Command::Docs(args) => docs::run(args),
        Command::Watch(args) => watch::run(args, &operator),
        Command::Init(args) => init::run(args),
        Command::History(args) => history::run(args, &operator),
        Command::ForceUnlock(args) => history::force_unlock(args, &operator),
    }
}

/// The operator's settings file named by `--settings` / `TELFORM_SETTINGS`, when one is, and
/// the store named by `--store` / `TELFORM_STORE`.
pub(crate) struct OperatorSettings(Option<PathBuf>, Option<String>);

impl OperatorSettings {
    /// Reads it, refusing one inside the checkout of `target` (the manifest folder or file).
    pub(crate) fn load(
        &self,
        target: &std::path::Path,
    ) -> Result<Option<crate::manifest::settings::Settings>, ExitStatus> {
        let Some(path) = &self.0 else { return Ok(None) };
        let folder = crate::manifest::confined::folder_of(target);
        crate::validate::operator_settings(path, &folder)
            .map(Some)
            .map_err(|message| {
                print_err(&format!("error: {message}\n"));
                ExitStatus::Failure
            })
    }
}

impl OperatorSettings {
    /// The store and the lock timeout, from trusted configuration only.
    pub(crate) fn store(
        &self,
        timeout: Option<std::time::Duration>,
        trusted: crate::provider::config::Trusted<'_>,
    ) -> Result<crate::reconcile::guard::StoreConfig, ExitStatus> {
        crate::reconcile::guard::StoreConfig::resolve(self.1.as_deref(), timeout, trusted, crate::clock::parse_duration)
            .map_err(|message| {
                print_err(&format!("error: {message}\n"));
                ExitStatus::Failure
            })
    }
}

/// The async runtime of the commands that talk to providers.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitStatus> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            print_err(&format!("error: cannot start the runtime: {error}\n"));
            ExitStatus::Failure
        })
}

/// Runs `work` (validation and the reads of live state) with a spinner on a terminal: at real
/// latencies the reads take seconds, and a silent terminal looks stuck.
pub(crate) fn while_reading<T>(runtime: &tokio::runtime::Runtime, work: impl std::future::Future<Output = T>) -> T {
    use std::io::IsTerminal;
    let spinner = std::io::stderr().is_terminal().then(|| {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message("validating the manifests and reading the live state they need…");
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner
    });
    let result = runtime.block_on(work);
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    result
}

/// Writes to stdout. A closed pipe (`telform validate | head`) is not an error.
pub(crate) fn print_out(text: &str) {
    let mut out = anstream::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `--max-number-changes`, else `TELFORM_MAX_NUMBER_CHANGES` from the trusted environment (an
/// empty one is unset), else `None` (the default).
pub(crate) fn max_number_changes(
    flag: Option<usize>,
    env: crate::provider::config::Env,
) -> Result<Option<usize>, String> {
    if flag.is_some() {
        return Ok(flag);
    }
    match env("TELFORM_MAX_NUMBER_CHANGES") {
        Some(value) if !value.trim().is_empty() => value.trim().parse().map(Some).map_err(|_| {
            format!(
                "TELFORM_MAX_NUMBER_CHANGES is {value:?}, not a count of numbers\nhint: set it to a whole number such as 2000000, or unset it"
            )
        }),
        _ => Ok(None),
    }
}

/// Writes to stderr, same rules.
pub(crate) fn print_err(text: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `plan -o FILE`: refuses the values that are someone's habit rather than a file name, which
/// would otherwise save the plan silently to a file named `json` or `ut=plan.json`.
fn saved_plan_path(value: &str) -> Result<PathBuf, String> {
    if let Some(file) = value.strip_prefix("ut=") {
        return Err(format!(
            "`-out={file}` is Terraform's spelling; telform's is `-o {file}` (or `--out {file}`)"
        ));
    }
    if ["text", "markdown", "json"].contains(&value) {
        return Err(format!(
            "`-o {value}` would save the plan to a file named `{value}`: for the {value} format write `--output {value}`; to save the plan, name a file, e.g. `-o plan.json`"
        ));
    }
    if value.is_empty() {
        return Err("name the file to save the plan to, e.g. `-o plan.json`".into());
    }
    Ok(PathBuf::from(value))
}
