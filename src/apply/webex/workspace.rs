//! Workspaces.

use super::*;

impl<'a> Branch<'a> {
    pub(super) async fn load_workspaces(&mut self) -> Res<&mut HashMap<String, wire::Workspace>> {
        if self.workspaces.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_workspaces(&self.ext, &org).await.map_err(text)?;
            self.workspaces = Some(list.into_iter().map(|w| (w.display_name.to_lowercase(), w)).collect());
        }
        Ok(self.workspaces.get_or_insert_default())
    }

    /// The licence id of a workspace of this kind (`professional`, `commonArea`), from the
    /// customer's packages.
    pub(super) fn license_id(&self, kind: &str) -> Option<String> {
        let license = match kind {
            "commonArea" => WorkspaceLicense::CommonArea,
            _ => WorkspaceLicense::Professional,
        };
        crate::model::webex::license_id(self.customer.as_ref(), license)
    }

    /// Reads the customer again by id when it was found by a lookup: only a read by id carries
    /// the licence ids of its packages (the list does not, as the spec says).
    async fn read_licenses(&mut self) -> Res<()> {
        let Some(customer) = &self.customer else { return Ok(()) };
        let known = customer
            .resource_details
            .iter()
            .flat_map(|d| &d.packages)
            .any(|p| p.license_ids.is_some());
        if !known {
            let (ext, id) = (self.ext.clone(), customer.id.clone());
            if let Some(read) = self.w.get_customer(&ext, &id).await.map_err(text)? {
                self.customer = Some(read);
            }
        }
        Ok(())
    }

    /// Fills in the organisation, the location and the licence the plan could not know.
    pub(super) async fn complete_workspace(&mut self, action: &Action, body: &mut Value, create: bool) -> Res<()> {
        let (_, org) = self.org().await?;
        let refs = refs(action).clone();
        if create {
            if body["orgId"].as_str().is_none_or(str::is_empty) {
                body["orgId"] = json!(org);
            }
            if body["locationId"].is_null()
                && let Some(name) = refs["location"].as_str()
            {
                body["locationId"] = json!(self.require_location(name).await?);
            }
        }
        // Read, not indexed mutably: indexing would add a `calling` the body leaves out.
        if body.pointer("/calling/webexCalling").is_some_and(Value::is_object) {
            if body["calling"]["webexCalling"]["locationId"].is_null() {
                let location = match refs["location"].as_str() {
                    Some(name) if create => Some(self.require_location(name).await?),
                    _ => None,
                };
                if let Some(id) = location {
                    body["calling"]["webexCalling"]["locationId"] = json!(id);
                }
            }
            if body["calling"]["webexCalling"]["licenses"].is_null()
                && let Some(kind) = refs["license"].as_str()
            {
                self.read_licenses().await?;
                if let Some(license) = self.license_id(kind) {
                    body["calling"]["webexCalling"]["licenses"] = json!([license]);
                }
            }
        }
        Ok(())
    }

    pub(super) async fn create_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        self.complete_workspace(action, &mut body, true).await?;
        let (_, org) = self.org().await?;
        let made = self.w.create_workspace(&self.ext, &org, &body).await.map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.insert(made.get().display_name.to_lowercase(), made.get().clone());
        }
        Ok(made_outcome(action, &made))
    }

    pub(super) async fn update_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        let id = ref_id(action)?;
        self.complete_workspace(action, &mut body, false).await?;
        // A new `calling` is checked like a creation: it needs the workspace's location.
        if body["calling"]["webexCalling"].is_object() && body["calling"]["webexCalling"]["locationId"].is_null() {
            let location = self
                .load_workspaces()
                .await?
                .values()
                .find(|w| w.id == id)
                .and_then(|w| w.location_id.clone());
            if let Some(location) = location {
                body["calling"]["webexCalling"]["locationId"] = json!(location);
            }
        }
        self.w
            .update_workspace(&self.ext, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
    }

    /// A workspace moved to another location: removed (Webex removes its devices with it) and
    /// made again; the plan adds its devices again after it.
    pub(super) async fn replace_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let id = ref_id(action)?;
        self.w
            .delete_workspace(&self.ext, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.remove(&action.object.key.to_lowercase());
        }
        self.devices = None;
        let mut body = body(action)?;
        self.complete_workspace(action, &mut body, true).await?;
        let (_, org) = self.org().await?;
        let made = self
            .w
            .create_workspace(&self.ext, &org, &body)
            .await
            .map_err(|e| format!("the old workspace was removed, and the new one could not be created: {e}"))?;
        if let Some(map) = &mut self.workspaces {
            map.insert(made.get().display_name.to_lowercase(), made.get().clone());
        }
        Ok(Outcome::new(action, Status::Done))
    }

    pub(super) async fn delete_workspace(&mut self, action: &Action) -> Res<Outcome> {
        let name = action.object.key.to_lowercase();
        let Some(id) = self.load_workspaces().await?.get(&name).map(|w| w.id.clone()) else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self
            .w
            .delete_workspace(&self.ext, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.workspaces {
            map.remove(&name);
        }
        self.devices = None;
        Ok(gone_outcome(action, gone))
    }
}
