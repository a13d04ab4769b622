//! The emulated ACG Provisioning API over real HTTP: every operation, its error paths, and
//! every response body checked against the official swagger (`specs/acg/swagger.json`).

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use telform::emulator::{self, Config, Emulator, faults::Faults, seed};

use crate::root;

const V: &str = "api-version=2024-02-29-preview";
const CONTOSO_TENANT: &str = "8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90";
const CONTOSO_ADDRESS: &str = "5b4e0c8a-1f2d-4b7a-9c3e-6d8f0a1b2c3d";
const CONTOSO_LOCATION: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

struct Acg {
    emulator: Emulator,
    http: Client,
    token: String,
    base: String,
}

fn demo_seed() -> seed::Seed {
    let mut seed = seed::demo();
    seed.timing.acg_sync_delay = Duration::from_millis(100);
    seed
}

async fn start_with(seed: seed::Seed, faults: &str) -> Acg {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = Config {
        seed,
        faults: Faults::parse(faults).expect("fault spec"),
        ..Config::default()
    };
    let emulator = emulator::start(listener, config).await.expect("emulator starts");
    let http = Client::new();
    let token = token_for(&emulator, &http, 0).await;
    let base = format!("{}/acg", emulator.url());
    Acg {
        emulator,
        http,
        token,
        base,
    }
}

async fn start() -> Acg {
    start_with(demo_seed(), "").await
}

async fn token_for(emulator: &Emulator, http: &Client, client: usize) -> String {
    let (tenant, id, secret, scope) = {
        let acg = emulator::App::lock(&emulator.app.acg);
        let c = &acg.clients[client];
        (
            c.tenant.clone(),
            c.client_id.clone(),
            c.client_secret.clone(),
            acg.scope.clone(),
        )
    };
    let response = http
        .post(format!("{}/login/{tenant}/oauth2/v2.0/token", emulator.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", &scope),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().expect("expires_in") > 3000);
    body["access_token"].as_str().expect("token").to_string()
}

impl Acg {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut request = self
            .http
            .request(method, format!("{}{path}{sep}{V}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, headers, value)
    }

    async fn put_account(&self, name: &str, services: Value) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.call(
            Method::PUT,
            &format!("/accounts/{name}"),
            Some(json!({"name": name, "serviceDetails": services})),
        )
        .await
    }
}

fn oc_account() -> Value {
    json!({"teamsTenantId": CONTOSO_TENANT, "teamsOperatorConnect": {"enabled": true, "syncEnabled": true}})
}

fn oc_number(account: &str, tn: &str) -> Value {
    json!({
        "telephoneNumber": tn,
        "accountName": account,
        "serviceDetails": {"teamsOperatorConnect": {"enabled": true, "configuration": {
            "usage": "CallingUserAssignment", "choosableCapabilities": ["InboundCalling", "OutboundCalling"],
            "civicAddressId": CONTOSO_ADDRESS, "locationId": CONTOSO_LOCATION}}},
        "configuration": {"customSipHeader": "contoso-hq"}
    })
}

fn error_code(headers: &reqwest::header::HeaderMap, body: &Value) -> String {
    let code = body["error"]["code"]
        .as_str()
        .expect("Azure.Core error body")
        .to_string();
    assert_eq!(
        headers.get("x-ms-error-code").and_then(|v| v.to_str().ok()),
        Some(code.as_str())
    );
    assert!(body["error"]["message"].is_string());
    code
}

// ---- contract: responses against the swagger -------------------------------------------------

fn swagger() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("specs/acg/swagger.json")).expect("swagger"))
        .expect("json")
}

/// Validates `body` against `#/definitions/{definition}` of the swagger (draft 4 semantics).
fn assert_contract(definition: &str, body: &Value) {
    let spec = swagger();
    let schema = json!({"$ref": format!("#/definitions/{definition}"), "definitions": spec["definitions"]});
    let validator = jsonschema::draft4::new(&schema).expect("swagger definitions compile");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{definition}: {errors:?}\n{body:#}");
}

// ---- tests -----------------------------------------------------------------------------------

#[tokio::test]
async fn token_endpoint_checks_the_client_credentials() {
    let acg = start().await;
    let url = acg.emulator.url();
    let (tenant, id, scope) = {
        let store = emulator::App::lock(&acg.emulator.app.acg);
        (
            store.clients[0].tenant.clone(),
            store.clients[0].client_id.clone(),
            store.scope.clone(),
        )
    };
    let post = |tenant: String, form: Vec<(&'static str, String)>| {
        let http = acg.http.clone();
        let url = url.clone();
        async move {
            let r = http
                .post(format!("{url}/login/{tenant}/oauth2/v2.0/token"))
                .form(&form)
                .send()
                .await
                .expect("sent");
            let status = r.status();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let form = |secret: &str, scope: &str, grant: &str| {
        vec![
            ("grant_type", grant.to_string()),
            ("client_id", id.clone()),
            ("client_secret", secret.to_string()),
            ("scope", scope.to_string()),
        ]
    };
    let (status, body) = post(tenant.clone(), form("wrong", &scope, "client_credentials")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let secret = emulator::App::lock(&acg.emulator.app.acg).clients[0]
        .client_secret
        .clone();
    let (status, body) = post(
        tenant.clone(),
        form(&secret, "https://other/.default", "client_credentials"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let (status, body) = post(tenant.clone(), form(&secret, &scope, "password")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, _) = post("another-tenant".into(), form(&secret, &scope, "client_credentials")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tokens_and_roles_guard_every_operation() {
    let mut seed = demo_seed();
    let admin = seed.acg.clients[0].clone();
    for (id, roles) in [
        ("reader", vec!["ProvisioningAPI.Read"]),
        ("writer", vec!["ProvisioningAPI.Write"]),
    ] {
        let mut client = admin.clone();
        client.client_id = id.into();
        client.roles = roles.into_iter().map(String::from).collect();
        seed.acg.clients.push(client);
    }
    let acg = start_with(seed, "").await;

    let response = acg
        .http
        .get(format!("{}/accounts?{V}", acg.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let response = acg
        .http
        .get(format!("{}/accounts?{V}", acg.base))
        .bearer_auth("forged")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let reader = token_for(&acg.emulator, &acg.http, 1).await;
    let writer = token_for(&acg.emulator, &acg.http, 2).await;
    let put = |token: String| {
        acg.http
            .put(format!("{}/accounts/roles?{V}", acg.base))
            .bearer_auth(token)
            .json(&json!({"name": "roles"}))
            .send()
    };
    let response = put(reader.clone()).await.expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("ProvisioningAPI.Write")
    );
    assert_eq!(put(writer.clone()).await.expect("sent").status(), StatusCode::CREATED);
    let get = |token: String| {
        acg.http
            .get(format!("{}/accounts/roles?{V}", acg.base))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(get(reader.clone()).await.expect("sent").status(), StatusCode::OK);
    assert_eq!(get(writer.clone()).await.expect("sent").status(), StatusCode::FORBIDDEN);
    let delete = |token: String| {
        acg.http
            .delete(format!("{}/accounts/roles?{V}", acg.base))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(delete(writer).await.expect("sent").status(), StatusCode::FORBIDDEN);
    assert_eq!(
        delete(acg.token.clone()).await.expect("sent").status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn api_version_is_required() {
    let acg = start().await;
    for url in [
        format!("{}/accounts", acg.base),
        format!("{}/accounts?api-version=2023-10-01", acg.base),
    ] {
        let response = acg.http.get(url).bearer_auth(&acg.token).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let headers = response.headers().clone();
        let body: Value = response.json().await.expect("json");
        let code = error_code(&headers, &body);
        assert!(
            code == "MissingApiVersionParameter" || code == "UnsupportedApiVersion",
            "{code}"
        );
        assert_contract("Azure.Core.Foundations.ErrorResponse", &body);
    }
}

#[tokio::test]
async fn accounts_are_created_replaced_read_and_conditionally_written() {
    let acg = start().await;
    let response = acg
        .http
        .put(format!("{}/accounts/contoso?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("x-ms-client-request-id", "0f8fad5b-d9cb-469f-a165-70867728950e")
        .json(&json!({"name": "contoso", "correlationId": "CRM-1", "serviceDetails": oc_account()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["x-ms-client-request-id"],
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    );
    let etag = response.headers()["etag"].to_str().expect("etag").to_string();
    let body: Value = response.json().await.expect("json");
    assert_contract("AccountResource", &body);
    assert_eq!(body["serviceProvisioningStatus"], "pending");
    assert_eq!(body["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 0);

    let (status, headers, body) = acg.call(Method::GET, "/accounts/contoso", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["etag"], etag.as_str());
    assert_eq!(body["correlationId"], "CRM-1");

    // Stale If-Match: someone changed it since.
    let stale = acg
        .http
        .put(format!("{}/accounts/contoso?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("if-match", "\"not-the-etag\"")
        .json(&json!({"name": "contoso", "serviceDetails": oc_account()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // Create-only on an existing account.
    let create_only = acg
        .http
        .put(format!("{}/accounts/contoso?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("if-none-match", "*")
        .json(&json!({"name": "contoso", "serviceDetails": oc_account()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(create_only.status(), StatusCode::PRECONDITION_FAILED);
    // The right ETag replaces: 200.
    let replace = acg
        .http
        .put(format!("{}/accounts/contoso?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("if-match", &etag)
        .json(&json!({"name": "contoso", "correlationId": "CRM-2", "serviceDetails": oc_account()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(replace.status(), StatusCode::OK);
    assert_ne!(replace.headers()["etag"], etag.as_str());

    let (status, headers, body) = acg.put_account("has space", json!({})).await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::BAD_REQUEST, "InvalidAccountName")
    );
    let (status, headers, body) = acg
        .call(Method::PUT, "/accounts/one", Some(json!({"name": "two"})))
        .await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::BAD_REQUEST, "InvalidRequestBody")
    );
    let (status, headers, body) = acg.call(Method::GET, "/accounts/nobody", None).await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::NOT_FOUND, "NotFound")
    );
}

#[tokio::test]
async fn sync_goes_from_pending_to_synced_or_failed() {
    let mut seed = demo_seed();
    seed.acg.fail_sync.push("doomed".into());
    let acg = start_with(seed, "").await;
    acg.put_account("fine", oc_account()).await;
    let (_, _, body) = acg
        .put_account(
            "doomed",
            json!({"teamsTenantId": "3f9a1c2d-7b4e-4f60-8a1b-2c3d4e5f6a7b", "teamsOperatorConnect": {"enabled": true, "syncEnabled": true}}),
        )
        .await;
    assert_eq!(body["serviceProvisioningStatus"], "pending");
    let mut statuses = (String::new(), String::new());
    for _ in 0..50 {
        let fine = acg.call(Method::GET, "/accounts/fine", None).await.2;
        let doomed = acg.call(Method::GET, "/accounts/doomed", None).await.2;
        statuses = (
            fine["serviceProvisioningStatus"].as_str().unwrap_or_default().into(),
            doomed["serviceProvisioningStatus"].as_str().unwrap_or_default().into(),
        );
        if statuses.0 != "pending" && statuses.1 != "pending" {
            assert_eq!(doomed["serviceProvisioningErrors"][0]["code"], "BackendSyncFailed");
            assert_contract("AccountResource", &doomed);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(statuses, ("synced".into(), "failed".into()));
    // Without sync, nothing is pending.
    let (_, _, body) = acg
        .put_account(
            "nosync",
            json!({"teamsDirectRouting": {"enabled": true, "syncEnabled": false}}),
        )
        .await;
    assert_eq!(body["serviceProvisioningStatus"], "synced");
    assert_eq!(
        body["serviceDetails"]["teamsDirectRouting"]["subdomainStatus"],
        "notProvisioned"
    );
}

#[tokio::test]
async fn numbers_follow_the_contract_and_the_account() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    let tn = "+14255550100";
    let (status, headers, body) = acg
        .call(
            Method::PUT,
            "/accounts/contoso/numbers/%2B14255550100",
            Some(oc_number("contoso", tn)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(headers.contains_key("etag"));
    assert_contract("NumberResource", &body);
    let (status, _, body) = acg
        .call(Method::GET, "/accounts/contoso/numbers/%2B14255550100", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["configuration"]["customSipHeader"], "contoso-hq");
    let (status, _, _) = acg
        .call(
            Method::PUT,
            "/accounts/contoso/numbers/%2B14255550100",
            Some(oc_number("contoso", tn)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let account = acg.call(Method::GET, "/accounts/contoso", None).await.2;
    assert_eq!(account["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 1);

    let cases: Vec<(Value, &str, &str)> = vec![
        (
            oc_number("contoso", "14255550101"),
            "/accounts/contoso/numbers/14255550101",
            "InvalidTelephoneNumber",
        ),
        (
            oc_number("contoso", "+142555501019999999"),
            "/accounts/contoso/numbers/%2B142555501019999999",
            "InvalidTelephoneNumber",
        ),
        (
            {
                let mut n = oc_number("contoso", "+14255550102");
                n["serviceDetails"]["teamsOperatorConnect"]["configuration"]["civicAddressId"] = json!("nowhere");
                n
            },
            "/accounts/contoso/numbers/%2B14255550102",
            "CivicAddressNotFound",
        ),
        (
            json!({"telephoneNumber": "+14255550103", "accountName": "contoso", "serviceDetails": {"teamsPhoneMobile": {"enabled": true,
                "configuration": {"usage": "CallingUserAssignment", "choosableCapabilities": ["Mobile"], "allowTenantAddressUpdate": true}}}}),
            "/accounts/contoso/numbers/%2B14255550103",
            "ServiceNotEnabledOnAccount",
        ),
        (
            json!({"telephoneNumber": "+14255550104", "accountName": "contoso", "serviceDetails": {}}),
            "/accounts/contoso/numbers/%2B14255550104",
            "NoServiceEnabled",
        ),
    ];
    for (body, path, expected) in cases {
        let (status, headers, body) = acg.call(Method::PUT, path, Some(body)).await;
        assert_eq!(
            (status, error_code(&headers, &body)),
            (StatusCode::BAD_REQUEST, expected.to_string()),
            "{path}"
        );
    }
    // A Teams Phone Mobile account: no custom SIP header on its numbers.
    acg.put_account(
        "mobile",
        json!({"teamsTenantId": "3f9a1c2d-7b4e-4f60-8a1b-2c3d4e5f6a7b", "teamsPhoneMobile": {"enabled": true, "syncEnabled": false}}),
    )
    .await;
    let mobile = json!({"telephoneNumber": "+33612345678", "accountName": "mobile",
        "serviceDetails": {"teamsPhoneMobile": {"enabled": true, "configuration": {"usage": "CallingUserAssignment",
            "choosableCapabilities": ["Mobile"], "allowTenantAddressUpdate": true}}},
        "configuration": {"customSipHeader": "nope"}});
    let (status, headers, body) = acg
        .call(Method::PUT, "/accounts/mobile/numbers/%2B33612345678", Some(mobile))
        .await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::BAD_REQUEST, "CustomSipHeaderNotSupported")
    );
    // A number belongs to one account.
    acg.put_account("other", oc_account()).await;
    let (status, headers, body) = acg
        .call(
            Method::PUT,
            "/accounts/other/numbers/%2B14255550100",
            Some(oc_number("other", tn)),
        )
        .await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::CONFLICT, "NumberInAnotherAccount")
    );

    let (status, _, _) = acg
        .call(Method::DELETE, "/accounts/contoso/numbers/%2B14255550100", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = acg
        .call(Method::DELETE, "/accounts/contoso/numbers/%2B14255550100", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let account = acg.call(Method::GET, "/accounts/contoso", None).await.2;
    assert_eq!(account["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 0);
}

fn batch(account: &str, from: u64, count: u64) -> Value {
    let numbers: Vec<Value> = (0..count)
        .map(|i| oc_number(account, &format!("+1{}", from + i)))
        .collect();
    json!({"numbers": numbers})
}

#[tokio::test]
async fn batches_are_bounded_atomic_and_counted() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    let (status, _, body) = acg
        .call(
            Method::POST,
            "/accounts/contoso:createOrUpdateNumbers",
            Some(batch("contoso", 4255550000, 100)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_contract("BatchNumbers", &body);
    assert_eq!(body["numbers"].as_array().expect("numbers").len(), 100);
    let (status, headers, body) = acg
        .call(
            Method::POST,
            "/accounts/contoso:createOrUpdateNumbers",
            Some(batch("contoso", 4255551000, 101)),
        )
        .await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::BAD_REQUEST, "InvalidBatchSize")
    );
    // One bad number: nothing of the batch is applied.
    let mut bad = batch("contoso", 4255552000, 10);
    bad["numbers"][9]["telephoneNumber"] = json!("+0000");
    let (status, _, _) = acg
        .call(Method::POST, "/accounts/contoso:createOrUpdateNumbers", Some(bad))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let account = acg.call(Method::GET, "/accounts/contoso", None).await.2;
    assert_eq!(account["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 100);

    let ids: Vec<Value> = (0..50)
        .map(|i| json!({"telephoneNumber": format!("+1{}", 4255550000u64 + i)}))
        .collect();
    let (status, _, _) = acg
        .call(
            Method::POST,
            "/accounts/contoso:deleteNumbers",
            Some(json!({"numbers": ids})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let account = acg.call(Method::GET, "/accounts/contoso", None).await.2;
    assert_eq!(account["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 50);

    let (status, _, body) = acg
        .call(Method::POST, "/accounts/contoso:getTeamsCapabilityPlans", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_contract("TeamsCapabilityPlans", &body);
    let (status, _, body) = acg
        .call(
            Method::POST,
            "/accounts/contoso:getTeamsAvailableCapabilities",
            Some(json!({"numbers": [{"telephoneNumber": "+14255550099"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_contract("TeamsAvailableCapabilities", &body);
}

#[tokio::test]
async fn lists_page_with_absolute_next_links() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    for block in 0..6 {
        let (status, _, _) = acg
            .call(
                Method::POST,
                "/accounts/contoso:createOrUpdateNumbers",
                Some(batch("contoso", 4255550000 + block * 100, 100)),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Default page 200, then follow nextLink verbatim.
    let (status, headers, first) = acg
        .call(Method::GET, "/accounts/contoso/numbers?countRecords=true", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ms-record-count"], "600");
    assert_contract("PagedNumberResource", &first);
    assert_eq!(first["value"].as_array().expect("value").len(), 200);
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    loop {
        seen.extend(
            page["value"]
                .as_array()
                .expect("value")
                .iter()
                .map(|n| n["telephoneNumber"].as_str().expect("tn").to_string()),
        );
        let Some(next) = page["nextLink"].as_str() else { break };
        assert!(next.starts_with("http://127.0.0.1:"), "absolute: {next}");
        page = acg
            .http
            .get(next)
            .bearer_auth(&acg.token)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
    }
    assert_eq!(seen.len(), 600);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 600, "no number twice");
    // maxpagesize is capped at 500; top and skip apply.
    let (_, _, capped) = acg
        .call(Method::GET, "/accounts/contoso/numbers?maxpagesize=900", None)
        .await;
    assert_eq!(capped["value"].as_array().expect("value").len(), 500);
    let (_, _, topped) = acg
        .call(Method::GET, "/accounts/contoso/numbers?top=30&maxpagesize=20", None)
        .await;
    assert_eq!(topped["value"].as_array().expect("value").len(), 20);
    let next = topped["nextLink"].as_str().expect("next page within top");
    let rest: Value = acg
        .http
        .get(next)
        .bearer_auth(&acg.token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(rest["value"].as_array().expect("value").len(), 10);
    assert!(rest.get("nextLink").is_none());
    let (_, _, skipped) = acg.call(Method::GET, "/accounts/contoso/numbers?skip=590", None).await;
    assert_eq!(skipped["value"].as_array().expect("value").len(), 10);
    let (status, _, _) = acg.call(Method::GET, "/accounts/contoso/numbers?top=x", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Across accounts.
    let (status, _, all) = acg.call(Method::GET, "/numbers?maxpagesize=500", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_contract("PagedNumberList", &all);
    assert_eq!(all["value"].as_array().expect("value").len(), 500);
    let (_, _, accounts) = acg.call(Method::GET, "/accounts", None).await;
    assert_contract("PagedAccountResource", &accounts);
}

#[tokio::test]
async fn deletes_and_tenant_changes_are_refused_while_numbers_exist() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    acg.call(
        Method::POST,
        "/accounts/contoso:createOrUpdateNumbers",
        Some(batch("contoso", 4255550000, 3)),
    )
    .await;
    let other_tenant = json!({"teamsTenantId": "3f9a1c2d-7b4e-4f60-8a1b-2c3d4e5f6a7b", "teamsOperatorConnect": {"enabled": true, "syncEnabled": true}});
    let (status, headers, body) = acg.put_account("contoso", other_tenant.clone()).await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::CONFLICT, "TeamsTenantIdChangeNotAllowed")
    );
    let (status, headers, body) = acg.call(Method::DELETE, "/accounts/contoso", None).await;
    assert_eq!(
        (status, error_code(&headers, &body).as_str()),
        (StatusCode::CONFLICT, "AccountHasNumbers")
    );
    let (status, _, _) = acg
        .call(Method::DELETE, "/accounts/contoso?deleteNumbers=true", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, all) = acg.call(Method::GET, "/numbers", None).await;
    assert_eq!(all["value"].as_array().expect("value").len(), 0);
    // Without numbers the tenant may change.
    acg.put_account("contoso", oc_account()).await;
    let (status, _, _) = acg.put_account("contoso", other_tenant).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_repeated_request_is_answered_from_the_first() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    let first_sent = telform::clock::http_date(std::time::SystemTime::now());
    let send = || {
        acg.http
            .post(format!("{}/accounts/contoso:createOrUpdateNumbers?{V}", acg.base))
            .bearer_auth(&acg.token)
            .header("repeatability-request-id", "5a6b7c8d-0000-4000-8000-000000000001")
            .header("repeatability-first-sent", &first_sent)
            .json(&batch("contoso", 4255550000, 2))
            .send()
    };
    let first = send().await.expect("sent");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["repeatability-result"], "accepted");
    let first_body: Value = first.json().await.expect("json");
    // Someone deletes a number in between; the replay must not recreate it.
    acg.call(Method::DELETE, "/accounts/contoso/numbers/%2B14255550000", None)
        .await;
    let again = send().await.expect("sent");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["repeatability-result"], "accepted");
    assert_eq!(again.json::<Value>().await.expect("json"), first_body);
    let account = acg.call(Method::GET, "/accounts/contoso", None).await.2;
    assert_eq!(account["serviceDetails"]["teamsOperatorConnect"]["numberCount"], 1);
}

#[tokio::test]
async fn consents_civic_addresses_are_read_and_only_the_relationship_changes() {
    let acg = start().await;
    let (status, _, list) = acg.call(Method::GET, "/teamsRequestsForInformation", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_contract("PagedRequestForInformationResource", &list);
    assert!(list["value"].as_array().expect("value").len() >= 2);
    let path = format!("/teamsRequestsForInformation/{CONTOSO_TENANT}");
    let (status, headers, rfi) = acg.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("etag"));
    assert_contract("RequestForInformationResource", &rfi);

    let patch = |body: Value, content_type: &'static str| {
        acg.http
            .patch(format!("{}{path}?{V}", acg.base))
            .bearer_auth(&acg.token)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
    };
    let response = patch(
        json!({"customerRelationship": {"status": "agreementSigned", "comment": "CHG-1"}}),
        "application/merge-patch+json",
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.expect("json");
    assert_contract("RequestForInformationResource", &updated);
    assert_eq!(updated["customerRelationship"]["status"], "agreementSigned");
    assert!(updated["customerRelationship"]["lastModifiedOn"].is_string());
    // Merge semantics: a later patch of the comment keeps the status.
    let response = patch(
        json!({"customerRelationship": {"comment": "CHG-2"}}),
        "application/merge-patch+json",
    )
    .await
    .expect("sent");
    let merged: Value = response.json().await.expect("json");
    assert_eq!(
        (
            merged["customerRelationship"]["status"].as_str(),
            merged["customerRelationship"]["comment"].as_str()
        ),
        (Some("agreementSigned"), Some("CHG-2"))
    );
    assert_eq!(
        patch(json!({"customerRelationship": {}}), "application/json")
            .await
            .expect("sent")
            .status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        patch(json!({"status": "removed"}), "application/merge-patch+json")
            .await
            .expect("sent")
            .status(),
        StatusCode::BAD_REQUEST
    );
    let (status, _, _) = acg
        .call(
            Method::GET,
            "/teamsRequestsForInformation/00000000-0000-4000-8000-000000000000",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    acg.put_account("contoso", oc_account()).await;
    let (status, _, addresses) = acg
        .call(Method::GET, "/accounts/contoso/teamsCivicAddresses", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_contract("PagedTeamsCivicAddressResource", &addresses);
    assert_eq!(addresses["value"].as_array().expect("value").len(), 2);
    let (status, headers, address) = acg
        .call(
            Method::GET,
            &format!("/accounts/contoso/teamsCivicAddresses/{CONTOSO_ADDRESS}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("etag"));
    assert_contract("TeamsCivicAddressResource", &address);
    assert_eq!(address["locations"][0]["elin"], "REDB4F2");
    let (status, _, _) = acg
        .call(Method::GET, "/accounts/contoso/teamsCivicAddresses/unknown", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn injected_faults_are_reproducible_and_the_rate_limit_holds() {
    let acg = start_with(demo_seed(), "seed=3,429=1.0,retry-after=7").await;
    let response = acg
        .http
        .get(format!("{}/accounts?{V}", acg.base))
        .bearer_auth(&acg.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");

    let acg = start_with(demo_seed(), "acg-limit=5/min").await;
    for _ in 0..5 {
        assert_eq!(acg.call(Method::GET, "/accounts", None).await.0, StatusCode::OK);
    }
    let (status, headers, body) = acg.call(Method::GET, "/accounts", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        headers["retry-after"]
            .to_str()
            .expect("seconds")
            .parse::<u64>()
            .expect("number")
            <= 60
    );
    assert_eq!(error_code(&headers, &body), "TooManyRequests");

    // "Applied but response lost": the client sees a broken response, the write happened.
    let acg = start_with(demo_seed(), "only=acg,lost=1.0").await;
    let result = async {
        acg.http
            .put(format!("{}/accounts/ghost?{V}", acg.base))
            .bearer_auth(&acg.token)
            .json(&json!({"name": "ghost"}))
            .send()
            .await?
            .text()
            .await
    }
    .await;
    assert!(result.is_err(), "the response must be lost: {result:?}");
    let store = emulator::App::lock(&acg.emulator.app.acg);
    assert!(store.accounts.contains_key("ghost"));
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.json");
    let config = || Config {
        seed: demo_seed(),
        state_file: Some(state.clone()),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let first = emulator::start(listener, config()).await.expect("starts");
    let http = Client::new();
    let token = token_for(&first, &http, 0).await;
    let response = http
        .put(format!("{}/acg/accounts/kept?{V}", first.url()))
        .bearer_auth(&token)
        .json(&json!({"name": "kept"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    first.shutdown().await.expect("saved");
    assert!(state.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the state holds the seed's client secrets");
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let second = emulator::start(listener, config()).await.expect("restarts");
    let response = http
        .get(format!("{}/acg/accounts/kept?{V}", second.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the account and the token both survive"
    );
}

#[tokio::test]
async fn the_env_file_points_telform_at_the_emulator() {
    let acg = start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("e.env");
    // An earlier file readable by everyone does not keep its mode.
    std::fs::write(&path, "old").expect("earlier file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    acg.emulator.write_env_file(&path).expect("written");
    let text = std::fs::read_to_string(&path).expect("readable");
    for key in [
        "TELFORM_ACG_URL",
        "TELFORM_ACG_TOKEN_URL",
        "TELFORM_ACG_TENANT",
        "TELFORM_ACG_CLIENT_ID",
        "TELFORM_ACG_CLIENT_SECRET",
        "TELFORM_ACG_SCOPE",
        "TELFORM_WEBEX_URL",
        "TELFORM_WEBEX_TOKEN",
    ] {
        assert!(text.contains(&format!("{key}='")), "{key} missing:\n{text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
}

/// Idle and half-sent connections are closed, so that they cannot pile up and starve the
/// emulator; a client that keeps talking is served.
#[tokio::test]
async fn idle_and_half_sent_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let config = Config {
        seed: demo_seed(),
        connections: emulator::Connections {
            header_read: Duration::from_millis(300),
            idle: Duration::from_millis(600),
        },
        ..Config::default()
    };
    let emulator = emulator::start(listener, config).await.expect("starts");
    let addr = emulator.url().trim_start_matches("http://").to_string();
    // Closed: the read ends (0 bytes, or a 408 then the end) well before the patience runs out.
    let closed_within = |mut stream: tokio::net::TcpStream| async move {
        let started = std::time::Instant::now();
        let mut buffer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
        assert!(read.is_ok(), "the connection is still open after 10 s");
        started.elapsed()
    };
    let silent = tokio::net::TcpStream::connect(&addr).await.expect("connects");
    let mut half = tokio::net::TcpStream::connect(&addr).await.expect("connects");
    half.write_all(b"GET /acg/accounts HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("sent");
    let (silent, half) = tokio::join!(closed_within(silent), closed_within(half));
    assert!(silent < Duration::from_secs(5), "idle connection kept {silent:?}");
    assert!(half < Duration::from_secs(5), "half-sent request kept {half:?}");
    // A whole request is still answered.
    let response = Client::new()
        .get(format!("{}/acg/accounts", emulator.url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Repeatable requests as Azure documents them: a malformed id or First-Sent is 400, a
/// First-Sent before the tracked window 412, and an id reused for another request is refused
/// (it used to replay the first request's answer: a DELETE of an unknown account sent with the
/// id of a consent PATCH answered 200 with the consent and was not applied).
#[tokio::test]
async fn only_the_same_request_is_replayed_under_a_repeatability_id() {
    let acg = start().await;
    let now = telform::clock::http_date(std::time::SystemTime::now());
    let id = "7d1e2f30-0000-4000-8000-00000000000a";
    let send = |method: Method, path: String, body: Option<Value>, id: &'static str, sent: String| {
        let mut request = acg
            .http
            .request(method, format!("{}{path}?{V}", acg.base))
            .bearer_auth(&acg.token)
            .header("repeatability-request-id", id)
            .header("repeatability-first-sent", sent);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/merge-patch+json")
                .body(body.to_string());
        }
        request.send()
    };
    let consent = format!("/teamsRequestsForInformation/{CONTOSO_TENANT}");
    let patch = json!({"customerRelationship": {"status": "agreementSigned", "comment": "CHG-2"}});
    let first = send(Method::PATCH, consent.clone(), Some(patch.clone()), id, now.clone())
        .await
        .expect("sent");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["repeatability-result"], "accepted");
    // Another request under the same id: refused, and not answered with the consent.
    let other = send(Method::DELETE, "/accounts/nobody".into(), None, id, now.clone())
        .await
        .expect("sent");
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    assert_eq!(other.headers()["repeatability-result"], "rejected");
    assert_eq!(other.headers()["x-ms-error-code"], "RepeatabilityRequestIdReused");
    // The same request again: replayed.
    let again = send(Method::PATCH, consent.clone(), Some(patch), id, now.clone())
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["repeatability-result"], "accepted");
    // Malformed headers.
    for (id, sent, status) in [
        ("", now.clone(), StatusCode::BAD_REQUEST),
        (
            "7d1e2f30-0000-4000-8000-00000000000b",
            "yesterday".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "7d1e2f30-0000-4000-8000-00000000000c",
            "Sat, 21 Nov 2020 05:00:00 GMT".to_string(),
            StatusCode::PRECONDITION_FAILED,
        ),
    ] {
        let a = send(Method::DELETE, "/accounts/nobody".into(), None, id, sent.clone())
            .await
            .expect("sent");
        assert_eq!(a.status(), status, "id {id:?}, first sent {sent:?}");
        assert_eq!(a.headers()["repeatability-result"], "rejected");
    }
    // An id without First-Sent.
    let a = acg
        .http
        .delete(format!("{}/accounts/nobody?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("repeatability-request-id", "7d1e2f30-0000-4000-8000-00000000000d")
        .send()
        .await
        .expect("sent");
    assert_eq!(a.status(), StatusCode::BAD_REQUEST);
    // Reads ignore the headers.
    let a = acg
        .http
        .get(format!("{}/accounts?{V}", acg.base))
        .bearer_auth(&acg.token)
        .header("repeatability-request-id", "")
        .send()
        .await
        .expect("sent");
    assert_eq!(a.status(), StatusCode::OK);
}

/// A 405 says which methods the path has (`Allow`), in the Azure.Core error shape.
#[tokio::test]
async fn a_method_not_allowed_names_the_allowed_ones() {
    let acg = start().await;
    for (method, path, allowed) in [
        (Method::POST, "/accounts/contoso", "GET,HEAD,PUT,DELETE"),
        (Method::GET, "/accounts/contoso:deleteNumbers", "POST"),
        (
            Method::PATCH,
            "/accounts/contoso/numbers/%2B14255550100",
            "GET,HEAD,PUT,DELETE",
        ),
        (
            Method::PUT,
            "/teamsRequestsForInformation/8c2f5b1e-0d7a-4c1e-9a57-3f1d2b6c7e90",
            "GET,HEAD,PATCH",
        ),
        (Method::DELETE, "/accounts", "GET,HEAD"),
        (Method::POST, "/numbers", "GET,HEAD"),
    ] {
        let (status, headers, body) = acg.call(method.clone(), path, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(headers["allow"], allowed, "{method} {path}");
        assert_eq!(body["error"]["code"], "MethodNotAllowed", "{method} {path}");
    }
}

/// More connections than the cap get a 503 that says why, at once, instead of waiting behind
/// idle ones; when one closes, requests are served again.
#[tokio::test]
async fn connections_over_the_cap_get_a_clear_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let acg = start().await;
    acg.emulator
        .app
        .max_connections
        .store(3, std::sync::atomic::Ordering::Relaxed);
    let addr = acg.emulator.url().trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.expect("connects"));
    }
    // Let the server accept them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = tokio::net::TcpStream::connect(&addr).await.expect("connects");
    over.write_all(b"GET /acg/accounts HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sent");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), over.read_to_string(&mut answer))
        .await
        .expect("answered at once")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many open connections"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    drop(idle.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _, _) = acg.call(Method::GET, "/accounts", None).await;
    assert_eq!(status, StatusCode::OK);
}

/// `x-ms-client-request-id` is a UUID in the spec: anything else is refused, not echoed.
#[tokio::test]
async fn a_client_request_id_must_be_a_uuid() {
    let acg = start().await;
    let send = |id: &'static str| {
        acg.http
            .get(format!("{}/accounts?{V}", acg.base))
            .bearer_auth(&acg.token)
            .header("x-ms-client-request-id", id)
            .send()
    };
    let good = send("5a6b7c8d-0000-4000-8000-000000000001").await.expect("sent");
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(
        good.headers()["x-ms-client-request-id"],
        "5a6b7c8d-0000-4000-8000-000000000001"
    );
    for bad in ["", "request-1"] {
        let a = send(bad).await.expect("sent");
        assert_eq!(a.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(a.headers()["x-ms-error-code"], "InvalidHeaderValue");
    }
}

/// Boolean query parameters are `true` or `false`: `countRecords=-1` was answered as if absent,
/// and `deleteNumbers=yes` as false.
#[tokio::test]
async fn boolean_query_parameters_are_true_or_false() {
    let acg = start().await;
    for path in ["/numbers?countRecords=-1", "/accounts?countRecords=yes"] {
        let (status, headers, _) = acg.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(headers["x-ms-error-code"], "InvalidQueryParameter", "{path}");
    }
    let (status, headers, _) = acg.call(Method::GET, "/accounts?countRecords=true", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("x-ms-record-count"));
    let (status, _, _) = acg
        .call(Method::DELETE, "/accounts/contoso?deleteNumbers=yes", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A deliberate choice (docs/emulator.md, "Deliberate deviations"): the swagger's own
/// `PutAccountNumber` example creates a calling-user number without a civic address, which the
/// Number Management Portal procedure forbids; the emulator follows the procedure.
#[tokio::test]
async fn the_swaggers_put_number_example_lacks_the_civic_address_the_procedure_requires() {
    let acg = start().await;
    acg.put_account("contoso", oc_account()).await;
    let text = std::fs::read_to_string(root().join("specs/acg/examples/PutAccountNumber.json")).expect("example");
    let example: Value = serde_json::from_str(&text).expect("json");
    let resource = example["parameters"]["resource"].clone();
    let path = "/accounts/contoso/numbers/%2B15105850321";
    let (status, _, body) = acg.call(Method::PUT, path, Some(resource.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("civicAddressId"),
        "{body}"
    );
    // With the tenant allowed to set the address, the same number is created.
    let mut allowed = resource;
    allowed["serviceDetails"]["teamsOperatorConnect"]["configuration"]["allowTenantAddressUpdate"] = json!(true);
    let (status, _, body) = acg.call(Method::PUT, path, Some(allowed)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Paging parameters are int32 in the swagger: larger values are refused, not silently used.
#[tokio::test]
async fn paging_parameters_are_int32() {
    let acg = start().await;
    let (status, _, _) = acg.call(Method::GET, "/accounts?top=2147483648", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = acg.call(Method::GET, "/accounts?top=2147483647", None).await;
    assert_eq!(status, StatusCode::OK);
}

/// 1,100 idle connections (the count) do not starve the emulator, even when its
/// descriptors are few: the real binary under `ulimit -n 1024` answers a new connection at once
/// with the 503 that says why (without the cap, `accept` failed for lack of descriptors and
/// the request waited until some were freed).
#[test]
fn eleven_hundred_idle_connections_do_not_starve_it() {
    use std::io::{BufRead, BufReader, Read, Write};
    let binary = assert_cmd::cargo::cargo_bin("telform");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" emulator --listen 127.0.0.1:0")
        .arg(&binary)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("telform emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let addr = line
        .split("http://")
        .nth(1)
        .expect("listening on http://…")
        .trim()
        .to_string();
    let mut idle = Vec::new();
    for _ in 0..1100 {
        idle.push(std::net::TcpStream::connect(&addr).expect("connects"));
    }
    let started = std::time::Instant::now();
    let mut probe = std::net::TcpStream::connect(&addr).expect("connects");
    probe.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    probe
        .write_all(b"GET /acg/accounts HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("sent");
    let mut answer = String::new();
    let read = probe.read_to_string(&mut answer);
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(read.is_ok(), "no answer within 5 s: {read:?}");
    // Without the cap the answer came after seconds of failed accepts (2.9 s, measured).
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many open connections"), "{answer}");
    drop(idle);
}
