//! Webex for service providers: the JSON bodies of the operations telform uses, named as in the
//! official specs (`specs/webex/webex-wholesale.json`, `specs/webex/webex-device.json`; numbers
//! come from the cloud-calling spec, which is not copied here: see `docs/emulator-webex.md`).
//!
//! Fields a request must carry are plain values with `#[serde(default)]`: a client always sends
//! them, and a server (the emulator) reports a missing one as a 400 naming the field rather than
//! as a parse error. Optional fields are `Option`s, skipped when absent.
//!
//! One file per part of the API: `wholesale` (customers, subscribers), `calling` (locations,
//! numbers, workspaces), `devices`, `people` (people and roles, `specs/webex/webex-admin.json`);
//! re-exported here, so every type is `wire::webex::Name`.

use serde::{Deserialize, Serialize};

mod calling;
mod devices;
mod people;
mod wholesale;

pub use calling::*;
pub use devices::*;
pub use people::*;
pub use wholesale::*;

// ---------------------------------------------------------------------------------------------
// Errors

/// The error body of every Webex API: `{message, errors: [{errorCode?, description}], trackingId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub description: String,
}
