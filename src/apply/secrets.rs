//! SIP passwords at apply time.
//!
//! A plan never holds a password, only where it comes from (`fromEnv`, `fromFile`,
//! `generate`). Before the first write, apply resolves every password the plan will set, so a
//! missing variable or file stops the run while nothing has changed yet. Generated passwords
//! are written once, to the `--secrets-out` file (mode 0600, never overwritten), after the
//! provider accepted them; they never reach stdout or a log.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::manifest::confined;
use crate::manifest::settings::SecretPolicy;
use crate::model::plan::{Action, ObjectKind, Op, ProviderName, Reason};

/// A password file longer than this is not a password (and may be a device that never ends).
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

/// Where a password comes from, as the plan records it (`refs.sipPassword`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Env(String),
    File(String),
    Generate,
}

impl PasswordSource {
    pub fn from_refs(refs: &Value) -> Option<PasswordSource> {
        let p = refs.get("sipPassword")?;
        if let Some(name) = p["fromEnv"].as_str() {
            Some(PasswordSource::Env(name.to_string()))
        } else if let Some(path) = p["fromFile"].as_str() {
            Some(PasswordSource::File(path.to_string()))
        } else if p["generate"].as_bool() == Some(true) {
            Some(PasswordSource::Generate)
        } else {
            None
        }
    }
}

/// Whether an action sets a SIP password: a new device, a replaced one, or a rotation.
pub fn sets_password(action: &Action) -> bool {
    action.object.provider == ProviderName::Webex
        && action.object.kind == ObjectKind::Device
        && (matches!(action.op, Op::Create | Op::Replace) || action.reason == Some(Reason::PasswordReset))
}

/// How environment variables are read (the process environment; the demo's own).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// How `telform apply` is given a secrets file.
pub const KEEP_WITH_FLAG: &str = "pass --secrets-out FILE";

/// Where apply records the intent of a write that sets a generated password, before it is made,
/// and settles it once the password is in the secrets file: a run killed in between leaves an
/// unsettled intent, and the next run resets that device's password (docs/store.md). The
/// store's journal, given by `reconcile`.
pub trait PasswordJournal: Send + Sync {
    /// Before the write; an error stops it (nothing written). `kept_in`: the secrets file the
    /// password will be written to once set.
    fn intend(&self, customer: &str, mac: &str, kept_in: &Path) -> Result<i64, String>;
    /// After the password is kept.
    fn settle(&self, id: i64);
}

/// Passwords resolved before apply starts, by device (MAC).
pub struct Secrets {
    journal: Option<Box<dyn PasswordJournal>>,
    intents: Mutex<HashMap<String, i64>>,
    passwords: HashMap<String, SecretString>,
    generated: std::collections::HashSet<String>,
    out: Option<Mutex<(PathBuf, std::fs::File)>>,
    /// Whether a password went into `out`: a secrets file that received none is removed at the
    /// end, so that the next run may use the same name.
    kept: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("passwords", &self.passwords.len())
            .finish()
    }
}

/// A password that could not be resolved: which device, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretError {
    pub device: String,
    pub message: String,
    pub hint: String,
}

impl Secrets {
    /// No password needed (plans without device writes, and tests).
    pub fn none() -> Secrets {
        Secrets {
            journal: None,
            intents: Default::default(),
            passwords: HashMap::new(),
            generated: Default::default(),
            out: None,
            kept: Default::default(),
        }
    }

    /// Resolves every password the actions set. `base` is the manifest folder (`fromFile`
    /// paths are relative to it, and confined to it); `policy` says which variables `fromEnv`
    /// may name. `secrets_out` is where generated passwords go; it is created
    /// now (refusing an existing file), so that a run that cannot keep them never starts.
    pub fn resolve(
        actions: &[Action],
        base: &Path,
        env: EnvLookup,
        policy: &SecretPolicy,
        secrets_out: Option<&Path>,
    ) -> Result<Secrets, Vec<SecretError>> {
        Secrets::resolve_keeping(actions, base, env, policy, secrets_out, KEEP_WITH_FLAG)
    }

    /// [`Secrets::resolve`], where `how_to_keep` says how this command is given a secrets file
    /// (the hint when a generated password has nowhere to go).
    pub fn resolve_keeping(
        actions: &[Action],
        base: &Path,
        env: EnvLookup,
        policy: &SecretPolicy,
        secrets_out: Option<&Path>,
        how_to_keep: &str,
    ) -> Result<Secrets, Vec<SecretError>> {
        let mut passwords = HashMap::new();
        let mut generated = std::collections::HashSet::new();
        let mut errors = Vec::new();
        // Every source is checked again here, before anything is read: a saved plan is a file
        // someone could have edited.
        for action in actions.iter().filter(|a| sets_password(a)) {
            let device = action.object.key.clone();
            let refs = action.desired.as_ref().map(|d| &d["refs"]).unwrap_or(&Value::Null);
            let password = match PasswordSource::from_refs(refs) {
                Some(PasswordSource::Env(name)) => {
                    if let Some(why) = policy.refuses(&name) {
                        Err(SecretError {
                            device: device.clone(),
                            message: format!("the SIP password of device {device} may not come from ${name}: {why}"),
                            hint: format!("name a variable that matches {}", policy.allowed().join(" or ")),
                        })
                    } else {
                        match env(&name) {
                            Some(value) if !value.is_empty() => Ok(SecretString::from(value)),
                            _ => Err(SecretError {
                                device: device.clone(),
                                message: format!(
                                    "the SIP password of device {device} comes from ${name}, which is not set"
                                ),
                                hint: format!("export {name}=… before `telform apply` (from your vault)"),
                            }),
                        }
                    }
                }
                Some(PasswordSource::File(path)) => match confined::read_named(base, &path, MAX_PASSWORD_FILE_BYTES) {
                    Ok(Some(bytes)) => {
                        let text = String::from_utf8(bytes).unwrap_or_default();
                        let value = text.trim_end_matches(['\n', '\r']);
                        if value.is_empty() {
                            Err(SecretError {
                                device: device.clone(),
                                message: format!("the SIP password file {path} of device {device} is empty or not UTF-8"),
                                hint: "write the password on the file's first line, in UTF-8".into(),
                            })
                        } else {
                            Ok(SecretString::from(value.to_string()))
                        }
                    }
                    Ok(None) => Err(SecretError {
                        device: device.clone(),
                        message: format!("the SIP password file {path} of device {device} is longer than a password"),
                        hint: "write only the password in the file".into(),
                    }),
                    Err(refusal) => Err(SecretError {
                        device: device.clone(),
                        message: format!("cannot read the SIP password file {path} of device {device}: {refusal}"),
                        hint: "write the file from your vault before `telform apply`: a regular file inside the manifest folder, named by a relative path without `..`".into(),
                    }),
                },
                Some(PasswordSource::Generate) => {
                    if secrets_out.is_none() {
                        Err(SecretError {
                            device: device.clone(),
                            message: format!(
                                "device {device} gets a generated SIP password, and there is nowhere to keep it"
                            ),
                            hint: format!(
                                "{how_to_keep} (created with mode 0600) and store its content in your vault"
                            ),
                        })
                    } else {
                        generated.insert(device.clone());
                        generate_password().map_err(|message| SecretError {
                            device: device.clone(),
                            message,
                            hint: "the system's random source failed: retry".into(),
                        })
                    }
                }
                None => Err(SecretError {
                    device: device.clone(),
                    message: format!("the plan does not say where the SIP password of device {device} comes from"),
                    hint: "make the plan again with this version of telform".into(),
                }),
            };
            // A password from the vault is checked against the SIP password rules here, before
            // any write: the fix belongs in the vault, not the manifest (issue #13). Generated
            // passwords meet them by construction.
            let password = password.and_then(|p| match PasswordSource::from_refs(refs) {
                Some(PasswordSource::Generate) => Ok(p),
                source => match sip_password_problem(p.expose_secret()) {
                    None => Ok(p),
                    Some(why) => {
                        let (from, fix) = match source {
                            Some(PasswordSource::Env(name)) => (format!("${name}"), format!("the value of {name}")),
                            Some(PasswordSource::File(path)) => (path.clone(), format!("the file {path}")),
                            _ => ("its source".to_string(), "the password".to_string()),
                        };
                        Err(SecretError {
                            device: device.clone(),
                            message: format!(
                                "the SIP password of device {device} (from {from}) does not meet the SIP password rules: {why}"
                            ),
                            hint: format!(
                                "change {fix} in your vault to 8 to 128 characters without spaces; the manifest is right (the password is not shown)"
                            ),
                        })
                    }
                },
            });
            match password {
                Ok(p) => {
                    passwords.insert(device, p);
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let out = match (secrets_out, generated.is_empty()) {
            (Some(path), false) => Some(Mutex::new((
                path.to_path_buf(),
                create_secrets_file(path).map_err(|e| vec![e])?,
            ))),
            _ => None,
        };
        Ok(Secrets {
            journal: None,
            intents: Default::default(),
            passwords,
            generated,
            out,
            kept: Default::default(),
        })
    }

    /// Records generated passwords' writes in `journal` from now on.
    pub fn set_journal(&mut self, journal: Option<Box<dyn PasswordJournal>>) {
        self.journal = journal;
    }

    /// Called just before a write that sets the device's password: a generated one's intent
    /// is recorded first.
    pub fn intend(&self, customer: &str, mac: &str) -> Result<(), String> {
        let (Some(journal), Some(out)) = (&self.journal, &self.out) else {
            return Ok(());
        };
        if !self.generated.contains(mac) {
            return Ok(());
        }
        let file = out.lock().unwrap_or_else(|p| p.into_inner()).0.clone();
        let id = journal.intend(customer, mac, &file).map_err(|e| {
            format!(
                "the generated SIP password of device {mac} was not set: its intent cannot be recorded in the store's journal: {e}"
            )
        })?;
        self.intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(mac.to_string(), id);
        Ok(())
    }

    /// The password to set on a device.
    pub fn password(&self, mac: &str) -> Option<&SecretString> {
        self.passwords.get(mac)
    }

    /// Called once the provider accepted a device's password: a generated one is written to
    /// the secrets file. Returns a note for the result table (never the password).
    pub fn accepted(&self, customer: &str, mac: &str) -> Result<Option<String>, String> {
        if !self.generated.contains(mac) {
            return Ok(None);
        }
        let (Some(out), Some(password)) = (&self.out, self.passwords.get(mac)) else {
            return Ok(None);
        };
        let mut guard = out.lock().unwrap_or_else(|p| p.into_inner());
        let (path, file) = &mut *guard;
        writeln!(file, "{customer}\t{mac}\t{}", password.expose_secret())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("the password was set but cannot be written to {}: {e}", path.display()))?;
        self.kept.store(true, std::sync::atomic::Ordering::SeqCst);
        let note = format!("generated password written to {}", path.display());
        drop(guard);
        // Kept: the intent recorded before the write is settled.
        let intent = self.intents.lock().unwrap_or_else(|p| p.into_inner()).remove(mac);
        if let (Some(journal), Some(id)) = (&self.journal, intent) {
            journal.settle(id);
        }
        Ok(Some(note))
    }
}

impl Drop for Secrets {
    fn drop(&mut self) {
        if !self.kept.load(std::sync::atomic::Ordering::SeqCst)
            && let Some(out) = &self.out
        {
            let guard = out.lock().unwrap_or_else(|p| p.into_inner());
            let _ = std::fs::remove_file(&guard.0);
        }
    }
}

fn create_secrets_file(path: &Path) -> Result<std::fs::File, SecretError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|error| SecretError {
        device: String::new(),
        message: format!("cannot create the secrets file {}: {error}", path.display()),
        hint: if error.kind() == std::io::ErrorKind::AlreadyExists {
            "telform never overwrites a secrets file: move it into your vault, delete it, or name another".into()
        } else {
            "check the folder exists and is writable".into()
        },
    })?;
    let _ = writeln!(
        file,
        "# SIP passwords generated by telform apply: customer, MAC, password (tab-separated).\n# Store them in your vault, then delete this file."
    );
    Ok(file)
}

/// 24 characters from upper- and lower-case letters, digits and a few symbols Webex accepts,
/// with at least one of each class (about 140 bits).
/// What breaks the SIP password rules, if anything: 8 to 128 characters, no whitespace (the
/// rules the emulator applies; Webex adds the location's own). Never says the value.
pub fn sip_password_problem(value: &str) -> Option<&'static str> {
    let length = value.chars().count();
    if length < 8 {
        Some("it is shorter than 8 characters")
    } else if length > 128 {
        Some("it is longer than 128 characters")
    } else if value.chars().any(char::is_whitespace) {
        Some("it contains a space or other whitespace")
    } else {
        None
    }
}

fn generate_password() -> Result<SecretString, String> {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"-_.+!";
    let all: Vec<u8> = [LOWER, UPPER, DIGIT, SYMBOL].concat();
    loop {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(|e| format!("cannot generate a password: {e}"))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % all.len();
        if bytes.iter().any(|b| usize::from(*b) >= limit) {
            continue;
        }
        let text: String = bytes
            .iter()
            .map(|b| char::from(all[usize::from(*b) % all.len()]))
            .collect();
        let has = |class: &[u8]| text.bytes().any(|c| class.contains(&c));
        if has(LOWER) && has(UPPER) && has(DIGIT) && has(SYMBOL) {
            return Ok(SecretString::from(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::ObjectRef;
    use serde_json::json;

    fn device(mac: &str, password: Value) -> Action {
        Action {
            op: Op::Create,
            object: ObjectRef::new(ProviderName::Webex, ObjectKind::Device, mac, "C1"),
            source: None,
            changes: Vec::new(),
            reason: Some(Reason::PasswordReset),
            desired: Some(json!({"body": {}, "refs": {"sipPassword": password}})),
            number: None,
        }
    }

    #[test]
    fn generated_passwords_are_strong_and_differ() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.expose_secret().len(), 24);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(!a.expose_secret().contains(' '));
    }

    #[test]
    fn missing_sources_are_all_reported_before_any_write() {
        let dir = std::env::temp_dir().join(format!("telform-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let actions = vec![
            device("AA", json!({"fromEnv": "NOT_SET_ANYWHERE"})),
            device("BB", json!({"fromFile": "missing.sip"})),
            device("CC", json!({"generate": true})),
        ];
        let errors = Secrets::resolve(&actions, &dir, &|_| None, &SecretPolicy::default(), None).unwrap_err();
        let devices: Vec<&str> = errors.iter().map(|e| e.device.as_str()).collect();
        assert_eq!(devices, ["AA", "BB", "CC"]);
        assert!(errors[0].message.contains("$NOT_SET_ANYWHERE"));
        assert!(errors[2].hint.contains("--secrets-out"));
    }

    #[test]
    fn secrets_file_is_private_refuses_overwrite_and_holds_only_generated_passwords() {
        let dir = std::env::temp_dir().join(format!("telform-secrets-out-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("p.sip"), "from-file-Pw1\n").unwrap();
        let out = dir.join("secrets.tsv");
        let actions = vec![
            device("AA", json!({"generate": true})),
            device("BB", json!({"fromFile": "p.sip"})),
            device("DD", json!({"fromEnv": "DESK_SIP_PASSWORD"})),
        ];
        let env = |name: &str| (name == "DESK_SIP_PASSWORD").then(|| "env-Pw2-long".to_string());
        let secrets = Secrets::resolve(&actions, &dir, &env, &SecretPolicy::default(), Some(&out)).unwrap();
        assert_eq!(secrets.password("BB").unwrap().expose_secret(), "from-file-Pw1");
        assert_eq!(secrets.password("DD").unwrap().expose_secret(), "env-Pw2-long");
        assert!(secrets.accepted("C1", "BB").unwrap().is_none());
        assert!(secrets.accepted("C1", "AA").unwrap().is_some());
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(&format!("C1\tAA\t{}", secrets.password("AA").unwrap().expose_secret())));
        assert!(!text.contains("from-file-Pw1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = Secrets::resolve(&actions, &dir, &env, &SecretPolicy::default(), Some(&out)).unwrap_err();
        assert!(again[0].hint.contains("never overwrites"));
        drop(secrets);
        assert!(out.exists(), "a file holding a password is kept");

        // A run that set no generated password leaves no file behind.
        let unused = dir.join("unused.tsv");
        let secrets = Secrets::resolve(&actions, &dir, &env, &SecretPolicy::default(), Some(&unused)).unwrap();
        assert!(
            unused.exists(),
            "created before any write, so that a run that cannot keep passwords never starts"
        );
        drop(secrets);
        assert!(!unused.exists());
    }

    /// A saved plan is a file: one edited to name a credential or a file outside the folder is
    /// refused at apply too, and nothing of what it names is read.
    #[test]
    fn sources_a_saved_plan_could_be_edited_to_name_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("key"), "canary-outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("key"), dir.path().join("link.sip")).unwrap();
        let outside_key = outside.path().join("key").display().to_string();
        let actions = vec![
            device("AA", json!({"fromEnv": "TELFORM_ACG_CLIENT_SECRET"})),
            device("BB", json!({"fromFile": outside_key})),
            device("CC", json!({"fromFile": "../key"})),
            device("DD", json!({"fromFile": "link.sip"})),
        ];
        let read = std::cell::Cell::new(false);
        let env = |_: &str| {
            read.set(true);
            Some("canary-env".to_string())
        };
        let errors = Secrets::resolve(&actions, dir.path(), &env, &SecretPolicy::default(), None).unwrap_err();
        let devices: Vec<&str> = errors.iter().map(|e| e.device.as_str()).collect();
        assert_eq!(devices, ["AA", "BB", "CC", "DD"]);
        assert!(!read.get(), "a refused variable is not even read");
        assert!(errors[0].message.contains("credential"), "{}", errors[0].message);
        assert!(errors[1].message.contains("absolute"), "{}", errors[1].message);
        assert!(errors[2].message.contains(".."), "{}", errors[2].message);
        assert!(errors[3].message.contains("outside"), "{}", errors[3].message);
        for e in &errors {
            assert!(!e.message.contains("canary") && !e.hint.contains("canary"));
        }
    }
}
