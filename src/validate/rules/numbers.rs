//! E.164 numbers and ranges, and "each number is declared in exactly one place".

use std::collections::HashMap;

use super::{FirstHolder, at, is_absent};
use crate::diag::codes;
use crate::diag::diagnostic::{At, Diagnostic};
use crate::manifest::{Kind, ManifestSet};
use crate::validate::e164::{self, E164Error, NumberKey};

/// At most this many numbers in one range: a typo in `to` must not declare millions.
pub const MAX_RANGE: u64 = 100_000;

/// Where a number is declared, kept small: there can be a million of them.
#[derive(Debug, Clone, Copy)]
enum Place {
    Range { set: u32, item: u32 },
    Entry { set: u32, item: u32 },
    Location { location: u32, item: u32 },
}

impl Place {
    fn at(self, set: &ManifestSet) -> (At, String) {
        match self {
            Place::Range { set: s, item } => at(
                Kind::NumberSet,
                &set.number_sets[s as usize],
                format!("/spec/ranges/{item}"),
            ),
            Place::Entry { set: s, item } => at(
                Kind::NumberSet,
                &set.number_sets[s as usize],
                format!("/spec/numbers/{item}/number"),
            ),
            Place::Location { location, item } => at(
                Kind::Location,
                &set.locations[location as usize],
                format!("/spec/numbers/{item}"),
            ),
        }
    }
}

/// Checks one number; reports and returns `None` when it is not E.164.
pub(super) fn check_number(number: &str, at: &(At, String), out: &mut Vec<Diagnostic>) -> Option<NumberKey> {
    match e164::parse(number) {
        Ok(key) => Some(key),
        Err(error) => {
            out.push(number_error(number, error, at));
            None
        }
    }
}

fn number_error(number: &str, error: E164Error, (place, object): &(At, String)) -> Diagnostic {
    let (code, message, hint) = match error {
        E164Error::Format => (
            codes::E164_FORMAT,
            format!("`{number}` is not an E.164 number"),
            "write `+`, the country code and the digits, with no spaces or punctuation, e.g. \"+14255550100\"".to_string(),
        ),
        E164Error::CountryCodeOnly => (
            codes::E164_FORMAT,
            format!("`{number}` has a country code but no number after it"),
            "write the whole number after the country code, with no spaces or punctuation".to_string(),
        ),
        E164Error::Country => (
            codes::E164_COUNTRY,
            format!("`{number}` does not start with a country calling code"),
            "E.164 numbers start with the ITU country calling code (1 for North America, 33 for France, 44 for the UK…)".to_string(),
        ),
        E164Error::Length => (
            codes::E164_LENGTH,
            format!("`{number}` has {} characters; E.164 numbers have at most {}", number.chars().count(), e164::MAX_LEN),
            "check for an extra digit".to_string(),
        ),
    };
    Diagnostic::error(code, place.clone(), message)
        .hint(hint)
        .object(object.clone())
}

pub(super) fn check(set: &ManifestSet, out: &mut Vec<Diagnostic>) {
    // (first, last, place), last inclusive.
    let mut declared: Vec<(NumberKey, u64, Place)> = Vec::new();

    for (s, number_set) in set.number_sets.iter().enumerate() {
        for (r, range) in number_set.spec.ranges.iter().enumerate() {
            let base = format!("/spec/ranges/{r}");
            let from = check_number(
                &range.from,
                &at(Kind::NumberSet, number_set, format!("{base}/from")),
                out,
            );
            let to = check_number(&range.to, &at(Kind::NumberSet, number_set, format!("{base}/to")), out);
            let (Some(from), Some(to)) = (from, to) else { continue };
            let (place, object) = at(Kind::NumberSet, number_set, base.clone());
            if from.digits != to.digits {
                out.push(
                    Diagnostic::error(
                        codes::RANGE_LENGTH,
                        place,
                        format!("range {}..{} has ends of different lengths", range.from, range.to),
                    )
                    .object(object)
                    .hint("`from` and `to` must have the same number of digits: check for a missing or extra digit"),
                );
                continue;
            }
            if from.value > to.value {
                out.push(
                    Diagnostic::error(
                        codes::RANGE_ORDER,
                        place,
                        format!("range {}..{} goes backwards", range.from, range.to),
                    )
                    .object(object)
                    .hint("swap `from` and `to`"),
                );
                continue;
            }
            let size = to.value - from.value + 1;
            if size > MAX_RANGE {
                out.push(
                    Diagnostic::error(
                        codes::RANGE_SIZE,
                        place,
                        format!(
                            "range {}..{} holds {size} numbers; at most {MAX_RANGE} are allowed",
                            range.from, range.to
                        ),
                    )
                    .object(object)
                    .hint("check `to` for a typo, or split the range"),
                );
                continue;
            }
            declared.push((
                from,
                to.value,
                Place::Range {
                    set: s as u32,
                    item: r as u32,
                },
            ));
        }
        for (e, entry) in number_set.spec.numbers.iter().enumerate() {
            let place = at(Kind::NumberSet, number_set, format!("/spec/numbers/{e}/number"));
            if let Some(key) = check_number(&entry.number, &place, out) {
                declared.push((
                    key,
                    key.value,
                    Place::Entry {
                        set: s as u32,
                        item: e as u32,
                    },
                ));
            }
        }
    }
    for (l, location) in set.locations.iter().enumerate() {
        for (n, number) in location.spec.numbers.iter().enumerate() {
            let place = at(Kind::Location, location, format!("/spec/numbers/{n}"));
            if let Some(key) = check_number(number, &place, out) {
                declared.push((
                    key,
                    key.value,
                    Place::Location {
                        location: l as u32,
                        item: n as u32,
                    },
                ));
            }
        }
    }
    declared.sort_unstable_by_key(|(key, last, _)| (key.digits, key.value, *last));
    report_overlaps(set, &declared, out);
    check_assignments(set, &Declared::new(declared), out);
}

/// Reports every declaration (sorted) that overlaps an earlier one.
fn report_overlaps(set: &ManifestSet, declared: &[(NumberKey, u64, Place)], out: &mut Vec<Diagnostic>) {
    // The declaration reaching furthest so far, among those of the same length.
    let mut reach: Option<(u8, u64, Place)> = None;
    for &(key, last, place) in declared {
        if let Some((digits, reach_last, reach_place)) = reach
            && digits == key.digits
            && key.value <= reach_last
        {
            let overlap_last = last.min(reach_last);
            let count = overlap_last - key.value + 1;
            let first = key.to_e164();
            let what = if count == 1 {
                format!("{first} is declared twice")
            } else {
                let last = NumberKey {
                    digits: key.digits,
                    value: overlap_last,
                }
                .to_e164();
                format!("{count} numbers ({first}..{last}) are declared twice")
            };
            let (here, object) = place.at(set);
            let (there, there_object) = reach_place.at(set);
            out.push(
                Diagnostic::error(codes::NUMBER_TWICE, here, what)
                    .object(object)
                    .related(there, format!("also declared here, in {there_object}"))
                    .hint("a number belongs to one place only: remove it from one of the two"),
            );
            if last > reach_last {
                reach = Some((key.digits, last, place));
            }
            continue;
        }
        reach = Some((key.digits, last, place));
    }
}

/// Every declared number and range, sorted, for finding where a number is declared.
struct Declared {
    /// (first, last inclusive, place), sorted by length, first, last.
    items: Vec<(NumberKey, u64, Place)>,
    /// For each item, the index of the item reaching furthest among it and those before it of
    /// the same length: if any declaration holds a number, the one reaching furthest among
    /// those starting at or before the number does.
    reach: Vec<u32>,
}

impl Declared {
    fn new(items: Vec<(NumberKey, u64, Place)>) -> Declared {
        let mut reach = Vec::with_capacity(items.len());
        let mut best = 0;
        for (i, (key, last, _)) in items.iter().enumerate() {
            let (best_key, best_last, _) = items[best];
            if i == 0 || best_key.digits != key.digits || best_last < *last {
                best = i;
            }
            reach.push(best as u32);
        }
        Declared { items, reach }
    }

    /// A place that declares `key`, if any.
    fn find(&self, key: NumberKey) -> Option<Place> {
        let after = self
            .items
            .partition_point(|(k, _, _)| (k.digits, k.value) <= (key.digits, key.value));
        let (first, last, place) = self.items[self.reach[after.checked_sub(1)?] as usize];
        (first.digits == key.digits && last >= key.value).then_some(place)
    }
}

/// A user or workspace holding a phone number.
struct Holder<'a> {
    customer: &'a str,
    location: &'a str,
    place: (At, String),
}

/// A number is the phone number of at most one user or workspace (that is not being deleted),
/// and it comes from the location of that user or workspace.
fn check_assignments(set: &ManifestSet, declared: &Declared, out: &mut Vec<Diagnostic>) {
    // The first Location of each (customer, name); a second one is a duplicate identity.
    let locations: HashMap<(&str, &str), usize> = set
        .locations
        .iter()
        .enumerate()
        .rev()
        .map(|(i, l)| ((l.spec.customer.as_str(), l.spec.name.as_str()), i))
        .collect();
    let users = set.users.iter().filter(|u| !is_absent(u.spec.ensure)).filter_map(|u| {
        let holder = Holder {
            customer: &u.spec.customer,
            location: &u.spec.location,
            place: at(Kind::User, u, "/spec/phoneNumber"),
        };
        Some((u.spec.phone_number.as_deref()?, holder))
    });
    let workspaces = set
        .workspaces
        .iter()
        .filter(|w| !is_absent(w.spec.ensure))
        .filter_map(|w| {
            let holder = Holder {
                customer: &w.spec.customer,
                location: &w.spec.location,
                place: at(Kind::Workspace, w, "/spec/phoneNumber"),
            };
            Some((w.spec.phone_number.as_deref()?, holder))
        });
    let mut assigned: FirstHolder<NumberKey> = FirstHolder::new();
    for (number, holder) in users.chain(workspaces) {
        let Some(key) = check_number(number, &holder.place, out) else {
            continue;
        };
        let own = locations.get(&(holder.customer, holder.location)).copied();
        check_origin(set, number, key, &holder, own, declared, out);
        let (here, object) = holder.place.clone();
        if let Some((first, first_object)) = assigned.claim(key, holder.place) {
            out.push(
                Diagnostic::error(
                    codes::NUMBER_ASSIGNED_TWICE,
                    here,
                    format!("{number} is already the phone number of {first_object}"),
                )
                .object(object)
                .related(first.clone(), format!("assigned to {first_object} here"))
                .hint("give each user and workspace its own number, or use an extension"),
            );
        }
    }
}

/// A Webex phone number comes from its holder's location: it may not be declared by another
/// location or by an ACG number set, and when the holder's location (`own`, if a Location
/// manifest declares it) lists numbers, it is one of them.
fn check_origin(
    set: &ManifestSet,
    number: &str,
    key: NumberKey,
    holder: &Holder<'_>,
    own: Option<usize>,
    declared: &Declared,
    out: &mut Vec<Diagnostic>,
) {
    let here = holder.place.0.clone();
    let location_name = holder.location;
    let problem = match declared.find(key) {
        Some(Place::Location { location, .. }) if Some(location as usize) == own => return,
        Some(place @ Place::Location { location, .. }) => {
            let other = &set.locations[location as usize].spec;
            let whose = if other.customer == holder.customer {
                String::new()
            } else {
                format!(" of customer {}", other.customer)
            };
            let (there, there_object) = place.at(set);
            Diagnostic::error(
                codes::NUMBER_NOT_FROM_LOCATION,
                here,
                format!(
                    "{number} is a number of location `{}`{whose}, not of `{location_name}`",
                    other.name
                ),
            )
            .related(there, format!("declared here, in {there_object}"))
        }
        Some(place) => {
            let (there, there_object) = place.at(set);
            Diagnostic::error(
                codes::NUMBER_NOT_FROM_LOCATION,
                here,
                format!("{number} is an ACG number ({there_object}), not a number of a Webex location"),
            )
            .related(there, format!("declared here, in {there_object}"))
        }
        None => match own.map(|l| &set.locations[l]) {
            Some(location) if !location.spec.numbers.is_empty() => Diagnostic::error(
                codes::NUMBER_NOT_FROM_LOCATION,
                here,
                format!("{number} is not one of the numbers of location `{location_name}`"),
            )
            .related(
                at(Kind::Location, location, "/spec/numbers").0,
                format!(
                    "the location's numbers, in {}",
                    super::object_id(Kind::Location, location)
                ),
            ),
            _ => return,
        },
    };
    out.push(problem.object(holder.place.1.clone()).hint(format!(
        "use one of the numbers of location `{location_name}`, or add this number to its `numbers` (a number is declared in one place only)"
    )));
}

#[cfg(test)]
mod tests {
    use crate::validate::rules::test_support::{codes, customer, location, user};

    fn numbers(location_numbers: &str, phone: &str) -> Vec<&'static str> {
        codes(&format!(
            "{}{}{}",
            customer("webex_calling"),
            location("Lyon", location_numbers),
            user("a", "webex_calling", "Lyon", &format!("  phoneNumber: \"{phone}\"\n"))
        ))
    }

    #[test]
    fn a_number_of_the_users_location_passes() {
        assert_eq!(numbers("\"+33478000100\", \"+33478000101\"", "+33478000101"), [""; 0]);
    }

    #[test]
    fn a_number_outside_the_locations_list_fails() {
        assert_eq!(numbers("\"+33478000100\"", "+33478000199"), ["TF165"]);
    }

    #[test]
    fn a_location_without_numbers_accepts_any_undeclared_number() {
        assert_eq!(numbers("", "+33478000199"), [""; 0]);
    }

    #[test]
    fn a_number_of_a_number_set_is_not_a_webex_number() {
        let acg = "---\napiVersion: telform/v1\nkind: Account\nmetadata: {name: a}\nspec: {services: {directRouting: {enabled: true}}}\n---\napiVersion: telform/v1\nkind: NumberSet\nmetadata: {name: s}\nspec: {account: a, service: directRouting, ranges: [{from: \"+33478000000\", to: \"+33478000999\"}]}\n";
        let yaml = format!(
            "{}{acg}{}",
            customer("webex_calling"),
            user("a", "webex_calling", "HQ", "  phoneNumber: \"+33478000500\"\n")
        );
        assert_eq!(codes(&yaml), ["TF165"]);
    }

    #[test]
    fn overlapping_ranges_and_bad_numbers_fail() {
        let yaml = "apiVersion: telform/v1\nkind: Account\nmetadata: {name: a}\nspec: {services: {directRouting: {enabled: true}}}\n---\napiVersion: telform/v1\nkind: NumberSet\nmetadata: {name: s}\nspec: {account: a, service: directRouting, ranges: [{from: \"+14255550100\", to: \"+14255550199\"}, {from: \"+14255550150\", to: \"+14255550250\"}], numbers: [{number: \"+1\"}, {number: \"+99912\"}]}\n";
        assert_eq!(codes(yaml), ["TF101", "TF102", "TF107"]);
    }

    #[test]
    fn users_being_deleted_hold_no_number() {
        let yaml = format!(
            "{}{}{}{}",
            customer("webex_calling"),
            location("Lyon", "\"+33478000100\""),
            user(
                "a",
                "webex_calling",
                "Lyon",
                "  phoneNumber: \"+33478000100\"\n  ensure: absent\n"
            ),
            user("b", "webex_calling", "Lyon", "  phoneNumber: \"+33478000100\"\n")
        );
        assert_eq!(codes(&yaml), [""; 0]);
        let both_present = yaml.replace("  ensure: absent\n", "");
        assert_eq!(codes(&both_present), ["TF108"]);
    }
}
