//! Users (Webex subscribers).

use super::*;

impl<'a> Branch<'a> {
    pub(super) async fn load_subscribers(&mut self) -> Res<&mut HashMap<String, wire::Subscriber>> {
        if self.subscribers.is_none() {
            self.org().await?;
            let customer = self.customer.clone().ok_or("the customer was not read")?;
            self.open().await?;
            let list = self.w.client.list_subscribers(&customer).await.map_err(text)?;
            self.subscribers = Some(list.into_iter().map(|s| (s.email.to_lowercase(), s)).collect());
        }
        Ok(self.subscribers.get_or_insert_default())
    }

    /// Fills in the ids the plan could not know: the customer's, and the user's location's.
    pub(super) async fn complete_user(&mut self, action: &Action, body: &mut Value) -> Res<()> {
        let (customer_id, _) = self.org().await?;
        if body
            .get("customerId")
            .is_some_and(|c| c.as_str().is_none_or(str::is_empty))
        {
            body["customerId"] = json!(customer_id);
        }
        let params = &body["provisioningParameters"];
        let calls = !params["primaryPhoneNumber"].is_null() || !params["extension"].is_null();
        if params.is_object()
            && params["locationId"].is_null()
            && let Some(name) = refs(action)["location"].as_str()
        {
            // Without a number or extension Webex ignores the location: a missing one is no
            // reason to fail.
            let id = if calls {
                Some(self.require_location(name).await?)
            } else {
                self.location_id(name).await?
            };
            if let Some(id) = id {
                body["provisioningParameters"]["locationId"] = json!(id);
            }
        }
        Ok(())
    }

    pub(super) async fn create_user(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        self.complete_user(action, &mut body).await?;
        let made = self.w.create_subscriber(&self.ext, &body).await.map_err(text)?;
        if let Some(map) = &mut self.subscribers {
            map.insert(made.get().email.to_lowercase(), made.get().clone());
        }
        let mut outcome = made_outcome(action, &made);
        if let Some(admin) = refs(action)["admin"].as_bool() {
            // The role goes to the person the subscriber is, once it has one.
            let person = match made.get().person_id.clone() {
                Some(person) => person,
                None => self.person_of(&made.get().customer_id, &action.object.key).await?,
            };
            if self.set_admin(action, &person, admin).await? {
                outcome = Outcome::new(action, Status::Done);
            }
        }
        Ok(outcome)
    }

    pub(super) async fn update_user(&mut self, action: &Action) -> Res<Outcome> {
        let id = ref_id(action)?;
        // Null when only the administrator role changes.
        let subscriber = action.desired.as_ref().map(|d| &d["body"]).filter(|b| !b.is_null());
        if let Some(body) = subscriber {
            let mut body = body.clone();
            self.complete_user(action, &mut body).await?;
            self.w
                .update_subscriber(&self.ext, &id, &action.object.key, &body)
                .await
                .map_err(text)?;
        }
        if let Some(admin) = refs(action)["admin"].as_bool() {
            let person = refs(action)["personId"].as_str().ok_or_else(|| {
                format!(
                    "the plan does not say which person user {} is\nhint: make the plan again with this version of telform",
                    action.object.key
                )
            })?;
            self.set_admin(action, person, admin).await?;
        }
        Ok(Outcome::new(action, Status::Done))
    }

    /// Gives or takes the full administrator role (People API); `true` when it was written.
    async fn set_admin(&mut self, action: &Action, person: &str, admin: bool) -> Res<bool> {
        let role = match refs(action)["role"].as_str() {
            Some(role) => role.to_string(),
            // The plan did not read it (the customer was new): one `GET /roles`.
            None => self.w.full_admin_role(&self.ext).await.map_err(text)?,
        };
        self.w
            .set_full_admin(&self.ext, &action.object.key, person, &role, admin)
            .await
            .map_err(text)
    }

    /// The person id of a subscriber just created: Webex gives it once the subscriber is
    /// provisioned, so the subscriber is read again until it has one.
    async fn person_of(&mut self, customer_id: &str, email: &str) -> Res<String> {
        let what = format!("user {email} of customer {}", self.ext);
        let hint = "run `telform apply` again once Webex has provisioned the user (the role is given then)";
        let wait = self
            .poll(&what, hint, async || {
                let found = self
                    .w
                    .find_subscriber(&self.ext, customer_id, email)
                    .await
                    .map_err(text)?
                    .ok_or_else(|| format!("{what} is gone"))?;
                Ok(match found.person_id {
                    Some(person) => Poll::Ready(person),
                    None => Poll::Working(found.status),
                })
            })
            .await;
        match wait {
            Wait::Ready(person) => Ok(person),
            Wait::Failed(reason) => Err(reason),
            Wait::Interrupted => Err(format!("not finished: {INTERRUPTED}")),
        }
    }

    pub(super) async fn delete_user(&mut self, action: &Action) -> Res<Outcome> {
        let email = action.object.key.to_lowercase();
        let Some(id) = self.load_subscribers().await?.get(&email).map(|s| s.id.clone()) else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self.w.delete_subscriber(&self.ext, &id, &email).await.map_err(text)?;
        if let Some(map) = &mut self.subscribers {
            map.remove(&email);
        }
        // Webex removes the person's devices with it.
        self.devices = None;
        Ok(gone_outcome(action, gone))
    }
}
