//! What kind of object an action acts on.

use serde::{Deserialize, Serialize};

/// The kind of a live or desired object, as the plan names it. Unlike the manifests' kinds
/// (`manifest::Kind`) it has `Number` (one number of a NumberSet, or a Webex location's number)
/// and no `NumberSet` or `Template` (they are never written to a provider as such).
///
/// The variants are declared in alphabetical order on purpose: the plan sorts objects by
/// kind, and it sorted them by these names when kinds were strings (the test below holds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectKind {
    Account,
    Consent,
    Customer,
    Device,
    Location,
    Number,
    User,
    Workspace,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 8] = [
        ObjectKind::Account,
        ObjectKind::Consent,
        ObjectKind::Customer,
        ObjectKind::Device,
        ObjectKind::Location,
        ObjectKind::Number,
        ObjectKind::User,
        ObjectKind::Workspace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Account => "Account",
            ObjectKind::Consent => "Consent",
            ObjectKind::Customer => "Customer",
            ObjectKind::Device => "Device",
            ObjectKind::Location => "Location",
            ObjectKind::Number => "Number",
            ObjectKind::User => "User",
            ObjectKind::Workspace => "Workspace",
        }
    }

    /// An account or a customer: the objects others are grouped under.
    pub fn is_parent(self) -> bool {
        matches!(self, ObjectKind::Account | ObjectKind::Customer)
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ObjectKind {
    type Err = ();

    /// Exact names only, as a saved plan and `--target` write them.
    fn from_str(text: &str) -> Result<ObjectKind, ()> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::ObjectKind;

    #[test]
    fn kinds_sort_as_their_names_did() {
        let mut by_name = ObjectKind::ALL;
        by_name.sort_by_key(|k| k.as_str());
        assert_eq!(by_name, ObjectKind::ALL);
        let mut by_order = ObjectKind::ALL;
        by_order.reverse();
        by_order.sort();
        assert_eq!(by_order, ObjectKind::ALL);
    }

    #[test]
    fn a_kind_round_trips_through_its_name_and_json() {
        for kind in ObjectKind::ALL {
            assert_eq!(kind.as_str().parse::<ObjectKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        assert!("NumberSet".parse::<ObjectKind>().is_err());
        assert!("device".parse::<ObjectKind>().is_err());
    }
}
