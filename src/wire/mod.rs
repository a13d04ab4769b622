//! Wire types: the providers' JSON bodies, exactly as their official specs name them. Shared by
//! the provider clients and the emulator (which speak the same contract from both ends); no
//! logic lives here.

pub mod acg;
pub mod webex;

/// Percent-encodes a path segment or query value: everything but RFC 3986's unreserved
/// characters. ACG needs the `+` of an E.164 number sent as `%2B`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
