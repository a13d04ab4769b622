//! Names import makes from live data: manifest names, and the file and folder names under
//! `--out`.
//!
//! Live data is not trusted: an account name or a customer's external id may have been chosen
//! by anyone who could create one (`../../x`, a control character, a thousand characters). A
//! path component made here holds only `[A-Za-z0-9_.-]`, never starts with a dot, is at most
//! 64 characters and never `.` or `..`; when the live value had to be changed to get there, a
//! short hash of it is appended so that two different values never share a file.

use std::collections::BTreeSet;

/// The longest path component made from live data.
const MAX_COMPONENT: usize = 64;

/// FNV-1a: a stable short hash of a live value, for names that had to be changed.
fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h as u32)
}

/// `s` with every character outside `[A-Za-z0-9_.-]` turned into `-`, runs of `-` and `.`
/// collapsed, and no dot or dash at either end.
fn tidy(s: &str, lower: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' {
            if lower { c.to_ascii_lowercase() } else { c }
        } else if c == '.' {
            '.'
        } else {
            '-'
        };
        let last = out.chars().last();
        if (c == '-' || c == '.') && matches!(last, Some('-') | Some('.')) {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(|c| c == '-' || c == '.').to_string()
}

/// A file or folder name for a live value (an account name, an external id), safe under any
/// folder: see the module's documentation.
pub fn component(live: &str) -> String {
    let mut name = tidy(live, false);
    let changed = name != live || name.len() > MAX_COMPONENT;
    if name.len() > MAX_COMPONENT - 9 {
        name.truncate(MAX_COMPONENT - 9);
        name = name.trim_end_matches(['-', '.']).to_string();
    }
    if changed || name.is_empty() {
        if name.is_empty() {
            name = "x".to_string();
        }
        name = format!("{name}-{}", short_hash(live));
    }
    name
}

/// A `metadata.name` (`^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$`, at most 100) for a live
/// value, lower-case; `fallback` when nothing of the value is left.
pub fn manifest_name(live: &str, fallback: &str) -> String {
    let mut name = tidy(live, true);
    name = name.trim_start_matches('_').to_string();
    if name.len() > 80 {
        name.truncate(80);
    }
    let name = name.trim_end_matches(['-', '.']).to_string();
    if name.is_empty() { fallback.to_string() } else { name }
}

/// Names already taken in one namespace (a kind, or a kind within a customer).
#[derive(Debug, Default, Clone)]
pub struct Taken(BTreeSet<String>);

impl Taken {
    pub fn new(names: impl IntoIterator<Item = String>) -> Taken {
        Taken(names.into_iter().collect())
    }

    /// `base`, or `base-2`, `base-3`… the first one not taken; it is taken from now on.
    pub fn claim(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.0.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.0.insert(name.clone());
        name
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_make_harmless_components() {
        for hostile in [
            "../../x",
            "..",
            ".",
            "",
            "/etc/passwd",
            "a/../../b",
            "x\u{0}y",
            "\u{1b}[31mred",
            "C:\\Windows",
            ".hidden",
            &"a".repeat(500),
        ] {
            let c = component(hostile);
            assert!(!c.is_empty() && c.len() <= MAX_COMPONENT, "{hostile:?} -> {c:?}");
            assert!(
                !c.starts_with('.') && c != ".." && !c.contains('/'),
                "{hostile:?} -> {c:?}"
            );
            assert!(
                c.chars().all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch)),
                "{hostile:?} -> {c:?}"
            );
        }
        assert_eq!(component("contoso"), "contoso");
        assert_eq!(component("ACME-0001"), "ACME-0001");
        assert_ne!(component("a/b"), component("a-b"));
    }

    #[test]
    fn manifest_names_follow_the_schema() {
        assert_eq!(manifest_name("Salle Jupiter", "w"), "salle-jupiter");
        assert_eq!(
            manifest_name("jeanne.dupont@acme.example", "u"),
            "jeanne.dupont-acme.example"
        );
        assert_eq!(manifest_name("%%%", "fallback"), "fallback");
        let mut taken = Taken::new(["a".to_string()]);
        assert_eq!(taken.claim("a"), "a-2");
        assert_eq!(taken.claim("a"), "a-3");
    }
}
