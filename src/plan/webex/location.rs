//! Locations (the headquarters and the `Location` manifests) and their numbers.

use serde_json::{Value, json};

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
