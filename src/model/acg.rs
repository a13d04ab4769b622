//! The live state of ACG as a plan keeps it, and what a plan asks to read. The ACG client
//! builds these values; the planner reads them.
//!
//! A number is normalised as it is read ([`LiveNumber`], [`NumberState`]): a gateway may hold a
//! million, and their wire structs are dropped page by page. [`NumberState`] is also how the
//! planner states a desired number, so that the two compare directly. Its conversions to the
//! manifests' terms (`from_manifest`, `view`, `to_wire`) live here too: the plan holds number
//! actions as [`NumberChange`]s and builds their field changes and wire bodies when read, so
//! the plan model needs them without the planner.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::plan::{ObjectRef, diff_json};
use crate::manifest::acg::{NumberAttributes, NumberCapability, NumberService, NumberUsage};
use crate::wire::acg::{
    AccountResource, CivicAddress, EnabledOnly, FAILED, NumberConfiguration, NumberResource, NumberServiceDetails,
    PENDING, RequestForInformation, TeamsNumberConfig, TeamsNumberDetails,
};

/// What a plan reads from ACG.
#[derive(Debug, Default, Clone)]
pub struct AcgLive {
    pub accounts: BTreeMap<String, AccountResource>,
    /// Numbers by telephone number, of the managed accounts that have numbers, normalised as
    /// they are read.
    pub numbers: BTreeMap<String, LiveNumber>,
    /// Consents by lower-case tenant id.
    pub consents: BTreeMap<String, RequestForInformation>,
    /// Civic addresses by account.
    pub civic_addresses: BTreeMap<String, Vec<CivicAddress>>,
}

/// What to read: the accounts the manifests manage, and those whose civic addresses are needed.
#[derive(Debug, Default, Clone)]
pub struct AcgNeeds {
    pub accounts: BTreeSet<String>,
    pub civic_addresses_of: BTreeSet<String>,
    pub consents: bool,
    /// The tenant ids (lower case) of the declared consents.
    pub consent_tenants: BTreeSet<String>,
    /// A scoped plan (`--changed-since`): accounts and consents are read one by one, by name,
    /// rather than listed whole.
    pub by_name: bool,
}

/// Shares the few distinct strings (civic address ids, headers) of a million numbers.
#[derive(Debug, Default)]
pub struct Interner(HashMap<String, Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(s.to_string(), shared.clone());
        shared
    }
}

/// A number in the manifest's terms, compact and directly comparable: a plan compares a
/// million of them, and only the ones that differ are turned into field changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NumberState {
    /// `None`: enabled for no service.
    pub service: Option<NumberService>,
    pub usage: Option<NumberUsage>,
    /// Bit set of [`NumberCapability`] (inbound 1, outbound 2, mobile 4).
    pub capabilities: u8,
    pub civic_address_id: Option<Arc<str>>,
    pub location_id: Option<Arc<str>>,
    pub allow_tenant_address_update: bool,
    pub country_code: Option<Arc<str>>,
    pub custom_sip_header: Option<Arc<str>>,
}

/// Each capability: its bit in [`NumberState::capabilities`] and its name in a view.
pub const CAPABILITIES: [(NumberCapability, u8, &str); 3] = [
    (NumberCapability::Inbound, 1, "inbound"),
    (NumberCapability::Outbound, 2, "outbound"),
    (NumberCapability::Mobile, 4, "mobile"),
];

impl NumberState {
    pub fn from_wire(n: &NumberResource, interner: &mut Interner) -> NumberState {
        let d = &n.service_details;
        fn on(x: Option<&TeamsNumberDetails>) -> Option<&TeamsNumberDetails> {
            x.filter(|s| s.enabled)
        }
        let service = if on(d.teams_operator_connect.as_ref()).is_some() {
            Some(NumberService::OperatorConnect)
        } else if on(d.teams_phone_mobile.as_ref()).is_some() {
            Some(NumberService::TeamsPhoneMobile)
        } else if d.teams_direct_routing.as_ref().is_some_and(|s| s.enabled) {
            Some(NumberService::DirectRouting)
        } else if d.zoom_phone_cloud_peering.as_ref().is_some_and(|s| s.enabled) {
            Some(NumberService::Zoom)
        } else if d.azure_operator_call_protection.as_ref().is_some_and(|s| s.enabled) {
            Some(NumberService::CallProtection)
        } else {
            None
        };
        let config = on(d.teams_operator_connect.as_ref())
            .or(on(d.teams_phone_mobile.as_ref()))
            .and_then(|t| t.configuration.as_ref());
        let mut own = |v: Option<&String>| v.map(|s| interner.get(s));
        NumberState {
            service,
            usage: config.and_then(|c| match c.usage.as_str() {
                "CallingUserAssignment" => Some(NumberUsage::User),
                "FirstPartyAppAssignment" => Some(NumberUsage::Application),
                "ConferenceAssignment" => Some(NumberUsage::Conference),
                _ => None,
            }),
            capabilities: config.map_or(0, |c| {
                c.choosable_capabilities.iter().fold(0, |bits, cap| {
                    bits | CAPABILITIES
                        .iter()
                        .find(|(k, _, _)| capability_wire(*k) == cap)
                        .map_or(0, |(_, b, _)| *b)
                })
            }),
            civic_address_id: own(config.and_then(|c| c.civic_address_id.as_ref())),
            location_id: own(config.and_then(|c| c.location_id.as_ref())),
            allow_tenant_address_update: config.and_then(|c| c.allow_tenant_address_update) == Some(true),
            country_code: own(config.and_then(|c| c.displayed_country_code.as_ref())),
            custom_sip_header: own(n.configuration.as_ref().and_then(|c| c.custom_sip_header.as_ref())),
        }
    }
}

/// A capability as the Provisioning API spells it.
pub fn capability_wire(c: NumberCapability) -> &'static str {
    match c {
        NumberCapability::Inbound => "InboundCalling",
        NumberCapability::Outbound => "OutboundCalling",
        NumberCapability::Mobile => "Mobile",
    }
}

/// A live number, normalised as it is read (its wire form is not kept: there may be a million).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNumber {
    pub account: Arc<str>,
    pub state: NumberState,
    /// `serviceProvisioningStatus` when it is not `synced`, with the first error's text.
    pub unsynced: Option<Box<(String, Option<String>)>>,
}

impl LiveNumber {
    pub fn from_wire(n: &NumberResource, interner: &mut Interner) -> LiveNumber {
        let unsynced = match n.service_provisioning_status.as_deref() {
            Some(status @ (PENDING | FAILED)) => Some(Box::new((
                status.to_string(),
                n.service_provisioning_errors
                    .as_ref()
                    .and_then(|e| e.first())
                    .map(|e| format!("{} {}", e.code, e.message)),
            ))),
            _ => None,
        };
        LiveNumber {
            account: interner.get(&n.account_name),
            state: NumberState::from_wire(n, interner),
            unsynced,
        }
    }
}

// ---- conversions: manifest ⇄ state ⇄ wire ---------------------------------------------------

fn usage_wire(usage: NumberUsage) -> &'static str {
    match usage {
        NumberUsage::User => "CallingUserAssignment",
        NumberUsage::Application => "FirstPartyAppAssignment",
        NumberUsage::Conference => "ConferenceAssignment",
    }
}

pub fn number_to_wire(account: &str, service: NumberService, number: &str, a: &NumberAttributes) -> NumberResource {
    let teams = || TeamsNumberDetails {
        enabled: true,
        assignment_status: None,
        configuration: Some(TeamsNumberConfig {
            usage: a.usage.map_or("", usage_wire).to_string(),
            choosable_capabilities: {
                let mut caps: Vec<NumberCapability> = a.capabilities.clone().unwrap_or_default();
                caps.sort();
                caps.into_iter().map(|c| capability_wire(c).to_string()).collect()
            },
            acquired_capabilities: None,
            available_capabilities: None,
            additional_usages: None,
            civic_address_id: a.civic_address_id.clone(),
            location_id: a.location_id.clone(),
            allow_tenant_address_update: a.allow_tenant_address_update.filter(|x| *x),
            displayed_country_code: a.country_code.clone(),
        }),
    };
    let mut details = NumberServiceDetails::default();
    match service {
        NumberService::OperatorConnect => details.teams_operator_connect = Some(teams()),
        NumberService::TeamsPhoneMobile => details.teams_phone_mobile = Some(teams()),
        NumberService::DirectRouting => details.teams_direct_routing = Some(EnabledOnly { enabled: true }),
        NumberService::Zoom => details.zoom_phone_cloud_peering = Some(EnabledOnly { enabled: true }),
        NumberService::CallProtection => details.azure_operator_call_protection = Some(EnabledOnly { enabled: true }),
    }
    NumberResource {
        telephone_number: number.to_string(),
        account_name: account.to_string(),
        service_details: details,
        configuration: a.custom_sip_header.as_ref().map(|h| NumberConfiguration {
            custom_sip_header: Some(h.clone()),
        }),
        service_provisioning_status: None,
        service_provisioning_errors: None,
    }
}

impl NumberState {
    pub fn from_manifest(service: NumberService, attrs: &NumberAttributes, interner: &mut Interner) -> NumberState {
        let teams = service.is_teams();
        let mut own = |v: &Option<String>| v.as_deref().map(|s| interner.get(s));
        NumberState {
            service: Some(service),
            usage: attrs.usage.filter(|_| teams),
            capabilities: if teams {
                attrs.capabilities.iter().flatten().fold(0, |bits, c| {
                    bits | CAPABILITIES.iter().find(|(k, _, _)| k == c).map_or(0, |(_, b, _)| *b)
                })
            } else {
                0
            },
            civic_address_id: own(&attrs.civic_address_id).filter(|_| teams),
            location_id: own(&attrs.location_id).filter(|_| teams),
            allow_tenant_address_update: teams && attrs.allow_tenant_address_update == Some(true),
            country_code: own(&attrs.country_code).filter(|_| teams),
            custom_sip_header: own(&attrs.custom_sip_header),
        }
    }

    fn attributes(&self) -> NumberAttributes {
        NumberAttributes {
            usage: self.usage,
            capabilities: (self.capabilities != 0).then(|| {
                CAPABILITIES
                    .iter()
                    .filter(|(_, b, _)| self.capabilities & b != 0)
                    .map(|(k, _, _)| *k)
                    .collect()
            }),
            civic_address_id: self.civic_address_id.as_deref().map(str::to_string),
            location_id: self.location_id.as_deref().map(str::to_string),
            allow_tenant_address_update: self.allow_tenant_address_update.then_some(true),
            country_code: self.country_code.as_deref().map(str::to_string),
            custom_sip_header: self.custom_sip_header.as_deref().map(str::to_string),
        }
    }

    pub fn to_wire(&self, account: &str, number: &str) -> NumberResource {
        number_to_wire(
            account,
            self.service.unwrap_or(NumberService::DirectRouting),
            number,
            &self.attributes(),
        )
    }

    /// The manifest's view, for field changes.
    pub fn view(&self) -> Value {
        let mut view = Map::new();
        view.insert(
            "service".into(),
            json!(self.service.map_or("none", NumberService::as_str)),
        );
        if let Some(usage) = self.usage {
            view.insert("usage".into(), json!(usage));
        }
        if self.capabilities != 0 {
            let caps: Vec<&str> = CAPABILITIES
                .iter()
                .filter(|(_, b, _)| self.capabilities & b != 0)
                .map(|(_, _, n)| *n)
                .collect();
            view.insert("capabilities".into(), json!(caps));
        }
        for (key, value) in [
            ("civicAddressId", &self.civic_address_id),
            ("locationId", &self.location_id),
            ("countryCode", &self.country_code),
            ("customSipHeader", &self.custom_sip_header),
        ] {
            if let Some(v) = value {
                view.insert(key.into(), json!(&**v));
            }
        }
        if self.allow_tenant_address_update {
            view.insert("allowTenantAddressUpdate".into(), json!(true));
        }
        Value::Object(view)
    }
}

/// A number's create (no `old`) or update, as the plan holds it: the two states, a few dozen
/// bytes with their strings shared, instead of its field changes and wire body as JSON trees
/// (kilobytes). Both are built when read ([`crate::model::plan::Action::changes`],
/// [`crate::model::plan::Action::desired`]), exactly as the diff would have built them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberChange {
    pub new: NumberState,
    /// Boxed: most number actions at scale are creates, which have none.
    pub old: Option<Box<NumberState>>,
}

impl NumberChange {
    pub fn changes(&self) -> Vec<crate::model::plan::FieldChange> {
        let old = self.old.as_deref().map_or(Value::Null, NumberState::view);
        diff_json("", &old, &self.new.view())
    }

    /// The wire body: the number is the object's key, its account the object's group.
    pub fn desired(&self, object: &ObjectRef) -> Value {
        json!(self.new.to_wire(&object.group, &object.key))
    }
}

/// The fingerprint a plan records for an account, and apply checks before it writes.
///
/// The number counts are left out: ACG computes them from the numbers, each of which is
/// fingerprinted on its own, and a plan that deletes an account deletes its numbers first —
/// with the counts in, the account would look changed by someone else by the time its turn
/// came (issue #13).
pub fn account_fingerprint(account: &AccountResource) -> String {
    let mut value = serde_json::to_value(account).unwrap_or(Value::Null);
    if let Some(Value::Object(services)) = value.get_mut("serviceDetails") {
        for service in services.values_mut() {
            if let Value::Object(service) = service {
                service.remove("numberCount");
            }
        }
    }
    super::fingerprint_of(&value)
}
