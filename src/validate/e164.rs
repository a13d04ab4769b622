//! E.164 telephone numbers: `+`, a country calling code, digits; at most 16 characters.

/// Country calling codes assigned by the ITU (ITU-T E.164, "List of ITU-T Recommendation
/// E.164 assigned country codes", including the international network codes 800, 808, 870,
/// 878, 881, 882, 883, 888). The set is prefix-free, which is what makes a number's code
/// unambiguous.
const COUNTRY_CODES: &[u16] = &[
    1, 7, //
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62,
    63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, //
    211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237,
    238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261,
    262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, //
    350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 379, 380, 381, 382,
    383, 385, 386, 387, 389, 420, 421, 423, //
    500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, //
    670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, //
    800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, //
    960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996,
    998,
];

/// The longest number ACG and the portals accept, `+` included.
pub const MAX_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum E164Error {
    /// Not `+` followed by digits only.
    Format,
    /// No assigned country calling code at the start.
    Country,
    /// A country calling code and nothing after it (`+1`).
    CountryCodeOnly,
    /// More than 16 characters.
    Length,
}

/// A valid E.164 number as an integer key: numbers of different lengths never compare equal,
/// so the key is (digit count, value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumberKey {
    pub digits: u8,
    pub value: u64,
}

impl NumberKey {
    /// Formats the key back as `+digits`.
    pub fn to_e164(self) -> String {
        format!("+{:0width$}", self.value, width = self.digits as usize)
    }
}

/// Checks a number and returns its key.
pub fn parse(number: &str) -> Result<NumberKey, E164Error> {
    let Some(digits) = number.strip_prefix('+') else {
        return Err(E164Error::Format);
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(E164Error::Format);
    }
    if number.len() > MAX_LEN {
        return Err(E164Error::Length);
    }
    if country_code(digits).is_none() {
        let is_code = !digits.starts_with('0')
            && digits.len() <= 3
            && digits
                .parse::<u16>()
                .is_ok_and(|c| COUNTRY_CODES.binary_search(&c).is_ok());
        return Err(if is_code {
            E164Error::CountryCodeOnly
        } else {
            E164Error::Country
        });
    }
    // Up to 15 digits: fits in a u64.
    let value = digits.parse::<u64>().map_err(|_| E164Error::Format)?;
    Ok(NumberKey {
        digits: digits.len() as u8,
        value,
    })
}

/// The country calling code that starts `digits`, if any.
pub fn country_code(digits: &str) -> Option<u16> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=3)
        .filter(|&n| digits.len() > n)
        .filter_map(|n| digits[..n].parse::<u16>().ok())
        .find(|code| COUNTRY_CODES.binary_search(code).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_and_prefix_free() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        for &a in COUNTRY_CODES {
            for &b in COUNTRY_CODES {
                if a != b {
                    assert!(!b.to_string().starts_with(&a.to_string()), "{a} is a prefix of {b}");
                }
            }
        }
    }

    #[test]
    fn accepts_and_rejects() {
        assert_eq!(parse("+14255550100").unwrap().to_e164(), "+14255550100");
        assert_eq!(parse("+33478000100").unwrap().digits, 11);
        assert_eq!(parse("14255550100"), Err(E164Error::Format));
        assert_eq!(parse("+1 425 555"), Err(E164Error::Format));
        assert_eq!(parse("+"), Err(E164Error::Format));
        assert_eq!(parse("+1"), Err(E164Error::CountryCodeOnly));
        assert_eq!(parse("+44"), Err(E164Error::CountryCodeOnly));
        assert_eq!(parse("+999"), Err(E164Error::Country));
        assert_eq!(parse("+99912345678"), Err(E164Error::Country));
        assert_eq!(parse("+0123456"), Err(E164Error::Country));
        assert_eq!(parse("+1425555010012345"), Err(E164Error::Length));
        assert_eq!(parse("+142555501001234").unwrap().digits, 15);
    }
}
