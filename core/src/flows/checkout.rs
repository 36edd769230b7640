//! The hosted-checkout path: [`Client::hosted_checkout`] creates the document and its hosted
//! payment page in one call (`POST /v1/checkouts/create` with `mode = HOSTED`); the payer pays on
//! Dollr's page; your server then checks the document is `PAID` before fulfilling —
//! [`Client::verify_paid`] once (e.g. when the payer lands on `success_url`), or
//! [`Client::wait_source_paid`] to poll until `PAID`, `CANCELED` or a deadline. Never fulfil on
//! the `success_url` redirect alone: the payer can reach it without paying.

use std::fmt;
use std::time::Duration;

use crate::runtime::Instant;

use rust_decimal::Decimal;

use crate::client::Client;
use crate::enums::{RelationshipType, SourceStatus, SourceType};
use crate::error::{Error, Result};
use crate::flows::{FlowContext, FlowEvent, FlowOptions, ProgressCallback};
use crate::ids::Id;
use crate::models::checkout::{
    public_source_type, CheckoutItem, CheckoutLink, CreateCheckoutRequest,
};
use crate::models::status::SourceStatusInfo;
use crate::status::StatusMachine;
use crate::time::Timestamp;
use crate::validate::{self, Validate};

/// A hosted checkout to create: the payer's details, the lines and the redirects.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct HostedCheckoutRequest {
    /// `INVOICE` (default) or `ORDER` (sent as `source_kind`).
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::default_source_type")
    )]
    pub source_type: SourceType,
    /// The payer's phone, E.164 digits without `+` (Dollr matches or creates the party by it).
    pub phone: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The lines (at least one); each amount is the line's total.
    #[cfg_attr(feature = "bridge", serde(default))]
    pub items: Vec<CheckoutItem>,
    /// The payer's name.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub payer_name: Option<String>,
    /// The payer's email.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub payer_email: Option<String>,
    /// How the payer relates to you.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub relationship_type: Option<RelationshipType>,
    /// A note on the document.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub note: Option<String>,
    /// Your own free-form reference stored on the document.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub source_reference: Option<String>,
    /// When payment is due.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::time::lenient_opt"),
        schemars(with = "Option<crate::time::TimestampSchema>")
    )]
    pub due_date: Option<Timestamp>,
    /// Where the page sends the payer after paying (absolute http(s) URL).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub success_url: Option<String>,
    /// Where the page sends the payer on cancel (absolute http(s) URL).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub cancel_url: Option<String>,
    /// When the link expires.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::time::lenient_opt"),
        schemars(with = "Option<crate::time::TimestampSchema>")
    )]
    pub expires_at: Option<Timestamp>,
    /// Bill this existing counterparty instead of matching one from the payer details.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub counterparty_id: Option<Id>,
}

/// The one line billed for a bare amount: [`crate::flows::DEFAULT_LINE_NAME`], quantity 1 (the
/// hosted checkout's twin of [`crate::flows::LineItem::single`]).
pub(crate) fn single_line(currency: String, amount: Decimal) -> CheckoutItem {
    CheckoutItem::new(crate::flows::DEFAULT_LINE_NAME, currency, amount)
}

impl HostedCheckoutRequest {
    /// A hosted invoice of `amount` `currency` (one line, `"Payment"`) for the payer `phone`.
    pub fn new(phone: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        let currency = currency.into();
        HostedCheckoutRequest {
            source_type: crate::flows::default_source_type(),
            phone: phone.into(),
            items: vec![single_line(currency.clone(), amount)],
            currency,
            payer_name: None,
            payer_email: None,
            relationship_type: None,
            note: None,
            source_reference: None,
            due_date: None,
            success_url: None,
            cancel_url: None,
            expires_at: None,
            counterparty_id: None,
        }
    }

    /// Sets the payer's name.
    pub fn with_payer_name(mut self, name: impl Into<String>) -> Self {
        self.payer_name = Some(name.into());
        self
    }
    /// Sets the redirects.
    pub fn with_redirects(
        mut self,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        self.success_url = Some(success_url.into());
        self.cancel_url = Some(cancel_url.into());
        self
    }
    /// Creates an order instead of an invoice.
    pub fn with_source_type(mut self, source_type: SourceType) -> Self {
        self.source_type = source_type;
        self
    }

    fn to_wire(&self) -> CreateCheckoutRequest {
        let mut wire = CreateCheckoutRequest::hosted(
            self.source_type.clone(),
            self.phone.clone(),
            self.currency.clone(),
            self.items.clone(),
        );
        wire.party_name = self.payer_name.clone();
        wire.party_email = self.payer_email.clone();
        wire.party_relationship = self.relationship_type.clone();
        wire.reference_id = self.source_reference.clone();
        wire.note = self.note.clone();
        wire.due_date = self.due_date;
        wire.success_url = self.success_url.clone();
        wire.cancel_url = self.cancel_url.clone();
        wire.expires_at = self.expires_at;
        wire.counterparty_id = self.counterparty_id;
        wire
    }

    /// Checks every field before anything is sent; the error names the first bad field (the
    /// payer's phone is `party_phone` and the document kind `source_kind`, as on the wire).
    pub fn validate(&self) -> Result<()> {
        self.to_wire().validate()?;
        validate::supported_currency("currency", &self.currency)?;
        for (index, item) in self.items.iter().enumerate() {
            if item.currency != self.currency {
                return Err(Error::invalid_field(
                    &format!("items.{index}.currency"),
                    format!(
                        "{} differs from the checkout's currency {}",
                        item.currency, self.currency
                    ),
                ));
            }
        }
        // Each item's amount is its line's total; the page charges their sum.
        validate::document_total("items", self.items.iter().map(|item| item.amount))?;
        if let Some(expires_at) = self.expires_at {
            crate::flows::transfer::validate_future("expires_at", Some(expires_at))?;
        }
        Ok(())
    }
}

/// A created hosted checkout: send the payer to `url`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct HostedCheckout {
    /// The hosted payment page.
    pub url: String,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The document's id (for [`Client::verify_paid`]).
    pub source_id: Id,
    /// The document's number.
    pub source_number: String,
    /// The document's total.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub total_amount: Decimal,
    /// The document's currency.
    pub currency: String,
    /// When the link expires.
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::time::lenient_opt"),
        schemars(with = "Option<crate::time::TimestampSchema>")
    )]
    pub expires_at: Option<Timestamp>,
    /// The API's full answer.
    pub checkout: CheckoutLink,
}

/// Whether a document is paid, from the API (never from a redirect).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct PaymentVerification {
    /// `true` only when the API says the document is `PAID`: fulfil then, and only then.
    pub paid: bool,
    /// The document's status as the API reported it.
    pub status: SourceStatus,
    /// The API's full answer.
    pub info: SourceStatusInfo,
}

/// One observed change of a document's status.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct SourceTransition {
    /// The status before (`None` for the first status seen).
    pub from: Option<SourceStatus>,
    /// The status observed.
    pub to: SourceStatus,
    /// When the SDK observed it.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::time::lenient"),
        schemars(with = "crate::time::TimestampSchema")
    )]
    pub at: Timestamp,
    /// Time since the wait started.
    #[cfg_attr(
        feature = "bridge",
        serde(rename = "elapsed_ms", with = "crate::millis"),
        schemars(with = "u64")
    )]
    pub elapsed: Duration,
}

impl fmt::Display for SourceTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.from {
            Some(from) => write!(f, "{from} -> {}", self.to)?,
            None => write!(f, "{}", self.to)?,
        }
        write!(f, " (+{} ms)", self.elapsed.as_millis())
    }
}

/// How [`Client::wait_source_paid`] polls. On the bridge durations are integer milliseconds
/// (`timeout_ms`, …) and status changes go to the call's events.
#[derive(Clone, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct SourceWaitOptions {
    /// The deadline (default 10 minutes: a payer on a hosted page may take a while).
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "timeout_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub timeout: Option<Duration>,
    /// The first interval between polls (default 1 s).
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "poll_interval_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub poll_interval: Option<Duration>,
    /// The longest interval, reached by doubling (default 5 s, the docs' upper bound).
    #[cfg_attr(
        feature = "bridge",
        serde(default, rename = "max_poll_interval_ms", with = "crate::millis::opt"),
        schemars(with = "Option<u64>")
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub max_poll_interval: Option<Duration>,
    /// Receives each status change as it is observed.
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub on_progress: Option<ProgressCallback>,
}

impl fmt::Debug for SourceWaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceWaitOptions")
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "FlowListener"),
            )
            .finish()
    }
}

impl SourceWaitOptions {
    /// Sets the deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Sets the first poll interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }
    /// Sets the longest poll interval.
    pub fn max_poll_interval(mut self, interval: Duration) -> Self {
        self.max_poll_interval = Some(interval);
        self
    }
    /// Sets a closure as the progress listener.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&crate::flows::FlowProgress) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(std::sync::Arc::new(callback));
        self
    }
}

/// How a wait for payment ended.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct SourceWaitOutcome {
    /// `true` when the document is `PAID`.
    pub paid: bool,
    /// `true` when the deadline passed first (the document was neither `PAID` nor `CANCELED`).
    pub timed_out: bool,
    /// The last answer.
    pub info: SourceStatusInfo,
    /// Every status observed, first to last.
    pub transitions: Vec<SourceTransition>,
}

/// Default deadline of [`Client::wait_source_paid`].
const DEFAULT_SOURCE_WAIT: Duration = Duration::from_secs(600);
/// Default first poll interval of [`Client::wait_source_paid`].
const DEFAULT_SOURCE_POLL: Duration = Duration::from_secs(1);
/// Default longest poll interval of [`Client::wait_source_paid`].
const DEFAULT_SOURCE_MAX_POLL: Duration = Duration::from_secs(5);

fn validate_source(source_type: &SourceType, source_id: Id) -> Result<()> {
    public_source_type("source_type", source_type)?;
    validate::id("source_id", source_id)
}

#[dollr_macros::flows]
impl Client {
    /// Creates an invoice or order with a hosted payment page (`checkouts/create`, `mode =
    /// HOSTED`); Dollr matches or creates the party and counterparty. Send the payer to the
    /// returned `url`, then confirm with `verify_paid` or `wait_source_paid` (never on the
    /// redirect alone). Unverified merchants get `PermissionDenied`.
    pub async fn hosted_checkout(
        &self,
        #[flow] request: &HostedCheckoutRequest,
    ) -> Result<HostedCheckout> {
        request.validate()?;
        let checkout = self.checkouts().create(&request.to_wire()).await?;
        Ok(HostedCheckout {
            url: checkout.url.clone(),
            source_type: checkout.source_type.clone(),
            source_id: checkout.source_id,
            source_number: checkout.source_number.clone(),
            total_amount: checkout.total_amount,
            currency: checkout.currency.clone(),
            expires_at: checkout.expires_at,
            checkout,
        })
    }

    /// Asks the API whether the document is `PAID` (`status/source`). Call it before fulfilling;
    /// a redirect to `success_url` proves nothing.
    pub async fn verify_paid(
        &self,
        #[arg("`INVOICE` or `ORDER`.")] source_type: SourceType,
        #[arg("The document's id.")] source_id: Id,
    ) -> Result<PaymentVerification> {
        validate_source(&source_type, source_id)?;
        let info = self.status().source(source_type, source_id).await?;
        Ok(PaymentVerification {
            paid: info.status == SourceStatus::Paid,
            status: info.status.clone(),
            info,
        })
    }

    /// Polls the document's status until it is `PAID` or `CANCELED`, or the deadline passes (not
    /// an error: `timed_out` says so). Transient failures of a poll are retried until the
    /// deadline. Each status change is reported as a `source_status_changed` event.
    pub async fn wait_source_paid(
        &self,
        #[arg("`INVOICE` or `ORDER`.")] source_type: SourceType,
        #[arg("The document's id.")] source_id: Id,
        #[options] options: SourceWaitOptions,
    ) -> Result<SourceWaitOutcome> {
        validate_source(&source_type, source_id)?;
        let timeout = options.timeout.unwrap_or(DEFAULT_SOURCE_WAIT);
        let max_interval = options.max_poll_interval.unwrap_or(DEFAULT_SOURCE_MAX_POLL);
        let mut interval = options
            .poll_interval
            .unwrap_or(DEFAULT_SOURCE_POLL)
            .min(max_interval);
        if interval.is_zero() {
            return Err(Error::invalid_field(
                "poll_interval",
                "must be greater than zero",
            ));
        }
        let ctx = FlowContext::new(&FlowOptions {
            on_progress: options.on_progress.clone(),
            ..FlowOptions::default()
        });
        let started = Instant::now();
        let deadline = started + timeout;
        let mut transitions: Vec<SourceTransition> = Vec::new();
        loop {
            let info = match self.status().source(source_type.clone(), source_id).await {
                Ok(info) => Some(info),
                Err(error) if error.is_transient() && Instant::now() < deadline => None,
                Err(error) => return Err(error),
            };
            if let Some(info) = info {
                let last = transitions.last().map(|t| t.to.clone());
                if last.as_ref() != Some(&info.status) {
                    let transition = SourceTransition {
                        from: last,
                        to: info.status.clone(),
                        at: chrono::Utc::now(),
                        elapsed: started.elapsed(),
                    };
                    ctx.emit(FlowEvent::SourceStatusChanged {
                        source_type: source_type.clone(),
                        source_id,
                        transition: transition.clone(),
                    });
                    transitions.push(transition);
                }
                let now = Instant::now();
                if info.status.is_terminal() || now >= deadline {
                    return Ok(SourceWaitOutcome {
                        paid: info.status == SourceStatus::Paid,
                        timed_out: !info.status.is_terminal(),
                        info,
                        transitions,
                    });
                }
            }
            let now = Instant::now();
            // Never sleep past the deadline: one last poll happens at it.
            crate::runtime::sleep(interval.min(deadline.saturating_duration_since(now))).await;
            interval = (interval * 2).min(max_interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_field_is_checked_before_anything_is_sent() {
        let field = |r: &HostedCheckoutRequest| match r.validate() {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details()[0].field()
            }
        };
        let good = HostedCheckoutRequest::new("231771234567", Decimal::new(2500, 2), "USD")
            .with_redirects("https://shop.example/ok", "https://shop.example/cancel");
        assert_eq!(field(&good), "ok");
        assert_eq!(
            field(&HostedCheckoutRequest {
                phone: "12".into(),
                ..good.clone()
            }),
            "party_phone"
        );
        assert_eq!(
            field(&HostedCheckoutRequest::new(
                "231771234567",
                Decimal::new(2500, 2),
                "usd"
            )),
            "currency"
        );
        assert_eq!(
            field(&good.clone().with_redirects("/ok", "https://x.example")),
            "success_url"
        );
        let mut mixed = good.clone();
        mixed
            .items
            .push(CheckoutItem::new("Tip", "LRD", Decimal::ONE));
        assert_eq!(field(&mixed), "items.1.currency");
        assert_eq!(
            field(&good.clone().with_source_type(SourceType::Subscription)),
            "source_kind"
        );
    }
}
