//! `telform init [DIR]`: a starter manifest repository that validates as written.
//!
//! Every manifest kind gets its own file with an example and comments on its fields. The
//! examples are live documents, not commented-out ones, because `telform validate` refuses a
//! file that holds no document (TF009) and a starter must pass it. They describe one fictional
//! customer, and each file says to change or delete it: nothing reaches a provider before a
//! pull request's plan is reviewed and merged (the workflow written alongside never applies a
//! direct push).
//!
//! Nothing existing is ever overwritten: when any file of the starter is already there, init
//! writes nothing and names them.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ExitStatus, InitArgs, print_err, print_out};
use crate::manifest::Kind;
use crate::validate::schema::all_schemas;

/// The workflow of a manifest repository: the very file docs/ci.md documents.
const WORKFLOW: &str = include_str!("../../.github/workflow-templates/telform.yml");

/// One file of the starter.
struct File {
    /// Relative to DIR, `/`-separated.
    path: String,
    text: String,
}

/// The folder and example of a kind. Exhaustive, so that a new kind cannot be left out.
fn example(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Account => ("acg", ACCOUNT),
        Kind::NumberSet => ("acg", NUMBER_SET),
        Kind::Consent => ("acg", CONSENT),
        Kind::Template => ("webex", TEMPLATE),
        Kind::Customer => ("webex", CUSTOMER),
        Kind::Location => ("webex", LOCATION),
        Kind::User => ("webex", USER),
        Kind::Workspace => ("webex", WORKSPACE),
        Kind::Device => ("webex", DEVICE),
    }
}

fn starter() -> Vec<File> {
    let mut files = vec![File {
        path: "telform.yaml".into(),
        text: SETTINGS.into(),
    }];
    for kind in Kind::ALL {
        let (folder, text) = example(kind);
        // `number-set.json` → `number-set.yaml`: the same name as the kind's schema.
        let name = kind.schema_file().replace(".json", ".yaml");
        files.push(File {
            path: format!("{folder}/{name}"),
            text: text.into(),
        });
    }
    // The schemas the files' `yaml-language-server` modelines point at, so that editors check
    // and complete as you type. Same bytes as `telform schema --write` (checked in tests).
    for (name, schema) in all_schemas() {
        files.push(File {
            path: format!("schemas/{name}"),
            text: serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n",
        });
    }
    files.push(File {
        path: ".github/workflows/telform.yml".into(),
        text: WORKFLOW.into(),
    });
    files
}

pub fn run(args: InitArgs) -> ExitStatus {
    let dir = args.dir;
    if dir.exists() && !dir.is_dir() {
        print_err(&format!(
            "error: {} exists and is not a folder\nhint: give `telform init` a new or empty folder, e.g. `telform init manifests`\n",
            dir.display()
        ));
        return ExitStatus::Failure;
    }
    let files = starter();
    // `symlink_metadata`: a dangling symlink is in the way too.
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|f| dir.join(&f.path))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        let mut text = format!(
            "error: telform init would overwrite {} existing file{}; nothing was written:\n",
            existing.len(),
            if existing.len() == 1 { "" } else { "s" }
        );
        for path in existing.iter().take(20) {
            text.push_str(&format!("  - {}\n", path.display()));
        }
        if existing.len() > 20 {
            text.push_str(&format!("  … and {} more\n", existing.len() - 20));
        }
        text.push_str(
            "hint: run `telform init` in a new folder (`telform init manifests`), or move these files away first\n",
        );
        print_err(&text);
        return ExitStatus::Failure;
    }
    let mut written = Vec::new();
    for file in &files {
        let path = dir.join(&file.path);
        if let Err(error) = write_new(&path, &file.text) {
            let mut text = format!("error: cannot write {}: {error}\n", path.display());
            if !written.is_empty() {
                text.push_str(&format!(
                    "{} file{} of the starter were written before this one; remove them before trying again\n",
                    written.len(),
                    if written.len() == 1 { "" } else { "s" }
                ));
            }
            text.push_str("hint: check that the folder is writable and has room\n");
            print_err(&text);
            return ExitStatus::Failure;
        }
        written.push(path);
    }
    match args.output {
        super::TextOrJson::Text => print_out(&summary(&dir, files.len())),
        super::TextOrJson::Json => print_out(&format!(
            "{}\n",
            serde_json::json!({
                "dir": dir.display().to_string(),
                "written": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            })
        )),
    }
    ExitStatus::Success
}

/// Creates `path` (and its folders); fails rather than replace a file that appeared since the
/// check (`create_new`).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(text.as_bytes())
}

fn summary(dir: &Path, count: usize) -> String {
    let shown = dir.display().to_string();
    let mut text = format!("wrote a starter manifest repository in {shown} ({count} files):\n");
    text.push_str("  telform.yaml                    settings: endpoints, credentials by environment variable\n");
    for kind in Kind::ALL {
        let (folder, _) = example(kind);
        let path = format!("{folder}/{}", kind.schema_file().replace(".json", ".yaml"));
        text.push_str(&format!("  {path:<31} an example {kind}\n"));
    }
    text.push_str("  schemas/                        JSON Schemas, for editors (yaml-language-server)\n");
    text.push_str("  .github/workflows/telform.yml   validate and plan on pull requests, apply on merge\n");
    text.push_str(&format!(
        "\nThe examples describe a fictional customer: change them or delete them.\n\
         next:\n  \
         telform validate {shown}\n  \
         in .github/workflows/telform.yml, replace `example-operator/telform@main` with your telform repository\n  \
         set the TELFORM_* repository secrets and open a pull request (docs/ci.md in the telform repository)\n"
    ));
    text
}

const SETTINGS: &str = r#"# yaml-language-server: $schema=schemas/settings.json
#
# Settings of this manifest repository: the harmless options only. Whoever opens a pull request
# can change this file, so it never says where the providers are, how to authenticate, or which
# variables hold passwords: telform refuses those here. They come from the environment where
# telform runs (TELFORM_ACG_URL, TELFORM_ACG_TENANT, TELFORM_ACG_CLIENT_ID,
# TELFORM_ACG_CLIENT_SECRET, TELFORM_WEBEX_TOKEN, ...: in CI, repository secrets, see
# .github/workflows/telform.yml) or from the operator's settings file outside this repository,
# named by --settings or TELFORM_SETTINGS (docs/security.md in the telform repository).
apiVersion: telform/v1

# acg:
#   # ACG allows 100 requests per minute shared by every caller: leave room for the portal.
#   # This file can only lower the operator's budget, never raise it.
#   requestsPerMinute: 90

apply:
  # A plan that would delete more than this fails: no mass deletion from one bad commit.
  maxDeletes: 50
"#;

const ACCOUNT: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Account: one enterprise customer on Azure Communications Gateway, and the services enabled
# for it. The name is the ACG account name (letters, digits, `_`, `-`). Fields: schemas/account.json.
#
# This is an example for a fictional customer: change it to a real one, or delete the file.
# Nothing is created until a pull request's plan has been reviewed and merged.
apiVersion: telform/v1
kind: Account
metadata:
  name: example-corp
  labels:
    region: amer
spec:
  # Your CRM's id for the customer, shown in the Azure portal.
  correlationId: CRM-0001
  # The customer's Microsoft Teams tenant: required with Operator Connect or Teams Phone Mobile.
  teamsTenantId: 3f2b8c1d-6e4a-4b9f-8d2c-7a1e5f9b0c34
  services:
    # sync: flow-through provisioning of the numbers to Operator Connect.
    operatorConnect: {enabled: true, sync: true}
  # Delete the account's numbers that no NumberSet declares (off: they are left alone).
  prune: false
  # Refuse any plan that deletes this account.
  protect: true
"#;

const NUMBER_SET: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# NumberSet: phone numbers of an account, as ranges and single numbers sharing defaults. Each
# number is E.164 and declared in exactly one place. Fields: schemas/number-set.json.
#
# Example (fictional numbers): change it, or delete the file.
apiVersion: telform/v1
kind: NumberSet
metadata:
  name: example-corp-apps
spec:
  account: example-corp
  service: operatorConnect
  defaults:
    # Application numbers (auto attendants, call queues) need no emergency address; `user`
    # numbers need civicAddressId and locationId (configured by the enterprise in Teams).
    usage: application
    capabilities: [inbound, outbound]
    countryCode: US
    customSipHeader: example-corp
  ranges:
    - {from: "+14255550100", to: "+14255550109"}
  numbers:
    - {number: "+14255550150", capabilities: [inbound]}
"#;

const CONSENT: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Consent: the operator's answer to an Operator Connect consent the enterprise gave in the Teams
# admin center. telform never creates or deletes a consent; it sets the relationship
# (`telform show consents` lists them). Fields: schemas/consent.json.
#
# Example: change it, or delete the file.
apiVersion: telform/v1
kind: Consent
metadata:
  name: example-corp
spec:
  tenantId: 3f2b8c1d-6e4a-4b9f-8d2c-7a1e5f9b0c34
  account: example-corp
  relationship: agreementSigned
  # Travels in the relationship comment (at most 64 characters).
  ticketId: CHG-0001
"#;

const TEMPLATE: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Template: a Webex onboarding template made in Partner Hub (no API creates one). Customers
# name it; it gives their provisioning id and defaults. It is data, never a change in a plan.
# Fields: schemas/template.json.
#
# Example: copy the values of your template from Partner Hub, or delete the file.
apiVersion: telform/v1
kind: Template
metadata:
  name: us-calling
spec:
  provisioningId: Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9leGFtcGxl
  country: US
  language: en_US
  subscription: Sub-000001
  authentication: webex
  calling:
    timezone: America/Los_Angeles
    language: en_us
"#;

const CUSTOMER: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Customer: a Webex Wholesale customer organisation, by its external id, with its packages and
# headquarters (its first calling location). Fields: schemas/customer.json.
#
# Example for a fictional customer: change it, or delete the file.
apiVersion: telform/v1
kind: Customer
metadata:
  name: example-corp
spec:
  template: us-calling
  externalId: EXAMPLE-0001
  companyName: Example Corp
  adminEmail: it-admin@example.com
  country: US
  # Your attestation that the headquarters is in a location Webex supports.
  supportedLocationVerified: true
  packages: [webex_calling, common_area_calling]
  headquarters:
    name: Seattle HQ
    address: {line1: 100 Example Avenue, city: Seattle, state: WA, postalCode: "98101", country: US}
    timezone: America/Los_Angeles
    language: en_us
  # Delete the customer's locations, users, workspaces and devices that no manifest declares.
  prune: false
  protect: true
"#;

const LOCATION: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Location: a calling location of a customer, and the numbers added to it.
# Fields: schemas/location.json.
#
# Example: change it, or delete the file.
apiVersion: telform/v1
kind: Location
metadata:
  name: example-corp-redmond
spec:
  customer: EXAMPLE-0001
  name: Redmond
  address: {line1: 1 Example Way, city: Redmond, state: WA, postalCode: "98052", country: US}
  timezone: America/Los_Angeles
  language: en_us
  announcementLanguage: en_us
  numbers: ["+12065550100", "+12065550101"]
"#;

const USER: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# User: a wholesale subscriber of a customer, by email, with one package. A calling package
# needs a phone number or an extension. Fields: schemas/user.json.
#
# Example: change it, or delete the file.
apiVersion: telform/v1
kind: User
metadata:
  name: example-corp-jdoe
spec:
  customer: EXAMPLE-0001
  email: jane.doe@example.com
  firstName: Jane
  lastName: Doe
  package: webex_calling
  location: Redmond
  phoneNumber: "+12065550100"
  extension: "1100"
"#;

const WORKSPACE: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Workspace: a room or a shared phone of a customer. A professional workspace takes up to 5
# devices, a common-area one exactly 1. Fields: schemas/workspace.json.
#
# Example: change it, or delete the file.
apiVersion: telform/v1
kind: Workspace
metadata:
  name: example-corp-lobby
spec:
  customer: EXAMPLE-0001
  name: Lobby
  roomType: open
  capacity: 4
  license: commonArea
  location: Redmond
  phoneNumber: "+12065550101"
  extension: "1800"
"#;

const DEVICE: &str = r#"# yaml-language-server: $schema=../schemas/document.json
#
# Device: a partner-managed SIP phone, by MAC address, owned by a user or a workspace. The
# model must be on Webex's supported-devices list (`telform plan` checks it). A SIP password
# is never written here: {fromEnv: VAR}, {fromFile: path} or {generate: true}.
# Fields: schemas/device.json.
#
# Example: change it, or delete the file.
apiVersion: telform/v1
kind: Device
metadata:
  name: example-corp-lobby-phone
spec:
  customer: EXAMPLE-0001
  mac: "00:1A:2B:3C:4D:5E"
  model: Cisco 8865
  owner: {workspace: Lobby}
  # telform makes a strong password at apply and writes it to the `--secrets-out` file.
  sipPassword: {generate: true}
"#;
