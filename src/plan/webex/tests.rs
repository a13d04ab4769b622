use super::*;
use crate::manifest::load::Sources;
use crate::model::webex::live::Interner;
use crate::validate::rules::test_support::{customer, location, set, user};

const EXT: &str = "C1";
const ORG: &str = "org-c1";

static NO_RESETS: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();

fn cx(sources: &Sources) -> Context<'_> {
    Context {
        sources,
        prune: false,
        max_deletes: 50,
        max_number_changes: crate::plan::DEFAULT_MAX_NUMBER_CHANGES,
        partial: false,
        reset_passwords: &NO_RESETS,
    }
}

fn run(yaml: &str, live: &WebexLive) -> Plan {
    run_with(yaml, live, |_| {})
}

fn run_with(yaml: &str, live: &WebexLive, tweak: impl FnOnce(&mut Context)) -> Plan {
    let mut sources = Sources::default();
    sources.add("webex.yaml".into());
    let mut context = cx(&sources);
    tweak(&mut context);
    let mut plan = Plan::default();
    diff(&set(yaml), live, &context, &mut plan);
    plan
}

fn ops(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|a| {
            format!(
                "{} {} {}{}",
                a.op.symbol(),
                a.object.kind,
                a.object.key,
                match &a.reason {
                    Some(Reason::EnsureAbsent) => " (absent)".to_string(),
                    Some(Reason::Pruned) => " (pruned)".to_string(),
                    Some(Reason::Immutable { field }) => format!(" (immutable {field})"),
                    Some(Reason::PasswordReset) => " (password)".to_string(),
                    None => String::new(),
                }
            )
        })
        .collect()
}

fn paths(action: &Action) -> Vec<&str> {
    action.changes.iter().map(|c| c.path.as_str()).collect()
}

fn supported_devices() -> Vec<wire::SupportedDevice> {
    vec![
        wire::SupportedDevice {
            model: "DMS Cisco 8865".into(),
            display_name: "Cisco 8865".into(),
            ..Default::default()
        },
        wire::SupportedDevice {
            model: "Yealink T54W".into(),
            display_name: "Yealink T54W".into(),
            ..Default::default()
        },
        wire::SupportedDevice {
            model: "Yealink W70B".into(),
            display_name: "Yealink W70B DECT".into(),
            supported_for: vec!["PLACE".into()],
            ..Default::default()
        },
    ]
}

/// Customer C1 live and provisioned (webex_calling, its headquarters `HQ` as declared),
/// with an empty organisation.
fn provisioned() -> WebexLive {
    let customer = wire::Customer {
        id: "cust-c1".into(),
        org_id: Some(ORG.into()),
        external_id: EXT.into(),
        address: Some(wire::Address {
            address_line1: "1 rue A".into(),
            city: "Paris".into(),
            country: "FR".into(),
            ..Default::default()
        }),
        status: wire::CUSTOMER_PROVISIONED.into(),
        packages: vec!["webex_calling".into()],
        resource_details: Some(wire::ResourceDetails {
            packages: vec![wire::PackageDetails {
                name: "webex_calling".into(),
                status: "provisioned".into(),
                license_ids: Some(vec!["lic-calling".into()]),
                ..Default::default()
            }],
        }),
        errors: Vec::new(),
    };
    let hq = wire::Location {
        id: "loc-hq".into(),
        name: "HQ".into(),
        org_id: ORG.into(),
        address: wire::LocationAddress {
            address1: "1 rue A".into(),
            city: "Paris".into(),
            country: "FR".into(),
            ..Default::default()
        },
        time_zone: Some("Europe/Paris".into()),
        preferred_language: Some("fr_fr".into()),
        ..Default::default()
    };
    let mut live = WebexLive {
        supported_devices: Some(supported_devices()),
        ..WebexLive::default()
    };
    live.customers.insert(EXT.into(), customer);
    live.orgs.insert(
        EXT.into(),
        OrgLive {
            locations: vec![hq],
            ..OrgLive::default()
        },
    );
    live
}

fn org(live: &mut WebexLive) -> &mut OrgLive {
    live.orgs.get_mut(EXT).expect("org")
}

/// A number entry as the provider keeps it once read.
fn read_number(n: wire::PhoneNumber) -> LiveNumberEntry {
    LiveNumberEntry::from_wire(n, &mut Interner::default())
}

/// A workspace as the provider keeps it once read.
fn read_workspace(w: wire::Workspace) -> LiveWorkspace {
    LiveWorkspace::from_wire(w, &mut Interner::default())
}

fn subscriber(live: &mut WebexLive, email: &str, package: &str, extension: &str, first: &str, last: &str) {
    let person = format!("person-{email}");
    let o = org(live);
    o.subscribers.push(LiveSubscriber::from_wire(
        wire::Subscriber {
            id: format!("sub-{email}"),
            person_id: Some(person.clone()),
            email: email.into(),
            customer_id: "cust-c1".into(),
            packages: vec![package.into()],
            status: wire::SUBSCRIBER_PROVISIONED.into(),
            ..Default::default()
        },
        &mut Interner::default(),
    ));
    o.numbers.push(read_number(wire::PhoneNumber {
        extension: Some(extension.into()),
        location: Some(wire::IdName {
            id: "loc-hq".into(),
            name: "HQ".into(),
        }),
        owner: Some(wire::NumberOwner {
            id: person,
            owner_type: "PEOPLE".into(),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
        }),
        ..Default::default()
    }));
}

fn device(live: &mut WebexLive, mac: &str, product: &str, owner_email: &str, tags: &[&str]) {
    let device = wire::Device {
        id: format!("dev-{mac}"),
        person_id: Some(format!("person-{owner_email}")),
        product: Some(product.into()),
        mac: Some(mac.into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    org(live)
        .devices
        .push(LiveDevice::from_wire(device, &mut Interner::default()));
}

fn device_yaml(name: &str, mac: &str, model: &str, owner: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: telform/v1\nkind: Device\nmetadata: {{name: {name}}}\nspec:\n  customer: C1\n  mac: \"{mac}\"\n  model: {model}\n  owner: {owner}\n{extra}"
    )
}

fn workspace_yaml(name: &str, location: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: telform/v1\nkind: Workspace\nmetadata: {{name: ws-{}}}\nspec:\n  customer: C1\n  name: {name}\n  roomType: meetingRoom\n  capacity: 8\n  license: professional\n  location: {location}\n  extension: \"1900\"\n{extra}",
        name.to_lowercase().replace(' ', "-")
    )
}

#[test]
fn a_new_customer_is_created_with_everything_under_it_in_dependency_order() {
    let yaml = format!(
        "{}{}{}{}{}",
        customer("webex_calling"),
        // A location to create has a state and a postal code (POST /locations requires both).
        location("Lyon", "\"+33478000100\", \"+33478000101\"").replace(
            "city: Lyon, country: FR",
            "city: Lyon, state: Auvergne-Rhône-Alpes, postalCode: \"69002\", country: FR"
        ),
        user("jdupont", "webex_calling", "Lyon", "  extension: \"1100\"\n"),
        workspace_yaml("Salle Jupiter", "Lyon", ""),
        device_yaml(
            "phone",
            "00:1a:2b:3c:4d:5e",
            "Yealink T54W",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n"
        ),
    );
    let live = WebexLive {
        supported_devices: Some(supported_devices()),
        ..WebexLive::default()
    };
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(
        ops(&plan),
        [
            "+ Customer C1",
            "+ Location Lyon",
            "+ Number +33478000100",
            "+ Number +33478000101",
            "+ User jdupont@c1.example",
            "+ Workspace Salle Jupiter",
            "+ Device 001A2B3C4D5E (password)",
        ]
    );
    // The headquarters is made with the customer: no location of its own.
    let customer = &plan.actions[0];
    assert!(paths(customer).contains(&"headquarters.name"), "{:?}", paths(customer));
    assert!(paths(customer).contains(&"template"));
    let body = &customer.desired.as_ref().expect("desired")["body"];
    assert_eq!(body["provisioningId"], "p", "the template's provisioning id");
    assert_eq!(body["customerInfo"]["language"], "fr_FR", "the template's language");
    assert_eq!(body["provisioningParameters"]["calling"]["location"]["name"], "HQ");
    let user = &plan.actions[4];
    assert!(paths(user).contains(&"extension"));
    // A new device's password is set: a sensitive change without values.
    let device = plan.actions.last().expect("device");
    let secret = device
        .changes
        .iter()
        .find(|c| c.path == "sipPassword")
        .expect("password");
    assert!(secret.sensitive && secret.old.is_none() && secret.new.is_none());
    assert!(plan.fingerprints.iter().all(|f| f.value == "absent"));
    assert_eq!(plan.fingerprints.len(), 7);
}

#[test]
fn changed_fields_are_updates_and_unreadable_ones_are_not_compared() {
    let yaml = format!(
        "{}{}",
        customer("webex_calling, webex_suite"),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1150\"\n"),
    );
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    let plan = run(&yaml, &live);
    assert_eq!(ops(&plan), ["~ Customer C1", "~ User jdupont@c1.example"]);
    let updated = &plan.actions[0];
    assert_eq!(paths(updated), ["packages"]);
    assert_eq!(updated.changes[0].new, Some(json!(["webex_calling", "webex_suite"])));
    let renumbered = &plan.actions[1];
    assert_eq!(paths(renumbered), ["extension"]);
    assert_eq!(renumbered.changes[0].old, Some(json!("1100")));
    assert_eq!(renumbered.changes[0].new, Some(json!("1150")));
    assert_eq!(plan.fingerprints.len(), 2);
    assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));

    // Nothing differs: no action.
    let same = format!(
        "{}{}",
        customer("webex_calling"),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
    );
    let plan = run(&same, &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));

    // The administrator role (People API): given to an existing user, a change in place that
    // only the People API carries (no subscriber body), with the person and the role to set.
    let admin = format!(
        "{}{}",
        customer("webex_calling"),
        user(
            "jdupont",
            "webex_calling",
            "HQ",
            "  extension: \"1100\"\n  admin: true\n"
        ),
    );
    let unread = run(&admin, &live);
    assert!(unread.actions.is_empty(), "{:?}", ops(&unread));
    assert!(
        unread.errors[0].message.contains("`admin` cannot be compared"),
        "without the administrators read: {:?}",
        unread.errors
    );
    with_admins(&mut live, &["admin@c1.example"]);
    let plan = run(&admin, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(ops(&plan), ["~ User jdupont@c1.example"]);
    let given = &plan.actions[0];
    assert_eq!(paths(given), ["admin"]);
    assert_eq!(given.changes[0].old, Some(json!(false)));
    assert_eq!(given.changes[0].new, Some(json!(true)));
    let desired = given.desired.as_ref().expect("desired");
    assert!(desired["body"].is_null(), "no subscriber update: {desired}");
    assert_eq!(desired["refs"]["admin"], json!(true));
    assert_eq!(desired["refs"]["personId"], json!("person-jdupont@c1.example"));
    assert_eq!(desired["refs"]["role"], json!(ROLE));
    // Already an administrator: nothing to do.
    with_admins(&mut live, &["admin@c1.example", "jdupont@c1.example"]);
    let plan = run(&admin, &live);
    assert!(plan.actions.is_empty() && plan.errors.is_empty(), "{:?}", ops(&plan));
    // Taken away, with another administrator left: a change in place.
    let plan = run(&admin.replace("admin: true", "admin: false"), &live);
    assert_eq!(ops(&plan), ["~ User jdupont@c1.example"]);
    assert_eq!(plan.actions[0].changes[0].new, Some(json!(false)));
}

const ROLE: &str = "role-full-admin";

/// The organisation's full administrators, as the People API answers them.
fn with_admins(live: &mut WebexLive, emails: &[&str]) {
    live.full_admin_role = Some(ROLE.into());
    org(live).admins = Some(
        emails
            .iter()
            .map(|e| crate::model::webex::LiveAdmin {
                person_id: format!("person-{e}"),
                email: e.to_string(),
            })
            .collect(),
    );
}

#[test]
fn the_last_full_administrator_keeps_the_role() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    with_admins(&mut live, &["jdupont@c1.example"]);
    let yaml = format!(
        "{}{}",
        customer("webex_calling").replace("admin@c1.example", "jdupont@c1.example"),
        user(
            "jdupont",
            "webex_calling",
            "HQ",
            "  extension: \"1100\"\n  admin: false\n"
        ),
    );
    let plan = run(&yaml, &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    assert!(
        plan.errors[0]
            .message
            .contains("jdupont@c1.example: `admin: false` cannot be applied: it is the only full administrator"),
        "{:?}",
        plan.errors
    );
    assert!(plan.errors[0].source.is_some(), "{:?}", plan.errors);

    // Another user made an administrator in the same change: jdupont is still the
    // customer's adminEmail, which must stay a full administrator.
    let both = format!(
        "{yaml}{}",
        user(
            "mmartin",
            "webex_calling",
            "HQ",
            "  extension: \"1101\"\n  admin: true\n"
        )
    );
    let plan = run(&both, &live);
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    assert!(
        plan.errors[0]
            .message
            .contains("jdupont@c1.example: `admin: false` cannot be applied: it is customer C1's `adminEmail`"),
        "{:?}",
        plan.errors
    );
    // With the adminEmail another user's, the role moves in the same change.
    let moved = both.replace("adminEmail: jdupont@c1.example", "adminEmail: mmartin@c1.example");
    assert_ne!(moved, both);
    let plan = run(&moved, &live);
    assert!(
        plan.errors
            .iter()
            .all(|e| !e.message.contains("`admin: false` cannot be applied")),
        "{:?}",
        plan.errors
    );
}

#[test]
fn an_admin_email_that_is_no_administrator_is_refused_by_name() {
    let mut live = provisioned();
    with_admins(&mut live, &["it@c1.example"]);
    let plan = run(&customer("webex_calling"), &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    let error = &plan.errors[0];
    assert!(
        error
            .message
            .contains("`adminEmail` admin@c1.example is not a full administrator"),
        "{error:?}"
    );
    assert!(
        error.message.contains("its full administrator is it@c1.example"),
        "{error:?}"
    );
    assert!(error.hint.contains("`admin: true`"), "{error:?}");
    assert!(error.source.is_some(), "{error:?}");
    let plan = run(
        &customer("webex_calling").replace("admin@c1.example", "IT@c1.example"),
        &live,
    );
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
}

#[test]
fn undeclared_children_are_unmanaged_unless_pruned() {
    let mut live = provisioned();
    subscriber(&mut live, "old@c1.example", "webex_calling", "1200", "Old", "Timer");
    device(&mut live, "AABBCCDDEEFF", "Cisco 8865", "old@c1.example", &[]);
    live.customers.insert(
        "OTHER-1".into(),
        wire::Customer {
            external_id: "OTHER-1".into(),
            status: wire::CUSTOMER_PROVISIONED.into(),
            ..Default::default()
        },
    );
    let yaml = customer("webex_calling");
    let plan = run(&yaml, &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    let mut unmanaged: Vec<String> = plan
        .unmanaged
        .iter()
        .map(|u| format!("{} {}", u.object.kind, u.object.key))
        .collect();
    unmanaged.sort();
    assert_eq!(
        unmanaged,
        ["Customer OTHER-1", "Device AABBCCDDEEFF", "User old@c1.example"]
    );

    // `prune: true` on the customer: its undeclared children go, devices before users;
    // the other customer is still only listed.
    let pruning = yaml.replace("  packages:", "  prune: true\n  packages:");
    let plan = run(&pruning, &live);
    assert_eq!(
        ops(&plan),
        ["- Device AABBCCDDEEFF (pruned)", "- User old@c1.example (pruned)"]
    );
    assert_eq!(plan.unmanaged.len(), 1);
    // So does `--prune`; but never for a partial (selected) set of manifests.
    assert_eq!(run_with(&yaml, &live, |cx| cx.prune = true).actions.len(), 2);
    let partial = run_with(&pruning, &live, |cx| cx.partial = true);
    assert!(partial.actions.is_empty(), "{:?}", ops(&partial));
}

#[test]
fn ensure_absent_deletes_children_before_parents() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
    let yaml = format!(
        "{}{}{}",
        customer("webex_calling"),
        user(
            "jdupont",
            "webex_calling",
            "HQ",
            "  extension: \"1100\"\n  ensure: absent\n"
        ),
        device_yaml(
            "phone",
            "001A2B3C4D5E",
            "Yealink T54W",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n  ensure: absent\n"
        ),
    );
    let plan = run(&yaml, &live);
    assert_eq!(
        ops(&plan),
        ["- Device 001A2B3C4D5E (absent)", "- User jdupont@c1.example (absent)"]
    );

    // The whole customer: everything in its organisation, then the customer.
    let gone = customer("webex_calling").replace("  packages:", "  ensure: absent\n  packages:");
    let plan = run(&gone, &live);
    assert_eq!(
        ops(&plan),
        [
            "- Device 001A2B3C4D5E (absent)",
            "- User jdupont@c1.example (absent)",
            "- Location HQ (absent)",
            "- Customer C1 (absent)"
        ]
    );
    assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));
    // Absent and already gone: nothing.
    assert!(run(&gone, &WebexLive::default()).actions.is_empty());
}

#[test]
fn protect_refuses_the_deletion() {
    let live = provisioned();
    let yaml = customer("webex_calling").replace("  packages:", "  ensure: absent\n  protect: true\n  packages:");
    let plan = run(&yaml, &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    assert_eq!(plan.errors.len(), 1);
    assert!(plan.errors[0].message.contains("protect"), "{:?}", plan.errors);
}

#[test]
fn a_customer_still_provisioning_is_pending_and_never_created_twice() {
    let mut live = provisioned();
    live.orgs.clear();
    let c = live.customers.get_mut(EXT).expect("customer");
    c.status = wire::CUSTOMER_PROVISIONING.into();
    c.org_id = None;
    let yaml = format!(
        "{}{}{}",
        customer("webex_calling"),
        location("Lyon", "\"+33478000100\""),
        user("jdupont", "webex_calling", "Lyon", "  extension: \"1100\"\n"),
    );
    let plan = run(&yaml, &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    assert_eq!(plan.pending.len(), 1);
    assert_eq!(plan.pending[0].object.key, EXT);
    assert!(
        plan.pending[0]
            .status
            .starts_with("provisioning: waiting for provisioning"),
        "{}",
        plan.pending[0].status
    );
    assert!(
        plan.pending[0].status.contains("2 objects"),
        "{}",
        plan.pending[0].status
    );
}

#[test]
fn a_rotation_bump_resets_the_sip_password() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    device(
        &mut live,
        "001A2B3C4D5E",
        "Cisco 8865",
        "jdupont@c1.example",
        &["repair", "telform-sip-rotation=1"],
    );
    let yaml = |rotation: &str| {
        format!(
            "{}{}{}",
            customer("webex_calling"),
            user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
            // The display name in the manifest, the model at Webex: the same phone.
            device_yaml(
                "phone",
                "00-1a-2b-3c-4d-5e",
                "DMS Cisco 8865",
                "{user: jdupont@c1.example}",
                &format!("  sipPassword: {{generate: true{rotation}}}\n")
            ),
        )
    };
    let plan = run(&yaml(", rotation: 1"), &live);
    assert!(plan.actions.is_empty(), "{:?}", ops(&plan));
    let plan = run(&yaml(", rotation: 2"), &live);
    assert_eq!(ops(&plan), ["~ Device 001A2B3C4D5E (password)"]);
    let change = &plan.actions[0].changes;
    assert_eq!(change.len(), 1);
    assert!(change[0].sensitive && change[0].old.is_none() && change[0].new.is_none());
    // No rotation written and no tag: nothing to reset.
    org(&mut live).devices.clear();
    device(&mut live, "001A2B3C4D5E", "Cisco 8865", "jdupont@c1.example", &[]);
    assert!(run(&yaml(""), &live).actions.is_empty());
}

#[test]
fn fields_webex_cannot_change_in_place_replace_the_object() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    subscriber(&mut live, "pmartin@c1.example", "webex_calling", "1101", "A", "B");
    device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
    let o = org(&mut live);
    o.locations.push(wire::Location {
        id: "loc-lyon".into(),
        name: "Lyon".into(),
        address: wire::LocationAddress {
            address1: "2 rue B".into(),
            city: "Lyon".into(),
            country: "FR".into(),
            ..Default::default()
        },
        time_zone: Some("Europe/Paris".into()),
        preferred_language: Some("fr_fr".into()),
        ..Default::default()
    });
    o.workspaces.push(read_workspace(wire::Workspace {
        id: "ws-1".into(),
        display_name: "Salle Jupiter".into(),
        location_id: Some("loc-hq".into()),
        capacity: Some(8),
        workspace_type: Some("meetingRoom".into()),
        calling: Some(wire::WorkspaceCalling {
            calling_type: "webexCalling".into(),
            webex_calling: Some(wire::WebexCalling {
                licenses: Some(vec!["lic-calling".into()]),
                ..Default::default()
            }),
        }),
        ..Default::default()
    }));
    o.numbers.push(read_number(wire::PhoneNumber {
        extension: Some("1900".into()),
        owner: Some(wire::NumberOwner {
            id: "ws-1".into(),
            owner_type: "PLACE".into(),
            ..Default::default()
        }),
        ..Default::default()
    }));
    let yaml = format!(
        "{}{}{}{}{}",
        customer("webex_calling"),
        location("Lyon", ""),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
        user("pmartin", "webex_calling", "HQ", "  extension: \"1101\"\n"),
        workspace_yaml("Salle Jupiter", "Lyon", ""),
    ) + &device_yaml(
        "phone",
        "001A2B3C4D5E",
        "Yealink T54W",
        "{user: pmartin@c1.example}",
        "  sipPassword: {generate: true}\n",
    );
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(
        ops(&plan),
        [
            "± Workspace Salle Jupiter (immutable location)",
            "± Device 001A2B3C4D5E (immutable owner.user)"
        ]
    );
    let workspace = &plan.actions[0];
    assert_eq!(paths(workspace), ["location"]);
    assert_eq!(workspace.changes[0].old, Some(json!("HQ")));
    let device = &plan.actions[1];
    assert_eq!(paths(device), ["owner.user", "sipPassword"]);
    assert_eq!(device.changes[0].old, Some(json!("jdupont@c1.example")));
    assert!(plan.fingerprints.iter().all(|f| f.value.starts_with("fnv:")));
}

#[test]
fn a_replaced_workspace_takes_its_devices_which_are_added_again_after_it() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
    let o = org(&mut live);
    o.locations.push(wire::Location {
        id: "loc-lyon".into(),
        name: "Lyon".into(),
        address: wire::LocationAddress {
            address1: "2 rue B".into(),
            city: "Lyon".into(),
            country: "FR".into(),
            ..Default::default()
        },
        time_zone: Some("Europe/Paris".into()),
        preferred_language: Some("fr_fr".into()),
        ..Default::default()
    });
    o.workspaces.push(read_workspace(wire::Workspace {
        id: "ws-1".into(),
        display_name: "Salle Jupiter".into(),
        location_id: Some("loc-hq".into()),
        capacity: Some(8),
        workspace_type: Some("meetingRoom".into()),
        calling: Some(wire::WorkspaceCalling {
            calling_type: "webexCalling".into(),
            webex_calling: Some(wire::WebexCalling {
                licenses: Some(vec!["lic-calling".into()]),
                ..Default::default()
            }),
        }),
        ..Default::default()
    }));
    o.numbers.push(read_number(wire::PhoneNumber {
        extension: Some("1900".into()),
        owner: Some(wire::NumberOwner {
            id: "ws-1".into(),
            owner_type: "PLACE".into(),
            ..Default::default()
        }),
        ..Default::default()
    }));
    // The room's phone, its rotation recorded: nothing to change but the room's location.
    o.devices.push(LiveDevice::from_wire(
        wire::Device {
            id: "dev-room".into(),
            workspace_id: Some("ws-1".into()),
            product: Some("Yealink T54W".into()),
            mac: Some("00AA00BB00CC".into()),
            tags: vec![format!("{ROTATION_TAG}2")],
            ..Default::default()
        },
        &mut Interner::default(),
    ));
    let yaml = format!(
        "{}{}{}{}{}",
        customer("webex_calling"),
        location("Lyon", ""),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
        workspace_yaml("Salle Jupiter", "Lyon", ""),
        device_yaml(
            "room-phone",
            "00AA00BB00CC",
            "Yealink T54W",
            "{workspace: Salle Jupiter}",
            "  sharedWith: [{user: jdupont@c1.example}]\n  sipPassword: {fromEnv: ROOM_SIP, rotation: 2}\n",
        ),
    ) + &device_yaml(
        "desk",
        "001A2B3C4D5E",
        "Yealink T54W",
        "{user: jdupont@c1.example}",
        "  sipPassword: {generate: true}\n",
    );
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    // Webex deletes a workspace's devices with it: the room's phone is added again after
    // the new room, with its whole body, lines and password source; the desk phone stays.
    assert_eq!(
        ops(&plan),
        [
            "± Workspace Salle Jupiter (immutable location)",
            "+ Device 00AA00BB00CC (password)"
        ]
    );
    let phone = &plan.actions[1];
    let desired = phone.desired.as_ref().expect("desired");
    assert_eq!(desired["body"]["mac"], json!("00AA00BB00CC"));
    assert_eq!(desired["refs"]["owner"], json!({"workspace": "Salle Jupiter"}));
    assert_eq!(desired["refs"]["sharedWith"], json!([{"user": "jdupont@c1.example"}]));
    assert_eq!(desired["refs"]["sipPassword"]["fromEnv"], json!("ROOM_SIP"));
    assert_eq!(desired["refs"]["sipPassword"]["rotation"], json!(2));
    assert!(paths(phone).contains(&"sipPassword"));
    // A saved plan records the phone as it is now: a change to it since is noticed.
    let fingerprint = plan
        .fingerprints
        .iter()
        .find(|f| f.object.key == "00AA00BB00CC")
        .expect("fingerprinted");
    assert_ne!(fingerprint.value, "absent");
}

#[test]
fn a_replaced_customer_has_what_is_declared_under_it_made_again() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    device(&mut live, "001A2B3C4D5E", "Yealink T54W", "jdupont@c1.example", &[]);
    let yaml = format!(
        "{}  orgId: org-elsewhere\n{}{}",
        customer("webex_calling"),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
        device_yaml(
            "desk",
            "001A2B3C4D5E",
            "Yealink T54W",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n",
        ),
    );
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(
        ops(&plan),
        [
            "± Customer C1 (immutable orgId)",
            "+ User jdupont@c1.example",
            "+ Device 001A2B3C4D5E (password)"
        ]
    );
    // Made in the new organisation: no id of the old one is carried over.
    let user = plan.actions[1].desired.as_ref().expect("desired");
    assert_eq!(user["body"]["customerId"], json!(""));
    let device = plan.actions[2].desired.as_ref().expect("desired");
    assert!(device["body"]["personId"].is_null(), "{device}");
}

#[test]
fn plan_time_checks_name_unsupported_models_and_full_workspaces() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    let o = org(&mut live);
    o.workspaces.push(read_workspace(wire::Workspace {
        id: "ws-1".into(),
        display_name: "Accueil".into(),
        location_id: Some("loc-hq".into()),
        ..Default::default()
    }));
    o.workspace_devices.insert(
        "ws-1".into(),
        wire::PlaceDeviceList {
            max_device_count: 1,
            ..Default::default()
        },
    );
    let yaml = format!(
        "{}{}{}{}{}",
        customer("webex_calling"),
        user("jdupont", "webex_calling", "HQ", "  extension: \"1100\"\n"),
        device_yaml(
            "a",
            "001A2B3C4D5E",
            "Grandstream GXP2170",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n"
        ),
        device_yaml(
            "b",
            "001A2B3C4D5F",
            "Yealink W70B",
            "{user: jdupont@c1.example}",
            "  sipPassword: {generate: true}\n"
        ),
        device_yaml(
            "c",
            "001A2B3C4D60",
            "Cisco 8865",
            "{workspace: Accueil}",
            "  sipPassword: {generate: true}\n"
        ),
    ) + &device_yaml(
        "d",
        "001A2B3C4D61",
        "Cisco 8865",
        "{workspace: Accueil}",
        "  sipPassword: {generate: true}\n",
    );
    let plan = run(&yaml, &live);
    let messages: Vec<&str> = plan.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("Grandstream GXP2170 is not in"), "{messages:?}");
    assert!(plan.errors[0].hint.contains("did you mean `"), "{:?}", plan.errors[0]);
    assert!(messages[1].contains("cannot be owned by a user"), "{messages:?}");
    assert!(messages[2].contains("would hold 2 devices"), "{messages:?}");
}

#[test]
fn location_numbers_are_added_moved_and_pruned() {
    let mut live = provisioned();
    let o = org(&mut live);
    o.locations.push(wire::Location {
        id: "loc-lyon".into(),
        name: "Lyon".into(),
        address: wire::LocationAddress {
            address1: "2 rue B".into(),
            city: "Lyon".into(),
            country: "FR".into(),
            ..Default::default()
        },
        time_zone: Some("Europe/Paris".into()),
        preferred_language: Some("fr_fr".into()),
        ..Default::default()
    });
    let entry = |number: &str, location: &str| {
        read_number(wire::PhoneNumber {
            phone_number: Some(number.into()),
            location: Some(wire::IdName {
                id: format!("loc-{}", location.to_lowercase()),
                name: location.into(),
            }),
            ..Default::default()
        })
    };
    o.numbers = vec![
        entry("+33478000100", "Lyon"),
        entry("+33478000101", "HQ"),
        entry("+33478000199", "Lyon"),
    ];
    let yaml = format!(
        "{}{}",
        customer("webex_calling").replace("  packages:", "  prune: true\n  packages:"),
        location("Lyon", "\"+33478000100\", \"+33478000101\", \"+33478000102\""),
    );
    let plan = run(&yaml, &live);
    assert_eq!(
        ops(&plan),
        [
            "± Number +33478000101 (immutable location)",
            "+ Number +33478000102",
            "- Number +33478000199 (pruned)"
        ]
    );
}

#[test]
fn a_location_describing_the_headquarters_adds_numbers_to_it() {
    let hq = location("HQ", "\"+33140000100\"").replace("2 rue B, city: Lyon", "1 rue A, city: Paris");
    let yaml = format!("{}{hq}", customer("webex_calling"));
    let plan = run(&yaml, &provisioned());
    assert_eq!(ops(&plan), ["+ Number +33140000100"]);
    // For a new customer too: the headquarters comes with the customer.
    let plan = run(
        &yaml,
        &WebexLive {
            supported_devices: Some(supported_devices()),
            ..WebexLive::default()
        },
    );
    assert_eq!(ops(&plan), ["+ Customer C1", "+ Number +33140000100"]);
}

#[test]
fn children_selected_without_their_customer_are_planned_under_the_live_one() {
    let mut live = provisioned();
    subscriber(&mut live, "jdupont@c1.example", "webex_calling", "1100", "A", "B");
    let yaml = user("jdupont", "webex_calling", "HQ", "  extension: \"1101\"\n");
    let plan = run_with(&yaml, &live, |cx| cx.partial = true);
    assert_eq!(ops(&plan), ["~ User jdupont@c1.example"]);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    // What the selection does not declare is listed, never pruned: the headquarters here.
    assert_eq!(plan.unmanaged.len(), 1);
    assert_eq!(plan.unmanaged[0].object.key, "HQ");
    let plan = run_with(&yaml, &WebexLive::default(), |cx| cx.partial = true);
    assert!(plan.actions.is_empty());
    assert!(
        plan.errors[0].message.contains("does not exist at Webex"),
        "{:?}",
        plan.errors
    );
}

#[test]
fn a_new_user_with_admin_is_given_the_role_once_created() {
    let yaml = format!(
        "{}{}",
        customer("webex_calling"),
        user(
            "jdupont",
            "webex_calling",
            "HQ",
            "  extension: \"1100\"\n  admin: true\n"
        ),
    );
    // Under a customer this plan creates: the role is given after the subscriber.
    let live = WebexLive {
        supported_devices: Some(supported_devices()),
        ..WebexLive::default()
    };
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    let create = plan
        .actions
        .iter()
        .find(|a| a.object.kind == ObjectKind::User)
        .expect("the user is created");
    assert!(paths(create).contains(&"admin"), "{:?}", paths(create));
    let refs = &create.desired.as_ref().expect("desired")["refs"];
    assert_eq!(refs["admin"], json!(true));
    assert!(refs["role"].is_null(), "not read: apply reads it");

    // Under a live customer: the role read at plan goes with it.
    let mut live = provisioned();
    with_admins(&mut live, &["admin@c1.example"]);
    let plan = run(&yaml, &live);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(ops(&plan), ["+ User jdupont@c1.example"]);
    let refs = &plan.actions[0].desired.as_ref().expect("desired")["refs"];
    assert_eq!(refs["admin"], json!(true));
    assert_eq!(refs["role"], json!(ROLE));
}
