//! The content of a customer's organisation as a plan keeps it: each page is normalised as it
//! is read, into a compact form holding what the diff, the fingerprints and the plan output
//! use. A partner may have a hundred thousand users and devices: their wire structs (every
//! field Webex answers) are dropped page by page, as ACG numbers are (`model::acg::LiveNumber`).
//!
//! Strings that repeat within an organisation (person ids, which a subscriber, its devices and
//! its numbers all carry; location names; package names; models) are shared through an
//! [`Interner`]; the other strings of an object are kept in one allocation ([`Texts`]). A live
//! object's fingerprint (the [`ContentHash`] a saved plan records) is taken from its complete
//! wire form while that is at hand.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::ROTATION_TAG;
pub use super::content_hash::ContentHash;
use crate::wire::webex as wire;

/// Shares the strings that repeat within an organisation.
#[derive(Debug, Default)]
pub struct Interner(HashSet<Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(shared.clone());
        shared
    }
}

/// Up to `N` optional strings of one object in one allocation: a plan keeps a hundred thousand
/// users, devices and numbers, and an allocation per string costs more than most of the
/// strings.
#[derive(Clone, PartialEq, Eq)]
pub struct Texts<const N: usize> {
    text: Box<str>,
    /// Where each string ends in `text` (it starts where the one before ends).
    ends: [u32; N],
    /// Bit `i`: string `i` is present.
    present: u8,
}

impl<const N: usize> Texts<N> {
    pub fn new(parts: [Option<&str>; N]) -> Texts<N> {
        const { assert!(N <= 8) };
        let mut text = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        let mut ends = [0u32; N];
        let mut present = 0u8;
        for (i, part) in parts.iter().enumerate() {
            if let Some(part) = part {
                text.push_str(part);
                present |= 1 << i;
            }
            // Texts of live objects are far below 4 GiB.
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Texts {
            text: text.into_boxed_str(),
            ends,
            present,
        }
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize)
    }
}

impl<const N: usize> fmt::Debug for Texts<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((0..N).map(|i| self.get(i))).finish()
    }
}

/// A wholesale subscriber (`GET /wholesale/subscribers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSubscriber {
    /// Its id and its email (as answered: the plan compares it lower-cased).
    texts: Texts<2>,
    /// The id of the person (a device's owner, a number's owner); once provisioned.
    pub person_id: Option<Arc<str>>,
    pub packages: Box<[Arc<str>]>,
    /// The legacy single package.
    pub package: Option<Arc<str>>,
    pub status: Arc<str>,
    pub hash: ContentHash,
}

impl LiveSubscriber {
    pub fn from_wire(s: wire::Subscriber, interner: &mut Interner) -> LiveSubscriber {
        let hash = ContentHash::of(&s);
        LiveSubscriber {
            texts: Texts::new([Some(&s.id), Some(&s.email)]),
            person_id: s.person_id.as_deref().map(|p| interner.get(p)),
            packages: s.packages.iter().map(|p| interner.get(p)).collect(),
            package: s.package.as_deref().map(|p| interner.get(p)),
            status: interner.get(&s.status),
            hash,
        }
    }

    pub fn id(&self) -> &str {
        self.texts.get(0).unwrap_or_default()
    }

    pub fn email(&self) -> &str {
        self.texts.get(1).unwrap_or_default()
    }
}

/// An entry of the organisation's number list (`GET /telephony/config/numbers`): a number, an
/// extension, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveNumberEntry {
    /// Number, extension, and the owner's first and last names.
    texts: Texts<4>,
    pub main_number: bool,
    /// The name of its location.
    pub location: Option<Arc<str>>,
    /// Who it is assigned to: a person id or workspace id.
    pub owner: Option<Arc<str>>,
    pub hash: ContentHash,
}

impl LiveNumberEntry {
    pub fn from_wire(n: wire::PhoneNumber, interner: &mut Interner) -> LiveNumberEntry {
        let hash = ContentHash::of(&n);
        let owner = n.owner.as_ref();
        LiveNumberEntry {
            texts: Texts::new([
                n.phone_number.as_deref(),
                n.extension.as_deref(),
                owner.and_then(|o| o.first_name.as_deref()),
                owner.and_then(|o| o.last_name.as_deref()),
            ]),
            main_number: n.main_number,
            location: n.location.map(|l| interner.get(&l.name)),
            owner: owner.map(|o| interner.get(&o.id)),
            hash,
        }
    }

    pub fn phone_number(&self) -> Option<&str> {
        self.texts.get(0)
    }

    pub fn extension(&self) -> Option<&str> {
        self.texts.get(1)
    }

    /// The owner's first name, as the number list gives it.
    pub fn first_name(&self) -> Option<&str> {
        self.texts.get(2)
    }

    pub fn last_name(&self) -> Option<&str> {
        self.texts.get(3)
    }
}

/// A workspace (`GET /workspaces`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveWorkspace {
    pub id: Arc<str>,
    pub display_name: Box<str>,
    /// Its `locationId`, else the one of its calling settings.
    pub location_id: Option<Arc<str>>,
    pub capacity: Option<i64>,
    pub workspace_type: Option<Arc<str>>,
    /// Whether its calling is Webex Calling (`calling.type` `webexCalling`).
    pub webex_calling: bool,
    /// The licence ids of its Webex Calling settings, when answered.
    pub licenses: Option<Box<[Arc<str>]>>,
    pub hash: ContentHash,
}

impl LiveWorkspace {
    pub fn from_wire(w: wire::Workspace, interner: &mut Interner) -> LiveWorkspace {
        let hash = ContentHash::of(&w);
        let calling = w.calling.as_ref();
        let settings = calling.and_then(|c| c.webex_calling.as_ref());
        LiveWorkspace {
            id: interner.get(&w.id),
            display_name: w.display_name.into_boxed_str(),
            location_id: w
                .location_id
                .as_deref()
                .or_else(|| settings.and_then(|x| x.location_id.as_deref()))
                .map(|id| interner.get(id)),
            capacity: w.capacity,
            workspace_type: w.workspace_type.as_deref().map(|t| interner.get(t)),
            webex_calling: calling.is_some_and(|c| c.calling_type == "webexCalling"),
            licenses: settings
                .and_then(|x| x.licenses.as_ref())
                .map(|ids| ids.iter().map(|id| interner.get(id)).collect()),
            hash,
        }
    }
}

/// A device (`GET /devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDevice {
    /// Its id, and its MAC as answered (absent, or empty, for a device activated by code).
    texts: Texts<2>,
    pub person_id: Option<Arc<str>>,
    pub workspace_id: Option<Arc<str>>,
    /// The model.
    pub product: Option<Arc<str>>,
    /// The SIP password rotation its `telform-sip-rotation=<n>` tag records (0 without one).
    pub rotation: u32,
    pub hash: ContentHash,
}

impl LiveDevice {
    pub fn from_wire(d: wire::Device, interner: &mut Interner) -> LiveDevice {
        let hash = ContentHash::of(&d);
        LiveDevice {
            rotation: rotation_of(&d.tags),
            texts: Texts::new([Some(&d.id), d.mac.as_deref()]),
            person_id: d.person_id.as_deref().map(|p| interner.get(p)),
            workspace_id: d.workspace_id.as_deref().map(|w| interner.get(w)),
            product: d.product.as_deref().map(|p| interner.get(p)),
            hash,
        }
    }

    pub fn id(&self) -> &str {
        self.texts.get(0).unwrap_or_default()
    }

    pub fn mac(&self) -> Option<&str> {
        self.texts.get(1)
    }
}

/// The rotation a device's tags record: the first `telform-sip-rotation=<n>` tag that parses,
/// else 0.
pub fn rotation_of(tags: &[String]) -> u32 {
    tags.iter()
        .find_map(|t| t.strip_prefix(ROTATION_TAG)?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_absent_and_empty_strings_apart() {
        let t = Texts::new([Some("+33140000100"), None, Some(""), Some("Dupont")]);
        assert_eq!(
            (0..4).map(|i| t.get(i)).collect::<Vec<_>>(),
            [Some("+33140000100"), None, Some(""), Some("Dupont")]
        );
        let none = Texts::new([None, None]);
        assert_eq!((none.get(0), none.get(1)), (None, None));
        assert_eq!(
            format!("{t:?}"),
            r#"[Some("+33140000100"), None, Some(""), Some("Dupont")]"#
        );
    }

    #[test]
    fn a_device_keeps_what_the_plan_reads() {
        let mut interner = Interner::default();
        let d = LiveDevice::from_wire(
            wire::Device {
                id: "dev-1".into(),
                person_id: Some("person-1".into()),
                product: Some("Yealink T54W".into()),
                mac: Some("001a2b3c4d5e".into()),
                tags: vec![
                    "other".into(),
                    "telform-sip-rotation=x".into(),
                    "telform-sip-rotation=3".into(),
                ],
                ..Default::default()
            },
            &mut interner,
        );
        assert_eq!(d.rotation, 3);
        assert_eq!(d.mac(), Some("001a2b3c4d5e"));
        assert_eq!(d.id(), "dev-1");
        assert_eq!(d.person_id.as_deref(), Some("person-1"));
        let s = LiveSubscriber::from_wire(
            wire::Subscriber {
                person_id: Some("person-1".into()),
                ..Default::default()
            },
            &mut interner,
        );
        // One person id, shared.
        assert!(Arc::ptr_eq(
            d.person_id.as_ref().expect("person"),
            s.person_id.as_ref().expect("person")
        ));
    }
}
