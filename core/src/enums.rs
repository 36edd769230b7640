//! The API's enum-like values, forward compatible: a value this SDK version does not know is kept
//! as `Other(String)` instead of failing, so a new status or payment method added by Dollr never
//! breaks an integration. Requests, on the other hand, refuse `Other` values locally (see
//! [`crate::validate::known`]), because the API would reject them anyway.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How an open enum is made from its wire text (what [`WireStr`] needs).
trait FromWire {
    fn from_wire(value: &str) -> Self;
}

/// Reads an open enum from a JSON string without copying it first (serde hands borrowed text
/// when there is no escape to undo).
struct WireStr<T>(std::marker::PhantomData<T>);

impl<T: FromWire> serde::de::Visitor<'_> for WireStr<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok(T::from_wire(value))
    }
}

/// Defines an open string enum: known variants plus `Other(String)`.
macro_rules! open_enum {
    (
        $(#[doc = $doc:literal])*
        $name:ident {
            $( $(#[doc = $vdoc:literal])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[cfg_attr(feature = "uniffi", uniffi::export(Display))]
        pub enum $name {
            $( $(#[doc = $vdoc])* $variant, )+
            /// A value this version of the SDK does not know (kept verbatim).
            Other(String),
        }

        impl $name {
            /// Every value this SDK version knows, as sent on the wire.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(value) => value.as_str(),
                }
            }

            /// Whether this is a value the SDK knows (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            /// Parses a wire value; unknown values become `Other`.
            pub fn parse(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(value))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name::parse(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Read from the borrowed text: a known value costs no allocation (a `String` per
                // enum field was a measurable share of decoding an answer, issue #19).
                deserializer.deserialize_str(WireStr(std::marker::PhantomData::<$name>))
            }
        }

        impl FromWire for $name {
            fn from_wire(value: &str) -> Self {
                $name::parse(value)
            }
        }

        /// A string enum of the known values, named after the type and marked open
        /// (`x-dollr-open-enum`): unknown values are kept, never rejected, on responses. The
        /// bridge's schema lists it under `enums` with the docs of the type and of each value.
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let doc: &[&str] = &[$($doc),*];
                let value_docs: serde_json::Map<String, serde_json::Value> = [
                    $( ($wire, [$($vdoc),*].iter().map(|line: &&str| line.trim()).collect::<Vec<_>>().join(" ")) ),+
                ]
                .into_iter()
                .map(|(wire, doc)| (wire.to_string(), serde_json::Value::String(doc)))
                .collect();
                schemars::json_schema!({
                    "type": "string",
                    "enum": Self::KNOWN,
                    "description": doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join("\n"),
                    "x-dollr-open-enum": true,
                    "x-dollr-value-docs": value_docs,
                })
            }
        }

        impl crate::validate::KnownValues for $name {
            fn known_values() -> &'static [&'static str] {
                Self::KNOWN
            }
            fn is_known_value(&self) -> bool {
                self.is_known()
            }
        }
    };
}

open_enum! {
    /// How money moves: mobile money per market, card, or the Dollr wallet.
    PaymentMethod {
        /// MTN Mobile Money, Liberia.
        MtnMomoLbr => "MTN_MOMO_LBR",
        /// Orange Money, Liberia.
        OrangeMoneyLbr => "ORANGE_MONEY_LBR",
        /// Airtel Money, Rwanda.
        AirtelRwa => "AIRTEL_RWA",
        /// MTN Mobile Money, Rwanda.
        MtnMomoRwa => "MTN_MOMO_RWA",
        /// Orange Money, Rwanda.
        OrangeMoneyRwa => "ORANGE_MONEY_RWA",
        /// International cards (through Stripe).
        CreditCard => "CREDIT_CARD",
        /// The Dollr platform wallet.
        Wallet => "WALLET",
    }
}

open_enum! {
    /// Who processes a payment. Use the MMO prediction's `gateway_provider` for mobile money.
    Provider {
        /// MTN Mobile Money Liberia (older docs send it as a provider).
        MtnMomoLbr => "MTN_MOMO_LBR",
        /// Orange Money Liberia (older docs send it as a provider).
        OrangeMoneyLbr => "ORANGE_MONEY_LBR",
        /// The mobile-money aggregator.
        Pawapay => "PAWAPAY",
        /// Cards.
        Stripe => "STRIPE",
        /// Wallet-to-wallet inside Dollr.
        Platform => "PLATFORM",
    }
}

open_enum! {
    /// The kind of money movement.
    OperationType {
        /// Money in from a payer.
        Collection => "COLLECTION",
        /// Money out to a recipient's wallet.
        Payout => "PAYOUT",
        /// Wallet to counterparty.
        Transfer => "TRANSFER",
        /// Money back on an earlier collection.
        Refund => "REFUND",
    }
}

open_enum! {
    /// The document a payment is for. `SUBSCRIPTION` is reserved by Dollr and not publicly supported.
    SourceType {
        /// An invoice.
        Invoice => "INVOICE",
        /// An order.
        Order => "ORDER",
        /// Reserved.
        Subscription => "SUBSCRIPTION",
    }
}

open_enum! {
    /// How a counterparty relates to the merchant.
    RelationshipType {
        /// A customer.
        Customer => "CUSTOMER",
        /// A supplier.
        Supplier => "SUPPLIER",
        /// An employee.
        Employee => "EMPLOYEE",
        /// A beneficiary.
        Beneficiary => "BENEFICIARY",
        /// A friend.
        Friend => "FRIEND",
        /// Family.
        Family => "FAMILY",
        /// A donor.
        Donor => "DONOR",
        /// A donee.
        Donee => "DONEE",
        /// A contact.
        Contact => "CONTACT",
        /// A service provider.
        ServiceProvider => "SERVICE_PROVIDER",
        /// A partner.
        Partner => "PARTNER",
        /// The merchant itself (new in June 2026).
        SelfParty => "SELF",
    }
}

open_enum! {
    /// Who pays the fees.
    FeeBearer {
        /// The customer pays fees on top; the merchant receives the full total.
        Payer => "PAYER",
        /// The merchant absorbs the fees.
        Payee => "PAYEE",
    }
}

open_enum! {
    /// The kind of owner of a document or fee tier.
    OwnerType {
        /// A user.
        User => "USER",
        /// A sole proprietor.
        MicroOrganization => "MICRO_ORGANIZATION",
        /// A registered business.
        Organization => "ORGANIZATION",
    }
}

open_enum! {
    /// The kind of merchant.
    MerchantType {
        /// A sole proprietor.
        MicroOrganization => "MICRO_ORGANIZATION",
        /// A registered business.
        Organization => "ORGANIZATION",
    }
}

open_enum! {
    /// The lifecycle of an invoice or order: `IDLE → ACTIVE → PROCESSING → PAID | CANCELED`.
    SourceStatus {
        /// Draft; items and fields are editable.
        Idle => "IDLE",
        /// Published and locked; payable.
        Active => "ACTIVE",
        /// A payment is in flight.
        Processing => "PROCESSING",
        /// Paid (terminal); receipts exist.
        Paid => "PAID",
        /// Canceled (terminal); only from IDLE or ACTIVE.
        Canceled => "CANCELED",
    }
}

open_enum! {
    /// The lifecycle of an execution: `PENDING → PROCESSING → COMPLETED | FAILED`.
    ExecutionStatus {
        /// Accepted, not yet at the operator.
        Pending => "PENDING",
        /// At the operator (mobile money approvals can take minutes).
        Processing => "PROCESSING",
        /// Money moved (terminal).
        Completed => "COMPLETED",
        /// Nothing moved (terminal).
        Failed => "FAILED",
    }
}

open_enum! {
    /// A session's status. Undocumented by Dollr beyond `ACTIVE` being required to execute.
    SessionStatus {
        /// Usable.
        Active => "ACTIVE",
        /// Executed.
        Used => "USED",
        /// Past `expires_at`.
        Expired => "EXPIRED",
    }
}

open_enum! {
    /// A wallet's status (glossary only; no wallet endpoint exists).
    WalletStatus {
        /// Normal.
        Active => "ACTIVE",
        /// Limited operations.
        Restricted => "RESTRICTED",
        /// No operations.
        Frozen => "FROZEN",
        /// Closed.
        Closed => "CLOSED",
    }
}

open_enum! {
    /// The hosted checkout mode. Only `HOSTED` is documented; other modes need Dollr's approval.
    CheckoutMode {
        /// The payer pays on a Dollr-hosted page.
        Hosted => "HOSTED",
        /// Named by older docs only.
        Direct => "DIRECT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_not_rejected() -> Result<(), serde_json::Error> {
        let method: PaymentMethod = serde_json::from_str("\"M_PESA_KEN\"")?;
        assert_eq!(method, PaymentMethod::Other("M_PESA_KEN".into()));
        assert!(!method.is_known());
        assert_eq!(serde_json::to_string(&method)?, "\"M_PESA_KEN\"");
        let known: ExecutionStatus = serde_json::from_str("\"COMPLETED\"")?;
        assert_eq!(known, ExecutionStatus::Completed);
        assert_eq!(RelationshipType::parse("SELF"), RelationshipType::SelfParty);
        assert_eq!(RelationshipType::KNOWN.len(), 12);
        Ok(())
    }
}
