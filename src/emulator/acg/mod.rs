//! Azure Communications Gateway Provisioning API 2024-02-29-preview: the 18 operations of
//! `specs/acg/swagger.json`, and the Entra ID token endpoint that guards them.
//!
//! Assumptions where the spec is silent (documented in docs/emulator.md): POST actions need the
//! `Write` role (or `Admin`); a failed precondition is 412; deleting an account with numbers and
//! changing `teamsTenantId` while Teams numbers exist are 409; a PATCH of an unknown consent is
//! 404 (consents are created by Teams, not by the operator); `:deleteNumbers` ignores numbers the
//! account does not have.
//!
//! One file per resource, and what they share:
//!
//! - `accounts.rs`: accounts, and the dispatch of the `/accounts/{name}:action` POST actions;
//! - `numbers.rs`: numbers, one by one and in batches;
//! - `capabilities.rs`: the Teams capability actions of an account;
//! - `civic.rs`: Teams civic addresses (read-only, the enterprise's);
//! - `consents.rs`: Operator Connect consents (requests for information);
//! - `token.rs`: the Entra ID token endpoint;
//! - `http.rs`: errors, answers, authentication and app roles, `api-version`, replays of
//!   repeatable requests, preconditions, paging;
//! - `rules.rs`: the contract's patterns for names, numbers and GUIDs;
//! - `store.rs`: what the emulated ACG holds, and its seed.

// Handlers return the error as a ready HTTP response; its size does not matter (one per request).
#![allow(clippy::result_large_err)]

mod accounts;
mod capabilities;
mod civic;
mod consents;
mod http;
mod numbers;
mod repeat;
mod rules;
pub mod store;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

pub use http::error;
pub use store::{Seed, Store};
pub use token::token;

use super::App;
use accounts::{account, list_accounts};
use civic::{get_civic_address, list_civic_addresses};
use consents::{list_rfis, rfi};
use numbers::{list_account_numbers, list_all_numbers, number};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/accounts", get(list_accounts))
        // The handlers dispatch on the method (and on `:action` for POST); each route lists
        // only the methods its path has, so that axum answers 405 with `Allow` for the others.
        .route(
            "/accounts/{name}",
            get(account).put(account).delete(account).post(account),
        )
        .route("/accounts/{name}/numbers", get(list_account_numbers))
        .route(
            "/accounts/{name}/numbers/{number}",
            get(number).put(number).delete(number),
        )
        .route("/accounts/{name}/teamsCivicAddresses", get(list_civic_addresses))
        .route("/accounts/{name}/teamsCivicAddresses/{id}", get(get_civic_address))
        .route("/numbers", get(list_all_numbers))
        .route("/teamsRequestsForInformation", get(list_rfis))
        .route("/teamsRequestsForInformation/{tenant}", get(rfi).patch(rfi))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "NotFound", "no such operation") })
        .method_not_allowed_fallback(http::method_not_allowed_fallback)
}
