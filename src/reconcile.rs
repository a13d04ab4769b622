//! The pipeline `plan`, `apply` and `watch` share: load and validate a manifest folder, read
//! the live state it needs from the providers, and plan.

pub mod guard;

use std::path::{Path, PathBuf};

use crate::apply::secrets::EnvLookup;
use crate::apply::{self, Options, Outcome, Progress, Run, Secrets};
use crate::diag::Problem;
use crate::manifest::ManifestSet;
use crate::manifest::settings::{ApplySettings, SecretPolicy, Settings};
use crate::model::fields::CreationEdit;
use crate::model::plan::{Action, Plan, PlanOrigin, PlanScope};
use crate::model::{ObjectKind, ProviderName, Stop};
use crate::plan::{self, Context, DEFAULT_MAX_DELETES, DEFAULT_MAX_NUMBER_CHANGES, Live};
use crate::provider::acg::AcgClient;
use crate::provider::config::{self, Trusted};
use crate::provider::webex::WebexClient;
use crate::validate::{self, report};

pub mod scope;

/// What to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub dir: PathBuf,
    pub prune: bool,
    pub max_deletes: Option<usize>,
    /// `--max-number-changes` (default [`DEFAULT_MAX_NUMBER_CHANGES`]).
    pub max_number_changes: Option<usize>,
    pub selector: Vec<String>,
    /// `--target KIND/KEY`: only these objects' actions (an account's or a customer's with its
    /// children's).
    pub targets: Vec<String>,
    /// Devices whose SIP password is reset whatever their rotation (the journal's unsettled
    /// intents: [`guard::Guard::uncertain_passwords`]).
    pub reset_passwords: std::collections::BTreeSet<String>,
    /// `--changed-since REF`: only the accounts, customers and consents of the documents that
    /// differ from the Git revision REF are read and diffed.
    pub changed_since: Option<String>,
    /// A scope already decided (a saved scoped plan applied): read exactly it again.
    pub scope: Option<PlanScope>,
    /// With a scope already decided: the creation-only fields edited since `--changed-since`'s
    /// revision, found when the scope was (a scope widened keeps them).
    pub creation_edits: Vec<CreationEdit>,
}

/// Why no plan came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The manifests are not valid; `text` holds the rendered diagnostics and the closing line.
    Invalid { text: String, problems: usize },
    /// Anything else (a provider, a flag, a setting): every problem found, with its hints.
    Problems(Vec<Problem>),
}

impl Failure {
    fn one(problem: impl Into<Problem>) -> Failure {
        Failure::Problems(vec![problem.into()])
    }

    pub fn text(&self) -> String {
        match self {
            Failure::Invalid { text, .. } => text.clone(),
            Failure::Problems(problems) => Problem::report(problems),
        }
    }
}

/// A plan, with the clients that read the live state (apply writes through them).
pub struct Planned {
    pub plan: Plan,
    pub acg: Option<AcgClient>,
    pub webex: Option<WebexClient>,
    /// Apply's options, resolved once from the operator's settings file and the folder's
    /// `telform.yaml` (the operator's win); a flag may still set the concurrency.
    pub apply_options: Options,
    pub options: PlanOptions,
    /// The accounts and customers the plan covered, in sync or not: (provider, the group key
    /// their objects carry — account name, customer external id —, manifest name).
    pub declared: Vec<(ProviderName, String, String)>,
}

/// How an apply runs, beside its plan. `telform apply` and `watch --apply` fill it each in
/// their own way and share everything else ([`Planned::prepare_apply`]).
pub struct ApplyRequest<'a> {
    /// Variables named by `sipPassword.fromEnv`.
    pub secrets: EnvLookup<'a>,
    /// Which of them `fromEnv` may name.
    pub policy: SecretPolicy,
    /// The folder `sipPassword.fromFile` paths are relative to (default: the manifest folder).
    pub secrets_base: Option<PathBuf>,
    /// Where generated passwords go (created before any write, never overwritten).
    pub secrets_out: Option<PathBuf>,
    /// How this command is given a secrets file, for the hint when it was not.
    pub how_to_keep: &'static str,
    /// `--concurrency`, over the folder's `apply.concurrency`.
    pub concurrency: Option<usize>,
    /// Progress bars (on a terminal: `Some(true)`), plain progress lines, or none.
    pub progress: Option<bool>,
    pub stop: Stop,
}

/// An apply ready to start: its passwords are resolved, nothing is written yet.
pub struct PreparedApply<'p> {
    planned: &'p Planned,
    acg: Vec<Action>,
    webex: Vec<Action>,
    pub run: Run,
}

impl Planned {
    /// The one apply pipeline, step one: every password the actions set is resolved before any
    /// write. An `Err` is the report of why nothing was applied.
    pub fn prepare_apply(&self, actions: Vec<Action>, request: ApplyRequest) -> Result<PreparedApply<'_>, String> {
        let base = request
            .secrets_base
            .unwrap_or_else(|| crate::manifest::confined::folder_of(&self.options.dir));
        let secrets = Secrets::resolve_keeping(
            &actions,
            &base,
            request.secrets,
            &request.policy,
            request.secrets_out.as_deref(),
            request.how_to_keep,
        )
        .map_err(|errors| {
            let mut message = format!(
                "error: {} cannot be set; nothing was applied\n",
                crate::diag::counted(errors.len(), "SIP password")
            );
            for e in &errors {
                message.push_str(&format!("  {}\n  hint: {}\n", e.message, e.hint));
            }
            message
        })?;
        let (acg, webex) = apply::per_provider(actions);
        let progress = match request.progress {
            Some(terminal) => Progress::new(
                terminal,
                &[(ProviderName::Acg, acg.len()), (ProviderName::Webex, webex.len())],
            ),
            None => Progress::hidden(),
        };
        let run = Run {
            options: Options {
                concurrency: request.concurrency.map_or(self.apply_options.concurrency, |n| n.max(1)),
                ..self.apply_options.clone()
            },
            stop: request.stop,
            progress,
            secrets,
        };
        Ok(PreparedApply {
            planned: self,
            acg,
            webex,
            run,
        })
    }

    /// Where this plan came from, for a plan saved to `plan_file`.
    pub fn origin(&self, plan_file: &Path) -> PlanOrigin {
        PlanOrigin {
            dir: self.options.dir.display().to_string(),
            dir_from_plan: relative_to_folder_of(&self.options.dir, plan_file),
            acg_url: self.acg.as_ref().map(|c| c.config.url.clone()),
            webex_url: self.webex.as_ref().map(|c| c.config.url.clone()),
            prune: self.options.prune,
            max_deletes: self.options.max_deletes,
            max_number_changes: self.options.max_number_changes,
            selector: self.options.selector.clone(),
            targets: self.options.targets.clone(),
            scope: self.plan.scope.clone(),
        }
    }
}

impl PreparedApply<'_> {
    /// Step two: every action, through the clients that read the plan's live state; the
    /// progress display is closed before the outcomes are returned.
    pub async fn execute(self) -> Vec<Outcome> {
        let planned = self.planned;
        let outcomes = apply::execute(
            planned.acg.as_ref(),
            planned.webex.as_ref(),
            &planned.plan.fingerprints,
            self.acg,
            self.webex,
            &self.run,
        )
        .await;
        self.run.progress.finish();
        outcomes
    }

    /// Step two under the store's lock: the run is recorded before the first write (a store
    /// that cannot record it stops the apply: `Err`, nothing written), executed, and its
    /// outcome recorded. Beside the outcomes, why the history could not be recorded, if so.
    pub async fn execute_recorded(self, guard: &mut guard::Guard) -> Result<(Vec<Outcome>, Option<String>), String> {
        let pending = guard
            .begin(self.acg.iter().chain(&self.webex))
            .await
            .map_err(|message| {
                format!("error: {message}\nnothing was applied: an apply is recorded before its first write\n")
            })?;
        let mut this = self;
        this.run.secrets.set_journal(guard.journal());
        let stop = this.run.stop.clone();
        let outcomes = this.execute().await;
        let recorded = guard.finish(pending, &outcomes, stop.requested()).await.err();
        Ok((outcomes, recorded))
    }
}

/// Apply's options from the `apply.*` settings (the operator's already merged over the
/// folder's).
fn apply_options(settings: Option<&ApplySettings>) -> Options {
    let mut options = Options::default();
    if let Some(n) = settings.and_then(|s| s.concurrency) {
        options.concurrency = (n as usize).max(1);
    }
    if let Some(timeout) = settings
        .and_then(|s| s.provisioning_timeout.as_deref())
        .and_then(|t| crate::clock::parse_duration(t).ok())
    {
        options.async_timeout = timeout;
    }
    options
}

/// `dir` as a path relative to the folder that holds `file` (both resolved), e.g. `manifests`
/// or `../repo/manifests`.
fn relative_to_folder_of(dir: &Path, file: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let folder = std::fs::canonicalize(folder).ok()?;
    let shared = dir
        .components()
        .zip(folder.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in folder.components().skip(shared) {
        relative.push("..");
    }
    for part in dir.components().skip(shared) {
        relative.push(part);
    }
    let text = relative.to_str()?.to_string();
    Some(if text.is_empty() { ".".into() } else { text })
}

/// Validates `options.dir`, reads the live state it needs and plans.
pub async fn plan_dir(options: &PlanOptions, trusted: Trusted<'_>) -> Result<Planned, Failure> {
    let dir = options.dir.clone();
    let validated = {
        let dir = dir.clone();
        let policy = trusted.secret_policy();
        // Validation is CPU-bound and parallel (rayon): off the async threads.
        tokio::task::spawn_blocking(move || validate::validate_with(std::slice::from_ref(&dir), &policy))
            .await
            .map_err(|e| Failure::one(format!("validation stopped: {e}")))?
    };
    if !validated.is_valid() {
        let located = report::locate(&validated.diagnostics, &validated.sources);
        let mut text = report::render_text(&located, true);
        text.push_str(&format!(
            "error: the manifests are not valid ({} problem{}): nothing was planned\nhint: run `telform validate {}` and fix them\n",
            located.len(),
            if located.len() == 1 { "" } else { "s" },
            dir.display()
        ));
        return Err(Failure::Invalid {
            text,
            problems: located.len(),
        });
    }
    let targets = Target::parse_all(&options.targets).map_err(Failure::one)?;
    // Validation above stays whole (its cross-file rules see every manifest); the scope then
    // keeps the manifests of the accounts and customers the change touches, each whole.
    let (mut scope, creation_edits) = match (&options.scope, &options.changed_since) {
        (Some(scope), _) => (Some(scope.clone()), options.creation_edits.clone()),
        (None, Some(rev)) => {
            let dir = dir.clone();
            let rev = rev.clone();
            // Which customers use which template: a template changed scopes its customers.
            let templates: Vec<(String, String)> = validated
                .manifests
                .customers
                .iter()
                .map(|c| (c.spec.template.clone(), c.spec.external_id.clone()))
                .collect();
            let changed = tokio::task::spawn_blocking(move || scope::changed_since(&dir, &rev, &templates))
                .await
                .map_err(|e| Failure::one(format!("reading the Git history stopped: {e}")))?
                .map_err(Failure::one)?;
            (changed.scope, changed.creation_edits)
        }
        (None, None) => (None, Vec::new()),
    };
    // The whole set stays for the check below that a pruned number is declared nowhere else.
    let (manifests, whole) = match scope.as_mut() {
        Some(scope) => (scope::restrict(&validated.manifests, scope), Some(validated.manifests)),
        None => (validated.manifests, None),
    };
    let manifests = select(manifests, &options.selector).map_err(|message| {
        Failure::one(Problem::new(message).hint(
            "--selector key=value keeps the manifests whose metadata.labels have key: value; check the labels, or plan without --selector",
        ))
    })?;
    if let Some(unknown) = targets.iter().find(|t| !t.declared_in(&manifests)) {
        return Err(Failure::one(
            Problem::new(format!("--target {unknown} matches no manifest: nothing to plan")).hint(
                "name an object as KIND/KEY (`Account/contoso`, `Device/0004F29B127E`, `User/jane@example.com`) or by its manifest name (`Device/acme-desk-phone`)",
            ),
        ));
    }
    // Apply's options: the operator's settings file wins over the folder's `telform.yaml`.
    let operator_apply = trusted.settings.and_then(|s| s.apply.as_ref());
    let settings = match validated.settings {
        Some(mut folder) => {
            folder.apply = Some(folder.apply.unwrap_or_default().under(operator_apply));
            Some(folder)
        }
        None => operator_apply.map(|apply| Settings {
            apply: Some(apply.clone()),
            ..Settings::default()
        }),
    };
    let apply_settings = settings.as_ref().and_then(|s| s.apply.as_ref());
    let max_deletes = options
        .max_deletes
        .or_else(|| apply_settings.and_then(|a| a.max_deletes).map(|n| n as usize))
        .unwrap_or(DEFAULT_MAX_DELETES);
    let apply_options = apply_options(apply_settings);
    let (acg, webex) = clients(&manifests, settings.as_ref(), trusted)?;
    // The two providers are read at the same time: each read mostly waits on its provider.
    let acg_read = async {
        match &acg {
            Some(client) => {
                let mut needs = plan::acg::needs(&manifests);
                needs.by_name = scope.is_some();
                client.read_live(&needs).await.map(Some)
            }
            None => Ok(None),
        }
    };
    let webex_read = async {
        match &webex {
            Some(client) => {
                let mut needs = plan::webex::needs(&manifests);
                needs.by_external_id = scope.is_some();
                client.read_live(&needs).await.map(Some)
            }
            None => Ok(None),
        }
    };
    let (acg_live, webex_live) = tokio::join!(acg_read, webex_read);
    let live = Live {
        acg: acg_live.map_err(|e| Failure::one(e.problem()))?,
        webex: webex_live.map_err(|e| Failure::one(e.problem()))?,
    };
    let cx = Context {
        sources: &validated.sources,
        prune: options.prune,
        max_deletes,
        max_number_changes: options.max_number_changes.unwrap_or(DEFAULT_MAX_NUMBER_CHANGES),
        partial: !options.selector.is_empty() || !targets.is_empty(),
        reset_passwords: &options.reset_passwords,
    };
    let mut plan = plan::plan(&manifests, &live, &cx);
    if let (Some(client), Some(webex_live)) = (&webex, &live.webex) {
        // What Webex would refuse of the objects the plan creates fails the plan, not the apply.
        let checks = plan::webex::precheck::prechecks(&plan, webex_live);
        if !checks.is_empty() {
            let refusals = client.precheck(&checks).await.map_err(|e| Failure::one(e.problem()))?;
            plan::webex::precheck::record(&mut plan, refusals);
        }
    }
    if let Some(webex_live) = &live.webex
        && !creation_edits.is_empty()
    {
        // An edit no API can apply nor read back fails the plan at the field (issue #13).
        let located = locate_edits(&creation_edits, &manifests, &validated.sources);
        let since = scope
            .as_ref()
            .map(|s| s.changed_since.as_str())
            .or(options.changed_since.as_deref())
            .unwrap_or_default();
        plan::webex::creation::refuse_edits(&mut plan, webex_live, &located, since);
    }
    if let (Some(scope), Some(whole)) = (&scope, &whole) {
        // A live number of a scoped account that an account outside the scope declares is that
        // account's (a full plan moves it rather than prune it): the scope takes that account
        // too, and the plan is made again over it.
        let pruned: Vec<&str> = plan
            .actions
            .iter()
            .filter(|a| {
                a.op == crate::model::plan::Op::Delete
                    && a.object.kind == ObjectKind::Number
                    && a.reason == Some(crate::model::plan::Reason::Pruned)
            })
            .map(|a| a.object.key.as_str())
            .collect();
        let elsewhere = scope::declaring_elsewhere(whole, scope, &pruned);
        if !elsewhere.is_empty() {
            let mut widened = scope.clone();
            widened.accounts.extend(elsewhere);
            let options = PlanOptions {
                scope: Some(widened),
                changed_since: None,
                creation_edits,
                ..options.clone()
            };
            return Box::pin(plan_dir(&options, trusted)).await;
        }
    }
    if let Some(scope) = &scope {
        // What a list read beyond the scope is not said to be unmanaged: it may be declared by
        // a manifest left out. A full plan names the unmanaged objects.
        plan.unmanaged.retain(|u| scope.covers(&u.object));
    }
    if scope.is_none() && options.scope.is_none() {
        plan.in_full_because = options
            .changed_since
            .as_ref()
            .map(|rev| format!("telform.yaml changed since {rev}, and its settings apply to every object"));
    }
    plan.scope = scope;
    if !targets.is_empty() {
        // A targeted object's account or customer comes with it when that is still to create
        // (a device of a customer that does not exist cannot be made alone).
        let groups: std::collections::HashSet<(crate::model::ProviderName, String)> = plan
            .actions
            .iter()
            .filter(|a| targets.iter().any(|t| t.matches(a)))
            .map(|a| (a.object.provider, a.object.group.clone()))
            .collect();
        plan.actions.retain(|action| {
            let parent = action.object.kind.is_parent()
                && action.op == crate::model::plan::Op::Create
                && groups.contains(&(action.object.provider, action.object.key.clone()));
            parent || targets.iter().any(|t| t.matches(action))
        });
        plan.selected = true;
    }
    let declared = manifests
        .accounts
        .iter()
        .map(|a| (ProviderName::Acg, a.metadata.name.clone(), a.metadata.name.clone()))
        .chain(
            manifests
                .customers
                .iter()
                .map(|c| (ProviderName::Webex, c.spec.external_id.clone(), c.metadata.name.clone())),
        )
        .collect();
    Ok(Planned {
        plan,
        acg,
        webex,
        apply_options,
        options: options.clone(),
        declared,
    })
}

/// Each creation-only edit of an object the planned manifests declare, with where its field is
/// written now (where it would be, when it was taken away): the manifest's file, line and column.
fn locate_edits(
    edits: &[CreationEdit],
    manifests: &ManifestSet,
    sources: &crate::manifest::load::Sources,
) -> Vec<(CreationEdit, crate::model::plan::SourceRef)> {
    use crate::manifest::Kind;
    let declared: Vec<(&CreationEdit, crate::manifest::Origin, String)> = edits
        .iter()
        .filter_map(|edit| {
            let (origin, name) = match (edit.kind, &edit.name) {
                (Kind::Customer, _) => manifests
                    .customers
                    .iter()
                    .find(|c| c.spec.external_id == edit.customer)
                    .map(|c| (c.origin, &c.metadata.name))?,
                (Kind::Device, Some(mac)) => {
                    let mac = crate::model::webex::mac_key(mac);
                    manifests
                        .devices
                        .iter()
                        .find(|d| d.spec.customer == edit.customer && crate::model::webex::mac_key(&d.spec.mac) == mac)
                        .map(|d| (d.origin, &d.metadata.name))?
                }
                (Kind::Location, Some(location)) => manifests
                    .locations
                    .iter()
                    .find(|l| l.spec.customer == edit.customer && l.spec.name.eq_ignore_ascii_case(location))
                    .map(|l| (l.origin, &l.metadata.name))?,
                _ => return None,
            };
            Some((edit, origin, format!("{}/{name}", edit.kind.as_str())))
        })
        .collect();
    let nodes: Vec<(crate::manifest::Origin, String)> = declared
        .iter()
        .map(|(edit, origin, _)| (*origin, format!("/{}", edit.field.replace('.', "/"))))
        .collect();
    let places = report::locate_nodes(&nodes, sources);
    declared
        .into_iter()
        .zip(places)
        .map(|((edit, _, manifest), (file, line, column))| {
            let source = crate::model::plan::SourceRef {
                file,
                line,
                column: Some(column),
                manifest,
            };
            (edit.clone(), source)
        })
        .collect()
}

/// The clients of the providers the manifests use.
fn clients(
    manifests: &ManifestSet,
    folder: Option<&Settings>,
    trusted: Trusted<'_>,
) -> Result<(Option<AcgClient>, Option<WebexClient>), Failure> {
    let uses_acg =
        !manifests.accounts.is_empty() || !manifests.number_sets.is_empty() || !manifests.consents.is_empty();
    // Templates alone are reference data: nothing of Webex is read for them.
    let uses_webex = !manifests.customers.is_empty()
        || !manifests.locations.is_empty()
        || !manifests.users.is_empty()
        || !manifests.workspaces.is_empty()
        || !manifests.devices.is_empty();
    // Both providers' settings are checked before either is refused: every missing setting is
    // said in one run.
    let acg_config = uses_acg.then(|| config::acg(trusted, folder)).transpose();
    let webex_config = uses_webex.then(|| config::webex(trusted)).transpose();
    let (acg_config, webex_config) = match (acg_config, webex_config) {
        (Ok(acg), Ok(webex)) => (acg, webex),
        (acg, webex) => {
            let said = [acg.err(), webex.err()]
                .into_iter()
                .flatten()
                .map(Problem::from)
                .collect();
            return Err(Failure::Problems(said));
        }
    };
    let acg = match acg_config {
        Some(config) => Some(AcgClient::new(config).map_err(|e| Failure::one(e.problem()))?),
        None => None,
    };
    let webex = match webex_config {
        Some(config) => Some(WebexClient::new(config).map_err(|e| Failure::one(e.problem()))?),
        None => None,
    };
    Ok((acg, webex))
}

/// Keeps the manifests whose labels match every `key=value`.
pub fn select(set: ManifestSet, selectors: &[String]) -> Result<ManifestSet, String> {
    if selectors.is_empty() {
        return Ok(set);
    }
    let mut pairs = Vec::new();
    for s in selectors {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--selector `{s}` is not key=value"))?;
        pairs.push((k.to_string(), v.to_string()));
    }
    let keep =
        |labels: &std::collections::BTreeMap<String, String>| pairs.iter().all(|(k, v)| labels.get(k) == Some(v));
    let mut out = ManifestSet::default();
    macro_rules! filter {
        ($($field:ident),*) => {$(
            out.$field = set.$field.into_iter().filter(|m| keep(&m.metadata.labels)).collect();
        )*};
    }
    // Templates are reference data (never an action): a selected customer still needs its
    // template's provisioning id, whatever the template's labels.
    out.templates = set.templates;
    filter!(
        accounts,
        number_sets,
        consents,
        customers,
        locations,
        users,
        workspaces,
        devices
    );
    // Templates are kept whatever the selector: they alone are not a selection.
    if out.len() == out.templates.len() {
        // "No changes" would be a lie: nothing was compared.
        return Err(format!(
            "--selector {} matches no manifest: nothing to plan",
            selectors.join(" --selector ")
        ));
    }
    Ok(out)
}

/// `--target KIND/KEY`: an object by its kind and its key (an account's name, a customer's
/// external id, a device's MAC, a user's email, a consent's tenant, a number) or its manifest's
/// name. An account or a customer takes its children with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    kind: ObjectKind,
    key: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.key)
    }
}

impl Target {
    fn parse_all(texts: &[String]) -> Result<Vec<Target>, Problem> {
        texts.iter().map(|t| Target::parse(t)).collect()
    }

    fn parse(text: &str) -> Result<Target, Problem> {
        let bad = || {
            Problem::new(format!("--target `{text}` is not KIND/KEY")).hint(format!(
                "KIND is one of {}; e.g. `--target Account/contoso`, `--target Device/0004F29B127E`",
                ObjectKind::ALL.map(ObjectKind::as_str).join(", ")
            ))
        };
        let (kind, key) = text.split_once('/').ok_or_else(bad)?;
        let kind = kind.parse::<ObjectKind>().map_err(|()| bad())?;
        if key.is_empty() {
            return Err(bad());
        }
        Ok(Target {
            kind,
            key: key.to_string(),
        })
    }

    /// A device's MAC is compared as the providers write it: hex digits, upper case.
    fn same_key(&self, key: &str) -> bool {
        if self.kind == ObjectKind::Device {
            let bare = |k: &str| {
                k.chars()
                    .filter(char::is_ascii_hexdigit)
                    .collect::<String>()
                    .to_ascii_uppercase()
            };
            bare(&self.key) == bare(key) && !bare(key).is_empty()
        } else {
            self.key == key
        }
    }

    fn matches(&self, action: &Action) -> bool {
        let object = &action.object;
        let own = object.kind == self.kind
            && (self.same_key(&object.key)
                || action
                    .source
                    .as_ref()
                    .is_some_and(|s| s.manifest == format!("{}/{}", self.kind, self.key)));
        let child = object.group == self.key
            && matches!(
                (self.kind, object.provider),
                (ObjectKind::Account, ProviderName::Acg) | (ObjectKind::Customer, ProviderName::Webex)
            );
        own || child
    }

    fn declared_in(&self, set: &ManifestSet) -> bool {
        let key = self.key.as_str();
        let ManifestSet {
            accounts,
            number_sets,
            consents,
            templates: _,
            customers,
            locations,
            users,
            workspaces,
            devices,
        } = set;
        match self.kind {
            ObjectKind::Account => accounts.iter().any(|m| m.metadata.name == key),
            // A number may be inside a range: any number set may declare it.
            ObjectKind::Number => !number_sets.is_empty(),
            ObjectKind::Consent => consents
                .iter()
                .any(|m| m.metadata.name == key || m.spec.tenant_id == key),
            ObjectKind::Customer => customers
                .iter()
                .any(|m| m.metadata.name == key || m.spec.external_id == key),
            ObjectKind::Location => locations.iter().any(|m| m.metadata.name == key || m.spec.name == key),
            ObjectKind::User => users.iter().any(|m| m.metadata.name == key || m.spec.email == key),
            ObjectKind::Workspace => workspaces.iter().any(|m| m.metadata.name == key || m.spec.name == key),
            ObjectKind::Device => devices
                .iter()
                .any(|m| m.metadata.name == key || self.same_key(&m.spec.mac)),
        }
    }
}
