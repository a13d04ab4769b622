//! Webex Wholesale: customers and subscribers (`specs/webex/webex-wholesale.json`).

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Wholesale: customers

/// `WholesalePackagesCustomer`.
pub const CUSTOMER_PACKAGES: &[&str] = &[
    "common_area_calling",
    "webex_calling",
    "webex_meetings",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
    "cisco_calling_plan",
    "attendant_console",
    "cx_premium_agent",
    "cx_standard_agent",
    "cx_voice_ports",
    "cx_ai_assistant",
    "webex_ai_agent",
];

/// `WholesalePackagesSubscriber` (the `packages[]` field of a subscriber).
pub const SUBSCRIBER_PACKAGES: &[&str] = &[
    "webex_calling",
    "webex_meetings",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
    "attendant_console",
    "cx_premium_agent",
    "cx_standard_agent",
];

/// The values of the legacy single `package` field of a subscriber response.
pub const LEGACY_SUBSCRIBER_PACKAGES: &[&str] = &[
    "webex_calling",
    "webex_meetings",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
];

/// A billing or office address of the wholesale APIs (each line at most 50 characters).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default)]
    pub address_line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_or_province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_or_postal_code: Option<String>,
    /// ISO 3166 alpha-2.
    #[serde(default)]
    pub country: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInfo {
    /// Must not contain `%`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub primary_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningParameters {
    /// Mandatory when provisioning calling packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling: Option<CallingParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meetings: Option<MeetingsParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<PackageParameters>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallingParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<CallingLocation>,
}

/// The customer's first (headquarters) calling location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallingLocation {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// IANA zone, e.g. `Europe/Paris`.
    #[serde(default)]
    pub timezone: String,
    /// e.g. `fr_fr`: emails and voice announcements.
    #[serde(default)]
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_location_identifier: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingsParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageParameters {
    /// Package name → quantity cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<std::collections::BTreeMap<String, f64>>,
}

/// `POST /wholesale/customers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionCustomer {
    #[serde(default)]
    pub provisioning_id: String,
    /// The complete list.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Attach an existing Webex organisation instead of creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub external_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Mandatory for a new customer, optional with `orgId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<CustomerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<ProvisioningParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_partner_admin_email: Option<String>,
}

/// `PUT /wholesale/customers/{customerId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCustomer {
    /// The complete list: a package left out is removed.
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<ProvisioningParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_partner_admin_email: Option<String>,
}

/// `ResourceURL`: the body of the 202 answers, pointing at the customer to poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceUrl {
    #[serde(default)]
    pub url: String,
}

/// `status` of a customer.
pub const CUSTOMER_PROVISIONED: &str = "provisioned";
pub const CUSTOMER_PROVISIONED_WITH_ERRORS: &str = "provisioned_with_errors";
pub const CUSTOMER_PROVISIONING: &str = "provisioning";
pub const CUSTOMER_UPDATING: &str = "updating";
pub const CUSTOMER_DELETING: &str = "deleting";
pub const CUSTOMER_ERROR: &str = "error";
pub const CUSTOMER_PENDING_RPL_REVIEW: &str = "pending_rpl_review";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(default)]
    pub id: String,
    /// Present only when `status` is `provisioned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub external_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_details: Option<ResourceDetails>,
    /// Errors of the background run (after the 202).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WholesaleError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceDetails {
    #[serde(default)]
    pub packages: Vec<PackageDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageDetails {
    #[serde(default)]
    pub name: String,
    /// `provisioned`, `provisioning`, `deleting` or `error`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub warnings: Vec<WholesaleError>,
    #[serde(default)]
    pub errors: Vec<WholesaleError>,
    /// With `includePackageLicenseInfo=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_ids: Option<Vec<String>>,
}

/// `Error` of the wholesale objects: `{errorCode, description}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WholesaleError {
    #[serde(default)]
    pub error_code: i64,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerList {
    #[serde(default)]
    pub items: Vec<Customer>,
}

/// `GET /organizations/{orgId}` (People and organisations API, `specs/webex/webex-admin.json`):
/// where a customer's company name is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub display_name: String,
}

/// `POST /wholesale/customers/validate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerPrecheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<PrecheckCustomerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<ProvisioningParameters>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrecheckCustomerInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub primary_email: String,
}

/// The answer of both prechecks. The spec's schema types `info` as an object (its example
/// shows an array of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrecheckResponse {
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<PrecheckInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrecheckInfo {
    #[serde(default)]
    pub info_code: i64,
    #[serde(default)]
    pub description: String,
}

// ---------------------------------------------------------------------------------------------
// Wholesale: subscribers

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
}

/// `POST /wholesale/subscribers`: `packages` (one entry) or the legacy `package`, never both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionSubscriber {
    /// The wholesale customer `id`, not its `orgId`.
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<SubscriberParameters>,
}

/// `PUT /wholesale/subscribers/{subscriberId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSubscriber {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<SubscriberParameters>,
}

/// `status` of a subscriber.
pub const SUBSCRIBER_PROVISIONED: &str = "provisioned";
pub const SUBSCRIBER_PENDING_USER_MIGRATION: &str = "pending_user_migration";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscriber {
    #[serde(default)]
    pub id: String,
    /// The id used by `/people` (and as a device owner); present once provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub customer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_customer_id: Option<String>,
    /// Legacy; only for the values of [`LEGACY_SUBSCRIBER_PACKAGES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WholesaleError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_change: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriberList {
    #[serde(default)]
    pub items: Vec<Subscriber>,
}

/// `POST /wholesale/subscribers/validate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberPrecheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_parameters: Option<SubscriberParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<PrecheckCustomerInfo>,
}
