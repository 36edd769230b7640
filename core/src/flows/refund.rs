//! `client.refund(..)`: money back on an earlier collection as one call: refund session
//! (`original_payment_intent_id`, `amount`, `reason`, `expires_at`) → exactly-once execution → wait.

use rust_decimal::Decimal;

use crate::client::Client;
use crate::enums::{ExecutionStatus, OperationType};
use crate::error::Result;
use crate::flows::transfer::{expiry_or_default, validate_future};
use crate::flows::{
    execute_in_session, validate_options, validate_reference_id, FlowContext, FlowEvent,
    FlowOptions, StatusTransition,
};
use crate::ids::Id;
use crate::models::execution::{Execution, RefundExecutionRequest};
use crate::models::session::{CreateRefundSessionRequest, RefundSession};
use crate::time::Timestamp;
use crate::validate;

/// What to refund.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct RefundRequest {
    /// The payment intent of the original, completed collection (merchant portal or transaction
    /// history; the execution response does not carry it).
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::ids::flexible"),
        schemars(with = "i64")
    )]
    pub original_payment_intent_id: Id,
    /// The amount to refund (partial or full), in major units of the original payment. More than
    /// was paid is refused by the API.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// The original payment's currency, when you know it: the amount's decimals are then checked
    /// against it before sending. Not sent.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub currency: Option<String>,
    /// Why the money goes back.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reason: Option<String>,
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

impl RefundRequest {
    /// Refund `amount` of the payment intent `original_payment_intent_id`.
    pub fn new(original_payment_intent_id: Id, amount: Decimal) -> Self {
        RefundRequest {
            original_payment_intent_id,
            amount,
            currency: None,
            reason: None,
            expires_at: None,
            reference_id: None,
            options: FlowOptions::default(),
        }
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// Names the original payment's currency (checks the amount's decimals locally).
    pub fn with_currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = Some(currency.into());
        self
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
        validate::id(
            "original_payment_intent_id",
            self.original_payment_intent_id,
        )?;
        match &self.currency {
            Some(currency) => {
                validate::supported_currency("currency", currency)?;
                validate::amount("amount", &self.amount, currency)?;
            }
            None => validate::positive_amount("amount", &self.amount)?,
        }
        if let Some(reason) = &self.reason {
            validate::non_empty("reason", reason)?;
        }
        validate_future("expires_at", self.expires_at)?;
        validate_reference_id(self.reference_id.as_deref())?;
        validate_options(&self.options)
    }
}

/// Everything a refund did and saw.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct RefundOutcome {
    /// The refund session.
    pub session: RefundSession,
    /// The execution's idempotency key.
    pub reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    pub execution: Execution,
    /// Every status observed, first to last, with when.
    pub transitions: Vec<StatusTransition>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    pub settled: bool,
}

impl RefundOutcome {
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
    /// Refunds (part of) an earlier collection end to end: session, exactly-once execution, wait.
    /// Reports each step as an event. Refunding more than the original is refused by the API (an
    /// error, before any money moves).
    pub async fn refund(&self, #[flow] request: &RefundRequest) -> Result<RefundOutcome> {
        request.validate()?;
        let ctx = FlowContext::new(&request.options);
        ctx.emit(FlowEvent::Validated {
            flow: "refund".into(),
        });
        let session_request = CreateRefundSessionRequest {
            original_payment_intent_id: request.original_payment_intent_id,
            amount: request.amount,
            reason: request.reason.clone(),
            expires_at: expiry_or_default(request.expires_at),
        };
        let sessions = self.sessions();
        let session = ctx
            .repeatable("session", || sessions.refund(&session_request))
            .await?;
        let (reference_id, settled) = execute_in_session(
            self,
            &ctx,
            OperationType::Refund,
            (session.id, session.expires_at),
            request.reference_id.as_deref(),
            |reference_id| {
                let execute = RefundExecutionRequest {
                    session_id: session.id,
                    reference_id,
                };
                let ctx = &ctx;
                async move { ctx.executions(self).refund(&execute).await }
            },
        )
        .await?;
        Ok(RefundOutcome {
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
        let field = |r: &RefundRequest| match r.validate() {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details()[0].field()
            }
        };
        let good = RefundRequest::new(7, Decimal::new(1000, 2)).with_reason("damaged");
        assert_eq!(field(&good), "ok");
        assert_eq!(
            field(&RefundRequest {
                original_payment_intent_id: 0,
                ..good.clone()
            }),
            "original_payment_intent_id"
        );
        assert_eq!(
            field(&RefundRequest {
                amount: Decimal::ZERO,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(field(&good.clone().with_currency("RWF")), "ok");
        let cents = RefundRequest::new(7, Decimal::new(1005, 2));
        assert_eq!(field(&cents.clone().with_currency("RWF")), "amount");
        assert_eq!(field(&cents.with_currency("rwf")), "currency");
        assert_eq!(field(&good.clone().with_reason("")), "reason");
    }
}
