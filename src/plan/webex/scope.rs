//! One customer being planned: its own action, then what is declared under it.

use std::collections::HashMap;

use super::user::lines_of;
use super::*;

impl<'a> Scope<'a> {
    pub(super) fn object(&self, kind: ObjectKind, key: impl Into<String>) -> ObjectRef {
        ObjectRef::new(P, kind, key, self.ext)
    }

    pub(super) fn source<S>(&self, m: &Manifest<S>, kind: Kind) -> SourceRef {
        self.cx
            .source(m.origin, &format!("{}/{}", kind.as_str(), m.metadata.name))
    }

    pub(super) fn error(
        &self,
        plan: &mut Plan,
        object: &ObjectRef,
        source: Option<SourceRef>,
        message: String,
        hint: &str,
    ) {
        plan.errors.push(PlanError {
            object: Some(object.clone()),
            source,
            message,
            hint: hint.to_string(),
        });
    }

    pub(super) fn run(&mut self, plan: &mut Plan) {
        let object = self.object(ObjectKind::Customer, self.ext);
        let Some(manifest) = self.declared.customer else {
            // Only children were selected (`--selector`): they are planned under the live
            // customer.
            match (self.readable_org(), self.customer) {
                (Some(org), _) => {
                    self.org = Some(org);
                    self.children(plan);
                }
                (None, Some(current)) => self.pending(plan, &object, current),
                (None, None) => self.error(
                    plan,
                    &object,
                    None,
                    format!(
                        "customer {} is not in the selected manifests and does not exist at Webex",
                        self.ext
                    ),
                    "select the customer's manifest too (or plan without --selector)",
                ),
            }
            return;
        };
        match (is_absent(manifest.spec.ensure), self.customer) {
            (false, None) => self.create_customer(plan, manifest),
            (false, Some(current)) => self.keep_customer(plan, manifest, current),
            (true, None) => {}
            (true, Some(current)) => self.remove_customer(plan, manifest, current),
        }
    }

    /// The organisation of a provisioned customer, when it was read.
    pub(super) fn readable_org(&self) -> Option<&'a OrgLive> {
        let customer = self.customer?;
        let provisioned =
            customer.status == wire::CUSTOMER_PROVISIONED || customer.status == wire::CUSTOMER_PROVISIONED_WITH_ERRORS;
        if provisioned {
            self.live.orgs.get(self.ext)
        } else {
            None
        }
    }

    /// A customer Webex is still working on (or that failed): shown, never created again;
    /// its children wait.
    pub(super) fn pending(&self, plan: &mut Plan, object: &ObjectRef, current: &wire::Customer) {
        let waiting = match self.declared.present_children() {
            0 => String::new(),
            1 => "; 1 object under it is planned once it is provisioned".to_string(),
            n => format!("; {n} objects under it are planned once it is provisioned"),
        };
        let status = match current.status.as_str() {
            wire::CUSTOMER_PROVISIONING => format!("provisioning: waiting for provisioning{waiting}"),
            wire::CUSTOMER_UPDATING => format!("updating: waiting for the update to finish{waiting}"),
            wire::CUSTOMER_DELETING if self.declared.customer.is_some_and(|c| is_absent(c.spec.ensure)) => {
                "deleting".to_string()
            }
            wire::CUSTOMER_DELETING => "deleting: it is created again once Webex has removed it".to_string(),
            wire::CUSTOMER_ERROR => {
                let why = current
                    .errors
                    .first()
                    .map(|e| format!(": {} {}", e.error_code, e.description))
                    .unwrap_or_default();
                format!("provisioning failed{why}")
            }
            other => format!("{other}{waiting}"),
        };
        plan.pending.push(Pending {
            object: object.clone(),
            status,
        });
    }

    /// Locations, numbers, users, workspaces and devices of a customer that exists (or that
    /// this plan creates: then `self.org` is `None` and everything is created).
    pub(super) fn children(&mut self, plan: &mut Plan) {
        let org = self.org;
        let empty = OrgLive::default();
        let live = org.unwrap_or(&empty);
        let lines = lines_of(live);
        let location_names: HashMap<&str, &str> = live
            .locations
            .iter()
            .map(|l| (l.id.as_str(), l.name.as_str()))
            .collect();
        let location_ids: HashMap<String, &str> = live
            .locations
            .iter()
            .map(|l| (l.name.to_lowercase(), l.id.as_str()))
            .collect();
        let location_id = |name: &str| location_ids.get(&name.to_lowercase()).map(|id| id.to_string());

        self.locations(plan, live);
        self.users(plan, live, &lines, &location_id);
        let workspace_ids = self.workspaces(plan, live, &lines, &location_names, &location_id);
        self.devices(plan, live, &workspace_ids);
    }

    /// The customer's manifest, as the source of what is pruned under it.
    pub(super) fn parent_source(&self) -> Option<SourceRef> {
        self.declared.customer.map(|c| self.source(c, Kind::Customer))
    }
}
