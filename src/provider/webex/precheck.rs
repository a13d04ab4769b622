//! The prechecks a plan asks Webex (see `crate::plan::webex::precheck`): `validateMacs` once
//! per organisation with every new MAC, and the wholesale customer and subscriber `validate`
//! endpoints once per new object, a few at a time. They change nothing: they are sent as
//! reads (retried the same way) and counted as reads and as prechecks.

use std::sync::atomic::Ordering;

use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde::Serialize;

use super::{CONCURRENCY, P, WebexClient, parse};
use crate::plan::webex::precheck::{MacCheck, Prechecks, Refusal, mac_refusals};
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
