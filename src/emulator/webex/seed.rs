//! The `webex` part of the seed: credentials, the partner's reference data (onboarding
//! templates, supported devices, licences) and brownfield objects. Documented in
//! docs/emulator-webex.md.
//!
//! Brownfield objects go through the same code as API calls, so a seed cannot hold what the API
//! would refuse; they refer to each other as the manifests do (customer by external id,
//! location and workspace by name, user by email).

use serde::{Deserialize, Serialize};

use super::Token;
use super::http::Fail;
use super::store::{LicenseKind, Owner, Store};
use super::wholesale::Seeded;
use crate::wire::webex as wire;

/// The Webex part of the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Bearer tokens; the first one goes to the env file.
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// The provisioning ids of the partner's onboarding templates (made in Partner Hub).
    #[serde(default)]
    pub provisioning_ids: Vec<String>,
    /// `GET /telephony/config/supportedDevices`.
    #[serde(default)]
    pub supported_devices: Vec<SeedSupportedDevice>,
    /// Which package licenses which kind of workspace; [`LicenseKind::defaults`] when empty.
    #[serde(default)]
    pub licenses: Vec<LicenseKind>,
    /// Customers with these external ids fail provisioning (status `error`).
    #[serde(default)]
    pub failing_external_ids: Vec<String>,
    /// Webex organisations outside the partnership, which a customer can attach with `orgId`.
    #[serde(default)]
    pub organizations: Vec<SeedOrganization>,
    #[serde(default)]
    pub customers: Vec<SeedCustomer>,
    #[serde(default)]
    pub locations: Vec<SeedLocation>,
    #[serde(default)]
    pub subscribers: Vec<SeedSubscriber>,
    #[serde(default)]
    pub workspaces: Vec<SeedWorkspace>,
    #[serde(default)]
    pub devices: Vec<SeedDevice>,
}

/// A supported model; the flags the spec requires and the seed omits are `false`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSupportedDevice {
    /// What `POST /devices` takes, e.g. `DMS Cisco 8865`.
    pub model: String,
    /// e.g. `Cisco 8865` (accepted by `POST /devices` too).
    pub display_name: String,
    /// `MPP`, `ATA`, `GENERIC_SIP`, `ESIM` or `DESK_PHONE`.
    #[serde(rename = "type")]
    pub device_type: String,
    /// `CISCO` or `THIRD_PARTY`.
    pub manufacturer: String,
    /// `CISCO` or `CUSTOMER`; default: `CISCO` for Cisco, `CUSTOMER` for third parties.
    #[serde(default)]
    pub managed_by: Option<String>,
    /// Default `[PEOPLE, PLACE]`.
    #[serde(default)]
    pub supported_for: Option<Vec<String>>,
    /// Default 1.
    #[serde(default)]
    pub number_of_line_ports: Option<i64>,
    /// The `maxLineCount` of the device's members; default `numberOfLinePorts`.
    #[serde(default)]
    pub max_number_of_line_appearances: Option<i64>,
    #[serde(default)]
    pub touch_screen_phone: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOrganization {
    pub id: String,
    pub name: String,
}

/// A customer already provisioned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedCustomer {
    /// Generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// An organisation of `organizations` to attach, or a new organisation's id; generated when
    /// absent.
    #[serde(default)]
    pub org_id: Option<String>,
    pub external_id: String,
    pub name: String,
    pub primary_email: String,
    /// Default: the first of `provisioningIds`.
    #[serde(default)]
    pub provisioning_id: Option<String>,
    pub packages: Vec<String>,
    pub address: wire::Address,
    /// The first calling location (required with calling packages).
    #[serde(default)]
    pub headquarters: Option<wire::CallingLocation>,
}

/// A location of a seeded customer; when one of that name exists (the headquarters), only its
/// numbers are added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedLocation {
    /// The customer's external id.
    pub customer: String,
    pub name: String,
    #[serde(default)]
    pub address: Option<wire::LocationAddress>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub announcement_language: Option<String>,
    #[serde(default)]
    pub numbers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSubscriber {
    /// The customer's external id.
    pub customer: String,
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    pub package: String,
    /// A location name; default the headquarters.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub extension: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedWorkspace {
    /// The customer's external id.
    pub customer: String,
    pub display_name: String,
    /// A location name.
    pub location: String,
    /// `professional` or `commonArea`.
    pub license: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default, rename = "type")]
    pub workspace_type: Option<String>,
}

/// `{user: email}` or `{workspace: name}`, as in the Device manifests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOwner {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDevice {
    /// The customer's external id.
    pub customer: String,
    pub mac: String,
    /// A supported model (`model` or `displayName`).
    pub model: String,
    pub owner: SeedOwner,
    #[serde(default)]
    pub shared_with: Vec<SeedOwner>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether a SIP password was set (the seed never holds one).
    #[serde(default)]
    pub sip_password_set: bool,
}

fn supported_device(d: &SeedSupportedDevice) -> wire::SupportedDevice {
    let ports = d.number_of_line_ports.unwrap_or(1).max(1);
    let cisco = d.manufacturer == "CISCO";
    wire::SupportedDevice {
        model: d.model.clone(),
        display_name: d.display_name.clone(),
        family_display_name: None,
        device_type: d.device_type.clone(),
        manufacturer: d.manufacturer.clone(),
        managed_by: d
            .managed_by
            .clone()
            .unwrap_or_else(|| if cisco { "CISCO" } else { "CUSTOMER" }.to_string()),
        supported_for: d
            .supported_for
            .clone()
            .unwrap_or_else(|| vec!["PEOPLE".to_string(), "PLACE".to_string()]),
        onboarding_method: vec!["MAC_ADDRESS".to_string()],
        number_of_line_ports: ports,
        max_number_of_line_appearances: Some(d.max_number_of_line_appearances.unwrap_or(ports)),
        touch_screen_phone: d.touch_screen_phone,
        allow_configure_lines_enabled: true,
        supports_line_port_reordering_enabled: cisco,
        upgrade_channel_enabled: cisco,
        allow_configure_layout_enabled: cisco,
        customizable_line_label_enabled: cisco,
        call_declined_enabled: true,
        ..wire::SupportedDevice::default()
    }
}

impl Store {
    pub fn from_seed(seed: &Seed) -> Result<Store, String> {
        let mut store = Store {
            tokens: seed.tokens.clone(),
            ..Store::default()
        };
        for (i, t) in seed.tokens.iter().enumerate() {
            if t.token.trim().is_empty() || t.token.contains(char::is_whitespace) {
                return Err(format!("webex.tokens[{i}]: a token is a non-empty word"));
            }
        }
        store.db.provisioning_ids = seed.provisioning_ids.iter().cloned().collect();
        for (i, d) in seed.supported_devices.iter().enumerate() {
            let at = format!("webex.supportedDevices[{i}]");
            if d.model.trim().is_empty() || d.display_name.trim().is_empty() {
                return Err(format!("{at}: model and displayName are required"));
            }
            if !["MPP", "ATA", "GENERIC_SIP", "ESIM", "DESK_PHONE"].contains(&d.device_type.as_str()) {
                return Err(format!("{at}: type is one of MPP, ATA, GENERIC_SIP, ESIM, DESK_PHONE"));
            }
            if !["CISCO", "THIRD_PARTY"].contains(&d.manufacturer.as_str()) {
                return Err(format!("{at}: manufacturer is CISCO or THIRD_PARTY"));
            }
            store.db.supported_devices.push(supported_device(d));
        }
        store.db.licenses = if seed.licenses.is_empty() {
            LicenseKind::defaults()
        } else {
            seed.licenses.clone()
        };
        for (i, l) in store.db.licenses.iter().enumerate() {
            if !["professional", "commonArea"].contains(&l.kind.as_str()) || l.max_device_count < 1 {
                return Err(format!(
                    "webex.licenses[{i}]: kind is professional or commonArea, maxDeviceCount at least 1"
                ));
            }
        }
        store.db.failing_external_ids = seed.failing_external_ids.iter().cloned().collect();
        for (i, o) in seed.organizations.iter().enumerate() {
            if o.id.trim().is_empty() || store.db.orgs.contains_key(&o.id) {
                return Err(format!("webex.organizations[{i}]: a unique, non-empty id is required"));
            }
            let (seq, _) = store.next_id("ORGANIZATION");
            store.db.orgs.insert(
                o.id.clone(),
                super::store::Org {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    seq,
                    attachable: true,
                },
            );
        }
        let now = crate::emulator::now_ms();
        let at = |what: &str, i: usize, e: Fail| format!("webex.{what}[{i}]: {}", e.message);
        for (i, c) in seed.customers.iter().enumerate() {
            store.seed_customer(c, now).map_err(|e| at("customers", i, e))?;
        }
        for (i, l) in seed.locations.iter().enumerate() {
            store.seed_location(l).map_err(|e| at("locations", i, e))?;
        }
        for (i, s) in seed.subscribers.iter().enumerate() {
            store.seed_subscriber(s, now).map_err(|e| at("subscribers", i, e))?;
        }
        for (i, w) in seed.workspaces.iter().enumerate() {
            store.seed_workspace(w, now).map_err(|e| at("workspaces", i, e))?;
        }
        for (i, d) in seed.devices.iter().enumerate() {
            store.seed_device(d, now).map_err(|e| at("devices", i, e))?;
        }
        Ok(store)
    }

    fn seeded_org(&self, external_id: &str) -> Result<String, Fail> {
        self.idx
            .customer_by_external
            .get(external_id)
            .map(|id| self.db.customers[id].org_id.clone())
            .ok_or_else(|| Fail::bad(format!("customer `{external_id}` is not a seeded customer")))
    }

    fn seeded_location(&self, org: &str, name: &str) -> Result<String, Fail> {
        self.location_named(org, name)
            .map(|l| l.id.clone())
            .ok_or_else(|| Fail::bad(format!("no location `{name}` in the customer's organization")))
    }

    fn seeded_owner(&self, customer: &str, org: &str, owner: &SeedOwner) -> Result<Owner, Fail> {
        match (&owner.user, &owner.workspace) {
            (Some(email), None) => {
                let customer_id = &self.idx.customer_by_external[customer];
                let id = self
                    .idx
                    .subscriber_by_email
                    .get(&(customer_id.clone(), email.to_lowercase()))
                    .ok_or_else(|| Fail::bad(format!("no subscriber {email} in customer `{customer}`")))?;
                Ok(Owner::Person(self.db.subscribers[id].person_id.clone()))
            }
            (None, Some(name)) => self
                .workspace_named(org, name)
                .map(|w| Owner::Place(w.id.clone()))
                .ok_or_else(|| Fail::bad(format!("no workspace `{name}` in customer `{customer}`"))),
            _ => Err(Fail::bad("an owner is {user: email} or {workspace: name}")),
        }
    }

    fn seed_customer(&mut self, c: &SeedCustomer, now: u64) -> Result<(), Fail> {
        let provisioning_id = c
            .provisioning_id
            .clone()
            .or_else(|| self.db.provisioning_ids.iter().next().cloned())
            .unwrap_or_default();
        let req = wire::ProvisionCustomer {
            provisioning_id,
            packages: c.packages.clone(),
            org_id: c.org_id.clone(),
            external_id: c.external_id.clone(),
            address: Some(c.address.clone()),
            customer_info: Some(wire::CustomerInfo {
                name: c.name.clone(),
                primary_email: c.primary_email.clone(),
                language: None,
            }),
            provisioning_parameters: c.headquarters.clone().map(|location| wire::ProvisioningParameters {
                calling: Some(wire::CallingParameters {
                    location: Some(location),
                }),
                ..Default::default()
            }),
            sub_partner_admin_email: None,
        };
        self.provision_customer(req, now, Some(Seeded { id: c.id.clone() }))?;
        Ok(())
    }

    fn seed_location(&mut self, l: &SeedLocation) -> Result<(), Fail> {
        let org = self.seeded_org(&l.customer)?;
        let id = match self.location_named(&org, &l.name) {
            Some(existing) => existing.id.clone(),
            None => self.create_location(
                &org,
                wire::CreateLocation {
                    name: l.name.clone(),
                    time_zone: l.time_zone.clone().unwrap_or_default(),
                    preferred_language: l.preferred_language.clone().unwrap_or_default(),
                    announcement_language: l
                        .announcement_language
                        .clone()
                        .or_else(|| l.preferred_language.clone())
                        .unwrap_or_default(),
                    address: l.address.clone(),
                    ..Default::default()
                },
            )?,
        };
        if !l.numbers.is_empty() {
            self.add_numbers(
                &id,
                wire::LocationNumbers {
                    phone_numbers: l.numbers.clone(),
                    ..Default::default()
                },
            )?;
        }
        Ok(())
    }

    fn seed_subscriber(&mut self, s: &SeedSubscriber, now: u64) -> Result<(), Fail> {
        let org = self.seeded_org(&s.customer)?;
        let location_id = match &s.location {
            Some(name) => Some(self.seeded_location(&org, name)?),
            None => None,
        };
        let req = wire::ProvisionSubscriber {
            customer_id: self.idx.customer_by_external[&s.customer].clone(),
            email: s.email.clone(),
            package: None,
            packages: Some(vec![s.package.clone()]),
            provisioning_parameters: Some(wire::SubscriberParameters {
                first_name: s.first_name.clone(),
                last_name: s.last_name.clone(),
                primary_phone_number: s.phone_number.clone(),
                extension: s.extension.clone(),
                location_id,
            }),
        };
        self.provision_subscriber(req, now, 0)?;
        Ok(())
    }

    fn seed_workspace(&mut self, w: &SeedWorkspace, now: u64) -> Result<(), Fail> {
        let org = self.seeded_org(&w.customer)?;
        let location_id = self.seeded_location(&org, &w.location)?;
        let customer = self.customer_of_org(&org).expect("seeded");
        let license = self
            .db
            .licenses
            .iter()
            .filter(|k| k.kind == w.license)
            .find_map(|k| customer.licenses.get(&k.package))
            .cloned()
            .ok_or_else(|| {
                Fail::bad(format!(
                    "license `{}`: the customer has no package that gives one (see webex.licenses)",
                    w.license
                ))
            })?;
        let req = wire::CreateWorkspace {
            display_name: w.display_name.clone(),
            org_id: Some(org),
            location_id: Some(location_id.clone()),
            capacity: w.capacity,
            workspace_type: w.workspace_type.clone(),
            calling: Some(wire::WorkspaceCalling {
                calling_type: "webexCalling".to_string(),
                webex_calling: Some(wire::WebexCalling {
                    phone_number: w.phone_number.clone(),
                    extension: w.extension.clone(),
                    location_id: Some(location_id),
                    licenses: Some(vec![license]),
                }),
            }),
            supported_devices: Some("phones".to_string()),
            ..Default::default()
        };
        self.create_workspace(req, now)?;
        Ok(())
    }

    fn seed_device(&mut self, d: &SeedDevice, now: u64) -> Result<(), Fail> {
        let org = self.seeded_org(&d.customer)?;
        let owner = self.seeded_owner(&d.customer, &org, &d.owner)?;
        let (person_id, workspace_id) = match &owner {
            Owner::Person(id) => (Some(id.clone()), None),
            Owner::Place(id) => (None, Some(id.clone())),
        };
        let id = self.create_device(
            Some(&org),
            wire::CreateDevice {
                mac: d.mac.clone(),
                model: d.model.clone(),
                workspace_id,
                person_id,
                password: None,
            },
            now,
            true,
        )?;
        let mut members = Vec::new();
        for (i, shared) in d.shared_with.iter().enumerate() {
            let member = self.seeded_owner(&d.customer, &org, shared)?;
            members.push(wire::PutMember {
                port: i as i64 + 2,
                id: member.id().to_string(),
                primary_owner: false,
                line_type: "SHARED_CALL_APPEARANCE".to_string(),
                line_weight: 1,
                allow_call_decline_enabled: true,
                ..Default::default()
            });
        }
        if !members.is_empty() {
            self.put_members(&id, members)?;
        }
        if !d.tags.is_empty() || d.sip_password_set {
            let mut device = self.remove_device(&id).expect("just created");
            device.tags = d.tags.clone();
            device.password_set = d.sip_password_set;
            self.insert_device(device);
        }
        Ok(())
    }
}
