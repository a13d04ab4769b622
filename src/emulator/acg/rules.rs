//! The contract's patterns for names in paths and bodies: account names, telephone numbers,
//! GUIDs, and the character classes of subdomains, tokens and custom SIP headers.

use axum::response::Response;

use super::http::bad_request;

pub(super) fn check_account_name(name: &str) -> Result<(), Response> {
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(bad_request(
            "InvalidAccountName",
            format!("account name `{name}` must be 1-100 characters of letters, digits, _ and -"),
        ))
    }
}

pub(super) fn check_telephone_number(number: &str) -> Result<(), Response> {
    let digits = number.strip_prefix('+').unwrap_or("");
    let ok = number.len() <= 16
        && digits.len() >= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(bad_request(
            "InvalidTelephoneNumber",
            format!("`{number}` must match ^\\+[1-9]\\d+$ and have at most 16 characters"),
        ))
    }
}

pub(super) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(super) fn pattern_ok(s: &str, max: usize, extra: &[u8]) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}
