//! Settings, from two places that are not trusted alike (docs/security.md):
//!
//! - the operator's settings file, named by `--settings` or `TELFORM_SETTINGS` and kept outside
//!   the checkout: provider endpoints, tenants, client ids, the names of credential variables,
//!   which variables `sipPassword.fromEnv` may name, and the harmless options;
//! - `telform.yaml` in the manifest folder, written by whoever opened the pull request: the
//!   harmless options only ([`FOLDER_MAY_SET`]); anything else there is refused by name.
//!
//! The environment wins over the operator's file, which wins over the folder. Secrets are only
//! ever named (an environment variable), never written.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const SETTINGS_FILE_NAMES: &[&str] = &["telform.yaml", "telform.yml"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// `telform/v1` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("const" = "telform/v1"))]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acg: Option<AcgSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex: Option<WebexSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<ApplySettings>,
    /// Which environment variables `sipPassword.fromEnv` may name (operator's settings file
    /// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_passwords: Option<SipPasswordSettings>,
    /// Where telform keeps the apply lock and the history (operator's settings file only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreSettings>,
}

/// The store (docs/store.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite:PATH` or `postgres://USER@HOST/DB` (`TELFORM_STORE`; default: a SQLite file in
    /// the user's state folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// How long an apply waits for the lock another holds, e.g. `10m` (default 0: refuse at
    /// once; `--lock-timeout` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h)$"))]
    pub lock_timeout: Option<String>,
}

/// Where SIP passwords may come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SipPasswordSettings {
    /// Patterns of the variable names `sipPassword.fromEnv` may name; `*` stands for any
    /// characters (default `["*_SIP_PASSWORD"]`). `TELFORM_*`, the CI platform's variables and
    /// the provider credentials' variables are never allowed, whatever the pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_env: Option<Vec<String>>,
}

/// The only settings the manifest folder's `telform.yaml` may hold, as JSON pointers: none
/// decides where a credential goes or which variable or file is read. `requestsPerMinute` there
/// can only lower the trusted budget; `maxDeletes` and `concurrency` shape a plan or an apply
/// that a reviewer sees, and the trusted flags win over them.
pub const FOLDER_MAY_SET: &[&str] = &[
    "/apiVersion",
    "/acg/requestsPerMinute",
    "/apply/concurrency",
    "/apply/maxDeletes",
    "/apply/provisioningTimeout",
];

/// Where each trusted-only setting belongs instead of the manifest folder: its environment
/// variable, when it has one.
pub fn trusted_home(pointer: &str) -> Option<&'static str> {
    Some(match pointer {
        "/acg/url" => "TELFORM_ACG_URL",
        "/acg/tokenUrl" => "TELFORM_ACG_TOKEN_URL",
        "/acg/tenant" => "TELFORM_ACG_TENANT",
        "/acg/clientId" => "TELFORM_ACG_CLIENT_ID",
        "/acg/scope" => "TELFORM_ACG_SCOPE",
        "/acg/apiVersion" => "TELFORM_ACG_API_VERSION",
        "/webex/url" => "TELFORM_WEBEX_URL",
        "/store/url" => "TELFORM_STORE",
        _ => return None,
    })
}

/// The default of [`SipPasswordSettings::allow_env`].
pub const DEFAULT_SIP_PASSWORD_ENV: &str = "*_SIP_PASSWORD";

/// Prefixes of variables a manifest may never name, whatever the operator allows: telform's own
/// configuration and the CI platforms' (tokens, runner internals).
const NEVER_ENV_PREFIXES: &[&str] = &[
    "TELFORM_",
    "GITHUB_",
    "ACTIONS_",
    "RUNNER_",
    "CI_",
    "GITLAB_",
    "BUILDKITE_",
    "CIRCLE_",
    "JENKINS_",
    "TRAVIS_",
    "SYSTEM_",
    "AGENT_",
    "BUILD_",
    "AWS_",
    "AZURE_",
    "ARM_",
    "GOOGLE_",
    "SSH_",
];

/// Which environment variables manifests may name as a SIP password's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPolicy {
    allow: Vec<String>,
    /// The variables the providers' credentials are read from (never a SIP password).
    credentials: Vec<String>,
}

impl Default for SecretPolicy {
    fn default() -> SecretPolicy {
        SecretPolicy {
            allow: vec![DEFAULT_SIP_PASSWORD_ENV.to_string()],
            credentials: vec!["TELFORM_ACG_CLIENT_SECRET".into(), "TELFORM_WEBEX_TOKEN".into()],
        }
    }
}

impl SecretPolicy {
    /// The policy the operator's settings give (the defaults without them).
    pub fn of(trusted: Option<&Settings>) -> SecretPolicy {
        let mut policy = SecretPolicy::default();
        if let Some(allow) = trusted
            .and_then(|s| s.sip_passwords.as_ref())
            .and_then(|p| p.allow_env.clone())
        {
            policy.allow = allow;
        }
        if let Some(var) = trusted
            .and_then(|s| s.acg.as_ref())
            .and_then(|a| a.client_secret.as_ref())
        {
            policy.credentials.push(var.from_env.clone());
        }
        if let Some(var) = trusted.and_then(|s| s.webex.as_ref()).and_then(|w| w.token.as_ref()) {
            policy.credentials.push(var.from_env.clone());
        }
        policy
    }

    /// Why `name` may not be a SIP password's source, or `None` when it may.
    pub fn refuses(&self, name: &str) -> Option<String> {
        if self.credentials.iter().any(|c| c == name) {
            return Some(format!("${name} holds a provider credential"));
        }
        let upper = name.to_ascii_uppercase();
        if upper == "CI" || NEVER_ENV_PREFIXES.iter().any(|p| upper.starts_with(p)) {
            return Some(format!(
                "${name} belongs to telform's or the CI platform's own configuration"
            ));
        }
        if !self.allow.iter().any(|pattern| glob(pattern, name)) {
            return Some(format!(
                "${name} is not among the variables the operator allows ({})",
                self.allow.join(", ")
            ));
        }
        None
    }

    /// The allowed patterns, for hints.
    pub fn allowed(&self) -> &[String] {
        &self.allow
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A secret, by reference. The value is read at run time and never printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// Name of the environment variable that holds the secret.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub from_env: String,
}

/// Azure Communications Gateway Provisioning API (`TELFORM_ACG_*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcgSettings {
    /// Base URL, e.g. `https://provapi.<domain>` (`TELFORM_ACG_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// OAuth 2.0 token endpoint (`TELFORM_ACG_TOKEN_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Entra tenant of the ACG (`TELFORM_ACG_TENANT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// App registration's client id (`TELFORM_ACG_CLIENT_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Client secret, by reference (default `TELFORM_ACG_CLIENT_SECRET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    /// OAuth scope (`TELFORM_ACG_SCOPE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// API version (`TELFORM_ACG_API_VERSION`, default `2024-02-29-preview`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Request budget shared by every call (ACG allows 100 per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub requests_per_minute: Option<u32>,
}

/// Webex APIs (`TELFORM_WEBEX_*`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebexSettings {
    /// Base URL, default `https://webexapis.com/v1` (`TELFORM_WEBEX_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Bearer token, by reference (default `TELFORM_WEBEX_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplySettings {
    /// Independent branches applied at once (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 256))]
    pub concurrency: Option<u32>,
    /// A plan that deletes more objects fails (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<u32>,
    /// How long to wait for asynchronous provisioning, e.g. `10m`, `90s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h)$"))]
    pub provisioning_timeout: Option<String>,
}

impl ApplySettings {
    /// These settings, each replaced by the operator's where the operator gives one: the
    /// operator's settings file wins over the manifest folder's.
    pub fn under(self, operator: Option<&ApplySettings>) -> ApplySettings {
        let Some(operator) = operator else { return self };
        ApplySettings {
            concurrency: operator.concurrency.or(self.concurrency),
            max_deletes: operator.max_deletes.or(self.max_deletes),
            provisioning_timeout: operator.provisioning_timeout.clone().or(self.provisioning_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_s_apply_settings_win_field_by_field() {
        let folder = ApplySettings {
            concurrency: Some(4),
            max_deletes: Some(100_000),
            provisioning_timeout: None,
        };
        let operator = ApplySettings {
            max_deletes: Some(1),
            provisioning_timeout: Some("5m".into()),
            ..ApplySettings::default()
        };
        assert_eq!(
            folder.clone().under(Some(&operator)),
            ApplySettings {
                concurrency: Some(4),
                max_deletes: Some(1),
                provisioning_timeout: Some("5m".into()),
            }
        );
        assert_eq!(folder.clone().under(None), folder);
    }

    #[test]
    fn patterns_match_whole_names() {
        assert!(glob("*_SIP_PASSWORD", "ACME_DESK_SIP_PASSWORD"));
        assert!(!glob("*_SIP_PASSWORD", "ACME_DESK_SIP_PASSWORD_X"));
        assert!(!glob("*_SIP_PASSWORD", "SIP_PASSWORD"));
        assert!(glob("VAULT_*_SIP", "VAULT_A_SIP"));
        assert!(glob("A*B*C", "AxxBxxC"));
        assert!(!glob("A*B*C", "AxxC"));
        assert!(glob("EXACT", "EXACT"));
        assert!(!glob("EXACT", "EXACTLY"));
        assert!(glob("*", "ANY"));
    }

    #[test]
    fn credentials_and_platform_variables_are_never_a_password() {
        let policy = SecretPolicy::default();
        assert_eq!(policy.refuses("ACME_DESK_SIP_PASSWORD"), None);
        assert!(policy.refuses("HOME").is_some(), "not allowed by the default pattern");
        let everything = Settings {
            sip_passwords: Some(SipPasswordSettings {
                allow_env: Some(vec!["*".into()]),
            }),
            webex: Some(WebexSettings {
                url: None,
                token: Some(SecretRef {
                    from_env: "VAULT_WEBEX".into(),
                }),
            }),
            ..Settings::default()
        };
        let policy = SecretPolicy::of(Some(&everything));
        assert_eq!(policy.refuses("HOME"), None);
        for name in [
            "TELFORM_ACG_CLIENT_SECRET",
            "telform_acg_client_secret",
            "GITHUB_TOKEN",
            "ACTIONS_RUNTIME_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "CI_JOB_TOKEN",
            "CI",
            "VAULT_WEBEX",
        ] {
            assert!(policy.refuses(name).is_some(), "{name} must be refused");
        }
    }
}
