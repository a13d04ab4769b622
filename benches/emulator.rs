//! Benchmark of the emulator at an operator's scale: seeding a million numbers, then serving
//! 500-number pages over loopback HTTP. Results go to docs/benchmarks.md.
//!
//! cargo run --release --example emulator-bench [-- NUMBERS]

use std::time::{Duration, Instant};

use serde_json::json;
use telform::emulator::{self, Config, seed};

#[tokio::main]
async fn main() {
    let numbers: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let accounts = 100u64;
    let mut seed = seed::demo();
    for a in 0..accounts {
        let name = format!("acct-{a:03}");
        seed.acg.accounts.push(
            serde_json::from_value(
                json!({"name": name, "serviceDetails": {"teamsTenantId": format!("00000000-0000-4000-8000-{a:012}"),
                "teamsOperatorConnect": {"enabled": true, "syncEnabled": false}}}),
            )
            .expect("account"),
        );
        seed.acg.number_blocks.push(
            serde_json::from_value(json!({"account": name, "from": format!("+1{}", 2_000_000_000 + a * 10_000_000), "count": numbers / accounts,
                "template": {"serviceDetails": {"teamsOperatorConnect": {"enabled": true, "configuration": {
                    "usage": "FirstPartyAppAssignment", "choosableCapabilities": ["InboundCalling"]}}}}}))
            .expect("block"),
        );
    }
    let started = Instant::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let emulator = emulator::start(
        listener,
        Config {
            seed,
            ..Config::default()
        },
    )
    .await
    .expect("starts");
    let seeded = started.elapsed();
    let total = emulator::App::lock(&emulator.app.acg).numbers.len();
    println!(
        "seeded {total} numbers in {accounts} accounts in {:.2} s",
        seeded.as_secs_f64()
    );

    let env: std::collections::HashMap<String, String> = emulator.env().into_iter().collect();
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(&env["TELFORM_ACG_TOKEN_URL"])
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", env["TELFORM_ACG_CLIENT_ID"].as_str()),
            ("client_secret", env["TELFORM_ACG_CLIENT_SECRET"].as_str()),
            ("scope", env["TELFORM_ACG_SCOPE"].as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("token").to_string();

    // Walk one account's numbers page by page (500 per page), then the global list.
    let mut latencies: Vec<Duration> = Vec::new();
    for path in ["/accounts/acct-042/numbers", "/numbers"] {
        let mut url = format!(
            "{}{path}?api-version=2024-02-29-preview&maxpagesize=500",
            env["TELFORM_ACG_URL"]
        );
        let mut pages = 0;
        loop {
            let t = Instant::now();
            let page: serde_json::Value = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("page")
                .json()
                .await
                .expect("json");
            latencies.push(t.elapsed());
            assert_eq!(page["value"].as_array().map(Vec::len), Some(500));
            pages += 1;
            match page["nextLink"].as_str() {
                Some(next) if pages < 200 => url = next.to_string(),
                _ => break,
            }
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
    println!(
        "{} pages of 500 numbers: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (request + JSON decode, loopback)",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    emulator.shutdown().await.expect("stops");
}
