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
        Ok(made_outcome(action, &made))
    }

    pub(super) async fn update_user(&mut self, action: &Action) -> Res<Outcome> {
        let mut body = body(action)?;
        let id = ref_id(action)?;
        self.complete_user(action, &mut body).await?;
        self.w
            .update_subscriber(&self.ext, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
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
