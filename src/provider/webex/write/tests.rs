use super::kinds::{customer_id_of, numbers_text};
use super::*;
use crate::wire::webex::Customer;
use serde_json::json;

#[tokio::test]
async fn a_pause_holds_every_caller_until_it_passes() {
    let gate = Gate::default();
    let stop = Stop::default();
    let timed = async || {
        let started = Instant::now();
        let open = gate.wait(&stop).await;
        (open, started.elapsed())
    };
    assert!(
        timed().await.1 < Duration::from_millis(20),
        "an open gate does not wait"
    );
    gate.pause(Duration::from_millis(150));
    // A shorter pause does not shorten the longer one.
    gate.pause(Duration::from_millis(10));
    let (a, b) = tokio::join!(timed(), timed());
    assert!(
        a.1 >= Duration::from_millis(140) && b.1 >= Duration::from_millis(140),
        "{a:?} {b:?}"
    );
    assert!(a.0 && b.0, "both let through");
    assert!(timed().await.1 < Duration::from_millis(20), "the gate opens again");
}

#[tokio::test]
async fn ctrl_c_ends_every_wait_at_once() {
    let gate = Gate::default();
    let stop = Stop::default();
    gate.pause(Duration::from_secs(60));
    let started = Instant::now();
    let (open, slept, ()) = tokio::join!(gate.wait(&stop), pause(Duration::from_secs(60), &stop), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.request();
    });
    assert!(!open, "the closed gate lets nobody through once stopped");
    assert!(!slept, "the sleep says it was cut short");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // An open gate lets a caller through even after a stop (the caller decides).
    assert!(Gate::default().wait(&stop).await);
}

#[test]
fn what_was_to_be_written_is_compared_with_what_webex_shows() {
    let body = json!({
        "packages": ["webex_calling", "common_area_calling"],
        "orgId": null,
        "address": {"addressLine1": "1 rue de Rivoli", "city": "Paris", "country": "FR"},
        "externalId": "ACME",
    });
    let found = Customer {
        id: "c1".into(),
        external_id: "ACME".into(),
        packages: vec!["common_area_calling".into(), "webex_calling".into()],
        address: Some(crate::wire::webex::Address {
            address_line1: "1 Rue de Rivoli ".into(),
            city: "PARIS".into(),
            zip_or_postal_code: Some("75001".into()),
            country: "FR".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let fields: &[(&str, &str)] = &[("packages", "/packages"), ("orgId", "/orgId"), ("address", "/address")];
    // Order of lists, case and spaces, and what was not asked for do not count.
    assert!(differs(&body, &found, fields).is_empty());
    let other = Customer {
        packages: vec!["webex_calling".into()],
        org_id: Some("org-2".into()),
        ..found.clone()
    };
    assert_eq!(differs(&body, &other, fields), vec!["packages"]);
    let moved = json!({"orgId": "org-1", "packages": ["webex_calling"]});
    assert_eq!(differs(&moved, &other, fields), vec!["orgId"]);
}

#[test]
fn errors_never_echo_the_password() {
    let secret = SecretString::from("s3cret-Pa55");
    let error = ProviderError {
        provider: P,
        operation: "set the SIP password of device X".into(),
        status: Some(400),
        code: Some("25000".into()),
        message: "password s3cret-Pa55 is too weak".into(),
        tracking_id: None,
        hint: "h".into(),
    };
    let shown = redact(error, Some(&secret)).to_string();
    assert!(!shown.contains("s3cret-Pa55"), "{shown}");
    assert!(shown.contains("password <redacted> is too weak"), "{shown}");
}

#[test]
fn the_customer_id_is_read_from_the_answer_url() {
    assert_eq!(
        customer_id_of("https://webexapis.com/v1/wholesale/customers/Y2lz-1").as_deref(),
        Some("Y2lz-1")
    );
    assert_eq!(
        customer_id_of("http://x/webex/v1/wholesale/customers/abc?x=1").as_deref(),
        Some("abc")
    );
    assert_eq!(customer_id_of("http://x/other/abc"), None);
    assert_eq!(customer_id_of("http://x/wholesale/customers/"), None);
}

#[test]
fn number_lists_are_named_briefly() {
    assert_eq!(numbers_text(&["+1".into()]), "number +1");
    assert_eq!(
        numbers_text(&["+1".into(), "+2".into(), "+3".into()]),
        "3 numbers (+1..+3)"
    );
}
