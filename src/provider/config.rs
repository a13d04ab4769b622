//! Provider configuration, from trusted sources only (docs/security.md): the environment, then
//! the operator's settings file (`--settings`, `TELFORM_SETTINGS`). The manifest folder's
//! `telform.yaml` may only lower the request budget. Nothing defaults to the emulator: a real
//! endpoint is used whenever one is configured.

use secrecy::SecretString;

use crate::diag::Problem;
use crate::manifest::settings::{SecretPolicy, Settings};
use crate::wire::acg::API_VERSION;

/// The Provisioning API's scope as its spec declares it; a real deployment may need another
/// (set `TELFORM_ACG_SCOPE`).
pub const DEFAULT_ACG_SCOPE: &str = "https://func-voiceservice-rp-prod-eastuseuap.azurewebsites.net/.default";
pub const DEFAULT_WEBEX_URL: &str = "https://webexapis.com/v1";

#[derive(Debug, Clone)]
pub struct AcgConfig {
    pub url: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scope: String,
    pub api_version: String,
    pub requests_per_minute: u32,
}

#[derive(Debug, Clone)]
pub struct WebexConfig {
    pub url: String,
    pub token: SecretString,
}

/// A setting that is missing, named with every way to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub hints: Vec<String>,
}

impl Missing {
    /// Every missing setting at once: fixing them one run at a time is a slow way to learn them.
    fn all(missing: Vec<Missing>) -> Missing {
        let what: Vec<&str> = missing.iter().map(|m| m.what.as_str()).collect();
        let what = match what.as_slice() {
            [] => String::new(),
            [one] => one.to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let hints = missing.into_iter().flat_map(|m| m.hints).collect();
        Missing { what, hints }
    }
}

/// The value of `result`, or `None` with its error kept in `missing`.
fn or_missing<T>(result: Result<T, Missing>, missing: &mut Vec<Missing>) -> Option<T> {
    result.map_err(|m| missing.push(m)).ok()
}

impl From<Missing> for Problem {
    fn from(missing: Missing) -> Problem {
        let verb = if missing.what.contains(" and ") { "are" } else { "is" };
        Problem {
            message: format!("{} {verb} not configured", missing.what),
            hints: missing.hints,
        }
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Problem::from(self.clone()).fmt(f)
    }
}

/// Reads a variable of the process environment (a function, so tests can pass their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable of the process environment; an empty one is unset (CI platforms set a secret
/// that is not defined to the empty string).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// What telform trusts to configure the providers and the secrets: the environment and the
/// operator's settings file. Never the manifest folder.
#[derive(Clone, Copy)]
pub struct Trusted<'a> {
    pub env: Env<'a>,
    /// The operator's settings file, when one is named.
    pub settings: Option<&'a Settings>,
}

impl<'a> Trusted<'a> {
    /// The environment alone.
    pub fn env(env: Env<'a>) -> Trusted<'a> {
        Trusted { env, settings: None }
    }

    /// A variable, empty counting as unset.
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    /// Which variables manifests may name as SIP password sources.
    pub fn secret_policy(&self) -> SecretPolicy {
        SecretPolicy::of(self.settings)
    }
}

impl std::fmt::Debug for Trusted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trusted")
            .field("settings", &self.settings.is_some())
            .finish()
    }
}

const SETTINGS_HINT: &str = "the operator's settings file (--settings or TELFORM_SETTINGS)";

fn pick(trusted: &Trusted, var: &str, file: Option<&String>, setting: &str) -> Result<String, Missing> {
    trusted.var(var).or_else(|| file.cloned()).ok_or_else(|| Missing {
        what: format!("the {setting}"),
        hints: vec![format!("set {var}, or `{setting}` in {SETTINGS_HINT}")],
    })
}

/// `folder` is the manifest folder's `telform.yaml`: only its `acg.requestsPerMinute` is read,
/// and only to lower the trusted budget.
pub fn acg(trusted: Trusted, folder: Option<&Settings>) -> Result<AcgConfig, Missing> {
    let file = trusted.settings.and_then(|s| s.acg.clone()).unwrap_or_default();
    let mut missing = Vec::new();
    let url = or_missing(
        pick(&trusted, "TELFORM_ACG_URL", file.url.as_ref(), "acg.url"),
        &mut missing,
    );
    let tenant = trusted.var("TELFORM_ACG_TENANT").or(file.tenant.clone());
    let token_url = match trusted.var("TELFORM_ACG_TOKEN_URL").or(file.token_url.clone()) {
        Some(url) => Some(url),
        None => match &tenant {
            Some(tenant) => Some(format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token")),
            None => {
                missing.push(Missing {
                    what: "the ACG token endpoint".into(),
                    hints: vec![format!(
                        "set TELFORM_ACG_TENANT (or TELFORM_ACG_TOKEN_URL), or `acg.tenant` in {SETTINGS_HINT}"
                    )],
                });
                None
            }
        },
    };
    let client_id = or_missing(
        pick(
            &trusted,
            "TELFORM_ACG_CLIENT_ID",
            file.client_id.as_ref(),
            "acg.clientId",
        ),
        &mut missing,
    );
    let secret_var = file
        .client_secret
        .as_ref()
        .map_or("TELFORM_ACG_CLIENT_SECRET".to_string(), |s| s.from_env.clone());
    let client_secret = trusted.var(&secret_var);
    if client_secret.is_none() {
        missing.push(Missing {
            what: "the ACG client secret".into(),
            hints: vec![format!(
                "set the environment variable {secret_var} (telform never reads a secret from a file in Git)"
            )],
        });
    }
    let (Some(url), Some(token_url), Some(client_id), Some(client_secret)) = (url, token_url, client_id, client_secret)
    else {
        return Err(Missing::all(missing));
    };
    // 0 turns pacing off (an emulator without a limit).
    let trusted_budget = trusted
        .var("TELFORM_ACG_REQUESTS_PER_MINUTE")
        .and_then(|v| v.parse().ok())
        .or(file.requests_per_minute)
        .unwrap_or(100);
    let folder_budget = folder.and_then(|s| s.acg.as_ref()).and_then(|a| a.requests_per_minute);
    Ok(AcgConfig {
        url: url.trim_end_matches('/').to_string(),
        token_url,
        client_id,
        client_secret: SecretString::from(client_secret),
        scope: trusted
            .var("TELFORM_ACG_SCOPE")
            .or(file.scope.clone())
            .unwrap_or_else(|| DEFAULT_ACG_SCOPE.to_string()),
        api_version: trusted
            .var("TELFORM_ACG_API_VERSION")
            .or(file.api_version.clone())
            .unwrap_or_else(|| API_VERSION.to_string()),
        requests_per_minute: lower_budget(trusted_budget, folder_budget),
    })
}

/// The folder may ask for fewer requests per minute than the operator allows, never more.
fn lower_budget(trusted: u32, folder: Option<u32>) -> u32 {
    match folder {
        Some(asked) if trusted == 0 || asked < trusted => asked,
        _ => trusted,
    }
}

pub fn webex(trusted: Trusted) -> Result<WebexConfig, Missing> {
    let file = trusted.settings.and_then(|s| s.webex.clone()).unwrap_or_default();
    let url = trusted
        .var("TELFORM_WEBEX_URL")
        .or(file.url.clone())
        .unwrap_or_else(|| DEFAULT_WEBEX_URL.to_string());
    let token_var = file
        .token
        .as_ref()
        .map_or("TELFORM_WEBEX_TOKEN".to_string(), |t| t.from_env.clone());
    let token = trusted.var(&token_var).ok_or_else(|| Missing {
        what: "the Webex token".into(),
        hints: vec![format!("set the environment variable {token_var}")],
    })?;
    Ok(WebexConfig {
        url: url.trim_end_matches('/').to_string(),
        token: SecretString::from(token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn the_environment_configures_acg_and_names_what_is_missing() {
        let vars = [
            ("TELFORM_ACG_URL", "https://provapi.example/"),
            ("TELFORM_ACG_TENANT", "contoso.onmicrosoft.com"),
            ("TELFORM_ACG_CLIENT_ID", "id"),
            ("TELFORM_ACG_CLIENT_SECRET", "s3cret"),
        ];
        let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let cfg = acg(Trusted::env(&env), None).expect("configured");
        assert_eq!(cfg.url, "https://provapi.example");
        assert_eq!(
            cfg.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(cfg.client_secret.expose_secret(), "s3cret");
        assert!(!format!("{cfg:?}").contains("s3cret"), "Debug must not show the secret");

        let none = |_: &str| None;
        let missing = acg(Trusted::env(&none), None).expect_err("nothing set");
        assert!(
            missing
                .hints
                .iter()
                .any(|h| h.contains("TELFORM_ACG_URL") && h.contains("acg.url")),
            "{missing}"
        );
        // Everything missing is said at once.
        let shown = missing.to_string();
        assert!(
            shown.starts_with(
                "the acg.url, the ACG token endpoint, the acg.clientId and the ACG client secret are not configured"
            ),
            "{shown}"
        );
        for var in [
            "TELFORM_ACG_URL",
            "TELFORM_ACG_TENANT",
            "TELFORM_ACG_CLIENT_ID",
            "TELFORM_ACG_CLIENT_SECRET",
        ] {
            assert!(shown.contains(var), "{var}: {shown}");
        }
    }

    #[test]
    fn an_empty_variable_is_unset_and_the_folder_only_lowers_the_budget() {
        let vars = [
            ("TELFORM_ACG_URL", "https://provapi.example"),
            ("TELFORM_ACG_TENANT", "contoso.onmicrosoft.com"),
            ("TELFORM_ACG_TOKEN_URL", ""),
            ("TELFORM_ACG_CLIENT_ID", "id"),
            ("TELFORM_ACG_CLIENT_SECRET", "s3cret"),
        ];
        let env = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let cfg = acg(Trusted::env(&env), None).expect("configured");
        assert_eq!(
            cfg.token_url, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            "an empty TELFORM_ACG_TOKEN_URL is unset"
        );
        assert_eq!(cfg.requests_per_minute, 100);
        let folder = |n| Settings {
            acg: Some(crate::manifest::settings::AcgSettings {
                requests_per_minute: Some(n),
                ..Default::default()
            }),
            ..Settings::default()
        };
        assert_eq!(
            acg(Trusted::env(&env), Some(&folder(20)))
                .expect("ok")
                .requests_per_minute,
            20
        );
        assert_eq!(
            acg(Trusted::env(&env), Some(&folder(5000)))
                .expect("ok")
                .requests_per_minute,
            100
        );
        assert_eq!(
            lower_budget(0, Some(5000)),
            5000,
            "no trusted limit: the folder's applies"
        );
    }
}
