//! Locations and their numbers.

use super::*;

impl<'a> Branch<'a> {
    pub(super) async fn load_locations(&mut self) -> Res<&mut HashMap<String, (String, String)>> {
        if self.locations.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_locations(&self.ext, &org).await.map_err(text)?;
            self.locations = Some(
                list.into_iter()
                    .map(|l| (l.name.to_lowercase(), (l.id, l.name)))
                    .collect(),
            );
        }
        Ok(self.locations.get_or_insert_default())
    }

    pub(super) async fn location_id(&mut self, name: &str) -> Res<Option<String>> {
        let map = self.load_locations().await?;
        Ok(map.get(&name.to_lowercase()).map(|(id, _)| id.clone()))
    }

    pub(super) async fn require_location(&mut self, name: &str) -> Res<String> {
        self.location_id(name).await?.ok_or_else(|| {
            format!(
                "location `{name}` of customer {} does not exist at Webex\nhint: declare it (kind: Location), or run `telform plan` again",
                self.ext
            )
        })
    }

    pub(super) async fn load_numbers(&mut self) -> Res<&mut HashMap<String, (String, String)>> {
        if self.numbers.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_numbers(&self.ext, &org).await.map_err(text)?;
            self.numbers = Some(
                list.into_iter()
                    .filter_map(|n| {
                        let location = n.location?;
                        Some((n.phone_number?, (location.id, location.name)))
                    })
                    .collect(),
            );
        }
        Ok(self.numbers.get_or_insert_default())
    }

    pub(super) async fn create_location(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let (_, org) = self.org().await?;
        let made = self.w.create_location(&self.ext, &org, &body).await.map_err(text)?;
        let name = body["name"].as_str().unwrap_or(&action.object.key).to_string();
        if let Some(map) = &mut self.locations {
            map.insert(name.to_lowercase(), (made.get().clone(), name));
        }
        Ok(made_outcome(action, &made))
    }

    pub(super) async fn update_location(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        let (_, org) = self.org().await?;
        self.w
            .update_location(&self.ext, &org, &id, &action.object.key, &body)
            .await
            .map_err(text)?;
        Ok(Outcome::new(action, Status::Done))
    }

    pub(super) async fn delete_location(&mut self, action: &Action) -> Res<Outcome> {
        let name = action.object.key.as_str();
        let (_, org) = self.org().await?;
        let Some(id) = self.location_id(name).await? else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        let gone = self.w.delete_location(&self.ext, &org, &id, name).await.map_err(text)?;
        if let Some(map) = &mut self.locations {
            map.remove(&name.to_lowercase());
        }
        Ok(gone_outcome(action, gone))
    }

    /// The id of the location a number action names (`refs.locationId` when the plan knew it).
    pub(super) async fn number_location(&mut self, action: &Action) -> Res<(String, String)> {
        let refs = refs(action);
        let name = refs["location"].as_str().ok_or_else(|| {
            format!(
                "the plan does not say which location number {} goes to\nhint: make the plan again with this version of telform",
                action.object.key
            )
        })?;
        let id = match refs["locationId"].as_str() {
            Some(id) => id.to_string(),
            None => self.require_location(name).await?,
        };
        Ok((id, name.to_string()))
    }

    /// Adds new numbers, grouped by location, [`NUMBERS_PER_CALL`] per call. When Webex refuses
    /// a group, each of its numbers is tried alone, so that the table names the bad ones.
    pub(super) async fn add_numbers(&mut self, batch: &[Action]) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        self.w.begin_action();
        let org = match self.org().await {
            Ok((_, org)) => org,
            Err(reason) => return batch.iter().map(|a| self.failed(a, reason.clone())).collect(),
        };
        let mut groups: Vec<((String, String), Vec<usize>)> = Vec::new();
        for (i, action) in batch.iter().enumerate() {
            match self.number_location(action).await {
                Ok(location) => match groups
                    .iter_mut()
                    .find(|(l, v)| *l == location && v.len() < NUMBERS_PER_CALL)
                {
                    Some((_, members)) => members.push(i),
                    None => groups.push((location, vec![i])),
                },
                Err(reason) => outcomes[i] = Some(Outcome::new(action, Status::Failed { reason })),
            }
        }
        for ((id, name), members) in groups {
            let numbers: Vec<String> = members.iter().map(|i| batch[*i].object.key.clone()).collect();
            self.w.begin_action();
            let written = self.w.add_numbers(&self.ext, &org, (&id, &name), &numbers).await;
            match written {
                Ok(()) => {
                    for i in &members {
                        outcomes[*i] = Some(Outcome::new(&batch[*i], Status::Done));
                    }
                    if let Some(map) = &mut self.numbers {
                        for n in numbers {
                            map.insert(n, (id.clone(), name.clone()));
                        }
                    }
                }
                Err(error) if members.len() > 1 && matches!(error.status, Some(400 | 409)) => {
                    for i in &members {
                        let number = std::slice::from_ref(&batch[*i].object.key);
                        self.w.begin_action();
                        let one = self.w.add_numbers(&self.ext, &org, (&id, &name), number).await;
                        outcomes[*i] = Some(match one {
                            Ok(()) => Outcome::new(&batch[*i], Status::Done),
                            Err(error) => self.failed(&batch[*i], text(error)),
                        });
                    }
                }
                Err(error) => {
                    let reason = text(error);
                    for i in &members {
                        outcomes[*i] = Some(self.failed(&batch[*i], reason.clone()));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .zip(batch)
            .map(|(o, a)| {
                o.unwrap_or_else(|| {
                    Outcome::new(
                        a,
                        Status::Failed {
                            reason: "the number was not handled (a bug in telform): run `telform plan` again".into(),
                        },
                    )
                })
            })
            .collect()
    }

    /// Webex moves a number between locations only by removing and adding it.
    pub(super) async fn move_number(&mut self, action: &Action) -> Res<Outcome> {
        let number = action.object.key.clone();
        let (_, org) = self.org().await?;
        let (to_id, to_name) = self.number_location(action).await?;
        let from = self.load_numbers().await?.get(&number).cloned();
        if let Some((from_id, from_name)) = &from
            && *from_id != to_id
        {
            self.w
                .remove_numbers(&self.ext, &org, (from_id, from_name), std::slice::from_ref(&number))
                .await
                .map_err(text)?;
        }
        self.w
            .add_numbers(&self.ext, &org, (&to_id, &to_name), std::slice::from_ref(&number))
            .await
            .map_err(|e| match &from {
                Some((_, from_name)) => {
                    format!("number {number} was removed from `{from_name}` and could not be added to `{to_name}`: {e}")
                }
                None => text(e),
            })?;
        if let Some(map) = &mut self.numbers {
            map.insert(number, (to_id, to_name));
        }
        Ok(Outcome::new(action, Status::Done))
    }

    pub(super) async fn delete_number(&mut self, action: &Action) -> Res<Outcome> {
        let number = action.object.key.clone();
        let (_, org) = self.org().await?;
        let Some((id, name)) = self.load_numbers().await?.get(&number).cloned() else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        self.w
            .remove_numbers(&self.ext, &org, (&id, &name), std::slice::from_ref(&number))
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.numbers {
            map.remove(&number);
        }
        Ok(Outcome::new(action, Status::Done))
    }
}
