//! Field rules of the Webex APIs, as pure functions returning the 400 to send.

use super::http::Fail;
use crate::wire::webex as wire;

/// Customer packages that need `provisioningParameters.calling` (they bring Webex Calling).
pub(super) const CALLING_CUSTOMER_PACKAGES: &[&str] = &[
    "common_area_calling",
    "webex_calling",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
];

/// Subscriber packages that make a calling user (a number or an extension is then required).
pub(super) const CALLING_SUBSCRIBER_PACKAGES: &[&str] = &[
    "webex_calling",
    "webex_suite",
    "webex_voice",
    "cx_essentials",
    "webex_calling_standard",
    "attendant_console",
    "cx_premium_agent",
    "cx_standard_agent",
];

/// Package dependencies of the spec: the package needs at least one of the others.
const DEPENDENCIES: &[(&str, &[&str])] = &[
    (
        "cisco_calling_plan",
        &[
            "common_area_calling",
            "webex_calling",
            "webex_suite",
            "webex_voice",
            "cx_essentials",
            "webex_calling_standard",
        ],
    ),
    ("attendant_console", &["webex_calling", "webex_suite", "cx_essentials"]),
];

pub(super) fn required(value: &str, field: &str) -> Result<(), Fail> {
    if value.trim().is_empty() {
        Err(Fail::bad(format!("{field} is required")))
    } else {
        Ok(())
    }
}

pub(super) fn max_len(value: &str, max: usize, field: &str) -> Result<(), Fail> {
    let len = value.chars().count();
    if len > max {
        Err(Fail::bad(format!(
            "{field} has {len} characters; at most {max} are allowed"
        )))
    } else {
        Ok(())
    }
}

pub(super) fn country(value: &str, field: &str) -> Result<(), Fail> {
    required(value, field)?;
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Fail::bad(format!(
            "{field} `{value}` is not an ISO 3166 alpha-2 country code (e.g. FR)"
        )))
    }
}

/// `en`, `fr_FR`, `fr_fr`.
pub(super) fn language(value: &str, field: &str) -> Result<(), Fail> {
    let b = value.as_bytes();
    let ok = match b.len() {
        2 => b.iter().all(u8::is_ascii_alphabetic),
        5 => b[..2].iter().all(u8::is_ascii_alphabetic) && b[2] == b'_' && b[3..].iter().all(u8::is_ascii_alphabetic),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Fail::bad(format!(
            "{field} `{value}` is not a language code ({{ISO-639-1}} or {{ISO-639-1}}_{{ISO-3166}}, e.g. fr_FR)"
        )))
    }
}

/// An IANA zone (`Europe/Paris`) or `UTC`. The real list is Cisco's wholesale time-zone list;
/// the emulator checks the form only.
pub(super) fn timezone(value: &str, field: &str) -> Result<(), Fail> {
    required(value, field)?;
    let ok = value == "UTC"
        || (value.contains('/')
            && !value.starts_with('/')
            && !value.ends_with('/')
            && value.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(Fail::bad(format!(
            "{field} `{value}` is not a time zone (e.g. Europe/Paris)"
        )))
    }
}

pub(super) fn email(value: &str, field: &str) -> Result<(), Fail> {
    required(value, field)?;
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Fail::bad(format!("{field} `{value}` is not an email address")))
    }
}

/// E.164: `+`, then 2 to 15 digits, the first not 0.
pub(super) fn e164(value: &str, field: &str) -> Result<(), Fail> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(Fail::bad(format!(
            "{field} `{value}` is not an E.164 number (e.g. +33465710100)"
        )))
    }
}

/// 2 to 10 digits.
pub(super) fn extension(value: &str, field: &str) -> Result<(), Fail> {
    if (2..=10).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Fail::bad(format!(
            "{field} `{value}` is not an extension (2 to 10 digits)"
        )))
    }
}

/// Webex Calling names (first and last names of users, workspace names): at most 30
/// characters, none of `% # < > / \ "`.
pub(super) fn calling_name(value: &str, field: &str) -> Result<(), Fail> {
    max_len(value, 30, field)?;
    if let Some(c) = value.chars().find(|c| "%#<>/\\\"".contains(*c)) {
        return Err(Fail::bad(format!(
            "{field} must not contain `{c}` (none of % # < > / \\ \" are allowed)"
        )));
    }
    Ok(())
}

/// A wholesale address: line 1, city and country required, each line at most 50 characters.
pub(super) fn wholesale_address(address: Option<&wire::Address>, field: &str) -> Result<(), Fail> {
    let Some(a) = address else {
        return Err(Fail::bad(format!("{field} is required")));
    };
    required(&a.address_line1, &format!("{field}.addressLine1"))?;
    max_len(&a.address_line1, 50, &format!("{field}.addressLine1"))?;
    if let Some(line2) = &a.address_line2 {
        max_len(line2, 50, &format!("{field}.addressLine2"))?;
    }
    required(&a.city, &format!("{field}.city"))?;
    country(&a.country, &format!("{field}.country"))
}

/// Countries whose addresses have a state or province: the Locations API requires `state` for
/// them. The spec marks `state` required everywhere, but a French address has none; see
/// docs/emulator-webex.md.
const COUNTRIES_WITH_STATES: &[&str] = &["US", "CA", "AU", "BR", "MX", "IN"];

/// An address of the Locations API.
pub(super) fn location_address(address: Option<&wire::LocationAddress>) -> Result<(), Fail> {
    let Some(a) = address else {
        return Err(Fail::bad("address is required"));
    };
    required(&a.address1, "address.address1")?;
    required(&a.city, "address.city")?;
    country(&a.country, "address.country")?;
    if a.postal_code.as_deref().is_none_or(|p| p.trim().is_empty()) {
        return Err(Fail::bad("address.postalCode is required"));
    }
    if COUNTRIES_WITH_STATES.contains(&a.country.as_str()) && a.state.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(Fail::bad(format!(
            "address.state is required for an address in {}",
            a.country
        )));
    }
    Ok(())
}

/// The complete package list of a customer: known, no duplicates, dependencies met.
pub(super) fn customer_packages(packages: &[String]) -> Result<(), Fail> {
    if packages.is_empty() {
        return Err(Fail::bad(
            "packages is required (the complete list of the customer's packages)",
        ));
    }
    for (i, p) in packages.iter().enumerate() {
        if !wire::CUSTOMER_PACKAGES.contains(&p.as_str()) {
            return Err(Fail::bad(format!(
                "packages: `{p}` is not a wholesale customer package (one of {})",
                wire::CUSTOMER_PACKAGES.join(", ")
            )));
        }
        if packages[..i].contains(p) {
            return Err(Fail::bad(format!("packages: `{p}` is listed twice")));
        }
    }
    for (package, needs) in DEPENDENCIES {
        if packages.iter().any(|p| p == package) && !packages.iter().any(|p| needs.contains(&p.as_str())) {
            return Err(Fail::bad(format!(
                "packages: `{package}` depends on one of {}",
                needs.join(", ")
            )));
        }
    }
    Ok(())
}

pub(super) fn has_calling(packages: &[String]) -> bool {
    packages.iter().any(|p| CALLING_CUSTOMER_PACKAGES.contains(&p.as_str()))
}

/// The one package of a subscriber, from `packages` (one entry) or the legacy `package`.
pub(super) fn subscriber_package(
    package: Option<&String>,
    packages: Option<&Vec<String>>,
    required: bool,
) -> Result<Option<String>, Fail> {
    let chosen = match (package, packages) {
        (Some(_), Some(_)) => return Err(Fail::bad("give either packages or package, not both")),
        (None, None) if required => return Err(Fail::bad("packages is required (one subscriber package)")),
        (None, None) => return Ok(None),
        (Some(p), None) => p.clone(),
        (None, Some(list)) => match list.as_slice() {
            [one] => one.clone(),
            [] => return Err(Fail::bad("packages is empty: one subscriber package is required")),
            _ => return Err(Fail::bad("packages: only one package is accepted at present")),
        },
    };
    if chosen == "common_area_calling" {
        return Err(Fail::bad(
            "common_area_calling is a customer-level package (for common-area workspaces), not a subscriber package",
        ));
    }
    if !wire::SUBSCRIBER_PACKAGES.contains(&chosen.as_str()) {
        return Err(Fail::bad(format!(
            "`{chosen}` is not a wholesale subscriber package (one of {})",
            wire::SUBSCRIBER_PACKAGES.join(", ")
        )));
    }
    Ok(Some(chosen))
}

pub(super) fn is_calling_subscriber_package(package: &str) -> bool {
    CALLING_SUBSCRIBER_PACKAGES.contains(&package)
}

/// A MAC in any usual notation (`00:1A:2B:3C:4D:5E`, `00-1a-…`, `0c75.bd4e.2f19`, `001A2B…`)
/// as 12 upper-case hex digits.
pub(super) fn normalise_mac(mac: &str) -> Option<String> {
    let hex: String = mac
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    (hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// A SIP password as the emulator accepts it: 8 to 128 characters, no spaces. (Webex applies the
/// location's password rules; the emulator checks length only.) The value never appears in a
/// message.
pub(super) fn sip_password(value: &str, field: &str) -> Result<(), Fail> {
    let len = value.chars().count();
    if !(8..=128).contains(&len) || value.chars().any(char::is_whitespace) {
        return Err(Fail::bad(format!(
            "{field} does not meet the password rules (8 to 128 characters, no spaces)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        assert_eq!(normalise_mac("00:1a:2b:3c:4d:5e").as_deref(), Some("001A2B3C4D5E"));
        assert_eq!(normalise_mac("0c75.bd4e.2f19").as_deref(), Some("0C75BD4E2F19"));
        assert_eq!(normalise_mac("00-04-f2-9b-12-7e").as_deref(), Some("0004F29B127E"));
        assert_eq!(normalise_mac("0004F29B12"), None);
        assert_eq!(normalise_mac("0004F29B12ZZ"), None);
    }

    #[test]
    fn packages() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(customer_packages(&p(&["webex_calling", "attendant_console"])).is_ok());
        assert!(customer_packages(&p(&["webex_meetings", "attendant_console"])).is_err());
        assert!(customer_packages(&p(&["cisco_calling_plan"])).is_err());
        assert!(customer_packages(&p(&["common_area_calling", "cisco_calling_plan"])).is_ok());
        assert!(customer_packages(&p(&["webex_calling", "webex_calling"])).is_err());
        assert!(customer_packages(&p(&["nope"])).is_err());
        assert!(customer_packages(&[]).is_err());
    }

    #[test]
    fn fields() {
        assert!(e164("+33465710100", "n").is_ok());
        assert!(e164("33465710100", "n").is_err());
        assert!(e164("+0465710100", "n").is_err());
        assert!(extension("1100", "e").is_ok());
        assert!(extension("1", "e").is_err());
        assert!(calling_name("Salle Jupiter", "n").is_ok());
        assert!(calling_name("Salle #1", "n").is_err());
        assert!(calling_name(&"x".repeat(31), "n").is_err());
        assert!(language("fr_FR", "l").is_ok());
        assert!(language("fr", "l").is_ok());
        assert!(language("french", "l").is_err());
        assert!(timezone("Europe/Paris", "t").is_ok());
        assert!(timezone("Paris", "t").is_err());
        assert!(email("a@b.example", "e").is_ok());
        assert!(email("a@b", "e").is_err());
        assert!(sip_password("short", "p").is_err());
        assert!(sip_password("long-enough-1", "p").is_ok());
    }
}
