//! telform: declarative provisioning for Azure Communications Gateway and Webex Wholesale.
//!
//! The modules follow the data flow: [`manifest`] loads files into typed manifests,
//! [`validate`] checks them (schema, then domain rules) and reports diagnostics.

pub mod apply;
pub mod cli;
pub mod clock;
pub mod diag;
pub mod emulator;
pub mod fmt;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod provider;
pub mod rate;
pub mod reconcile;
pub mod validate;
pub mod watch;
pub mod wire;
