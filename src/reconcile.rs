//! The pipeline `plan`, `apply` and `watch` share: load and validate a manifest folder, read
//! the live state it needs from the providers, and plan.

use std::path::PathBuf;

use crate::manifest::ManifestSet;
use crate::manifest::settings::Settings;
use crate::plan::model::{Plan, PlanOrigin};
use crate::plan::{self, Context, DEFAULT_MAX_DELETES, DEFAULT_MAX_NUMBER_CHANGES, Live};
use crate::provider::acg::AcgClient;
use crate::provider::config::{self, Trusted};
use crate::provider::webex::WebexClient;
use crate::validate::{self, report};

/// What to plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub dir: PathBuf,
    pub prune: bool,
    pub max_deletes: Option<usize>,
    /// `--max-number-changes` (default [`DEFAULT_MAX_NUMBER_CHANGES`]).
    pub max_number_changes: Option<usize>,
    pub selector: Vec<String>,
}

/// Why no plan came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The manifests are not valid; `text` holds the rendered diagnostics and the closing line.
    Invalid { text: String, problems: usize },
    /// Anything else (a provider, a flag): the message, with its hint.
    Other(String),
}

impl Failure {
    pub fn text(&self) -> String {
        match self {
            Failure::Invalid { text, .. } => text.clone(),
            Failure::Other(message) => format!("error: {message}\n"),
        }
    }
}

/// A plan, with the clients that read the live state (apply writes through them).
pub struct Planned {
    pub plan: Plan,
    pub acg: Option<AcgClient>,
    pub webex: Option<WebexClient>,
    /// The manifest folder's `telform.yaml` (harmless options only).
    pub settings: Option<Settings>,
    pub options: PlanOptions,
}

impl Planned {
    /// Where the plan came from, as a saved plan records it.
    pub fn origin(&self) -> PlanOrigin {
        PlanOrigin {
            dir: self.options.dir.display().to_string(),
            prune: self.options.prune,
            max_deletes: self.options.max_deletes,
            max_number_changes: self.options.max_number_changes,
            selector: self.options.selector.clone(),
        }
    }
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
            .map_err(|e| Failure::Other(format!("validation stopped: {e}")))?
    };
    if !validated.is_valid() {
        let located = report::locate(&validated.diagnostics, &validated.sources);
        let mut text = report::render_text(&located, true);
        text.push_str(&format!(
            "error: the manifests are not valid ({} problems): nothing was planned\nhint: run `telform validate {}` and fix them\n",
            located.len(),
            dir.display()
        ));
        return Err(Failure::Invalid {
            text,
            problems: located.len(),
        });
    }
    let manifests = select(validated.manifests, &options.selector)
        .map_err(|message| Failure::Other(format!("{message}\nhint: write --selector key=value")))?;
    let settings = validated.settings;
    let max_deletes = options
        .max_deletes
        .or_else(|| {
            settings
                .as_ref()
                .and_then(|s| s.apply.as_ref())
                .and_then(|a| a.max_deletes)
                .map(|n| n as usize)
        })
        .unwrap_or(DEFAULT_MAX_DELETES);
    let (acg, webex) = clients(&manifests, settings.as_ref(), trusted)?;
    // The two providers are read at the same time: each read mostly waits on its provider.
    let acg_read = async {
        match &acg {
            Some(client) => client.read_live(&plan::acg::needs(&manifests)).await.map(Some),
            None => Ok(None),
        }
    };
    let webex_read = async {
        match &webex {
            Some(client) => client.read_live(&plan::webex::needs(&manifests)).await.map(Some),
            None => Ok(None),
        }
    };
    let (acg_live, webex_live) = tokio::join!(acg_read, webex_read);
    let live = Live {
        acg: acg_live.map_err(|e| Failure::Other(e.to_string()))?,
        webex: webex_live.map_err(|e| Failure::Other(e.to_string()))?,
    };
    let cx = Context {
        sources: &validated.sources,
        prune: options.prune,
        max_deletes,
        max_number_changes: options.max_number_changes.unwrap_or(DEFAULT_MAX_NUMBER_CHANGES),
        partial: !options.selector.is_empty(),
    };
    let plan = plan::plan(&manifests, &live, &cx);
    Ok(Planned {
        plan,
        acg,
        webex,
        settings,
        options: options.clone(),
    })
}

/// The clients of the providers the manifests use.
fn clients(
    manifests: &ManifestSet,
    folder: Option<&Settings>,
    trusted: Trusted<'_>,
) -> Result<(Option<AcgClient>, Option<WebexClient>), Failure> {
    let uses_acg =
        !manifests.accounts.is_empty() || !manifests.number_sets.is_empty() || !manifests.consents.is_empty();
    let acg = if uses_acg {
        let config = config::acg(trusted, folder).map_err(|missing| Failure::Other(missing.to_string()))?;
        Some(AcgClient::new(config).map_err(|e| Failure::Other(e.to_string()))?)
    } else {
        None
    };
    let uses_webex = !manifests.templates.is_empty()
        || !manifests.customers.is_empty()
        || !manifests.locations.is_empty()
        || !manifests.users.is_empty()
        || !manifests.workspaces.is_empty()
        || !manifests.devices.is_empty();
    let webex = if uses_webex {
        let config = config::webex(trusted).map_err(|missing| Failure::Other(missing.to_string()))?;
        Some(WebexClient::new(config).map_err(|e| Failure::Other(e.to_string()))?)
    } else {
        None
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
    Ok(out)
}
