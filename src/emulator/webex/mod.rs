//! Webex for service providers: wholesale customers and subscribers, locations and numbers,
//! workspaces, devices. (Being built: see the interface below.)

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::App;

/// A bearer token and the scopes it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Token {
    pub token: String,
    pub scopes: Vec<String>,
}

/// The Webex part of the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub tokens: Vec<Token>,
}

/// Everything the Webex side holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    pub tokens: Vec<Token>,
}

impl Store {
    pub fn from_seed(seed: &Seed) -> Result<Store, String> {
        Ok(Store {
            tokens: seed.tokens.clone(),
        })
    }
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
}

/// Webex's error body: `{message, errors: [{description}], trackingId}`.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "message": message,
        "errors": [{"description": message}],
        "trackingId": format!("EMULATOR_{}", super::now_ms()),
    });
    (status, Json(body)).into_response()
}
