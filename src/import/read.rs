//! The live state an import reads: the reads of a plan that manages everything in scope (one
//! page per 500 ACG numbers, the Webex lists per customer), plus the lines of the devices that
//! can share one.

use std::collections::BTreeSet;

use super::{Estate, Scope};
use crate::model::acg::AcgNeeds;
use crate::model::webex::WebexNeeds;
use crate::model::{ProviderName, Stop};
use crate::provider::acg::AcgClient;
use crate::provider::http::ProviderError;
use crate::provider::webex::WebexClient;
use crate::wire::webex as wire;

/// Where a read is, for the progress display.
pub trait Progress: Sync {
    /// A step starts.
    fn step(&self, provider: ProviderName, what: &str);
    /// The reads the whole import will make of `provider`, once known (for an ETA: at ACG's
    /// real limit of 100 requests a minute, a million numbers take 21 minutes).
    fn expect(&self, _provider: ProviderName, _reads: u64) {}
}

/// Says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _: ProviderName, _: &str) {}
}

/// Why a read ended early.
#[derive(Debug)]
pub enum ReadError {
    Provider(ProviderError),
    /// Ctrl-C.
    Stopped,
}

impl From<ProviderError> for ReadError {
    fn from(e: ProviderError) -> Self {
        ReadError::Provider(e)
    }
}

/// Reads what `scope` needs from the providers given.
pub async fn read(
    acg: Option<&AcgClient>,
    webex: Option<&WebexClient>,
    scope: &Scope,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<Estate, ReadError> {
    let mut estate = Estate::default();
    if let Some(client) = acg.filter(|_| scope.uses_acg()) {
        progress.step(ProviderName::Acg, "listing the accounts");
        let listed = client.list_accounts().await?;
        let accounts: BTreeSet<String> = if scope.lists_all() {
            listed
                .iter()
                .filter(|a| scope.wants_account(&a.name))
                .map(|a| a.name.clone())
                .collect()
        } else {
            scope.accounts.clone()
        };
        // What `read_live` will cost: the account list again, one page per 500 numbers of each
        // account, the consents. The counters ACG keeps (`numberCount`) tell the numbers.
        let pages: u64 = listed
            .iter()
            .filter(|a| accounts.contains(&a.name))
            .map(|a| numbers_of(a).div_ceil(crate::provider::acg::PAGE_SIZE as u64))
            .sum();
        progress.expect(ProviderName::Acg, 2 + pages + u64::from(scope.wants_consents()));
        if stop.requested() {
            return Err(ReadError::Stopped);
        }
        progress.step(
            ProviderName::Acg,
            &format!("reading the numbers of {} account(s)", accounts.len()),
        );
        let needs = AcgNeeds {
            accounts,
            civic_addresses_of: BTreeSet::new(),
            consents: scope.wants_consents(),
            ..AcgNeeds::default()
        };
        estate.acg = Some(client.read_live(&needs).await?);
    }
    if stop.requested() {
        return Err(ReadError::Stopped);
    }
    if let Some(client) = webex.filter(|_| scope.uses_webex()) {
        progress.step(ProviderName::Webex, "listing the customers");
        let customers: BTreeSet<String> = if scope.lists_all() {
            client
                .list_customers()
                .await?
                .into_iter()
                .map(|c| c.external_id)
                .filter(|ext| scope.wants_customer(ext))
                .collect()
        } else {
            scope.customers.clone()
        };
        if stop.requested() {
            return Err(ReadError::Stopped);
        }
        progress.step(
            ProviderName::Webex,
            &format!("reading the organisations of {} customer(s)", customers.len()),
        );
        let needs = WebexNeeds {
            // Workspaces' licences are told by the licence ids of their customer's packages,
            // which only a read of the customer by id carries: one more read per customer.
            licenses_of: customers.clone(),
            // Their company names: the organisations' display names.
            names_of: customers.clone(),
            // Their adminEmail: one of the organisations' full administrators.
            admins_of: customers.clone(),
            customers,
            // The supported-devices list tells which models have more than one line.
            supported_devices: scope.shared_lines,
            ..WebexNeeds::default()
        };
        let mut live = client.read_live(&needs).await?;
        if scope.shared_lines {
            read_lines(client, &mut live, progress, stop).await?;
        }
        estate.webex = Some(live);
    }
    Ok(estate)
}

/// The numbers an account's counters give.
fn numbers_of(a: &crate::wire::acg::AccountResource) -> u64 {
    let Some(d) = &a.service_details else { return 0 };
    let counts = [
        d.teams_operator_connect.as_ref().and_then(|s| s.number_count),
        d.teams_phone_mobile.as_ref().and_then(|s| s.number_count),
        d.teams_direct_routing.as_ref().and_then(|s| s.number_count),
        d.zoom_phone_cloud_peering.as_ref().and_then(|s| s.number_count),
        d.azure_operator_call_protection.as_ref().and_then(|s| s.number_count),
    ];
    counts.into_iter().flatten().map(|n| n.max(0) as u64).sum()
}

/// The lines of the devices that can share one: only a model with several line appearances
/// can, so only those cost a read, [`crate::provider::webex::CONCURRENCY`] at a time.
async fn read_lines(
    client: &WebexClient,
    live: &mut crate::model::webex::WebexLive,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<(), ReadError> {
    use futures_util::{StreamExt, TryStreamExt, stream};
    let multi_line: BTreeSet<String> = live
        .supported_devices
        .iter()
        .flatten()
        .filter(|m| m.max_number_of_line_appearances.unwrap_or(m.number_of_line_ports) > 1)
        .flat_map(|m| [m.model.to_lowercase(), m.display_name.to_lowercase()])
        .collect();
    let mut wanted: Vec<(String, String, wire::Device)> = Vec::new();
    for (ext, org) in &live.orgs {
        let Some(org_id) = live.customers.get(ext).and_then(|c| c.org_id.clone()) else {
            continue;
        };
        for d in &org.devices {
            let multi = d
                .product
                .as_deref()
                .is_some_and(|p| multi_line.contains(&p.to_lowercase()));
            if multi && d.mac().is_some_and(|m| !m.is_empty()) {
                let device = wire::Device {
                    id: d.id().to_string(),
                    mac: d.mac().map(str::to_string),
                    ..Default::default()
                };
                wanted.push((ext.clone(), org_id.clone(), device));
            }
        }
    }
    progress.step(
        ProviderName::Webex,
        &format!("reading the lines of {} device(s) that can share one", wanted.len()),
    );
    let lines: Vec<(String, String, wire::DeviceMembers)> = stream::iter(wanted)
        .map(|(ext, org, device)| async move {
            if stop.requested() {
                return Err(ReadError::Stopped);
            }
            let members = client.device_members(&ext, &org, &device).await?;
            Ok((ext, device.id, members))
        })
        .buffer_unordered(crate::provider::webex::CONCURRENCY)
        .try_collect()
        .await?;
    for (ext, id, members) in lines {
        if let Some(org) = live.orgs.get_mut(&ext) {
            org.members.insert(id, members);
        }
    }
    Ok(())
}
