//! Wholesale customers and subscribers, and their prechecks (`specs/webex/webex-wholesale.json`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::http::{Call, Fail, Kind, Need, begin, delay_ms, json, no_content, page, reply, with_header};
use super::rules;
use super::scopes::*;
use super::store::{Customer, Location, Org, Owner, Person, Phase, Reach, Store, Subscriber};
use crate::emulator::{App, iso8601};
use crate::wire::webex as wire;

/// What a seed may fix that an API call cannot: ids, and a customer already provisioned.
#[derive(Debug, Clone, Default)]
pub(super) struct Seeded {
    pub id: Option<String>,
}

impl Store {
    // ------------------------------------------------------------------ customers

    fn check_calling_location(
        &self,
        params: Option<&wire::ProvisioningParameters>,
        required: bool,
    ) -> Result<(), Fail> {
        let calling = params.and_then(|p| p.calling.as_ref());
        // The schema makes `location` required in a `calling` block, whatever the packages.
        if calling.is_some_and(|c| c.location.is_none()) {
            return Err(Fail::bad(
                "provisioningParameters.calling.location is required in provisioningParameters.calling",
            ));
        }
        let Some(loc) = calling.and_then(|c| c.location.as_ref()) else {
            if required {
                return Err(Fail::bad(
                    "provisioningParameters.calling.location is required when provisioning calling packages",
                ));
            }
            return Ok(());
        };
        let f = "provisioningParameters.calling.location";
        rules::required(&loc.name, &format!("{f}.name"))?;
        rules::max_len(&loc.name, 80, &format!("{f}.name"))?;
        rules::wholesale_address(loc.address.as_ref(), &format!("{f}.address"))?;
        rules::timezone(&loc.timezone, &format!("{f}.timezone"))?;
        rules::required(&loc.language, &format!("{f}.language"))?;
        rules::language(&loc.language, &format!("{f}.language"))
    }

    fn check_customer_info(info: &wire::CustomerInfo) -> Result<(), Fail> {
        rules::required(&info.name, "customerInfo.name")?;
        if info.name.contains('%') {
            return Err(Fail::bad("customerInfo.name must not contain `%`"));
        }
        rules::email(&info.primary_email, "customerInfo.primaryEmail")?;
        if let Some(lang) = &info.language {
            rules::language(lang, "customerInfo.language")?;
        }
        Ok(())
    }

    fn check_provisioning_id(&self, id: &str) -> Result<(), Fail> {
        rules::required(id, "provisioningId")?;
        if self.db.provisioning_ids.contains(id) {
            Ok(())
        } else {
            Err(Fail::bad(format!(
                "provisioningId `{id}` is not the provisioning id of one of the partner's onboarding templates"
            )))
        }
    }

    fn check_external_id_free(&self, external_id: &str, except: Option<&str>) -> Result<(), Fail> {
        match self.idx.customer_by_external.get(external_id) {
            Some(id) if Some(id.as_str()) != except => Err(Fail::conflict(format!(
                "A customer with externalId `{external_id}` already exists (id {id})"
            ))),
            _ => Ok(()),
        }
    }

    fn check_attachable(&self, org_id: &str) -> Result<(), Fail> {
        if !self.db.orgs.contains_key(org_id) {
            return Err(Fail::bad(format!("orgId `{org_id}`: no such Webex organization")));
        }
        if let Some(customer) = self.idx.customer_by_org.get(org_id) {
            return Err(Fail::conflict(format!(
                "organization `{org_id}` is already a wholesale customer (id {customer})"
            )));
        }
        Ok(())
    }

    /// `POST /wholesale/customers`. Returns the new customer's id.
    pub(super) fn provision_customer(
        &mut self,
        req: wire::ProvisionCustomer,
        now: u64,
        seeded: Option<Seeded>,
    ) -> Result<String, Fail> {
        self.check_provisioning_id(&req.provisioning_id)?;
        rules::customer_packages(&req.packages)?;
        rules::required(&req.external_id, "externalId")?;
        rules::wholesale_address(req.address.as_ref(), "address")?;
        match (&req.customer_info, &req.org_id) {
            (Some(info), _) => Self::check_customer_info(info)?,
            (None, None) => return Err(Fail::bad("customerInfo is required for a new customer (without orgId)")),
            (None, Some(_)) => {}
        }
        self.check_calling_location(req.provisioning_parameters.as_ref(), rules::has_calling(&req.packages))?;
        self.check_external_id_free(&req.external_id, None)?;
        let seeding = seeded.is_some();
        let given_id = seeded.and_then(|s| s.id);
        if let Some(id) = &given_id
            && self.db.customers.contains_key(id)
        {
            return Err(Fail::conflict(format!("a customer with id `{id}` already exists")));
        }
        let org_id = match &req.org_id {
            Some(org_id) if seeding && !self.db.orgs.contains_key(org_id) => {
                // A brownfield customer with its own org id.
                let (seq, _) = self.next_id("ORGANIZATION");
                let name = req.customer_info.as_ref().map(|i| i.name.clone()).unwrap_or_default();
                self.db.orgs.insert(
                    org_id.clone(),
                    Org {
                        id: org_id.clone(),
                        name,
                        seq,
                        attachable: false,
                    },
                );
                org_id.clone()
            }
            Some(org_id) => {
                self.check_attachable(org_id)?;
                org_id.clone()
            }
            None => {
                let (seq, id) = self.next_id("ORGANIZATION");
                let name = req.customer_info.as_ref().map(|i| i.name.clone()).unwrap_or_default();
                self.db.orgs.insert(
                    id.clone(),
                    Org {
                        id: id.clone(),
                        name,
                        seq,
                        attachable: false,
                    },
                );
                id
            }
        };
        let (seq, generated) = self.next_id("ENTERPRISE");
        let id = given_id.unwrap_or(generated);
        let mut licenses = BTreeMap::new();
        for package in &req.packages {
            licenses.insert(package.clone(), self.next_id("LICENSE").1);
        }
        let fails = self.db.failing_external_ids.contains(&req.external_id);
        let customer = Customer {
            id: id.clone(),
            seq,
            org_id: org_id.clone(),
            external_id: req.external_id,
            provisioning_id: req.provisioning_id,
            packages: req.packages,
            address: req.address.unwrap_or_default(),
            customer_info: req.customer_info,
            provisioning_parameters: req.provisioning_parameters,
            fails,
            phase: Phase::Provisioning,
            // A seeded customer is provisioned from the start.
            since_ms: if seeding { 0 } else { now },
            licenses,
        };
        if !fails {
            self.ensure_headquarters(&org_id, customer.provisioning_parameters.as_ref());
        }
        // Its first administrator: a person of the organisation with the full administrator
        // role (the People API reads and changes it).
        self.ensure_first_admin(&customer, now);
        self.insert_customer(customer);
        Ok(id)
    }

    /// Creates the first calling location from `provisioningParameters.calling.location`, unless
    /// the organisation has a location of that name.
    fn ensure_headquarters(&mut self, org_id: &str, params: Option<&wire::ProvisioningParameters>) {
        let Some(loc) = params
            .and_then(|p| p.calling.as_ref())
            .and_then(|c| c.location.as_ref())
        else {
            return;
        };
        if self.location_named(org_id, &loc.name).is_some() {
            return;
        }
        let a = loc.address.clone().unwrap_or_default();
        let (seq, id) = self.next_id("LOCATION");
        self.insert_location(Location {
            id,
            seq,
            org_id: org_id.to_string(),
            name: loc.name.clone(),
            time_zone: loc.timezone.clone(),
            preferred_language: loc.language.clone(),
            announcement_language: loc.language.clone(),
            address: wire::LocationAddress {
                address1: a.address_line1,
                address2: a.address_line2,
                city: a.city,
                state: a.state_or_province,
                postal_code: a.zip_or_postal_code,
                country: a.country,
            },
            latitude: None,
            longitude: None,
            notes: None,
        });
    }

    fn live_customer(&self, id: &str, now: u64, delay: u64) -> Result<&Customer, Fail> {
        match self.db.customers.get(id) {
            Some(c) if !c.gone(now, delay) => Ok(c),
            _ => Err(Fail::not_found(format!("Customer `{id}` not found"))),
        }
    }

    /// `PUT /wholesale/customers/{id}`.
    fn update_customer(&mut self, id: &str, req: wire::UpdateCustomer, now: u64, delay: u64) -> Result<(), Fail> {
        let status = self.live_customer(id, now, delay)?.status(now, delay);
        if [
            wire::CUSTOMER_PROVISIONING,
            wire::CUSTOMER_UPDATING,
            wire::CUSTOMER_DELETING,
        ]
        .contains(&status)
        {
            return Err(Fail::conflict(format!(
                "Customer `{id}` is `{status}`: update it once that has finished"
            )));
        }
        rules::customer_packages(&req.packages)?;
        if let Some(external_id) = &req.external_id {
            rules::required(external_id, "externalId")?;
            self.check_external_id_free(external_id, Some(id))?;
        }
        if req.address.is_some() {
            rules::wholesale_address(req.address.as_ref(), "address")?;
        }
        let customer = &self.db.customers[id];
        let org = customer.org_id.clone();
        let has_location = self.first_location(&org).is_some();
        self.check_calling_location(
            req.provisioning_parameters.as_ref(),
            rules::has_calling(&req.packages) && !has_location,
        )?;
        // A package still in use cannot be removed.
        for removed in customer.packages.iter().filter(|p| !req.packages.contains(p)) {
            let users = self
                .idx
                .subscribers_by_customer
                .get(id)
                .into_iter()
                .flat_map(|m| m.values())
                .filter(|s| self.db.subscribers[*s].package == *removed)
                .count();
            if users > 0 {
                return Err(Fail::conflict(format!(
                    "package `{removed}` is assigned to {users} subscriber(s): change or remove them first"
                )));
            }
            if let Some(license) = customer.licenses.get(removed) {
                let places = self
                    .idx
                    .workspaces_by_org
                    .get(&org)
                    .into_iter()
                    .flat_map(|m| m.values())
                    .filter(|w| self.db.workspaces[*w].licenses.contains(license))
                    .count();
                if places > 0 {
                    return Err(Fail::conflict(format!(
                        "package `{removed}` licenses {places} workspace(s): change or remove them first"
                    )));
                }
            }
        }
        let mut c = self.remove_customer(id).expect("checked above");
        c.licenses.retain(|p, _| req.packages.contains(p));
        for package in &req.packages {
            if !c.licenses.contains_key(package) {
                let license = self.next_id("LICENSE").1;
                c.licenses.insert(package.clone(), license);
            }
        }
        c.packages = req.packages;
        if let Some(external_id) = req.external_id {
            c.external_id = external_id;
        }
        if let Some(address) = req.address {
            c.address = address;
        }
        if req.provisioning_parameters.is_some() {
            c.provisioning_parameters = req.provisioning_parameters;
        }
        c.phase = Phase::Updating;
        c.since_ms = now;
        if !c.fails {
            let params = c.provisioning_parameters.clone();
            self.ensure_headquarters(&org, params.as_ref());
        }
        self.insert_customer(c);
        Ok(())
    }

    /// `DELETE /wholesale/customers/{id}`: `deleting` for the provisioning delay, then gone.
    fn delete_customer(&mut self, id: &str, now: u64, delay: u64) -> Result<(), Fail> {
        let customer = self.live_customer(id, now, delay)?;
        if customer.phase == Phase::Deleting {
            return Ok(());
        }
        let mut c = self.remove_customer(id).expect("checked above");
        c.phase = Phase::Deleting;
        c.since_ms = now;
        self.insert_customer(c);
        Ok(())
    }

    pub(super) fn render_customer(&self, c: &Customer, now: u64, delay: u64, with_licenses: bool) -> wire::Customer {
        let status = c.status(now, delay);
        let package_status = match status {
            wire::CUSTOMER_PROVISIONING | wire::CUSTOMER_UPDATING => "provisioning",
            wire::CUSTOMER_DELETING => "deleting",
            wire::CUSTOMER_ERROR => "error",
            _ => "provisioned",
        };
        let errors = if status == wire::CUSTOMER_ERROR {
            vec![wire::WholesaleError {
                error_code: 10001,
                description: format!(
                    "Provisioning of customer `{}` failed (the emulator's seed lists it in failingExternalIds).",
                    c.external_id
                ),
            }]
        } else {
            Vec::new()
        };
        wire::Customer {
            id: c.id.clone(),
            org_id: (status == wire::CUSTOMER_PROVISIONED).then(|| c.org_id.clone()),
            external_id: c.external_id.clone(),
            address: Some(c.address.clone()),
            status: status.to_string(),
            packages: c.packages.clone(),
            resource_details: Some(wire::ResourceDetails {
                packages: c
                    .packages
                    .iter()
                    .map(|p| wire::PackageDetails {
                        name: p.clone(),
                        status: package_status.to_string(),
                        warnings: Vec::new(),
                        errors: errors.clone(),
                        license_ids: (with_licenses && status == wire::CUSTOMER_PROVISIONED)
                            .then(|| c.licenses.get(p).cloned().into_iter().collect()),
                    })
                    .collect(),
            }),
            errors,
        }
    }

    // ------------------------------------------------------------------ subscribers

    /// Checks that a person or workspace at `location_id` may take `phone` and `extension`: the
    /// number is one of that location's, the extension is free in it (Webex Calling scopes
    /// extensions by location), and nobody else holds either.
    pub(super) fn check_assignment(
        &self,
        org_id: &str,
        location_id: &str,
        phone: Option<&str>,
        extension: Option<&str>,
        me: &Owner,
        field: &str,
    ) -> Result<(), Fail> {
        if let Some(phone) = phone {
            let f = format!("{field}.phoneNumber");
            rules::e164(phone, &f)?;
            match self.db.numbers.get(phone) {
                Some(n) if n.org_id == org_id => {
                    if n.location_id != location_id {
                        return Err(Fail::bad(format!(
                            "{f}: {phone} belongs to another location of the organization ({})",
                            n.location_id
                        )));
                    }
                }
                _ => {
                    return Err(Fail::bad(format!(
                        "{f}: {phone} is not a number of the organization (add it to a location first)"
                    )));
                }
            }
            if let Some(owner) = self.number_owner(phone)
                && owner != me
            {
                return Err(Fail::conflict(format!(
                    "{phone} is already assigned (to {})",
                    owner.id()
                )));
            }
        }
        if let Some(ext) = extension {
            rules::extension(ext, &format!("{field}.extension"))?;
            if let Some(owner) = self.extension_owner(location_id, ext)
                && owner != me
            {
                return Err(Fail::conflict(format!(
                    "extension {ext} is already used in the location (by {})",
                    owner.id()
                )));
            }
        }
        Ok(())
    }

    fn provisioned_customer(&self, id: &str, now: u64, delay: u64) -> Result<&Customer, Fail> {
        let customer = match self.db.customers.get(id) {
            Some(c) if !c.gone(now, delay) => c,
            _ => return Err(Fail::bad(format!("customerId `{id}`: no such wholesale customer"))),
        };
        let status = customer.status(now, delay);
        if status != wire::CUSTOMER_PROVISIONED {
            return Err(Fail::bad(format!(
                "customer `{id}` is `{status}`: subscribers can be provisioned once it is `provisioned`"
            )));
        }
        Ok(customer)
    }

    /// Number, extension and location a subscriber ends up with, checked.
    fn subscriber_calling(
        &self,
        customer: &Customer,
        package: &str,
        params: &wire::SubscriberParameters,
        me: &Owner,
    ) -> Result<Reach, Fail> {
        if !rules::is_calling_subscriber_package(package) {
            // The calling fields mean nothing without a calling package.
            return Ok((None, None, None));
        }
        let f = "provisioningParameters";
        if params.primary_phone_number.is_none() && params.extension.is_none() {
            return Err(Fail::bad(format!(
                "{f}: a calling package (`{package}`) needs primaryPhoneNumber, extension or both"
            )));
        }
        let location = match &params.location_id {
            Some(id) => match self.db.locations.get(id) {
                Some(l) if l.org_id == customer.org_id => l.id.clone(),
                _ => {
                    return Err(Fail::bad(format!(
                        "{f}.locationId `{id}` is not a location of the customer's organization"
                    )));
                }
            },
            None => match self.first_location(&customer.org_id) {
                Some(l) => l.id.clone(),
                None => return Err(Fail::bad(format!("{f}.locationId: the customer has no location"))),
            },
        };
        self.check_assignment(
            &customer.org_id,
            &location,
            params.primary_phone_number.as_deref(),
            params.extension.as_deref(),
            me,
            f,
        )?;
        Ok((
            params.primary_phone_number.clone(),
            params.extension.clone(),
            Some(location),
        ))
    }

    /// `POST /wholesale/subscribers`. Returns the new subscriber's id.
    pub(super) fn provision_subscriber(
        &mut self,
        req: wire::ProvisionSubscriber,
        now: u64,
        delay: u64,
    ) -> Result<String, Fail> {
        rules::required(&req.customer_id, "customerId")?;
        rules::email(&req.email, "email")?;
        let package =
            rules::subscriber_package(req.package.as_ref(), req.packages.as_ref(), true)?.expect("required package");
        let Some(params) = &req.provisioning_parameters else {
            return Err(Fail::bad("provisioningParameters is required"));
        };
        for (name, f) in [(&params.first_name, "firstName"), (&params.last_name, "lastName")] {
            if let Some(name) = name {
                rules::calling_name(name, &format!("provisioningParameters.{f}"))?;
            }
        }
        let customer = self.provisioned_customer(&req.customer_id, now, delay)?;
        if let Some(existing) = self
            .idx
            .subscriber_by_email
            .get(&(customer.id.clone(), req.email.to_lowercase()))
        {
            return Err(Fail::conflict(format!(
                "The email {} is already associated with a subscriber of this customer (id {existing})",
                req.email
            ))
            .code(10022));
        }
        if self.person_elsewhere(Some(&customer.org_id), &req.email) {
            return Err(taken_elsewhere(&req.email));
        }
        if !customer.packages.contains(&package) {
            return Err(Fail::bad(format!(
                "package `{package}` is not one of the customer's packages ({})",
                customer.packages.join(", ")
            )));
        }
        let (seq, id) = self.next_id("SUBSCRIBER");
        let (person_seq, new_person) = self.next_id("PEOPLE");
        // Someone who is already a person of the organisation (its first administrator) is
        // provisioned as the person it is: same id, roles kept.
        let org_id = self.db.customers[&req.customer_id].org_id.clone();
        let existing = self.person_by_email(&org_id, &req.email).cloned();
        let person_id = existing.as_ref().map_or(new_person, |p| p.id.clone());
        let me = Owner::Person(person_id.clone());
        let customer = &self.db.customers[&req.customer_id];
        let (phone_number, extension, location_id) = self.subscriber_calling(customer, &package, params, &me)?;
        let subscriber = Subscriber {
            id: id.clone(),
            seq,
            person_id,
            customer_id: customer.id.clone(),
            org_id: customer.org_id.clone(),
            email: req.email.clone(),
            package,
            first_name: params.first_name.clone(),
            last_name: params.last_name.clone(),
            phone_number,
            extension,
            location_id,
            created_ms: now,
            changed_ms: now,
        };
        let person = match existing {
            Some(mut p) => {
                self.remove_person(&p.id);
                let named = Person::of_subscriber(&subscriber, p.seq);
                if subscriber.first_name.is_some() || subscriber.last_name.is_some() {
                    p.display_name = named.display_name;
                    p.first_name = named.first_name;
                    p.last_name = named.last_name;
                }
                p.changed_ms = now;
                p
            }
            None => Person::of_subscriber(&subscriber, person_seq),
        };
        self.insert_person(person);
        self.insert_subscriber(subscriber);
        Ok(id)
    }

    fn update_subscriber(&mut self, id: &str, req: wire::UpdateSubscriber, now: u64) -> Result<(), Fail> {
        let Some(current) = self.db.subscribers.get(id) else {
            return Err(Fail::not_found(format!("Subscriber `{id}` not found")));
        };
        let package = rules::subscriber_package(req.package.as_ref(), req.packages.as_ref(), false)?
            .unwrap_or_else(|| current.package.clone());
        let customer = &self.db.customers[&current.customer_id];
        if !customer.packages.contains(&package) {
            return Err(Fail::bad(format!(
                "package `{package}` is not one of the customer's packages ({})",
                customer.packages.join(", ")
            )));
        }
        let given = req.provisioning_parameters.unwrap_or_default();
        let params = wire::SubscriberParameters {
            first_name: None,
            last_name: None,
            primary_phone_number: given.primary_phone_number.or_else(|| current.phone_number.clone()),
            extension: given.extension.or_else(|| current.extension.clone()),
            location_id: given.location_id.or_else(|| current.location_id.clone()),
        };
        let (phone_number, extension, location_id) =
            self.subscriber_calling(customer, &package, &params, &current.owner())?;
        let mut s = self.remove_subscriber(id).expect("checked above");
        s.package = package;
        s.location_id = location_id;
        s.phone_number = phone_number;
        s.extension = extension;
        s.changed_ms = now;
        self.insert_subscriber(s);
        Ok(())
    }

    pub(super) fn render_subscriber(&self, s: &Subscriber) -> wire::Subscriber {
        wire::Subscriber {
            id: s.id.clone(),
            person_id: Some(s.person_id.clone()),
            email: s.email.clone(),
            customer_id: s.customer_id.clone(),
            external_customer_id: self.db.customers.get(&s.customer_id).map(|c| c.external_id.clone()),
            package: wire::LEGACY_SUBSCRIBER_PACKAGES
                .contains(&s.package.as_str())
                .then(|| s.package.clone()),
            packages: vec![s.package.clone()],
            status: wire::SUBSCRIBER_PROVISIONED.to_string(),
            errors: Vec::new(),
            created: Some(iso8601(s.created_ms)),
            last_status_change: Some(iso8601(s.changed_ms)),
        }
    }

    // ------------------------------------------------------------------ prechecks

    fn precheck_customer(&self, req: &wire::CustomerPrecheck) -> Result<(), Fail> {
        rules::wholesale_address(req.address.as_ref(), "address")?;
        if let Some(info) = &req.customer_info {
            rules::email(&info.primary_email, "customerInfo.primaryEmail")?;
            if info.name.as_deref().is_some_and(|n| n.contains('%')) {
                return Err(Fail::bad("customerInfo.name must not contain `%`"));
            }
        }
        if let Some(id) = &req.provisioning_id {
            self.check_provisioning_id(id)?;
        }
        if let Some(packages) = &req.packages {
            rules::customer_packages(packages)?;
        }
        if let Some(org_id) = &req.org_id {
            self.check_attachable(org_id)?;
        }
        if let Some(external_id) = &req.external_id {
            self.check_external_id_free(external_id, None)?;
        }
        let calling = req.packages.as_deref().is_some_and(rules::has_calling) && req.provisioning_parameters.is_some();
        self.check_calling_location(req.provisioning_parameters.as_ref(), calling)
    }

    fn precheck_subscriber(&self, req: &wire::SubscriberPrecheck, now: u64, delay: u64) -> Result<(), Fail> {
        rules::email(&req.email, "email")?;
        let package = rules::subscriber_package(req.package.as_ref(), req.packages.as_ref(), false)?;
        if let Some(id) = &req.provisioning_id {
            self.check_provisioning_id(id)?;
        }
        let Some(customer_id) = &req.customer_id else {
            // A subscriber of a customer still to be created: no organisation has them yet.
            if self.person_elsewhere(None, &req.email) {
                return Err(taken_elsewhere(&req.email));
            }
            return Ok(());
        };
        let customer = self.provisioned_customer(customer_id, now, delay)?;
        if self.person_elsewhere(Some(&customer.org_id), &req.email) {
            return Err(taken_elsewhere(&req.email));
        }
        if self
            .idx
            .subscriber_by_email
            .contains_key(&(customer.id.clone(), req.email.to_lowercase()))
        {
            return Err(Fail::conflict(format!(
                "The email {} is already associated with a subscriber of this customer",
                req.email
            ))
            .code(10022));
        }
        if let Some(package) = package {
            if !customer.packages.contains(&package) {
                return Err(Fail::bad(format!(
                    "package `{package}` is not one of the customer's packages"
                )));
            }
            if let Some(params) = &req.provisioning_parameters {
                let nobody = Owner::Person(String::new());
                self.subscriber_calling(customer, &package, params, &nobody)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

fn customer_url(app: &App, id: &str) -> String {
    format!("{}/webex/v1/wholesale/customers/{id}", app.base_url)
}

fn subscriber_url(app: &App, id: &str) -> String {
    format!("{}/webex/v1/wholesale/subscribers/{id}", app.base_url)
}

fn accepted(app: &App, id: &str) -> Response {
    let url = customer_url(app, id);
    with_header(
        json(StatusCode::ACCEPTED, &wire::ResourceUrl { url: url.clone() }),
        header::LOCATION,
        &url,
    )
}

pub(super) async fn list_customers(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, now) = begin(&app, &call, Need::Any(&[CUSTOMERS_READ]))?;
        let delay = delay_ms(&app);
        let q = &call.query;
        let offset = q.count("offset", 0, usize::MAX)?;
        let max = q.page_size(100, 1000)?;
        let statuses = q.all("status");
        let external_id = q.get("externalId");
        let org_id = q.get("orgId");
        let matching = store
            .idx
            .customers
            .values()
            .filter_map(|id| store.db.customers.get(id))
            .filter(|c| !c.gone(now, delay))
            .filter(|c| external_id.is_none_or(|e| c.external_id == e))
            .filter(|c| org_id.is_none_or(|o| c.org_id == o))
            .filter(|c| statuses.is_empty() || statuses.contains(&c.status(now, delay)));
        let (items, _) = page(matching, offset, max);
        // `includePackageLicenseInfo` is declared on the single GET only: the list ignores it,
        // as it ignores any parameter it does not declare.
        let body = wire::CustomerList {
            items: items
                .into_iter()
                .map(|c| store.render_customer(c, now, delay, false))
                .collect(),
        };
        Ok(json(StatusCode::OK, &body))
    })())
}

pub(super) async fn create_customer(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[CUSTOMERS_WRITE]))?;
        let req: wire::ProvisionCustomer = call.body()?;
        let id = store.provision_customer(req, now, None)?;
        app.changed();
        Ok(accepted(&app, &id))
    })())
}

pub(super) async fn get_customer(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, now) = begin(&app, &call, Need::Any(&[CUSTOMERS_READ]))?;
        call.query.declared(&[("includePackageLicenseInfo", Kind::Bool)])?;
        let delay = delay_ms(&app);
        let customer = store.live_customer(&id, now, delay)?;
        let body = store.render_customer(
            customer,
            now,
            delay,
            call.query.boolean("includePackageLicenseInfo")?.unwrap_or(false),
        );
        Ok(with_header(
            json(StatusCode::OK, &body),
            header::LOCATION,
            &customer_url(&app, &id),
        ))
    })())
}

pub(super) async fn update_customer(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[CUSTOMERS_WRITE]))?;
        store.live_customer(&id, now, delay_ms(&app))?;
        let req: wire::UpdateCustomer = call.body()?;
        store.update_customer(&id, req, now, delay_ms(&app))?;
        app.changed();
        Ok(accepted(&app, &id))
    })())
}

pub(super) async fn delete_customer(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[CUSTOMERS_WRITE]))?;
        store.delete_customer(&id, now, delay_ms(&app))?;
        app.changed();
        Ok(StatusCode::ACCEPTED.into_response())
    })())
}

pub(super) async fn precheck_customer(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[CUSTOMERS_WRITE, CUSTOMERS_READ]))?;
        let req: wire::CustomerPrecheck = call.body()?;
        store.precheck_customer(&req)?;
        Ok(json(StatusCode::OK, &precheck_success()))
    })())
}

fn precheck_success() -> wire::PrecheckResponse {
    wire::PrecheckResponse {
        message: "success".to_string(),
        info: Some(wire::PrecheckInfo {
            info_code: 100,
            description: "Provisioning preCheck validation successful.".to_string(),
        }),
    }
}

pub(super) async fn list_subscribers(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_READ]))?;
        call.query.declared(&[("max", Kind::Count), ("offset", Kind::Count)])?;
        let q = &call.query;
        let offset = q.count("offset", 0, usize::MAX)?;
        let max = q.page_size(50, 100)?;
        let customer_id = q.get("customerId");
        let email = q.get("email").map(str::to_lowercase);
        let person_id = q.get("personId");
        let external = q.get("externalCustomerId");
        let status = q.get("status");
        let ids: Box<dyn Iterator<Item = &String>> = match customer_id {
            Some(c) => Box::new(
                store
                    .idx
                    .subscribers_by_customer
                    .get(c)
                    .into_iter()
                    .flat_map(|m| m.values()),
            ),
            None => Box::new(store.idx.subscribers.values()),
        };
        let matching = ids
            .filter_map(|id| store.db.subscribers.get(id))
            .filter(|s| email.as_ref().is_none_or(|e| s.email.to_lowercase() == *e))
            .filter(|s| person_id.is_none_or(|p| s.person_id == p))
            .filter(|s| {
                external.is_none_or(|e| {
                    store
                        .db
                        .customers
                        .get(&s.customer_id)
                        .is_some_and(|c| c.external_id == e)
                })
            })
            .filter(|_| status.is_none_or(|st| st == wire::SUBSCRIBER_PROVISIONED));
        let (items, _) = page(matching, offset, max);
        let body = wire::SubscriberList {
            items: items.into_iter().map(|s| store.render_subscriber(s)).collect(),
        };
        Ok(json(StatusCode::OK, &body))
    })())
}

pub(super) async fn create_subscriber(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_WRITE]))?;
        let req: wire::ProvisionSubscriber = call.body()?;
        let id = store.provision_subscriber(req, now, delay_ms(&app))?;
        app.changed();
        let body = store.render_subscriber(&store.db.subscribers[&id]);
        Ok(with_header(
            json(StatusCode::OK, &body),
            header::LOCATION,
            &subscriber_url(&app, &id),
        ))
    })())
}

pub(super) async fn get_subscriber(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (store, _) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_READ]))?;
        let Some(s) = store.db.subscribers.get(&id) else {
            return Err(Fail::not_found(format!("Subscriber `{id}` not found")));
        };
        let body = store.render_subscriber(s);
        Ok(with_header(
            json(StatusCode::OK, &body),
            header::LOCATION,
            &subscriber_url(&app, &id),
        ))
    })())
}

pub(super) async fn update_subscriber(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, now) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_WRITE]))?;
        if !store.db.subscribers.contains_key(&id) {
            return Err(Fail::not_found(format!("Subscriber `{id}` not found")));
        }
        let req: wire::UpdateSubscriber = call.body()?;
        store.update_subscriber(&id, req, now)?;
        app.changed();
        let body = store.render_subscriber(&store.db.subscribers[&id]);
        Ok(with_header(
            json(StatusCode::OK, &body),
            header::LOCATION,
            &subscriber_url(&app, &id),
        ))
    })())
}

pub(super) async fn delete_subscriber(State(app): State<Arc<App>>, Path(id): Path<String>, call: Call) -> Response {
    reply((|| {
        let (mut store, _) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_WRITE]))?;
        let Some(s) = store.remove_subscriber(&id) else {
            return Err(Fail::not_found(format!("Subscriber `{id}` not found")));
        };
        // The person goes with it (and its roles).
        store.remove_person(&s.person_id);
        // The person's devices go with it; its shared lines on other devices are dropped.
        store.detach_member(&s.owner());
        app.changed();
        Ok(no_content())
    })())
}

/// A subscriber's email that is a person of another organisation: a Webex identity belongs to
/// one organisation (the spec's error 10022, "The email is already associated with an existing
/// user").
fn taken_elsewhere(email: &str) -> Fail {
    Fail::conflict(format!(
        "The email {email} is already associated with an existing user (of another organization)"
    ))
    .code(10022)
}

pub(super) async fn precheck_subscriber(State(app): State<Arc<App>>, call: Call) -> Response {
    reply((|| {
        let (store, now) = begin(&app, &call, Need::Any(&[SUBSCRIBERS_WRITE, SUBSCRIBERS_READ]))?;
        let req: wire::SubscriberPrecheck = call.body()?;
        store.precheck_subscriber(&req, now, delay_ms(&app))?;
        Ok(json(StatusCode::OK, &precheck_success()))
    })())
}
