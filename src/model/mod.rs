//! The ground floor of types that plan, apply and the providers share: no I/O, and no import
//! of `plan`, `provider`, `apply` or anything that joins them.
//!
//! What lives here, and why:
//! - [`plan`], the plan model (`Plan`, `Action`, `ObjectRef`, fingerprints; it was
//!   `plan::model`): the planner builds it, apply executes it, the commands show and save it.
//!   Moving it did not change the saved plan's JSON (same types, same serde attributes).
//! - [`ProviderName`]: every provider client names itself with it, and the plan model tags each
//!   object with it ([`plan`] re-exports it). Defined in the plan model it made every provider
//!   file import `plan`.
//! - [`Stop`], the cancel flag: apply starts nothing new once it is raised, and the provider
//!   clients read it inside their waits. Defined in `apply` it made the providers import apply.
//! - [`fingerprint_of`]: the hash a saved plan records for a live object without an ETag. Apply
//!   recomputes it, and the Webex live state has a streaming twin (`ContentHash`, in [`webex`])
//!   tested against it.
//! - [`acg`] and [`webex`]: the live state each provider client builds and the planner reads,
//!   with the keys both compare by (each module says what came from where).
//!
//! This layer may use `wire` (the providers' contracts) and the manifests' enums (`manifest`):
//! both are ground floors too, and neither imports `model`.
//!
//! - [`ObjectKind`]: the kind of every object of a plan, so that a kind is matched, never
//!   compared as a string (it serialises as the name it had as a string).

pub mod acg;
pub mod fields;
mod kind;
pub mod plan;
mod stop;
pub mod webex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use kind::ObjectKind;
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
