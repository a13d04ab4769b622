//! What the emulated ACG holds, and its seed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::emulator::now_ms;
use crate::wire::acg::{
    AccountResource, CivicAddress, Error, FAILED, NumberResource, PENDING, RequestForInformation, SYNCED,
};

/// The scope the official spec declares for the Provisioning API.
pub const DEFAULT_SCOPE: &str = "https://func-voiceservice-rp-prod-eastuseuap.azurewebsites.net/.default";

/// An app registration allowed to get tokens, with its app roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Client {
    /// The Entra tenant of the ACG (GUID or domain), as in the token URL.
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
    /// `ProvisioningAPI.Admin`, `.Read`, `.Write`, `.Delete`.
    pub roles: Vec<String>,
}

/// A block of numbers to seed without listing each: `count` consecutive numbers from `from`,
/// each a copy of `template` (a `NumberResource` without `telephoneNumber`/`accountName`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberBlock {
    pub account: String,
    pub from: String,
    pub count: u64,
    pub template: serde_json::Value,
}

/// The ACG part of the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Clients that may get tokens; the first is the one written to the env file.
    #[serde(default)]
    pub clients: Vec<Client>,
    /// The scope tokens are requested for (default: the spec's).
    #[serde(default)]
    pub scope: Option<String>,
    /// Operator Connect consents, as Teams created them.
    #[serde(default)]
    pub requests_for_information: Vec<RequestForInformation>,
    /// Civic addresses (with their locations) by Teams tenant id: an account sees those of its
    /// `teamsTenantId`.
    #[serde(default)]
    pub civic_addresses: BTreeMap<String, Vec<CivicAddress>>,
    /// Brownfield accounts.
    #[serde(default)]
    pub accounts: Vec<AccountResource>,
    /// Brownfield numbers.
    #[serde(default)]
    pub numbers: Vec<NumberResource>,
    /// Brownfield numbers in bulk.
    #[serde(default)]
    pub number_blocks: Vec<NumberBlock>,
    /// Account names and telephone numbers whose backend sync fails (`failed`, with an error).
    #[serde(default)]
    pub fail_sync: Vec<String>,
}

/// A resource with its ETag and sync state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record<T> {
    pub resource: T,
    pub etag: String,
    /// When a pending sync completes (epoch ms); `None` when nothing is synced.
    pub sync_at_ms: Option<u64>,
    pub sync_fails: bool,
}

impl<T> Record<T> {
    /// `serviceProvisioningStatus` and errors as of now.
    pub fn provisioning(&self, now: u64) -> (Option<String>, Option<Vec<Error>>) {
        match self.sync_at_ms {
            None => (Some(SYNCED.into()), Some(Vec::new())),
            Some(at) if now < at => (Some(PENDING.into()), Some(Vec::new())),
            Some(_) if self.sync_fails => (
                Some(FAILED.into()),
                Some(vec![Error {
                    code: "BackendSyncFailed".into(),
                    message: "the backend service refused the change (seeded failure)".into(),
                    target: None,
                }]),
            ),
            Some(_) => (Some(SYNCED.into()), Some(Vec::new())),
        }
    }
}

/// An access token handed out by the token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issued {
    pub roles: Vec<String>,
    pub expires_ms: u64,
}

/// A response kept for `Repeatability-Request-ID` replays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    /// When the request was first sent (its `Repeatability-First-Sent`).
    pub at_ms: u64,
    /// The fingerprint of the request (method, path, query, body): only the same request is
    /// replayed.
    #[serde(default)]
    pub fingerprint: u64,
    pub status: u16,
    pub etag: Option<String>,
    pub body: String,
}

/// Numbers per service of one account, for `numberCount`.
pub type Counts = [i64; 5];

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    pub clients: Vec<Client>,
    pub scope: String,
    pub accounts: BTreeMap<String, Record<AccountResource>>,
    /// All numbers, by telephone number (a number belongs to one account).
    pub numbers: BTreeMap<String, Record<NumberResource>>,
    /// Telephone numbers of each account.
    pub by_account: HashMap<String, BTreeSet<String>>,
    pub counts: HashMap<String, Counts>,
    /// Consents by lower-case tenant id.
    pub rfis: BTreeMap<String, Record<RequestForInformation>>,
    /// Civic addresses by lower-case tenant id.
    pub civic: BTreeMap<String, Vec<CivicAddress>>,
    pub fail_sync: BTreeSet<String>,
    pub tokens: HashMap<String, Issued>,
    pub replays: HashMap<String, Replay>,
    etag_seq: u64,
}

/// Index of a number's services in [`Counts`], in the order of the account's services.
pub fn services_of(number: &NumberResource) -> [bool; 5] {
    let d = &number.service_details;
    [
        d.teams_operator_connect.as_ref().is_some_and(|s| s.enabled),
        d.teams_phone_mobile.as_ref().is_some_and(|s| s.enabled),
        d.teams_direct_routing.as_ref().is_some_and(|s| s.enabled),
        d.zoom_phone_cloud_peering.as_ref().is_some_and(|s| s.enabled),
        d.azure_operator_call_protection.as_ref().is_some_and(|s| s.enabled),
    ]
}

impl Store {
    pub fn from_seed(seed: &Seed) -> Result<Store, String> {
        let mut store = Store {
            clients: seed.clients.clone(),
            scope: seed.scope.clone().unwrap_or_else(|| DEFAULT_SCOPE.to_string()),
            fail_sync: seed.fail_sync.iter().cloned().collect(),
            ..Store::default()
        };
        for rfi in &seed.requests_for_information {
            let key = rfi.tenant_id.to_ascii_lowercase();
            let etag = store.next_etag();
            store.rfis.insert(
                key,
                Record {
                    resource: rfi.clone(),
                    etag,
                    sync_at_ms: None,
                    sync_fails: false,
                },
            );
        }
        for (tenant, addresses) in &seed.civic_addresses {
            store.civic.insert(tenant.to_ascii_lowercase(), addresses.clone());
        }
        for account in &seed.accounts {
            let etag = store.next_etag();
            // A seeded object named in `failSync` has already failed its sync.
            let fails = store.fail_sync.contains(&account.name);
            store.accounts.insert(
                account.name.clone(),
                Record {
                    resource: account.clone(),
                    etag,
                    sync_at_ms: fails.then_some(0),
                    sync_fails: fails,
                },
            );
        }
        for number in &seed.numbers {
            if !store.accounts.contains_key(&number.account_name) {
                return Err(format!(
                    "seed: number {} is in account `{}`, which the seed does not declare",
                    number.telephone_number, number.account_name
                ));
            }
            let fails = store.fail_sync.contains(&number.telephone_number);
            store.put_number(number.clone(), fails.then_some(0));
        }
        for block in &seed.number_blocks {
            if !store.accounts.contains_key(&block.account) {
                return Err(format!("seed: number block of undeclared account `{}`", block.account));
            }
            let digits = block.from.strip_prefix('+').unwrap_or(&block.from);
            let start: u64 = digits
                .parse()
                .map_err(|_| format!("seed: `{}` is not a number", block.from))?;
            let mut template = block.template.clone();
            template["telephoneNumber"] = serde_json::json!(block.from);
            template["accountName"] = serde_json::json!(block.account);
            let base: NumberResource = serde_json::from_value(template)
                .map_err(|e| format!("seed: number block of `{}`: {e}", block.account))?;
            for i in 0..block.count {
                let mut number = base.clone();
                number.telephone_number = format!("+{:0width$}", start + i, width = digits.len());
                store.put_number(number, None);
            }
        }
        Ok(store)
    }

    pub fn next_etag(&mut self) -> String {
        self.etag_seq += 1;
        format!("\"{:x}-{:x}\"", now_ms(), self.etag_seq)
    }

    pub fn account_counts(&self, account: &str) -> Counts {
        self.counts.get(account).copied().unwrap_or_default()
    }

    /// Inserts or replaces a number, keeping the indexes and counts right. `sync_at_ms` is when
    /// its backend sync completes (`None`: nothing to sync).
    pub fn put_number(&mut self, number: NumberResource, sync_at_ms: Option<u64>) -> (bool, String) {
        let tn = number.telephone_number.clone();
        let account = number.account_name.clone();
        let created = match self.numbers.get(&tn) {
            Some(old) => {
                let old_services = services_of(&old.resource);
                let counts = self.counts.entry(old.resource.account_name.clone()).or_default();
                for (count, on) in counts.iter_mut().zip(old_services) {
                    *count -= i64::from(on);
                }
                false
            }
            None => true,
        };
        let counts = self.counts.entry(account.clone()).or_default();
        for (count, on) in counts.iter_mut().zip(services_of(&number)) {
            *count += i64::from(on);
        }
        self.by_account.entry(account.clone()).or_default().insert(tn.clone());
        let etag = self.next_etag();
        let fails = self.fail_sync.contains(&tn) || self.fail_sync.contains(&account);
        self.numbers.insert(
            tn,
            Record {
                resource: number,
                etag: etag.clone(),
                sync_at_ms,
                sync_fails: fails,
            },
        );
        (created, etag)
    }

    pub fn delete_number(&mut self, tn: &str) -> bool {
        let Some(old) = self.numbers.remove(tn) else {
            return false;
        };
        let account = &old.resource.account_name;
        if let Some(counts) = self.counts.get_mut(account) {
            for (count, on) in counts.iter_mut().zip(services_of(&old.resource)) {
                *count -= i64::from(on);
            }
        }
        if let Some(set) = self.by_account.get_mut(account) {
            set.remove(tn);
        }
        true
    }

    /// Forgets replays first sent before the tracked window.
    pub fn expire_replays(&mut self, now: u64) {
        self.replays
            .retain(|_, r| now.saturating_sub(r.at_ms) <= super::repeat::RETENTION_MS);
    }
}
