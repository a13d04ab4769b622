//! Provider configuration: flags win, then the environment, then `telform.yaml`. Nothing
//! defaults to the emulator: a real endpoint is used whenever one is configured.

use secrecy::SecretString;

use crate::manifest::settings::Settings;
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
    pub hint: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not configured\nhint: {}", self.what, self.hint)
    }
}

/// Reads a variable of the process environment (a function, so tests can pass their own).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn pick(env: Env, var: &str, file: Option<&String>, setting: &str) -> Result<String, Missing> {
    env(var).or_else(|| file.cloned()).ok_or_else(|| Missing {
        what: format!("the {setting}"),
        hint: format!("set {var}, or `{setting}` in telform.yaml"),
    })
}

pub fn acg(settings: Option<&Settings>, env: Env) -> Result<AcgConfig, Missing> {
    let file = settings.and_then(|s| s.acg.clone()).unwrap_or_default();
    let url = pick(env, "TELFORM_ACG_URL", file.url.as_ref(), "acg.url")?;
    let tenant = env("TELFORM_ACG_TENANT").or(file.tenant.clone());
    let token_url = match env("TELFORM_ACG_TOKEN_URL").or(file.token_url.clone()) {
        Some(url) => url,
        None => match &tenant {
            Some(tenant) => format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
            None => {
                return Err(Missing {
                    what: "the ACG token endpoint".into(),
                    hint: "set TELFORM_ACG_TENANT (or TELFORM_ACG_TOKEN_URL), or `acg.tenant` in telform.yaml".into(),
                });
            }
        },
    };
    let client_id = pick(env, "TELFORM_ACG_CLIENT_ID", file.client_id.as_ref(), "acg.clientId")?;
    let secret_var = file
        .client_secret
        .as_ref()
        .map_or("TELFORM_ACG_CLIENT_SECRET".to_string(), |s| s.from_env.clone());
    let client_secret = env(&secret_var).ok_or_else(|| Missing {
        what: "the ACG client secret".into(),
        hint: format!("set the environment variable {secret_var} (telform never reads a secret from a file in Git)"),
    })?;
    Ok(AcgConfig {
        url: url.trim_end_matches('/').to_string(),
        token_url,
        client_id,
        client_secret: SecretString::from(client_secret),
        scope: env("TELFORM_ACG_SCOPE")
            .or(file.scope.clone())
            .unwrap_or_else(|| DEFAULT_ACG_SCOPE.to_string()),
        api_version: env("TELFORM_ACG_API_VERSION")
            .or(file.api_version.clone())
            .unwrap_or_else(|| API_VERSION.to_string()),
        // 0 turns pacing off (an emulator without a limit).
        requests_per_minute: env("TELFORM_ACG_REQUESTS_PER_MINUTE")
            .and_then(|v| v.parse().ok())
            .or(file.requests_per_minute)
            .unwrap_or(100),
    })
}

pub fn webex(settings: Option<&Settings>, env: Env) -> Result<WebexConfig, Missing> {
    let file = settings.and_then(|s| s.webex.clone()).unwrap_or_default();
    let url = env("TELFORM_WEBEX_URL")
        .or(file.url.clone())
        .unwrap_or_else(|| DEFAULT_WEBEX_URL.to_string());
    let token_var = file
        .token
        .as_ref()
        .map_or("TELFORM_WEBEX_TOKEN".to_string(), |t| t.from_env.clone());
    let token = env(&token_var).ok_or_else(|| Missing {
        what: "the Webex token".into(),
        hint: format!("set the environment variable {token_var}"),
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
        let cfg = acg(None, &env).expect("configured");
        assert_eq!(cfg.url, "https://provapi.example");
        assert_eq!(
            cfg.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(cfg.client_secret.expose_secret(), "s3cret");
        assert!(!format!("{cfg:?}").contains("s3cret"), "Debug must not show the secret");

        let none = |_: &str| None;
        let missing = acg(None, &none).expect_err("nothing set");
        assert!(
            missing.hint.contains("TELFORM_ACG_URL") && missing.hint.contains("acg.url"),
            "{missing}"
        );
    }
}
