//! Applying the Webex half of a plan: one branch per customer.

use super::{Outcome, Run, Status};
use crate::plan::model::Action;
use crate::provider::webex::WebexClient;

pub async fn apply(client: &WebexClient, actions: Vec<Action>, run: &Run) -> Vec<Outcome> {
    let _ = (client, run);
    actions
        .iter()
        .map(|a| {
            Outcome::new(
                a,
                Status::Failed {
                    reason: "Webex writes are not available in this build".into(),
                },
            )
        })
        .collect()
}
