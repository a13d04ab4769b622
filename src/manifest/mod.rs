//! The manifests: kinds as Rust types, loading YAML files with positions, the settings file.

pub mod acg;
pub mod common;
pub mod confined;
pub mod load;
pub mod settings;
pub mod webex;
pub mod yaml;
mod yaml_block;

use std::str::FromStr;

/// Positions live with the diagnostics that point at them (`crate::diag::source`).
pub use crate::diag::source::{FileId, Origin};
pub use acg::{AccountSpec, ConsentSpec, NumberSetSpec};
pub use common::{Ensure, Metadata};
pub use webex::{CustomerSpec, DeviceSpec, LocationSpec, TemplateSpec, UserSpec, WorkspaceSpec};

/// Every manifest kind, in dependency order (a kind only refers to kinds before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Account,
    NumberSet,
    Consent,
    Template,
    Customer,
    Location,
    User,
    Workspace,
    Device,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Account,
        Kind::NumberSet,
        Kind::Consent,
        Kind::Template,
        Kind::Customer,
        Kind::Location,
        Kind::User,
        Kind::Workspace,
        Kind::Device,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Account => "Account",
            Kind::NumberSet => "NumberSet",
            Kind::Consent => "Consent",
            Kind::Template => "Template",
            Kind::Customer => "Customer",
            Kind::Location => "Location",
            Kind::User => "User",
            Kind::Workspace => "Workspace",
            Kind::Device => "Device",
        }
    }

    /// File name of the kind's JSON Schema under `schemas/`.
    pub fn schema_file(self) -> String {
        let mut name = String::new();
        for (i, c) in self.as_str().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        }
        name + ".json"
    }
}

impl FromStr for Kind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated manifest of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest<S> {
    pub origin: Origin,
    pub metadata: Metadata,
    pub spec: S,
}

/// Every manifest of a repository, by kind, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestSet {
    pub accounts: Vec<Manifest<AccountSpec>>,
    pub number_sets: Vec<Manifest<NumberSetSpec>>,
    pub consents: Vec<Manifest<ConsentSpec>>,
    pub templates: Vec<Manifest<TemplateSpec>>,
    pub customers: Vec<Manifest<CustomerSpec>>,
    pub locations: Vec<Manifest<LocationSpec>>,
    pub users: Vec<Manifest<UserSpec>>,
    pub workspaces: Vec<Manifest<WorkspaceSpec>>,
    pub devices: Vec<Manifest<DeviceSpec>>,
}

/// One typed manifest of any kind, as it comes out of the schema layer.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyManifest {
    Account(Manifest<AccountSpec>),
    NumberSet(Manifest<NumberSetSpec>),
    Consent(Manifest<ConsentSpec>),
    Template(Manifest<TemplateSpec>),
    Customer(Manifest<CustomerSpec>),
    Location(Manifest<LocationSpec>),
    User(Manifest<UserSpec>),
    Workspace(Manifest<WorkspaceSpec>),
    Device(Manifest<DeviceSpec>),
}

impl AnyManifest {
    pub fn kind(&self) -> Kind {
        match self {
            AnyManifest::Account(_) => Kind::Account,
            AnyManifest::NumberSet(_) => Kind::NumberSet,
            AnyManifest::Consent(_) => Kind::Consent,
            AnyManifest::Template(_) => Kind::Template,
            AnyManifest::Customer(_) => Kind::Customer,
            AnyManifest::Location(_) => Kind::Location,
            AnyManifest::User(_) => Kind::User,
            AnyManifest::Workspace(_) => Kind::Workspace,
            AnyManifest::Device(_) => Kind::Device,
        }
    }
}

impl ManifestSet {
    /// Makes room for `counts[kind as usize]` more manifests of each kind.
    pub fn reserve(&mut self, counts: &[usize; Kind::ALL.len()]) {
        let count = |kind: Kind| counts[kind as usize];
        self.accounts.reserve_exact(count(Kind::Account));
        self.number_sets.reserve_exact(count(Kind::NumberSet));
        self.consents.reserve_exact(count(Kind::Consent));
        self.templates.reserve_exact(count(Kind::Template));
        self.customers.reserve_exact(count(Kind::Customer));
        self.locations.reserve_exact(count(Kind::Location));
        self.users.reserve_exact(count(Kind::User));
        self.workspaces.reserve_exact(count(Kind::Workspace));
        self.devices.reserve_exact(count(Kind::Device));
    }

    pub fn push(&mut self, manifest: AnyManifest) {
        match manifest {
            AnyManifest::Account(m) => self.accounts.push(m),
            AnyManifest::NumberSet(m) => self.number_sets.push(m),
            AnyManifest::Consent(m) => self.consents.push(m),
            AnyManifest::Template(m) => self.templates.push(m),
            AnyManifest::Customer(m) => self.customers.push(m),
            AnyManifest::Location(m) => self.locations.push(m),
            AnyManifest::User(m) => self.users.push(m),
            AnyManifest::Workspace(m) => self.workspaces.push(m),
            AnyManifest::Device(m) => self.devices.push(m),
        }
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
            + self.number_sets.len()
            + self.consents.len()
            + self.templates.len()
            + self.customers.len()
            + self.locations.len()
            + self.users.len()
            + self.workspaces.len()
            + self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
