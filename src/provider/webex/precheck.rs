//! The prechecks a plan asks Webex (made by `crate::plan::webex::precheck`): `validateMacs` once
//! per organisation with every new MAC, and the wholesale customer and subscriber `validate`
//! endpoints once per new object, a few at a time. They change nothing: they are sent as
//! reads (retried the same way) and counted as reads and as prechecks.

use std::sync::atomic::Ordering;

use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde::Serialize;

use super::{CONCURRENCY, P, WebexClient, parse};
use crate::model::webex::mac_key;
use crate::model::webex::precheck::{MacCheck, Prechecks, Refusal};
use crate::provider::http::{ProviderError, read_json};
use crate::wire::webex as wire;

/// The statuses with which a precheck refuses what it was asked (the request is understood,
/// the object would not be accepted); any other failure means the precheck could not be made.
fn is_refusal(status: Option<u16>) -> bool {
    matches!(status, Some(400 | 409))
}

/// A precheck that could not be made stops the plan as a failed read does; refused to the
/// partner, it says what the prechecks need.
fn unavailable(error: ProviderError) -> ProviderError {
    if error.status == Some(403) {
        error.with_hint(FORBIDDEN_HINT)
    } else {
        error
    }
}

const FORBIDDEN_HINT: &str = "the plan asks Webex whether it would accept the objects it creates; if the partner organisation cannot call the prechecks (they need the wxc-wholesale entitlement or the webex-wholesale-partner-testing setting), ask your Cisco account team";

impl WebexClient {
    /// Asks every precheck of `checks`; the refusals, in the order asked.
    pub async fn precheck(&self, checks: &Prechecks) -> Result<Vec<Refusal>, ProviderError> {
        let mut refusals = Vec::new();
        for (org, macs) in &checks.macs {
            refusals.extend(self.validate_macs(org.as_deref(), macs).await?);
        }
        let customers: Vec<Option<Refusal>> = stream::iter(&checks.customers)
            .map(|(action, body)| {
                self.validate_one(
                    *action,
                    format!(
                        "precheck the customer {}",
                        body.external_id.as_deref().unwrap_or_default()
                    ),
                    "/wholesale/customers/validate",
                    body,
                )
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        let subscribers: Vec<Option<Refusal>> = stream::iter(&checks.subscribers)
            .map(|(action, body)| {
                self.validate_one(
                    *action,
                    format!("precheck the subscriber {}", body.email),
                    "/wholesale/subscribers/validate",
                    body,
                )
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        refusals.extend(customers.into_iter().chain(subscribers).flatten());
        Ok(refusals)
    }

    /// `POST /telephony/config/devices/actions/validateMacs/invoke` with every MAC of `macs`.
    async fn validate_macs(&self, org: Option<&str>, macs: &[MacCheck]) -> Result<Vec<Refusal>, ProviderError> {
        let query: Vec<(&str, String)> = org.map(|o| ("orgId", o.to_string())).into_iter().collect();
        let url = self.url("/telephony/config/devices/actions/validateMacs/invoke", &query);
        let body = wire::ValidateMacs {
            macs: macs.iter().map(|m| m.mac.clone()).collect(),
        };
        let operation = format!("validate the MACs of {} new device(s)", macs.len());
        self.stats.prechecks.fetch_add(1, Ordering::Relaxed);
        let read = read_json(P, &self.stats, &operation, || {
            self.request(Method::POST, &url).json(&body)
        })
        .await
        .map_err(unavailable)?;
        let answer: wire::ValidateMacsResponse = parse(&operation, read.body)?;
        Ok(mac_refusals(macs, &answer))
    }

    /// One wholesale precheck: `None` when it passes.
    async fn validate_one(
        &self,
        action: usize,
        operation: String,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Option<Refusal>, ProviderError> {
        let url = self.url(path, &[]);
        self.stats.prechecks.fetch_add(1, Ordering::Relaxed);
        match read_json(P, &self.stats, &operation, || {
            self.request(Method::POST, &url).json(body)
        })
        .await
        {
            Ok(_) => Ok(None),
            Err(error) if is_refusal(error.status) => Ok(Some(Refusal::Object {
                action,
                status: error.status,
                code: error.code,
                message: error.message,
            })),
            Err(error) => Err(unavailable(error)),
        }
    }
}

/// The refusals in one `validateMacs` answer to `asked`. The answer's entries are matched by
/// MAC (any notation), else by position.
pub fn mac_refusals(asked: &[MacCheck], answer: &wire::ValidateMacsResponse) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    for (i, status) in answer.mac_status.iter().enumerate() {
        if status.state == "AVAILABLE" {
            continue;
        }
        let key = mac_key(&status.mac);
        let Some(check) = asked.iter().find(|c| c.mac == key).or_else(|| asked.get(i)) else {
            continue;
        };
        refusals.push(Refusal::Mac {
            action: check.action,
            mac: check.mac.clone(),
            state: status.state.clone(),
            code: status.error_code,
            message: status.message.clone(),
        });
    }
    refusals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_mac_is_found_in_any_notation() {
        let asked = [
            MacCheck {
                mac: "001122334455".into(),
                action: 3,
            },
            MacCheck {
                mac: "805EC03A710C".into(),
                action: 7,
            },
        ];
        let answer = wire::ValidateMacsResponse {
            status: "ERRORS".into(),
            mac_status: vec![
                wire::MacStatus {
                    mac: "80:5e:c0:3a:71:0c".into(),
                    state: "UNAVAILABLE".into(),
                    error_code: Some(5675),
                    message: Some("MAC Address is in use".into()),
                },
                wire::MacStatus {
                    mac: "001122334455".into(),
                    state: "AVAILABLE".into(),
                    ..Default::default()
                },
            ],
        };
        assert_eq!(
            mac_refusals(&asked, &answer),
            [Refusal::Mac {
                action: 7,
                mac: "805EC03A710C".into(),
                state: "UNAVAILABLE".into(),
                code: Some(5675),
                message: Some("MAC Address is in use".into()),
            }]
        );
    }
}
