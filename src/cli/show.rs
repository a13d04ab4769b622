//! `telform show`: read-only views the vendor procedures ask for.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

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
    // Each view prints as it reads: a big list streams, page by page, and is never held.
    let result = runtime.block_on(show(what, trusted, settings.as_ref(), args.output));
    match result {
        Ok(()) => ExitStatus::Success,
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
) -> Result<(), String> {
    let json = format == ShowFormat::Json;
    match what {
        ShowWhat::Accounts => accounts(&acg(trusted, settings)?, json).await,
        ShowWhat::Numbers {
            account,
            service,
            usage,
            prefix,
        } => {
            let filter = NumberFilter {
                service: service.clone(),
                usage: usage.clone(),
                prefix: prefix.clone(),
            };
            filter.check()?;
            numbers(&acg(trusted, settings)?, account, &filter, json).await
        }
        ShowWhat::Number { number } => {
            if crate::validate::e164::parse(number).is_err() {
                return Err(format!(
                    "{number:?} is not an E.164 number\nhint: write `+`, the country code and the digits, e.g. +33478000100 (quote it in a shell if needed)"
                ));
            }
            number_holder(trusted, settings, number, json).await
        }
        ShowWhat::Consents { tenant, status } => {
            consents(&acg(trusted, settings)?, tenant.as_deref(), status.as_deref(), json).await
        }
        ShowWhat::CivicAddresses { account } => civic_addresses(&acg(trusted, settings)?, account, json).await,
        ShowWhat::Customers => customers(&webex(trusted)?, json).await,
        ShowWhat::Users { customer } => users(&webex(trusted)?, customer, json).await,
        ShowWhat::Workspaces { customer } => workspaces(&webex(trusted)?, customer, json).await,
        ShowWhat::Devices { customer } => devices(&webex(trusted)?, customer, json).await,
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

// ---- ACG ----------------------------------------------------------------------------------

/// An account's services in the manifests' terms, with their number counts.
fn account_services(a: &crate::wire::acg::AccountResource) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let Some(d) = &a.service_details else { return out };
    let synced = |s: &crate::wire::acg::SyncedAccountService| json!({"enabled": s.enabled, "sync": s.sync_enabled, "numbers": s.number_count.unwrap_or(0)});
    if let Some(s) = &d.teams_operator_connect {
        out.push(("operatorConnect", synced(s)));
    }
    if let Some(s) = &d.teams_phone_mobile {
        out.push(("teamsPhoneMobile", synced(s)));
    }
    if let Some(s) = &d.teams_direct_routing {
        let mut v = json!({"enabled": s.enabled, "sync": s.sync_enabled, "numbers": s.number_count.unwrap_or(0)});
        if let Some(c) = &s.configuration {
            v["subdomain"] = json!(c.subdomain);
            v["callScreening"] = json!(c.call_screening);
        }
        out.push(("directRouting", v));
    }
    if let Some(s) = &d.zoom_phone_cloud_peering {
        out.push(("zoom", synced(s)));
    }
    if let Some(s) = &d.azure_operator_call_protection {
        out.push((
            "callProtection",
            json!({"enabled": s.enabled, "numbers": s.number_count.unwrap_or(0)}),
        ));
    }
    out
}

fn number_total(a: &crate::wire::acg::AccountResource) -> i64 {
    account_services(a)
        .iter()
        .filter_map(|(_, v)| v["numbers"].as_i64())
        .sum()
}

async fn accounts(client: &AcgClient, json: bool) -> Result<(), String> {
    let accounts = client.list_accounts().await.map_err(text_of)?;
    if json {
        let rows: Vec<Value> = accounts
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "correlationId": a.correlation_id,
                    "teamsTenantId": a.service_details.as_ref().and_then(|d| d.teams_tenant_id.as_ref()),
                    "status": a.service_provisioning_status,
                    "numbers": number_total(a),
                    "services": account_services(a).into_iter().map(|(k, v)| (k.to_string(), v)).collect::<serde_json::Map<String, Value>>(),
                })
            })
            .collect();
        print_out(&pretty(&json!(rows)));
        return Ok(());
    }
    let mut out = format!("{} ACG account(s)\n", accounts.len());
    for a in &accounts {
        out.push_str(&format!(
            "\n{}  {}  {} number(s)  tenant {}  correlation {}\n",
            a.name,
            a.service_provisioning_status.as_deref().unwrap_or("?"),
            number_total(a),
            a.service_details
                .as_ref()
                .and_then(|d| d.teams_tenant_id.as_deref())
                .unwrap_or("-"),
            a.correlation_id.as_deref().unwrap_or("-"),
        ));
        for (name, v) in account_services(a) {
            let sync = match v["sync"].as_bool() {
                Some(true) => ", sync on",
                Some(false) => ", sync off",
                None => "",
            };
            let extra = v["subdomain"]
                .as_str()
                .map(|d| format!(", subdomain {d}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {name}: {}{sync}, {} number(s){extra}\n",
                if v["enabled"] == true { "enabled" } else { "disabled" },
                v["numbers"]
            ));
        }
    }
    print_out(&out);
    Ok(())
}

struct NumberFilter {
    service: Option<String>,
    usage: Option<String>,
    prefix: Option<String>,
}

impl NumberFilter {
    fn check(&self) -> Result<(), String> {
        const SERVICES: [&str; 5] = [
            "operatorConnect",
            "teamsPhoneMobile",
            "directRouting",
            "zoom",
            "callProtection",
        ];
        const USAGES: [&str; 3] = ["user", "application", "conference"];
        if let Some(s) = &self.service
            && !SERVICES.contains(&s.as_str())
        {
            return Err(format!(
                "--service {s} is not a service\nhint: one of {}",
                SERVICES.join(", ")
            ));
        }
        if let Some(u) = &self.usage
            && !USAGES.contains(&u.as_str())
        {
            return Err(format!(
                "--usage {u} is not a usage\nhint: one of {}",
                USAGES.join(", ")
            ));
        }
        Ok(())
    }

    fn keeps(&self, number: &str, view: &Value) -> bool {
        self.prefix.as_deref().is_none_or(|p| number.starts_with(p))
            && self.service.as_deref().is_none_or(|s| view["service"] == s)
            && self.usage.as_deref().is_none_or(|u| view["usage"] == u)
    }
}

/// A number's view in the manifests' terms, with its sync state when not synced.
fn number_view(n: &crate::wire::acg::NumberResource, interner: &mut crate::model::acg::Interner) -> Value {
    let live = crate::model::acg::LiveNumber::from_wire(n, interner);
    let mut view = live.state.view();
    if let Some(unsynced) = &live.unsynced {
        view["sync"] = json!(unsynced.0);
    }
    view
}

fn number_line(number: &str, view: &Value) -> String {
    let mut line = format!("{number}  {}", view["service"].as_str().unwrap_or("none"));
    if let Value::Object(map) = view {
        for (key, value) in map.iter().filter(|(k, _)| k.as_str() != "service") {
            let text = match value {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            line.push_str(&format!("  {key} {text}"));
        }
    }
    line
}

async fn numbers(client: &AcgClient, account: &str, filter: &NumberFilter, json: bool) -> Result<(), String> {
    let mut interner = crate::model::acg::Interner::default();
    let (mut seen, mut shown) = (0usize, 0usize);
    if json {
        print_out("[");
    }
    client
        .list_each(
            &format!("list the numbers of account {account}"),
            &format!("/accounts/{}/numbers", crate::wire::encode(account)),
            |page: Vec<crate::wire::acg::NumberResource>| {
                // One write per page: a million numbers print as they arrive.
                let mut out = String::new();
                for n in &page {
                    seen += 1;
                    let view = number_view(n, &mut interner);
                    if !filter.keeps(&n.telephone_number, &view) {
                        continue;
                    }
                    if json {
                        let mut row = json!({"number": n.telephone_number});
                        if let (Value::Object(row), Value::Object(view)) = (&mut row, view) {
                            row.extend(view);
                        }
                        out.push_str(if shown == 0 { "\n  " } else { ",\n  " });
                        out.push_str(&row.to_string());
                    } else {
                        out.push_str(&number_line(&n.telephone_number, &view));
                        out.push('\n');
                    }
                    shown += 1;
                }
                print_out(&out);
            },
        )
        .await
        .map_err(|e| {
            if json {
                print_out("\n]\n");
            }
            text_of(e)
        })?;
    if json {
        print_out(if shown == 0 { "]\n" } else { "\n]\n" });
    } else {
        print_out(&format!("{shown} of {seen} number(s) of account {account} shown\n"));
    }
    Ok(())
}

/// The account of each Teams tenant (lower case), for the consents.
fn accounts_by_tenant(accounts: &[crate::wire::acg::AccountResource]) -> HashMap<String, Vec<String>> {
    let mut by: HashMap<String, Vec<String>> = HashMap::new();
    for a in accounts {
        if let Some(t) = a.service_details.as_ref().and_then(|d| d.teams_tenant_id.as_deref()) {
            by.entry(t.to_ascii_lowercase()).or_default().push(a.name.clone());
        }
    }
    by
}

async fn consents(client: &AcgClient, tenant: Option<&str>, status: Option<&str>, json: bool) -> Result<(), String> {
    let (consents, accounts) = tokio::try_join!(client.list_consents(), client.list_accounts()).map_err(text_of)?;
    let by_tenant = accounts_by_tenant(&accounts);
    let relationship =
        |c: &crate::wire::acg::RequestForInformation| c.customer_relationship.as_ref().and_then(|r| r.status.clone());
    let kept: Vec<_> = consents
        .iter()
        .filter(|c| tenant.is_none_or(|t| c.tenant_id.eq_ignore_ascii_case(t)))
        .filter(|c| {
            status.is_none_or(|s| {
                c.status.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(s))
                    || relationship(c).is_some_and(|r| r.eq_ignore_ascii_case(s))
            })
        })
        .collect();
    // ACG leaves `accountName` empty until an account is linked: the account is the one whose
    // teamsTenantId is the consent's tenant.
    let account_of = |c: &crate::wire::acg::RequestForInformation| -> Vec<String> {
        match &c.account_name {
            Some(a) if !a.is_empty() => vec![a.clone()],
            _ => by_tenant
                .get(&c.tenant_id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_default(),
        }
    };
    if json {
        let rows: Vec<Value> = kept
            .iter()
            .map(|c| {
                let mut v = json!(c);
                v["accounts"] = json!(account_of(c));
                v
            })
            .collect();
        print_out(&pretty(&json!(rows)));
        return Ok(());
    }
    let mut out = format!("{} of {} Operator Connect consent(s)\n", kept.len(), consents.len());
    for c in kept {
        let r = c.customer_relationship.as_ref();
        let accounts = account_of(c);
        out.push_str(&format!(
            "\n{}  status {}  account {}\n  countries: {}\n  relationship: {}{}\n",
            c.tenant_id,
            c.status.as_deref().unwrap_or("?"),
            if accounts.is_empty() {
                "(none)".to_string()
            } else {
                accounts.join(", ")
            },
            c.consented_countries.as_deref().unwrap_or_default().join(", "),
            r.and_then(|r| r.status.as_deref()).unwrap_or("(none)"),
            r.and_then(|r| r.comment.as_deref())
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
    print_out(&out);
    Ok(())
}

async fn civic_addresses(client: &AcgClient, account: &str, json: bool) -> Result<(), String> {
    let addresses = client.list_civic_addresses(account).await.map_err(text_of)?;
    if json {
        print_out(&pretty(&json!(addresses)));
        return Ok(());
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
    print_out(&out);
    Ok(())
}

/// `show number`: the ACG account (one read per account that has numbers) and the Webex
/// customers (one number list per organisation) that hold it.
async fn number_holder(
    trusted: Trusted<'_>,
    settings: Option<&Settings>,
    number: &str,
    json: bool,
) -> Result<(), String> {
    let acg_client = config::acg(trusted, settings).ok().and_then(|c| AcgClient::new(c).ok());
    let webex_client = config::webex(trusted).ok().and_then(|c| WebexClient::new(c).ok());
    if acg_client.is_none() && webex_client.is_none() {
        return Err("neither ACG nor Webex is configured\nhint: set the TELFORM_ACG_* or TELFORM_WEBEX_* variables (docs/security.md)".into());
    }
    let mut holders: Vec<Value> = Vec::new();
    if let Some(client) = &acg_client {
        let accounts = client.list_accounts().await.map_err(text_of)?;
        let holding: Vec<&crate::wire::acg::AccountResource> =
            accounts.iter().filter(|a| number_total(a) > 0).collect();
        let total: i64 = holding.iter().map(|a| number_total(a)).sum();
        let found = |n: crate::wire::acg::NumberResource| {
            let view = number_view(&n, &mut crate::model::acg::Interner::default());
            json!({"provider": "acg", "account": n.account_name, "configuration": view})
        };
        // One read per account that has numbers, or the whole list (one page per 500
        // numbers), whichever reads less: as a plan chooses.
        let pages = (total.max(0) as u64).div_ceil(crate::provider::acg::PAGE_SIZE as u64);
        if (holding.len() as u64) <= pages {
            for a in holding {
                let url = client.url(
                    &format!(
                        "/accounts/{}/numbers/{}",
                        crate::wire::encode(&a.name),
                        crate::wire::encode(number)
                    ),
                    &[],
                );
                let read = client
                    .get_with_etag(&format!("read number {number} of account {}", a.name), &url)
                    .await
                    .map_err(text_of)?;
                if let Some((body, _)) = read {
                    let resource: crate::wire::acg::NumberResource =
                        serde_json::from_value(body).map_err(|e| format!("ACG answered an unexpected number: {e}"))?;
                    holders.push(found(resource));
                }
            }
        } else {
            let mut hit = None;
            client
                .list_each(
                    "list the numbers",
                    "/numbers",
                    |page: Vec<crate::wire::acg::NumberResource>| {
                        if let Some(n) = page.into_iter().find(|n| n.telephone_number == number) {
                            hit = Some(n);
                        }
                    },
                )
                .await
                .map_err(text_of)?;
            holders.extend(hit.map(found));
        }
    }
    if let Some(client) = &webex_client {
        for c in client.list_customers().await.map_err(text_of)? {
            let Some(org) = c.org_id.as_deref() else { continue };
            let numbers = client.list_numbers(&c.external_id, org).await.map_err(text_of)?;
            for n in numbers.iter().filter(|n| n.phone_number.as_deref() == Some(number)) {
                let owner = n.owner.as_ref().map(|o| {
                    let name = [o.first_name.as_deref(), o.last_name.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    json!({"type": o.owner_type, "name": name})
                });
                holders.push(json!({
                    "provider": "webex",
                    "customer": c.external_id,
                    "location": n.location.as_ref().map(|l| &l.name),
                    "extension": n.extension,
                    "mainNumber": n.main_number,
                    "state": n.state,
                    "owner": owner,
                }));
            }
        }
    }
    if json {
        print_out(&pretty(&json!({"number": number, "heldBy": holders})));
        return Ok(());
    }
    let mut out = String::new();
    if holders.is_empty() {
        out.push_str(&format!("{number} is held by no ACG account and no Webex customer\n"));
    }
    for h in &holders {
        if h["provider"] == "acg" {
            out.push_str(&format!(
                "{number}: ACG account {}\n  {}\n",
                h["account"].as_str().unwrap_or("?"),
                number_line(number, &h["configuration"])
            ));
        } else {
            out.push_str(&format!(
                "{number}: Webex customer {}, location {}{}{}\n",
                h["customer"].as_str().unwrap_or("?"),
                h["location"].as_str().unwrap_or("(none)"),
                h["extension"]
                    .as_str()
                    .map(|x| format!(", extension {x}"))
                    .unwrap_or_default(),
                if h["mainNumber"] == true { ", main number" } else { "" },
            ));
            if let Some(owner) = h["owner"].as_object() {
                out.push_str(&format!(
                    "  owner: {} ({})\n",
                    owner["name"].as_str().unwrap_or(""),
                    owner["type"].as_str().unwrap_or("")
                ));
            }
        }
    }
    print_out(&out);
    Ok(())
}

// ---- Webex --------------------------------------------------------------------------------

async fn customers(client: &WebexClient, json: bool) -> Result<(), String> {
    let customers = client.list_customers().await.map_err(text_of)?;
    if json {
        print_out(&pretty(&json!(customers)));
        return Ok(());
    }
    let mut out = format!("{} Webex customer(s)\n", customers.len());
    for c in &customers {
        out.push_str(&format!(
            "\n{}  {}  organisation {}\n  packages: {}\n",
            c.external_id,
            c.status,
            c.org_id.as_deref().unwrap_or("(none yet)"),
            c.packages.join(", ")
        ));
        if let Some(a) = &c.address {
            out.push_str(&format!(
                "  address: {}{}, {} {} {}\n",
                a.address_line1,
                a.address_line2.as_deref().map(|l| format!(", {l}")).unwrap_or_default(),
                a.zip_or_postal_code.as_deref().unwrap_or(""),
                a.city,
                a.country
            ));
        }
        for e in &c.errors {
            out.push_str(&format!("  error: {} {}\n", e.error_code, e.description));
        }
    }
    print_out(&out);
    Ok(())
}

/// A customer and its organisation id, or why it has none.
async fn customer_org(
    client: &WebexClient,
    external_id: &str,
) -> Result<(crate::wire::webex::Customer, String), String> {
    let customers = client.list_customers().await.map_err(text_of)?;
    let Some(found) = customers.into_iter().find(|c| c.external_id == external_id) else {
        return Err(format!(
            "no Webex customer has external id {external_id}\nhint: check the id (Customer.spec.externalId; `telform show customers` lists them)"
        ));
    };
    let Some(org) = found.org_id.clone() else {
        return Err(format!(
            "customer {external_id} is {} and has no organisation yet: nothing to show",
            found.status
        ));
    };
    // Read again by id: only that read carries its packages' licence ids (a workspace's
    // licence is told by them).
    let found = client.customer_licenses(&found).await.map_err(text_of)?;
    Ok((found, org))
}

/// Lines by owner id (person or workspace): number, extension, location, names.
fn lines_by_owner(numbers: &[crate::wire::webex::PhoneNumber]) -> HashMap<&str, Value> {
    let mut lines: HashMap<&str, Value> = HashMap::new();
    for n in numbers {
        let Some(owner) = &n.owner else { continue };
        let line = lines.entry(owner.id.as_str()).or_insert_with(|| json!({}));
        for (key, value) in [
            ("phoneNumber", n.phone_number.as_deref()),
            ("extension", n.extension.as_deref()),
            ("location", n.location.as_ref().map(|l| l.name.as_str())),
            ("firstName", owner.first_name.as_deref()),
            ("lastName", owner.last_name.as_deref()),
        ] {
            if let Some(value) = value
                && line.get(key).is_none()
            {
                line[key] = json!(value);
            }
        }
    }
    lines
}

async fn users(client: &WebexClient, external_id: &str, json: bool) -> Result<(), String> {
    let (customer, org) = customer_org(client, external_id).await?;
    let (subscribers, numbers) = tokio::try_join!(
        client.list_subscribers(&customer),
        client.list_numbers(external_id, &org)
    )
    .map_err(text_of)?;
    let lines = lines_by_owner(&numbers);
    let rows: Vec<Value> = subscribers
        .iter()
        .map(|s| {
            let mut row = json!({
                "email": s.email,
                "status": s.status,
                "packages": if s.packages.is_empty() { json!(s.package.iter().collect::<Vec<_>>()) } else { json!(s.packages) },
            });
            if let Some(line) = s.person_id.as_deref().and_then(|p| lines.get(p))
                && let (Value::Object(row), Value::Object(line)) = (&mut row, line.clone())
            {
                row.extend(line);
            }
            row
        })
        .collect();
    if json {
        print_out(&pretty(&json!(rows)));
        return Ok(());
    }
    let mut out = format!("{} user(s) of customer {external_id}\n", rows.len());
    for r in &rows {
        let name = [r["firstName"].as_str(), r["lastName"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!(
            "  {}  {}  {}  {}  location {}  number {}  extension {}\n",
            r["email"].as_str().unwrap_or(""),
            if name.is_empty() { "(no name read)" } else { &name },
            r["status"].as_str().unwrap_or(""),
            r["packages"]
                .as_array()
                .map(|p| p.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
                .unwrap_or_default(),
            r["location"].as_str().unwrap_or("-"),
            r["phoneNumber"].as_str().unwrap_or("-"),
            r["extension"].as_str().unwrap_or("-"),
        ));
    }
    print_out(&out);
    Ok(())
}

async fn workspaces(client: &WebexClient, external_id: &str, json: bool) -> Result<(), String> {
    let (customer, org) = customer_org(client, external_id).await?;
    let (workspaces, locations, numbers) = tokio::try_join!(
        client.list_workspaces(external_id, &org),
        client.list_locations(external_id, &org),
        client.list_numbers(external_id, &org)
    )
    .map_err(text_of)?;
    let lines = lines_by_owner(&numbers);
    let location_names: HashMap<&str, &str> = locations.iter().map(|l| (l.id.as_str(), l.name.as_str())).collect();
    let mut kinds: HashMap<&str, &str> = HashMap::new();
    for p in customer.resource_details.iter().flat_map(|r| &r.packages) {
        let kind = if p.name == "common_area_calling" {
            "commonArea"
        } else {
            "professional"
        };
        for id in p.license_ids.iter().flatten() {
            kinds.insert(id, kind);
        }
    }
    let rows: Vec<Value> = workspaces
        .iter()
        .map(|w| {
            let calling = w.calling.as_ref();
            let settings = calling.and_then(|c| c.webex_calling.as_ref());
            let location = w
                .location_id
                .as_deref()
                .or_else(|| settings.and_then(|s| s.location_id.as_deref()));
            let license = settings
                .and_then(|s| s.licenses.as_ref())
                .and_then(|ids| ids.iter().find_map(|id| kinds.get(id.as_str()).copied()));
            let line = lines.get(w.id.as_str());
            json!({
                "name": w.display_name,
                "type": w.workspace_type,
                "capacity": w.capacity,
                "calling": calling.map(|c| &c.calling_type),
                "license": license,
                "location": location.map(|id| location_names.get(id).copied().unwrap_or(id)),
                "phoneNumber": line.and_then(|l| l.get("phoneNumber")),
                "extension": line.and_then(|l| l.get("extension")),
            })
        })
        .collect();
    if json {
        print_out(&pretty(&json!(rows)));
        return Ok(());
    }
    let mut out = format!("{} workspace(s) of customer {external_id}\n", rows.len());
    for r in &rows {
        out.push_str(&format!(
            "  {}  {}  capacity {}  {}  licence {}  location {}  number {}  extension {}\n",
            r["name"].as_str().unwrap_or(""),
            r["type"].as_str().unwrap_or("?"),
            r["capacity"],
            r["calling"].as_str().unwrap_or("no calling"),
            r["license"].as_str().unwrap_or("?"),
            r["location"].as_str().unwrap_or("-"),
            r["phoneNumber"].as_str().unwrap_or("-"),
            r["extension"].as_str().unwrap_or("-"),
        ));
    }
    print_out(&out);
    Ok(())
}

async fn devices(client: &WebexClient, external_id: &str, json: bool) -> Result<(), String> {
    let (customer, org) = customer_org(client, external_id).await?;
    let (devices, subscribers, workspaces) = tokio::try_join!(
        client.list_devices(external_id, &org),
        client.list_subscribers(&customer),
        client.list_workspaces(external_id, &org)
    )
    .map_err(text_of)?;
    let emails: HashMap<&str, &str> = subscribers
        .iter()
        .filter_map(|s| Some((s.person_id.as_deref()?, s.email.as_str())))
        .collect();
    let names: HashMap<&str, &str> = workspaces
        .iter()
        .map(|w| (w.id.as_str(), w.display_name.as_str()))
        .collect();
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for d in &devices {
        let owner = match (d.person_id.as_deref(), d.workspace_id.as_deref()) {
            (Some(p), _) => json!({"user": emails.get(p).copied().unwrap_or(p)}),
            (None, Some(w)) => json!({"workspace": names.get(w).copied().unwrap_or(w)}),
            (None, None) => Value::Null,
        };
        // The SIP identity is in the device's calling settings: one read per device.
        let calling = match d.mac.as_deref().filter(|m| !m.is_empty()) {
            Some(_) => client.calling_device(external_id, &org, &d.id).await.ok(),
            None => None,
        };
        let row = json!({
            "mac": d.mac,
            "model": d.product.as_deref().or(d.display_name.as_deref()),
            "owner": owner,
            "managedBy": d.managed_by,
            "connectionStatus": d.connection_status,
            "sipUserName": calling.as_ref().and_then(|c| c.owner.as_ref()).map(|o| &o.sip_user_name),
            "linePort": calling.as_ref().and_then(|c| c.owner.as_ref()).and_then(|o| o.line_port.as_ref()),
            "outboundProxy": calling.as_ref().and_then(|c| c.proxy.as_ref()).and_then(|p| p.outbound_proxy.as_ref()),
            "tags": d.tags,
        });
        rows.insert(format!("{}{}", d.mac.as_deref().unwrap_or("~"), d.id), row);
    }
    let rows: Vec<Value> = rows.into_values().collect();
    if json {
        print_out(&pretty(&json!(rows)));
        return Ok(());
    }
    let mut out = format!("{} device(s) of customer {external_id}\n", rows.len());
    for r in &rows {
        let owner = match (r["owner"]["user"].as_str(), r["owner"]["workspace"].as_str()) {
            (Some(u), _) => format!("user {u}"),
            (None, Some(w)) => format!("workspace {w}"),
            _ => "-".to_string(),
        };
        // Who manages the device, as Webex reports it (`managedBy`: CISCO, CUSTOMER or PARTNER).
        out.push_str(&format!(
            "  {}  {}  managed by {}  owner {}  SIP user {}  outbound proxy {}  {}\n",
            r["mac"].as_str().unwrap_or("(no MAC)"),
            r["model"].as_str().unwrap_or("?"),
            r["managedBy"].as_str().unwrap_or("-"),
            owner,
            r["sipUserName"].as_str().unwrap_or("-"),
            r["outboundProxy"].as_str().unwrap_or("-"),
            r["connectionStatus"].as_str().unwrap_or(""),
        ));
    }
    print_out(&out);
    Ok(())
}
