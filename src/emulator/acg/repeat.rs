//! Repeatable requests (OASIS Repeatable Requests 1.0, as Azure documents them for
//! Communication Services: <https://learn.microsoft.com/rest/api/communication/repeatable-requests>).
//!
//! A write may carry `Repeatability-Request-ID` and `Repeatability-First-Sent`. The emulator
//! tracks them for [`RETENTION_MS`] and answers, as that table does:
//!
//! | id | first sent | result | status |
//! |---|---|---|---|
//! | missing, empty or malformed | any | rejected | 400 |
//! | valid | missing or not an IMF-fixdate | rejected | 400 |
//! | valid | before the tracked window | rejected | 412 |
//! | new | within the window | accepted | the operation's |
//! | known, another request | within the window | rejected | 400 |
//! | known, the same request | within the window | accepted | the first answer, replayed |
//!
//! "The same request" is the same method, path, query and body (a fingerprint of them), so
//! an id reused by mistake for another operation can never return someone else's answer.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

use super::http::error;

/// How long a repeatability id is remembered, and how old a First-Sent may be: five minutes,
/// the tracked duration Azure documents.
pub const RETENTION_MS: u64 = 5 * 60 * 1000;

/// How far in the future a First-Sent may be (the client's clock runs ahead): beyond it the
/// date cannot be the time the request was first sent.
const CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// The longest id accepted. The swagger calls it an opaque string; Azure's services use GUIDs
/// (36 characters), so 128 leaves room for any sane client and refuses garbage.
const MAX_ID: usize = 128;

/// A write's valid repeatability headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    pub id: String,
    pub first_sent_ms: u64,
}

/// A rejected repeatable request: 400 (bad headers, another request under a known id) or 412
/// (first sent before the tracked window), with `Repeatability-Result: rejected`.
pub fn rejected(status: StatusCode, code: &str, message: &str) -> Response {
    let mut response = error(status, code, message);
    response
        .headers_mut()
        .insert("repeatability-result", axum::http::HeaderValue::from_static("rejected"));
    response
}

/// Reads the repeatability headers of a write. `Ok(None)`: the request is not repeatable.
pub fn headers(headers: &HeaderMap, now_ms: u64) -> Result<Option<Repeat>, Response> {
    let id = headers.get("repeatability-request-id");
    let first_sent = headers.get("repeatability-first-sent");
    if id.is_none() && first_sent.is_none() {
        return Ok(None);
    }
    let bad = |message: &str| rejected(StatusCode::BAD_REQUEST, "InvalidRepeatabilityHeaders", message);
    let Some(id) = id else {
        return Err(bad(
            "Repeatability-First-Sent was sent without Repeatability-Request-ID: send both or neither",
        ));
    };
    let id = id.to_str().unwrap_or("");
    if id.is_empty() || id.len() > MAX_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(&format!(
            "Repeatability-Request-ID must be 1-{MAX_ID} visible ASCII characters (a GUID, typically)"
        )));
    }
    let Some(first_sent) = first_sent else {
        return Err(bad(
            "Repeatability-Request-ID was sent without Repeatability-First-Sent (an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`)",
        ));
    };
    let Some(first_sent_ms) = first_sent.to_str().ok().and_then(parse_http_date).map(|s| s * 1000) else {
        return Err(bad(
            "Repeatability-First-Sent is not an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`",
        ));
    };
    if first_sent_ms > now_ms + CLOCK_SKEW_MS {
        return Err(bad(
            "Repeatability-First-Sent is in the future: check the client's clock",
        ));
    }
    if first_sent_ms + RETENTION_MS < now_ms {
        return Err(rejected(
            StatusCode::PRECONDITION_FAILED,
            "RepeatabilityExpired",
            "Repeatability-First-Sent is older than the 5 minutes requests are tracked: the request may already have been applied and cannot be repeated safely",
        ));
    }
    Ok(Some(Repeat {
        id: id.to_string(),
        first_sent_ms,
    }))
}

/// A fingerprint of what makes two requests the same: method, path, query and body (FNV-1a,
/// 64 bits; stable across builds, since fingerprints are kept in the state file).
pub fn fingerprint(method: &Method, uri: &Uri, body: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts: [&[u8]; 3] = [
        method.as_str().as_bytes(),
        uri.path_and_query().map_or("", |p| p.as_str()).as_bytes(),
        body,
    ];
    for part in parts {
        for &byte in part.iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Seconds since the epoch of an RFC 9110 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// format the swagger names (`date-time-rfc7231`). The obsolete RFC 850 and asctime forms are
/// refused: a client that sends them is not following the contract.
pub fn parse_http_date(text: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = text.as_bytes();
    if b.len() != 29 || &text[3..5] != ", " || &text[25..] != " GMT" {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u64> {
        let s = text.get(range)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| text.get(8..11) == Some(*m))? as u64 + 1;
    let year = num(12..16)?;
    let (hour, minute, second) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if [b[7], b[11], b[16]] != [b' '; 3] || b[19] != b':' || b[22] != b':' {
        return None;
    }
    if !(1970..=9999).contains(&year) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant), then a round trip through the formatter: it refuses
    // 31 February and a weekday that does not match the date.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    let again = crate::clock::http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs));
    (again == text || second == 60).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imf_fixdates_are_read_and_anything_else_refused() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Fri, 21 Nov 2025 08:00:00 GMT"), Some(1_763_712_000));
        assert_eq!(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"), Some(951_782_400));
        for bad in [
            "",
            "Sat, 21 Nov 2025 08:00:00 GMT", // wrong weekday
            "Fri, 31 Feb 2025 08:00:00 GMT",
            "Fri, 21 Nov 2025 24:00:00 GMT",
            "Fri, 21 Nov 2025 08:00:00 UTC",
            "Friday, 21-Nov-25 08:00:00 GMT",
            "Fri Nov 21 08:00:00 2025",
            "2025-11-21T08:00:00Z",
            "Fri, 21 Nov 2025 08:00:00 GMT ",
            "Fri, +1 Nov 2025 08:00:00 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    fn with(id: Option<&str>, sent: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(id) = id {
            h.insert("repeatability-request-id", id.parse().unwrap());
        }
        if let Some(sent) = sent {
            h.insert("repeatability-first-sent", sent.parse().unwrap());
        }
        h
    }

    #[test]
    fn headers_follow_the_documented_table() {
        let now = 1_763_712_000_000 + 60_000; // a minute after 08:00:00
        let sent = "Fri, 21 Nov 2025 08:00:00 GMT";
        let id = "5a6b7c8d-0000-4000-8000-000000000001";
        assert_eq!(headers(&with(None, None), now).ok(), Some(None));
        assert_eq!(
            headers(&with(Some(id), Some(sent)), now).ok().flatten(),
            Some(Repeat {
                id: id.into(),
                first_sent_ms: 1_763_712_000_000
            })
        );
        let status = |h: HeaderMap, now| headers(&h, now).err().map(|r| r.status());
        assert_eq!(status(with(Some(""), Some(sent)), now), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            status(with(Some("a b"), Some(sent)), now),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(status(with(Some(id), None), now), Some(StatusCode::BAD_REQUEST));
        assert_eq!(status(with(None, Some(sent)), now), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            status(with(Some(id), Some("yesterday")), now),
            Some(StatusCode::BAD_REQUEST)
        );
        // Six minutes later the request is no longer tracked: 412.
        assert_eq!(
            status(with(Some(id), Some(sent)), now + 5 * 60_000),
            Some(StatusCode::PRECONDITION_FAILED)
        );
        // Ten minutes ahead of the server's clock.
        assert_eq!(
            status(with(Some(id), Some(sent)), now - 11 * 60_000),
            Some(StatusCode::BAD_REQUEST)
        );
        let rejected = headers(&with(Some(""), Some(sent)), now).unwrap_err();
        assert_eq!(rejected.headers()["repeatability-result"], "rejected");
    }

    #[test]
    fn fingerprints_tell_requests_apart() {
        let uri: Uri = "/accounts/a?api-version=x".parse().unwrap();
        let other: Uri = "/accounts/b?api-version=x".parse().unwrap();
        let f = fingerprint(&Method::PUT, &uri, b"{}");
        assert_eq!(f, fingerprint(&Method::PUT, &uri, b"{}"));
        assert_ne!(f, fingerprint(&Method::DELETE, &uri, b"{}"));
        assert_ne!(f, fingerprint(&Method::PUT, &other, b"{}"));
        assert_ne!(f, fingerprint(&Method::PUT, &uri, b"{ }"));
    }
}
