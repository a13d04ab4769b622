//! Plans built by hand for the renderers' tests: what the diff would produce for the example
//! repository (a creation, then a day of changes), an empty plan, and a very large one.

use serde_json::{Value, json};

use crate::model::plan::*;

pub fn plan(actions: Vec<Action>) -> Plan {
    Plan {
        format_version: FORMAT_VERSION,
        actions,
        ..Plan::default()
    }
}

pub fn change(path: &str, old: Option<Value>, new: Option<Value>) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        old,
        new,
        sensitive: false,
        secret_source: None,
    }
}

fn set(path: &str, new: Value) -> FieldChange {
    change(path, None, Some(new))
}

fn modify(path: &str, old: Value, new: Value) -> FieldChange {
    change(path, Some(old), Some(new))
}

/// A secret that changes: only the fact is recorded.
pub fn secret(path: &str) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        old: None,
        new: None,
        sensitive: true,
        secret_source: None,
    }
}

fn source(file: &str, line: u32, manifest: &str) -> Option<SourceRef> {
    Some(SourceRef {
        file: file.to_string(),
        line,
        column: None,
        manifest: manifest.to_string(),
    })
}

fn action(op: Op, object: ObjectRef, source: Option<SourceRef>, changes: Vec<FieldChange>) -> Action {
    Action {
        op,
        object,
        source,
        changes,
        reason: None,
        desired: None,
        number: None,
    }
}

fn acg(kind: ObjectKind, key: &str, group: &str) -> ObjectRef {
    ObjectRef::new(ProviderName::Acg, kind, key, group)
}

fn webex(kind: ObjectKind, key: &str, group: &str) -> ObjectRef {
    ObjectRef::new(ProviderName::Webex, kind, key, group)
}

/// `count` numbers of `account` from `+start`, each with the same string attributes.
pub fn numbers(op: Op, account: &str, start: u64, count: u64, attrs: &[(&str, &str)]) -> Vec<Action> {
    (start..start + count)
        .map(|n| {
            let changes = attrs.iter().map(|(path, value)| set(path, json!(value))).collect();
            action(op, acg(ObjectKind::Number, &format!("+{n}"), account), None, changes)
        })
        .collect()
}

/// Numbers of a `NumberSet` as the diff creates them: the set's attributes, the range's line.
fn number_run(start: u64, count: u64, at: (u32, &str), attrs: &[(&str, Value)]) -> Vec<Action> {
    (start..start + count)
        .map(|n| {
            let changes = attrs.iter().map(|(path, value)| set(path, value.clone())).collect();
            action(
                Op::Create,
                acg(ObjectKind::Number, &format!("+{n}"), "contoso"),
                source("acg/contoso.yaml", at.0, at.1),
                changes,
            )
        })
        .collect()
}

const CONTOSO_TENANT: &str = "8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90";
const REDMOND_ADDRESS: &str = "5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d";
const REDMOND_LOCATION: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const BELLEVUE_ADDRESS: &str = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const BELLEVUE_LOCATION: &str = "7e6d5c4b-3a29-4f18-9e07-d6c5b4a39281";

/// Everything created from scratch: the Contoso account with 251 numbers (three ranges and a
/// conference bridge) and its consent; the Acme customer with a location, two users, a
/// workspace and two devices.
pub fn creation() -> Plan {
    let mut actions = Vec::new();

    let mut account = action(
        Op::Create,
        acg(ObjectKind::Account, "contoso", ""),
        source("acg/contoso.yaml", 10, "Account/contoso"),
        vec![
            set("correlationId", json!("CRM-4711")),
            set("teamsTenantId", json!(CONTOSO_TENANT)),
            set("services.operatorConnect", json!({"enabled": true, "sync": true})),
            set("services.teamsPhoneMobile", json!({"enabled": false})),
        ],
    );
    account.desired = Some(json!({
        "correlationId": "CRM-4711",
        "serviceDetails": {
            "teamsTenantId": CONTOSO_TENANT,
            "teamsOperatorConnect": {"enabled": true, "syncEnabled": true},
            "teamsPhoneMobile": {"enabled": false, "syncEnabled": false}
        }
    }));
    actions.push(account);

    let user = |address: &str, location: &str, header: &str| {
        vec![
            ("service", json!("operatorConnect")),
            ("usage", json!("user")),
            ("capabilities", json!(["inbound", "outbound"])),
            ("civicAddressId", json!(address)),
            ("locationId", json!(location)),
            ("customSipHeader", json!(header)),
        ]
    };
    let redmond = user(REDMOND_ADDRESS, REDMOND_LOCATION, "contoso-redmond");
    actions.extend(number_run(
        14255550100,
        100,
        (46, "NumberSet/contoso-redmond"),
        &redmond,
    ));
    // Right after the range, but a conference bridge: its own line.
    let mut bridge = number_run(
        14255550200,
        1,
        (48, "NumberSet/contoso-redmond"),
        &[
            ("service", json!("operatorConnect")),
            ("usage", json!("conference")),
            ("capabilities", json!(["inbound"])),
            ("civicAddressId", json!(REDMOND_ADDRESS)),
            ("locationId", json!(REDMOND_LOCATION)),
            ("customSipHeader", json!("contoso-redmond")),
        ],
    );
    bridge[0].desired = Some(json!({
        "serviceDetails": {
            "teamsOperatorConnect": {
                "enabled": true,
                "configuration": {"usage": "ConferenceAssignment", "choosableCapabilities": ["InboundCalling"]}
            }
        },
        "configuration": {"customSipHeader": "contoso-redmond"},
        "civicAddressId": REDMOND_ADDRESS,
        "locationId": REDMOND_LOCATION
    }));
    actions.extend(bridge);
    actions.extend(number_run(
        14255550300,
        100,
        (71, "NumberSet/contoso-apps"),
        &[
            ("service", json!("operatorConnect")),
            ("usage", json!("application")),
            ("capabilities", json!(["inbound", "outbound"])),
            ("customSipHeader", json!("contoso-apps")),
        ],
    ));
    let bellevue = user(BELLEVUE_ADDRESS, BELLEVUE_LOCATION, "contoso-bellevue");
    actions.extend(number_run(
        14255551000,
        50,
        (96, "NumberSet/contoso-bellevue"),
        &bellevue,
    ));

    let mut consent = action(
        Op::Update,
        acg(ObjectKind::Consent, CONTOSO_TENANT, "contoso"),
        source("acg/contoso.yaml", 118, "Consent/contoso"),
        vec![
            change("relationship", None, Some(json!("agreementSigned"))),
            change("ticketId", None, Some(json!("CHG-2024-0117"))),
        ],
    );
    consent.desired = Some(json!({"customerRelationship": {"status": "agreementSigned", "comment": "CHG-2024-0117"}}));
    actions.push(consent);

    let mut customer = action(
        Op::Create,
        webex(ObjectKind::Customer, "ACME-0001", ""),
        source("webex/acme/customer.yaml", 9, "Customer/acme"),
        vec![
            set("template", json!("fr-smb-calling")),
            set("companyName", json!("Acme SARL")),
            set("adminEmail", json!("it-admin@acme.example")),
            set("country", json!("FR")),
            set("packages", json!(["webex_calling", "common_area_calling"])),
            set(
                "headquarters",
                json!({
                    "name": "Paris HQ",
                    "address": {"line1": "12 rue de la Paix", "city": "Paris", "postalCode": "75002", "country": "FR"},
                    "timezone": "Europe/Paris",
                    "language": "fr_fr"
                }),
            ),
        ],
    );
    customer.desired = Some(json!({
        "provisioningId": "Y2lzY29zcGFyazovL3VzL1BST1ZJU0lPTklORy9mcl9zbWI",
        "packages": ["webex_calling", "common_area_calling"],
        "externalId": "ACME-0001",
        "address": {"addressLine1": "12 rue de la Paix", "city": "Paris", "zipCode": "75002", "country": "FR"},
        "customerInfo": {"name": "Acme SARL", "primaryEmail": "it-admin@acme.example", "language": "fr_FR"},
        "provisioningParameters": {
            "calling": {"location": {"name": "Paris HQ", "timezone": "Europe/Paris", "language": "fr_fr"}}
        }
    }));
    actions.push(customer);

    actions.push(action(
        Op::Create,
        webex(ObjectKind::Location, "Lyon", "ACME-0001"),
        source("webex/acme/locations.yaml", 4, "Location/acme-lyon"),
        vec![
            set(
                "address",
                json!({"line1": "3 place Bellecour", "city": "Lyon", "postalCode": "69002", "country": "FR"}),
            ),
            set("timezone", json!("Europe/Paris")),
            set("language", json!("fr_fr")),
            set("announcementLanguage", json!("fr_fr")),
            set("numbers", json!(["+33478000100", "+33478000101"])),
        ],
    ));
    for (line, email, first, last, phone, extension) in [
        (
            3,
            "jeanne.dupont@acme.example",
            "Jeanne",
            "Dupont",
            Some("+33478000100"),
            "1100",
        ),
        (17, "paul.martin@acme.example", "Paul", "Martin", None, "1101"),
    ] {
        let mut changes = vec![
            set("firstName", json!(first)),
            set("lastName", json!(last)),
            set("package", json!("webex_calling")),
            set("location", json!("Lyon")),
        ];
        if let Some(phone) = phone {
            changes.push(set("phoneNumber", json!(phone)));
        }
        changes.push(set("extension", json!(extension)));
        let name = format!("User/acme-{}{}", first[..1].to_lowercase(), last.to_lowercase());
        actions.push(action(
            Op::Create,
            webex(ObjectKind::User, email, "ACME-0001"),
            source("webex/acme/users.yaml", line, &name),
            changes,
        ));
    }
    actions.push(action(
        Op::Create,
        webex(ObjectKind::Workspace, "Salle Jupiter", "ACME-0001"),
        source("webex/acme/workspaces.yaml", 3, "Workspace/acme-jupiter"),
        vec![
            set("roomType", json!("meetingRoom")),
            set("capacity", json!(8)),
            set("license", json!("professional")),
            set("location", json!("Lyon")),
            set("extension", json!("1900")),
        ],
    ));
    for (line, mac, owner, shared) in [
        (3, "001A2B3C4D5E", json!({"workspace": "Salle Jupiter"}), None),
        (
            14,
            "001A2B3C4D5F",
            json!({"user": "jeanne.dupont@acme.example"}),
            Some(json!([{"user": "paul.martin@acme.example"}])),
        ),
    ] {
        let mut changes = vec![set("model", json!("Yealink T54W")), set("owner", owner)];
        if let Some(shared) = shared {
            changes.push(set("sharedWith", shared));
        }
        changes.push(secret("sipPassword"));
        let mut device = action(
            Op::Create,
            webex(ObjectKind::Device, mac, "ACME-0001"),
            source("webex/acme/devices.yaml", line, "Device/acme-phone"),
            changes,
        );
        device.reason = Some(Reason::PasswordReset);
        actions.push(device);
    }

    Plan {
        fingerprints: vec![
            Fingerprint {
                object: acg(ObjectKind::Account, "contoso", ""),
                value: "absent".into(),
            },
            Fingerprint {
                object: acg(ObjectKind::Consent, CONTOSO_TENANT, "contoso"),
                value: "etag:\"0x8DC4A1B2C3D4E5F\"".into(),
            },
            Fingerprint {
                object: webex(ObjectKind::Customer, "ACME-0001", ""),
                value: "absent".into(),
            },
        ],
        ..plan(actions)
    }
}

/// A day of changes on a brownfield platform: updates, pruned numbers, an account marked
/// absent, a device replaced (its model cannot change in place), a password rotation,
/// unmanaged objects, a customer still provisioning and two errors found against live state.
pub fn mixed() -> Plan {
    let mut actions = vec![action(
        Op::Update,
        acg(ObjectKind::Account, "contoso", ""),
        source("acg/contoso.yaml", 10, "Account/contoso"),
        vec![
            modify("correlationId", json!("CRM-4711"), json!("CRM-4712")),
            modify("services.operatorConnect.sync", json!(false), json!(true)),
        ],
    )];
    for n in 14255550100u64..14255550105 {
        actions.push(action(
            Op::Update,
            acg(ObjectKind::Number, &format!("+{n}"), "contoso"),
            source("acg/contoso.yaml", 46, "NumberSet/contoso-redmond"),
            vec![modify(
                "customSipHeader",
                json!("contoso-old"),
                json!("contoso-redmond"),
            )],
        ));
    }
    for n in [14255550150u64, 14255550151, 14255550152, 14255550999] {
        let mut pruned = action(
            Op::Delete,
            acg(ObjectKind::Number, &format!("+{n}"), "contoso"),
            None,
            vec![],
        );
        pruned.reason = Some(Reason::Pruned);
        actions.push(pruned);
    }
    let mut litware = action(
        Op::Delete,
        acg(ObjectKind::Account, "litware-legacy", ""),
        source("acg/litware-decommission.yaml", 9, "Account/litware-legacy"),
        vec![],
    );
    litware.reason = Some(Reason::EnsureAbsent);
    actions.push(litware);
    actions.push(action(
        Op::Update,
        acg(ObjectKind::Consent, "6d1e2f3a-4b5c-4d6e-9f70-8192a3b4c5d6", ""),
        source("acg/litware-decommission.yaml", 22, "Consent/litware"),
        vec![
            modify("relationship", json!("agreementSigned"), json!("contractTerminated")),
            change(
                "reason",
                None,
                Some(json!(
                    "Contract terminated at the customer's request on 2024-03-31; numbers released."
                )),
            ),
            modify("ticketId", json!("CHG-2023-0877"), json!("CHG-2024-0511")),
        ],
    ));

    actions.push(action(
        Op::Update,
        webex(ObjectKind::User, "jeanne.dupont@acme.example", "ACME-0001"),
        source("webex/acme/users.yaml", 3, "User/acme-jdupont"),
        vec![
            modify("lastName", json!("Dupont"), json!("Dupont-Moreau")),
            modify("extension", json!("1100"), json!("1150")),
        ],
    ));
    let mut rotation = action(
        Op::Update,
        webex(ObjectKind::Device, "001A2B3C4D5E", "ACME-0001"),
        source("webex/acme/devices.yaml", 3, "Device/acme-jupiter-phone"),
        vec![secret("sipPassword")],
    );
    rotation.reason = Some(Reason::PasswordReset);
    actions.push(rotation);
    let mut replaced = action(
        Op::Replace,
        webex(ObjectKind::Device, "001A2B3C4D60", "ACME-0001"),
        source("webex/acme/devices.yaml", 27, "Device/acme-reception-phone"),
        vec![
            modify("model", json!("Cisco 8845"), json!("Yealink T54W")),
            secret("sipPassword"),
        ],
    );
    replaced.reason = Some(Reason::Immutable {
        field: "model".to_string(),
    });
    actions.push(replaced);
    let mut workspace = action(
        Op::Delete,
        webex(ObjectKind::Workspace, "Salle Mars", "ACME-0001"),
        None,
        vec![
            change("license", Some(json!("commonArea")), None),
            change("extension", Some(json!("1901")), None),
        ],
    );
    workspace.reason = Some(Reason::Pruned);
    actions.push(workspace);

    let mut unmanaged: Vec<Unmanaged> = ["northwind", "tailspin", "wingtip"]
        .into_iter()
        .map(|name| Unmanaged {
            object: acg(ObjectKind::Account, name, ""),
        })
        .collect();
    unmanaged.extend((14155550100u64..14155550112).map(|n| Unmanaged {
        object: acg(ObjectKind::Number, &format!("+{n}"), "wingtip"),
    }));
    unmanaged.push(Unmanaged {
        object: webex(ObjectKind::Customer, "INITECH-0007", ""),
    });
    for email in ["bill.lumbergh@initech.example", "peter.gibbons@initech.example"] {
        unmanaged.push(Unmanaged {
            object: webex(ObjectKind::User, email, "INITECH-0007"),
        });
    }

    Plan {
        unmanaged,
        pending: vec![Pending {
            object: webex(ObjectKind::Customer, "GLOBEX-0042", ""),
            status: "provisioning".to_string(),
        }],
        errors: vec![
            PlanError {
                object: Some(acg(ObjectKind::Number, "+14255551000", "contoso")),
                source: source("acg/contoso.yaml", 96, "NumberSet/contoso-bellevue"),
                message: format!("civic address {BELLEVUE_ADDRESS} does not exist on account contoso"),
                hint: "check the id in the Teams admin center, or list them with \
                       `telform show civic-addresses contoso`"
                    .to_string(),
            },
            PlanError {
                object: Some(webex(ObjectKind::Device, "001A2B3C4D60", "ACME-0001")),
                source: source("webex/acme/devices.yaml", 29, "Device/acme-reception-phone"),
                message: "device model Yealink T54W is not in the supported-devices list of customer ACME-0001"
                    .to_string(),
                hint: "pick a model from `telform show devices ACME-0001`".to_string(),
            },
        ],
        fingerprints: vec![
            Fingerprint {
                object: acg(ObjectKind::Account, "contoso", ""),
                value: "etag:\"0x8DC4A1B2C3D4E60\"".into(),
            },
            Fingerprint {
                object: webex(ObjectKind::User, "jeanne.dupont@acme.example", "ACME-0001"),
                value: "sha:3f0c2d9a4b1e7c55".into(),
            },
        ],
        ..plan(actions)
    }
}

pub fn empty() -> Plan {
    plan(vec![])
}

/// 200,000 number creations on 40 accounts, every other number (no range collapses), and
/// 20,000 user updates on 2,000 customers.
pub fn huge() -> Plan {
    let mut actions = Vec::with_capacity(220_000);
    for account in 0..40u64 {
        let name = format!("account-{account:02}");
        for i in 0..5_000u64 {
            let n = 14250000000 + account * 100_000 + i * 2;
            actions.push(action(
                Op::Create,
                acg(ObjectKind::Number, &format!("+{n}"), &name),
                None,
                vec![set("usage", json!("user"))],
            ));
        }
    }
    for customer in 0..2_000 {
        let group = format!("CUST-{customer:04}");
        for user in 0..10 {
            actions.push(action(
                Op::Update,
                webex(ObjectKind::User, &format!("user{user}@cust{customer}.example"), &group),
                None,
                vec![modify("extension", json!("1000"), json!("2000"))],
            ));
        }
    }
    plan(actions)
}
