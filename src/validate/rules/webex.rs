//! Webex rules: customers, locations, users, workspaces, devices.

use std::collections::HashMap;

use super::identity::normalize_mac;
use super::{FirstHolder, at, is_absent};
use crate::diag::codes::{self, Code};
use crate::diag::diagnostic::{At, Diagnostic};
use crate::manifest::common::Address;
use crate::manifest::webex::{CustomerSpec, Package, UserSpec, WorkspaceLicense};
use crate::manifest::{Kind, Manifest, ManifestSet};

pub const ADDRESS_LINE_MAX: usize = 50;
pub const LOCATION_NAME_MAX: usize = 80;
pub const PERSON_NAME_MAX: usize = 30;
pub const WORKSPACE_NAME_MAX: usize = 30;
/// Characters Webex Calling refuses in user and workspace names.
pub const FORBIDDEN_NAME_CHARS: &[char] = &['%', '#', '<', '>', '/', '\\', '"'];

fn push<S>(
    out: &mut Vec<Diagnostic>,
    code: Code,
    kind: Kind,
    m: &Manifest<S>,
    pointer: impl Into<String>,
    message: String,
    hint: impl Into<String>,
) {
    let (place, object) = at(kind, m, pointer);
    out.push(Diagnostic::error(code, place, message).object(object).hint(hint));
}

pub(super) fn check(set: &ManifestSet, out: &mut Vec<Diagnostic>) {
    let customers: HashMap<&str, &CustomerSpec> = set
        .customers
        .iter()
        .map(|c| (c.spec.external_id.as_str(), &c.spec))
        .collect();

    for c in &set.customers {
        check_customer(c, out);
    }
    for l in &set.locations {
        check_name_length(
            out,
            Kind::Location,
            l,
            "/spec/name",
            &l.spec.name,
            LOCATION_NAME_MAX,
            codes::LOCATION_NAME_LENGTH,
        );
        check_address(out, Kind::Location, l, "/spec/address", &l.spec.address);
    }
    // Webex Calling scopes extensions by location: two locations of a customer may both have
    // 1100 (callers between them dial the location's routing prefix first).
    let mut extensions: FirstHolder<(&str, &str, &str)> = FirstHolder::new();
    for u in &set.users {
        let spec = &u.spec;
        if !spec.package.is_subscriber() {
            push(
                out,
                codes::SUBSCRIBER_PACKAGE,
                Kind::User,
                u,
                "/spec/package",
                format!("`{}` is not a subscriber package", spec.package.as_str()),
                "a user takes one of webex_calling, webex_meetings, webex_suite, webex_voice, cx_essentials, webex_calling_standard, attendant_console, cx_premium_agent, cx_standard_agent (common_area_calling is for workspaces)",
            );
        } else if let Some(customer) = customers.get(spec.customer.as_str())
            && !customer.packages.contains(&spec.package)
        {
            push(
                out,
                codes::PACKAGE_NOT_ORDERED,
                Kind::User,
                u,
                "/spec/package",
                format!("customer {} has not ordered `{}`", spec.customer, spec.package.as_str()),
                format!(
                    "add `{}` to the customer's packages, or pick one it has",
                    spec.package.as_str()
                ),
            );
        }
        if spec.package.is_calling()
            && spec.phone_number.is_none()
            && spec.extension.is_none()
            && !is_absent(spec.ensure)
        {
            push(
                out,
                codes::CALLING_NEEDS_NUMBER,
                Kind::User,
                u,
                "/spec/package",
                format!(
                    "a `{}` user needs a phone number or an extension",
                    spec.package.as_str()
                ),
                "add `phoneNumber:` (one of the location's numbers) or `extension:`",
            );
        }
        for (field, value) in [("firstName", &spec.first_name), ("lastName", &spec.last_name)] {
            check_display_name(
                out,
                Kind::User,
                u,
                &format!("/spec/{field}"),
                field,
                value,
                PERSON_NAME_MAX,
                codes::PERSON_NAME,
            );
        }
        if let Some(extension) = &spec.extension
            && !is_absent(spec.ensure)
        {
            extension_in_use(
                &mut extensions,
                (&spec.customer, &spec.location, extension),
                at(Kind::User, u, "/spec/extension"),
                out,
            );
        }
        if spec.admin == Some(true)
            && !is_absent(spec.ensure)
            && let Some(customer) = customers.get(spec.customer.as_str())
        {
            check_admin_package(u, customer, out);
        }
    }

    let mut devices_per_workspace: HashMap<(&str, &str), Vec<&Manifest<crate::manifest::DeviceSpec>>> = HashMap::new();
    for d in &set.devices {
        if let Some(workspace) = &d.spec.owner.workspace
            && !is_absent(d.spec.ensure)
        {
            devices_per_workspace
                .entry((d.spec.customer.as_str(), workspace.as_str()))
                .or_default()
                .push(d);
        }
    }
    for w in &set.workspaces {
        let spec = &w.spec;
        check_display_name(
            out,
            Kind::Workspace,
            w,
            "/spec/name",
            "name",
            &spec.name,
            WORKSPACE_NAME_MAX,
            codes::WORKSPACE_NAME,
        );
        if spec.phone_number.is_none() && spec.extension.is_none() && !is_absent(spec.ensure) {
            push(
                out,
                codes::CALLING_NEEDS_NUMBER,
                Kind::Workspace,
                w,
                "/spec/license",
                "a calling workspace needs a phone number or an extension".to_string(),
                "add `phoneNumber:` (one of the location's numbers) or `extension:`",
            );
        }
        if spec.license == WorkspaceLicense::CommonArea
            && let Some(customer) = customers.get(spec.customer.as_str())
            && !customer.packages.contains(&Package::CommonAreaCalling)
        {
            push(
                out,
                codes::COMMON_AREA_PACKAGE,
                Kind::Workspace,
                w,
                "/spec/license",
                format!("customer {} has not ordered common_area_calling", spec.customer),
                "add `common_area_calling` to the customer's packages, or use a professional licence",
            );
        }
        if let Some(extension) = &spec.extension
            && !is_absent(spec.ensure)
        {
            extension_in_use(
                &mut extensions,
                (&spec.customer, &spec.location, extension),
                at(Kind::Workspace, w, "/spec/extension"),
                out,
            );
        }
        if let Some(devices) = devices_per_workspace.get(&(spec.customer.as_str(), spec.name.as_str()))
            && devices.len() > spec.license.max_devices()
        {
            let max = spec.license.max_devices();
            let licence = match spec.license {
                WorkspaceLicense::Professional => "professional",
                WorkspaceLicense::CommonArea => "common-area",
            };
            let (place, object) = at(Kind::Device, devices[max], "/spec/owner/workspace");
            out.push(
                Diagnostic::error(
                    codes::WORKSPACE_DEVICE_LIMIT,
                    place,
                    format!(
                        "workspace `{}` has {} devices; a {licence} workspace holds at most {max}",
                        spec.name,
                        devices.len()
                    ),
                )
                .object(object)
                .related(at(Kind::Workspace, w, "/spec/license").0, "the workspace's licence")
                .hint("move devices to another workspace or user, or change the licence"),
            );
        }
    }

    for d in &set.devices {
        let spec = &d.spec;
        if normalize_mac(&spec.mac).is_none() {
            push(
                out,
                codes::MAC_FORMAT,
                Kind::Device,
                d,
                "/spec/mac",
                format!("`{}` is not a MAC address", spec.mac),
                "write 12 hex digits, e.g. 00:1A:2B:3C:4D:5E, 00-1a-2b-3c-4d-5e, 001A2B3C4D5E or 001a.2b3c.4d5e",
            );
        }
        let password = &spec.sip_password;
        let sources = [
            password.from_env.is_some(),
            password.from_file.is_some(),
            password.generate == Some(true),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            push(
                out,
                codes::SIP_PASSWORD_SOURCE,
                Kind::Device,
                d,
                "/spec/sipPassword",
                "sipPassword needs exactly one of `fromEnv`, `fromFile` or `generate: true`".to_string(),
                "e.g. `sipPassword: {fromEnv: ACME_PHONE_SIP_PASSWORD}` or `sipPassword: {generate: true}`",
            );
        }
        let owner = &spec.owner;
        if owner.user.is_some() == owner.workspace.is_some() {
            push(
                out,
                codes::DEVICE_OWNER,
                Kind::Device,
                d,
                "/spec/owner",
                "owner needs exactly one of `user` or `workspace`".to_string(),
                "e.g. `owner: {user: jeanne.dupont@acme.example}` or `owner: {workspace: Salle Jupiter}`",
            );
        }
        let mut seen: Vec<String> = owner.user.iter().map(|u| u.to_lowercase()).collect();
        for (i, shared) in spec.shared_with.iter().flatten().enumerate() {
            let email = shared.user.to_lowercase();
            if seen.contains(&email) {
                let is_owner = owner
                    .user
                    .as_ref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(&shared.user));
                push(
                    out,
                    codes::SHARED_WITH,
                    Kind::Device,
                    d,
                    format!("/spec/sharedWith/{i}/user"),
                    if is_owner {
                        format!("{} owns the device and cannot also share a line on it", shared.user)
                    } else {
                        format!("the device is shared with {} twice", shared.user)
                    },
                    "remove this entry",
                );
            } else {
                seen.push(email);
            }
        }
    }
}

fn check_customer(c: &Manifest<CustomerSpec>, out: &mut Vec<Diagnostic>) {
    let spec = &c.spec;
    if spec.company_name.contains('%') {
        push(
            out,
            codes::COMPANY_NAME,
            Kind::Customer,
            c,
            "/spec/companyName",
            "the company name contains `%`, which Webex refuses".to_string(),
            "remove the `%` (write \"percent\" if it matters)",
        );
    }
    if !spec.supported_location_verified {
        push(
            out,
            codes::LOCATION_NOT_VERIFIED,
            Kind::Customer,
            c,
            "/spec/supportedLocationVerified",
            "supportedLocationVerified is false".to_string(),
            "Webex serves only customers whose headquarters is in a supported location: check it, then set `supportedLocationVerified: true`",
        );
    }
    for (i, package) in spec.packages.iter().enumerate() {
        let needs = package.requires_one_of();
        if !needs.is_empty() && !needs.iter().any(|n| spec.packages.contains(n)) {
            let names: Vec<&str> = needs.iter().map(|p| p.as_str()).collect();
            push(
                out,
                codes::PACKAGE_DEPENDENCY,
                Kind::Customer,
                c,
                format!("/spec/packages/{i}"),
                format!("`{}` needs one of: {}", package.as_str(), names.join(", ")),
                "add one of them to `packages`, or remove this package",
            );
        }
    }
    match &spec.headquarters {
        Some(hq) => {
            check_name_length(
                out,
                Kind::Customer,
                c,
                "/spec/headquarters/name",
                &hq.name,
                LOCATION_NAME_MAX,
                codes::LOCATION_NAME_LENGTH,
            );
            check_address(out, Kind::Customer, c, "/spec/headquarters/address", &hq.address);
            // The wholesale API has no country of its own for a customer: the billing
            // address's is the customer's. A `country` that says otherwise would be shown in
            // plans and never sent (issue #13).
            if spec.country != hq.address.country {
                push(
                    out,
                    codes::CUSTOMER_COUNTRY,
                    Kind::Customer,
                    c,
                    "/spec/country",
                    format!(
                        "`country` is {} but the headquarters is in {}: Webex takes a customer's country from its headquarters' address",
                        spec.country, hq.address.country
                    ),
                    "make `country` and `headquarters.address.country` the same (to move the customer, change both)",
                );
            }
        }
        // Webex requires a billing address for every customer, and telform takes it from the
        // headquarters (also the first calling location when the customer has calling).
        None if !is_absent(spec.ensure) => push(
            out,
            codes::HEADQUARTERS_REQUIRED,
            Kind::Customer,
            c,
            "/spec",
            "the customer has no `headquarters`: Webex needs its address as the billing address".to_string(),
            "add `headquarters: {name, address, timezone, language}`",
        ),
        None => {}
    }
}

/// An extension is held by one user or workspace of a (customer, location).
fn extension_in_use<'a>(
    extensions: &mut FirstHolder<(&'a str, &'a str, &'a str)>,
    key: (&'a str, &'a str, &'a str),
    place: (At, String),
    out: &mut Vec<Diagnostic>,
) {
    let (here, object) = place.clone();
    if let Some((first, first_object)) = extensions.claim(key, place) {
        let (_, location, extension) = key;
        out.push(
            Diagnostic::error(
                codes::DUPLICATE_EXTENSION,
                here,
                format!("extension {extension} is already used at location `{location}` by {first_object}"),
            )
            .object(object)
            .related(first.clone(), format!("used by {first_object} here"))
            .hint("give each user and workspace of a location its own extension"),
        );
    }
}

/// An administrator gets the organisation's package level: Webex does not support a customer
/// administrator on a lower package than the one the organisation was created with.
fn check_admin_package(user: &Manifest<UserSpec>, customer: &CustomerSpec, out: &mut Vec<Diagnostic>) {
    let Some(level) = user.spec.package.level() else {
        return;
    };
    let highest = customer
        .packages
        .iter()
        .filter_map(|p| Some((p.level()?, *p)))
        // The first listed of the highest level.
        .fold(None, |best: Option<(u8, Package)>, (l, p)| match best {
            Some((b, _)) if b >= l => best,
            _ => Some((l, p)),
        });
    if let Some((top, package)) = highest
        && level < top
    {
        push(
            out,
            codes::ADMIN_PACKAGE_LEVEL,
            Kind::User,
            user,
            "/spec/package",
            format!(
                "administrator {} has `{}`, below the customer's `{}`",
                user.spec.email,
                user.spec.package.as_str(),
                package.as_str()
            ),
            format!(
                "give administrators the organisation's package level (Webex does not support a lower one): `package: {}`",
                package.as_str()
            ),
        );
    }
}

fn check_address<S>(out: &mut Vec<Diagnostic>, kind: Kind, m: &Manifest<S>, base: &str, address: &Address) {
    for (field, line) in [("line1", Some(&address.line1)), ("line2", address.line2.as_ref())] {
        if let Some(line) = line
            && line.chars().count() > ADDRESS_LINE_MAX
        {
            push(
                out,
                codes::ADDRESS_LINE_LENGTH,
                kind,
                m,
                format!("{base}/{field}"),
                format!(
                    "address {field} has {} characters; Webex takes at most {ADDRESS_LINE_MAX}",
                    line.chars().count()
                ),
                "move the rest to `line2`, or abbreviate",
            );
        }
    }
}

fn check_name_length<S>(
    out: &mut Vec<Diagnostic>,
    kind: Kind,
    m: &Manifest<S>,
    pointer: &str,
    name: &str,
    max: usize,
    code: Code,
) {
    let len = name.chars().count();
    if len > max {
        push(
            out,
            code,
            kind,
            m,
            pointer,
            format!("the name has {len} characters; at most {max} are allowed"),
            "shorten it",
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn check_display_name<S>(
    out: &mut Vec<Diagnostic>,
    kind: Kind,
    m: &Manifest<S>,
    pointer: &str,
    field: &str,
    value: &str,
    max: usize,
    code: Code,
) {
    let len = value.chars().count();
    let forbidden: Vec<String> = value
        .chars()
        .filter(|c| FORBIDDEN_NAME_CHARS.contains(c))
        .map(|c| format!("`{c}`"))
        .collect();
    if len > max {
        push(
            out,
            code,
            kind,
            m,
            pointer,
            format!("{field} has {len} characters; at most {max} are allowed"),
            "shorten it",
        );
    }
    if !forbidden.is_empty() {
        push(
            out,
            code,
            kind,
            m,
            pointer,
            format!("{field} contains {}, which Webex Calling refuses", forbidden.join(" ")),
            "remove the characters % # < > / \\ \"",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::rules::test_support::{codes, customer, location, user};

    #[test]
    fn an_administrator_at_the_customers_level_passes() {
        let yaml = format!(
            "{}{}",
            customer("webex_suite, webex_meetings"),
            user("a", "webex_suite", "HQ", "  extension: \"100\"\n  admin: true\n")
        );
        assert_eq!(codes(&yaml), [""; 0]);
        // cx_essentials is at webex_calling's level.
        let yaml = format!(
            "{}{}",
            customer("webex_calling, cx_essentials"),
            user("a", "cx_essentials", "HQ", "  extension: \"100\"\n  admin: true\n")
        );
        assert_eq!(codes(&yaml), [""; 0]);
    }

    #[test]
    fn an_administrator_below_the_customers_level_fails() {
        let yaml = format!(
            "{}{}",
            customer("webex_suite, webex_meetings"),
            user("a", "webex_meetings", "HQ", "  admin: true\n")
        );
        assert_eq!(codes(&yaml), ["TF164"]);
        // Not an administrator: any package the customer has.
        assert_eq!(codes(&yaml.replace("  admin: true\n", "")), [""; 0]);
    }

    #[test]
    fn extensions_are_unique_per_location() {
        let yaml = format!(
            "{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", ""),
            user("a", "webex_calling", "Lyon", "  extension: \"100\"\n"),
            user("b", "webex_calling", "HQ", "  extension: \"100\"\n")
        );
        assert_eq!(codes(&yaml), [""; 0]);
        assert_eq!(codes(&yaml.replace("location: HQ", "location: Lyon")), ["TF112"]);
        // A user being deleted holds no extension.
        let leaving = yaml.replace(
            "location: HQ\n  extension: \"100\"\n",
            "location: Lyon\n  extension: \"100\"\n  ensure: absent\n",
        );
        assert_eq!(codes(&leaving), [""; 0]);
    }

    #[test]
    fn a_customer_country_other_than_its_headquarters_is_refused_at_the_field() {
        let yaml = customer("webex_calling");
        assert_eq!(codes(&yaml), [""; 0]);
        let moved = yaml.replace("  country: FR\n", "  country: BE\n");
        assert_ne!(moved, yaml);
        assert_eq!(codes(&moved), ["TF156"]);
        let set = crate::validate::rules::test_support::set(&moved);
        let found = super::super::check(&set, &Default::default(), &Default::default(), None);
        assert!(
            found[0]
                .message
                .contains("`country` is BE but the headquarters is in FR"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn package_dependencies_name_the_packages() {
        let set = crate::validate::rules::test_support::set(&customer("webex_voice, attendant_console"));
        let found = super::super::check(&set, &Default::default(), &Default::default(), None);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`attendant_console` needs one of: webex_calling, webex_suite, cx_essentials"
        );
    }

    #[test]
    fn every_customer_needs_headquarters() {
        let without = customer("webex_meetings")
            .split("  headquarters:")
            .next()
            .unwrap_or_default()
            .to_string();
        assert_eq!(codes(&without), ["TF154"]);
        assert_eq!(codes(&format!("{without}  ensure: absent\n")), [""; 0]);
    }

    #[test]
    fn whole_floats_are_whole_numbers() {
        let yaml = format!(
            "{}---\napiVersion: telform/v1\nkind: Workspace\nmetadata: {{name: w}}\nspec: {{customer: C1, name: Room, roomType: focus, capacity: 8.0, license: professional, location: HQ, extension: \"200\"}}\n",
            customer("webex_calling")
        );
        assert_eq!(codes(&yaml), [""; 0]);
    }
}
