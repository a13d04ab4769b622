//! Webex rules: customers, locations, users, workspaces, devices.

use std::collections::HashMap;

use super::identity::normalize_mac;
use super::{at, is_absent};
use crate::manifest::common::Address;
use crate::manifest::webex::{CustomerSpec, Package, WorkspaceLicense};
use crate::manifest::{Kind, Manifest, ManifestSet};
use crate::validate::codes::{self, Code};
use crate::validate::diagnostic::{At, Diagnostic};

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
    // Extensions are dialled within a customer, so they are unique within it.
    let mut extensions: HashMap<(String, String), (At, String)> = HashMap::new();
    let mut extension_in_use = |customer: &str, extension: &str, place: (At, String), out: &mut Vec<Diagnostic>| {
        let key = (customer.to_string(), extension.to_string());
        match extensions.get(&key) {
            Some((first, first_object)) => out.push(
                Diagnostic::error(
                    codes::DUPLICATE_EXTENSION,
                    place.0,
                    format!("extension {extension} is already used by {first_object}"),
                )
                .object(place.1)
                .related(first.clone(), format!("used by {first_object} here"))
                .hint("give each user and workspace of a customer its own extension"),
            ),
            None => {
                extensions.insert(key, place);
            }
        }
    };
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
        if let Some(extension) = &spec.extension {
            extension_in_use(&spec.customer, extension, at(Kind::User, u, "/spec/extension"), out);
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
        if let Some(extension) = &spec.extension {
            extension_in_use(
                &spec.customer,
                extension,
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
        for (i, shared) in spec.shared_with.iter().enumerate() {
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
                format!("`{}` needs a calling package", package.as_str()),
                format!("add one of: {}", names.join(", ")),
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
        }
        None if spec.packages.iter().any(|p| p.is_calling()) && !is_absent(spec.ensure) => push(
            out,
            codes::HEADQUARTERS_REQUIRED,
            Kind::Customer,
            c,
            "/spec/packages",
            "a customer with a calling package needs `headquarters`, its first calling location".to_string(),
            "add `headquarters: {name, address, timezone, language}`",
        ),
        None => {}
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
