//! Locations (the headquarters and the `Location` manifests) and their numbers.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::customer::{has_calling, is_calling_name};
use super::*;

/// A location as wanted: a `Location` manifest, or the customer's headquarters (the first
/// calling location, made with the customer).
pub(super) struct WantLocation<'a> {
    pub(super) name: &'a str,
    pub(super) address: &'a Address,
    pub(super) timezone: &'a str,
    pub(super) language: &'a str,
    pub(super) announcement_language: &'a str,
    pub(super) numbers: &'a [String],
    pub(super) source: SourceRef,
    pub(super) absent: bool,
    pub(super) headquarters: bool,
}

impl WantLocation<'_> {
    pub(super) fn view(&self) -> Value {
        json!({
            "address": manifest_address(self.address),
            "timezone": self.timezone,
            "language": self.language,
            "announcementLanguage": self.announcement_language,
        })
    }

    /// Webex does not answer a location's announcement language.
    pub(super) fn comparable(&self) -> Value {
        without(self.view(), &["announcementLanguage"])
    }
}

pub(super) fn live_location_view(l: &wire::Location) -> Value {
    json!({
        "address": location_address_view(&l.address),
        "timezone": l.time_zone,
        "language": l.preferred_language,
    })
}

/// The address fields `POST /locations` requires that `address` lacks, each with what to write.
fn missing_for_create(address: &Address) -> Vec<(&'static str, &'static str)> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let mut missing = Vec::new();
    if blank(&address.state) {
        missing.push((
            "state",
            "add `state` to the address: the state, province or region (in France the région, e.g. `state: Provence-Alpes-Côte d'Azur`)",
        ));
    }
    if blank(&address.postal_code) {
        missing.push((
            "postalCode",
            "add `postalCode` to the address (quoted, e.g. `postalCode: \"13002\"`)",
        ));
    }
    missing
}

impl<'a> Scope<'a> {
    /// The locations wanted: the headquarters (for a calling customer), then the Location
    /// manifests (one of which may describe the headquarters, to add numbers to it).
    fn wanted_locations(&self) -> Vec<WantLocation<'a>> {
        let mut wanted: Vec<WantLocation> = Vec::new();
        let declared = self.declared;
        if let Some(c) = declared.customer
            && let Some(hq) = &c.spec.headquarters
            && has_calling(&c.spec.packages)
        {
            wanted.push(WantLocation {
                name: &hq.name,
                address: &hq.address,
                timezone: &hq.timezone,
                language: &hq.language,
                announcement_language: &hq.language,
                numbers: &[],
                source: self.source(c, Kind::Customer),
                absent: false,
                headquarters: true,
            });
        }
        for l in &declared.locations {
            let want = WantLocation {
                name: &l.spec.name,
                address: &l.spec.address,
                timezone: &l.spec.timezone,
                language: &l.spec.language,
                announcement_language: &l.spec.announcement_language,
                numbers: &l.spec.numbers,
                source: self.source(l, Kind::Location),
                absent: is_absent(l.spec.ensure),
                headquarters: false,
            };
            match wanted.iter_mut().find(|w| w.name.eq_ignore_ascii_case(want.name)) {
                Some(hq) => {
                    *hq = WantLocation {
                        headquarters: hq.headquarters,
                        ..want
                    }
                }
                None => wanted.push(want),
            }
        }
        wanted
    }

    /// Plans the locations and their numbers.
    pub(super) fn locations(&mut self, plan: &mut Plan, live: &OrgLive) {
        let wanted = self.wanted_locations();
        // A new customer's headquarters is made with it, and so is the headquarters of a
        // customer that gains its first calling package (the update carries the location).
        let hq_made_with_customer = self.org.is_none()
            || self
                .customer
                .is_some_and(|c| !c.packages.iter().any(|p| is_calling_name(p)));
        let live_locations: HashMap<String, &wire::Location> =
            live.locations.iter().map(|l| (l.name.to_lowercase(), l)).collect();
        let numbers: HashMap<&str, &LiveNumberEntry> = live
            .numbers
            .iter()
            .filter_map(|n| Some((n.phone_number()?, n)))
            .collect();
        // Locations that go (absent or pruned), with the reason their numbers go too.
        let mut leaving: HashMap<String, Reason> = HashMap::new();
        let mut declared_numbers: BTreeSet<&str> = BTreeSet::new();
        for want in &wanted {
            let current = live_locations.get(&want.name.to_lowercase()).copied();
            if want.absent {
                if let Some(current) = current {
                    let object = self.object(ObjectKind::Location, want.name);
                    let mut delete = action(Op::Delete, &object, Some(want.source.clone()), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_locations.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                    leaving.insert(current.name.to_lowercase(), Reason::EnsureAbsent);
                }
                continue;
            }
            self.location(plan, want, current, hq_made_with_customer);
            self.location_numbers(want, current, &numbers, &mut declared_numbers);
        }
        self.undeclared_locations(plan, live, &wanted, &mut leaving);
        self.undeclared_numbers(plan, &numbers, &declared_numbers, &leaving);
    }

    /// A location that should exist: created, or updated where it differs.
    fn location(
        &mut self,
        plan: &mut Plan,
        want: &WantLocation,
        current: Option<&wire::Location>,
        hq_made_with_customer: bool,
    ) {
        let object = self.object(ObjectKind::Location, want.name);
        let body = wire::CreateLocation {
            name: want.name.to_string(),
            time_zone: want.timezone.to_string(),
            preferred_language: want.language.to_string(),
            announcement_language: want.announcement_language.to_string(),
            address: Some(location_address(want.address)),
            ..Default::default()
        };
        let missing = missing_for_create(want.address);
        match current {
            // A new customer's headquarters is made with it.
            None if want.headquarters && hq_made_with_customer => {}
            // `POST /locations` requires `address.state` and `address.postalCode` (the spec's
            // `PostCommonLocationObject`), whatever the country: a location made without one is
            // refused by name here rather than sent without it (issue #13;
            // docs/emulator-webex.md, Deviations).
            None if !missing.is_empty() => {
                let named: Vec<String> = missing.iter().map(|(field, _)| format!("`address.{field}`")).collect();
                let hints: Vec<&str> = missing.iter().map(|(_, hint)| *hint).collect();
                self.error(
                    plan,
                    &object,
                    Some(want.source.clone()),
                    format!(
                        "location {}: {} {} required to create a location: Webex's POST /locations requires {}, in every country",
                        want.name,
                        named.join(" and "),
                        if missing.len() == 1 { "is" } else { "are" },
                        missing.iter().map(|(field, _)| format!("address.{field}")).collect::<Vec<_>>().join(" and ")
                    ),
                    &hints.join("; "),
                );
            }
            None => {
                let mut create = action(
                    Op::Create,
                    &object,
                    Some(want.source.clone()),
                    diff_json("", &Value::Null, &want.view()),
                );
                create.desired = desired(body, json!({"customer": self.ext}));
                self.steps.locations.push(create);
                self.steps.touched.push((object.clone(), None));
            }
            Some(current) => {
                let changes = diff_json("", &live_location_view(current), &want.comparable());
                // A location keeps the state and postal code an update leaves out (and its
                // creation requires both): taking one away would be planned and never happen.
                if let Some(removed) = taken_away(&changes, &["address.state", "address.postalCode"]) {
                    self.error(
                        plan,
                        &object,
                        Some(want.source.clone()),
                        format!(
                            "location {}: {} cannot be taken away: Webex requires a location's state and postal code, and keeps them when an update leaves them out",
                            want.name, removed
                        ),
                        "give the address another value, or put back the one the plan shows as live",
                    );
                    return;
                }
                if !changes.is_empty() {
                    let mut update = action(Op::Update, &object, Some(want.source.clone()), changes);
                    update.desired = desired(
                        wire::UpdateLocation {
                            name: Some(want.name.to_string()),
                            time_zone: Some(want.timezone.to_string()),
                            preferred_language: Some(want.language.to_string()),
                            address: Some(location_address(want.address)),
                        },
                        json!({"customer": self.ext, "id": current.id}),
                    );
                    self.steps.locations.push(update);
                    self.steps.touched.push((object.clone(), Some(current.fingerprint())));
                }
            }
        }
    }

    /// The numbers a location declares: added, or moved from another location.
    fn location_numbers(
        &mut self,
        want: &WantLocation<'a>,
        current: Option<&wire::Location>,
        numbers: &HashMap<&str, &LiveNumberEntry>,
        declared_numbers: &mut BTreeSet<&'a str>,
    ) {
        for number in want.numbers {
            declared_numbers.insert(number);
            let object = self.object(ObjectKind::Number, number.as_str());
            let body = wire::LocationNumbers {
                phone_numbers: vec![number.clone()],
                ..Default::default()
            };
            let refs = json!({"customer": self.ext, "location": want.name, "locationId": current.map(|c| &c.id)});
            match numbers.get(number.as_str()) {
                None => {
                    let mut create = action(
                        Op::Create,
                        &object,
                        Some(want.source.clone()),
                        vec![FieldChange {
                            path: "location".into(),
                            old: None,
                            new: Some(json!(want.name)),
                            sensitive: false,
                            secret_source: None,
                        }],
                    );
                    create.desired = desired(body, refs);
                    self.steps.numbers.push(create);
                    self.steps.touched.push((object, None));
                }
                Some(n) => {
                    let there = n.location.as_deref();
                    if there.is_some_and(|t| t.eq_ignore_ascii_case(want.name)) {
                        continue;
                    }
                    // Webex moves a number between locations only by removing and adding it.
                    let mut replace = action(
                        Op::Replace,
                        &object,
                        Some(want.source.clone()),
                        vec![FieldChange {
                            path: "location".into(),
                            old: there.map(|t| json!(t)),
                            new: Some(json!(want.name)),
                            sensitive: false,
                            secret_source: None,
                        }],
                    );
                    replace.reason = Some(Reason::Immutable {
                        field: "location".into(),
                    });
                    replace.desired = desired(body, refs);
                    self.steps.numbers.push(replace);
                    self.steps.touched.push((object, Some(n.fingerprint())));
                }
            }
        }
    }

    /// Live locations nothing declares: pruned (noted in `leaving`), or unmanaged.
    fn undeclared_locations(
        &mut self,
        plan: &mut Plan,
        live: &OrgLive,
        wanted: &[WantLocation],
        leaving: &mut HashMap<String, Reason>,
    ) {
        for current in &live.locations {
            if wanted.iter().any(|w| w.name.eq_ignore_ascii_case(&current.name)) {
                continue;
            }
            let object = self.object(ObjectKind::Location, current.name.as_str());
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_locations.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
                leaving.insert(current.name.to_lowercase(), Reason::Pruned);
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
    }

    /// Live numbers no location declares: kept when a user or workspace uses them; deleted
    /// with their location, or pruned.
    fn undeclared_numbers(
        &mut self,
        plan: &mut Plan,
        numbers: &HashMap<&str, &LiveNumberEntry>,
        declared_numbers: &BTreeSet<&str>,
        leaving: &HashMap<String, Reason>,
    ) {
        let held: BTreeSet<&str> = self
            .declared
            .users
            .iter()
            .filter(|u| !is_absent(u.spec.ensure))
            .filter_map(|u| u.spec.phone_number.as_deref())
            .chain(
                self.declared
                    .workspaces
                    .iter()
                    .filter(|w| !is_absent(w.spec.ensure))
                    .filter_map(|w| w.spec.phone_number.as_deref()),
            )
            .collect();
        let mut undeclared: Vec<(&str, &LiveNumberEntry)> = numbers
            .iter()
            .filter(|(n, _)| !declared_numbers.contains(*n) && !held.contains(*n))
            .map(|(n, e)| (*n, *e))
            .collect();
        undeclared.sort_by_key(|(n, _)| *n);
        for (number, entry) in undeclared {
            let object = self.object(ObjectKind::Number, number);
            let location = entry.location.as_deref().map(str::to_lowercase).unwrap_or_default();
            let reason = match leaving.get(&location) {
                Some(reason) => Some(reason.clone()),
                // A location's main number cannot be removed.
                None if self.prune && !entry.main_number => Some(Reason::Pruned),
                None => None,
            };
            match reason {
                Some(reason) => {
                    let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                    delete.reason = Some(reason);
                    self.steps.delete_numbers.push(delete);
                    self.steps.touched.push((object, Some(entry.fingerprint())));
                }
                None => plan.unmanaged.push(Unmanaged { object }),
            }
        }
    }
}
