//! The ground floor of types that plan, apply and the providers share: no I/O, and no import
//! of `plan`, `provider`, `apply` or anything that joins them.
//!
//! What lives here, and why:
//! - [`ProviderName`]: every provider client names itself with it, and the plan model
//!   (`plan::model`, which re-exports it) tags each object with it. Defined in the plan model
//!   it made every provider file import `plan`.
//! - [`Stop`], the cancel flag: apply sets nothing new going once it is raised, and the provider
//!   clients read it inside their waits. Defined in `apply` it made the providers import apply.
//! - [`fingerprint_of`]: the hash a saved plan records for a live object without an ETag. Apply
//!   recomputes it, and the Webex live state has a streaming twin
//!   (`ContentHash`, with the Webex live state) tested against it.
//!
//! The plan model itself (`Plan`, `Action`, `ObjectRef`) still lives in `plan::model` in this
//! step; it moves here when its payloads are typed, together with an `ObjectKind` enum in place
//! of the kind strings (the saved plan's format is unchanged until then).

pub mod acg;
mod stop;
pub mod webex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use stop::Stop;

/// The two providers telform writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Acg,
    Webex,
}

impl ProviderName {
    pub fn title(self) -> &'static str {
        match self {
            ProviderName::Acg => "Azure Communications Gateway",
            ProviderName::Webex => "Webex",
        }
    }
}

/// A content hash of a live object, for objects without an ETag (FNV-1a over its JSON: the
/// maps are sorted, so the same object always gives the same hash).
pub fn fingerprint_of(value: &Value) -> String {
    let text = value.to_string();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("fnv:{hash:016x}")
}
