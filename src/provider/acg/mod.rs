//! The Azure Communications Gateway Provisioning API client.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::config::AcgConfig;
use super::http::{ProviderError, not_json, read_bytes_paced};
use super::{CallStats, Provider};
use crate::model::ProviderName;
use crate::model::acg::{AcgLive, AcgNeeds, Interner, LiveNumber};
use crate::rate::RateWindow;
use crate::wire::acg::{AccountResource, CivicAddress, NumberResource, Paged, RequestForInformation, TokenResponse};
use crate::wire::encode;

pub mod write;

/// The largest page ACG serves.
pub const PAGE_SIZE: usize = 500;
/// Accounts whose numbers are read at the same time.
const READ_CONCURRENCY: usize = 8;
/// A scoped plan reads its accounts (and consents) one by one up to this many; more are
/// listed (a page holds 500).
const BY_NAME_AT_MOST: usize = 20;

struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

pub struct AcgClient {
    http: reqwest::Client,
    pub config: AcgConfig,
    /// One lock: under concurrency the token is fetched once and shared.
    token: Mutex<Option<CachedToken>>,
    window: Option<std::sync::Mutex<RateWindow>>,
    pub stats: CallStats,
}

impl Provider for AcgClient {
    fn name(&self) -> ProviderName {
        ProviderName::Acg
    }

    fn stats(&self) -> &CallStats {
        &self.stats
    }
}

fn request_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        h.write_u128(std::time::SystemTime::now().elapsed().map_or(0, |d| d.as_nanos()));
        *w = h.finish();
    }
    let hex = format!("{:016x}{:016x}", words[0], words[1]);
    // A version-4 UUID layout.
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

impl AcgClient {
    pub fn new(config: AcgConfig) -> Result<AcgClient, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("telform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::transport(ProviderName::Acg, "build the HTTP client", &e))?;
        let window = (config.requests_per_minute > 0).then(|| {
            std::sync::Mutex::new(RateWindow::with_margin(
                config.requests_per_minute,
                Duration::from_secs(2),
            ))
        });
        Ok(AcgClient {
            http,
            config,
            token: Mutex::new(None),
            window,
            stats: CallStats::default(),
        })
    }

    /// A bearer token, fetched with the client credentials grant and kept until a minute
    /// before it expires.
    pub async fn token(&self) -> Result<SecretString, ProviderError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.refresh_at
        {
            return Ok(token.value.clone());
        }
        let operation = "get an access token from the identity platform";
        let response = self
            .http
            .post(&self.config.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.config.client_id.as_str()),
                ("client_secret", self.config.client_secret.expose_secret()),
                ("scope", self.config.scope.as_str()),
            ])
            .send()
            .await
            .map_err(|e| {
                ProviderError::transport(ProviderName::Acg, operation, &e).with_hint(
                    "check that the token endpoint is right and reachable: TELFORM_ACG_TOKEN_URL, or TELFORM_ACG_TENANT from which it is derived (https://login.microsoftonline.com/TENANT/oauth2/v2.0/token)",
                )
            })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            return Err(ProviderError {
                provider: ProviderName::Acg,
                operation: operation.into(),
                status: Some(status),
                code: body["error"].as_str().map(str::to_string),
                message: body["error_description"].as_str().unwrap_or_default().to_string(),
                tracking_id: body["trace_id"].as_str().map(str::to_string),
                hint: "check TELFORM_ACG_TENANT (or TELFORM_ACG_TOKEN_URL), TELFORM_ACG_CLIENT_ID, TELFORM_ACG_CLIENT_SECRET and TELFORM_ACG_SCOPE".into(),
            });
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| ProviderError::transport(ProviderName::Acg, operation, &e))?;
        let lifetime = Duration::from_secs(token.expires_in.saturating_sub(60).max(30));
        let value = SecretString::from(token.access_token);
        *cached = Some(CachedToken {
            value: value.clone(),
            refresh_at: Instant::now() + lifetime,
        });
        Ok(value)
    }

    /// Waits for room in ACG's request budget.
    pub async fn pace(&self) {
        let Some(window) = &self.window else { return };
        loop {
            let wait = match window.lock().unwrap_or_else(|p| p.into_inner()).admit(Instant::now()) {
                Ok(()) => return,
                Err(wait) => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// `{url}{path}?api-version=…&{query}`; `path` segments must already be encoded.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!(
            "{}{path}?api-version={}",
            self.config.url,
            encode(&self.config.api_version)
        );
        for (key, value) in query {
            url.push_str(&format!("&{key}={}", encode(value)));
        }
        url
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A request with the bearer token and a fresh `x-ms-client-request-id`.
    pub async fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder, ProviderError> {
        let token = self.token().await?;
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(token.expose_secret())
            .header("x-ms-client-request-id", request_id()))
    }

    /// A GET with the bearer token and a fresh `x-ms-client-request-id` (built again for each
    /// attempt of a retried read).
    fn get(&self, url: &str, token: &SecretString) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .bearer_auth(token.expose_secret())
            .header("x-ms-client-request-id", request_id())
    }

    async fn read<T: DeserializeOwned>(&self, operation: &str, url: &str) -> Result<T, ProviderError> {
        let token = self.token().await?;
        let (bytes, _) = read_bytes_paced(
            ProviderName::Acg,
            &self.stats,
            operation,
            || self.get(url, &token),
            || self.pace(),
        )
        .await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let mut error = not_json(ProviderName::Acg, operation, &e);
            error.hint = format!(
                "check that TELFORM_ACG_API_VERSION ({}) is what the gateway serves",
                self.config.api_version
            );
            error
        })
    }

    /// Reads every page of a list, following `nextLink` verbatim.
    pub async fn list<T: DeserializeOwned>(&self, operation: &str, path: &str) -> Result<Vec<T>, ProviderError> {
        let mut all = Vec::new();
        self.list_each(operation, path, |page| all.extend(page)).await?;
        Ok(all)
    }

    /// Like [`AcgClient::list`], handing each page to `each` instead of keeping them all.
    pub async fn list_each<T: DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        mut each: impl FnMut(Vec<T>),
    ) -> Result<(), ProviderError> {
        let mut url = self.url(path, &[("maxpagesize", PAGE_SIZE.to_string())]);
        loop {
            let page: Paged<T> = self.read(operation, &url).await?;
            each(page.value);
            match page.next_link {
                // A provider answering the same link again would loop forever.
                Some(next) if !next.is_empty() && next != url => url = next,
                _ => return Ok(()),
            }
        }
    }

    /// An account's numbers, normalised page by page.
    async fn account_numbers(&self, account: &str) -> Result<Vec<(String, LiveNumber)>, ProviderError> {
        let mut interner = Interner::default();
        let mut out = Vec::new();
        let operation = format!("list the numbers of account {account}");
        self.list_each(
            &operation,
            &format!("/accounts/{}/numbers", encode(account)),
            |page: Vec<NumberResource>| {
                out.extend(
                    page.iter()
                        .map(|n| (n.telephone_number.clone(), LiveNumber::from_wire(n, &mut interner))),
                );
            },
        )
        .await?;
        Ok(out)
    }

    /// One object by its path; `None` when the gateway answers 404.
    async fn read_one<T: DeserializeOwned>(&self, operation: String, path: String) -> Result<Option<T>, ProviderError> {
        let url = self.url(&path, &[]);
        match self.read(&operation, &url).await {
            Ok(one) => Ok(Some(one)),
            Err(error) if error.status == Some(404) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn list_accounts(&self) -> Result<Vec<AccountResource>, ProviderError> {
        self.list("list the accounts", "/accounts").await
    }

    pub async fn list_account_numbers(&self, account: &str) -> Result<Vec<NumberResource>, ProviderError> {
        self.list(
            &format!("list the numbers of account {account}"),
            &format!("/accounts/{}/numbers", encode(account)),
        )
        .await
    }

    pub async fn list_all_numbers(&self) -> Result<Vec<NumberResource>, ProviderError> {
        self.list("list the numbers", "/numbers").await
    }

    pub async fn list_consents(&self) -> Result<Vec<RequestForInformation>, ProviderError> {
        self.list("list the Operator Connect consents", "/teamsRequestsForInformation")
            .await
    }

    pub async fn list_civic_addresses(&self, account: &str) -> Result<Vec<CivicAddress>, ProviderError> {
        self.list(
            &format!("list the civic addresses of account {account}"),
            &format!("/accounts/{}/teamsCivicAddresses", encode(account)),
        )
        .await
    }

    /// Reads what a plan needs with list calls only: one page per 500 objects. Numbers come
    /// per managed account, or from the cross-account list when that takes fewer calls.
    pub async fn read_live(&self, needs: &AcgNeeds) -> Result<AcgLive, ProviderError> {
        let mut live = AcgLive::default();
        let by_name = needs.by_name && needs.accounts.len() <= BY_NAME_AT_MOST;
        if by_name {
            // A scoped plan: each account it needs, by name (one call each), rather than the
            // list of every account of the gateway.
            use futures_util::stream::{self, StreamExt, TryStreamExt};
            let read: Vec<Option<AccountResource>> = stream::iter(needs.accounts.iter())
                .map(|name| {
                    self.read_one::<AccountResource>(
                        format!("read account {name}"),
                        format!("/accounts/{}", encode(name)),
                    )
                })
                .buffer_unordered(READ_CONCURRENCY)
                .try_collect()
                .await?;
            for account in read.into_iter().flatten() {
                live.accounts.insert(account.name.clone(), account);
            }
        } else {
            for account in self.list_accounts().await? {
                live.accounts.insert(account.name.clone(), account);
            }
        }
        // An account whose counters say it has no number needs no call: ACG maintains
        // `numberCount`. Were it to lag, the plan would show an existing number as a create,
        // which apply writes with an upsert: harmless; and nothing unread is ever pruned.
        let managed: Vec<&String> = needs
            .accounts
            .iter()
            .filter(|a| live.accounts.get(*a).is_some_and(|account| number_count(account) > 0))
            .collect();
        // Each account costs at least one call; the global list costs one call per 500 numbers
        // of the whole gateway. The account's numberCount tells which is cheaper.
        let per_account_calls: u64 = managed
            .iter()
            .map(|a| number_count(&live.accounts[*a]).div_ceil(PAGE_SIZE as u64).max(1))
            .sum();
        let global_calls: u64 = live
            .accounts
            .values()
            .map(number_count)
            .sum::<u64>()
            .div_ceil(PAGE_SIZE as u64)
            .max(1);
        if !managed.is_empty() {
            // Read by name, only the needed accounts' counters are known: per account.
            if by_name || per_account_calls <= global_calls {
                // Accounts are independent: read several at once (the request budget, when
                // there is one, still paces every call).
                use futures_util::stream::{self, StreamExt, TryStreamExt};
                let pages: Vec<Vec<(String, LiveNumber)>> = stream::iter(managed.iter())
                    .map(|account| self.account_numbers(account))
                    .buffer_unordered(READ_CONCURRENCY)
                    .try_collect()
                    .await?;
                for page in pages {
                    live.numbers.extend(page);
                }
            } else {
                let wanted: BTreeSet<&String> = managed.iter().copied().collect();
                let mut interner = Interner::default();
                let numbers = &mut live.numbers;
                self.list_each("list the numbers", "/numbers", |page: Vec<NumberResource>| {
                    for n in page.iter().filter(|n| wanted.contains(&n.account_name)) {
                        numbers.insert(n.telephone_number.clone(), LiveNumber::from_wire(n, &mut interner));
                    }
                })
                .await?;
            }
        }
        if needs.consents && needs.by_name && needs.consent_tenants.len() <= BY_NAME_AT_MOST {
            for tenant in &needs.consent_tenants {
                let consent: Option<RequestForInformation> = self
                    .read_one(
                        format!("read the Operator Connect consent of tenant {tenant}"),
                        format!("/teamsRequestsForInformation/{}", encode(tenant)),
                    )
                    .await?;
                if let Some(consent) = consent {
                    live.consents.insert(consent.tenant_id.to_ascii_lowercase(), consent);
                }
            }
        } else if needs.consents {
            for consent in self.list_consents().await? {
                live.consents.insert(consent.tenant_id.to_ascii_lowercase(), consent);
            }
        }
        for account in &needs.civic_addresses_of {
            if live.accounts.contains_key(account) {
                let addresses = self.list_civic_addresses(account).await?;
                live.civic_addresses.insert(account.clone(), addresses);
            }
        }
        Ok(live)
    }

    pub fn calls(&self) -> u64 {
        self.stats.reads.load(Ordering::Relaxed) + self.stats.writes.load(Ordering::Relaxed)
    }
}

/// Numbers of an account across its services, from its read-only counters.
fn number_count(account: &AccountResource) -> u64 {
    let Some(d) = &account.service_details else { return 0 };
    [
        d.teams_operator_connect.as_ref().and_then(|s| s.number_count),
        d.teams_phone_mobile.as_ref().and_then(|s| s.number_count),
        d.teams_direct_routing.as_ref().and_then(|s| s.number_count),
        d.zoom_phone_cloud_peering.as_ref().and_then(|s| s.number_count),
        d.azure_operator_call_protection.as_ref().and_then(|s| s.number_count),
    ]
    .into_iter()
    .flatten()
    .map(|n| n.max(0) as u64)
    .sum()
}
