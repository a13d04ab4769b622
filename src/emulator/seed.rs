//! The seed: what the operator does not create but the providers hold (consents, civic
//! addresses, supported devices, licences, credentials) and any brownfield objects. YAML or
//! JSON; documented in docs/emulator.md. `examples/emulator/seed.json` is the built-in demo seed.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{acg, webex};
use crate::manifest::yaml::{self, Limits};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub acg: acg::Seed,
    #[serde(default)]
    pub webex: webex::Seed,
    #[serde(default)]
    pub timing: Timing,
}

/// Delays of the providers' asynchronous work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timing {
    /// ACG: how long a sync-enabled account or number stays `pending` before `synced`.
    #[serde(with = "duration_text")]
    pub acg_sync_delay: Duration,
    /// Webex: how long a new customer stays `provisioning` before `provisioned`.
    #[serde(with = "duration_text")]
    pub webex_provisioning_delay: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            acg_sync_delay: Duration::from_secs(2),
            webex_provisioning_delay: Duration::from_secs(2),
        }
    }
}

/// Durations written as `500ms`, `2s`, `5m`.
mod duration_text {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}ms", d.as_millis()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        crate::emulator::faults::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Reads a seed file (YAML or JSON).
pub fn load(path: &Path) -> Result<Seed, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<Seed, String> {
    let parsed = yaml::parse(text, Limits::default(), false);
    if let Some(error) = parsed.errors.first() {
        return Err(format!(
            "line {}:{}: {}",
            error.span.start.line, error.span.start.col, error.message
        ));
    }
    let value = parsed.docs.into_iter().next().map(|d| d.value).unwrap_or_default();
    let value = if value.is_null() { serde_json::json!({}) } else { value };
    serde_json::from_value(value).map_err(|e| format!("not a valid seed: {e} (see docs/emulator.md)"))
}

/// The built-in seed: serves the README demo (`examples/`) with one full-rights ACG client and
/// one full-scope Webex token.
pub fn demo() -> Seed {
    parse(include_str!("../../examples/emulator/seed.json")).expect("the demo seed is valid (tested)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_seed_parses() {
        let seed = super::demo();
        assert!(!seed.acg.clients.is_empty());
        assert!(!seed.webex.tokens.is_empty());
    }
}
