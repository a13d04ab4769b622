//! The live state of ACG as a plan keeps it, and what a plan asks to read. The ACG client
//! builds these values; the planner reads them.
//!
//! A number is normalised as it is read ([`LiveNumber`], [`NumberState`]): a gateway may hold a
//! million, and their wire structs are dropped page by page. [`NumberState`] is also how the
//! planner states a desired number, so that the two compare directly; the conversions that
//! speak the manifests' terms (`from_manifest`, `view`, `to_wire`) stay with the diff in
//! `plan::acg`, in a second `impl` block, so that this layer holds no planning rule.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::manifest::acg::{NumberCapability, NumberService, NumberUsage};
use crate::wire::acg::{
    AccountResource, CivicAddress, FAILED, NumberResource, PENDING, RequestForInformation, TeamsNumberDetails,
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
