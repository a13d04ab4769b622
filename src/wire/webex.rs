//! Webex for service providers: the JSON bodies of the operations telform uses, named as in the
//! official specs (`specs/webex/webex-wholesale.json`, `specs/webex/webex-device.json`; numbers
//! come from the cloud-calling spec, which is not copied here: see `docs/emulator-webex.md`).
//!
//! Fields a request must carry are plain values with `#[serde(default)]`: a client always sends
//! them, and a server (the emulator) reports a missing one as a 400 naming the field rather than
//! as a parse error. Optional fields are `Option`s, skipped when absent.

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Errors

/// The error body of every Webex API: `{message, errors: [{errorCode?, description}], trackingId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub description: String,
}

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

// ---------------------------------------------------------------------------------------------
// Locations

/// The address of the Locations API (a different shape from the wholesale [`Address`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationAddress {
    #[serde(default)]
    pub address1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: String,
}

/// A location, as `GET /locations` answers it (the shape of the spec's examples: the spec's
/// `Location` schema is the one of workspace locations; see `docs/emulator-webex.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub address: LocationAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationList {
    #[serde(default)]
    pub items: Vec<Location>,
}

/// `POST /locations` (`PostCommonLocationObject`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLocation {
    /// At most 80 characters for a location enabled for Webex Calling (256 otherwise).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub announcement_language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<LocationAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// `PUT /locations/{id}` (`PutCommonLocationObject`): the fields given replace the location's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<LocationAddress>,
}

/// `{id}`: the answer of the creations that return only the new id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreatedId {
    #[serde(default)]
    pub id: String,
}

// ---------------------------------------------------------------------------------------------
// Numbers (telephony config)

/// `POST /telephony/config/locations/{locationId}/numbers` (add) and, with only `phoneNumbers`,
/// `DELETE` on the same path (remove).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationNumbers {
    #[serde(default)]
    pub phone_numbers: Vec<String>,
    /// `DID`, `TOLLFREE` or `MOBILE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_type: Option<String>,
    /// `NONE` or `SERVICE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_usage_type: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_id: Option<String>,
}

/// `GET /telephony/config/numbers`: the items are in `phoneNumbers`, not `items`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberList {
    #[serde(default)]
    pub phone_numbers: Vec<PhoneNumber>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    /// Absent for an extension without a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esn: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub phone_number_type: String,
    #[serde(default)]
    pub main_number: bool,
    #[serde(default)]
    pub included_telephony_types: String,
    #[serde(default)]
    pub toll_free_number: bool,
    #[serde(default)]
    pub is_service_number: bool,
    #[serde(default)]
    pub is_reserved_number: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<IdName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<NumberOwner>,
}

/// `{id, name}`: a location as other objects refer to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdName {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberOwner {
    #[serde(default)]
    pub id: String,
    /// `PEOPLE`, `PLACE`, ...
    #[serde(default, rename = "type")]
    pub owner_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Workspaces

/// `calling` of a workspace. In answers `webexCalling` carries only `licenses`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceCalling {
    /// `freeCalling`, `hybridCalling`, `webexCalling`, `webexEdgeForDevices`,
    /// `thirdPartySipCalling` or `none`.
    #[serde(default, rename = "type")]
    pub calling_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webex_calling: Option<WebexCalling>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebexCalling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<String>>,
}

/// `POST /workspaces` (`WorkspaceCreationRequest`): a partner puts `orgId` in the body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateWorkspace {
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// `notSet`, `focus`, `huddle`, `meetingRoom`, `open`, `desk` or `other`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub workspace_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling: Option<WorkspaceCalling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotdesking_status: Option<String>,
    /// `collaborationDevices` (the default) or `phones`; cannot change later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_devices: Option<String>,
}

/// `PUT /workspaces/{id}` (`WorkspaceUpdateRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWorkspace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub workspace_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling: Option<WorkspaceCalling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotdesking_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub org_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub workspace_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling: Option<WorkspaceCalling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotdesking_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_devices: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_platform: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceList {
    #[serde(default)]
    pub items: Vec<Workspace>,
}

/// `GET /telephony/config/workspaces/{workspaceId}/devices` (`placeDeviceList`): the devices and
/// the workspace's device limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceDeviceList {
    #[serde(default)]
    pub devices: Vec<PlaceDevice>,
    #[serde(default)]
    pub max_device_count: i64,
    #[serde(default)]
    pub max_owned_device_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceDevice {
    #[serde(default)]
    pub id: String,
    /// The spec: "comma separated array of tags used to describe device" (the device's tags).
    #[serde(default)]
    pub description: Vec<String>,
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default)]
    pub primary_owner: bool,
    /// `PRIMARY` or `SHARED_CALL_APPEARANCE`.
    #[serde(default, rename = "type")]
    pub line_type: String,
    #[serde(default)]
    pub hoteling: Hoteling,
    #[serde(default)]
    pub owner: DeviceOwner,
    /// `ACTIVATING`, `ACTIVATED` or `DEACTIVATED`.
    #[serde(default)]
    pub activation_state: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hoteling {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub limit_guest_use: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_hours_limit: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceOwner {
    #[serde(default)]
    pub id: String,
    /// `PEOPLE`, `PLACE` or `VIRTUAL_LINE`.
    #[serde(default, rename = "type")]
    pub owner_type: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
}

// ---------------------------------------------------------------------------------------------
// Devices

/// `POST /devices?orgId=`: `personId` or `workspaceId`, never both. `password` is the SIP
/// password of a third-party device: never printed (`Debug` redacts it).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDevice {
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for CreateDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateDevice")
            .field("mac", &self.mac)
            .field("model", &self.model)
            .field("workspace_id", &self.workspace_id)
            .field("person_id", &self.person_id)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Upper-case hex without separators, e.g. `54A3152300C8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_sip_url: Option<String>,
    #[serde(default)]
    pub sip_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    #[serde(default)]
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<String>,
    /// `CISCO`, `CUSTOMER` or `PARTNER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_platform: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceList {
    #[serde(default)]
    pub items: Vec<Device>,
}

/// One operation of `PATCH /devices/{id}` (`application/json-patch+json`; the body is an array
/// of them). Only the `tags` path exists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagsPatch {
    /// `add`, `remove` or `replace`.
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Vec<String>>,
}

/// `POST /telephony/config/devices/actions/validateMacs/invoke`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidateMacs {
    #[serde(default)]
    pub macs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateMacsResponse {
    /// `OK` or `ERRORS`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub mac_status: Vec<MacStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MacStatus {
    #[serde(default)]
    pub mac: String,
    /// `AVAILABLE`, `UNAVAILABLE`, `DUPLICATE_IN_LIST` or `INVALID`.
    #[serde(default)]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /telephony/config/supportedDevices` (`supportedDevicesObject`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedDevices {
    #[serde(default)]
    pub upgrade_channel_list: Vec<String>,
    #[serde(default)]
    pub devices: Vec<SupportedDevice>,
}

/// `DeviceObject`: one supported model. `model` is the value `POST /devices` takes (the display
/// name is accepted too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedDevice {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_display_name: Option<String>,
    /// `MPP`, `ATA`, `GENERIC_SIP`, `ESIM` or `DESK_PHONE`.
    #[serde(default, rename = "type")]
    pub device_type: String,
    /// `CISCO` or `THIRD_PARTY`.
    #[serde(default)]
    pub manufacturer: String,
    /// `CISCO` or `CUSTOMER`.
    #[serde(default)]
    pub managed_by: String,
    /// `PEOPLE`, `PLACE`.
    #[serde(default)]
    pub supported_for: Vec<String>,
    /// `MAC_ADDRESS`, `ACTIVATION_CODE`, `NONE`.
    #[serde(default)]
    pub onboarding_method: Vec<String>,
    #[serde(default)]
    pub allow_configure_layout_enabled: bool,
    #[serde(default)]
    pub number_of_line_ports: i64,
    #[serde(default)]
    pub kem_support_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kem_module_count: Option<i64>,
    #[serde(default)]
    pub kem_lines_support_enabled: bool,
    #[serde(default)]
    pub upgrade_channel_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_upgrade_channel: Option<String>,
    #[serde(default)]
    pub additional_primary_line_appearances_enabled: bool,
    #[serde(default)]
    pub basic_emergency_nomadic_enabled: bool,
    #[serde(default)]
    pub customized_behaviors_enabled: bool,
    #[serde(default)]
    pub allow_configure_ports_enabled: bool,
    #[serde(default)]
    pub customizable_line_label_enabled: bool,
    #[serde(default)]
    pub supports_line_port_reordering_enabled: bool,
    #[serde(default)]
    pub port_number_support_enabled: bool,
    #[serde(default)]
    pub t38_enabled: bool,
    #[serde(default)]
    pub call_declined_enabled: bool,
    #[serde(default)]
    pub touch_screen_phone: bool,
    #[serde(default)]
    pub number_of_line_key_buttons: i64,
    #[serde(default)]
    pub allow_hoteling_host_enabled: bool,
    #[serde(default)]
    pub supports_apply_changes_enabled: bool,
    #[serde(default)]
    pub allow_configure_lines_enabled: bool,
    #[serde(default)]
    pub allow_configure_phone_settings_enabled: bool,
    #[serde(default)]
    pub supports_hotline_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_number_of_line_appearances: Option<i64>,
}

/// `GET /telephony/config/devices/{deviceId}/members` (`GetMemberResponse`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceMembers {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default)]
    pub max_line_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default)]
    pub primary_owner: bool,
    #[serde(default)]
    pub port: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t38_fax_compression_enabled: Option<bool>,
    /// `PRIMARY` or `SHARED_CALL_APPEARANCE`.
    #[serde(default)]
    pub line_type: String,
    #[serde(default)]
    pub line_weight: i64,
    #[serde(default)]
    pub hotline_enabled: bool,
    #[serde(default)]
    pub hotline_destination: String,
    #[serde(default)]
    pub allow_call_decline_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_port: Option<String>,
    /// `PEOPLE`, `PLACE` or `VIRTUAL_LINE`.
    #[serde(default)]
    pub member_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<IdName>,
}

/// `PUT /telephony/config/devices/{deviceId}/members`: replaces the whole list (without
/// `members`, every member but the primary owner is removed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PutMembers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<PutMember>>,
}

/// `PutMemberObject`. `port`, `id`, `primaryOwner` and `lineType` have no default: a member
/// without them is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutMember {
    pub port: i64,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t38_fax_compression_enabled: Option<bool>,
    pub primary_owner: bool,
    pub line_type: String,
    #[serde(default)]
    pub line_weight: i64,
    #[serde(default)]
    pub hotline_enabled: bool,
    #[serde(default)]
    pub hotline_destination: String,
    #[serde(default)]
    pub allow_call_decline_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_label: Option<String>,
}

/// `GET /telephony/config/devices/{deviceId}` (`GetThirdPartyDeviceObject`). Never a password:
/// no endpoint reads one back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallingDevice {
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub managed_by: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default)]
    pub model: String,
    /// `activating`, `activated` or `deactivated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_state: Option<String>,
    #[serde(default)]
    pub upgrade_channel_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<SipOwner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
}

/// The SIP registration identity of a device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SipOwner {
    #[serde(default)]
    pub sip_user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_port: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proxy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_proxy: Option<String>,
}

/// `PUT /telephony/config/devices/{deviceId}` ("Update Third Party Device"): sets a new SIP
/// password. Write-only; `Debug` redacts it.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateThirdPartyDevice {
    #[serde(default)]
    pub sip_password: String,
}

impl std::fmt::Debug for UpdateThirdPartyDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateThirdPartyDevice")
            .field("sip_password", &"<redacted>")
            .finish()
    }
}
