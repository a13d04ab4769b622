//! Webex kinds: `Template`, `Customer`, `Location`, `User`, `Workspace`, `Device`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Address, Ensure};

/// An onboarding template made in Partner Hub (no public API creates one). Local reference
/// data: customers name it and it supplies the provisioning id and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateSpec {
    /// The template's provisioning ID, copied from Partner Hub.
    #[schemars(length(min = 1))]
    pub provisioning_id: String,
    /// ISO 3166 alpha-2.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Default email language, e.g. `fr_FR`.
    pub language: String,
    /// The wholesale subscription.
    pub subscription: String,
    /// Cloud-connected PSTN provider, if the template names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pstn_provider: Option<String>,
    pub authentication: Authentication,
    pub calling: CallingDefaults,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Authentication {
    Webex,
    Sso,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallingDefaults {
    /// IANA time zone, e.g. `Europe/Paris`.
    pub timezone: String,
    /// Calling language, e.g. `fr_fr`.
    pub language: String,
}

/// Webex Wholesale packages (customer level; a subscriber takes one of the subscriber ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Package {
    CommonAreaCalling,
    WebexCalling,
    WebexMeetings,
    WebexSuite,
    WebexVoice,
    CxEssentials,
    WebexCallingStandard,
    CiscoCallingPlan,
    AttendantConsole,
    CxPremiumAgent,
    CxStandardAgent,
    CxVoicePorts,
    CxAiAssistant,
    WebexAiAgent,
}

impl Package {
    pub fn as_str(self) -> &'static str {
        match self {
            Package::CommonAreaCalling => "common_area_calling",
            Package::WebexCalling => "webex_calling",
            Package::WebexMeetings => "webex_meetings",
            Package::WebexSuite => "webex_suite",
            Package::WebexVoice => "webex_voice",
            Package::CxEssentials => "cx_essentials",
            Package::WebexCallingStandard => "webex_calling_standard",
            Package::CiscoCallingPlan => "cisco_calling_plan",
            Package::AttendantConsole => "attendant_console",
            Package::CxPremiumAgent => "cx_premium_agent",
            Package::CxStandardAgent => "cx_standard_agent",
            Package::CxVoicePorts => "cx_voice_ports",
            Package::CxAiAssistant => "cx_ai_assistant",
            Package::WebexAiAgent => "webex_ai_agent",
        }
    }

    /// Packages that bring Webex Calling (they need a calling location, and a user with one
    /// needs a number or an extension).
    pub fn is_calling(self) -> bool {
        matches!(
            self,
            Package::CommonAreaCalling
                | Package::WebexCalling
                | Package::WebexSuite
                | Package::WebexVoice
                | Package::CxEssentials
                | Package::WebexCallingStandard
        )
    }

    /// Packages a subscriber (user) can be given: Webex's `WholesalePackagesSubscriber`.
    pub fn is_subscriber(self) -> bool {
        matches!(
            self,
            Package::WebexCalling
                | Package::WebexMeetings
                | Package::WebexSuite
                | Package::WebexVoice
                | Package::CxEssentials
                | Package::WebexCallingStandard
                | Package::AttendantConsole
                | Package::CxPremiumAgent
                | Package::CxStandardAgent
        )
    }

    /// The level of a subscriber package, for "an administrator gets the organisation's
    /// package level": higher levels include more. `None`: not ranked (add-ons, agents).
    pub fn level(self) -> Option<u8> {
        match self {
            Package::WebexSuite => Some(4),
            Package::WebexCalling | Package::CxEssentials => Some(3),
            Package::WebexCallingStandard | Package::WebexVoice => Some(2),
            Package::WebexMeetings => Some(1),
            _ => None,
        }
    }

    /// Webex's package dependencies: the customer must also have one of these.
    pub fn requires_one_of(self) -> &'static [Package] {
        match self {
            Package::CiscoCallingPlan => &[
                Package::CommonAreaCalling,
                Package::WebexCalling,
                Package::WebexSuite,
                Package::WebexVoice,
                Package::CxEssentials,
                Package::WebexCallingStandard,
            ],
            Package::AttendantConsole => &[Package::WebexCalling, Package::WebexSuite, Package::CxEssentials],
            _ => &[],
        }
    }
}

/// A Webex Wholesale customer organisation. Identity: `externalId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerSpec {
    /// The `Template` (by name) the customer is provisioned from.
    pub template: String,
    /// Your own customer id; the customer's identity.
    #[schemars(length(min = 1))]
    pub external_id: String,
    /// Company name (no `%`).
    #[schemars(length(min = 1))]
    pub company_name: String,
    /// The first administrator, set at creation; then one of the organisation's full
    /// administrators (plan refuses another).
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub admin_email: String,
    /// Overrides the template's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// ISO 3166 alpha-2.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Your attestation that the headquarters is in a Webex-supported location. Must be true.
    pub supported_location_verified: bool,
    /// The complete list of wholesale packages.
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub packages: Vec<Package>,
    /// Attach to an existing Webex organisation instead of creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The headquarters: its address is the customer's billing address, and it is the first
    /// calling location. Required (unless `ensure: absent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headquarters: Option<Headquarters>,
    /// Delete locations, users, workspaces and devices of this customer that no manifest declares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Refuse any delete or replacement of this customer, whatever the flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protect: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Headquarters {
    /// Location name, at most 80 characters.
    #[schemars(length(min = 1))]
    pub name: String,
    pub address: Address,
    /// IANA time zone.
    pub timezone: String,
    /// Language for emails, and for announcements when the location is created (Webex takes a
    /// location's announcement language only then: change it later in Control Hub), e.g. `fr_fr`.
    pub language: String,
}

/// A calling location of a customer. Identity: (`customer`, `name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationSpec {
    /// The customer's `externalId`.
    pub customer: String,
    /// At most 80 characters (Webex Calling locations).
    #[schemars(length(min = 1))]
    pub name: String,
    pub address: Address,
    pub timezone: String,
    pub language: String,
    pub announcement_language: String,
    /// E.164 numbers added to the location.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

/// A wholesale subscriber. Identity: (`customer`, `email`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    pub customer: String,
    #[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))]
    pub email: String,
    /// At most 30 characters, none of `% # < > / \ "`.
    #[schemars(length(min = 1))]
    pub first_name: String,
    /// At most 30 characters, none of `% # < > / \ "`.
    #[schemars(length(min = 1))]
    pub last_name: String,
    /// One subscriber package.
    pub package: Package,
    /// Name of one of the customer's locations (or its headquarters).
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{2,10}$"))]
    pub extension: Option<String>,
    /// Full administrator of the customer's organisation (the People API's `Full
    /// Administrator` role, given or taken in place; the user's other roles are kept). A new
    /// user gets it once created. Taking it from the organisation's last full administrator is
    /// refused at plan: give it to another user first. Left out, the role is not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RoomType {
    NotSet,
    Focus,
    Huddle,
    MeetingRoom,
    Open,
    Desk,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum WorkspaceLicense {
    /// Up to 5 devices.
    Professional,
    /// Exactly one device at most.
    CommonArea,
}

impl WorkspaceLicense {
    pub fn max_devices(self) -> usize {
        match self {
            WorkspaceLicense::Professional => 5,
            WorkspaceLicense::CommonArea => 1,
        }
    }
}

/// A workspace (a room or shared space) with Webex Calling. Identity: (`customer`, `name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceSpec {
    pub customer: String,
    /// At most 30 characters, none of `% # < > / \ "`.
    #[schemars(length(min = 1))]
    pub name: String,
    pub room_type: RoomType,
    #[schemars(range(min = 0, max = 999))]
    pub capacity: u32,
    pub license: WorkspaceLicense,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{2,10}$"))]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

/// A partner-managed SIP device. Identity: `mac`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceSpec {
    pub customer: String,
    /// MAC address: `00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`, `001A2B3C4D5E` or `001a.2b3c.4d5e`.
    pub mac: String,
    /// An approved model from the provider's supported-devices list.
    #[schemars(length(min = 1))]
    pub model: String,
    /// The device's owner: a user (by email) or a workspace (by name).
    pub owner: Owner,
    /// Users who share a line on the device. Left out, the device's lines are not managed
    /// (nor read); `[]` takes every shared line away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<SharedLine>")]
    pub shared_with: Option<Vec<SharedLine>>,
    /// The SIP password, by reference only.
    pub sip_password: SipPassword,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensure: Option<Ensure>,
}

/// Give exactly one of `user` or `workspace`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Owner {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SharedLine {
    /// The user's email.
    pub user: String,
}

/// Where the SIP password comes from. Give exactly one of `fromEnv`, `fromFile`, `generate`.
/// A literal password in a manifest is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SipPassword {
    /// Name of an environment variable holding the password at apply time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub from_env: Option<String>,
    /// Path of a file holding the password (relative to the manifest folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub from_file: Option<String>,
    /// Generate a strong password at apply time and write it to the secrets output file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
    /// Bump to force a password reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<u32>,
}
