//! `client.payout(..)`: a mobile-money payout as one call.
//!
//! Steps: operator prediction → (party + `BENEFICIARY` counterparty, when no account is known) →
//! `PAYOUT` payment account (given, remembered, or created) → payout session → exactly-once
//! execution with the merchant passcode → wait for `COMPLETED`/`FAILED`.
//!
//! ## Payout account reuse
//!
//! Dollr asks integrators to reuse payout accounts instead of registering the same wallet for
//! every payout, and the API has no way to look one up. So:
//!
//! * pass `payout_account_id` to use an account you stored yourself (nothing else is created);
//! * otherwise the client remembers every account a flow creates, in memory, keyed by
//!   (operation, wallet number, payment method, provider, `party_id` if you gave one). The memory
//!   belongs to the [`Client`] and its clones and ends with them; a second payout to the same
//!   wallet through the same client reuses the account (and creates no party).
//!   [`Client::forget_payment_accounts`] clears it; an account the API refuses is forgotten and
//!   registered again once.

use rust_decimal::Decimal;

use crate::client::Client;
use crate::enums::{ExecutionStatus, OperationType, RelationshipType};
use crate::error::{Error, Result};
use crate::flows::{
    account_rejected, execute_in_session, forget_account, remember_account, remembered_account,
    validate_id_opt, validate_options, validate_reference_id, AccountKey, FlowContext, FlowEvent,
    FlowOptions, StatusTransition,
};
use crate::ids::Id;
use crate::models::counterparty::CreateCounterpartyRequest;
use crate::models::execution::{
    Execution, Passcode, PasscodeDevice, PasscodeToken, PayoutExecutionRequest,
};
use crate::models::party::CreatePartyRequest;
use crate::models::payment_account::CreatePaymentAccountRequest;
use crate::models::prediction::MmoProviderInfo;
use crate::models::session::{CreatePayoutSessionRequest, PayoutSession};
use crate::secret::Secret;
use crate::validate::{self, Validate};

/// What to pay out, to whom, and the merchant's authorization.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct PayoutRequest {
    /// The recipient's mobile-money wallet, E.164 digits without `+`.
    pub phone: String,
    /// The amount, in major units of `currency`.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub amount: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The recipient's name (required unless `party_id` or `payout_account_id` is given).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub recipient_name: Option<String>,
    /// The recipient's email.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub recipient_email: Option<String>,
    /// The recipient's country (ISO 3166-1 alpha-2); default: the operator prediction's country.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub country_code: Option<String>,
    /// The counterparty relationship created with a new party (default `BENEFICIARY`).
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::payout::default_relationship_type")
    )]
    pub relationship_type: RelationshipType,
    /// Use this existing party (no party or counterparty is created).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub party_id: Option<Id>,
    /// Pay to this existing `PAYOUT` payment account (nothing else is created).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub payout_account_id: Option<Id>,
    /// The payment account's label (default `"<recipient> <METHOD> payout"`).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub account_name: Option<String>,
    /// The merchant passcode and the phone or user id it is tied to.
    pub passcode: PasscodeToken,
    /// The device authorizing the payout (audit). Default: this server, as `SERVER` with the
    /// SDK's user agent and `client_ip` `0.0.0.0` (unknown) — give the real one in production.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub device: Option<PasscodeDevice>,
    /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reference_id: Option<String>,
    /// Waiting and progress.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub options: FlowOptions,
}

/// The relationship of a counterparty the payout creates (shared by `PayoutRequest::new` and the
/// request's `Deserialize`).
pub(crate) fn default_relationship_type() -> RelationshipType {
    RelationshipType::Beneficiary
}

impl PayoutRequest {
    /// Pay `amount` `currency` to the wallet `phone`, authorized by the merchant passcode `code`
    /// tied to the merchant phone `passcode_phone`.
    pub fn new(
        phone: impl Into<String>,
        amount: Decimal,
        currency: impl Into<String>,
        code: impl Into<Secret>,
        passcode_phone: impl Into<String>,
    ) -> Self {
        PayoutRequest {
            phone: phone.into(),
            amount,
            currency: currency.into(),
            recipient_name: None,
            recipient_email: None,
            country_code: None,
            relationship_type: default_relationship_type(),
            party_id: None,
            payout_account_id: None,
            account_name: None,
            passcode: PasscodeToken {
                code: code.into(),
                user_id: None,
                phone: Some(passcode_phone.into()),
            },
            device: None,
            reference_id: None,
            options: FlowOptions::default(),
        }
    }

    /// Sets the recipient's name.
    pub fn with_recipient_name(mut self, name: impl Into<String>) -> Self {
        self.recipient_name = Some(name.into());
        self
    }
    /// Pays an existing party.
    pub fn with_party_id(mut self, party_id: Id) -> Self {
        self.party_id = Some(party_id);
        self
    }
    /// Pays to an existing payout account.
    pub fn with_payout_account_id(mut self, account_id: Id) -> Self {
        self.payout_account_id = Some(account_id);
        self
    }
    /// Sets the authorizing device.
    pub fn with_device(mut self, device: PasscodeDevice) -> Self {
        self.device = Some(device);
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
        validate::phone("phone", &self.phone)?;
        validate::supported_currency("currency", &self.currency)?;
        validate::amount("amount", &self.amount, &self.currency)?;
        // A new payout account is a mobile-money wallet: its market decides the currency. Checked
        // after the format rules, so each input keeps the verdict it had before markets were.
        if self.payout_account_id.is_none() {
            let market = validate::mobile_money_phone("phone", &self.phone)?;
            validate::wallet_currency("currency", &self.currency, market)?;
        }
        validate_id_opt("party_id", self.party_id)?;
        validate_id_opt("payout_account_id", self.payout_account_id)?;
        if self.party_id.is_none() && self.payout_account_id.is_none() {
            validate::known("relationship_type", &self.relationship_type)?;
        }
        // Whether the flow will create the party is only known after asking the operator (a
        // remembered account needs none), so the name is required whenever it might.
        match &self.recipient_name {
            Some(name) => validate::non_empty("recipient_name", name)?,
            None if self.party_id.is_none() && self.payout_account_id.is_none() => {
                return Err(Error::missing_field("recipient_name"))
            }
            None => {}
        }
        if let Some(email) = &self.recipient_email {
            validate::non_empty("recipient_email", email)?;
        }
        if let Some(country) = &self.country_code {
            validate::country_code("country_code", country)?;
        }
        if let Some(name) = &self.account_name {
            validate::non_empty("account_name", name)?;
        }
        self.passcode.validate()?;
        if let Some(device) = &self.device {
            device.validate()?;
        }
        validate_reference_id(self.reference_id.as_deref())?;
        validate_options(&self.options)
    }
}

/// Everything a payout did and saw.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct PayoutOutcome {
    /// The recipient's party, when the flow created or was given one (`None` when a known
    /// account was reused without needing it).
    pub party_id: Option<Id>,
    /// Whether the flow created the party.
    pub party_created: bool,
    /// The `BENEFICIARY` counterparty created with a new party.
    pub counterparty_id: Option<Id>,
    /// The operator behind the phone (`None` when `payout_account_id` was given).
    pub provider: Option<MmoProviderInfo>,
    /// The `PAYOUT` payment account used.
    pub payout_account_id: Id,
    /// Whether an existing account was used (given, or remembered by this client).
    pub payout_account_reused: bool,
    /// The payout session (its `wallet_id` is the merchant wallet debited).
    pub session: PayoutSession,
    /// The execution's idempotency key.
    pub reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    pub execution: Execution,
    /// Every status observed, first to last, with when.
    pub transitions: Vec<StatusTransition>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    pub settled: bool,
}

impl PayoutOutcome {
    /// The execution's final (or last seen) status.
    pub fn status(&self) -> &ExecutionStatus {
        &self.execution.status
    }
    /// Whether the money moved.
    pub fn is_completed(&self) -> bool {
        self.execution.status == ExecutionStatus::Completed
    }
}

/// The default device: this server.
pub(crate) fn default_device(client: &Client) -> PasscodeDevice {
    PasscodeDevice {
        name: "dollr-sdk".to_string(),
        device_type: "SERVER".to_string(),
        platform: crate::runtime::OS.to_ascii_uppercase(),
        user_agent: client.config().user_agent.clone(),
        client_ip: "0.0.0.0".to_string(),
    }
}

/// The payout account chosen by the flow.
struct Account {
    id: Id,
    reused: bool,
    key: Option<AccountKey>,
    party_id: Option<Id>,
    party_created: bool,
    counterparty_id: Option<Id>,
}

#[dollr_macros::flows]
impl Client {
    /// Pays out to a mobile-money wallet end to end: operator prediction, party and counterparty
    /// when needed, payout account (remembered per client and reused), session, exactly-once
    /// execution with the passcode, wait. Reports each step as an event.
    ///
    /// A payout that ends `FAILED` (e.g. the wallet balance is too low: read
    /// `execution.wallet_message`) is an outcome, not an error; a refused passcode or an
    /// unverified merchant is a `PermissionDenied` error.
    pub async fn payout(&self, #[flow] request: &PayoutRequest) -> Result<PayoutOutcome> {
        request.validate()?;
        let ctx = FlowContext::new(&request.options);
        ctx.emit(FlowEvent::Validated {
            flow: "payout".into(),
        });

        let provider = match request.payout_account_id {
            Some(_) => None,
            None => {
                let predictions = self.predictions();
                let info = ctx
                    .repeatable("provider_prediction", || {
                        predictions.mmo_provider_info(&request.phone, OperationType::Payout)
                    })
                    .await?;
                ctx.emit(FlowEvent::ProviderPredicted { info: info.clone() });
                Some(info)
            }
        };

        let mut account = self
            .payout_account(&ctx, request, provider.as_ref())
            .await?;
        let mut session_request = CreatePayoutSessionRequest {
            payout_account_id: account.id,
            amount: request.amount,
            currency: request.currency.clone(),
        };
        let sessions = self.sessions();
        let session = match ctx
            .repeatable("session", || sessions.payout(&session_request))
            .await
        {
            Ok(session) => session,
            Err(error) => match (&account.key, account.reused) {
                // A remembered account the API no longer accepts: forget it, register the wallet
                // again, once. Nothing has moved yet, so this is safe.
                (Some(key), true) if account_rejected(&error) => {
                    forget_account(self, key);
                    account = self
                        .payout_account(&ctx, request, provider.as_ref())
                        .await?;
                    session_request.payout_account_id = account.id;
                    ctx.repeatable("session", || sessions.payout(&session_request))
                        .await?
                }
                _ => return Err(error),
            },
        };
        let (reference_id, settled) = execute_in_session(
            self,
            &ctx,
            OperationType::Payout,
            (session.id, session.expires_at),
            request.reference_id.as_deref(),
            |reference_id| {
                let execute = PayoutExecutionRequest {
                    session_id: session.id,
                    payout_account_id: account.id,
                    reference_id,
                    passcode: Passcode {
                        token: request.passcode.clone(),
                        device: request
                            .device
                            .clone()
                            .unwrap_or_else(|| default_device(self)),
                    },
                };
                let ctx = &ctx;
                async move { ctx.executions(self).payout(&execute).await }
            },
        )
        .await?;
        Ok(PayoutOutcome {
            party_id: account.party_id,
            party_created: account.party_created,
            counterparty_id: account.counterparty_id,
            provider,
            payout_account_id: account.id,
            payout_account_reused: account.reused,
            session,
            reference_id,
            execution: settled.execution,
            transitions: settled.transitions,
            settled: settled.settled,
        })
    }

    /// The payout account: the caller's, a remembered one, or a new one (with a new party and
    /// `BENEFICIARY` counterparty unless the caller named the party).
    async fn payout_account(
        &self,
        ctx: &FlowContext,
        request: &PayoutRequest,
        provider: Option<&MmoProviderInfo>,
    ) -> Result<Account> {
        let provider = match (request.payout_account_id, provider) {
            (Some(id), _) => {
                ctx.emit(FlowEvent::PaymentAccountReady {
                    operation_type: OperationType::Payout,
                    account_id: id,
                    method: None,
                    provider: None,
                    reused: true,
                });
                return Ok(Account {
                    id,
                    reused: true,
                    key: None,
                    party_id: request.party_id,
                    party_created: false,
                    counterparty_id: None,
                });
            }
            (None, Some(provider)) => provider,
            (None, None) => {
                return Err(Error::internal(
                    "payout flow: no operator prediction for a new account",
                ))
            }
        };
        let key = AccountKey {
            operation_type: OperationType::Payout,
            phone: request.phone.clone(),
            method: provider.payment_method.clone(),
            provider: provider.gateway_provider.clone(),
            party_id: request.party_id,
        };
        let ready = |id: Id, reused: bool| FlowEvent::PaymentAccountReady {
            operation_type: OperationType::Payout,
            account_id: id,
            method: Some(provider.payment_method.clone()),
            provider: Some(provider.gateway_provider.clone()),
            reused,
        };
        if let Some(id) = remembered_account(self, &key) {
            ctx.emit(ready(id, true));
            return Ok(Account {
                id,
                reused: true,
                key: Some(key),
                party_id: request.party_id,
                party_created: false,
                counterparty_id: None,
            });
        }
        let country_code = request.country_code.clone().or_else(|| {
            validate::country_code("country", &provider.country)
                .ok()
                .map(|()| provider.country.clone())
        });
        let (party_id, party_created, counterparty_id) = match request.party_id {
            Some(party_id) => {
                ctx.emit(FlowEvent::PartyReady {
                    party_id,
                    fullname: request.recipient_name.clone(),
                    created: false,
                });
                (party_id, false, None)
            }
            None => {
                let name = match &request.recipient_name {
                    Some(name) => name.clone(),
                    None => return Err(Error::missing_field("recipient_name")),
                };
                let mut create = CreatePartyRequest::new(name, request.phone.clone());
                create.email = request.recipient_email.clone();
                create.country_code = country_code.clone();
                let parties = self.parties();
                let party = ctx.repeatable("party", || parties.create(&create)).await?;
                ctx.emit(FlowEvent::PartyReady {
                    party_id: party.id,
                    fullname: Some(party.fullname.clone()),
                    created: true,
                });
                let create =
                    CreateCounterpartyRequest::new(request.relationship_type.clone(), party.id);
                let counterparties = self.counterparties();
                let counterparty = ctx
                    .repeatable("counterparty", || counterparties.create(&create))
                    .await?;
                ctx.emit(FlowEvent::CounterpartyReady {
                    counterparty_id: counterparty.id,
                    relationship_type: Some(counterparty.relationship_type.clone()),
                    created: true,
                });
                (party.id, true, Some(counterparty.id))
            }
        };
        let create = CreatePaymentAccountRequest {
            account_name: request.account_name.clone().unwrap_or_else(|| {
                format!(
                    "{} {} payout",
                    request.recipient_name.as_deref().unwrap_or("Recipient"),
                    provider.payment_method
                )
            }),
            provider: provider.gateway_provider.clone(),
            method: provider.payment_method.clone(),
            party_id,
            country_code,
            insensitive_account_number: Some(request.phone.clone()),
        };
        let accounts = self.payment_accounts();
        let account = ctx
            .repeatable("payment_account", || {
                accounts.create(OperationType::Payout, &create)
            })
            .await?;
        remember_account(self, key.clone(), account.id);
        ctx.emit(ready(account.id, false));
        Ok(Account {
            id: account.id,
            reused: false,
            key: Some(key),
            party_id: Some(party_id),
            party_created,
            counterparty_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn field(request: &PayoutRequest) -> String {
        match request.validate() {
            Ok(()) => "ok".into(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details().first().map(|d| d.field()).unwrap_or_default()
            }
        }
    }

    #[test]
    fn every_field_is_checked_before_anything_is_sent() {
        let good = PayoutRequest::new(
            "231771234567",
            Decimal::new(1000, 2),
            "USD",
            "864209",
            "231770000000",
        )
        .with_recipient_name("Musu Doe");
        assert_eq!(field(&good), "ok");
        assert_eq!(
            field(&PayoutRequest {
                currency: "US".into(),
                ..good.clone()
            }),
            "currency"
        );
        assert_eq!(
            field(&PayoutRequest {
                amount: Decimal::ZERO,
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(&PayoutRequest {
                amount: Decimal::new(1001, 3),
                ..good.clone()
            }),
            "amount"
        );
        assert_eq!(
            field(&PayoutRequest {
                phone: "0771234567".into(),
                ..good.clone()
            }),
            "phone"
        );
        let mut no_code = good.clone();
        no_code.passcode.code = Secret::new("");
        assert_eq!(field(&no_code), "passcode.token.code");
        let mut bad_device = good.clone();
        bad_device.device = Some(PasscodeDevice {
            name: "x".into(),
            device_type: "SERVER".into(),
            platform: "LINUX".into(),
            user_agent: "ua".into(),
            client_ip: " ".into(),
        });
        assert_eq!(field(&bad_device), "passcode.device.client_ip");
        assert_eq!(
            field(&good.clone().with_reference_id("1234")),
            "reference_id"
        );
        assert!(
            !format!("{good:?}").contains("864209"),
            "the passcode must never be printed"
        );
    }
}
