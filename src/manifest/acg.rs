//! Azure Communications Gateway kinds: `Account`, `NumberSet`, `Consent`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Ensure;

/// An enterprise account on Azure Communications Gateway. Identity: `metadata.name`, the ACG
/// account name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSpec {
    /// Free-form identifier for your own systems (CRM, BSS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The enterprise's Microsoft Teams (Entra) tenant. Required when Operator Connect or
    /// Teams Phone Mobile is enabled; cannot change while the account has such numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
    pub teams_tenant_id: Option<String>,
    /// The communication services enabled for this account.
    #[serde(default)]
    pub services: AccountServices,
    /// Delete numbers of this account that no `NumberSet` declares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Refuse any delete or replacement of this account, whatever the flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protect: Option<bool>,
    /// `absent` deletes the account (and is the only way telform deletes one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountServices {
    /// Microsoft Teams Operator Connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_connect: Option<SyncedService>,
    /// Microsoft Teams Phone Mobile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_phone_mobile: Option<SyncedService>,
    /// Microsoft Teams Direct Routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_routing: Option<DirectRoutingService>,
    /// Zoom Phone Cloud Peering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoom: Option<SyncedService>,
    /// Azure Operator Call Protection (no backend sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_protection: Option<PlainService>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncedService {
    pub enabled: bool,
    /// "Sync with backend service": flow-through provisioning to the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlainService {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectRoutingService {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<bool>,
    /// Caller-ID screening (on by default at ACG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_screening: Option<bool>,
    /// The customer's subdomain label under the ACG domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 10), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub subdomain: Option<String>,
    /// The DNS TXT values from the Microsoft 365 admin center, one per ACG region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain_tokens: Option<SubdomainTokens>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubdomainTokens {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9=_-]+$"))]
    pub region1: String,
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9=_-]+$"))]
    pub region2: String,
}

/// A service a number is enabled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NumberService {
    OperatorConnect,
    TeamsPhoneMobile,
    DirectRouting,
    Zoom,
    CallProtection,
}

impl NumberService {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberService::OperatorConnect => "operatorConnect",
            NumberService::TeamsPhoneMobile => "teamsPhoneMobile",
            NumberService::DirectRouting => "directRouting",
            NumberService::Zoom => "zoom",
            NumberService::CallProtection => "callProtection",
        }
    }

    /// Operator Connect and Teams Phone Mobile numbers carry Teams attributes (usage,
    /// capabilities, emergency address); the other services only an enabled flag.
    pub fn is_teams(self) -> bool {
        matches!(self, NumberService::OperatorConnect | NumberService::TeamsPhoneMobile)
    }

    /// ACG refuses a custom SIP header on Teams Phone Mobile and Call Protection numbers.
    pub fn allows_custom_sip_header(self) -> bool {
        !matches!(self, NumberService::TeamsPhoneMobile | NumberService::CallProtection)
    }
}

/// A set of numbers of one account, enabled for one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberSetSpec {
    /// The `Account` (by account name) the numbers belong to.
    pub account: String,
    pub service: NumberService,
    /// Attributes of every number of the set, unless the number overrides them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<NumberAttributes>,
    /// Inclusive ranges of numbers; `from` and `to` have the same length.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<NumberRange>,
    /// Numbers one by one, each with optional attribute overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<NumberEntry>,
    /// `absent` deletes every number of the set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberRange {
    /// First number, E.164 (`+` and digits).
    pub from: String,
    /// Last number (inclusive), same length as `from`.
    pub to: String,
}

/// What a number is used for in Teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NumberUsage {
    /// A calling user (`CallingUserAssignment`).
    User,
    /// An application: auto attendant, call queue (`FirstPartyAppAssignment`).
    Application,
    /// An audio conferencing bridge (`ConferenceAssignment`).
    Conference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NumberCapability {
    Inbound,
    Outbound,
    Mobile,
}

/// Attributes of a number. On a `NumberSet`'s `defaults` they apply to every number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberAttributes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<NumberUsage>,
    /// Calls the number may make or take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub capabilities: Option<Vec<NumberCapability>>,
    /// Emergency (civic) address configured by the enterprise in Teams admin center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub civic_address_id: Option<String>,
    /// Emergency location under the civic address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub location_id: Option<String>,
    /// Whether the enterprise may change the emergency address (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_tenant_address_update: Option<bool>,
    /// Country shown for the number (ISO 3166 alpha-2); required for North-American toll-free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country_code: Option<String>,
    /// Value of the operator's custom SIP header for calls of this number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub custom_sip_header: Option<String>,
}

/// One number, with attributes that override the set's `defaults`.
// The attributes are repeated rather than flattened: serde cannot combine `flatten` with
// `deny_unknown_fields`, and unknown fields must stay errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberEntry {
    /// E.164 number (`+` and digits, country code included, at most 16 characters).
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<NumberUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub capabilities: Option<Vec<NumberCapability>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub civic_address_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_tenant_address_update: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub custom_sip_header: Option<String>,
}

impl NumberEntry {
    /// The entry's attributes laid over `defaults`.
    pub fn effective(&self, defaults: Option<&NumberAttributes>) -> NumberAttributes {
        let d = defaults.cloned().unwrap_or_default();
        NumberAttributes {
            usage: self.usage.or(d.usage),
            capabilities: self.capabilities.clone().or(d.capabilities),
            civic_address_id: self.civic_address_id.clone().or(d.civic_address_id),
            location_id: self.location_id.clone().or(d.location_id),
            allow_tenant_address_update: self.allow_tenant_address_update.or(d.allow_tenant_address_update),
            country_code: self.country_code.clone().or(d.country_code),
            custom_sip_header: self.custom_sip_header.clone().or(d.custom_sip_header),
        }
    }
}

/// The operator's side of an Operator Connect consent (ACG "request for information").
/// Identity: `tenantId`. Consents are created by the enterprise in Teams; telform only sets
/// the relationship status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentSpec {
    /// The enterprise's Teams tenant.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
    pub tenant_id: String,
    /// The `Account` serving this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub relationship: Relationship,
    /// Why; required for `consentDeclined` and `contractTerminated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Your ticket or change request, at most 64 characters; sent in the comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Relationship {
    AgreementSigned,
    ConsentDeclined,
    ContractTerminated,
    ConsentAcknowledged,
}

impl Relationship {
    pub fn needs_reason(self) -> bool {
        matches!(self, Relationship::ConsentDeclined | Relationship::ContractTerminated)
    }
}
