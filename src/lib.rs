//! telform: declarative provisioning for Azure Communications Gateway and Webex Wholesale.
//!
//! The modules follow the data flow: [`manifest`] loads files into typed manifests,
//! [`validate`] checks them (schema, then domain rules) and reports diagnostics, [`plan`]
//! compares them with the live state the [`provider`] clients read, and [`apply`] writes the
//! plan through those clients. [`reconcile`] runs that pipeline for [`cli`] and [`watch`].
//!
//! # The rule of dependencies
//!
//! The modules stand on a ground floor of types with no I/O:
//!
//! - [`diag`] (diagnostic codes, `Diagnostic`, source positions), [`wire`] (the providers'
//!   contracts), [`manifest`] and [`model`] (the plan model, the live state of both providers,
//!   `ProviderName`, the cancel flag) import nothing above them. Among themselves: `manifest`
//!   uses `diag`; `model` uses `wire` and the manifests' enums; `diag` and `wire` use nothing.
//! - [`plan`] and [`provider`] never import each other: both meet in [`model`] (the provider
//!   clients build its live-state types, the planner reads them).
//! - [`apply`] uses [`provider`] and [`model`] (and the ground floor), never [`plan`] or
//!   [`reconcile`].
//! - Only [`reconcile`] joins plan, providers and apply: it holds the one apply pipeline.
//!   [`cli`] and [`watch`] call it, and render its results with [`plan`]'s renderers and
//!   apply's report.
//! - [`import`] stands beside [`reconcile`]: it reads live state through [`provider`] and
//!   writes manifests; it borrows a pure helper of [`plan`] where the two must agree, never
//!   [`apply`].
//! - [`clock`] (time as text) is ground floor too, and imports nothing of telform.
//!
//! - [`store`] (the apply lock, history, journal) stands on the ground floor only; only
//!   [`reconcile`] (and the commands that read it: `history`, `force-unlock`) use it.
//!
//! No import circle anywhere: a module never imports one that imports it back, directly or
//! not. Check it with `grep -rn 'use crate::' src/<module>` before adding an import across
//! folders; an item needed on both sides of a line belongs in the ground floor.

pub mod apply;
pub mod cli;
pub mod clock;
pub mod diag;
pub mod emulator;
pub mod fmt;
pub mod import;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod provider;
pub mod rate;
pub mod reconcile;
pub mod store;
pub mod validate;
pub mod watch;
pub mod wire;
