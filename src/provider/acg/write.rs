//! ACG writes: every one carries a `Repeatability-Request-ID`, kept across its retries, so
//! that a write whose answer was lost can be sent again without being applied twice (the
//! gateway answers a repeated id with the first answer).

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::{AcgClient, request_id};
use crate::model::ProviderName;
use crate::provider::http::{Attempt, ProviderError, RetryBudget, write_once};

/// A write's answer.
#[derive(Debug)]
pub struct Written {
    pub status: StatusCode,
    pub body: bytes::Bytes,
    pub etag: Option<String>,
}

/// A write that did not succeed.
#[derive(Debug)]
pub struct WriteFailure {
    pub error: ProviderError,
    /// An earlier attempt's outcome was unknown (its answer was lost): a 412 or 404 now may
    /// be that attempt's own doing, to be checked by reading the object.
    pub after_unknown: bool,
    /// Not sent at all: apply was interrupted while the write waited for the request budget.
    pub interrupted: bool,
}

impl From<ProviderError> for WriteFailure {
    fn from(error: ProviderError) -> WriteFailure {
        WriteFailure {
            error,
            after_unknown: false,
            interrupted: false,
        }
    }
}

/// Conditions and content of one write.
#[derive(Debug, Default, Clone)]
pub struct WriteRequest<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    /// `application/json` unless said (RFI patches are `application/merge-patch+json`).
    pub content_type: Option<&'static str>,
    /// Retries allowed.
    pub budget: RetryBudget,
    /// Ctrl-C: a first attempt still waiting for the request budget is not sent, and a wait
    /// before a retry is cut short (the retry is not sent).
    pub stop: Option<&'a crate::model::Stop>,
}

/// A body that cannot be encoded: a bug.
fn cannot_encode(operation: &str, error: &serde_json::Error) -> ProviderError {
    ProviderError {
        provider: ProviderName::Acg,
        operation: operation.to_string(),
        status: None,
        code: None,
        message: format!("cannot encode the request: {error}"),
        tracking_id: None,
        hint: "this is a bug in telform: please report it".into(),
    }
}

/// A write not sent at all: apply was interrupted.
fn interrupted(operation: &str) -> WriteFailure {
    WriteFailure {
        error: ProviderError {
            provider: ProviderName::Acg,
            operation: operation.to_string(),
            status: None,
            code: None,
            message: "not sent: apply was interrupted".into(),
            tracking_id: None,
            hint: "run `telform apply` again".into(),
        },
        after_unknown: false,
        interrupted: true,
    }
}

/// A write given up because apply was interrupted while it waited to retry. When no attempt
/// can have been applied (429s, connections refused) it counts as not sent; otherwise its
/// outcome is unknown, and the error says so.
fn not_sent_again(operation: &str, last: ProviderError, after_unknown: bool) -> WriteFailure {
    if !after_unknown {
        return interrupted(operation);
    }
    WriteFailure {
        error: ProviderError {
            message: format!(
                "{}; its outcome is unknown, and it was not sent again: apply was interrupted",
                last.message
            ),
            hint: "run `telform plan` to see whether it happened; apply again converges (the write is repeatable)"
                .into(),
            ..last
        },
        after_unknown,
        interrupted: false,
    }
}

impl AcgClient {
    /// Sends a write, retrying what is safe to retry within `budget`; `on_wait` hears about
    /// each wait (rate limits, retries) for the progress display.
    pub async fn write<B: Serialize>(
        &self,
        operation: &str,
        method: Method,
        url: &str,
        body: Option<&B>,
        conditions: WriteRequest<'_>,
        on_wait: &(dyn Fn(String) + Sync),
    ) -> Result<Written, WriteFailure> {
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| cannot_encode(operation, &e))?),
            None => None,
        };
        let repeatability = request_id();
        let mut first_sent: Option<String> = None;
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut after_unknown = false;
        loop {
            attempt += 1;
            let before = Instant::now();
            self.pace().await;
            let waited = before.elapsed();
            if waited > Duration::from_secs(1) {
                on_wait(format!("waited {} s for ACG's request budget", waited.as_secs()));
            }
            // Interrupted while waiting for the budget: the first attempt is not sent at all
            // (a retry still is: its first attempt may have been applied, and the repeatable
            // resend settles what happened).
            if attempt == 1 && conditions.stop.is_some_and(crate::model::Stop::requested) {
                return Err(interrupted(operation));
            }
            let first_sent = first_sent
                .get_or_insert_with(|| crate::clock::http_date(std::time::SystemTime::now()))
                .clone();
            let request = self
                .repeatable(
                    &method,
                    url,
                    (&repeatability, &first_sent),
                    &conditions,
                    body.as_deref(),
                )
                .await?;
            let (error, retry_after) = match write_once(ProviderName::Acg, &self.stats, operation, request).await {
                Attempt::Done { status, body, headers } => {
                    let etag = headers.get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
                    return Ok(Written { status, body, etag });
                }
                Attempt::Rejected { error } => {
                    return Err(WriteFailure {
                        error,
                        after_unknown,
                        interrupted: false,
                    });
                }
                // The same repeatability id makes a resend of an unknown outcome safe.
                Attempt::NotApplied { retry_after, error } => (error, retry_after),
                Attempt::Unknown { error } => {
                    after_unknown = true;
                    (error, None)
                }
            };
            let wait = conditions.budget.wait(attempt, retry_after.as_deref());
            if conditions.budget.gives_up(attempt, started, wait) {
                return Err(WriteFailure {
                    error,
                    after_unknown,
                    interrupted: false,
                });
            }
            self.stats.retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if wait > Duration::from_secs(1) {
                on_wait(format!("retrying {operation} in {} s", wait.as_secs()));
            }
            // Ctrl-C cuts the wait short, as the Webex writes' waits: the retry is not sent.
            if !conditions.budget.sleep(wait, conditions.stop).await {
                return Err(not_sent_again(operation, error, after_unknown));
            }
        }
    }

    /// One attempt of a write: the token, a fresh client request id, the repeatability id and
    /// first-sent date kept across attempts, the conditions and the body.
    async fn repeatable(
        &self,
        method: &Method,
        url: &str,
        (repeatability, first_sent): (&str, &str),
        conditions: &WriteRequest<'_>,
        body: Option<&[u8]>,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let token = self.token().await?;
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token.expose_secret())
            .header("x-ms-client-request-id", request_id())
            .header("repeatability-request-id", repeatability)
            .header("repeatability-first-sent", first_sent);
        if let Some(etag) = conditions.if_match {
            request = request.header("if-match", etag);
        }
        if let Some(etag) = conditions.if_none_match {
            request = request.header("if-none-match", etag);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", conditions.content_type.unwrap_or("application/json"))
                .body(body.to_vec());
        }
        Ok(request)
    }

    /// Reads one resource with its ETag (`None` when it does not exist).
    pub async fn get_with_etag(
        &self,
        operation: &str,
        url: &str,
    ) -> Result<Option<(serde_json::Value, Option<String>)>, ProviderError> {
        let token = self.token().await?;
        let result = crate::provider::http::read_json_paced(
            ProviderName::Acg,
            &self.stats,
            operation,
            || self.get(url, &token),
            || self.pace(),
        )
        .await;
        match result {
            Ok(read) => {
                let etag = read
                    .headers
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(Some((read.body, etag)))
            }
            Err(error) if error.status == Some(404) => Ok(None),
            Err(error) => Err(error),
        }
    }
}
