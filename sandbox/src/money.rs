//! Currencies, the fixed FX table and the ONE fee schedule.
//!
//! Predictions, executions, receipts, wallets and the `fees/*` endpoints all
//! call [`quote`], so the numbers they show can never disagree.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// A currency the sandbox can move money in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// US dollar, 2 decimals.
    Usd,
    /// Liberian dollar, 2 decimals.
    Lrd,
    /// Rwandan franc, 0 decimals.
    Rwf,
}

/// Every currency the sandbox supports, in a stable order.
pub const CURRENCIES: [Currency; 3] = [Currency::Usd, Currency::Lrd, Currency::Rwf];

impl Currency {
    /// Parses an exact ISO 4217 code (uppercase).
    pub fn parse(code: &str) -> Option<Currency> {
        match code {
            "USD" => Some(Currency::Usd),
            "LRD" => Some(Currency::Lrd),
            "RWF" => Some(Currency::Rwf),
            _ => None,
        }
    }

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Lrd => "LRD",
            Currency::Rwf => "RWF",
        }
    }

    /// Minor-unit digits: amounts with more decimals are rejected.
    pub fn decimals(self) -> u32 {
        match self {
            Currency::Usd | Currency::Lrd => 2,
            Currency::Rwf => 0,
        }
    }

    /// Units of this currency per 1 USD (the FX table).
    pub fn per_usd(self) -> Decimal {
        match self {
            Currency::Usd => Decimal::ONE,
            Currency::Lrd => Decimal::from(190),
            Currency::Rwf => Decimal::from(1400),
        }
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Rounds half away from zero to the currency's decimals and pins the scale,
/// so `250` in USD renders as `250.00`.
pub fn round(amount: Decimal, currency: Currency) -> Decimal {
    let mut d =
        amount.round_dp_with_strategy(currency.decimals(), RoundingStrategy::MidpointAwayFromZero);
    d.rescale(currency.decimals());
    d
}

/// The exact FX rate `from → to` (units of `to` per unit of `from`).
pub fn fx_rate(from: Currency, to: Currency) -> Decimal {
    if from == to {
        return Decimal::ONE;
    }
    to.per_usd() / from.per_usd()
}

/// The FX rate as shown on receipts: a decimal string with at most 6 decimals.
pub fn fx_rate_text(from: Currency, to: Currency) -> String {
    fx_rate(from, to)
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// Converts without rounding (multiply first to keep precision).
fn convert_exact(amount: Decimal, from: Currency, to: Currency) -> Decimal {
    if from == to {
        return amount;
    }
    amount * to.per_usd() / from.per_usd()
}

/// Converts and rounds to the target currency.
pub fn convert(amount: Decimal, from: Currency, to: Currency) -> Decimal {
    round(convert_exact(amount, from, to), to)
}

/// A JSON number with the exact decimal text (serde_json has arbitrary_precision on).
pub fn num(d: Decimal) -> Value {
    let text = d.to_string();
    match serde_json::Number::from_str(&text) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(text),
    }
}

/// An amount as an exact JSON number at the currency's scale.
pub fn money(d: Decimal, currency: Currency) -> Value {
    num(round(d, currency))
}

/// An amount as a decimal string at the currency's scale (predictions).
pub fn money_text(d: Decimal, currency: Currency) -> String {
    round(d, currency).to_string()
}

/// The operation a fee applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpType {
    /// Collecting from a payer.
    Collection,
    /// Paying out to a recipient.
    Payout,
    /// Wallet to counterparty.
    Transfer,
    /// Reversing a collection.
    Refund,
}

/// All operation types in the documented order.
pub const OP_TYPES: [&str; 4] = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"];

impl OpType {
    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<OpType> {
        match s {
            "COLLECTION" => Some(OpType::Collection),
            "PAYOUT" => Some(OpType::Payout),
            "TRANSFER" => Some(OpType::Transfer),
            "REFUND" => Some(OpType::Refund),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Collection => "COLLECTION",
            OpType::Payout => "PAYOUT",
            OpType::Transfer => "TRANSFER",
            OpType::Refund => "REFUND",
        }
    }

    /// Lowercase path segment (`/v1/status/{segment}/...`).
    pub fn segment(self) -> &'static str {
        match self {
            OpType::Collection => "collection",
            OpType::Payout => "payout",
            OpType::Transfer => "transfer",
            OpType::Refund => "refund",
        }
    }
}

/// A payment method (the instrument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// MTN Mobile Money Liberia.
    MtnMomoLbr,
    /// Orange Money Liberia.
    OrangeMoneyLbr,
    /// Airtel Money Rwanda.
    AirtelRwa,
    /// MTN Mobile Money Rwanda.
    MtnMomoRwa,
    /// Orange Money Rwanda.
    OrangeMoneyRwa,
    /// Card via Stripe.
    CreditCard,
    /// Dollr wallet.
    Wallet,
}

/// Every payment method wire value.
pub const METHODS: [&str; 7] = [
    "MTN_MOMO_LBR",
    "ORANGE_MONEY_LBR",
    "AIRTEL_RWA",
    "MTN_MOMO_RWA",
    "ORANGE_MONEY_RWA",
    "CREDIT_CARD",
    "WALLET",
];

/// Every provider wire value.
pub const PROVIDERS: [&str; 5] = [
    "MTN_MOMO_LBR",
    "ORANGE_MONEY_LBR",
    "PAWAPAY",
    "STRIPE",
    "PLATFORM",
];

impl Method {
    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "MTN_MOMO_LBR" => Some(Method::MtnMomoLbr),
            "ORANGE_MONEY_LBR" => Some(Method::OrangeMoneyLbr),
            "AIRTEL_RWA" => Some(Method::AirtelRwa),
            "MTN_MOMO_RWA" => Some(Method::MtnMomoRwa),
            "ORANGE_MONEY_RWA" => Some(Method::OrangeMoneyRwa),
            "CREDIT_CARD" => Some(Method::CreditCard),
            "WALLET" => Some(Method::Wallet),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::MtnMomoLbr => "MTN_MOMO_LBR",
            Method::OrangeMoneyLbr => "ORANGE_MONEY_LBR",
            Method::AirtelRwa => "AIRTEL_RWA",
            Method::MtnMomoRwa => "MTN_MOMO_RWA",
            Method::OrangeMoneyRwa => "ORANGE_MONEY_RWA",
            Method::CreditCard => "CREDIT_CARD",
            Method::Wallet => "WALLET",
        }
    }

    /// Whether this is a mobile-money method (needs a phone number).
    pub fn is_mobile_money(self) -> bool {
        !matches!(self, Method::CreditCard | Method::Wallet)
    }

    /// The routing provider the docs pair with this method.
    pub fn gateway_provider(self) -> &'static str {
        match self {
            Method::CreditCard => "STRIPE",
            Method::Wallet => "PLATFORM",
            _ => "PAWAPAY",
        }
    }

    /// Whether `provider` is an acceptable routing for this method.
    /// Mobile money accepts PAWAPAY and, for Liberia, the operator name itself
    /// (the docs' curl examples send `provider: "MTN_MOMO_LBR"`).
    pub fn accepts_provider(self, provider: &str) -> bool {
        match self {
            Method::CreditCard => provider == "STRIPE",
            Method::Wallet => provider == "PLATFORM",
            Method::MtnMomoLbr => provider == "PAWAPAY" || provider == "MTN_MOMO_LBR",
            Method::OrangeMoneyLbr => provider == "PAWAPAY" || provider == "ORANGE_MONEY_LBR",
            _ => provider == "PAWAPAY",
        }
    }

    /// Currencies a payer can pay in with this method.
    pub fn currencies(self) -> &'static [Currency] {
        match self {
            Method::MtnMomoLbr | Method::OrangeMoneyLbr => &[Currency::Lrd, Currency::Usd],
            Method::AirtelRwa | Method::MtnMomoRwa | Method::OrangeMoneyRwa => &[Currency::Rwf],
            Method::CreditCard => &[Currency::Usd],
            Method::Wallet => &[Currency::Usd, Currency::Lrd, Currency::Rwf],
        }
    }

    /// Human name of the operator / network.
    pub fn carrier(self) -> &'static str {
        match self {
            Method::MtnMomoLbr | Method::MtnMomoRwa => "MTN",
            Method::OrangeMoneyLbr | Method::OrangeMoneyRwa => "Orange",
            Method::AirtelRwa => "Airtel",
            Method::CreditCard => "Card",
            Method::Wallet => "Dollr",
        }
    }

    /// Stable numeric id of the gateway provider row for `fees/gateway`.
    pub fn provider_id(self) -> i64 {
        match self {
            Method::CreditCard => 2,
            Method::Wallet => 3,
            _ => 1,
        }
    }
}

/// Who bears the fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeBearer {
    /// Payer pays total + fees; payee gets the total.
    Payer,
    /// Payer pays the total; payee gets total − fees.
    Payee,
}

impl FeeBearer {
    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<FeeBearer> {
        match s {
            "PAYER" => Some(FeeBearer::Payer),
            "PAYEE" => Some(FeeBearer::Payee),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeBearer::Payer => "PAYER",
            FeeBearer::Payee => "PAYEE",
        }
    }
}

/// A platform fee tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    /// Tier id.
    pub id: i64,
    /// Tier name (`fee_tier_name`).
    pub name: &'static str,
    /// Whether this is the default tier.
    pub is_default: bool,
}

/// The fee tiers (`GET /v1/fees/tiers`). The sandbox merchant is on `default`.
pub const TIERS: [Tier; 2] = [
    Tier {
        id: 1,
        name: "default",
        is_default: true,
    },
    Tier {
        id: 2,
        name: "growth",
        is_default: false,
    },
];

/// Platform fee percentage for a tier and operation (percent units: 1.5 = 1.5%).
pub fn platform_percentage(tier: Tier, op: OpType) -> Decimal {
    let (default, growth) = match op {
        OpType::Collection => (Decimal::new(15, 1), Decimal::new(10, 1)),
        OpType::Payout => (Decimal::new(10, 1), Decimal::new(75, 2)),
        OpType::Transfer => (Decimal::new(5, 1), Decimal::new(25, 2)),
        OpType::Refund => (Decimal::ZERO, Decimal::ZERO),
    };
    if tier.is_default {
        default
    } else {
        growth
    }
}

/// FX fee percentage charged when payer and payee currencies differ (percent units).
pub fn fx_percentage(_tier: Tier) -> Decimal {
    Decimal::new(10, 1)
}

/// A gateway fee row: percentage (percent units) plus an optional fixed fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatewayFee {
    /// Percent of the base amount.
    pub percentage: Decimal,
    /// Fixed fee per transaction, in `fixed_currency`.
    pub fixed: Option<(Decimal, Currency)>,
}

/// Gateway fee by method and operation.
pub fn gateway_fee(method: Method, op: OpType) -> GatewayFee {
    let pct = |units: i64, scale: u32| Decimal::new(units, scale);
    match op {
        OpType::Collection | OpType::Payout => match method {
            Method::MtnMomoLbr | Method::MtnMomoRwa => GatewayFee {
                percentage: pct(10, 1),
                fixed: None,
            },
            Method::OrangeMoneyLbr | Method::OrangeMoneyRwa => GatewayFee {
                percentage: pct(12, 1),
                fixed: None,
            },
            Method::AirtelRwa => GatewayFee {
                percentage: pct(11, 1),
                fixed: None,
            },
            Method::CreditCard if op == OpType::Collection => GatewayFee {
                percentage: pct(29, 1),
                fixed: Some((Decimal::new(30, 2), Currency::Usd)),
            },
            Method::CreditCard => GatewayFee {
                percentage: pct(15, 1),
                fixed: Some((Decimal::new(25, 2), Currency::Usd)),
            },
            Method::Wallet => GatewayFee {
                percentage: Decimal::ZERO,
                fixed: None,
            },
        },
        OpType::Transfer | OpType::Refund => GatewayFee {
            percentage: Decimal::ZERO,
            fixed: None,
        },
    }
}

/// A priced payment: what the payer pays, what the payee gets, and the fees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Operation priced.
    pub op: OpType,
    /// Method priced.
    pub method: Method,
    /// Fee bearer.
    pub fee_bearer: FeeBearer,
    /// The base (source) amount.
    pub base_amount: Decimal,
    /// Base currency = payee currency = fee currency.
    pub base_currency: Currency,
    /// What the payer pays, in `payer_currency`.
    pub payer_amount: Decimal,
    /// Payer currency (the prediction's target currency).
    pub payer_currency: Currency,
    /// What the payee receives, in `base_currency`.
    pub payee_amount: Decimal,
    /// Platform fee, in `base_currency`.
    pub platform_fee: Decimal,
    /// Gateway fee, in `base_currency`.
    pub gateway_fee: Decimal,
    /// FX fee when currencies differ, in `base_currency`.
    pub fx_fee: Option<Decimal>,
}

impl Quote {
    /// Whether FX applies.
    pub fn has_fx(&self) -> bool {
        self.base_currency != self.payer_currency
    }

    /// The prediction response (`AmountAndFeePredictionResponse`, all decimal strings).
    pub fn prediction_json(&self) -> Value {
        let base = self.base_currency;
        serde_json::json!({
            "payer_amount": money_text(self.payer_amount, self.payer_currency),
            "payer_currency": self.payer_currency.code(),
            "payee_amount": money_text(self.payee_amount, base),
            "payee_currency": base.code(),
            "platform_fee": money_text(self.platform_fee, base),
            "platform_currency": base.code(),
            "fx_fee": self.fx_fee.map(|f| money_text(f, base)),
            "gateway_fee": money_text(self.gateway_fee, base),
            "gateway_currency": base.code(),
        })
    }
}

/// Prices a payment. Fees are computed in the base currency on the base amount;
/// only the payer amount is converted to the payer currency.
///
/// * PAYER bears: payee gets `base`, payer pays `convert(base + fees)`.
/// * PAYEE bears: payee gets `base − fees`, payer pays `convert(base)`.
///
/// Errors (as a message) when the payee would receive nothing.
pub fn quote(
    op: OpType,
    method: Method,
    base_amount: Decimal,
    base_currency: Currency,
    payer_currency: Currency,
    fee_bearer: FeeBearer,
) -> Result<Quote, String> {
    let tier = TIERS[0];
    let hundred = Decimal::ONE_HUNDRED;
    let base_amount = round(base_amount, base_currency);
    let platform_fee = round(
        base_amount * platform_percentage(tier, op) / hundred,
        base_currency,
    );
    let gw = gateway_fee(method, op);
    let fixed = gw
        .fixed
        .map(|(amount, cur)| convert_exact(amount, cur, base_currency))
        .unwrap_or(Decimal::ZERO);
    let gateway = round(base_amount * gw.percentage / hundred + fixed, base_currency);
    let fx_fee = (base_currency != payer_currency)
        .then(|| round(base_amount * fx_percentage(tier) / hundred, base_currency));
    let fees = platform_fee + gateway + fx_fee.unwrap_or(Decimal::ZERO);
    let (payer_amount, payee_amount) = match fee_bearer {
        FeeBearer::Payer => (
            convert(base_amount + fees, base_currency, payer_currency),
            base_amount,
        ),
        FeeBearer::Payee => (
            convert(base_amount, base_currency, payer_currency),
            base_amount - fees,
        ),
    };
    if payee_amount <= Decimal::ZERO {
        return Err(format!(
            "amount {} {} does not cover the fees ({} {})",
            base_amount, base_currency, fees, base_currency
        ));
    }
    if payer_amount <= Decimal::ZERO {
        return Err(format!(
            "amount {base_amount} {base_currency} converts to less than the smallest unit of {payer_currency}"
        ));
    }
    Ok(Quote {
        op,
        method,
        fee_bearer,
        base_amount,
        base_currency,
        payer_amount,
        payer_currency,
        payee_amount: round(payee_amount, base_currency),
        platform_fee,
        gateway_fee: gateway,
        fx_fee,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn worked_example_from_the_readme() {
        let q = quote(
            OpType::Collection,
            Method::MtnMomoLbr,
            dec!(250),
            Currency::Usd,
            Currency::Lrd,
            FeeBearer::Payer,
        )
        .unwrap();
        assert_eq!(q.platform_fee, dec!(3.75));
        assert_eq!(q.gateway_fee, dec!(2.50));
        assert_eq!(q.fx_fee, Some(dec!(2.50)));
        assert_eq!(q.payee_amount, dec!(250.00));
        assert_eq!(q.payer_amount, dec!(49162.50));
        assert_eq!(q.payer_amount.to_string(), "49162.50");
    }

    #[test]
    fn payee_bears_fees() {
        let q = quote(
            OpType::Collection,
            Method::MtnMomoLbr,
            dec!(250),
            Currency::Usd,
            Currency::Usd,
            FeeBearer::Payee,
        )
        .unwrap();
        assert_eq!(q.payer_amount, dec!(250.00));
        assert_eq!(q.payee_amount, dec!(243.75));
        assert_eq!(q.fx_fee, None);
    }

    #[test]
    fn card_fixed_fee_converts() {
        let q = quote(
            OpType::Collection,
            Method::CreditCard,
            dec!(10000),
            Currency::Rwf,
            Currency::Usd,
            FeeBearer::Payer,
        )
        .unwrap();
        // 1.5% = 150, 2.9% + 0.30 USD (= 420 RWF) = 710, fx 1% = 100
        assert_eq!(q.platform_fee, dec!(150));
        assert_eq!(q.gateway_fee, dec!(710));
        assert_eq!(q.fx_fee, Some(dec!(100)));
        assert_eq!(q.payer_amount, dec!(7.83));
    }

    #[test]
    fn tiny_payee_amount_is_rejected() {
        assert!(quote(
            OpType::Collection,
            Method::CreditCard,
            dec!(0.2),
            Currency::Usd,
            Currency::Usd,
            FeeBearer::Payee
        )
        .is_err());
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(money(dec!(250), Currency::Usd).to_string(), "250.00");
        assert_eq!(money(dec!(100.0), Currency::Rwf).to_string(), "100");
        assert_eq!(fx_rate_text(Currency::Lrd, Currency::Rwf), "7.368421");
    }
}
