//! `telform show`: read-only views the vendor procedures ask for.

use serde_json::json;

use super::{ExitStatus, OperatorSettings, ShowArgs, ShowFormat, ShowWhat, print_err, print_out};
use crate::manifest::settings::Settings;
use crate::provider::acg::AcgClient;
use crate::provider::config::{self, Trusted, process_env};
use crate::provider::http::ProviderError;
use crate::provider::webex::WebexClient;

pub fn run(args: ShowArgs, operator: &OperatorSettings) -> ExitStatus {
    let what = match (&args.what, &args.plan) {
        (Some(what), _) => what,
        (None, Some(path)) => return show_plan(path, args.output),
        (None, None) => {
            return fail("name a saved plan (`telform show plan.json`) or what to show (`telform show consents`)");
        }
    };
    if args.output == ShowFormat::Markdown {
        return fail("--output markdown is for saved plans; the provider views are text or json");
    }
    let trusted_settings = match operator.load(args.dir.as_deref().unwrap_or(std::path::Path::new("."))) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let trusted = Trusted {
        env: &process_env,
        settings: trusted_settings.as_ref(),
    };
    let settings = match &args.dir {
        Some(dir) => {
            let validated = crate::validate::validate(std::slice::from_ref(dir));
            validated.settings
        }
        None => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(error) => return fail(&format!("cannot start the runtime: {error}")),
    };
    let result = runtime.block_on(show(what, trusted, settings.as_ref(), args.output));
    match result {
        Ok(text) => {
            print_out(&text);
            ExitStatus::Success
        }
        Err(message) => fail(&message),
    }
}

/// `telform show plan.json`: the saved plan as `plan` printed it, in any of its formats; nothing
/// is read from the providers.
fn show_plan(path: &std::path::Path, format: ShowFormat) -> ExitStatus {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => return fail(&format!("cannot read the saved plan {}: {error}", path.display())),
    };
    let plan = match crate::plan::render::from_json(&text) {
        Ok(plan) => plan,
        Err(error) => {
            return fail(&format!(
                "{} is not a saved telform plan ({error})\nhint: save one with `telform plan DIR -o plan.json`",
                path.display()
            ));
        }
    };
    match format {
        ShowFormat::Text => print_out(&crate::plan::render::text(&plan, true)),
        ShowFormat::Markdown => print_out(&crate::plan::render::markdown(&plan)),
        ShowFormat::Json => print_out(&crate::plan::render::json(&plan)),
    }
    ExitStatus::Success
}

fn fail(message: &str) -> ExitStatus {
    print_err(&format!("error: {message}\n"));
    ExitStatus::Failure
}

fn acg(trusted: Trusted, folder: Option<&Settings>) -> Result<AcgClient, String> {
    let cfg = config::acg(trusted, folder).map_err(|m| m.to_string())?;
    AcgClient::new(cfg).map_err(|e| e.to_string())
}

fn webex(trusted: Trusted) -> Result<WebexClient, String> {
    let cfg = config::webex(trusted).map_err(|m| m.to_string())?;
    WebexClient::new(cfg).map_err(|e| e.to_string())
}

fn text_of(e: ProviderError) -> String {
    e.to_string()
}

async fn show(
    what: &ShowWhat,
    trusted: Trusted<'_>,
    settings: Option<&Settings>,
    format: ShowFormat,
) -> Result<String, String> {
    match what {
        ShowWhat::Consents => {
            let client = acg(trusted, settings)?;
            let consents = client.list_consents().await.map_err(text_of)?;
            if format == ShowFormat::Json {
                return Ok(serde_json::to_string_pretty(&consents).unwrap_or_default() + "\n");
            }
            let mut out = format!("{} Operator Connect consent(s)\n", consents.len());
            for c in &consents {
                let relationship = c.customer_relationship.as_ref();
                out.push_str(&format!(
                    "\n{}  status {}  account {}\n  countries: {}\n  relationship: {}{}\n",
                    c.tenant_id,
                    c.status.as_deref().unwrap_or("?"),
                    c.account_name.as_deref().unwrap_or("(none)"),
                    c.consented_countries.as_deref().unwrap_or_default().join(", "),
                    relationship.and_then(|r| r.status.as_deref()).unwrap_or("(none)"),
                    relationship
                        .and_then(|r| r.comment.as_deref())
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default(),
                ));
                for contact in c.contacts.iter().flatten() {
                    out.push_str(&format!(
                        "  contact: {} <{}>{}{}\n",
                        contact.full_name,
                        contact.email,
                        contact
                            .telephone_number
                            .as_deref()
                            .map(|t| format!(" {t}"))
                            .unwrap_or_default(),
                        contact
                            .company_name
                            .as_deref()
                            .map(|c| format!(", {c}"))
                            .unwrap_or_default(),
                    ));
                }
            }
            Ok(out)
        }
        ShowWhat::CivicAddresses { account } => {
            let client = acg(trusted, settings)?;
            let addresses = client.list_civic_addresses(account).await.map_err(text_of)?;
            if format == ShowFormat::Json {
                return Ok(serde_json::to_string_pretty(&addresses).unwrap_or_default() + "\n");
            }
            let mut out = format!("{} civic address(es) of account {account}\n", addresses.len());
            for a in &addresses {
                let street = [&a.house_number, &a.street_name, &a.street_suffix]
                    .iter()
                    .filter_map(|p| p.as_deref())
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push_str(&format!(
                    "\n{}  {}\n  {}, {} {} {}\n  company: {}  description: {}\n",
                    a.id,
                    a.validation_status.as_deref().unwrap_or("?"),
                    street,
                    a.postal_or_zip_code.as_deref().unwrap_or(""),
                    a.city_or_town.as_deref().unwrap_or(""),
                    a.country.as_deref().unwrap_or(""),
                    a.company_name.as_deref().unwrap_or(""),
                    a.description.as_deref().unwrap_or(""),
                ));
                for l in a.locations.iter().flatten() {
                    out.push_str(&format!(
                        "  location {}{}  ELIN {}  {}\n",
                        l.id,
                        if l.is_default == Some(true) { " (default)" } else { "" },
                        l.elin.as_deref().unwrap_or("-"),
                        l.description.as_deref().unwrap_or(""),
                    ));
                }
            }
            Ok(out)
        }
        ShowWhat::Devices { customer } => {
            let client = webex(trusted)?;
            let customers = client.list_customers().await.map_err(text_of)?;
            let Some(found) = customers.iter().find(|c| &c.external_id == customer) else {
                return Err(format!(
                    "no Webex customer has external id {customer}\nhint: check the id (Customer.spec.externalId)"
                ));
            };
            let Some(org) = found.org_id.as_deref() else {
                return Err(format!(
                    "customer {customer} is {} and has no organisation yet: no devices",
                    found.status
                ));
            };
            let devices = client.list_devices(customer, org).await.map_err(text_of)?;
            if format == ShowFormat::Json {
                return Ok(serde_json::to_string_pretty(&json!(devices)).unwrap_or_default() + "\n");
            }
            let mut out = format!("{} device(s) of customer {customer}\n", devices.len());
            for d in &devices {
                out.push_str(&format!(
                    "  {}  {}  {}  owner {}  {}\n",
                    d.mac.as_deref().unwrap_or("(no MAC)"),
                    d.product.as_deref().or(d.display_name.as_deref()).unwrap_or("?"),
                    d.managed_by.as_deref().unwrap_or(""),
                    d.person_id
                        .as_deref()
                        .map(|p| format!("person {p}"))
                        .or(d.workspace_id.as_deref().map(|w| format!("workspace {w}")))
                        .unwrap_or_else(|| "-".into()),
                    d.connection_status.as_deref().unwrap_or(""),
                ));
            }
            Ok(out)
        }
    }
}
