//! The customer and its organisation: provisioning, waiting for Webex, deletion.

use super::*;

pub(super) fn errors_text(errors: &[wire::WholesaleError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.error_code, e.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Errors and warnings of a customer provisioned with errors, for the result table.
pub(super) fn provisioning_remarks(c: &wire::Customer) -> Option<String> {
    let mut remarks: Vec<String> = c
        .errors
        .iter()
        .map(|e| format!("{} {}", e.error_code, e.description))
        .collect();
    for p in c.resource_details.iter().flat_map(|r| &r.packages) {
        for e in p.errors.iter().chain(&p.warnings) {
            remarks.push(format!("{}: {} {}", p.name, e.error_code, e.description));
        }
    }
    (!remarks.is_empty()).then(|| format!("provisioned with remarks: {}", remarks.join("; ")))
}

impl<'a> Branch<'a> {
    /// Polls a customer until Webex has finished with it (provisioning, updating). `first` is a
    /// fresh read, looked at before any wait.
    pub(super) async fn wait_customer(&self, id: &str, first: Option<wire::Customer>) -> Wait<wire::Customer> {
        let mut first = first;
        self.poll(
            &format!("customer {}", self.ext),
            "apply again later: telform waits for it and never creates it twice (raise the timeout for slow provisioning)",
            async || {
                let current = match first.take() {
                    Some(c) => c,
                    None => self.w.get_customer(&self.ext, id).await.map_err(text)?.ok_or_else(|| {
                        format!(
                            "customer {} disappeared while telform waited for it\nhint: someone deleted it: run `telform plan` again",
                            self.ext
                        )
                    })?,
                };
                match current.status.as_str() {
                    wire::CUSTOMER_PROVISIONED | wire::CUSTOMER_PROVISIONED_WITH_ERRORS => Ok(Poll::Ready(current)),
                    wire::CUSTOMER_ERROR => {
                        let mut errors = current.errors.clone();
                        errors.extend(
                            current
                                .resource_details
                                .iter()
                                .flat_map(|r| &r.packages)
                                .flat_map(|p| p.errors.iter().cloned()),
                        );
                        Err(format!(
                            "Webex could not provision customer {}: {}\nhint: fix the cause with Cisco (Partner Hub shows the customer), delete the failed customer there, then apply again",
                            self.ext,
                            if errors.is_empty() {
                                "no error given".to_string()
                            } else {
                                errors_text(&errors)
                            }
                        ))
                    }
                    wire::CUSTOMER_DELETING => Err(format!(
                        "customer {} is being deleted at Webex\nhint: wait until it is gone, then apply again",
                        self.ext
                    )),
                    // provisioning, updating, pending_rpl_review: Webex is working on it.
                    status => Ok(Poll::Working(status.to_string())),
                }
            },
        )
        .await
    }

    /// Polls until the customer is gone (deleted).
    pub(super) async fn wait_gone(&self, id: &str) -> Wait<()> {
        self.poll(
            &format!("customer {}", self.ext),
            "it is created again by the next apply once Webex has removed it: apply again later",
            async || {
                Ok(match self.w.get_customer(&self.ext, id).await.map_err(text)? {
                    None => Poll::Ready(()),
                    Some(c) => Poll::Working(c.status),
                })
            },
        )
        .await
    }

    /// The new customer's organisation replaces whatever the branch knew.
    pub(super) fn forget_org(&mut self) {
        self.locations = None;
        self.subscribers = None;
        self.workspaces = None;
        self.devices = None;
        self.numbers = None;
    }

    /// The outcome of a customer written (created, updated), once Webex has provisioned it.
    /// Interrupted while Webex works on it: done (it was written), saying so; what needs the
    /// customer is not attempted.
    pub(super) async fn provisioned(
        &mut self,
        action: &Action,
        id: &str,
        status: Status,
        detail: Option<&str>,
    ) -> Res<Outcome> {
        let outcome = Outcome::new(action, status);
        let with = |outcome: Outcome, more: Option<String>| match (detail, more) {
            (Some(d), Some(m)) => outcome.with_detail(format!("{d}; {m}")),
            (Some(d), None) => outcome.with_detail(d),
            (None, Some(m)) => outcome.with_detail(m),
            (None, None) => outcome,
        };
        match self.wait_customer(id, None).await {
            Wait::Ready(c) => {
                let remarks = provisioning_remarks(&c);
                self.customer = Some(c);
                self.forget_org();
                Ok(with(outcome, remarks))
            }
            Wait::Failed(reason) => Err(reason),
            Wait::Interrupted => Ok(with(
                outcome,
                Some(format!("provisioning still in progress when {INTERRUPTED}")),
            )),
        }
    }

    /// The customer, provisioned; read (and waited for) the first time a child needs it.
    pub(super) async fn org(&mut self) -> Res<(String, String)> {
        if self.customer.is_none() {
            let found = self.w.find_customer(&self.ext).await.map_err(text)?;
            let Some(found) = found else {
                self.customer_failed = Some(format!("customer {} does not exist at Webex", self.ext));
                return Err(format!(
                    "customer {} does not exist at Webex\nhint: declare it (kind: Customer), or run `telform plan` again",
                    self.ext
                ));
            };
            // Read again by id: only that read carries the licence ids of its packages, which
            // a workspace's creation needs.
            match self.wait_customer(&found.id, None).await {
                Wait::Ready(c) => self.customer = Some(c),
                Wait::Failed(reason) => {
                    self.customer_failed = Some(format!("customer {} is not ready at Webex", self.ext));
                    return Err(reason);
                }
                Wait::Interrupted => {
                    return Err(format!("{INTERRUPTED} while waiting for customer {}", self.ext));
                }
            }
        }
        let c = self.customer.as_ref().ok_or("the customer was not read")?;
        let org = c.org_id.clone().ok_or_else(|| {
            format!(
                "customer {} has no organisation id (status `{}`): Webex gives it once provisioned\nhint: apply again later",
                self.ext, c.status
            )
        })?;
        Ok((c.id.clone(), org))
    }

    pub(super) async fn create_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let made = self.w.create_customer(&self.ext, &body).await.map_err(text)?;
        let status = made_status(&made);
        let detail = matches!(made, Made::Existed(_)).then_some(EXISTED);
        self.provisioned(action, made.get(), status, detail).await
    }

    pub(super) async fn update_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        // Webex refuses an update while it works on the customer: that work finishes first.
        let current = self
            .w
            .get_customer(&self.ext, &id)
            .await
            .map_err(text)?
            .ok_or_else(|| {
                format!(
                    "customer {} was deleted since the plan was made\nhint: run `telform plan` again",
                    self.ext
                )
            })?;
        match self.wait_customer(&id, Some(current)).await {
            Wait::Ready(_) => {}
            Wait::Failed(reason) => return Err(reason),
            Wait::Interrupted => return Ok(Run::interrupted(action)),
        }
        self.w.update_customer(&self.ext, &id, &body).await.map_err(text)?;
        self.provisioned(action, &id, Status::Done, None).await
    }

    /// A customer moved to another organisation: removed, then provisioned again. The plan
    /// creates what it holds again after it (its locations, users, workspaces and devices).
    pub(super) async fn replace_customer(&mut self, action: &Action) -> Res<Outcome> {
        let body = body(action)?;
        let id = ref_id(action)?;
        self.w.delete_customer(&self.ext, &id).await.map_err(text)?;
        self.customer = None;
        self.forget_org();
        match self.wait_gone(&id).await {
            Wait::Ready(()) => {}
            Wait::Failed(reason) => {
                return Err(format!("customer {} was deleted, then: {reason}", self.ext));
            }
            Wait::Interrupted => {
                return Err(format!(
                    "customer {} was deleted, and {INTERRUPTED} while Webex was still deleting it: it is created again by the next apply\nhint: apply again",
                    self.ext
                ));
            }
        }
        let made = self
            .w
            .create_customer(&self.ext, &body)
            .await
            .map_err(|e| format!("the old customer was removed, and the new one could not be created: {e}"))?;
        self.provisioned(action, made.get(), Status::Done, None).await
    }

    pub(super) async fn delete_customer(&mut self, action: &Action) -> Res<Outcome> {
        let Some(current) = self.w.find_customer(&self.ext).await.map_err(text)? else {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        };
        if current.status != wire::CUSTOMER_DELETING
            && self.w.delete_customer(&self.ext, &current.id).await.map_err(text)? == Gone::AlreadyGone
        {
            return Ok(gone_outcome(action, Gone::AlreadyGone));
        }
        self.customer = None;
        self.forget_org();
        let done = Outcome::new(action, Status::Done);
        Ok(match self.wait_gone(&current.id).await {
            Wait::Ready(()) => done,
            Wait::Failed(reason) => {
                let first = reason.lines().next().unwrap_or_default();
                done.with_detail(format!("deletion accepted; then: {first}"))
            }
            Wait::Interrupted => done.with_detail(format!(
                "deletion accepted; Webex was still deleting it when {INTERRUPTED}"
            )),
        })
    }
}
