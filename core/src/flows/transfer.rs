//! `client.transfer(..)`: wallet to counterparty as one call: transfer session (`from_wallet_id`,
//! `to_counterparty_id`, `amount`, `currency`, `expires_at`) → exactly-once execution → wait.

use rust_decimal::Decimal;

use crate::client::Client;
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::Result;
use crate::flows::{
    execute_in_session, validate_options, validate_reference_id, FlowContext, FlowEvent,
    FlowOptions, StatusTransition, DEFAULT_SESSION_LIFETIME,
};
use crate::ids::Id;
use crate::models::execution::{Execution, TransferExecutionRequest};
use crate::models::session::{CreateTransferSessionRequest, TransferSession};
use crate::time::Timestamp;
use crate::validate;

/// What to transfer, from which wallet, to whom.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct TransferRequest {
    /// Your Dollr wallet to debit (the `wallet_id` of a payout session, or the merchant portal).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::ids::flexible"),
        schemars(with = "i64")
    )]
    pub from_wallet_id: Id,
    /// The counterparty to credit.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::ids::flexible"),
        schemars(with = "i64")
    )]
    pub to_counterparty_id: Id,
    /// The amount, in major units of `currency`.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// When the session expires (default: 15 minutes from now). Must be in the future.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::time::lenient_opt"),
        schemars(with = "Option<crate::time::TimestampSchema>")
    )]
    pub expires_at: Option<Timestamp>,
    /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reference_id: Option<String>,
    /// Waiting and progress.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub options: FlowOptions,
}

impl TransferRequest {
    /// Transfer `amount` `currency` from wallet `from_wallet_id` to counterparty `to_counterparty_id`.
    pub fn new(
        from_wallet_id: Id,
        to_counterparty_id: Id,
        amount: Decimal,
        currency: impl Into<String>,
    ) -> Self {
        TransferRequest {
            from_wallet_id,
            to_counterparty_id,
            amount,
            currency: currency.into(),
            expires_at: None,
            reference_id: None,
            options: FlowOptions::default(),
        }
    }

    /// Uses your own idempotency key.
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = Some(reference_id.into());
        self
    }
    /// Sets the waiting and progress options.
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks every field before anything is sent; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        validate::id("from_wallet_id", self.from_wallet_id)?;
        validate::id("to_counterparty_id", self.to_counterparty_id)?;
        validate::supported_currency("currency", &self.currency)?;
        validate::amount("amount", &self.amount, &self.currency)?;
        validate_future("expires_at", self.expires_at)?;
        validate_reference_id(self.reference_id.as_deref())?;
        validate_options(&self.options)
    }
}

/// A session expiry given by the caller must be in the future.
pub(crate) fn validate_future(field: &str, at: Option<Timestamp>) -> Result<()> {
    match at {
        Some(at) if at <= chrono::Utc::now() => Err(crate::error::Error::invalid_field(
            field,
            format!(
                "{} is in the past; a session must expire in the future",
                crate::time::format_timestamp(&at)
            ),
        )),
        _ => Ok(()),
    }
}

/// The expiry to send: the caller's, or [`DEFAULT_SESSION_LIFETIME`] from now.
pub(crate) fn expiry_or_default(at: Option<Timestamp>) -> Timestamp {
    at.unwrap_or_else(|| {
        chrono::Utc::now()
            + chrono::Duration::from_std(DEFAULT_SESSION_LIFETIME)
                .unwrap_or(chrono::Duration::minutes(15))
    })
}

/// Everything a transfer did and saw.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct TransferOutcome {
    /// The transfer session.
    pub session: TransferSession,
    /// The execution's idempotency key.
    pub reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    pub execution: Execution,
    /// Every status observed, first to last, with when.
    pub transitions: Vec<StatusTransition>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    pub settled: bool,
}

impl TransferOutcome {
    /// The execution's final (or last seen) status.
    pub fn status(&self) -> &ExecutionStatus {
        &self.execution.status
    }
    /// Whether the money moved.
    pub fn is_completed(&self) -> bool {
        self.execution.status == ExecutionStatus::Completed
    }
}

#[dollr_macros::flows]
impl Client {
    /// Transfers from one of your wallets to a counterparty end to end: session, exactly-once
    /// execution, wait. Reports each step as an event. A transfer that ends `FAILED` is an
    /// outcome, not an error (read `execution.wallet_message`).
    pub async fn transfer(&self, #[flow] request: &TransferRequest) -> Result<TransferOutcome> {
        request.validate()?;
        let ctx = FlowContext::new(&request.options);
        ctx.emit(FlowEvent::Validated {
            flow: "transfer".into(),
        });
        let session_request = CreateTransferSessionRequest {
            from_wallet_id: request.from_wallet_id,
            to_counterparty_id: request.to_counterparty_id,
            amount: request.amount,
            currency: request.currency.clone(),
            expires_at: expiry_or_default(request.expires_at),
        };
        let sessions = self.sessions();
        let session = ctx
            .repeatable("session", || sessions.transfer(&session_request))
            .await?;
        let (reference_id, settled) = execute_in_session(
            self,
            &ctx,
            OperationType::Transfer,
            (session.id, session.expires_at),
            request.reference_id.as_deref(),
            |reference_id| {
                let execute = TransferExecutionRequest {
                    session_id: session.id,
                    reference_id,
                };
                let ctx = &ctx;
                async move { ctx.executions(self).transfer(&execute).await }
            },
        )
        .await?;
        Ok(TransferOutcome {
            session,
            reference_id,
            execution: settled.execution,
            transitions: settled.transitions,
            settled: settled.settled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_field_is_checked_before_anything_is_sent() {
        let field = |r: &TransferRequest| match r.validate() {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details()[0].field()
            }
        };
        let good = TransferRequest::new(3, 9, Decimal::new(500, 2), "USD");
        assert_eq!(field(&good), "ok");
        assert_eq!(
            field(&TransferRequest {
                from_wallet_id: 0,
                ..good.clone()
            }),
            "from_wallet_id"
        );
        assert_eq!(
            field(&TransferRequest {
                to_counterparty_id: -1,
                ..good.clone()
            }),
            "to_counterparty_id"
        );
        assert_eq!(
            field(&TransferRequest {
                currency: "usd".into(),
                ..good.clone()
            }),
            "currency"
        );
        assert_eq!(
            field(&TransferRequest {
                amount: Decimal::new(-1, 0),
                ..good.clone()
            }),
            "amount"
        );
        let past = chrono::Utc::now() - chrono::Duration::minutes(1);
        assert_eq!(
            field(&TransferRequest {
                expires_at: Some(past),
                ..good.clone()
            }),
            "expires_at"
        );
        assert!(expiry_or_default(None) > chrono::Utc::now());
    }
}
