//! `telform.yaml`: provider endpoints, credentials by reference, limits.
//!
//! Every setting also has an environment variable and a flag; flags win, then the environment,
//! then this file. Secrets are only ever named here (an environment variable), never written.

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
