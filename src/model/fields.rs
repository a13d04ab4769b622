//! What a change of each manifest field does to live state: decided here, once per kind, for
//! every field of its JSON Schema (issue #13). `docs/reference/<kind>.md` shows it (generated),
//! a unit test checks that every schema field has exactly one decision, and the field-by-field
//! acceptance test (`tests/integration/fields.rs`) changes each field against the emulator and
//! checks that the plan and one apply do what is written here.
//!
//! A field of a live object has one of three outcomes: it changes in place, it forces a
//! replacement, or it cannot change through the providers' APIs and the plan refuses it by name.
//! The other fields are not fields of a live object: a document's form, an identity (another
//! value declares another object), telform's own settings on an object, or the inputs of a
//! creation that no API reads back (said so, with what to do).

use serde_json::Value;

use crate::manifest::Kind;

/// The outcome of a change of one field of an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plan shows `~ field: old → new`; one apply converges.
    InPlace,
    /// The plan shows `±` with the reason; one apply deletes the object and creates it again.
    Replaces(&'static str),
    /// No API can change it: the plan fails for the object, naming the field, why, and what to do.
    Refused { why: &'static str, fix: &'static str },
    /// The object's identity: another value declares another object. The object of the old
    /// value is then undeclared: deleted only under `prune`, else listed as unmanaged.
    Identity,
    /// telform's own setting for the object: it changes what telform does, never a live field
    /// (so a change alone plans nothing).
    Telform(&'static str),
    /// `ensure`: `absent` deletes the object, `present` creates it again.
    Ensure,
    /// Which object this one belongs to or points at: changing it moves the object, with the
    /// outcome given (for instance a device given to another user).
    Reference(&'static str),
    /// Sent only when the object is created, and no API reads it back. A plan scoped to a pull
    /// request (`--changed-since REF`) compares the manifest with REF and refuses an edit of an
    /// object that exists, naming the field, `why` and `fix`; a full plan has no base to compare
    /// with (telform keeps no state of its own), so there a later edit plans nothing.
    AtCreation { why: &'static str, fix: &'static str },
    /// The document's form (`apiVersion`, `kind`), not a field of any object.
    Document,
}

impl Outcome {
    /// The words the reference's table shows.
    pub fn describe(self) -> String {
        match self {
            Outcome::InPlace => "changes in place".into(),
            Outcome::Replaces(why) => format!("forces replacement: {why}"),
            Outcome::Refused { why, fix } => format!("refused, naming the field: {why}; {fix}"),
            Outcome::Identity => {
                "identity: another value declares another object (the old one is deleted only under `prune`)".into()
            }
            Outcome::Telform(what) => format!("telform only: {what}"),
            Outcome::Ensure => "`absent` deletes the object, `present` creates it".into(),
            Outcome::Reference(what) => format!("reference: {what}"),
            Outcome::AtCreation { why, fix } => format!(
                "at creation only: {why}; {fix}. `plan --changed-since REF` refuses an edit of an existing object, naming the field; a full plan has nothing to compare with and plans nothing"
            ),
            Outcome::Document => "the document's form".into(),
        }
    }
}

const LABELS: &str = "labels select manifests (`--selector`); no provider stores them";
const NAME: &str =
    "the manifest's name, for references and messages; renaming it renames nothing live (update what refers to it)";
const PROTECT: &str = "refuses any delete or replacement of the object";
const PRUNE: &str = "deletes the live children no manifest declares";

/// The fields every kind has.
fn common(kind: Kind) -> [(&'static str, Outcome); 6] {
    [
        ("apiVersion", Outcome::Document),
        ("kind", Outcome::Document),
        ("metadata", Outcome::Document),
        (
            "metadata.name",
            match kind {
                // An account's manifest name is its ACG account name.
                Kind::Account => Outcome::Identity,
                _ => Outcome::Telform(NAME),
            },
        ),
        ("metadata.labels", Outcome::Telform(LABELS)),
        ("spec", Outcome::Document),
    ]
}

const NUMBER_ATTRIBUTE: Outcome = Outcome::InPlace;

const WORKSPACE_CALLING: &str = "refused while the workspace holds a device: Webex does not update a Webex Calling workspace's calling (number, extension, licence) while it has devices; move or remove them first";

const CALLING_HEADQUARTERS: &str = "used only when the customer has a calling package (its headquarters is then its first calling location); without one, Webex keeps no such location and the field is not sent";

/// No API reads a password back, and telform keeps no state of its own: a new source cannot be
/// told from the old one, so it takes a `rotation` bump.
const PASSWORD_SOURCE: Outcome = Outcome::Telform(
    "where apply reads the password when it sets one (creating the device, a new `rotation`, a reset after an interrupted apply); no API reads a password back, so a new source alone sets nothing: a pull request's plan (`--changed-since`) refuses it on an existing device, a full plan cannot see it; bump `rotation` with it",
);

const DIRECT_ROUTING_PAIR: Outcome = Outcome::Refused {
    why: "ACG makes the DNS records from the subdomain and both tokens: `validate` refuses one without the other (TF136)",
    fix: "remove both, or neither",
};

const TEAMS_ATTRIBUTES: Outcome = Outcome::Refused {
    why: "a Teams number needs a usage and capabilities: `validate` refuses a number left without them (TF133)",
    fix: "give them on the number instead",
};

const NOT_MANAGED: &str = "left out, telform does not manage it (nor read it)";

const KEPT_BY_WEBEX: Outcome = Outcome::Refused {
    why: "Webex requires a location's state and postal code, and keeps them when an update leaves them out",
    fix: "give another value instead",
};

const CUSTOMER_CREATED: Outcome = Outcome::AtCreation {
    why: "the wholesale API takes it when the customer is provisioned and never returns it",
    fix: "to change it, change it in Partner Hub, then here to match",
};

/// A template is no live object: Partner Hub's onboarding template, read when a customer is
/// created from it.
const TEMPLATE_READ: Outcome = Outcome::Telform(
    "read only when a customer is created from the template; customers created before keep what they were made with, as in Partner Hub",
);

/// The fields of `kind` proper (besides [`common`]), each with its outcome.
fn own(kind: Kind) -> &'static [(&'static str, Outcome)] {
    match kind {
        Kind::Account => &[
            ("spec.ensure", Outcome::Ensure),
            ("spec.correlationId", Outcome::InPlace),
            ("spec.teamsTenantId", Outcome::InPlace),
            ("spec.services", Outcome::InPlace),
            ("spec.services.operatorConnect", Outcome::InPlace),
            ("spec.services.operatorConnect.enabled", Outcome::InPlace),
            ("spec.services.operatorConnect.sync", Outcome::InPlace),
            ("spec.services.teamsPhoneMobile", Outcome::InPlace),
            ("spec.services.teamsPhoneMobile.enabled", Outcome::InPlace),
            ("spec.services.teamsPhoneMobile.sync", Outcome::InPlace),
            ("spec.services.directRouting", Outcome::InPlace),
            ("spec.services.directRouting.enabled", Outcome::InPlace),
            ("spec.services.directRouting.sync", Outcome::InPlace),
            ("spec.services.directRouting.callScreening", Outcome::InPlace),
            ("spec.services.directRouting.subdomain", Outcome::InPlace),
            ("spec.services.directRouting.subdomainTokens", Outcome::InPlace),
            ("spec.services.directRouting.subdomainTokens.region1", Outcome::InPlace),
            ("spec.services.directRouting.subdomainTokens.region2", Outcome::InPlace),
            ("spec.services.zoom", Outcome::InPlace),
            ("spec.services.zoom.enabled", Outcome::InPlace),
            ("spec.services.zoom.sync", Outcome::InPlace),
            ("spec.services.callProtection", Outcome::InPlace),
            ("spec.services.callProtection.enabled", Outcome::InPlace),
            ("spec.prune", Outcome::Telform(PRUNE)),
            ("spec.protect", Outcome::Telform(PROTECT)),
        ],
        Kind::NumberSet => &[
            ("spec.ensure", Outcome::Ensure),
            (
                "spec.account",
                Outcome::Refused {
                    why: "a live number belongs to one account, and ACG cannot move it to another",
                    fix: "delete the numbers from the old account first (`ensure: absent`, or its `prune`), apply, then declare them under the new one",
                },
            ),
            ("spec.service", Outcome::InPlace),
            ("spec.defaults", NUMBER_ATTRIBUTE),
            ("spec.defaults.usage", NUMBER_ATTRIBUTE),
            ("spec.defaults.capabilities", NUMBER_ATTRIBUTE),
            ("spec.defaults.civicAddressId", NUMBER_ATTRIBUTE),
            ("spec.defaults.locationId", NUMBER_ATTRIBUTE),
            ("spec.defaults.allowTenantAddressUpdate", NUMBER_ATTRIBUTE),
            ("spec.defaults.countryCode", NUMBER_ATTRIBUTE),
            ("spec.defaults.customSipHeader", NUMBER_ATTRIBUTE),
            ("spec.ranges", Outcome::Identity),
            ("spec.ranges[].from", Outcome::Identity),
            ("spec.ranges[].to", Outcome::Identity),
            ("spec.numbers", Outcome::Identity),
            ("spec.numbers[].number", Outcome::Identity),
            ("spec.numbers[].usage", NUMBER_ATTRIBUTE),
            ("spec.numbers[].capabilities", NUMBER_ATTRIBUTE),
            ("spec.numbers[].civicAddressId", NUMBER_ATTRIBUTE),
            ("spec.numbers[].locationId", NUMBER_ATTRIBUTE),
            ("spec.numbers[].allowTenantAddressUpdate", NUMBER_ATTRIBUTE),
            ("spec.numbers[].countryCode", NUMBER_ATTRIBUTE),
            ("spec.numbers[].customSipHeader", NUMBER_ATTRIBUTE),
        ],
        Kind::Consent => &[
            ("spec.tenantId", Outcome::Identity),
            (
                "spec.account",
                Outcome::Telform("the account the consent is listed under in plans; ACG keys a consent by tenant"),
            ),
            ("spec.relationship", Outcome::InPlace),
            ("spec.reason", Outcome::InPlace),
            ("spec.ticketId", Outcome::InPlace),
        ],
        Kind::Template => &[
            ("spec.provisioningId", TEMPLATE_READ),
            ("spec.country", TEMPLATE_READ),
            ("spec.language", TEMPLATE_READ),
            ("spec.subscription", TEMPLATE_READ),
            ("spec.pstnProvider", TEMPLATE_READ),
            ("spec.authentication", TEMPLATE_READ),
            ("spec.calling", TEMPLATE_READ),
            ("spec.calling.timezone", TEMPLATE_READ),
            ("spec.calling.language", TEMPLATE_READ),
        ],
        Kind::Customer => &[
            ("spec.ensure", Outcome::Ensure),
            ("spec.template", CUSTOMER_CREATED),
            ("spec.externalId", Outcome::Identity),
            (
                "spec.companyName",
                Outcome::Refused {
                    why: "the Webex Wholesale API cannot rename a customer (its update has no company name)",
                    fix: "rename the customer in Partner Hub, then make `companyName` match it",
                },
            ),
            (
                "spec.adminEmail",
                Outcome::Refused {
                    why: "it must be one of the organisation's full administrators (read through the People API); the wholesale API cannot change the first administrator",
                    fix: "give another user `admin: true` (a User manifest) to make an administrator, and keep here the email of one",
                },
            ),
            ("spec.language", CUSTOMER_CREATED),
            (
                "spec.country",
                Outcome::Refused {
                    why: "a customer's country is its headquarters' (`validate` refuses one that differs, TF156)",
                    fix: "change `headquarters.address.country` with it",
                },
            ),
            (
                "spec.supportedLocationVerified",
                Outcome::Refused {
                    why: "your attestation that Webex supports the headquarters' location; `validate` refuses `false` (TF151)",
                    fix: "check the location, then keep it `true`",
                },
            ),
            ("spec.packages", Outcome::InPlace),
            (
                "spec.orgId",
                Outcome::Replaces("a customer attached to another organisation is a new customer"),
            ),
            ("spec.headquarters", Outcome::InPlace),
            ("spec.headquarters.name", Outcome::Identity),
            ("spec.headquarters.address", Outcome::InPlace),
            ("spec.headquarters.address.line1", Outcome::InPlace),
            ("spec.headquarters.address.line2", Outcome::InPlace),
            ("spec.headquarters.address.city", Outcome::InPlace),
            ("spec.headquarters.address.state", Outcome::InPlace),
            ("spec.headquarters.address.postalCode", Outcome::InPlace),
            ("spec.headquarters.address.country", Outcome::InPlace),
            ("spec.headquarters.timezone", Outcome::InPlace),
            ("spec.headquarters.language", Outcome::InPlace),
            ("spec.prune", Outcome::Telform(PRUNE)),
            ("spec.protect", Outcome::Telform(PROTECT)),
        ],
        Kind::Location => &[
            ("spec.ensure", Outcome::Ensure),
            (
                "spec.customer",
                Outcome::Reference(
                    "the location is declared under another customer: created there; the old customer's is deleted only under its `prune`",
                ),
            ),
            ("spec.name", Outcome::Identity),
            ("spec.address", Outcome::InPlace),
            ("spec.address.line1", Outcome::InPlace),
            ("spec.address.line2", Outcome::InPlace),
            ("spec.address.city", Outcome::InPlace),
            ("spec.address.state", Outcome::InPlace),
            ("spec.address.postalCode", Outcome::InPlace),
            ("spec.address.country", Outcome::InPlace),
            ("spec.timezone", Outcome::InPlace),
            ("spec.language", Outcome::InPlace),
            (
                "spec.announcementLanguage",
                Outcome::AtCreation {
                    why: "Webex takes it when the location is created, and its location API never returns it",
                    fix: "to change it, change it in Control Hub, then here to match",
                },
            ),
            ("spec.numbers", Outcome::InPlace),
        ],
        Kind::User => &[
            ("spec.ensure", Outcome::Ensure),
            (
                "spec.customer",
                Outcome::Reference(
                    "the user is declared under another customer: created there; the old customer's is deleted only under its `prune`",
                ),
            ),
            ("spec.email", Outcome::Identity),
            (
                "spec.firstName",
                Outcome::Refused {
                    why: "the wholesale subscriber update has no name",
                    fix: "change the name in Control Hub, then here to match",
                },
            ),
            (
                "spec.lastName",
                Outcome::Refused {
                    why: "the wholesale subscriber update has no name",
                    fix: "change the name in Control Hub, then here to match",
                },
            ),
            ("spec.package", Outcome::InPlace),
            ("spec.location", Outcome::InPlace),
            ("spec.phoneNumber", Outcome::InPlace),
            ("spec.extension", Outcome::InPlace),
            ("spec.admin", Outcome::InPlace),
        ],
        Kind::Workspace => &[
            ("spec.ensure", Outcome::Ensure),
            (
                "spec.customer",
                Outcome::Reference(
                    "the workspace is declared under another customer: created there; the old customer's is deleted only under its `prune`",
                ),
            ),
            ("spec.name", Outcome::Identity),
            ("spec.roomType", Outcome::InPlace),
            ("spec.capacity", Outcome::InPlace),
            ("spec.license", Outcome::InPlace),
            (
                "spec.location",
                Outcome::Replaces("a workspace cannot move to another location"),
            ),
            ("spec.phoneNumber", Outcome::InPlace),
            ("spec.extension", Outcome::InPlace),
        ],
        Kind::Device => &[
            ("spec.ensure", Outcome::Ensure),
            (
                "spec.customer",
                Outcome::Reference(
                    "the device is declared under another customer: created there; the old customer's is deleted only under its `prune`",
                ),
            ),
            ("spec.mac", Outcome::Identity),
            (
                "spec.model",
                Outcome::Replaces("a device's model cannot change in place"),
            ),
            (
                "spec.owner",
                Outcome::Replaces("a device cannot be given to another owner in place"),
            ),
            (
                "spec.owner.user",
                Outcome::Replaces("a device cannot be given to another owner in place"),
            ),
            (
                "spec.owner.workspace",
                Outcome::Replaces("a device cannot be given to another owner in place"),
            ),
            ("spec.sharedWith", Outcome::InPlace),
            ("spec.sharedWith[].user", Outcome::InPlace),
            ("spec.sipPassword", PASSWORD_SOURCE),
            ("spec.sipPassword.fromEnv", PASSWORD_SOURCE),
            ("spec.sipPassword.fromFile", PASSWORD_SOURCE),
            ("spec.sipPassword.generate", PASSWORD_SOURCE),
            ("spec.sipPassword.rotation", Outcome::InPlace),
        ],
    }
}

/// What removing an optional field does, where it is not what a change does.
fn removals(kind: Kind) -> &'static [(&'static str, Outcome)] {
    match kind {
        Kind::Account => &[
            (
                "spec.teamsTenantId",
                Outcome::Refused {
                    why: "Operator Connect and Teams Phone Mobile need the tenant: `validate` refuses an account that enables them without one (TF132)",
                    fix: "disable those services first",
                },
            ),
            ("spec.services.directRouting.subdomain", DIRECT_ROUTING_PAIR),
            ("spec.services.directRouting.subdomainTokens", DIRECT_ROUTING_PAIR),
        ],
        Kind::NumberSet => &[
            ("spec.defaults", TEAMS_ATTRIBUTES),
            ("spec.defaults.usage", TEAMS_ATTRIBUTES),
            ("spec.defaults.capabilities", TEAMS_ATTRIBUTES),
        ],
        Kind::Consent => &[(
            "spec.account",
            Outcome::Refused {
                why: "a signed agreement needs the account that serves the tenant: `validate` refuses one without it (TF142)",
                fix: "keep `account` while the relationship is `agreementSigned`",
            },
        )],
        Kind::Customer => &[
            (
                "spec.orgId",
                Outcome::Telform("left out, the customer's organisation is not checked"),
            ),
            (
                "spec.headquarters",
                Outcome::Refused {
                    why: "Webex needs a billing address: `validate` refuses a customer without headquarters (TF154)",
                    fix: "keep it (only a customer marked `ensure: absent` may leave it out)",
                },
            ),
            ("spec.headquarters.address.state", KEPT_BY_WEBEX),
            ("spec.headquarters.address.postalCode", KEPT_BY_WEBEX),
        ],
        Kind::Location => &[
            ("spec.address.state", KEPT_BY_WEBEX),
            ("spec.address.postalCode", KEPT_BY_WEBEX),
        ],
        Kind::Workspace => &[
            (
                "spec.phoneNumber",
                Outcome::Refused {
                    why: "Webex keeps the number a workspace's calling update leaves out",
                    fix: "take it away in Control Hub, then here",
                },
            ),
            (
                "spec.extension",
                Outcome::Refused {
                    why: "Webex keeps the extension a workspace's calling update leaves out",
                    fix: "take it away in Control Hub, then here",
                },
            ),
        ],
        Kind::User => &[
            (
                "spec.phoneNumber",
                Outcome::Refused {
                    why: "the wholesale subscriber update keeps a number it is not given",
                    fix: "take it away in Control Hub, then here",
                },
            ),
            (
                "spec.extension",
                Outcome::Refused {
                    why: "the wholesale subscriber update keeps an extension it is not given",
                    fix: "take it away in Control Hub, then here",
                },
            ),
            ("spec.admin", Outcome::Telform(NOT_MANAGED)),
        ],
        Kind::Device => &[(
            "spec.sharedWith",
            Outcome::Telform(
                "left out, the device's lines are not managed (nor read); `sharedWith: []` takes every shared line away",
            ),
        )],
        _ => &[],
    }
}

/// When a field's outcome holds only under a condition, what happens otherwise.
pub fn condition(kind: Kind, path: &str) -> Option<&'static str> {
    match (kind, path) {
        (Kind::Workspace, "spec.phoneNumber" | "spec.extension" | "spec.license") => Some(WORKSPACE_CALLING),
        (Kind::Customer, "spec.headquarters.name" | "spec.headquarters.timezone" | "spec.headquarters.language") => {
            Some(CALLING_HEADQUARTERS)
        }
        (Kind::Customer, "spec.headquarters.address.country") => {
            Some("`country` must change with it (TF156): a customer's country is its headquarters'")
        }
        (Kind::User, "spec.firstName" | "spec.lastName") => Some(
            "a user without a number or extension has no calling line, the one place telform reads a name from: a change then plans nothing",
        ),
        (Kind::Customer, "spec.adminEmail") => {
            Some("another email of a current full administrator is accepted and plans nothing")
        }
        (Kind::Account, "spec.teamsTenantId") => {
            Some("refused by the plan while the account holds Operator Connect or Teams Phone Mobile numbers")
        }
        (Kind::Customer, "spec.headquarters.address.state" | "spec.headquarters.address.postalCode") => {
            Some("required to create a calling location: a customer with calling needs both")
        }
        _ => None,
    }
}

/// What removing `path` does: its own outcome where it differs from a change's.
pub fn removal(kind: Kind, path: &str) -> Option<Outcome> {
    removals(kind)
        .iter()
        .find(|(field, _)| *field == path)
        .map(|(_, outcome)| *outcome)
        .or_else(|| outcome(kind, path))
}

/// Every field of `kind`'s schema with its outcome, common fields first.
pub fn outcomes(kind: Kind) -> Vec<(&'static str, Outcome)> {
    let mut all: Vec<(&'static str, Outcome)> = common(kind).to_vec();
    all.extend_from_slice(own(kind));
    all
}

/// The outcome of one field (`spec.numbers[].usage`), if decided.
pub fn outcome(kind: Kind, path: &str) -> Option<Outcome> {
    outcomes(kind)
        .into_iter()
        .find(|(field, _)| *field == path)
        .map(|(_, outcome)| outcome)
}

/// The fields of `kind` sent only at creation ([`Outcome::AtCreation`]).
pub fn at_creation(kind: Kind) -> impl Iterator<Item = &'static str> {
    outcomes(kind)
        .into_iter()
        .filter(|(_, outcome)| matches!(outcome, Outcome::AtCreation { .. }))
        .map(|(field, _)| field)
}

/// An edit, since a Git revision, of a field sent only at creation, of a Customer (by external
/// id) or a Location (by customer and name) declared both then and now; or of a Device's (by
/// customer and MAC) SIP password source with its `rotation` kept. The plan refuses it when the
/// object exists and the plan sets nothing from it: no read would show it. (A device's `old` and
/// `new` are never kept: a password may have been written in clear at the revision.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationEdit {
    pub kind: Kind,
    /// The customer's external id: the customer itself, or the location's.
    pub customer: String,
    /// Which object of the customer: the location's name or the device's MAC as declared now
    /// (`None` for the customer itself).
    pub name: Option<String>,
    /// The field, as in the reference (`spec.template`).
    pub field: &'static str,
    /// The value at the revision (`None`: not given).
    pub old: Option<Value>,
    /// The value now (`None`: not given).
    pub new: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creation_only_fields_are_the_customer_template_and_language_and_the_announcement_language() {
        assert_eq!(
            at_creation(Kind::Customer).collect::<Vec<_>>(),
            ["spec.template", "spec.language"]
        );
        assert_eq!(
            at_creation(Kind::Location).collect::<Vec<_>>(),
            ["spec.announcementLanguage"]
        );
        assert_eq!(at_creation(Kind::User).count(), 0);
    }
}
