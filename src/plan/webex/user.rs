//! Users (Webex subscribers) and the lines read from the organisation's number list.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::*;

/// Whether Webex gives a subscriber of this package a location, a number and an extension:
/// every subscriber package but meetings.
pub(super) fn subscriber_calls(package: Package) -> bool {
    package != Package::WebexMeetings
}

/// A person's or workspace's line, from the organisation's number list.
#[derive(Default)]
pub(super) struct Line<'a> {
    pub(super) phone_number: Option<&'a str>,
    pub(super) extension: Option<&'a str>,
    pub(super) location: Option<&'a str>,
    pub(super) first_name: Option<&'a str>,
    pub(super) last_name: Option<&'a str>,
}

pub(super) fn lines_of(org: &OrgLive) -> HashMap<&str, Line<'_>> {
    let mut lines: HashMap<&str, Line> = HashMap::new();
    for entry in &org.numbers {
        let Some(owner) = &entry.owner else { continue };
        let line = lines.entry(&**owner).or_default();
        line.phone_number = line.phone_number.or(entry.phone_number());
        line.extension = line.extension.or(entry.extension());
        line.location = line.location.or(entry.location.as_deref());
        line.first_name = line.first_name.or(entry.first_name());
        line.last_name = line.last_name.or(entry.last_name());
    }
    lines
}

pub(super) fn user_view(spec: &UserSpec) -> Value {
    let mut view = json!({
        "firstName": spec.first_name,
        "lastName": spec.last_name,
        "package": spec.package.as_str(),
        "location": spec.location,
    });
    if let Some(n) = &spec.phone_number {
        view["phoneNumber"] = json!(n);
    }
    if let Some(x) = &spec.extension {
        view["extension"] = json!(x);
    }
    if spec.admin == Some(true) {
        view["admin"] = json!(true);
    }
    view
}

/// The live subscriber, and the desired one reduced to what can be compared with it.
pub(super) fn user_views(spec: &UserSpec, s: &LiveSubscriber, line: Option<&Line>) -> (Value, Value) {
    let package = match &*s.packages {
        [one] => json!(&**one),
        [] => json!(s.package.as_deref()),
        many => json!(many.iter().map(|p| &**p).collect::<Vec<&str>>()),
    };
    let mut live = json!({"package": package});
    // The administrator role is not readable (People API); it is set at creation.
    let mut unreadable = vec!["admin"];
    match line {
        Some(line) => {
            for (key, value) in [
                ("firstName", line.first_name),
                ("lastName", line.last_name),
                ("phoneNumber", line.phone_number),
                ("extension", line.extension),
            ] {
                if let Some(value) = value {
                    live[key] = json!(value);
                }
            }
            if let Some(location) = line.location {
                // Location names are unique regardless of case.
                let shown = if location.eq_ignore_ascii_case(&spec.location) {
                    &spec.location
                } else {
                    location
                };
                live["location"] = json!(shown);
            }
        }
        // No number and no extension: the names and location are not readable.
        None => unreadable.extend(["firstName", "lastName", "location"]),
    }
    if !subscriber_calls(spec.package) {
        unreadable.extend(["location", "phoneNumber", "extension"]);
        live = without(live, &["location", "phoneNumber", "extension"]);
    }
    (live, without(user_view(spec), &unreadable))
}

/// What to do instead of `admin` on an existing user.
const ADMIN_HINT: &str = "give or take the administrator role in Control Hub (Users > the user > Administrator roles), then remove `admin` from the manifest (only the customer's adminEmail may say `admin: true`)";

impl<'a> Scope<'a> {
    /// Why `admin` of an existing user cannot be applied, if it cannot. The role is not
    /// readable nor writable through the APIs telform uses (the wholesale subscriber has no such
    /// field): the customer's adminEmail is its administrator from its provisioning, and no one
    /// else can be made one, nor can it stop being one. Refused by name, so that `admin: true`
    /// given to another user (or taken away) never plans as "No changes" (issue #13).
    fn admin_refusal(&self, spec: &UserSpec) -> Option<String> {
        let customer_admin = self
            .declared
            .customer
            .is_some_and(|c| c.spec.admin_email.eq_ignore_ascii_case(&spec.email));
        match spec.admin {
            Some(true) if !customer_admin => Some(format!(
                "user {}: `admin: true` cannot be applied to an existing user: the Webex Wholesale API has no administrator role for a subscriber (only the customer's adminEmail is made an administrator, when the customer is provisioned)",
                spec.email
            )),
            Some(false) if customer_admin => Some(format!(
                "user {}: `admin: false` cannot be applied: it is the customer's adminEmail, made its administrator when the customer was provisioned, and the Webex Wholesale API cannot take the role away",
                spec.email
            )),
            _ => None,
        }
    }

    pub(super) fn users(
        &mut self,
        plan: &mut Plan,
        live: &OrgLive,
        lines: &HashMap<&str, Line>,
        location_id: &dyn Fn(&str) -> Option<String>,
    ) {
        let subscribers: HashMap<String, &LiveSubscriber> =
            live.subscribers.iter().map(|s| (s.email().to_lowercase(), s)).collect();
        let mut declared: BTreeSet<String> = BTreeSet::new();
        // What an action needs (the body, the source) is made only for the users that have one.
        let customer = self.customer;
        let body = |spec: &UserSpec| wire::ProvisionSubscriber {
            customer_id: customer.map(|c| c.id.clone()).unwrap_or_default(),
            email: spec.email.clone(),
            package: None,
            packages: Some(vec![spec.package.as_str().to_string()]),
            provisioning_parameters: Some(wire::SubscriberParameters {
                first_name: Some(spec.first_name.clone()),
                last_name: Some(spec.last_name.clone()),
                primary_phone_number: spec.phone_number.clone(),
                extension: spec.extension.clone(),
                location_id: location_id(&spec.location),
            }),
        };
        for u in &self.declared.users {
            let spec = &u.spec;
            let email = spec.email.to_lowercase();
            let current = subscribers.get(&email).copied();
            let object = self.object(ObjectKind::User, email.as_str());
            declared.insert(email);
            match (is_absent(spec.ensure), current) {
                (false, None) => {
                    // No API telform uses gives a subscriber the administrator role (the
                    // wholesale subscriber has no such field); only the customer's adminEmail is
                    // made an administrator, by the customer's provisioning. Refused by name
                    // rather than shown in the plan and never applied (issue #13).
                    let first_admin = self
                        .declared
                        .customer
                        .is_some_and(|c| c.spec.admin_email.eq_ignore_ascii_case(&spec.email));
                    if spec.admin == Some(true) && !first_admin {
                        self.error(
                            plan,
                            &object,
                            Some(self.source(u, Kind::User)),
                            format!(
                                "user {}: `admin: true` cannot be applied: the Webex Wholesale API has no administrator role for a subscriber (only the customer's adminEmail is made an administrator, when the customer is provisioned)",
                                spec.email
                            ),
                            "remove `admin: true`, create the user, then give it the administrator role in Control Hub (Users > Admin roles)",
                        );
                        continue;
                    }
                    let refs =
                        json!({"customer": self.ext, "location": spec.location, "admin": spec.admin == Some(true)});
                    let mut create = action(
                        Op::Create,
                        &object,
                        Some(self.source(u, Kind::User)),
                        diff_json("", &Value::Null, &user_view(spec)),
                    );
                    create.desired = desired(body(spec), refs);
                    self.steps.users.push(create);
                    self.steps.touched.push((object, None));
                }
                (false, Some(current)) => {
                    if &*current.status == wire::SUBSCRIBER_PENDING_USER_MIGRATION {
                        plan.pending.push(Pending {
                            object,
                            status: "pending_user_migration: waiting for the user to accept the move".into(),
                        });
                        continue;
                    }
                    if let Some(refusal) = self.admin_refusal(spec) {
                        self.error(plan, &object, Some(self.source(u, Kind::User)), refusal, ADMIN_HINT);
                        continue;
                    }
                    let line = current.person_id.as_deref().and_then(|p| lines.get(p));
                    let (have, want) = user_views(spec, current, line);
                    let changes = diff_json("", &have, &want);
                    // The subscriber update has no names, and no other API telform uses can
                    // change them: refused by name, never planned as a change that would not
                    // happen (issue #13).
                    let names: Vec<&str> = changes
                        .iter()
                        .map(|c| c.path.as_str())
                        .filter(|p| matches!(*p, "firstName" | "lastName"))
                        .collect();
                    if !names.is_empty() {
                        let fields = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ");
                        self.error(
                            plan,
                            &object,
                            Some(self.source(u, Kind::User)),
                            format!(
                                "user {}: {fields} cannot be changed through the Webex Wholesale API (a subscriber's name is set when it is created)",
                                spec.email
                            ),
                            "change the name in Control Hub (Users), then make the manifest match it; or put back the name the plan shows as live",
                        );
                        continue;
                    }
                    // The subscriber update keeps a number or an extension it is not given:
                    // taking one away would plan a change that never happens, applied again
                    // forever (issue #13).
                    let removed: Vec<String> = changes
                        .iter()
                        .filter(|c| c.new.is_none() && matches!(c.path.as_str(), "phoneNumber" | "extension"))
                        .map(|c| format!("`{}`", c.path))
                        .collect();
                    if !removed.is_empty() {
                        self.error(
                            plan,
                            &object,
                            Some(self.source(u, Kind::User)),
                            format!(
                                "user {}: {} cannot be taken away through the Webex Wholesale API (its subscriber update keeps a number or extension it is not given)",
                                spec.email,
                                removed.join(" and ")
                            ),
                            "take it away in Control Hub (Users > the user > Calling), then remove it here; or give another value, or put back the one the plan shows as live",
                        );
                        continue;
                    }
                    if !changes.is_empty() {
                        let mut update = action(Op::Update, &object, Some(self.source(u, Kind::User)), changes);
                        let body = body(spec);
                        // The update schema declares the number, extension and location only:
                        // a subscriber's names are given at creation.
                        let parameters = body.provisioning_parameters.map(|p| wire::SubscriberParameters {
                            first_name: None,
                            last_name: None,
                            ..p
                        });
                        update.desired = desired(
                            wire::UpdateSubscriber {
                                package: None,
                                packages: body.packages,
                                provisioning_parameters: parameters,
                            },
                            json!({"customer": self.ext, "id": current.id(), "location": spec.location}),
                        );
                        self.steps.users.push(update);
                        self.steps.touched.push((object, Some(current.fingerprint())));
                    }
                }
                (true, Some(current)) => {
                    let mut delete = action(Op::Delete, &object, Some(self.source(u, Kind::User)), Vec::new());
                    delete.reason = Some(Reason::EnsureAbsent);
                    self.steps.delete_users.push(delete);
                    self.steps.touched.push((object, Some(current.fingerprint())));
                }
                (true, None) => {}
            }
        }
        self.undeclared_users(plan, &subscribers, &declared);
    }

    /// Live users nothing declares: pruned, or unmanaged.
    fn undeclared_users(
        &mut self,
        plan: &mut Plan,
        subscribers: &HashMap<String, &LiveSubscriber>,
        declared: &BTreeSet<String>,
    ) {
        let mut undeclared: Vec<(&String, &&LiveSubscriber)> =
            subscribers.iter().filter(|(e, _)| !declared.contains(*e)).collect();
        undeclared.sort_by_key(|(e, _)| *e);
        for (email, current) in undeclared {
            let object = self.object(ObjectKind::User, email.as_str());
            if self.prune {
                let mut delete = action(Op::Delete, &object, self.parent_source(), Vec::new());
                delete.reason = Some(Reason::Pruned);
                self.steps.delete_users.push(delete);
                self.steps.touched.push((object, Some(current.fingerprint())));
            } else {
                plan.unmanaged.push(Unmanaged { object });
            }
        }
    }
}
