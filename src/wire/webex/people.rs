//! The People and Roles APIs (`specs/webex/webex-admin.json`): where a customer's full
//! administrators are read (`GET /people?orgId=&roles=`) and the role is given or taken
//! (`PUT /people/{personId}`, which replaces the whole person: it is read first and sent back
//! with its roles changed).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The name `GET /roles` gives the role telform manages (`admin` of a user).
pub const FULL_ADMINISTRATOR: &str = "Full Administrator";

/// `GET /roles` item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleList {
    #[serde(default)]
    pub items: Vec<Role>,
}

/// A phone number of a person: the answer's types are `work`, `work_extension`, `mobile`,
/// `fax`; an update takes `work` only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonPhoneNumber {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// A person as `GET /people` and `GET /people/{personId}` answer it (the spec's `Person`;
/// presence and other read-only fields are not kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<PersonPhoneNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Sent back as read: `PUT /people/{id}` replaces the whole person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub site_urls: Vec<String>,
    /// The answer types it as the string `"true"` / `"false"` (the update as a boolean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_enabled: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonList {
    #[serde(default)]
    pub items: Vec<Person>,
}

/// `PUT /people/{personId}`: the request schema (`displayName` required). Webex replaces the
/// person with it, so a client sends back what it read, changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePerson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<PersonPhoneNumber>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_enabled: Option<bool>,
}

impl UpdatePerson {
    /// The person as read, to send back with `roles`: every field the request schema declares
    /// that was read (phone numbers of type `work` only, `{type, value}`; `loginEnabled` as a
    /// boolean). `displayName` falls back on the email, as Webex shows a person without a name.
    pub fn from_read(person: &Person, roles: Vec<String>) -> UpdatePerson {
        let work: Vec<PersonPhoneNumber> = person
            .phone_numbers
            .iter()
            .filter(|n| n.kind.as_deref() == Some("work") && n.value.is_some())
            .map(|n| PersonPhoneNumber {
                kind: n.kind.clone(),
                value: n.value.clone(),
                primary: None,
            })
            .collect();
        let display_name = person
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| person.emails.first().cloned())
            .unwrap_or_default();
        UpdatePerson {
            emails: (!person.emails.is_empty()).then(|| person.emails.clone()),
            phone_numbers: (!work.is_empty()).then_some(work),
            extension: person.extension.clone(),
            location_id: person.location_id.clone(),
            display_name,
            first_name: person.first_name.clone(),
            last_name: person.last_name.clone(),
            nick_name: person.nick_name.clone(),
            avatar: person.avatar.clone(),
            org_id: person.org_id.clone(),
            roles: Some(roles),
            licenses: Some(person.licenses.clone()),
            department: person.department.clone(),
            manager: person.manager.clone(),
            manager_id: person.manager_id.clone(),
            title: person.title.clone(),
            addresses: (!person.addresses.is_empty()).then(|| person.addresses.clone()),
            site_urls: (!person.site_urls.is_empty()).then(|| person.site_urls.clone()),
            login_enabled: person.login_enabled.as_deref().map(|v| v == "true"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_update_sends_back_what_was_read_with_the_roles() {
        let read: Person = serde_json::from_value(json!({
            "id": "P1", "emails": ["a@x.example"], "displayName": "Ann Smith", "firstName": "Ann",
            "lastName": "Smith", "orgId": "O1", "roles": ["R2"], "licenses": ["L1"],
            "phoneNumbers": [{"type": "work", "value": "+33100000000", "primary": true},
                             {"type": "work_extension", "value": "1000"}],
            "extension": "1000", "locationId": "LOC", "loginEnabled": "true", "status": "unknown"
        }))
        .expect("a person");
        let body = serde_json::to_value(UpdatePerson::from_read(&read, vec!["R2".into(), "R1".into()])).expect("json");
        assert_eq!(
            body,
            json!({
                "emails": ["a@x.example"], "displayName": "Ann Smith", "firstName": "Ann", "lastName": "Smith",
                "orgId": "O1", "roles": ["R2", "R1"], "licenses": ["L1"],
                "phoneNumbers": [{"type": "work", "value": "+33100000000"}],
                "extension": "1000", "locationId": "LOC", "loginEnabled": true
            })
        );
        let nameless = Person {
            emails: vec!["b@x.example".into()],
            ..Person::default()
        };
        assert_eq!(
            UpdatePerson::from_read(&nameless, Vec::new()).display_name,
            "b@x.example"
        );
    }
}
