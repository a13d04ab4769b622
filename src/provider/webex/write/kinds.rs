//! The endpoint table: where each Webex resource lives and how it is found by its natural
//! key, and one generic find / read / create / update / delete over it (as kube-rs describes a
//! resource by its URL path and serves every one with one `Api<K>`). The public functions keep
//! the names and signatures apply calls; each is a row lookup. What is not a plain resource
//! (numbers of a location, a device's lines, password and tags) is written out below them.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Gone, Lookup, Made, P, Request, WebexWriter, bug, differs, gone, normal, parse};
use crate::model::webex::mac_key;
use crate::provider::http::ProviderError;
use crate::wire::encode;
use crate::wire::webex::{
    CreatedId, Customer, Device, DeviceMembers, FULL_ADMINISTRATOR, Location, Person, PutMembers, ResourceUrl,
    RoleList, Subscriber, UpdatePerson, Workspace,
};

/// One resource: its collection, its natural key, and how its lookup pages.
pub(super) struct Endpoint<T> {
    /// What it is called in operations ("user" for a subscriber).
    noun: &'static str,
    /// The collection: `POST` creates there, `{path}/{id}` is one object.
    path: &'static str,
    /// The lookup's scope parameter (`orgId`, `customerId`); `None` for customers, which are
    /// their own scope (named "customer {ext}").
    scope: Option<&'static str>,
    /// Creations and calls on one object name the organisation (`?orgId=`).
    org_on_calls: bool,
    /// The lookup's filter by natural key.
    key: &'static str,
    /// What a read of one object adds (`includePackageLicenseInfo`: the spec declares it on
    /// the single GET only, not on the list a lookup uses).
    read_extra: &'static [(&'static str, &'static str)],
    paging: Lookup,
    /// Names are shown quoted (`HQ`); keys that are identifiers (email, MAC) bare.
    quoted: bool,
    /// Whether an item of the filtered list is the one with this key (filters are substring
    /// matches at Webex).
    is_key: fn(&T, &str) -> bool,
    /// The object a creation's answer names.
    created: fn(&str, &[u8]) -> Result<T, ProviderError>,
    /// Compared after a 409 (name, JSON pointer in the body and in the answer).
    compared: &'static [(&'static str, &'static str)],
}

/// `GET /wholesale/customers?externalId=`: an exact filter; Webex documents no page limit
/// (so a short page is not trusted to be the last).
const CUSTOMERS: Lookup = Lookup::Offset {
    param: "offset",
    max: 100,
    trusted: false,
};
/// `GET /wholesale/subscribers?email=`: an exact filter, 100 per page at most.
const SUBSCRIBERS: Lookup = Lookup::Offset {
    param: "offset",
    max: 100,
    trusted: true,
};
/// `GET /workspaces?displayName=`: a substring filter, no `Link`.
const WORKSPACES: Lookup = Lookup::Offset {
    param: "start",
    max: 1000,
    trusted: true,
};

const CUSTOMER: Endpoint<Customer> = Endpoint {
    noun: "customer",
    path: "/wholesale/customers",
    scope: None,
    org_on_calls: false,
    key: "externalId",
    read_extra: &[("includePackageLicenseInfo", "true")],
    paging: CUSTOMERS,
    quoted: false,
    is_key: |c, ext| c.external_id == ext,
    created: created_customer,
    compared: &[("packages", "/packages"), ("orgId", "/orgId"), ("address", "/address")],
};

const LOCATION: Endpoint<Location> = Endpoint {
    noun: "location",
    path: "/locations",
    scope: Some("orgId"),
    org_on_calls: true,
    // A substring filter; names are unique regardless of case.
    key: "name",
    read_extra: &[],
    paging: Lookup::Link,
    quoted: true,
    is_key: |l, name| l.name.eq_ignore_ascii_case(name),
    created: |operation, bytes| {
        let id = parse::<CreatedId>(operation, bytes)?.id;
        Ok(Location {
            id,
            ..Location::default()
        })
    },
    compared: &[
        ("timeZone", "/timeZone"),
        ("preferredLanguage", "/preferredLanguage"),
        ("address", "/address"),
    ],
};

const USER: Endpoint<Subscriber> = Endpoint {
    noun: "user",
    path: "/wholesale/subscribers",
    scope: Some("customerId"),
    org_on_calls: false,
    key: "email",
    read_extra: &[],
    paging: SUBSCRIBERS,
    quoted: false,
    is_key: |s, email| s.email.eq_ignore_ascii_case(email),
    created: parse::<Subscriber>,
    // The packages are compared on their own (see `create_subscriber`).
    compared: &[],
};

/// Webex does not keep workspace names unique: the first one of that name (any case).
const WORKSPACE: Endpoint<Workspace> = Endpoint {
    noun: "workspace",
    path: "/workspaces",
    scope: Some("orgId"),
    org_on_calls: false,
    key: "displayName",
    read_extra: &[],
    paging: WORKSPACES,
    quoted: true,
    is_key: |w, name| w.display_name.eq_ignore_ascii_case(name),
    created: parse::<Workspace>,
    compared: &[
        ("locationId", "/locationId"),
        ("capacity", "/capacity"),
        ("type", "/type"),
        ("supportedDevices", "/supportedDevices"),
        ("calling", "/calling/type"),
        ("licenses", "/calling/webexCalling/licenses"),
    ],
};

const DEVICE: Endpoint<Device> = Endpoint {
    noun: "device",
    path: "/devices",
    scope: Some("orgId"),
    org_on_calls: true,
    key: "mac",
    read_extra: &[],
    paging: Lookup::Link,
    quoted: false,
    is_key: |d, mac| d.mac.as_deref().map(mac_key) == Some(mac_key(mac)),
    created: parse::<Device>,
    // The model is compared on its own (see `create_device`).
    compared: &[("personId", "/personId"), ("workspaceId", "/workspaceId")],
};

/// `POST /wholesale/customers` answers `{url}`: the new customer's id is at its end.
fn created_customer(operation: &str, bytes: &[u8]) -> Result<Customer, ProviderError> {
    let answer: ResourceUrl = parse(operation, bytes)?;
    let id = customer_id_of(&answer.url).ok_or_else(|| {
        bug(
            operation,
            format!("the answer's url `{}` names no customer", answer.url),
        )
    })?;
    Ok(Customer {
        id,
        ..Customer::default()
    })
}

impl<T> Endpoint<T> {
    /// The object in operations: "customer ACME", "location `HQ` of customer ACME".
    fn what(&self, name: &str, ext: &str) -> String {
        match self.scope {
            None => format!("{} {ext}", self.noun),
            Some(_) if self.quoted => format!("{} `{name}` of customer {ext}", self.noun),
            Some(_) => format!("{} {name} of customer {ext}", self.noun),
        }
    }

    /// `?orgId=` on creations and calls on one object, where the endpoint wants it.
    fn org(&self, org: &str) -> Vec<(&'static str, String)> {
        if self.org_on_calls {
            vec![("orgId", org.to_string())]
        } else {
            Vec::new()
        }
    }

    /// One object's path.
    fn one(&self, id: &str) -> String {
        format!("{}/{}", self.path, encode(id))
    }
}

/// The one implementation over the table. `scope` is the lookup's scope value (the
/// organisation, or the customer's id for its users), also the `orgId` of the calls that
/// name it; customers have none.
impl WebexWriter<'_> {
    async fn find_in<T: DeserializeOwned>(
        &self,
        ep: &Endpoint<T>,
        ext: &str,
        scope: &str,
        key: &str,
    ) -> Result<Option<T>, ProviderError> {
        let mut query: Vec<(&str, String)> = ep.scope.map(|p| (p, scope.to_string())).into_iter().collect();
        query.push((ep.key, key.to_string()));
        let operation = format!("look up {}", ep.what(key, ext));
        self.lookup(&operation, ep.path, &query, ep.paging, |item: &T| {
            (ep.is_key)(item, key)
        })
        .await
    }

    async fn get_in<T: DeserializeOwned>(
        &self,
        ep: &Endpoint<T>,
        ext: &str,
        org: &str,
        id: &str,
        name: &str,
    ) -> Result<Option<T>, ProviderError> {
        let mut query = ep.org(org);
        query.extend(ep.read_extra.iter().map(|(k, v)| (*k, v.to_string())));
        let url = self.url(&ep.one(id), &query);
        self.get(&format!("read {}", ep.what(name, ext)), &url).await
    }

    /// A creation (see [`WebexWriter::create`]): `sent` is the body sent (with a password,
    /// `secret`), `wanted` what is compared after a 409, by `ep.compared` and then `also`.
    #[allow(clippy::too_many_arguments)]
    async fn create_in<T: DeserializeOwned + serde::Serialize>(
        &self,
        ep: &Endpoint<T>,
        ext: &str,
        scope: &str,
        name: &str,
        (sent, wanted): (Value, &Value),
        secret: Option<&SecretString>,
        also: impl Fn(&T) -> Option<&'static str>,
    ) -> Result<Made<T>, ProviderError> {
        let request = Request {
            secret,
            ..Request::new(
                format!("create {}", ep.what(name, ext)),
                Method::POST,
                self.url(ep.path, &ep.org(scope)),
                Some(sent),
            )
        };
        let operation = request.operation.clone();
        self.create(
            &request,
            |bytes| (ep.created)(&operation, bytes),
            async || self.find_in(ep, ext, scope, name).await,
            |found| {
                let mut fields = if ep.compared.is_empty() {
                    Vec::new()
                } else {
                    differs(wanted, found, ep.compared)
                };
                fields.extend(also(found));
                fields
            },
        )
        .await
    }

    /// A `PUT` of the whole object: idempotent.
    async fn update_in<T>(
        &self,
        ep: &Endpoint<T>,
        (ext, org): (&str, &str),
        id: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update {}", ep.what(name, ext)),
            Method::PUT,
            self.url(&ep.one(id), &ep.org(org)),
            Some(body.clone()),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    fn delete_request<T>(&self, ep: &Endpoint<T>, (ext, org): (&str, &str), id: &str, name: &str) -> Request<'static> {
        Request::new(
            format!("delete {}", ep.what(name, ext)),
            Method::DELETE,
            self.url(&ep.one(id), &ep.org(org)),
            None,
        )
    }

    async fn delete_in<T>(
        &self,
        ep: &Endpoint<T>,
        scope: (&str, &str),
        id: &str,
        name: &str,
    ) -> Result<Gone, ProviderError> {
        self.delete(&self.delete_request(ep, scope, id, name)).await
    }
}

/// No further field compared.
fn nothing<T>(_: &T) -> Option<&'static str> {
    None
}

impl WebexWriter<'_> {
    // ---- customers -------------------------------------------------------------------------

    /// The customer with this external id (with its packages' licence ids).
    pub async fn find_customer(&self, ext: &str) -> Result<Option<Customer>, ProviderError> {
        self.find_in(&CUSTOMER, ext, "", ext).await
    }

    pub async fn get_customer(&self, ext: &str, id: &str) -> Result<Option<Customer>, ProviderError> {
        self.get_in(&CUSTOMER, ext, "", id, ext).await
    }

    /// `POST /wholesale/customers` (202): the new customer's id.
    pub async fn create_customer(&self, ext: &str, body: &Value) -> Result<Made<String>, ProviderError> {
        let made = self
            .create_in(&CUSTOMER, ext, "", ext, (body.clone(), body), None, nothing)
            .await?;
        Ok(made.map(|c| c.id))
    }

    /// `PUT /wholesale/customers/{id}` (202). An update whose answer was lost shows as the
    /// customer `updating`; sent again it would be refused (409) while Webex works on it.
    pub async fn update_customer(&self, ext: &str, id: &str, body: &Value) -> Result<(), ProviderError> {
        let request = Request::new(
            format!("update {}", CUSTOMER.what(ext, ext)),
            Method::PUT,
            self.url(&CUSTOMER.one(id), &[]),
            Some(body.clone()),
        );
        let check = async || {
            let current = self.get_customer(ext, id).await?;
            Ok(current
                .filter(|c| c.status == crate::wire::webex::CUSTOMER_UPDATING)
                .map(|_| ()))
        };
        match self.send(&request, check).await {
            Ok(_) => Ok(()),
            Err(failed) => Err(failed.error),
        }
    }

    /// `DELETE /wholesale/customers/{id}` (202).
    pub async fn delete_customer(&self, ext: &str, id: &str) -> Result<Gone, ProviderError> {
        let request = self.delete_request(&CUSTOMER, (ext, ""), id, ext);
        let check = async || {
            let current = self.get_customer(ext, id).await?;
            Ok(match current {
                None => Some(()),
                Some(c) if c.status == crate::wire::webex::CUSTOMER_DELETING => Some(()),
                Some(_) => None,
            })
        };
        gone(self.send(&request, check).await.map(|_| ()))
    }

    // ---- locations -------------------------------------------------------------------------

    pub async fn find_location(&self, ext: &str, org: &str, name: &str) -> Result<Option<Location>, ProviderError> {
        self.find_in(&LOCATION, ext, org, name).await
    }

    /// `POST /locations?orgId=` (201 `{id}`): the new location's id.
    pub async fn create_location(&self, ext: &str, org: &str, body: &Value) -> Result<Made<String>, ProviderError> {
        let name = body["name"].as_str().unwrap_or_default();
        let made = self
            .create_in(&LOCATION, ext, org, name, (body.clone(), body), None, nothing)
            .await?;
        Ok(made.map(|l| l.id))
    }

    pub async fn update_location(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), ProviderError> {
        self.update_in(&LOCATION, (ext, org), id, name, body).await
    }

    pub async fn delete_location(&self, ext: &str, org: &str, id: &str, name: &str) -> Result<Gone, ProviderError> {
        self.delete_in(&LOCATION, (ext, org), id, name).await
    }

    // ---- subscribers -----------------------------------------------------------------------

    pub async fn find_subscriber(
        &self,
        ext: &str,
        customer_id: &str,
        email: &str,
    ) -> Result<Option<Subscriber>, ProviderError> {
        self.find_in(&USER, ext, customer_id, email).await
    }

    pub async fn create_subscriber(&self, ext: &str, body: &Value) -> Result<Made<Subscriber>, ProviderError> {
        let email = body["email"].as_str().unwrap_or_default();
        let customer_id = body["customerId"].as_str().unwrap_or_default();
        // A subscriber answers its package(s) only: the one asked for must be among them.
        let packages = |found: &Subscriber| {
            let wanted: Vec<&str> = match body["packages"].as_array() {
                Some(list) => list.iter().filter_map(Value::as_str).collect(),
                None => body["package"].as_str().into_iter().collect(),
            };
            let has = |p: &str| {
                found
                    .packages
                    .iter()
                    .chain(&found.package)
                    .any(|h| h.eq_ignore_ascii_case(p))
            };
            let known = !found.packages.is_empty() || found.package.is_some();
            (known && !wanted.iter().all(|p| has(p))).then_some("packages")
        };
        self.create_in(&USER, ext, customer_id, email, (body.clone(), body), None, packages)
            .await
    }

    pub async fn update_subscriber(&self, ext: &str, id: &str, email: &str, body: &Value) -> Result<(), ProviderError> {
        self.update_in(&USER, (ext, ""), id, email, body).await
    }

    pub async fn delete_subscriber(&self, ext: &str, id: &str, email: &str) -> Result<Gone, ProviderError> {
        self.delete_in(&USER, (ext, ""), id, email).await
    }

    // ---- people: the full administrator role -----------------------------------------------

    /// The full administrator role's id (`GET /roles`).
    pub async fn full_admin_role(&self, ext: &str) -> Result<String, ProviderError> {
        let operation = format!("list the administrator roles (for customer {ext})");
        let roles: Option<RoleList> = self.get(&operation, &self.url("/roles", &[])).await?;
        roles
            .into_iter()
            .flat_map(|r| r.items)
            .find(|r| r.name.eq_ignore_ascii_case(FULL_ADMINISTRATOR))
            .map(|r| r.id)
            .ok_or_else(|| ProviderError {
                provider: P,
                operation,
                status: None,
                code: None,
                message: format!("Webex lists no `{FULL_ADMINISTRATOR}` role"),
                tracking_id: None,
                hint: "check that the token's organisation can list roles (`spark-admin:roles_read`)".into(),
            })
    }

    /// Gives (`admin`) or takes a person's full administrator role. `PUT /people/{id}`
    /// replaces the whole person, so the person is read first and sent back as read, with
    /// only that role added or removed (its other roles are kept). Nothing is written when
    /// the person already is as asked; `true` when it was written.
    pub async fn set_full_admin(
        &self,
        ext: &str,
        email: &str,
        person_id: &str,
        role: &str,
        admin: bool,
    ) -> Result<bool, ProviderError> {
        let what = format!("administrator role of user {email} of customer {ext}");
        let url = self.url(
            &format!("/people/{}", encode(person_id)),
            &[("callingData", "true".to_string())],
        );
        let operation = format!("read the {what}");
        let Some(person) = self.get::<Person>(&operation, &url).await? else {
            return Err(ProviderError {
                provider: P,
                operation,
                status: Some(404),
                code: None,
                message: "the person no longer exists".into(),
                tracking_id: None,
                hint: "run `telform plan` again".into(),
            });
        };
        let has = person.roles.iter().any(|r| r == role);
        if has == admin {
            return Ok(false);
        }
        let mut roles: Vec<String> = person.roles.iter().filter(|r| *r != role).cloned().collect();
        if admin {
            roles.push(role.to_string());
        }
        let body = serde_json::to_value(UpdatePerson::from_read(&person, roles))
            .map_err(|e| bug("encode a person", e.to_string()))?;
        let request = Request::new(
            format!("{} the {what}", if admin { "give" } else { "take" }),
            Method::PUT,
            url,
            Some(body),
        );
        self.idempotent(&request).await.map(|_| true)
    }

    // ---- workspaces ------------------------------------------------------------------------

    /// Webex does not keep workspace names unique: the first one of that name (any case).
    pub async fn find_workspace(&self, ext: &str, org: &str, name: &str) -> Result<Option<Workspace>, ProviderError> {
        self.find_in(&WORKSPACE, ext, org, name).await
    }

    pub async fn create_workspace(&self, ext: &str, org: &str, body: &Value) -> Result<Made<Workspace>, ProviderError> {
        let name = body["displayName"].as_str().unwrap_or_default();
        self.create_in(&WORKSPACE, ext, org, name, (body.clone(), body), None, nothing)
            .await
    }

    pub async fn update_workspace(&self, ext: &str, id: &str, name: &str, body: &Value) -> Result<(), ProviderError> {
        self.update_in(&WORKSPACE, (ext, ""), id, name, body).await
    }

    pub async fn delete_workspace(&self, ext: &str, id: &str, name: &str) -> Result<Gone, ProviderError> {
        self.delete_in(&WORKSPACE, (ext, ""), id, name).await
    }

    // ---- devices ---------------------------------------------------------------------------

    pub async fn find_device(&self, ext: &str, org: &str, mac: &str) -> Result<Option<Device>, ProviderError> {
        self.find_in(&DEVICE, ext, org, mac).await
    }

    pub async fn get_device(&self, ext: &str, org: &str, id: &str, mac: &str) -> Result<Option<Device>, ProviderError> {
        self.get_in(&DEVICE, ext, org, id, mac).await
    }

    /// `POST /devices?orgId=` with the SIP password in the body: the device and its password
    /// are made in one write, so a lost answer cannot leave a device with a password unknown.
    pub async fn create_device(
        &self,
        ext: &str,
        org: &str,
        body: &Value,
        password: Option<&SecretString>,
    ) -> Result<Made<Device>, ProviderError> {
        let mac = body["mac"].as_str().unwrap_or_default();
        let mut sent = body.clone();
        if let Some(password) = password {
            sent["password"] = json!(password.expose_secret());
        }
        // The answer names the model by its display name (`Cisco 8851` for `DMS Cisco 8851`).
        let model = |found: &Device| {
            let (model, product) = (body["model"].as_str()?, found.product.as_deref()?);
            let (model, product) = (normal(model), normal(product));
            (!(model.ends_with(&product) || product.ends_with(&model))).then_some("model")
        };
        self.create_in(&DEVICE, ext, org, mac, (sent, body), password, model)
            .await
    }

    pub async fn delete_device(&self, ext: &str, org: &str, id: &str, mac: &str) -> Result<Gone, ProviderError> {
        self.delete_in(&DEVICE, (ext, org), id, mac).await
    }
}

/// What is not a plain resource: numbers of a location, a device's password, tags and lines.
impl WebexWriter<'_> {
    /// Adds numbers to a location. Webex ignores numbers the location already has, so a lost
    /// answer is simply sent again.
    pub async fn add_numbers(
        &self,
        ext: &str,
        org: &str,
        location: (&str, &str),
        numbers: &[String],
    ) -> Result<(), ProviderError> {
        let what = format!(
            "add {} to location `{}` of customer {ext}",
            numbers_text(numbers),
            location.1
        );
        self.location_numbers(what, Method::POST, org, location.0, numbers)
            .await
    }

    /// Removes numbers from a location (numbers it does not have are ignored).
    pub async fn remove_numbers(
        &self,
        ext: &str,
        org: &str,
        location: (&str, &str),
        numbers: &[String],
    ) -> Result<(), ProviderError> {
        let what = format!(
            "remove {} from location `{}` of customer {ext}",
            numbers_text(numbers),
            location.1
        );
        self.location_numbers(what, Method::DELETE, org, location.0, numbers)
            .await
    }

    /// `POST` or `DELETE /telephony/config/locations/{id}/numbers`: idempotent either way.
    async fn location_numbers(
        &self,
        what: String,
        method: Method,
        org: &str,
        location_id: &str,
        numbers: &[String],
    ) -> Result<(), ProviderError> {
        let request = Request::new(
            what,
            method,
            self.url(
                &format!("/telephony/config/locations/{}/numbers", encode(location_id)),
                &[("orgId", org.to_string())],
            ),
            Some(json!({"phoneNumbers": numbers})),
        );
        self.idempotent(&request).await.map(|_| ())
    }

    /// `PUT /telephony/config/devices/{id}` `{sipPassword}` (204): a reset, idempotent.
    pub async fn set_sip_password(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        password: &SecretString,
    ) -> Result<(), ProviderError> {
        let request = Request {
            secret: Some(password),
            ..Request::new(
                format!("set the SIP password of device {mac} of customer {ext}"),
                Method::PUT,
                self.url(
                    &format!("/telephony/config/devices/{}", encode(id)),
                    &[("orgId", org.to_string())],
                ),
                Some(json!({"sipPassword": password.expose_secret()})),
            )
        };
        self.idempotent(&request).await.map(|_| ())
    }

    /// Sets a device's tags (json-patch `replace` of the whole list: idempotent).
    pub async fn set_tags(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        tags: &[String],
    ) -> Result<(), ProviderError> {
        let request = Request {
            content_type: Some("application/json-patch+json"),
            ..Request::new(
                format!("tag device {mac} of customer {ext}"),
                Method::PATCH,
                self.url(&format!("/devices/{}", encode(id)), &[("orgId", org.to_string())]),
                Some(json!([{"op": "replace", "path": "tags", "value": tags}])),
            )
        };
        self.idempotent(&request).await.map(|_| ())
    }

    pub async fn device_members(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
    ) -> Result<DeviceMembers, ProviderError> {
        let operation = format!("read the lines of device {mac} of customer {ext}");
        let url = self.url(
            &format!("/telephony/config/devices/{}/members", encode(id)),
            &[("orgId", org.to_string())],
        );
        self.get(&operation, &url).await?.ok_or_else(|| ProviderError {
            provider: P,
            operation,
            status: Some(404),
            code: None,
            message: "the device no longer exists".into(),
            tracking_id: None,
            hint: "run `telform plan` again".into(),
        })
    }

    /// `PUT …/members`: replaces the device's whole line list (idempotent).
    pub async fn put_members(
        &self,
        ext: &str,
        org: &str,
        id: &str,
        mac: &str,
        members: &PutMembers,
    ) -> Result<(), ProviderError> {
        let body = serde_json::to_value(members).map_err(|e| bug("encode device lines", e.to_string()))?;
        let request = Request::new(
            format!("set the lines of device {mac} of customer {ext}"),
            Method::PUT,
            self.url(
                &format!("/telephony/config/devices/{}/members", encode(id)),
                &[("orgId", org.to_string())],
            ),
            Some(body),
        );
        self.idempotent(&request).await.map(|_| ())
    }
}

pub(super) fn numbers_text(numbers: &[String]) -> String {
    match numbers {
        [one] => format!("number {one}"),
        [first, .., last] => format!("{} numbers ({first}..{last})", numbers.len()),
        [] => "no number".into(),
    }
}

/// The customer id at the end of a `{url}` answer (`…/wholesale/customers/{id}`).
pub(super) fn customer_id_of(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let (_, id) = path.trim_end_matches('/').rsplit_once("/wholesale/customers/")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}
