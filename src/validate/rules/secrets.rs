//! Where SIP passwords may come from (docs/security.md). The manifests are written by whoever
//! opened the pull request, so a password source may not reach beyond what the operator
//! allows: `fromFile` stays inside the manifest folder, `fromEnv` names an allowed variable.

use std::path::Path;

use crate::diag::codes;
use crate::diag::diagnostic::Diagnostic;
use crate::manifest::confined::{self, NamedRefusal, Refusal};
use crate::manifest::settings::SecretPolicy;
use crate::manifest::{Kind, ManifestSet};

use super::at;

/// `root` is the manifest folder when there is one: a `fromFile` that exists there is also
/// checked on disk (a committed symlink that leads out of the folder, a FIFO).
pub(super) fn check(set: &ManifestSet, policy: &SecretPolicy, root: Option<&Path>, out: &mut Vec<Diagnostic>) {
    for d in &set.devices {
        let password = &d.spec.sip_password;
        if let Some(name) = &password.from_env
            && let Some(why) = policy.refuses(name)
        {
            let (place, object) = at(Kind::Device, d, "/spec/sipPassword/fromEnv");
            out.push(
                Diagnostic::error(
                    codes::SECRET_ENV_NOT_ALLOWED,
                    place,
                    format!("sipPassword.fromEnv may not name this variable: {why}"),
                )
                .object(object)
                .hint(format!(
                    "name a variable that matches {} (the operator's settings file sets the patterns: `sipPasswords.allowEnv`)",
                    policy.allowed().join(" or ")
                )),
            );
        }
        let Some(text) = &password.from_file else { continue };
        let refusal = match confined::relative(text) {
            Err(bad) => Some(NamedRefusal::Path(bad)),
            Ok(relative) => root.and_then(|root| {
                if let Some(refusal) = confined::link_on_the_way(root, &relative) {
                    return Some(NamedRefusal::Entry(refusal));
                }
                let path = root.join(relative);
                // Not there yet is fine: the vault writes it before apply.
                if std::fs::symlink_metadata(&path).is_err() {
                    return None;
                }
                match confined::check(root, &path) {
                    Ok(_) | Err(Refusal::Io(_)) => None,
                    Err(refusal) => Some(NamedRefusal::Entry(refusal)),
                }
            }),
        };
        if let Some(refusal) = refusal {
            let (place, object) = at(Kind::Device, d, "/spec/sipPassword/fromFile");
            out.push(
                Diagnostic::error(
                    codes::SECRET_FILE_OUTSIDE,
                    place,
                    format!("sipPassword.fromFile must name a regular file inside the manifest folder: {refusal}"),
                )
                .object(object)
                .hint("write a path relative to the manifest folder, without `..` (e.g. `secrets/desk.sip`), and let your vault write that file before apply"),
            );
        }
    }
}
