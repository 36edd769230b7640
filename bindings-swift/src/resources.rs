//! The API's resources as objects (`client.parties()`, `client.invoices()`, …), one method per
//! operation of the core, each `async` on the SDK's runtime. Arguments and results are the core's
//! own request and response types.

use std::future::Future;
use std::sync::Arc;

use dollr_core::models::*;
use dollr_core::{
    ExecutePolicy, MerchantType, OperationType, OwnerType, PaymentMethod, SourceType,
};

use crate::error::DollrError;
use crate::runtime::run;
use crate::wait::{TransitionListener, WaitHandle, WaitOptions};

/// Runs one core call on the SDK's runtime with a clone of the resource handle.
async fn call<R, T, F, Fut>(resource: &R, operation: F) -> Result<T, DollrError>
where
    R: Clone + Send + 'static,
    F: FnOnce(R) -> Fut + Send + 'static,
    Fut: Future<Output = dollr_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let resource = resource.clone();
    run(async move { operation(resource).await.map_err(DollrError::from) }).await
}

/// Parties: people and businesses (`/v1/parties/...`).
#[derive(uniffi::Object)]
pub struct Parties {
    pub(crate) inner: dollr_core::api::Parties,
}

#[uniffi::export(async_runtime = "tokio")]
impl Parties {
    /// `POST /v1/parties/create`.
    pub async fn create(&self, request: CreatePartyRequest) -> Result<Party, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.create(&request).await },
        )
        .await
    }

    /// `GET /v1/parties/list`, optionally filtered by name.
    #[uniffi::method(default(query))]
    pub async fn list(&self, query: ListPartiesQuery) -> Result<Vec<Party>, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.list(&query).await },
        )
        .await
    }

    /// `GET /v1/parties/retrieve/{id}`.
    pub async fn retrieve(&self, id: i64) -> Result<Party, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.retrieve(id).await },
        )
        .await
    }
}

/// Counterparties: how a party relates to the merchant (`/v1/counterparties/...`).
#[derive(uniffi::Object)]
pub struct Counterparties {
    pub(crate) inner: dollr_core::api::Counterparties,
}

#[uniffi::export(async_runtime = "tokio")]
impl Counterparties {
    /// `POST /v1/counterparties/create`.
    pub async fn create(
        &self,
        request: CreateCounterpartyRequest,
    ) -> Result<Counterparty, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.create(&request).await },
        )
        .await
    }

    /// `GET /v1/counterparties/list`, optionally filtered.
    #[uniffi::method(default(query))]
    pub async fn list(
        &self,
        query: ListCounterpartiesQuery,
    ) -> Result<Vec<Counterparty>, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.list(&query).await },
        )
        .await
    }

    /// `GET /v1/counterparties/retrieve/{id}`: with its party.
    pub async fn retrieve(&self, id: i64) -> Result<CounterpartyWithParty, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.retrieve(id).await },
        )
        .await
    }

    /// `PUT /v1/counterparties/update/{id}`: sends only the fields set.
    pub async fn update(
        &self,
        id: i64,
        request: UpdateCounterpartyRequest,
    ) -> Result<Counterparty, DollrError> {
        call(&self.inner, move |api| async move {
            api.update(id, &request).await
        })
        .await
    }
}

/// Declares the invoices or orders object: the same twelve operations, the kind's own types.
macro_rules! source_resource {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $core:ty, $source:ty, $detail:ty, $receipt:ty
    ) => {
        $(#[doc = $doc])+
        #[derive(uniffi::Object)]
        pub struct $name {
            pub(crate) inner: $core,
        }

        #[uniffi::export(async_runtime = "tokio")]
        impl $name {
            /// `POST …/create`: a new document in `IDLE`.
            pub async fn create(&self, request: CreateSourceRequest) -> Result<$source, DollrError> {
                call(&self.inner, move |api| async move { api.create(&request).await }).await
            }

            /// `GET …/list`, optionally filtered by currency and status.
            #[uniffi::method(default(query))]
            pub async fn list(&self, query: ListSourcesQuery) -> Result<Vec<$source>, DollrError> {
                call(&self.inner, move |api| async move { api.list(&query).await }).await
            }

            /// `GET …/retrieve/{id}`: with its items and counterparty.
            pub async fn retrieve(&self, id: i64) -> Result<$detail, DollrError> {
                call(&self.inner, move |api| async move { api.retrieve(id).await }).await
            }

            /// `GET …/retrieve/number/{number}`: the same, by document number.
            pub async fn retrieve_by_number(&self, number: String) -> Result<$detail, DollrError> {
                call(&self.inner, move |api| async move { api.retrieve_by_number(&number).await })
                    .await
            }

            /// `PUT …/update/{id}` (only while `IDLE`): sends only the fields set.
            pub async fn update(
                &self,
                id: i64,
                request: UpdateSourceRequest,
            ) -> Result<$source, DollrError> {
                call(&self.inner, move |api| async move { api.update(id, &request).await }).await
            }

            /// `POST …/{id}/items/add` (only while `IDLE`).
            pub async fn add_item(
                &self,
                id: i64,
                request: AddItemRequest,
            ) -> Result<SourceItem, DollrError> {
                call(&self.inner, move |api| async move { api.add_item(id, &request).await })
                    .await
            }

            /// `PUT …/{id}/items/{item_id}/update` (only while `IDLE`).
            pub async fn update_item(
                &self,
                id: i64,
                item_id: i64,
                request: UpdateItemRequest,
            ) -> Result<SourceItem, DollrError> {
                call(&self.inner, move |api| async move {
                    api.update_item(id, item_id, &request).await
                })
                .await
            }

            /// `DELETE …/{id}/items/{item_id}/remove` (only while `IDLE`).
            pub async fn remove_item(&self, id: i64, item_id: i64) -> Result<(), DollrError> {
                call(&self.inner, move |api| async move { api.remove_item(id, item_id).await })
                    .await
            }

            /// `PUT …/publish/{id}`: `IDLE → ACTIVE`, locked and payable.
            pub async fn publish(&self, id: i64) -> Result<$source, DollrError> {
                call(&self.inner, move |api| async move { api.publish(id).await }).await
            }

            /// `DELETE …/cancel/{id}`: `IDLE | ACTIVE → CANCELED`.
            pub async fn cancel(&self, id: i64) -> Result<$source, DollrError> {
                call(&self.inner, move |api| async move { api.cancel(id).await }).await
            }

            /// `GET …/receipt/{id}`, once `PAID`.
            pub async fn receipt(&self, id: i64) -> Result<$receipt, DollrError> {
                call(&self.inner, move |api| async move { api.receipt(id).await }).await
            }

            /// `GET …/receipt/number/{number}`, once `PAID`.
            pub async fn receipt_by_number(&self, number: String) -> Result<$receipt, DollrError> {
                call(&self.inner, move |api| async move { api.receipt_by_number(&number).await })
                    .await
            }
        }
    };
}

source_resource! {
    /// Invoices: formal billing documents with numbers, due dates and line items
    /// (`/v1/invoices/...`).
    Invoices, dollr_core::api::Invoices, Invoice, InvoiceDetail, InvoiceReceipt
}

source_resource! {
    /// Orders: like invoices, for retail and e-commerce (`/v1/orders/...`).
    Orders, dollr_core::api::Orders, Order, OrderDetail, OrderReceipt
}

/// Hosted checkouts (`/v1/checkouts/...`); `client.hosted_checkout(..)` is the flow over it.
#[derive(uniffi::Object)]
pub struct Checkouts {
    pub(crate) inner: dollr_core::api::Checkouts,
}

#[uniffi::export(async_runtime = "tokio")]
impl Checkouts {
    /// `POST /v1/checkouts/create` (`mode = HOSTED`).
    pub async fn create(&self, request: CreateCheckoutRequest) -> Result<CheckoutLink, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.create(&request).await },
        )
        .await
    }
}

/// Payment and receipt links (`/v1/links/...`).
#[derive(uniffi::Object)]
pub struct Links {
    pub(crate) inner: dollr_core::api::Links,
}

#[uniffi::export(async_runtime = "tokio")]
impl Links {
    /// `GET /v1/links/pay`: the hosted payment page of a published payment-link document.
    pub async fn pay(
        &self,
        source_type: SourceType,
        source_number: String,
    ) -> Result<Link, DollrError> {
        call(&self.inner, move |api| async move {
            api.pay(source_type, &source_number).await
        })
        .await
    }

    /// `GET /v1/links/receipt`: the receipt page of a paid document.
    pub async fn receipt(
        &self,
        source_type: SourceType,
        source_number: String,
    ) -> Result<Link, DollrError> {
        call(&self.inner, move |api| async move {
            api.receipt(source_type, &source_number).await
        })
        .await
    }
}

/// Sessions: the short-lived authorization an execution needs (`/v1/sessions/...`).
#[derive(uniffi::Object)]
pub struct Sessions {
    pub(crate) inner: dollr_core::api::Sessions,
}

#[uniffi::export(async_runtime = "tokio")]
impl Sessions {
    /// `POST /v1/sessions/checkout`: for a collection on a published document.
    pub async fn checkout(
        &self,
        request: CreateCheckoutSessionRequest,
    ) -> Result<CheckoutSession, DollrError> {
        call(&self.inner, move |api| async move {
            api.checkout(&request).await
        })
        .await
    }

    /// `POST /v1/sessions/payout`.
    pub async fn payout(
        &self,
        request: CreatePayoutSessionRequest,
    ) -> Result<PayoutSession, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.payout(&request).await },
        )
        .await
    }

    /// `POST /v1/sessions/transfer`.
    pub async fn transfer(
        &self,
        request: CreateTransferSessionRequest,
    ) -> Result<TransferSession, DollrError> {
        call(&self.inner, move |api| async move {
            api.transfer(&request).await
        })
        .await
    }

    /// `POST /v1/sessions/refund`.
    pub async fn refund(
        &self,
        request: CreateRefundSessionRequest,
    ) -> Result<RefundSession, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.refund(&request).await },
        )
        .await
    }
}

/// Payment accounts: a party's wallet or card registered for executions
/// (`/v1/payment-accounts/...`).
#[derive(uniffi::Object)]
pub struct PaymentAccounts {
    pub(crate) inner: dollr_core::api::PaymentAccounts,
}

#[uniffi::export(async_runtime = "tokio")]
impl PaymentAccounts {
    /// `POST /v1/payment-accounts/create?operation_type=...`.
    pub async fn create(
        &self,
        operation_type: OperationType,
        request: CreatePaymentAccountRequest,
    ) -> Result<PaymentAccount, DollrError> {
        call(&self.inner, move |api| async move {
            api.create(operation_type, &request).await
        })
        .await
    }
}

/// Executions: money moves, each at most once per `reference_id` (journaled first, ambiguous
/// outcomes resolved by status) (`/v1/executions/...`).
#[derive(uniffi::Object)]
pub struct Executions {
    pub(crate) inner: dollr_core::api::Executions,
}

#[uniffi::export(async_runtime = "tokio")]
impl Executions {
    /// The same handle with another policy for ambiguous outcomes.
    pub fn with_policy(&self, policy: ExecutePolicy) -> Arc<Executions> {
        Arc::new(Executions {
            inner: self.inner.clone().with_policy(policy),
        })
    }

    /// The policy in effect.
    pub fn policy(&self) -> ExecutePolicy {
        self.inner.policy().clone()
    }

    /// `POST /v1/executions/collection`.
    pub async fn collection(
        &self,
        request: CollectionExecutionRequest,
    ) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.collection(&request).await
        })
        .await
    }

    /// `POST /v1/executions/payout`.
    pub async fn payout(&self, request: PayoutExecutionRequest) -> Result<Execution, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.payout(&request).await },
        )
        .await
    }

    /// `POST /v1/executions/transfer`.
    pub async fn transfer(
        &self,
        request: TransferExecutionRequest,
    ) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.transfer(&request).await
        })
        .await
    }

    /// `POST /v1/executions/refund`.
    pub async fn refund(&self, request: RefundExecutionRequest) -> Result<Execution, DollrError> {
        call(
            &self.inner,
            move |api| async move { api.refund(&request).await },
        )
        .await
    }
}

/// Where an execution or a payment source stands, and waits (`/v1/status/...`).
#[derive(uniffi::Object)]
pub struct Status {
    pub(crate) inner: dollr_core::api::Status,
}

#[uniffi::export(async_runtime = "tokio")]
impl Status {
    /// `GET /v1/status/collection/{reference_id}`.
    pub async fn collection(&self, reference_id: String) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.collection(&reference_id).await
        })
        .await
    }

    /// `GET /v1/status/payout/{reference_id}`.
    pub async fn payout(&self, reference_id: String) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.payout(&reference_id).await
        })
        .await
    }

    /// `GET /v1/status/transfer/{reference_id}`.
    pub async fn transfer(&self, reference_id: String) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.transfer(&reference_id).await
        })
        .await
    }

    /// `GET /v1/status/refund/{reference_id}`.
    pub async fn refund(&self, reference_id: String) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.refund(&reference_id).await
        })
        .await
    }

    /// The status endpoint matching `operation_type`.
    pub async fn execution(
        &self,
        operation_type: OperationType,
        reference_id: String,
    ) -> Result<Execution, DollrError> {
        call(&self.inner, move |api| async move {
            api.execution(operation_type, &reference_id).await
        })
        .await
    }

    /// `GET /v1/status/source`: an invoice's or order's payment state. Fulfil only on `PAID`.
    pub async fn source(
        &self,
        source_type: SourceType,
        source_id: i64,
    ) -> Result<SourceStatusInfo, DollrError> {
        call(&self.inner, move |api| async move {
            api.source(source_type, source_id).await
        })
        .await
    }

    /// Starts following the execution `reference_id` until it is `COMPLETED` or `FAILED`, or the
    /// deadline passes, and returns at once: await `result()` on the handle, or `cancel()` it.
    /// Each observed change goes to `listener`.
    #[uniffi::method(default(listener = None, options))]
    pub fn wait(
        &self,
        operation_type: OperationType,
        reference_id: String,
        options: WaitOptions,
        listener: Option<Arc<dyn TransitionListener>>,
    ) -> Result<Arc<WaitHandle>, DollrError> {
        crate::runtime::guard(|| {
            WaitHandle::start(
                self.inner.clone(),
                operation_type,
                reference_id,
                options,
                listener,
            )
        })
    }
}

/// Amount, fee and routing previews (`/v1/predictions/...`).
#[derive(uniffi::Object)]
pub struct Predictions {
    pub(crate) inner: dollr_core::api::Predictions,
}

#[uniffi::export(async_runtime = "tokio")]
impl Predictions {
    /// `GET /v1/predictions/amount-and-fees`: what the payer pays and the payee receives.
    pub async fn amount_and_fees(
        &self,
        query: AmountAndFeesQuery,
    ) -> Result<AmountAndFeePrediction, DollrError> {
        call(&self.inner, move |api| async move {
            api.amount_and_fees(&query).await
        })
        .await
    }

    /// `GET /v1/predictions/mmo-provider-info`: the operator behind a phone number.
    pub async fn mmo_provider_info(
        &self,
        phone: String,
        operation_type: OperationType,
    ) -> Result<MmoProviderInfo, DollrError> {
        call(&self.inner, move |api| async move {
            api.mmo_provider_info(&phone, operation_type).await
        })
        .await
    }

    /// `GET /v1/predictions/card-provider-info`: card routing from a Stripe `payment_method_id`.
    pub async fn card_provider_info(
        &self,
        query: CardProviderQuery,
    ) -> Result<CardProviderInfo, DollrError> {
        call(&self.inner, move |api| async move {
            api.card_provider_info(&query).await
        })
        .await
    }

    /// `GET /v1/predictions/payment-source/amount-and-fees`: fees for paying a published document.
    pub async fn payment_source_amount_and_fees(
        &self,
        query: PaymentSourceAmountAndFeesQuery,
    ) -> Result<AmountAndFeePrediction, DollrError> {
        call(&self.inner, move |api| async move {
            api.payment_source_amount_and_fees(&query).await
        })
        .await
    }
}

/// Fee schedules (`/v1/fees/...`).
#[derive(uniffi::Object)]
pub struct Fees {
    pub(crate) inner: dollr_core::api::Fees,
}

#[uniffi::export(async_runtime = "tokio")]
impl Fees {
    /// `GET /v1/fees/gateway`: the gateways' fees for a method and operation.
    pub async fn gateway(
        &self,
        payment_method: PaymentMethod,
        operation_type: OperationType,
    ) -> Result<Vec<GatewayFee>, DollrError> {
        call(&self.inner, move |api| async move {
            api.gateway(payment_method, operation_type).await
        })
        .await
    }

    /// `GET /v1/fees/platform`: the platform's rates for one tier and operation.
    pub async fn platform(
        &self,
        operation_type: OperationType,
        fee_tier_name: String,
    ) -> Result<PlatformFee, DollrError> {
        call(&self.inner, move |api| async move {
            api.platform(operation_type, &fee_tier_name).await
        })
        .await
    }

    /// `GET /v1/fees/merchant-tier`: the fee tier assigned to a merchant.
    pub async fn merchant_tier(
        &self,
        owner_type: OwnerType,
        owner_id: i64,
    ) -> Result<MerchantFeeTier, DollrError> {
        call(&self.inner, move |api| async move {
            api.merchant_tier(owner_type, owner_id).await
        })
        .await
    }

    /// `GET /v1/fees/tiers`: every platform fee tier.
    pub async fn tiers(&self) -> Result<Vec<FeeTier>, DollrError> {
        call(&self.inner, move |api| async move { api.tiers().await }).await
    }
}

/// Merchant information (`/v1/merchants/...`).
#[derive(uniffi::Object)]
pub struct Merchants {
    pub(crate) inner: dollr_core::api::Merchants,
}

#[uniffi::export(async_runtime = "tokio")]
impl Merchants {
    /// `GET /v1/merchants/merchant-info`.
    pub async fn info(
        &self,
        merchant_id: i64,
        merchant_type: MerchantType,
    ) -> Result<MerchantInfo, DollrError> {
        call(&self.inner, move |api| async move {
            api.info(merchant_id, merchant_type).await
        })
        .await
    }
}

/// Realtime keys for a collection's status channel (`/v1/realtime-keys/...`).
#[derive(uniffi::Object)]
pub struct RealtimeKeys {
    pub(crate) inner: dollr_core::api::RealtimeKeys,
}

#[uniffi::export(async_runtime = "tokio")]
impl RealtimeKeys {
    /// `POST /v1/realtime-keys/collection`.
    pub async fn collection(&self, request: RealtimeKeyRequest) -> Result<RealtimeKey, DollrError> {
        call(&self.inner, move |api| async move {
            api.collection(&request).await
        })
        .await
    }
}
