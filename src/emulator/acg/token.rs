//! The Entra ID token endpoint: client credentials for the clients of the seed, bearer tokens
//! with their app roles (checked by `http.rs`).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::store;
use crate::emulator::{App, now_ms};
use crate::wire::acg::TokenResponse;

/// `POST /login/{tenant}/oauth2/v2.0/token` with the client credentials grant.
pub async fn token(State(app): State<Arc<App>>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url_form(&body);
    let oauth_error = |status: StatusCode, code: &str, description: &str| {
        (
            status,
            axum::Json(serde_json::json!({"error": code, "error_description": description})),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let mut store = App::lock(&app.acg);
    let client = store
        .clients
        .iter()
        .find(|c| Some(&c.client_id) == form.get("client_id") && c.tenant == tenant)
        .cloned();
    let Some(client) = client else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the client is not registered in this tenant",
        );
    };
    if form.get("client_secret") != Some(&client.client_secret) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client secret is not valid",
        );
    }
    if form.get("scope") != Some(&store.scope) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("the scope must be {}", store.scope),
        );
    }
    let token = random_token();
    let expires_in = 3599;
    store.tokens.insert(
        token.clone(),
        store::Issued {
            roles: client.roles.clone(),
            expires_ms: now_ms() + expires_in * 1000,
        },
    );
    app.changed();
    axum::Json(TokenResponse {
        token_type: "Bearer".into(),
        expires_in,
        access_token: token,
    })
    .into_response()
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// An opaque token; unguessable enough for a local emulator.
fn random_token() -> String {
    let state = std::collections::hash_map::RandomState::new();
    (0..4)
        .map(|i| {
            let mut hasher = state.build_hasher();
            hasher.write_u64(now_ms() ^ i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}
