//! Devices: by MAC, their lines, supported models, third-party settings (`specs/webex/webex-device.json`).

use serde::{Deserialize, Serialize};

use super::IdName;

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
