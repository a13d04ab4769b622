//! `plan --changed-since REF` (issue #15): a real Git repository, the real binary or the real
//! pipeline, the emulator over loopback. A scoped plan reads only its scope (counted calls), says
//! what it left out, makes exactly the deletions `prune` makes, and agrees with a full plan on
//! every object of its scope.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use telform::emulator::seed;
use telform::model::ProviderName;
use telform::model::plan::{Action, Op, PlanScope};
use telform::reconcile::{self, PlanOptions};

use super::{emulator_on_runtime, root, stdout};

const SIP_PASSWORDS: [(&str, &str); 2] = [
    ("ACME_JUPITER_TABLE_SIP_PASSWORD", "sip-secret-jupiter-7f3a"),
    ("ACME_CBERNARD_SIP_PASSWORD", "sip-secret-cbernard-9d1e"),
];

/// Accounts besides the examples' own, each with two number sets and `prune: true`.
const BRANCHES: usize = 30;

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(repo)
        .args([
            "-c",
            "user.email=ci@example.com",
            "-c",
            "user.name=CI",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn branch(i: usize) -> String {
    format!(
        r#"apiVersion: telform/v1
kind: Account
metadata: {{name: branch-{i:02}}}
spec:
  services:
    directRouting: {{enabled: true}}
  prune: true
---
apiVersion: telform/v1
kind: NumberSet
metadata: {{name: branch-{i:02}-main}}
spec:
  account: branch-{i:02}
  service: directRouting
  ranges:
    - {{from: "+4420712{i:02}100", to: "+4420712{i:02}104"}}
"#
    )
}

fn annex(i: usize) -> String {
    format!(
        r#"apiVersion: telform/v1
kind: NumberSet
metadata: {{name: branch-{i:02}-annex}}
spec:
  account: branch-{i:02}
  service: directRouting
  numbers:
    - {{number: "+4420712{i:02}200"}}
    - {{number: "+4420712{i:02}201"}}
"#
    )
}

/// A Git repository whose `manifests/` folder holds the examples and 30 branch accounts (one
/// file; branch-05's annex in a file of its own), its ACG side applied to the emulator, committed.
struct Estate {
    _runtime: tokio::runtime::Runtime,
    _emulator: telform::emulator::Emulator,
    env: Vec<(String, String)>,
    repo: tempfile::TempDir,
}

impl Estate {
    fn new() -> Estate {
        let (runtime, emulator, mut env) = emulator_on_runtime(seed::demo(), "");
        env.extend(SIP_PASSWORDS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let repo = tempfile::tempdir().expect("temp dir");
        let dir = repo.path().join("manifests");
        copy_dir(&root().join("examples/acg"), &dir.join("acg"));
        copy_dir(&root().join("examples/webex"), &dir.join("webex"));
        std::fs::copy(root().join("examples/telform.yaml"), dir.join("telform.yaml")).expect("copy");
        let docs: Vec<String> = (0..BRANCHES)
            .flat_map(|i| {
                let mut docs = vec![branch(i)];
                if i != 5 {
                    docs.push(annex(i));
                }
                docs
            })
            .collect();
        std::fs::write(dir.join("acg/branches.yaml"), docs.join("---\n")).expect("write");
        std::fs::write(dir.join("acg/annex-05.yaml"), annex(5)).expect("write");
        let estate = Estate {
            _runtime: runtime,
            _emulator: emulator,
            env,
            repo,
        };
        let applied = estate.telform(&["apply", "manifests/acg", "--auto-approve"]);
        assert_eq!(
            applied.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&applied.stderr)
        );
        git(estate.repo.path(), &["init", "-q"]);
        estate.commit("the estate");
        estate
    }

    fn dir(&self) -> PathBuf {
        self.repo.path().join("manifests")
    }

    fn commit(&self, message: &str) {
        git(self.repo.path(), &["add", "-A"]);
        git(self.repo.path(), &["commit", "-q", "--allow-empty", "-m", message]);
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.dir().join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} holds {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    fn telform(&self, args: &[&str]) -> Output {
        let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
        cmd.current_dir(self.repo.path()).env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.args(args).output().expect("runs")
    }

    /// Plans in process: the clients' call counts are there to read.
    fn plan(&self, changed_since: Option<&str>) -> reconcile::Planned {
        let env: std::collections::HashMap<String, String> = self.env.iter().cloned().collect();
        let lookup = |key: &str| env.get(key).cloned();
        let options = PlanOptions {
            dir: self.dir(),
            changed_since: changed_since.map(str::to_string),
            ..PlanOptions::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime
            .block_on(reconcile::plan_dir(
                &options,
                telform::provider::config::Trusted::env(&lookup),
            ))
            .unwrap_or_else(|failure| panic!("plan: {}", failure.text()))
    }
}

fn calls(planned: &reconcile::Planned) -> (u64, u64) {
    (
        planned.acg.as_ref().map_or(0, |c| c.calls()),
        planned.webex.as_ref().map_or(0, |c| c.calls()),
    )
}

fn in_scope(scope: &PlanScope, actions: &[Action]) -> Vec<Action> {
    actions.iter().filter(|a| scope.covers(&a.object)).cloned().collect()
}

/// The scoped plan agrees with the full one on every object of its scope, and has nothing else.
fn assert_same_within_scope(estate: &Estate, rev: &str) -> PlanScope {
    let scoped = estate.plan(Some(rev));
    let full = estate.plan(None);
    let scope = scoped.plan.scope.clone().expect("a scoped plan records its scope");
    assert_eq!(
        scoped.plan.actions,
        in_scope(&scope, &full.plan.actions),
        "scoped plan since {rev} ({scope:?}) differs from the full plan within its scope"
    );
    assert!(full.plan.scope.is_none());
    scope
}

#[test]
fn a_one_number_change_reads_one_account_and_no_webex() {
    let estate = Estate::new();
    estate.edit("acg/branches.yaml", "+442071207104\"}", "+442071207105\"}");
    estate.commit("one more number for branch-07");

    let scoped = estate.plan(Some("HEAD~1"));
    let full = estate.plan(None);
    let (acg, webex) = calls(&scoped);
    let (full_acg, full_webex) = calls(&full);
    // The account by name and its one page of numbers.
    assert!(acg <= 3, "scoped ACG calls: {acg}");
    assert!(acg < full_acg, "scoped {acg} vs full {full_acg} ACG calls");
    assert_eq!(webex, 0, "no Webex document changed");
    assert!(scoped.webex.is_none(), "no Webex client for a change that touches none");
    assert!(full_webex > 0, "the full plan reads Webex: {full_webex}");
    let scope = scoped.plan.scope.clone().expect("scope");
    assert_eq!(scope.accounts.iter().collect::<Vec<_>>(), ["branch-07"]);
    assert_eq!(scope.accounts_not_read, BRANCHES + 4 - 1);
    assert_eq!(scope.customers_not_read, 2);
    let numbers: Vec<(Op, &str)> = scoped
        .plan
        .actions
        .iter()
        .map(|a| (a.op, a.object.key.as_str()))
        .collect();
    assert_eq!(numbers, [(Op::Create, "+442071207105")]);

    // The binary says what it covered and what it did not, and counts the calls.
    let output = estate.telform(&["plan", "manifests", "--changed-since", "HEAD~1", "--stats"]);
    let text = stdout(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{text}\n{err}");
    assert!(
        text.contains(
            "Plan scoped to 1 account and 0 customers changed since HEAD~1; 33 accounts and 2 customers not read — a full plan checks them for drift."
        ),
        "{text}"
    );
    assert!(
        !text.contains("Unmanaged"),
        "nothing outside the scope is called unmanaged: {text}"
    );
    assert!(
        err.contains("API calls: ACG 2 reads, 0 writes") && !err.contains("Webex"),
        "{err}"
    );
    let markdown = stdout(&estate.telform(&["plan", "manifests", "--changed-since", "HEAD~1", "--output", "markdown"]));
    assert!(
        markdown.contains("_Plan scoped to 1 account and 0 customers changed since HEAD~1;"),
        "{markdown}"
    );
}

/// The folder's settings apply to every object: a change to them makes the plan a full one,
/// and the plan says so rather than looking scoped.
#[test]
fn a_settings_change_makes_a_full_plan_that_says_why() {
    let estate = Estate::new();
    let settings = estate.dir().join("telform.yaml");
    let text = std::fs::read_to_string(&settings).expect("read");
    std::fs::write(&settings, format!("# reviewed again\n{text}")).expect("write");
    estate.commit("a comment in the settings");

    let since = estate.plan(Some("HEAD~1"));
    let full = estate.plan(None);
    assert!(since.plan.scope.is_none(), "{:?}", since.plan.scope);
    assert_eq!(
        since.plan.in_full_because.as_deref(),
        Some("telform.yaml changed since HEAD~1, and its settings apply to every object")
    );
    assert_eq!(full.plan.in_full_because, None);
    assert_eq!(since.plan.actions, full.plan.actions);
    assert_eq!(calls(&since), calls(&full));

    let output = estate.telform(&["plan", "manifests", "--changed-since", "HEAD~1"]);
    let text = stdout(&output);
    assert!(
        text.contains("Plan in full: telform.yaml changed since HEAD~1, and its settings apply to every object."),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &estate
            .telform(&["plan", "manifests", "--changed-since", "HEAD~1", "--output", "json"])
            .stdout,
    )
    .expect("JSON");
    assert_eq!(
        json["in_full_because"],
        "telform.yaml changed since HEAD~1, and its settings apply to every object"
    );
}

#[test]
fn a_one_device_change_reads_no_acg() {
    let estate = Estate::new();
    estate.edit("webex/acme/devices.yaml", "model: Yealink T54W", "model: Yealink T57W");
    estate.commit("a new phone on the Jupiter table");

    let scoped = estate.plan(Some("HEAD~1"));
    let (acg, webex) = calls(&scoped);
    assert_eq!(acg, 0, "no ACG document changed");
    assert!(scoped.acg.is_none());
    // The customer's organisation is read for its company name too, and its full
    // administrators for its adminEmail (the roles, then one list).
    assert!((1..=18).contains(&webex), "scoped Webex calls: {webex}");
    let scope = scoped.plan.scope.clone().expect("scope");
    assert_eq!(scope.customers.iter().collect::<Vec<_>>(), ["ACME-0001"]);
    assert!(scope.accounts.is_empty());
    assert_same_within_scope(&estate, "HEAD~1");
}

#[test]
fn a_removed_number_set_under_prune_is_exactly_its_deletions() {
    let estate = Estate::new();
    // branch-03's annex out of a file that keeps the others; branch-05's whole file removed.
    let path = estate.dir().join("acg/branches.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text
        .split("---\n")
        .filter(|doc| !doc.contains("name: branch-03-annex"))
        .collect();
    std::fs::write(&path, kept.join("---\n")).expect("write");
    std::fs::remove_file(estate.dir().join("acg/annex-05.yaml")).expect("rm");
    estate.commit("two annexes closed");

    let scoped = estate.plan(Some("HEAD~1"));
    let scope = scoped.plan.scope.clone().expect("scope");
    assert_eq!(scope.accounts.iter().collect::<Vec<_>>(), ["branch-03", "branch-05"]);
    let mut deleted: Vec<&str> = scoped
        .plan
        .actions
        .iter()
        .map(|a| {
            assert_eq!(a.op, Op::Delete, "{a:?}");
            assert_eq!(a.object.provider, ProviderName::Acg);
            a.object.key.as_str()
        })
        .collect();
    deleted.sort_unstable();
    assert_eq!(
        deleted,
        ["+442071203200", "+442071203201", "+442071205200", "+442071205201"]
    );
    assert_same_within_scope(&estate, "HEAD~1");

    // A saved scoped plan records its scope and is applied re-reading only that scope.
    let saved = estate.repo.path().join("plan.json");
    let output = estate.telform(&[
        "plan",
        "manifests",
        "--changed-since",
        "HEAD~1",
        "-o",
        saved.to_str().expect("utf-8"),
        "--output",
        "json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("json");
    assert_eq!(
        json["origin"]["scope"]["accounts"],
        serde_json::json!(["branch-03", "branch-05"])
    );
    assert_eq!(json["scope"]["changed_since"], "HEAD~1");
    let applied = estate.telform(&["apply", saved.to_str().expect("utf-8"), "--auto-approve", "--stats"]);
    let err = String::from_utf8_lossy(&applied.stderr);
    assert_eq!(applied.status.code(), Some(0), "{}\n{err}", stdout(&applied));
    // Two accounts by name, each with its page of numbers; the deletions in one batch call.
    assert!(err.contains("API calls: ACG 4 reads"), "{err}");
    assert!(stdout(&applied).contains("4 deleted"), "{}", stdout(&applied));
    // Nothing is left to do, in scope or out.
    let again = estate.plan(None);
    assert!(
        !again.plan.actions.iter().any(|a| a.object.group.starts_with("branch-")),
        "{:?}",
        again.plan.actions
    );
}

#[test]
fn scoped_plans_equal_the_full_plan_within_their_scope_over_several_commits() {
    let estate = Estate::new();
    let steps: [(&str, &str, &str); 5] = [
        ("acg/branches.yaml", "+442071211100", "+442071211099"),
        (
            "acg/branches.yaml",
            "name: branch-12}\nspec:\n  services:\n    directRouting: {enabled: true}",
            "name: branch-12}\nspec:\n  services:\n    directRouting: {enabled: true, sync: true}",
        ),
        ("acg/tailspin.yaml", "+442079460000", "+442079460001"),
        ("webex/acme/devices.yaml", "model: Yealink T54W", "model: Yealink T57W"),
        (
            "webex/globex/customer.yaml",
            "apiVersion",
            "# a comment only\napiVersion",
        ),
    ];
    for (i, (file, from, to)) in steps.iter().enumerate() {
        estate.edit(file, from, to);
        estate.commit(&format!("step {i}"));
        let scope = assert_same_within_scope(&estate, "HEAD~1");
        if i == 4 {
            // A comment changes no document: an empty scope, nothing read.
            assert!(scope.accounts.is_empty() && scope.customers.is_empty(), "{scope:?}");
            let planned = estate.plan(Some("HEAD~1"));
            assert_eq!(calls(&planned), (0, 0));
        }
    }
    // Over every step at once.
    let scope = assert_same_within_scope(&estate, "HEAD~5");
    assert_eq!(
        scope.accounts.iter().collect::<Vec<_>>(),
        ["branch-11", "branch-12", "tailspin"]
    );
}

#[test]
fn an_unknown_revision_or_a_folder_outside_git_is_refused_clearly() {
    let estate = Estate::new();
    let output = estate.telform(&["plan", "manifests", "--changed-since", "origin/main"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("--changed-since origin/main: no such commit"), "{err}");
    assert!(
        err.contains("git fetch --no-tags --depth=1 origin main:refs/remotes/origin/main"),
        "{err}"
    );
    let output = estate.telform(&["plan", "manifests", "--changed-since=--output=/tmp/telform-hostile"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a Git revision"));

    let outside = tempfile::tempdir().expect("temp dir");
    copy_dir(&estate.dir().join("acg"), outside.path());
    let output = estate.telform(&[
        "plan",
        outside.path().to_str().expect("utf-8"),
        "--changed-since",
        "HEAD",
    ]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("is not in a Git work tree"), "{err}");
    assert!(stdout(&output).is_empty(), "nothing planned: {}", stdout(&output));
}

/// A manifest set with no ACG kind makes no ACG call, and one with no Webex kind none to Webex
/// (templates alone are not a reason to read Webex).
#[test]
fn reads_go_no_wider_than_the_manifests_without_changed_since() {
    let estate = Estate::new();
    let webex_only = estate.telform(&["plan", "manifests/webex", "--stats"]);
    let err = String::from_utf8_lossy(&webex_only.stderr);
    assert_eq!(webex_only.status.code(), Some(0), "{err}");
    assert!(err.contains("Webex") && !err.contains("ACG"), "{err}");
    let acg_only = estate.telform(&["plan", "manifests/acg", "--stats"]);
    let err = String::from_utf8_lossy(&acg_only.stderr);
    assert_eq!(acg_only.status.code(), Some(0), "{err}");
    assert!(err.contains("ACG") && !err.contains("Webex"), "{err}");
}

/// What the Git history holds is the repository's: a symlink at REF is not followed when the
/// old content of a removed file is read.
#[test]
fn a_symlink_at_the_revision_is_not_followed() {
    let estate = Estate::new();
    // Outside the manifest folder: an account document the symlink would bring in.
    std::fs::write(
        estate.repo.path().join("victim.yaml"),
        "apiVersion: telform/v1\nkind: Account\nmetadata: {name: victim}\nspec: {services: {}}\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("../../victim.yaml", estate.dir().join("acg/link.yaml")).expect("symlink");
    git(estate.repo.path(), &["add", "-A"]);
    git(estate.repo.path(), &["commit", "-q", "-m", "a symlink"]);
    std::fs::remove_file(estate.dir().join("acg/link.yaml")).expect("rm");
    estate.commit("the symlink removed");
    let scoped = estate.plan(Some("HEAD~1"));
    assert_eq!(calls(&scoped), (0, 0));
    let scope = scoped.plan.scope.expect("scope");
    assert!(scope.accounts.is_empty(), "{scope:?}");

    // The control: the same document as a regular file, removed, is read from the revision.
    std::fs::copy(
        estate.repo.path().join("victim.yaml"),
        estate.dir().join("acg/victim.yaml"),
    )
    .expect("copy");
    estate.commit("a regular file");
    std::fs::remove_file(estate.dir().join("acg/victim.yaml")).expect("rm");
    estate.commit("the regular file removed");
    let scope = estate.plan(Some("HEAD~1")).plan.scope.expect("scope");
    assert_eq!(scope.accounts.iter().collect::<Vec<_>>(), ["victim"]);
}

/// Ownership stays exact: a live number of a scoped account that an account outside the scope
/// declares is not pruned; the scope takes that account, as a full plan would see both.
#[test]
fn a_number_declared_by_an_account_outside_the_scope_is_not_pruned() {
    let estate = Estate::new();
    // The number moves in the manifests from branch-08 to branch-09; nothing is applied.
    estate.edit("acg/branches.yaml", "    - {number: \"+442071208200\"}\n", "");
    estate.edit(
        "acg/branches.yaml",
        "    - {number: \"+442071209201\"}\n",
        "    - {number: \"+442071209201\"}\n    - {number: \"+442071208200\"}\n",
    );
    estate.commit("a number moves");
    // Then only branch-08 changes.
    estate.edit("acg/branches.yaml", "+442071208104\"}", "+442071208105\"}");
    estate.commit("one more number for branch-08");

    let scope = assert_same_within_scope(&estate, "HEAD~1");
    assert_eq!(scope.accounts.iter().collect::<Vec<_>>(), ["branch-08", "branch-09"]);
    let scoped = estate.plan(Some("HEAD~1"));
    assert!(
        !scoped
            .plan
            .actions
            .iter()
            .any(|a| a.op == Op::Delete && a.object.key == "+442071208200"),
        "{:?}",
        scoped.plan.actions
    );
}

// ---- creation-only fields edited in a pull request (issue #13) --------------------------------

impl Estate {
    /// A Git repository whose `manifests/` folder holds the examples' templates and Acme's
    /// customer and locations, committed: applied to the emulator (`live`, the demo seed's
    /// Acme), or under an external id that Webex does not know (a customer to create).
    fn acme(live: bool) -> Estate {
        Estate::acme_with(live, &[])
    }

    /// [`Estate::acme`], with more files of `manifests/webex/` (path, text) applied too.
    fn acme_with(live: bool, more: &[(&str, String)]) -> Estate {
        let mut seed = seed::demo();
        seed.timing.webex_provisioning_delay = std::time::Duration::from_millis(100);
        let (runtime, emulator, env) = emulator_on_runtime(seed, "");
        let repo = tempfile::tempdir().expect("temp dir");
        let dir = repo.path().join("manifests/webex");
        std::fs::create_dir_all(dir.join("acme")).expect("mkdir");
        for file in ["templates.yaml", "acme/customer.yaml", "acme/locations.yaml"] {
            let text = std::fs::read_to_string(root().join("examples/webex").join(file)).expect("read");
            let text = if live {
                text
            } else {
                text.replace("ACME-0001", "ACME-0099")
            };
            std::fs::write(dir.join(file), text).expect("write");
        }
        for (file, text) in more {
            std::fs::write(dir.join(file), text).expect("write");
        }
        let estate = Estate {
            _runtime: runtime,
            _emulator: emulator,
            env,
            repo,
        };
        if live {
            // Where a generated SIP password goes: outside the repository.
            let secrets = tempfile::tempdir().expect("temp dir");
            let secrets_out = secrets.path().join("sip.tsv");
            let secrets_out = secrets_out.to_str().expect("path");
            let applied = estate.telform(&["apply", "manifests", "--auto-approve", "--secrets-out", secrets_out]);
            assert_eq!(
                applied.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&applied.stderr)
            );
        }
        git(estate.repo.path(), &["init", "-q"]);
        estate.commit("Acme");
        estate
    }

    /// The 1-based line and column of the first line of a manifest file that starts with
    /// `key:`.
    fn position(&self, file: &str, key: &str) -> (usize, usize) {
        let text = std::fs::read_to_string(self.dir().join(file)).expect("read");
        text.lines()
            .enumerate()
            .find_map(|(i, line)| {
                let content = line.trim_start();
                content
                    .starts_with(&format!("{key}:"))
                    .then_some((i + 1, line.len() - content.len() + 1))
            })
            .unwrap_or_else(|| panic!("{file} holds {key}"))
    }

    /// `plan manifests --changed-since HEAD~1`: its exit code, what it printed, and its JSON.
    fn plan_pull_request(&self) -> (Option<i32>, String, serde_json::Value) {
        let text = self.telform(&["plan", "manifests", "--changed-since", "HEAD~1"]);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&text.stdout),
            String::from_utf8_lossy(&text.stderr)
        );
        let json = self.telform(&["plan", "manifests", "--changed-since", "HEAD~1", "--output", "json"]);
        let json = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{printed}"));
        (text.status.code(), printed, json)
    }
}

/// The one error of a refused plan: it names `field`, old → new, and points at `file:line:col`.
fn assert_refused_at(
    estate: &Estate,
    (code, printed, json): (Option<i32>, String, serde_json::Value),
    file: &str,
    (line, col): (usize, usize),
    message: &str,
) {
    assert_eq!(code, Some(1), "a refused plan fails:\n{printed}");
    assert!(printed.contains(message), "expected {message:?}:\n{printed}");
    let at = format!("{file}:{line}:{col})");
    assert!(printed.contains(&at), "expected the error at {at}:\n{printed}");
    assert!(printed.contains("hint: to change it, change it in"), "{printed}");
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{printed}");
    assert_eq!(errors[0]["source"]["line"], line, "{printed}");
    assert_eq!(errors[0]["source"]["column"], col, "{printed}");
    // The full plan has no revision to compare with: it sees nothing (the reference says so).
    let full = estate.telform(&["plan", "manifests", "--detailed-exitcode"]);
    assert_eq!(
        full.status.code(),
        Some(0),
        "a full plan plans nothing:\n{}{}",
        stdout(&full),
        String::from_utf8_lossy(&full.stderr)
    );
    assert!(stdout(&full).contains("No changes"), "{}", stdout(&full));
}

#[test]
fn a_customer_template_edited_in_a_pull_request_is_refused_by_name() {
    let estate = Estate::acme(true);
    let file = "webex/acme/customer.yaml";
    estate.edit(file, "template: fr-smb-calling", "template: fr-enterprise-sso");
    estate.commit("Acme moves to the enterprise template");
    assert_refused_at(
        &estate,
        estate.plan_pull_request(),
        file,
        estate.position(file, "template"),
        "Customer ACME-0001: `template` changed since HEAD~1 (\"fr-smb-calling\" → \"fr-enterprise-sso\"), and the customer exists: the wholesale API takes it when the customer is provisioned and never returns it, so no apply can change it",
    );
}

#[test]
fn a_customer_language_edited_or_removed_in_a_pull_request_is_refused_by_name() {
    let estate = Estate::acme(true);
    let file = "webex/acme/customer.yaml";
    estate.edit(file, "  language: fr_FR", "  language: fr_BE");
    estate.commit("Acme in Belgian French");
    assert_refused_at(
        &estate,
        estate.plan_pull_request(),
        file,
        estate.position(file, "language"),
        "`language` changed since HEAD~1 (\"fr_FR\" → \"fr_BE\")",
    );
    // Taken away (the template's language would be used): refused too, at the `spec` that
    // held it.
    estate.edit(file, "  language: fr_BE\n", "");
    estate.commit("Acme in its template's language");
    assert_refused_at(
        &estate,
        estate.plan_pull_request(),
        file,
        estate.position(file, "spec"),
        "`language` changed since HEAD~1 (\"fr_BE\" → (none))",
    );
}

#[test]
fn a_location_announcement_language_edited_in_a_pull_request_is_refused_by_name() {
    let estate = Estate::acme(true);
    let file = "webex/acme/locations.yaml";
    estate.edit(file, "announcementLanguage: fr_fr", "announcementLanguage: en_us");
    estate.commit("Lyon announces in English");
    assert_refused_at(
        &estate,
        estate.plan_pull_request(),
        file,
        estate.position(file, "announcementLanguage"),
        "Location Lyon in ACME-0001: `announcementLanguage` changed since HEAD~1 (\"fr_fr\" → \"en_us\"), and the location exists: Webex takes it when the location is created, and its location API never returns it",
    );
}

#[test]
fn a_creation_only_edit_of_a_customer_the_plan_creates_is_not_refused() {
    let estate = Estate::acme(false);
    estate.edit(
        "webex/acme/customer.yaml",
        "template: fr-smb-calling",
        "template: fr-enterprise-sso",
    );
    estate.edit(
        "webex/acme/locations.yaml",
        "announcementLanguage: fr_fr",
        "announcementLanguage: en_us",
    );
    estate.commit("Acme, before it exists, moves to the enterprise template");
    let (code, printed, json) = estate.plan_pull_request();
    assert_eq!(code, Some(0), "{printed}");
    assert_eq!(json["errors"].as_array().map_or(0, Vec::len), 0, "{printed}");
    // Created with what the manifest says now.
    assert!(printed.contains("fr-enterprise-sso"), "{printed}");
    assert!(printed.contains("en_us"), "{printed}");
}

/// A settings change makes the plan a full one, but the revision is still there to compare with.
#[test]
fn a_creation_only_edit_beside_a_settings_change_is_refused_in_the_full_plan() {
    let estate = Estate::acme(true);
    std::fs::copy(root().join("examples/telform.yaml"), estate.dir().join("telform.yaml")).expect("copy");
    estate.edit(
        "webex/acme/customer.yaml",
        "template: fr-smb-calling",
        "template: fr-enterprise-sso",
    );
    estate.commit("settings, and Acme moves to the enterprise template");
    let (code, printed, json) = estate.plan_pull_request();
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        json["in_full_because"]
            .as_str()
            .is_some_and(|s| s.contains("telform.yaml")),
        "{printed}"
    );
    assert!(printed.contains("`template` changed since HEAD~1"), "{printed}");
}

/// Jeanne's desk phone alone (Acme's users with it), its password generated.
fn jeanne_phone() -> [(&'static str, String); 2] {
    let users = std::fs::read_to_string(root().join("examples/webex/acme/users.yaml")).expect("read");
    let phone = "apiVersion: telform/v1\nkind: Device\nmetadata: {name: acme-jdupont-phone}\nspec:\n  customer: ACME-0001\n  mac: \"805EC03A7210\"\n  model: Yealink T54W\n  owner: {user: jeanne.dupont@acme.example}\n  sipPassword: {generate: true, rotation: 1}\n";
    [("acme/users.yaml", users), ("acme/devices.yaml", phone.to_string())]
}

#[test]
fn a_sip_password_source_changed_alone_in_a_pull_request_is_refused_by_name() {
    let estate = Estate::acme_with(true, &jeanne_phone());
    let file = "webex/acme/devices.yaml";
    estate.edit(
        file,
        "sipPassword: {generate: true, rotation: 1}",
        "sipPassword: {fromEnv: JEANNE_SIP_PASSWORD, rotation: 1}",
    );
    estate.commit("Jeanne's password from the vault");
    let (code, printed, json) = estate.plan_pull_request();
    assert_eq!(code, Some(1), "a refused plan fails:\n{printed}");
    let (line, col) = estate.position(file, "sipPassword");
    assert!(
        printed.contains(
            "Device 805EC03A7210 in ACME-0001: the source of `sipPassword` changed since HEAD~1 but its `rotation` did not"
        ),
        "{printed}"
    );
    assert!(printed.contains(&format!("{file}:{line}:{col})")), "{printed}");
    assert!(printed.contains("bump `sipPassword.rotation`"), "{printed}");
    assert!(
        !printed.contains("JEANNE_SIP_PASSWORD") && !printed.contains("generate"),
        "no source is shown: {printed}"
    );
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{printed}");
    assert_eq!(errors[0]["object"]["kind"], "Device", "{printed}");

    // The rotation bumped with it: the plan resets the password from the new source.
    estate.edit(file, "rotation: 1}", "rotation: 2}");
    estate.commit("and set it");
    let text = estate.telform(&["plan", "manifests", "--changed-since", "HEAD~2"]);
    let printed = format!("{}{}", stdout(&text), String::from_utf8_lossy(&text.stderr));
    assert_eq!(text.status.code(), Some(0), "{printed}");
    assert!(printed.contains("805EC03A7210"), "the password is reset:\n{printed}");
}
