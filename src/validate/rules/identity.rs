//! Identities are unique; references resolve.

use std::collections::HashMap;

use super::{FirstHolder, Unresolved, at, is_absent};
use crate::diag::codes::{self, Code};
use crate::diag::diagnostic::{At, Diagnostic};
use crate::manifest::webex::CustomerSpec;
use crate::manifest::{Kind, Manifest, ManifestSet};
use crate::validate::schema::did_you_mean;

/// Normalises a MAC address written as `00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`,
/// `001A2B3C4D5E` or `001a.2b3c.4d5e` to twelve upper-case hex digits.
pub fn normalize_mac(mac: &str) -> Option<String> {
    let hex: String = mac.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    let separators = mac.len() - hex.len();
    let well_formed = match separators {
        0 => true,
        5 => {
            let sep = mac.as_bytes()[2];
            mac.split(sep as char).all(|g| g.len() == 2) && mac.chars().filter(|&c| c == sep as char).count() == 5
        }
        2 => mac.split('.').all(|g| g.len() == 4),
        _ => false,
    };
    (well_formed && hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit())).then(|| hex.to_ascii_uppercase())
}

/// Reports every declaration of an identity after the first.
struct Unique {
    code: Code,
    what: String,
    holders: FirstHolder<String>,
}

impl Unique {
    fn new(code: Code, what: impl Into<String>) -> Self {
        Unique {
            code,
            what: what.into(),
            holders: FirstHolder::new(),
        }
    }

    fn add(&mut self, key: String, shown: &str, place: (At, String), out: &mut Vec<Diagnostic>) {
        let (here, object) = (place.0.clone(), place.1.clone());
        if let Some((first, first_object)) = self.holders.claim(key, place) {
            out.push(
                Diagnostic::error(self.code, here, format!("{} `{shown}` is declared twice", self.what))
                    .object(object)
                    .related(first.clone(), format!("first declared here, in {first_object}"))
                    .hint("each object is declared once: merge the two manifests or remove one"),
            );
        }
    }
}

pub(super) fn check_unique(set: &ManifestSet, out: &mut Vec<Diagnostic>) {
    fn names<S>(kind: Kind, items: &[Manifest<S>], scope: impl Fn(&S) -> &str, out: &mut Vec<Diagnostic>) {
        let mut unique = Unique::new(codes::DUPLICATE_IDENTITY, format!("{kind} name"));
        for m in items {
            let key = format!("{}\u{0}{}", scope(&m.spec), m.metadata.name);
            unique.add(key, &m.metadata.name, at(kind, m, "/metadata/name"), out);
        }
    }
    names(Kind::Account, &set.accounts, |_| "", out);
    names(Kind::NumberSet, &set.number_sets, |_| "", out);
    names(Kind::Consent, &set.consents, |_| "", out);
    names(Kind::Template, &set.templates, |_| "", out);
    names(Kind::Customer, &set.customers, |_| "", out);
    names(Kind::Location, &set.locations, |s| &s.customer, out);
    names(Kind::User, &set.users, |s| &s.customer, out);
    names(Kind::Workspace, &set.workspaces, |s| &s.customer, out);
    names(Kind::Device, &set.devices, |s| &s.customer, out);

    let mut tenants = Unique::new(codes::DUPLICATE_IDENTITY, "Teams tenant");
    for a in &set.accounts {
        if let Some(tenant) = &a.spec.teams_tenant_id {
            tenants.add(
                tenant.to_ascii_lowercase(),
                tenant,
                at(Kind::Account, a, "/spec/teamsTenantId"),
                out,
            );
        }
    }
    let mut consents = Unique::new(codes::DUPLICATE_IDENTITY, "consent for tenant");
    for c in &set.consents {
        let tenant = &c.spec.tenant_id;
        consents.add(
            tenant.to_ascii_lowercase(),
            tenant,
            at(Kind::Consent, c, "/spec/tenantId"),
            out,
        );
    }
    let mut external = Unique::new(codes::DUPLICATE_IDENTITY, "customer externalId");
    for c in &set.customers {
        external.add(
            c.spec.external_id.clone(),
            &c.spec.external_id,
            at(Kind::Customer, c, "/spec/externalId"),
            out,
        );
    }
    let mut locations = Unique::new(codes::DUPLICATE_IDENTITY, "location");
    for l in &set.locations {
        let key = format!("{}\u{0}{}", l.spec.customer, l.spec.name);
        locations.add(key, &l.spec.name, at(Kind::Location, l, "/spec/name"), out);
    }
    // A Location may describe a customer's headquarters (to add numbers to it): it then has
    // the headquarters' name and address. The same name with another address is another place
    // under a name already taken.
    let headquarters: HashMap<(&str, &str), &Manifest<CustomerSpec>> = set
        .customers
        .iter()
        .filter_map(|c| {
            let hq = c.spec.headquarters.as_ref()?;
            Some(((c.spec.external_id.as_str(), hq.name.as_str()), c))
        })
        .collect();
    for l in &set.locations {
        if let Some(customer) = headquarters.get(&(l.spec.customer.as_str(), l.spec.name.as_str()))
            && let Some(hq) = &customer.spec.headquarters
            && hq.address != l.spec.address
        {
            let (place, object) = at(Kind::Location, l, "/spec/name");
            out.push(
                Diagnostic::error(
                    codes::DUPLICATE_IDENTITY,
                    place,
                    format!(
                        "location `{}` has the name of customer {}'s headquarters but another address",
                        l.spec.name, l.spec.customer
                    ),
                )
                .object(object)
                .related(
                    at(Kind::Customer, customer, "/spec/headquarters/name").0,
                    format!("the headquarters, in {}", super::object_id(Kind::Customer, customer)),
                )
                .hint("rename the location; or, if it describes the headquarters (e.g. to add numbers), give it the headquarters' address"),
            );
        }
    }
    let mut users = Unique::new(codes::DUPLICATE_IDENTITY, "user");
    for u in &set.users {
        let key = format!("{}\u{0}{}", u.spec.customer, u.spec.email.to_lowercase());
        users.add(key, &u.spec.email, at(Kind::User, u, "/spec/email"), out);
    }
    let mut workspaces = Unique::new(codes::DUPLICATE_IDENTITY, "workspace");
    for w in &set.workspaces {
        let key = format!("{}\u{0}{}", w.spec.customer, w.spec.name);
        workspaces.add(key, &w.spec.name, at(Kind::Workspace, w, "/spec/name"), out);
    }
    let mut macs = Unique::new(codes::DUPLICATE_MAC, "MAC address");
    for d in &set.devices {
        // A malformed MAC is reported by the device rules.
        if let Some(mac) = normalize_mac(&d.spec.mac) {
            macs.add(mac.clone(), &mac, at(Kind::Device, d, "/spec/mac"), out);
        }
    }
}

/// One reference to check.
struct Reference<'a> {
    from: (At, String),
    from_absent: bool,
    target_kind: Kind,
    target: &'a str,
}

/// A reference to an object of the same customer (a location, a user, a workspace).
struct ScopedReference<'a> {
    from: (At, String),
    from_absent: bool,
    target_kind: Kind,
    customer: &'a str,
    target: &'a str,
}

pub(super) fn check_references(set: &ManifestSet, unresolved: &Unresolved, out: &mut Vec<Diagnostic>) {
    // Identity → (is absent).
    let accounts: HashMap<&str, bool> = set
        .accounts
        .iter()
        .map(|a| (a.metadata.name.as_str(), is_absent(a.spec.ensure)))
        .collect();
    let templates: HashMap<&str, bool> = set
        .templates
        .iter()
        .map(|t| (t.metadata.name.as_str(), false))
        .collect();
    let customers: HashMap<&str, bool> = set
        .customers
        .iter()
        .map(|c| (c.spec.external_id.as_str(), is_absent(c.spec.ensure)))
        .collect();
    let mut locations: HashMap<(&str, &str), bool> = set
        .locations
        .iter()
        .map(|l| {
            (
                (l.spec.customer.as_str(), l.spec.name.as_str()),
                is_absent(l.spec.ensure),
            )
        })
        .collect();
    for c in &set.customers {
        if let Some(hq) = &c.spec.headquarters {
            locations
                .entry((c.spec.external_id.as_str(), hq.name.as_str()))
                .or_insert(is_absent(c.spec.ensure));
        }
    }
    let users: HashMap<(&str, String), bool> = set
        .users
        .iter()
        .map(|u| {
            (
                (u.spec.customer.as_str(), u.spec.email.to_lowercase()),
                is_absent(u.spec.ensure),
            )
        })
        .collect();
    let workspaces: HashMap<(&str, &str), bool> = set
        .workspaces
        .iter()
        .map(|w| {
            (
                (w.spec.customer.as_str(), w.spec.name.as_str()),
                is_absent(w.spec.ensure),
            )
        })
        .collect();

    let mut refs: Vec<Reference> = Vec::new();
    for n in &set.number_sets {
        refs.push(Reference {
            from: at(Kind::NumberSet, n, "/spec/account"),
            from_absent: is_absent(n.spec.ensure),
            target_kind: Kind::Account,
            target: &n.spec.account,
        });
    }
    for c in &set.consents {
        if let Some(account) = &c.spec.account {
            refs.push(Reference {
                from: at(Kind::Consent, c, "/spec/account"),
                from_absent: false,
                target_kind: Kind::Account,
                target: account,
            });
        }
    }
    for c in &set.customers {
        refs.push(Reference {
            from: at(Kind::Customer, c, "/spec/template"),
            from_absent: is_absent(c.spec.ensure),
            target_kind: Kind::Template,
            target: &c.spec.template,
        });
    }
    let mut customer_ref = |from: (At, String), from_absent: bool, customer: &'_ str| {
        let known = customers.get(customer).copied();
        resolve(
            Target {
                kind: Kind::Customer,
                customer: None,
                name: customer,
            },
            from,
            from_absent,
            known,
            || customers.keys().map(|k| k.to_string()).collect(),
            unresolved,
            out,
        );
        // References into the customer (its locations, users, workspaces) are checked when it
        // is declared, even by a document that failed: its other objects are still known.
        known.is_some() || unresolved.covers(Kind::Customer, None, customer)
    };
    let mut scoped: Vec<ScopedReference> = Vec::new();
    for l in &set.locations {
        customer_ref(
            at(Kind::Location, l, "/spec/customer"),
            is_absent(l.spec.ensure),
            &l.spec.customer,
        );
    }
    for u in &set.users {
        if customer_ref(
            at(Kind::User, u, "/spec/customer"),
            is_absent(u.spec.ensure),
            &u.spec.customer,
        ) {
            scoped.push(ScopedReference {
                from: at(Kind::User, u, "/spec/location"),
                from_absent: is_absent(u.spec.ensure),
                target_kind: Kind::Location,
                customer: &u.spec.customer,
                target: &u.spec.location,
            });
        }
    }
    for w in &set.workspaces {
        if customer_ref(
            at(Kind::Workspace, w, "/spec/customer"),
            is_absent(w.spec.ensure),
            &w.spec.customer,
        ) {
            scoped.push(ScopedReference {
                from: at(Kind::Workspace, w, "/spec/location"),
                from_absent: is_absent(w.spec.ensure),
                target_kind: Kind::Location,
                customer: &w.spec.customer,
                target: &w.spec.location,
            });
        }
    }
    for d in &set.devices {
        let absent = is_absent(d.spec.ensure);
        if !customer_ref(at(Kind::Device, d, "/spec/customer"), absent, &d.spec.customer) {
            continue;
        }
        if let Some(user) = &d.spec.owner.user {
            scoped.push(ScopedReference {
                from: at(Kind::Device, d, "/spec/owner/user"),
                from_absent: absent,
                target_kind: Kind::User,
                customer: &d.spec.customer,
                target: user,
            });
        }
        if let Some(workspace) = &d.spec.owner.workspace {
            scoped.push(ScopedReference {
                from: at(Kind::Device, d, "/spec/owner/workspace"),
                from_absent: absent,
                target_kind: Kind::Workspace,
                customer: &d.spec.customer,
                target: workspace,
            });
        }
        for (i, shared) in d.spec.shared_with.iter().flatten().enumerate() {
            scoped.push(ScopedReference {
                from: at(Kind::Device, d, format!("/spec/sharedWith/{i}/user")),
                from_absent: absent,
                target_kind: Kind::User,
                customer: &d.spec.customer,
                target: &shared.user,
            });
        }
    }

    for r in refs {
        let names = match r.target_kind {
            Kind::Account => &accounts,
            _ => &templates,
        };
        let known = names.get(r.target).copied();
        let candidates = || names.keys().map(|k| k.to_string()).collect();
        resolve(
            Target {
                kind: r.target_kind,
                customer: None,
                name: r.target,
            },
            r.from,
            r.from_absent,
            known,
            candidates,
            unresolved,
            out,
        );
    }
    for ScopedReference {
        from,
        from_absent,
        target_kind,
        customer,
        target,
    } in scoped
    {
        // Candidates for "did you mean" are gathered only for a reference that does not resolve:
        // gathering them for every reference would be quadratic.
        let known = match target_kind {
            Kind::Location => locations.get(&(customer, target)).copied(),
            Kind::User => users.get(&(customer, target.to_lowercase())).copied(),
            _ => workspaces.get(&(customer, target)).copied(),
        };
        let candidates = || -> Vec<String> {
            match target_kind {
                Kind::Location => locations
                    .keys()
                    .filter(|(c, _)| *c == customer)
                    .map(|(_, n)| n.to_string())
                    .collect(),
                Kind::User => users
                    .keys()
                    .filter(|(c, _)| *c == customer)
                    .map(|(_, e)| e.clone())
                    .collect(),
                _ => workspaces
                    .keys()
                    .filter(|(c, _)| *c == customer)
                    .map(|(_, n)| n.to_string())
                    .collect(),
            }
        };
        resolve(
            Target {
                kind: target_kind,
                customer: Some(customer),
                name: target,
            },
            from,
            from_absent,
            known,
            candidates,
            unresolved,
            out,
        );
    }
}

/// What a reference names.
struct Target<'a> {
    kind: Kind,
    /// The customer, for customer-scoped kinds.
    customer: Option<&'a str>,
    name: &'a str,
}

fn resolve(
    target: Target<'_>,
    (place, object): (At, String),
    from_absent: bool,
    known: Option<bool>,
    candidates: impl FnOnce() -> Vec<String>,
    unresolved: &Unresolved,
    out: &mut Vec<Diagnostic>,
) {
    let Target {
        kind: target_kind,
        customer,
        name: target,
    } = target;
    match known {
        Some(true) if !from_absent => out.push(
            Diagnostic::error(
                codes::REFERENCE_TO_ABSENT,
                place,
                format!("refers to {target_kind} `{target}`, which is marked `ensure: absent`"),
            )
            .object(object)
            .hint(format!(
                "mark this object `ensure: absent` too, or keep the {target_kind}"
            )),
        ),
        Some(_) => {}
        None if unresolved.covers(target_kind, customer, target) => {}
        None => {
            let what = match target_kind {
                Kind::Account => "no Account is named",
                Kind::Template => "no Template is named",
                Kind::Customer => "no Customer has externalId",
                Kind::Location => "this customer has no Location (or headquarters) named",
                Kind::User => "this customer has no User with email",
                Kind::Workspace => "this customer has no Workspace named",
                _ => "nothing is named",
            };
            let candidates = candidates();
            let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
            let hint = match did_you_mean(target, &candidates) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("declare the {target_kind} in a manifest, or fix the reference"),
            };
            out.push(
                Diagnostic::error(codes::DANGLING_REFERENCE, place, format!("{what} `{target}`"))
                    .object(object)
                    .hint(hint),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_mac;
    use crate::validate::rules::test_support::{TEMPLATE, codes, customer, location, user};

    #[test]
    fn mac_notations() {
        for mac in [
            "00:1A:2B:3C:4D:5E",
            "00-1a-2b-3c-4d-5e",
            "001A2B3C4D5E",
            "001a.2b3c.4d5e",
        ] {
            assert_eq!(normalize_mac(mac).as_deref(), Some("001A2B3C4D5E"), "{mac}");
        }
        for mac in [
            "00:1A:2B:3C:4D",
            "00:1A:2B:3C:4D:5G",
            "001A2B3C4D5E6F",
            "00:1A-2B:3C:4D:5E",
            "0:01A:2B:3C:4D:5E",
            "",
        ] {
            assert_eq!(normalize_mac(mac), None, "{mac}");
        }
    }

    #[test]
    fn references_that_resolve_pass() {
        let yaml = format!(
            "{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", ""),
            user("a", "webex_calling", "Lyon", "  extension: \"100\"\n"),
            user("b", "webex_calling", "HQ", "  extension: \"101\"\n")
        );
        assert_eq!(codes(&yaml), [""; 0]);
    }

    #[test]
    fn a_dangling_reference_fails() {
        let yaml = format!(
            "{}{}",
            customer("webex_calling"),
            user("a", "webex_calling", "Lyon", "  extension: \"100\"\n")
        );
        assert_eq!(codes(&yaml), ["TF120"]);
    }

    #[test]
    fn a_duplicate_identity_fails() {
        let yaml = format!("{TEMPLATE}---\n{TEMPLATE}");
        assert_eq!(codes(&yaml), ["TF110"]);
    }

    #[test]
    fn a_location_may_describe_the_headquarters_at_its_address() {
        let hq = location("HQ", "\"+33140000100\"");
        let same_address = hq.replace(
            "{line1: 2 rue B, city: Lyon, country: FR}",
            "{line1: 1 rue A, city: Paris, country: FR}",
        );
        assert_eq!(codes(&format!("{}{same_address}", customer("webex_calling"))), [""; 0]);
        assert_eq!(codes(&format!("{}{hq}", customer("webex_calling"))), ["TF110"]);
    }

    #[test]
    fn did_you_mean_does_not_depend_on_order() {
        use crate::validate::schema::did_you_mean;
        assert_eq!(did_you_mean("lyon", &["Lyom", "Lyoz"]), Some("Lyom"));
        assert_eq!(did_you_mean("lyon", &["Lyoz", "Lyom"]), Some("Lyom"));
    }
}
