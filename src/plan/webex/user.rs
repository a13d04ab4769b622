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
    // The administrator role is compared on its own (People API), not in this view.
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

/// A user's full administrator role, compared with the organisation's administrators.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AdminRole {
    /// `admin` left out, or already as the manifest says: nothing to do.
    Kept,
    /// Given (`true`) or taken (`false`).
    Changed { had: bool, want: bool },
    /// Taken from the organisation's last full administrator: refused.
    Last,
    /// Taken from the user the customer's `adminEmail` names: refused, as that email must
    /// stay a full administrator (every later plan would fail on it).
    AdminEmail,
}

impl<'a> Scope<'a> {
    /// What `admin` of a user asks, against the organisation's full administrators (People
    /// API; `admins` lower-case emails) and how many remain once every declared `admin` is
    /// applied (`remaining`).
    fn admin_role(
        spec: &UserSpec,
        admins: Option<&BTreeSet<String>>,
        remaining: usize,
        admin_email: Option<&str>,
    ) -> AdminRole {
        let (Some(want), Some(admins)) = (spec.admin, admins) else {
            return AdminRole::Kept;
        };
        let had = admins.contains(&spec.email.to_lowercase());
        let is_admin_email = admin_email.is_some_and(|e| e.eq_ignore_ascii_case(&spec.email));
        match (had, want) {
            (true, false) if remaining == 0 => AdminRole::Last,
            (true, false) if is_admin_email => AdminRole::AdminEmail,
            (had, want) if had != want => AdminRole::Changed { had, want },
            _ => AdminRole::Kept,
        }
    }

    /// Whether `asked` is refused: then the plan says why, at the user's manifest.
    fn admin_refused(
        &self,
        plan: &mut Plan,
        object: &ObjectRef,
        source: SourceRef,
        spec: &UserSpec,
        asked: AdminRole,
    ) -> bool {
        match asked {
            AdminRole::Last => self.last_admin(plan, object, source, spec),
            AdminRole::AdminEmail => self.admin_email_kept(plan, object, source, spec),
            AdminRole::Kept | AdminRole::Changed { .. } => return false,
        }
        true
    }

    /// `admin: false` that would leave the organisation without a full administrator.
    fn last_admin(&self, plan: &mut Plan, object: &ObjectRef, source: SourceRef, spec: &UserSpec) {
        self.error(
            plan,
            object,
            Some(source),
            format!(
                "user {}: `admin: false` cannot be applied: it is the only full administrator of customer {}, and Webex needs one (nobody could administer the organisation in Control Hub)",
                spec.email, self.ext
            ),
            "give another user `admin: true` (in this change or before), then take the role from this one; or remove `admin: false`",
        );
    }

    /// `admin: false` on the user the customer's `adminEmail` names.
    fn admin_email_kept(&self, plan: &mut Plan, object: &ObjectRef, source: SourceRef, spec: &UserSpec) {
        self.error(
            plan,
            object,
            Some(source),
            format!(
                "user {}: `admin: false` cannot be applied: it is customer {}'s `adminEmail`, which must stay one of the organisation's full administrators",
                spec.email, self.ext
            ),
            "make `adminEmail` another full administrator's email first (a user with `admin: true`), then take the role from this one; or remove `admin: false`",
        );
    }

    /// `admin` of a user of an organisation whose administrators could not be read (Webex
    /// lists no full administrator role): never planned as "No changes".
    fn admin_unreadable(&self, plan: &mut Plan, object: &ObjectRef, source: SourceRef, spec: &UserSpec) {
        self.error(
            plan,
            object,
            Some(source),
            format!(
                "user {}: `admin` cannot be compared: Webex lists no `{}` role (GET /roles), so the organisation's administrators cannot be read",
                spec.email,
                wire::FULL_ADMINISTRATOR
            ),
            "check that the token can list roles and people (`spark-admin:roles_read`, `spark-admin:people_read`); or remove `admin` from the manifest",
        );
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
        // The organisation's full administrators, and how many remain once every declared
        // `admin` is applied.
        let admins: Option<BTreeSet<String>> = live
            .admins
            .as_ref()
            .map(|a| a.iter().map(|a| a.email.clone()).collect());
        let remaining = admins.as_ref().map_or(1, |have| {
            let mut after = have.clone();
            for u in self.declared.users.iter().filter(|u| !is_absent(u.spec.ensure)) {
                match u.spec.admin {
                    Some(true) => after.insert(u.spec.email.to_lowercase()),
                    Some(false) => after.remove(&u.spec.email.to_lowercase()),
                    None => false,
                };
            }
            after.len()
        });
        let role = self.live.full_admin_role.clone();
        let admin_email = self.declared.customer.map(|c| c.spec.admin_email.as_str());
        // An organisation read without its administrators: the role cannot be compared.
        let unreadable = self.org.is_some() && admins.is_none();
        let mut taken: Vec<Action> = Vec::new();
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
                    if spec.admin.is_some() && unreadable {
                        self.admin_unreadable(plan, &object, self.source(u, Kind::User), spec);
                        continue;
                    }
                    // A new person has no role; someone who already is a person of the
                    // organisation (its first administrator) keeps theirs.
                    let asked = Self::admin_role(spec, admins.as_ref(), remaining, admin_email);
                    if self.admin_refused(plan, &object, self.source(u, Kind::User), spec, asked) {
                        continue;
                    }
                    let admin = match asked {
                        AdminRole::Last | AdminRole::AdminEmail => None,
                        AdminRole::Changed { want, .. } => Some(want),
                        AdminRole::Kept if admins.is_none() && spec.admin == Some(true) => Some(true),
                        AdminRole::Kept => None,
                    };
                    // The role is given once the subscriber is provisioned (its person id).
                    let refs = json!({"customer": self.ext, "location": spec.location, "admin": admin, "role": role});
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
                    if spec.admin.is_some() && unreadable {
                        self.admin_unreadable(plan, &object, self.source(u, Kind::User), spec);
                        continue;
                    }
                    let asked = Self::admin_role(spec, admins.as_ref(), remaining, admin_email);
                    if self.admin_refused(plan, &object, self.source(u, Kind::User), spec, asked) {
                        continue;
                    }
                    let admin = match asked {
                        AdminRole::Changed { had, want } => Some((had, want)),
                        AdminRole::Kept | AdminRole::Last | AdminRole::AdminEmail => None,
                    };
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
                    if let Some(removed) = taken_away(&changes, &["phoneNumber", "extension"]) {
                        self.error(
                            plan,
                            &object,
                            Some(self.source(u, Kind::User)),
                            format!(
                                "user {}: {} cannot be taken away through the Webex Wholesale API (its subscriber update keeps a number or extension it is not given)",
                                spec.email, removed
                            ),
                            "take it away in Control Hub (Users > the user > Calling), then remove it here; or give another value, or put back the one the plan shows as live",
                        );
                        continue;
                    }
                    if !changes.is_empty() || admin.is_some() {
                        let subscriber = (!changes.is_empty()).then(|| {
                            let body = body(spec);
                            // The update schema declares the number, extension and location
                            // only: a subscriber's names are given at creation.
                            let parameters = body.provisioning_parameters.map(|p| wire::SubscriberParameters {
                                first_name: None,
                                last_name: None,
                                ..p
                            });
                            wire::UpdateSubscriber {
                                package: None,
                                packages: body.packages,
                                provisioning_parameters: parameters,
                            }
                        });
                        let mut changes = changes;
                        let mut refs = json!({"customer": self.ext, "id": current.id(), "location": spec.location});
                        if let Some((had, want)) = admin {
                            // The People API's role, given or taken after the subscriber's
                            // own update (`body` is null when only the role changes).
                            changes.push(FieldChange {
                                path: "admin".into(),
                                old: Some(json!(had)),
                                new: Some(json!(want)),
                                sensitive: false,
                                secret_source: None,
                            });
                            refs["admin"] = json!(want);
                            refs["personId"] = json!(current.person_id.as_deref());
                            refs["role"] = json!(role);
                        }
                        let mut update = action(Op::Update, &object, Some(self.source(u, Kind::User)), changes);
                        update.desired = desired(subscriber, refs);
                        // The role is taken after it is given to others: the organisation
                        // never goes without an administrator.
                        if matches!(admin, Some((_, false))) {
                            taken.push(update);
                        } else {
                            self.steps.users.push(update);
                        }
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
        self.steps.users.append(&mut taken);
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
