//! The one Webex pager: every list read walks its pages here, the planner's full lists and
//! apply's lookups by natural key alike.
//!
//! What differs between callers is passed in, not written again: how a page is fetched (the
//! reads of a plan retry on their own; apply's go through the rate-limit gate and answer a
//! 404 with `None`), how its items are found in the body ([`list_items`] or [`lookup_items`],
//! which tell a malformed page apart as they always did), and what is done with each item
//! (kept, or matched until one is found).

use std::collections::HashMap;
use std::ops::ControlFlow;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{P, WebexClient};
use crate::provider::http::{ProviderError, not_json};

/// How a list is paged when no `Link` header leads on (a `Link` `rel="next"` is always
/// followed as given).
#[derive(Debug, Clone, Copy)]
pub enum Paging {
    /// Only `Link` leads on (the endpoints that declare it); no link is the last page.
    Link,
    /// `param` (`offset` or `start`) counts the items already read. With `trusted`, the size
    /// asked is within the endpoint's limit, so a short page is the last one; otherwise a short
    /// page may be the server's silent cap (Webex silently caps `max`), and the list ends on an
    /// empty page or one shorter than an earlier one.
    Offset { param: &'static str, trusted: bool },
}

/// Finds the raw items of a page in its body (`items` names the key they are under).
pub type Decode = for<'b> fn(&str, &str, &'b [u8]) -> Result<Vec<&'b RawValue>, ProviderError>;

/// One list to walk.
pub struct List<'a> {
    /// What telform is doing, for errors: "list the devices of customer ACME-0001".
    pub operation: &'a str,
    pub path: &'a str,
    pub query: Vec<(&'a str, String)>,
    /// The key of the items in a page's body.
    pub items: &'a str,
    /// `max` asked of every page (`None`: the endpoint takes none).
    pub max: Option<usize>,
    pub paging: Paging,
}

/// Reads page after page of `list`, handing each item to `each` until it breaks (its value is
/// returned) or the list ends (`None`). `fetch` reads one page (`None` ends the list).
pub async fn walk<B>(
    client: &WebexClient,
    list: &List<'_>,
    fetch: impl AsyncFn(&str) -> Result<Option<(Bytes, HeaderMap)>, ProviderError>,
    decode: Decode,
    mut each: impl FnMut(&RawValue) -> Result<ControlFlow<B>, ProviderError>,
) -> Result<Option<B>, ProviderError> {
    let mut query = list.query.clone();
    if let Some(max) = list.max {
        query.push(("max", max.to_string()));
    }
    let mut url = client.url(list.path, &query);
    let (mut offset, mut longest) = (0usize, 0usize);
    let mut previous_first: Option<Value> = None;
    loop {
        let Some((bytes, headers)) = fetch(&url).await? else {
            return Ok(None);
        };
        let page = decode(list.operation, list.items, &bytes)?;
        // A server that ignores the offset would serve the same page for ever.
        let first: Option<Value> = page.first().and_then(|raw| serde_json::from_str(raw.get()).ok());
        if first.is_some() && first == previous_first {
            return Err(ProviderError {
                provider: P,
                operation: list.operation.to_string(),
                status: None,
                code: None,
                message: "the same page came back twice: paging does not advance".into(),
                tracking_id: None,
                hint: "check that TELFORM_WEBEX_URL points at the Webex API (https://webexapis.com/v1)".into(),
            });
        }
        previous_first = first;
        let n = page.len();
        for raw in page {
            if let ControlFlow::Break(found) = each(raw)? {
                return Ok(Some(found));
            }
        }
        if let Some(next) = next_link(&headers) {
            url = next;
            continue;
        }
        let Paging::Offset { param, trusted } = list.paging else {
            return Ok(None);
        };
        let short = list.max.is_some_and(|max| n < max);
        if n == 0 || (short && (trusted || n < longest)) {
            return Ok(None);
        }
        longest = longest.max(n);
        offset += n;
        let mut next = query.clone();
        next.push((param, offset.to_string()));
        url = client.url(list.path, &next);
    }
}

/// The items of a page of a plan's list read: nothing for an empty body, a missing or `null`
/// key, or a body that is not an object (as a JSON tree would give); a value that is not a
/// list is told as parsing the tree tells it.
pub fn list_items<'b>(operation: &str, items: &str, body: &'b [u8]) -> Result<Vec<&'b RawValue>, ProviderError> {
    match page_items(body, items).map_err(|e| not_json(P, operation, &e))? {
        None => Ok(Vec::new()),
        Some(raw) if raw.get() == "null" => Ok(Vec::new()),
        Some(raw) => match serde_json::from_str(raw.get()) {
            Ok(page) => Ok(page),
            Err(e) => Err(super::parse_raw::<Vec<Value>>(operation, raw)
                .err()
                .unwrap_or_else(|| super::unexpected(operation, &e))),
        },
    }
}

/// The items of a page of a lookup: the body must be an object whose `items` (if any) is a
/// list.
pub fn lookup_items<'b>(operation: &str, items: &str, body: &'b [u8]) -> Result<Vec<&'b RawValue>, ProviderError> {
    /// Any list answer: its items.
    #[derive(serde::Deserialize)]
    struct Items<'a> {
        #[serde(default, borrow)]
        items: Vec<&'a RawValue>,
    }
    debug_assert_eq!(items, "items", "lookups read `items`");
    let page: Items<'b> = serde_json::from_slice(body).map_err(|e| not_json(P, operation, &e))?;
    Ok(page.items)
}

/// The raw items of a list page: the value under `items` when the body is an object (`None`
/// for an empty body, an object without it, or another JSON value, as a JSON tree would give).
pub(super) fn page_items<'a>(body: &'a [u8], items: &str) -> Result<Option<&'a RawValue>, serde_json::Error> {
    if body.is_empty() {
        return Ok(None);
    }
    match serde_json::from_slice::<HashMap<String, &RawValue>>(body) {
        Ok(mut fields) => Ok(fields.remove(items)),
        Err(error) => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            // JSON, but not an object.
            Ok(_) => Ok(None),
            Err(_) => Err(error),
        },
    }
}

/// The `rel="next"` target of `Link` headers (`<url>; rel="next", <url>; rel="prev"`).
pub(super) fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>').map(|c| open + c) else {
                break;
            };
            let url = &rest[open + 1..close];
            let params_end = rest[close..].find('<').map_or(rest.len(), |n| close + n);
            let params = rest[close + 1..params_end].to_ascii_lowercase();
            let is_next = params
                .split(';')
                .map(|p| p.trim().trim_end_matches(',').trim())
                .any(|p| p == "rel=\"next\"" || p == "rel=next");
            if is_next && !url.is_empty() {
                return Some(url.to_string());
            }
            rest = &rest[params_end..];
        }
    }
    None
}
