//! The live state of Webex as a plan keeps it, what a plan asks to read, and the keys both the
//! planner and the Webex client compare by. The Webex client builds these values; the planner
//! reads them; apply writes the rotation tag.
//!
//! Why each item is here:
//! - [`ROTATION_TAG`] and [`mac_key`] came from `plan::webex`: the client reads the tag when it
//!   normalises a device ([`live::rotation_of`]) and finds a device by its MAC key, so with them
//!   in `plan` the client imported the planner.
//! - [`license_id`] came from `plan::webex` too: apply asks it again once a customer it created
//!   is provisioned, and apply does not import the planner.
//! - [`live`], [`content_hash`] and the [`WebexLive`] tree came from `provider::webex`: the
//!   planner reads them, and the planner does not import the providers.

pub mod content_hash;
pub mod live;
pub mod precheck;

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::webex::WorkspaceLicense;
use crate::wire::webex::{Customer, DeviceMembers, Location, PlaceDeviceList, SupportedDevice};
use live::{LiveDevice, LiveNumberEntry, LiveSubscriber, LiveWorkspace};

/// The device tag through which apply records the SIP password `rotation` it last set:
/// `telform-sip-rotation=<n>`. No API reads a password back, so a rotation bump is seen by
/// comparing it with this tag (a device without the tag counts as rotation 0).
pub const ROTATION_TAG: &str = "telform-sip-rotation=";

/// A MAC address as Webex keeps it: twelve upper-case hex digits (the manifests were
/// validated, so only the separators `:`, `-` and `.` need removing).
pub fn mac_key(mac: &str) -> String {
    mac.chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The licence id a workspace of this kind would take, when known (the planner's desired body,
/// and apply once the customer it creates is provisioned).
pub fn license_id(customer: Option<&Customer>, license: WorkspaceLicense) -> Option<String> {
    let packages: &[&str] = match license {
        WorkspaceLicense::CommonArea => &["common_area_calling"],
        WorkspaceLicense::Professional => &["webex_calling", "webex_suite"],
    };
    let details = customer?.resource_details.as_ref()?;
    packages.iter().find_map(|name| {
        details
            .packages
            .iter()
            .find(|p| p.name == *name)
            .and_then(|p| p.license_ids.as_ref()?.first().cloned())
    })
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
    /// External ids of the customers whose company name is compared: their organisation's
    /// display name is read (`GET /organizations/{orgId}`; the wholesale customer has no name).
    pub names_of: BTreeSet<String>,
    /// External ids of the customers whose full administrators are compared (the customer's
    /// `adminEmail`, users' `admin`): their organisation's full administrators are read
    /// (`GET /people?orgId=&roles=`, after one `GET /roles` for the role's id).
    pub admins_of: BTreeSet<String>,
    /// External ids of the customers whose workspaces are declared: each is read once more,
    /// by id, for the licence ids of its packages (the list does not carry them).
    pub licenses_of: BTreeSet<String>,
    /// A scoped plan (`--changed-since`): the customers are looked up one by one by external id
    /// rather than listed whole.
    pub by_external_id: bool,
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
    /// The id of the People API's full administrator role, when administrators were read.
    pub full_admin_role: Option<String>,
}

/// A full administrator of an organisation (People API).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LiveAdmin {
    pub person_id: String,
    /// Lower-case.
    pub email: String,
}

/// The content of one customer's organisation, normalised as it is read (see [`live`]): the
/// wire structs of its users, numbers, workspaces and devices are not kept.
#[derive(Debug, Default, Clone)]
pub struct OrgLive {
    pub locations: Vec<Location>,
    /// Numbers and extensions: where the numbers of locations, users and workspaces are read.
    pub numbers: Vec<LiveNumberEntry>,
    pub subscribers: Vec<LiveSubscriber>,
    pub workspaces: Vec<LiveWorkspace>,
    pub devices: Vec<LiveDevice>,
    /// Lines by device id, for the devices of [`WebexNeeds::members_of`].
    pub members: BTreeMap<String, DeviceMembers>,
    /// Devices and limits by workspace id, for [`WebexNeeds::workspace_limits_of`].
    pub workspace_devices: BTreeMap<String, PlaceDeviceList>,
    /// The organisation's display name (the customer's company name), for
    /// [`WebexNeeds::names_of`].
    pub display_name: Option<String>,
    /// The organisation's full administrators, for [`WebexNeeds::admins_of`].
    pub admins: Option<Vec<LiveAdmin>>,
}
