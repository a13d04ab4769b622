//! The prechecks a plan asks the providers before it is shown (issue #13): the questions the
//! planner makes (`crate::plan::webex::precheck`) and what a provider said no to
//! (`crate::provider::webex`), shared by both layers.

use std::collections::BTreeMap;

use crate::wire::webex as wire;

/// The questions for one plan.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Prechecks {
    /// The MACs of new devices by the organisation they are added to (`None`: the organisation
    /// of a customer this plan creates, so the partner's own): one `validateMacs` call each.
    pub macs: BTreeMap<Option<String>, Vec<MacCheck>>,
    /// `POST /wholesale/customers/validate`, with the index of the creating action.
    pub customers: Vec<(usize, wire::CustomerPrecheck)>,
    /// `POST /wholesale/subscribers/validate`, with the index of the creating action.
    pub subscribers: Vec<(usize, wire::SubscriberPrecheck)>,
}

impl Prechecks {
    pub fn is_empty(&self) -> bool {
        self.macs.is_empty() && self.customers.is_empty() && self.subscribers.is_empty()
    }
}

/// One new device's MAC (its plan key: upper-case hex) and the index of its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacCheck {
    pub mac: String,
    pub action: usize,
}

/// What Webex said no to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A MAC `validateMacs` did not find `AVAILABLE`.
    Mac {
        action: usize,
        mac: String,
        state: String,
        code: Option<i64>,
        message: Option<String>,
    },
    /// A customer or subscriber precheck answered with an error.
    Object {
        action: usize,
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
}
