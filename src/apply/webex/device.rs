//! Devices: owners, shared lines and SIP passwords.

use super::*;

/// A person's or workspace's id, as a device owner or line member refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Member {
    Person(String),
    Place(String),
}

impl Member {
    pub(super) fn id(&self) -> &str {
        match self {
            Member::Person(id) | Member::Place(id) => id,
        }
    }
}

/// The tags a device keeps, with the rotation tag of the password just set in place of any
/// earlier one (no API reads a password back: the next plan compares this tag).
pub(super) fn rotation_tags(current: &[String], tag: &str) -> Vec<String> {
    current
        .iter()
        .filter(|t| !t.starts_with(ROTATION_TAG))
        .cloned()
        .chain(std::iter::once(tag.to_string()))
        .collect()
}

/// The new line list of a device: its owner and the lines that stay as they are (ports and
/// settings kept), then the new shared lines on the free ports.
pub(super) fn member_list(current: &wire::DeviceMembers, wanted: &[Member]) -> Result<Vec<wire::PutMember>, String> {
    let keep = |m: &wire::Member| m.primary_owner || wanted.iter().any(|w| w.id() == m.id);
    let mut list: Vec<wire::PutMember> = current
        .members
        .iter()
        .filter(|m| keep(m))
        .map(|m| wire::PutMember {
            port: m.port,
            id: m.id.clone(),
            t38_fax_compression_enabled: m.t38_fax_compression_enabled,
            primary_owner: m.primary_owner,
            line_type: m.line_type.clone(),
            line_weight: m.line_weight,
            hotline_enabled: m.hotline_enabled,
            hotline_destination: m.hotline_destination.clone(),
            allow_call_decline_enabled: m.allow_call_decline_enabled,
            line_label: m.line_label.clone(),
        })
        .collect();
    let max = current.max_line_count.max(1);
    let mut used: HashSet<i64> = list.iter().map(|m| m.port).collect();
    for w in wanted {
        if list.iter().any(|m| m.id == w.id()) {
            continue;
        }
        let Some(port) = (1..=max).find(|p| !used.contains(p)) else {
            return Err(format!(
                "the device has {max} line(s): not enough for its owner and {} shared line(s)\nhint: share fewer lines, or pick a model with more line keys",
                wanted.len()
            ));
        };
        used.insert(port);
        list.push(wire::PutMember {
            port,
            id: w.id().to_string(),
            t38_fax_compression_enabled: None,
            primary_owner: false,
            line_type: "SHARED_CALL_APPEARANCE".into(),
            line_weight: 1,
            hotline_enabled: false,
            hotline_destination: String::new(),
            allow_call_decline_enabled: true,
            line_label: None,
        });
    }
    list.sort_by_key(|m| m.port);
    Ok(list)
}

impl<'a> Branch<'a> {
    pub(super) async fn load_devices(&mut self) -> Res<&mut HashMap<String, wire::Device>> {
        if self.devices.is_none() {
            let (_, org) = self.org().await?;
            self.open().await?;
            let list = self.w.client.list_devices(&self.ext, &org).await.map_err(text)?;
            self.devices = Some(
                list.into_iter()
                    .filter_map(|d| Some((mac_key(d.mac.as_deref().filter(|m| !m.is_empty())?), d)))
                    .collect(),
            );
        }
        Ok(self.devices.get_or_insert_default())
    }

    /// A user or workspace named by a device's `owner` or `sharedWith`.
    pub(super) async fn member(&mut self, named: &Value) -> Res<Member> {
        if let Some(email) = named["user"].as_str() {
            let subscribers = self.load_subscribers().await?;
            let Some(s) = subscribers.get(&email.to_lowercase()) else {
                return Err(format!(
                    "user {email} of customer {} does not exist at Webex\nhint: declare it (kind: User), or run `telform plan` again",
                    self.ext
                ));
            };
            return s.person_id.clone().map(Member::Person).ok_or_else(|| {
                format!(
                    "user {email} has no person id yet (status `{}`): Webex gives it once the user is provisioned\nhint: apply again once the user accepted the move",
                    s.status
                )
            });
        }
        if let Some(name) = named["workspace"].as_str() {
            let workspaces = self.load_workspaces().await?;
            return workspaces
                .get(&name.to_lowercase())
                .map(|w| Member::Place(w.id.clone()))
                .ok_or_else(|| {
                    format!(
                        "workspace `{name}` of customer {} does not exist at Webex\nhint: declare it (kind: Workspace), or run `telform plan` again",
                        self.ext
                    )
                });
        }
        Err(format!(
            "the plan names no user or workspace here ({named})\nhint: make the plan again with this version of telform"
        ))
    }

    /// The password to send now: a generated one's write is first recorded in the journal.
    pub(super) fn password(&self, mac: &str) -> Res<&'a SecretString> {
        self.run.secrets.intend(&self.ext, mac)?;
        self.run.secrets.password(mac).ok_or_else(|| {
            format!(
                "no SIP password was resolved for device {mac} before apply started\nhint: this is a bug in telform: please report it"
            )
        })
    }

    /// Sets the device's shared lines to `wanted` (`[{user}]` or `[{workspace}]`).
    pub(super) async fn set_lines(&mut self, org: &str, id: &str, mac: &str, wanted: &[Value]) -> Res<()> {
        let mut members = Vec::with_capacity(wanted.len());
        for named in wanted {
            members.push(self.member(named).await?);
        }
        let current = self.w.device_members(&self.ext, org, id, mac).await.map_err(text)?;
        let list = member_list(&current, &members).map_err(|e| format!("device {mac}: {e}"))?;
        let unchanged = list.len() == current.members.len()
            && list
                .iter()
                .all(|m| current.members.iter().any(|c| c.id == m.id && c.port == m.port));
        if !unchanged {
            self.w
                .put_members(&self.ext, org, id, mac, &wire::PutMembers { members: Some(list) })
                .await
                .map_err(text)?;
        }
        Ok(())
    }

    /// After a password was set: keeps a generated one in the secrets file, then records the
    /// rotation in the device's tags. The file comes first: should the tags fail, the password
    /// is known all the same (the next plan then resets it once more).
    pub(super) async fn password_set(&mut self, action: &Action, org: &str, device: &wire::Device) -> Res<Vec<String>> {
        let mac = action.object.key.as_str();
        let mut notes = vec!["SIP password set".to_string()];
        match self.run.secrets.accepted(&self.ext, mac) {
            Ok(Some(note)) => notes.push(note),
            Ok(None) => {}
            Err(message) => {
                return Err(format!(
                    "{message}\nhint: make the file writable, then bump `sipPassword.rotation` of device {mac} to set a new password"
                ));
            }
        }
        let refs = refs(action);
        let tag = refs["sipPassword"]["tag"].as_str().map_or_else(
            || {
                format!(
                    "{ROTATION_TAG}{}",
                    refs["sipPassword"]["rotation"].as_u64().unwrap_or(0)
                )
            },
            str::to_string,
        );
        let tags = rotation_tags(&device.tags, &tag);
        if tags != device.tags {
            self.w
                .set_tags(&self.ext, org, &device.id, mac, &tags)
                .await
                .map_err(|e| {
                    format!(
                        "{}, but recording its rotation on the device failed (the next plan resets the password once more): {e}",
                        notes.join("; ")
                    )
                })?;
        }
        Ok(notes)
    }

    /// Creates a device with its password, its shared lines and its rotation tag. `replaced`:
    /// the device it replaces was just removed.
    pub(super) async fn create_device(&mut self, action: &Action, replaced: Option<&str>) -> Res<Outcome> {
        let mac = action.object.key.clone();
        let mut body = body(action)?;
        let (_, org) = self.org().await?;
        let refs = refs(action).clone();
        let owner = self.member(&refs["owner"]).await?;
        match &owner {
            Member::Person(id) => body["personId"] = json!(id),
            Member::Place(id) => body["workspaceId"] = json!(id),
        }
        let password = self.password(&mac)?;
        let made = self
            .w
            .create_device(&self.ext, &org, &body, Some(password))
            .await
            .map_err(|e| match replaced {
                Some(old) => format!("the old device ({old}) was removed, and the new one could not be added: {e}"),
                None => text(e),
            })?;
        let mut notes = Vec::new();
        let device = match made {
            Made::New(device) => device,
            Made::Existed(device) => {
                // Made by an earlier apply that did not finish (the writer checked it is the
                // device to be made: same owner and model): its password is not known.
                self.w
                    .set_sip_password(&self.ext, &org, &device.id, &mac, password)
                    .await
                    .map_err(text)?;
                notes.push(EXISTED.replace("not written again", "its password set again"));
                device
            }
        };
        if let Some(map) = &mut self.devices {
            map.insert(mac.clone(), device.clone());
        }
        // The password is kept (and its rotation recorded) before anything else can fail.
        notes.extend(self.password_set(action, &org, &device).await?);
        if let Some(shared) = refs["sharedWith"].as_array().filter(|s| !s.is_empty()) {
            self.set_lines(&org, &device.id, &mac, shared).await.map_err(|e| {
                format!(
                    "device {mac} was added ({}), but its shared lines could not be set: {e}",
                    notes.join("; ")
                )
            })?;
        }
        Ok(Outcome::new(action, Status::Done).with_detail(notes.join("; ")))
    }

    /// A device with a new owner or model: removed, then added again (with a new password).
    pub(super) async fn replace_device(&mut self, action: &Action) -> Res<Outcome> {
        let id = ref_id(action)?;
        let (_, org) = self.org().await?;
        self.w
            .delete_device(&self.ext, &org, &id, &action.object.key)
            .await
            .map_err(text)?;
        if let Some(map) = &mut self.devices {
            map.remove(&action.object.key);
        }
        self.create_device(action, Some(&id)).await
    }

    /// Shared lines and/or a password reset (a `rotation` bump).
    pub(super) async fn update_device(&mut self, action: &Action) -> Res<Outcome> {
        let mac = action.object.key.clone();
        let id = ref_id(action)?;
        let body = body(action)?;
        let (_, org) = self.org().await?;
        let mut notes = Vec::new();
        if let Some(shared) = body["sharedWith"].as_array() {
            self.set_lines(&org, &id, &mac, shared).await?;
            notes.push("lines set".to_string());
        }
        if action.reason == Some(Reason::PasswordReset) {
            let password = self.password(&mac)?;
            self.w
                .set_sip_password(&self.ext, &org, &id, &mac, password)
                .await
                .map_err(text)?;
            let device = self
                .w
                .get_device(&self.ext, &org, &id, &mac)
                .await
                .map_err(text)?
                .ok_or_else(|| {
                    format!("device {mac} disappeared after its password was set\nhint: run `telform plan` again")
                })?;
            notes.extend(self.password_set(action, &org, &device).await?);
        }
        let outcome = Outcome::new(action, Status::Done);
        Ok(if notes.is_empty() {
            outcome
        } else {
            outcome.with_detail(notes.join("; "))
        })
    }

    pub(super) async fn delete_device(&mut self, action: &Action) -> Res<Outcome> {
        let key = action.object.key.clone();
        let (_, org) = self.org().await?;
        // A device without a MAC is named by its id.
        let is_mac = key.len() == 12 && key.chars().all(|c| c.is_ascii_hexdigit());
        let id = if is_mac {
            match self.load_devices().await?.get(&mac_key(&key)) {
                Some(d) => d.id.clone(),
                None => return Ok(gone_outcome(action, Gone::AlreadyGone)),
            }
        } else {
            key.clone()
        };
        let gone = self.w.delete_device(&self.ext, &org, &id, &key).await.map_err(text)?;
        if let Some(map) = &mut self.devices {
            map.remove(&key);
        }
        Ok(gone_outcome(action, gone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, port: i64, owner: bool) -> wire::Member {
        wire::Member {
            id: id.into(),
            port,
            primary_owner: owner,
            line_type: if owner { "PRIMARY" } else { "SHARED_CALL_APPEARANCE" }.into(),
            line_weight: 1,
            line_label: Some(format!("label {id}")),
            ..Default::default()
        }
    }

    #[test]
    fn lines_keep_the_owner_and_staying_members_and_fill_free_ports() {
        let current = wire::DeviceMembers {
            model: "m".into(),
            members: vec![
                member("owner", 1, true),
                member("gone", 2, false),
                member("stays", 3, false),
            ],
            max_line_count: 4,
        };
        let wanted = [Member::Person("stays".into()), Member::Person("new".into())];
        let list = member_list(&current, &wanted).expect("fits");
        let ports: Vec<(&str, i64)> = list.iter().map(|m| (m.id.as_str(), m.port)).collect();
        assert_eq!(ports, vec![("owner", 1), ("new", 2), ("stays", 3)]);
        // A staying member keeps its settings.
        assert_eq!(list[2].line_label.as_deref(), Some("label stays"));
        assert_eq!(list[1].line_type, "SHARED_CALL_APPEARANCE");
        let too_many: Vec<Member> = (0..4).map(|i| Member::Place(format!("w{i}"))).collect();
        let error = member_list(&current, &too_many).expect_err("5 lines on 4 ports");
        assert!(error.contains("4 line(s)"), "{error}");
    }

    #[test]
    fn the_rotation_tag_replaces_an_earlier_one_and_keeps_other_tags() {
        let current = vec!["repair-2024-03".to_string(), format!("{ROTATION_TAG}1")];
        assert_eq!(
            rotation_tags(&current, &format!("{ROTATION_TAG}2")),
            vec!["repair-2024-03".to_string(), format!("{ROTATION_TAG}2")]
        );
        assert_eq!(
            rotation_tags(&[], "telform-sip-rotation=0"),
            vec!["telform-sip-rotation=0".to_string()]
        );
    }
}
