//! The Webex for service providers client: wholesale customers and subscribers, and, inside each
//! customer's organisation (`orgId`), its locations, numbers, workspaces and devices.

pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::WebexConfig;
use super::http::{ProviderError, read_json};
use super::{CallStats, Provider};
use crate::plan::model::ProviderName;
use crate::wire::encode;
use crate::wire::webex::{
    CUSTOMER_PROVISIONED, CUSTOMER_PROVISIONED_WITH_ERRORS, Customer, Device, DeviceMembers, Location, PhoneNumber,
    PlaceDeviceList, Subscriber, SupportedDevice, Workspace,
};

const P: ProviderName = ProviderName::Webex;

/// Customers whose organisations are read at once: enough to keep the API busy without
/// provoking its rate limit (a 429 is retried anyway).
pub const CONCURRENCY: usize = 16;

/// Page sizes: the largest each endpoint serves. Where a list is paged by offset without a
/// `Link` header, a page shorter than what was asked ends the list only when the size asked
/// is known to be within the endpoint's limit (Webex silently caps `max`); see [`Paging`].
const CUSTOMERS_PAGE: usize = 1000;
/// Documented: "up to 100 per page".
const SUBSCRIBERS_PAGE: usize = 100;
const LOCATIONS_PAGE: usize = 1000;
const NUMBERS_PAGE: usize = 2000;
const WORKSPACES_PAGE: usize = 1000;
const DEVICES_PAGE: usize = 1000;

pub struct WebexClient {
    http: reqwest::Client,
    pub config: WebexConfig,
    pub stats: CallStats,
}

impl Provider for WebexClient {
    fn name(&self) -> ProviderName {
        ProviderName::Webex
    }

    fn stats(&self) -> &CallStats {
        &self.stats
    }
}

/// What to read from Webex for a plan.
#[derive(Debug, Default, Clone)]
pub struct WebexNeeds {
    /// External ids of the customers the manifests name: their organisations are read.
    pub customers: BTreeSet<String>,
    /// Devices (normalised MACs) whose lines are compared: those whose manifest has
    /// `sharedWith`.
    pub members_of: BTreeSet<String>,
    /// Workspaces (customer external id, name) whose device limit is checked: those given more
    /// than one device (every Webex Calling workspace holds at least one).
    pub workspace_limits_of: BTreeSet<(String, String)>,
    /// Whether devices are declared (the supported-devices list is read).
    pub supported_devices: bool,
}

/// What a plan reads from Webex.
#[derive(Debug, Default, Clone)]
pub struct WebexLive {
    /// Every wholesale customer of the partner, by external id.
    pub customers: BTreeMap<String, Customer>,
    /// The organisations read completely, by the customer's external id: those of the managed
    /// customers that are provisioned.
    pub orgs: BTreeMap<String, OrgLive>,
    /// `GET /telephony/config/supportedDevices`, when devices are declared.
    pub supported_devices: Option<Vec<SupportedDevice>>,
}

/// The content of one customer's organisation.
#[derive(Debug, Default, Clone)]
pub struct OrgLive {
    pub locations: Vec<Location>,
    /// Numbers and extensions: where the numbers of locations, users and workspaces are read.
    pub numbers: Vec<PhoneNumber>,
    pub subscribers: Vec<Subscriber>,
    pub workspaces: Vec<Workspace>,
    pub devices: Vec<Device>,
    /// Lines by device id, for the devices of [`WebexNeeds::members_of`].
    pub members: BTreeMap<String, DeviceMembers>,
    /// Devices and limits by workspace id, for [`WebexNeeds::workspace_limits_of`].
    pub workspace_devices: BTreeMap<String, PlaceDeviceList>,
}

/// How a list is paged when no `Link` header leads on (a `Link` `rel="next"` is always
/// followed as given).
#[derive(Debug, Clone, Copy)]
enum Paging {
    /// Only `Link` leads on (the endpoints that declare it).
    Link,
    /// `param` (`offset` or `start`) counts the items already read. With `trusted`, the size
    /// asked is within the endpoint's limit, so a short page is the last one; otherwise a short
    /// page may be the server's silent cap, and the list ends on an empty page or one shorter
    /// than an earlier one.
    Offset { param: &'static str, trusted: bool },
}

/// The `rel="next"` target of `Link` headers (`<url>; rel="next", <url>; rel="prev"`).
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>').map(|c| open + c) else {
                break;
            };
            let url = &rest[open + 1..close];
            let params_end = rest[close..].find('<').map_or(rest.len(), |n| close + n);
            let params = rest[close + 1..params_end].to_ascii_lowercase();
            let is_next = params
                .split(';')
                .map(|p| p.trim().trim_end_matches(',').trim())
                .any(|p| p == "rel=\"next\"" || p == "rel=next");
            if is_next && !url.is_empty() {
                return Some(url.to_string());
            }
            rest = &rest[params_end..];
        }
    }
    None
}

impl WebexClient {
    pub fn new(config: WebexConfig) -> Result<WebexClient, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("telform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::transport(P, "build the HTTP client", &e))?;
        Ok(WebexClient {
            http,
            config,
            stats: CallStats::default(),
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `{url}{path}?{query}`; `path` segments must already be encoded.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}{path}", self.config.url);
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{key}={}", encode(value)));
        }
        url
    }

    /// A request with the bearer token.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.config.token.expose_secret())
    }

    async fn read_value(&self, operation: &str, url: &str) -> Result<super::http::Read, ProviderError> {
        read_json(P, &self.stats, operation, || self.request(reqwest::Method::GET, url)).await
    }

    async fn read<T: DeserializeOwned>(&self, operation: &str, url: &str) -> Result<T, ProviderError> {
        let read = self.read_value(operation, url).await?;
        parse(operation, read.body)
    }

    /// Reads every page of a list whose items are under `items` in the body.
    async fn list<T: DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
        items: &str,
        max: Option<usize>,
        paging: Paging,
    ) -> Result<Vec<T>, ProviderError> {
        let mut query: Vec<(&str, String)> = query.to_vec();
        if let Some(max) = max {
            query.push(("max", max.to_string()));
        }
        let mut url = self.url(path, &query);
        let mut all: Vec<T> = Vec::new();
        let mut offset = 0usize;
        let mut longest = 0usize;
        let mut previous_first: Option<Value> = None;
        loop {
            let mut read = self.read_value(operation, &url).await?;
            let value = read.body.get_mut(items).map(Value::take).unwrap_or(Value::Null);
            // A server that ignores the offset would serve the same page for ever.
            let first = value.get(0).cloned();
            if first.is_some() && first == previous_first {
                return Err(ProviderError {
                    provider: P,
                    operation: operation.to_string(),
                    status: None,
                    code: None,
                    message: "the same page came back twice: paging does not advance".into(),
                    tracking_id: None,
                    hint: "check that TELFORM_WEBEX_URL points at the Webex API (https://webexapis.com/v1)".into(),
                });
            }
            previous_first = first;
            let page: Vec<T> = match value {
                Value::Null => Vec::new(),
                value => parse(operation, value)?,
            };
            let n = page.len();
            all.extend(page);
            if let Some(next) = next_link(&read.headers) {
                url = next;
                continue;
            }
            let Paging::Offset { param, trusted } = paging else {
                return Ok(all);
            };
            let short = max.is_some_and(|max| n < max);
            if n == 0 || (short && (trusted || n < longest)) {
                return Ok(all);
            }
            longest = longest.max(n);
            offset += n;
            let mut next = query.clone();
            next.push((param, offset.to_string()));
            url = self.url(path, &next);
        }
    }

    /// Every wholesale customer, with the licence ids of their packages (which tell a
    /// workspace's licence). The spec documents `includePackageLicenseInfo` on the single GET;
    /// the list is asked for it too (an endpoint that ignores it only leaves the licences
    /// unknown, and the plan then does not compare them).
    pub async fn list_customers(&self) -> Result<Vec<Customer>, ProviderError> {
        self.list(
            "list the wholesale customers",
            "/wholesale/customers",
            &[("includePackageLicenseInfo", "true".into())],
            "items",
            Some(CUSTOMERS_PAGE),
            Paging::Offset {
                param: "offset",
                trusted: false,
            },
        )
        .await
    }

    pub async fn list_subscribers(&self, customer: &Customer) -> Result<Vec<Subscriber>, ProviderError> {
        self.list(
            &format!("list the subscribers of customer {}", customer.external_id),
            "/wholesale/subscribers",
            &[("customerId", customer.id.clone())],
            "items",
            Some(SUBSCRIBERS_PAGE),
            Paging::Offset {
                param: "offset",
                trusted: true,
            },
        )
        .await
    }

    pub async fn list_locations(&self, external_id: &str, org: &str) -> Result<Vec<Location>, ProviderError> {
        self.list(
            &format!("list the locations of customer {external_id}"),
            "/locations",
            &[("orgId", org.to_string())],
            "items",
            Some(LOCATIONS_PAGE),
            Paging::Link,
        )
        .await
    }

    pub async fn list_numbers(&self, external_id: &str, org: &str) -> Result<Vec<PhoneNumber>, ProviderError> {
        self.list(
            &format!("list the numbers of customer {external_id}"),
            "/telephony/config/numbers",
            &[("orgId", org.to_string())],
            "phoneNumbers",
            Some(NUMBERS_PAGE),
            Paging::Link,
        )
        .await
    }

    pub async fn list_workspaces(&self, external_id: &str, org: &str) -> Result<Vec<Workspace>, ProviderError> {
        self.list(
            &format!("list the workspaces of customer {external_id}"),
            "/workspaces",
            &[("orgId", org.to_string())],
            "items",
            // The spec declares no `Link` here, nor a limit; Webex answers `Link` on its lists
            // in practice (followed above), and 1000 is the largest page known to be served.
            Some(WORKSPACES_PAGE),
            Paging::Offset {
                param: "start",
                trusted: true,
            },
        )
        .await
    }

    pub async fn list_devices(&self, external_id: &str, org: &str) -> Result<Vec<Device>, ProviderError> {
        self.list(
            &format!("list the devices of customer {external_id}"),
            "/devices",
            &[("orgId", org.to_string())],
            "items",
            Some(DEVICES_PAGE),
            Paging::Link,
        )
        .await
    }

    pub async fn list_supported_devices(&self) -> Result<Vec<SupportedDevice>, ProviderError> {
        self.list(
            "list the supported devices",
            "/telephony/config/supportedDevices",
            &[],
            "devices",
            // The endpoint takes no `max`.
            None,
            Paging::Link,
        )
        .await
    }

    pub async fn device_members(
        &self,
        external_id: &str,
        org: &str,
        device: &Device,
    ) -> Result<DeviceMembers, ProviderError> {
        let mac = device.mac.as_deref().unwrap_or(&device.id);
        self.read(
            &format!("read the lines of device {mac} of customer {external_id}"),
            &self.url(
                &format!("/telephony/config/devices/{}/members", encode(&device.id)),
                &[("orgId", org.to_string())],
            ),
        )
        .await
    }

    pub async fn workspace_devices(
        &self,
        external_id: &str,
        org: &str,
        workspace: &Workspace,
    ) -> Result<PlaceDeviceList, ProviderError> {
        self.read(
            &format!(
                "read the devices of workspace `{}` of customer {external_id}",
                workspace.display_name
            ),
            &self.url(
                &format!("/telephony/config/workspaces/{}/devices", encode(&workspace.id)),
                &[("orgId", org.to_string())],
            ),
        )
        .await
    }

    /// Everything in one customer's organisation that a plan compares.
    async fn read_org(&self, customer: &Customer, org: &str, needs: &WebexNeeds) -> Result<OrgLive, ProviderError> {
        let ext = customer.external_id.as_str();
        let (locations, numbers, subscribers, workspaces, devices) = futures_util::future::try_join5(
            self.list_locations(ext, org),
            self.list_numbers(ext, org),
            self.list_subscribers(customer),
            self.list_workspaces(ext, org),
            self.list_devices(ext, org),
        )
        .await?;
        let mut live = OrgLive {
            locations,
            numbers,
            subscribers,
            workspaces,
            devices,
            ..OrgLive::default()
        };
        for device in &live.devices {
            let declared = device
                .mac
                .as_ref()
                .is_some_and(|m| needs.members_of.contains(&m.to_ascii_uppercase()));
            if declared {
                let members = self.device_members(ext, org, device).await?;
                live.members.insert(device.id.clone(), members);
            }
        }
        for workspace in &live.workspaces {
            let key = (ext.to_string(), workspace.display_name.clone());
            let calling = workspace
                .calling
                .as_ref()
                .is_some_and(|c| c.calling_type == "webexCalling");
            if calling && needs.workspace_limits_of.contains(&key) {
                let devices = self.workspace_devices(ext, org, workspace).await?;
                live.workspace_devices.insert(workspace.id.clone(), devices);
            }
        }
        Ok(live)
    }

    /// Reads what a plan needs with list calls: the customers (one list), then the
    /// organisations of the managed, provisioned ones, [`CONCURRENCY`] at a time; per
    /// organisation its five lists (at once), and the few per-object reads the manifests ask
    /// for (lines of shared devices, limits of workspaces given several devices).
    pub async fn read_live(&self, needs: &WebexNeeds) -> Result<WebexLive, ProviderError> {
        let mut live = WebexLive::default();
        for customer in self.list_customers().await? {
            // An external id is unique at Webex; should two answer to one, the first is kept
            // (the plan then acts on that one only).
            live.customers.entry(customer.external_id.clone()).or_insert(customer);
        }
        let readable: Vec<(&Customer, &str)> = needs
            .customers
            .iter()
            .filter_map(|ext| live.customers.get(ext))
            .filter(|c| c.status == CUSTOMER_PROVISIONED || c.status == CUSTOMER_PROVISIONED_WITH_ERRORS)
            .filter_map(|c| Some((c, c.org_id.as_deref()?)))
            .collect();
        let orgs: Vec<(String, OrgLive)> = stream::iter(readable)
            .map(|(customer, org)| async move {
                let content = self.read_org(customer, org, needs).await?;
                Ok::<_, ProviderError>((customer.external_id.clone(), content))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        live.orgs = orgs.into_iter().collect();
        if needs.supported_devices {
            live.supported_devices = Some(self.list_supported_devices().await?);
        }
        Ok(live)
    }

    pub fn calls(&self) -> u64 {
        self.stats.reads.load(Ordering::Relaxed) + self.stats.writes.load(Ordering::Relaxed)
    }
}

fn parse<T: DeserializeOwned>(operation: &str, value: Value) -> Result<T, ProviderError> {
    serde_json::from_value(value).map_err(|e| ProviderError {
        provider: P,
        operation: operation.to_string(),
        status: None,
        code: None,
        message: format!("unexpected answer: {e}"),
        tracking_id: None,
        hint: "check that TELFORM_WEBEX_URL points at the Webex API (https://webexapis.com/v1)".into(),
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, LINK};

    use super::next_link;

    #[test]
    fn link_headers_give_the_next_page() {
        let mut headers = HeaderMap::new();
        assert_eq!(next_link(&headers), None);
        headers.insert(
            LINK,
            HeaderValue::from_static(
                "<https://webexapis.com/v1/devices?start=0&max=2>; rel=\"prev\", <https://webexapis.com/v1/devices?a=b,c&start=4&max=2>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://webexapis.com/v1/devices?a=b,c&start=4&max=2")
        );
        headers.insert(
            LINK,
            HeaderValue::from_static("<https://x.example/p?start=2>; REL=next"),
        );
        assert_eq!(next_link(&headers).as_deref(), Some("https://x.example/p?start=2"));
        headers.insert(LINK, HeaderValue::from_static("<https://x.example/p>; rel=\"first\""));
        assert_eq!(next_link(&headers), None);
    }
}
