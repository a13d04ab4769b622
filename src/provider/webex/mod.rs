//! The Webex for service providers client: wholesale customers and subscribers, and, inside each
//! customer's organisation (`orgId`), its locations, numbers, workspaces and devices.

mod page;
mod precheck;
pub mod write;

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::config::WebexConfig;
use super::http::{ProviderError, read_bytes, read_json};
use super::{CallStats, Provider};
use crate::model::ProviderName;
use crate::model::webex::live::{Interner, LiveDevice, LiveNumberEntry, LiveSubscriber, LiveWorkspace};
use crate::model::webex::{LiveAdmin, OrgLive, WebexLive, WebexNeeds};
use crate::wire::encode;
use crate::wire::webex::{
    CUSTOMER_PROVISIONED, CUSTOMER_PROVISIONED_WITH_ERRORS, Customer, Device, DeviceMembers, FULL_ADMINISTRATOR,
    Location, Organization, Person, PhoneNumber, PlaceDeviceList, RoleList, Subscriber, SupportedDevice, Workspace,
};
use page::Paging;

const P: ProviderName = ProviderName::Webex;

/// Customers whose organisations are read at once: enough to keep the API busy without
/// provoking its rate limit (a 429 is retried anyway).
pub const CONCURRENCY: usize = 16;

/// Page sizes: the largest each endpoint serves. Where a list is paged by offset without a
/// `Link` header, a page shorter than what was asked ends the list only when the size asked
/// is known to be within the endpoint's limit (Webex silently caps `max`); see [`Paging`].
const CUSTOMERS_PAGE: usize = 1000;
/// A scoped plan looks its customers up one by one up to this many; more are listed.
const BY_EXTERNAL_ID_AT_MOST: usize = 20;
/// Documented: "up to 100 per page".
const SUBSCRIBERS_PAGE: usize = 100;
const LOCATIONS_PAGE: usize = 1000;
const NUMBERS_PAGE: usize = 2000;
const WORKSPACES_PAGE: usize = 1000;
const DEVICES_PAGE: usize = 1000;
/// `GET /people`: 100 by default; larger pages are served without `callingData`.
const PEOPLE_PAGE: usize = 1000;

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
        let mut all: Vec<T> = Vec::new();
        self.list_each(operation, path, query, items, max, paging, |item| all.push(item))
            .await?;
        Ok(all)
    }

    /// Like [`WebexClient::list`], handing each item to `each` as its page is read: a page is
    /// parsed from its bytes, and no page is kept.
    #[allow(clippy::too_many_arguments)]
    async fn list_each<T: DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
        items: &str,
        max: Option<usize>,
        paging: Paging,
        mut each: impl FnMut(T),
    ) -> Result<(), ProviderError> {
        let list = page::List {
            operation,
            path,
            query: query.to_vec(),
            items,
            max,
            paging,
        };
        let fetch = async |url: &str| {
            read_bytes(P, &self.stats, operation, || self.request(reqwest::Method::GET, url))
                .await
                .map(Some)
        };
        page::walk(self, &list, fetch, page::list_items, |raw| {
            each(parse_raw(operation, raw)?);
            Ok(ControlFlow::<Infallible>::Continue(()))
        })
        .await?;
        Ok(())
    }

    /// Every wholesale customer, without the licence ids of their packages: the spec declares
    /// `includePackageLicenseInfo` on the single GET only ([`WebexClient::customer_licenses`]).
    pub async fn list_customers(&self) -> Result<Vec<Customer>, ProviderError> {
        self.list(
            "list the wholesale customers",
            "/wholesale/customers",
            &[],
            "items",
            Some(CUSTOMERS_PAGE),
            Paging::Offset {
                param: "offset",
                trusted: false,
            },
        )
        .await
    }

    /// The customers whose external id is `external_id` (one at most, as Webex keeps them
    /// unique): one call.
    pub async fn customers_with_external_id(&self, external_id: &str) -> Result<Vec<Customer>, ProviderError> {
        self.list(
            &format!("look up the wholesale customer {external_id}"),
            "/wholesale/customers",
            &[("externalId", external_id.to_string())],
            "items",
            Some(CUSTOMERS_PAGE),
            Paging::Offset {
                param: "offset",
                trusted: false,
            },
        )
        .await
        // The filter is the provider's: only exact matches are kept.
        .map(|found| {
            found
                .into_iter()
                .filter(|c: &Customer| c.external_id == external_id)
                .collect()
        })
    }

    /// One customer read by id with the licence ids of its packages (they tell a workspace's
    /// licence, by package).
    pub async fn customer_licenses(&self, customer: &Customer) -> Result<Customer, ProviderError> {
        self.read(
            &format!("read the licences of customer {}", customer.external_id),
            &self.url(
                &format!("/wholesale/customers/{}", encode(&customer.id)),
                &[("includePackageLicenseInfo", "true".to_string())],
            ),
        )
        .await
    }

    pub async fn list_subscribers(&self, customer: &Customer) -> Result<Vec<Subscriber>, ProviderError> {
        let mut all = Vec::new();
        self.subscribers_each(customer, |s| all.push(s)).await?;
        Ok(all)
    }

    async fn subscribers_each(&self, customer: &Customer, each: impl FnMut(Subscriber)) -> Result<(), ProviderError> {
        self.list_each(
            &format!("list the subscribers of customer {}", customer.external_id),
            "/wholesale/subscribers",
            &[("customerId", customer.id.clone())],
            "items",
            Some(SUBSCRIBERS_PAGE),
            Paging::Offset {
                param: "offset",
                trusted: true,
            },
            each,
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
        let mut all = Vec::new();
        self.numbers_each(external_id, org, |n| all.push(n)).await?;
        Ok(all)
    }

    async fn numbers_each(
        &self,
        external_id: &str,
        org: &str,
        each: impl FnMut(PhoneNumber),
    ) -> Result<(), ProviderError> {
        self.list_each(
            &format!("list the numbers of customer {external_id}"),
            "/telephony/config/numbers",
            &[("orgId", org.to_string())],
            "phoneNumbers",
            Some(NUMBERS_PAGE),
            Paging::Link,
            each,
        )
        .await
    }

    pub async fn list_workspaces(&self, external_id: &str, org: &str) -> Result<Vec<Workspace>, ProviderError> {
        let mut all = Vec::new();
        self.workspaces_each(external_id, org, |w| all.push(w)).await?;
        Ok(all)
    }

    async fn workspaces_each(
        &self,
        external_id: &str,
        org: &str,
        each: impl FnMut(Workspace),
    ) -> Result<(), ProviderError> {
        self.list_each(
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
            each,
        )
        .await
    }

    /// Every device of a customer's organisation, as Webex answers them (`telform show devices`;
    /// a plan keeps a compact form, see [`OrgLive`]).
    pub async fn list_devices(&self, external_id: &str, org: &str) -> Result<Vec<Device>, ProviderError> {
        let mut all = Vec::new();
        self.devices_each(external_id, org, |d| all.push(d)).await?;
        Ok(all)
    }

    async fn devices_each(&self, external_id: &str, org: &str, each: impl FnMut(Device)) -> Result<(), ProviderError> {
        self.list_each(
            &format!("list the devices of customer {external_id}"),
            "/devices",
            &[("orgId", org.to_string())],
            "items",
            Some(DEVICES_PAGE),
            Paging::Link,
            each,
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
        self.members_of(external_id, org, &device.id, device.mac.as_deref())
            .await
    }

    async fn members_of(
        &self,
        external_id: &str,
        org: &str,
        id: &str,
        mac: Option<&str>,
    ) -> Result<DeviceMembers, ProviderError> {
        let mac = mac.unwrap_or(id);
        self.read(
            &format!("read the lines of device {mac} of customer {external_id}"),
            &self.url(
                &format!("/telephony/config/devices/{}/members", encode(id)),
                &[("orgId", org.to_string())],
            ),
        )
        .await
    }

    /// `GET /telephony/config/devices/{id}`: the device's SIP user name, line port and outbound
    /// proxy (`telform show devices`). Never a password: no endpoint reads one back.
    pub async fn calling_device(
        &self,
        external_id: &str,
        org: &str,
        id: &str,
    ) -> Result<crate::wire::webex::CallingDevice, ProviderError> {
        self.read(
            &format!("read the calling settings of device {id} of customer {external_id}"),
            &self.url(
                &format!("/telephony/config/devices/{}", encode(id)),
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
        self.place_devices(external_id, org, &workspace.id, &workspace.display_name)
            .await
    }

    async fn place_devices(
        &self,
        external_id: &str,
        org: &str,
        id: &str,
        name: &str,
    ) -> Result<PlaceDeviceList, ProviderError> {
        self.read(
            &format!("read the devices of workspace `{name}` of customer {external_id}"),
            &self.url(
                &format!("/telephony/config/workspaces/{}/devices", encode(id)),
                &[("orgId", org.to_string())],
            ),
        )
        .await
    }

    /// The id of the full administrator role (`GET /roles`, one call); `None` when Webex lists
    /// no role of that name.
    pub async fn full_admin_role(&self) -> Result<Option<String>, ProviderError> {
        let roles: RoleList = self
            .read("list the administrator roles", &self.url("/roles", &[]))
            .await?;
        Ok(roles
            .items
            .into_iter()
            .find(|r| r.name.eq_ignore_ascii_case(FULL_ADMINISTRATOR))
            .map(|r| r.id))
    }

    /// The people of an organisation holding `role`: one `GET /people?orgId=&roles=` (paged).
    pub async fn people_with_role(&self, ext: &str, org: &str, role: &str) -> Result<Vec<Person>, ProviderError> {
        self.list(
            &format!("list the full administrators of customer {ext}"),
            "/people",
            &[("orgId", org.to_string()), ("roles", role.to_string())],
            "items",
            Some(PEOPLE_PAGE),
            Paging::Link,
        )
        .await
    }

    /// Everything in one customer's organisation that a plan compares, normalised page by
    /// page: the repeated strings of the organisation are shared through one interner (the five
    /// lists are read at once, by one task).
    async fn read_org(
        &self,
        customer: &Customer,
        org: &str,
        needs: &WebexNeeds,
        admin_role: Option<&str>,
    ) -> Result<OrgLive, ProviderError> {
        let ext = customer.external_id.as_str();
        let interner = Mutex::new(Interner::default());
        let intern = || interner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut live = OrgLive::default();
        let (locations, (), (), (), ()) = futures_util::future::try_join5(
            self.list_locations(ext, org),
            self.numbers_each(ext, org, |n| {
                live.numbers.push(LiveNumberEntry::from_wire(n, &mut intern()));
            }),
            self.subscribers_each(customer, |s| {
                live.subscribers.push(LiveSubscriber::from_wire(s, &mut intern()));
            }),
            self.workspaces_each(ext, org, |w| {
                live.workspaces.push(LiveWorkspace::from_wire(w, &mut intern()));
            }),
            self.devices_each(ext, org, |d| {
                live.devices.push(LiveDevice::from_wire(d, &mut intern()));
            }),
        )
        .await?;
        live.locations = locations;
        if needs.names_of.contains(ext) {
            live.display_name = Some(self.organization(ext, org).await?.display_name);
        }
        if let Some(role) = admin_role.filter(|_| needs.admins_of.contains(ext)) {
            let people = self.people_with_role(ext, org, role).await?;
            live.admins = Some(
                people
                    .into_iter()
                    // The filter is the provider's: only holders of the role are kept.
                    .filter(|p| p.roles.is_empty() || p.roles.iter().any(|r| r == role))
                    .map(|p| LiveAdmin {
                        person_id: p.id,
                        email: p.emails.first().map(|e| e.to_lowercase()).unwrap_or_default(),
                    })
                    .collect(),
            );
        }
        live.numbers.shrink_to_fit();
        live.subscribers.shrink_to_fit();
        live.workspaces.shrink_to_fit();
        live.devices.shrink_to_fit();
        for device in &live.devices {
            let declared = device
                .mac()
                .is_some_and(|m| needs.members_of.contains(&m.to_ascii_uppercase()));
            if declared {
                let members = self.members_of(ext, org, device.id(), device.mac()).await?;
                live.members.insert(device.id().to_string(), members);
            }
        }
        for workspace in &live.workspaces {
            let key = (ext.to_string(), workspace.display_name.to_string());
            if workspace.webex_calling && needs.workspace_limits_of.contains(&key) {
                let devices = self
                    .place_devices(ext, org, &workspace.id, &workspace.display_name)
                    .await?;
                live.workspace_devices.insert(workspace.id.to_string(), devices);
            }
        }
        Ok(live)
    }

    /// A customer's organisation, for its display name (the company name).
    async fn organization(&self, ext: &str, org: &str) -> Result<Organization, ProviderError> {
        let url = self.url(&format!("/organizations/{}", encode(org)), &[]);
        self.read(&format!("read the organisation of customer {ext}"), &url)
            .await
    }

    /// Reads what a plan needs with list calls: the customers (one list), then the
    /// organisations of the managed, provisioned ones, [`CONCURRENCY`] at a time; per
    /// organisation its five lists (at once), and the few per-object reads the manifests ask
    /// for (lines of shared devices, limits of workspaces given several devices).
    pub async fn read_live(&self, needs: &WebexNeeds) -> Result<WebexLive, ProviderError> {
        let mut live = WebexLive::default();
        let listed = if needs.by_external_id && needs.customers.len() <= BY_EXTERNAL_ID_AT_MOST {
            // A scoped plan: each customer it needs, looked up by external id.
            let found: Vec<Vec<Customer>> = stream::iter(needs.customers.iter())
                .map(|external_id| self.customers_with_external_id(external_id))
                .buffer_unordered(CONCURRENCY)
                .try_collect()
                .await?;
            found.into_iter().flatten().collect()
        } else {
            self.list_customers().await?
        };
        for customer in listed {
            // An external id is unique at Webex; should two answer to one, the first is kept
            // (the plan then acts on that one only).
            live.customers.entry(customer.external_id.clone()).or_insert(customer);
        }
        let licensed: Vec<&Customer> = needs
            .licenses_of
            .iter()
            .filter_map(|ext| live.customers.get(ext))
            .filter(|c| c.org_id.is_some())
            .collect();
        let licensed: Vec<Customer> = stream::iter(licensed)
            .map(|customer| self.customer_licenses(customer))
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        for customer in licensed {
            if let Some(listed) = live.customers.get_mut(&customer.external_id) {
                listed.resource_details = customer.resource_details;
            }
        }
        let readable: Vec<(&Customer, &str)> = needs
            .customers
            .iter()
            .filter_map(|ext| live.customers.get(ext))
            .filter(|c| c.status == CUSTOMER_PROVISIONED || c.status == CUSTOMER_PROVISIONED_WITH_ERRORS)
            .filter_map(|c| Some((c, c.org_id.as_deref()?)))
            .collect();
        // The full administrator role's id, once, when an organisation's administrators are read.
        if readable.iter().any(|(c, _)| needs.admins_of.contains(&c.external_id)) {
            live.full_admin_role = self.full_admin_role().await?;
        }
        let role = live.full_admin_role.as_deref();
        let orgs: Vec<(String, OrgLive)> = stream::iter(readable)
            .map(|(customer, org)| async move {
                let content = self.read_org(customer, org, needs, role).await?;
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
    serde_json::from_value(value).map_err(|e| unexpected(operation, &e))
}

/// Parses one raw JSON value. A failure is told as parsing its JSON tree tells it (without a
/// position in the page), as when pages were parsed into trees first.
fn parse_raw<T: DeserializeOwned>(operation: &str, raw: &RawValue) -> Result<T, ProviderError> {
    serde_json::from_str(raw.get()).or_else(|_| {
        let value: Value = serde_json::from_str(raw.get()).map_err(|e| unexpected(operation, &e))?;
        parse(operation, value)
    })
}

fn unexpected(operation: &str, e: &serde_json::Error) -> ProviderError {
    ProviderError {
        provider: P,
        operation: operation.to_string(),
        status: None,
        code: None,
        message: format!("unexpected answer: {e}"),
        tracking_id: None,
        hint: "check that TELFORM_WEBEX_URL points at the Webex API (https://webexapis.com/v1)".into(),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, LINK};
    use serde_json::json;

    use super::page::{next_link, page_items};
    use super::{parse, parse_raw};
    use crate::wire::webex::Device;

    #[test]
    fn the_items_of_a_page_are_found_in_its_bytes() {
        let items = |body: &str| page_items(body.as_bytes(), "items").map(|r| r.map(|r| r.get().to_string()));
        assert_eq!(
            items(r#"{"items": [1, {"a": 2}], "x": 1}"#).ok(),
            Some(Some(r#"[1, {"a": 2}]"#.into()))
        );
        assert_eq!(items(r#"{"items": null}"#).ok(), Some(Some("null".into())));
        // As a JSON tree gives them: nothing for an empty body, another key or another value.
        assert_eq!(items("").ok(), Some(None));
        assert_eq!(items(r#"{"devices": []}"#).ok(), Some(None));
        assert_eq!(items("[1, 2]").ok(), Some(None));
        assert!(items(r#"{"items": ["#).is_err());
    }

    #[test]
    fn a_bad_item_is_told_as_a_json_tree_tells_it() {
        let raw = serde_json::value::RawValue::from_string(r#"{"id": 5}"#.into()).expect("raw");
        let error = parse_raw::<Device>("list the devices", &raw).expect_err("an id is a string");
        let tree = parse::<Device>("list the devices", json!({"id": 5})).expect_err("the same");
        assert_eq!(error.message, tree.message);
        assert!(!error.message.contains("line"), "{}", error.message);
    }

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
