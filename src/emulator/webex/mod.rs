//! Webex for service providers, from memory: wholesale customers and subscribers (with their
//! prechecks), locations and their numbers, workspaces, partner-managed devices (tags, members,
//! SIP password), the supported-devices list, people and their roles. Paths and bodies are the
//! official specs' (`specs/webex/`); behaviours, seed format and assumptions are in
//! `docs/emulator-webex.md`.
//!
//! One `Store` behind one mutex: a handler locks it, does synchronous work and answers; nothing
//! is held across an `.await`. Asynchronous provisioning is computed on read from timestamps, so
//! there are no background tasks.

mod devices;
mod http;
mod locations;
mod organizations;
mod people;
mod rules;
mod seed;
mod store;
mod wholesale;
mod workspaces;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::App;

pub use seed::{Seed, SeedCustomer, SeedDevice, SeedLocation, SeedOrganization, SeedSubscriber, SeedWorkspace};
pub use store::{LicenseKind, Store};

/// A bearer token and the scopes it carries. `spark-admin:all` stands for every scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Token {
    pub token: String,
    pub scopes: Vec<String>,
}

/// The scopes the emulator checks (api-webex.md §1.1, §2, §3, §4.1).
pub mod scopes {
    /// Not a Webex scope: the emulator's shorthand for all of them.
    pub const ALL: &str = "spark-admin:all";
    pub const CUSTOMERS_READ: &str = "spark-admin:wholesale_customers_read";
    pub const CUSTOMERS_WRITE: &str = "spark-admin:wholesale_customers_write";
    pub const SUBSCRIBERS_READ: &str = "spark-admin:wholesale_subscribers_read";
    pub const SUBSCRIBERS_WRITE: &str = "spark-admin:wholesale_subscribers_write";
    pub const LOCATIONS_READ: &str = "spark-admin:locations_read";
    pub const LOCATIONS_WRITE: &str = "spark-admin:locations_write";
    pub const PEOPLE_READ: &str = "spark-admin:people_read";
    pub const PEOPLE_WRITE: &str = "spark-admin:people_write";
    pub const ROLES_READ: &str = "spark-admin:roles_read";
    pub const ORGANIZATIONS_READ: &str = "spark-admin:organizations_read";
    /// Sic: the Locations API names `device_read` (singular) as an alternative read scope.
    pub const DEVICE_READ: &str = "spark-admin:device_read";
    pub const TELEPHONY_READ: &str = "spark-admin:telephony_config_read";
    pub const TELEPHONY_WRITE: &str = "spark-admin:telephony_config_write";
    pub const DEVICES_READ: &str = "spark-admin:devices_read";
    pub const DEVICES_WRITE: &str = "spark-admin:devices_write";
    pub const WORKSPACES_READ: &str = "spark-admin:workspaces_read";
    pub const WORKSPACES_WRITE: &str = "spark-admin:workspaces_write";
}

/// The Webex routes, nested under `/webex/v1` by the server.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/wholesale/customers",
            get(wholesale::list_customers).post(wholesale::create_customer),
        )
        .route("/wholesale/customers/validate", post(wholesale::precheck_customer))
        .route(
            "/wholesale/customers/{id}",
            get(wholesale::get_customer)
                .put(wholesale::update_customer)
                .delete(wholesale::delete_customer),
        )
        .route(
            "/wholesale/subscribers",
            get(wholesale::list_subscribers).post(wholesale::create_subscriber),
        )
        .route("/wholesale/subscribers/validate", post(wholesale::precheck_subscriber))
        .route(
            "/wholesale/subscribers/{id}",
            get(wholesale::get_subscriber)
                .put(wholesale::update_subscriber)
                .delete(wholesale::delete_subscriber),
        )
        .route("/locations", get(locations::list).post(locations::create))
        .route(
            "/locations/{id}",
            get(locations::get_one).put(locations::update).delete(locations::delete),
        )
        .route(
            "/telephony/config/locations/{id}/numbers",
            post(locations::add_numbers).delete(locations::remove_numbers),
        )
        .route("/telephony/config/numbers", get(locations::list_numbers))
        .route("/people", get(people::list))
        .route("/people/{id}", get(people::get_one).put(people::update))
        .route("/roles", get(people::list_roles))
        .route("/roles/{id}", get(people::get_role))
        .route("/organizations/{id}", get(organizations::get_one))
        .route("/workspaces", get(workspaces::list).post(workspaces::create))
        .route(
            "/workspaces/{id}",
            get(workspaces::get_one)
                .put(workspaces::update)
                .delete(workspaces::delete),
        )
        .route("/telephony/config/workspaces/{id}/devices", get(workspaces::devices))
        .route("/devices", get(devices::list).post(devices::create))
        .route(
            "/devices/{id}",
            get(devices::get_one).delete(devices::delete).patch(devices::patch_tags),
        )
        .route(
            "/telephony/config/devices/actions/validateMacs/invoke",
            post(devices::validate_macs),
        )
        .route("/telephony/config/supportedDevices", get(devices::supported))
        .route(
            "/telephony/config/devices/{id}/members",
            get(devices::members).put(devices::put_members),
        )
        .route(
            "/telephony/config/devices/{id}",
            get(devices::calling_details).put(devices::set_sip_password),
        )
        .fallback(http::unknown_path)
        .method_not_allowed_fallback(http::method_not_allowed)
}

/// Webex's error body: `{message, errors: [{description}], trackingId}`.
pub fn error(status: StatusCode, message: &str) -> Response {
    http::error_response(status, None, message)
}
