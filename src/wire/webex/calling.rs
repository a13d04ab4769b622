//! Webex Calling: locations, location numbers and workspaces.

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Locations

/// The address of the Locations API (a different shape from the wholesale [`Address`](super::Address)).
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
