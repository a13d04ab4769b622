//! The Teams capability actions of an account: `:getTeamsCapabilityPlans` and
//! `:getTeamsAvailableCapabilities`.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;

use super::accounts::account_not_found;
use super::http::{Reply, parse_body};
use super::rules::check_telephone_number;
use crate::emulator::App;
use crate::wire::acg::{AvailableCapabilities, CapabilityPlan, CapabilityPlans, NumberIdentifiers};

pub(super) fn capability_plans(app: &App, name: &str) -> Result<Reply, Response> {
    if !App::lock(&app.acg).accounts.contains_key(name) {
        return Err(account_not_found(name));
    }
    let plan = |usage: &str, choosable: &[&str]| CapabilityPlan {
        name: format!("{usage}-plan"),
        usage: usage.to_string(),
        supports_toll_free: usage != "CallingUserAssignment",
        offer_types: Some(vec!["Calling".into()]),
        mandatory_capabilities: Some(vec!["InboundCalling".into()]),
        choosable_capabilities: Some(choosable.iter().map(|c| c.to_string()).collect()),
    };
    let plans = CapabilityPlans {
        capability_plans: vec![
            plan(
                "CallingUserAssignment",
                &["InboundCalling", "OutboundCalling", "Mobile"],
            ),
            plan("FirstPartyAppAssignment", &["InboundCalling", "OutboundCalling"]),
            plan("ConferenceAssignment", &["InboundCalling"]),
        ],
    };
    Ok(Reply::json(StatusCode::OK, None, &plans))
}

pub(super) fn available_capabilities(app: &App, name: &str, body: &Bytes) -> Result<Reply, Response> {
    let ids: NumberIdentifiers = parse_body(body)?;
    for id in &ids.numbers {
        check_telephone_number(&id.telephone_number)?;
    }
    let store = App::lock(&app.acg);
    let Some(account) = store.accounts.get(name) else {
        return Err(account_not_found(name));
    };
    let mobile = account
        .resource
        .service_details
        .as_ref()
        .and_then(|d| d.teams_phone_mobile.as_ref())
        .is_some_and(|s| s.enabled);
    let mut available = vec!["InboundCalling".to_string(), "OutboundCalling".to_string()];
    if mobile {
        available.push("Mobile".into());
    }
    Ok(Reply::json(
        StatusCode::OK,
        None,
        &AvailableCapabilities {
            available_capabilities: available,
        },
    ))
}
