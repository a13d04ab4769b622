//! E.164 numbers and ranges, and "each number is declared in exactly one place".

use std::collections::HashMap;

use super::at;
use crate::manifest::{Kind, ManifestSet};
use crate::validate::codes;
use crate::validate::diagnostic::{At, Diagnostic};
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
    report_overlaps(set, declared, out);
    check_assignments(set, out);
}

/// Sorts the declarations and reports every one that overlaps an earlier one.
fn report_overlaps(set: &ManifestSet, mut declared: Vec<(NumberKey, u64, Place)>, out: &mut Vec<Diagnostic>) {
    declared.sort_unstable_by_key(|(key, last, _)| (key.digits, key.value, *last));
    // The declaration reaching furthest so far, among those of the same length.
    let mut reach: Option<(u8, u64, Place)> = None;
    for (key, last, place) in declared {
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

/// A number is the phone number of at most one user or workspace.
fn check_assignments(set: &ManifestSet, out: &mut Vec<Diagnostic>) {
    let mut assigned: HashMap<NumberKey, (At, String)> = HashMap::new();
    let users = set.users.iter().filter_map(|u| {
        u.spec
            .phone_number
            .as_deref()
            .map(|n| (n, at(Kind::User, u, "/spec/phoneNumber")))
    });
    let workspaces = set.workspaces.iter().filter_map(|w| {
        w.spec
            .phone_number
            .as_deref()
            .map(|n| (n, at(Kind::Workspace, w, "/spec/phoneNumber")))
    });
    for (number, place) in users.chain(workspaces) {
        let Some(key) = check_number(number, &place, out) else {
            continue;
        };
        if let Some((first, first_object)) = assigned.get(&key) {
            out.push(
                Diagnostic::error(
                    codes::NUMBER_ASSIGNED_TWICE,
                    place.0,
                    format!("{number} is already the phone number of {first_object}"),
                )
                .object(place.1)
                .related(first.clone(), format!("assigned to {first_object} here"))
                .hint("give each user and workspace its own number, or use an extension"),
            );
        } else {
            assigned.insert(key, place);
        }
    }
}
