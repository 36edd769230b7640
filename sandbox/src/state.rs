//! The in-memory state, the execution engine (lazy, clock driven), stats and logs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::SandboxConfig;
use crate::faults::FaultConfig;
use crate::model::{
    ts, Counterparty, ExecStatus, Execution, Hosted, Party, PaymentAccount, Session, Source,
    SourceKind, SourceStatus, Wallet,
};
use crate::money::{Currency, Method, OpType, Quote, CURRENCIES};
use crate::phone::Behaviour;

/// One line of the request log. Never holds bodies, headers or tokens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestLogEntry {
    /// Sequence number.
    pub id: u64,
    /// When the request arrived (wall clock; written as ISO-8601 UTC, e.g.
    /// `2026-12-03T10:00:00Z`). Kept as a time, formatted only when the log is read.
    #[serde(serialize_with = "crate::model::serialize_ts")]
    pub time: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The matched route template, e.g. `/v1/status/collection/{reference_id}`.
    pub route: Option<&'static str>,
    /// Status sent (or that would have been sent, for a dropped response).
    pub status: u16,
    /// Time spent, in milliseconds.
    pub duration_ms: u64,
    /// The fault applied, if any (`drop_response`, `error`, `rate_limit`, `latency`).
    pub fault: Option<String>,
    /// The execution reference_id, for execution and status routes.
    pub reference_id: Option<String>,
}

/// Per reference_id counters.
#[derive(Clone, Debug, Default)]
pub(crate) struct RefStats {
    pub posts: u64,
    pub created: bool,
    pub replays: u64,
    pub rejected: u64,
    pub op: Option<&'static str>,
}

/// Counters behind `GET /_sandbox/stats`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stats {
    pub requests_total: u64,
    /// Method → route → requests; reported as `"METHOD route"`.
    pub by_route: BTreeMap<String, BTreeMap<String, u64>>,
    pub by_status: BTreeMap<u16, u64>,
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub faults: BTreeMap<String, u64>,
    pub execution_posts: u64,
    pub executions_created: u64,
    pub idempotent_replays: u64,
    pub duplicate_reference_rejections: u64,
    pub by_reference: BTreeMap<String, RefStats>,
    pub duplicate_payments: Vec<Value>,
    pub transitions: u64,
    /// Execution commits held by a `delay_commit` fault, and how many of them landed.
    pub commits_held: u64,
    pub commits_landed: u64,
    /// Realtime: sockets opened, channels joined, `postgres_changes` messages sent.
    pub realtime_sockets: u64,
    /// Sockets open now.
    pub realtime_open: u64,
    pub realtime_joins: u64,
    pub realtime_messages: u64,
}

/// Settings that may change at runtime.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub passcode: String,
    pub settle_ms: u64,
    pub token_ttl_minutes: u64,
    pub token_ttl_seconds: Option<u64>,
    pub checkout_ttl_seconds: u64,
    pub payout_ttl_seconds: u64,
    pub verified: bool,
    pub merchant_id: i64,
    pub merchant_name: String,
    pub log_capacity: usize,
    pub realtime_key_ttl_seconds: u64,
}

/// Longest settle time accepted (about 11 days): keeps date arithmetic in range.
pub(crate) const MAX_SETTLE_MS: u64 = 1_000_000_000;
/// Longest token or session lifetime accepted (10 years).
pub(crate) const MAX_TTL_SECONDS: u64 = 315_360_000;
/// Largest wallet balance accepted: keeps Decimal arithmetic far from overflow.
pub(crate) const MAX_BALANCE: i64 = 1_000_000_000_000_000;
/// Most line items on one invoice or order.
pub(crate) const MAX_ITEMS: usize = 1000;
/// Largest total clock offset (100 years).
pub(crate) const MAX_CLOCK_OFFSET_MS: i64 = 100 * 365 * 24 * 3_600_000;

impl Settings {
    /// Brings every value into the range the date arithmetic can handle.
    pub fn clamp(&mut self) {
        self.settle_ms = self.settle_ms.min(MAX_SETTLE_MS);
        self.token_ttl_minutes = self.token_ttl_minutes.min(MAX_TTL_SECONDS / 60);
        self.token_ttl_seconds = self.token_ttl_seconds.map(|s| s.min(MAX_TTL_SECONDS));
        self.checkout_ttl_seconds = self.checkout_ttl_seconds.min(MAX_TTL_SECONDS);
        self.payout_ttl_seconds = self.payout_ttl_seconds.min(MAX_TTL_SECONDS);
        self.realtime_key_ttl_seconds = self.realtime_key_ttl_seconds.min(MAX_TTL_SECONDS);
    }

    /// Token lifetime.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(
            self.token_ttl_seconds
                .unwrap_or(self.token_ttl_minutes.saturating_mul(60)),
        )
    }

    /// `expires_in` in minutes (ceiling when set in seconds).
    pub fn token_expires_in_minutes(&self) -> u64 {
        match self.token_ttl_seconds {
            Some(s) => s.div_ceil(60),
            None => self.token_ttl_minutes,
        }
    }
}

/// An execution whose commit a `delay_commit` fault holds: validated when its POST arrived,
/// created when it lands.
pub(crate) struct HeldCommit {
    /// Status lookups of its reference id that still answer 404 before it lands.
    pub lookups_left: u32,
    pub execution: NewExecution,
}

/// What an execution needs at creation (validated by the caller).
pub(crate) struct NewExecution {
    pub reference_id: String,
    pub key: String,
    pub op: OpType,
    pub fingerprint: String,
    pub session_idx: usize,
    pub account_id: Option<i64>,
    pub method: Method,
    pub provider: String,
    pub account_name: Option<String>,
    pub quote: Quote,
    pub behaviour: Behaviour,
    pub source: Option<(SourceKind, i64)>,
    /// Wallet to debit by `quote.payer_amount` (payouts, transfers, refunds).
    pub debit_wallet: Option<usize>,
    pub refund_of: Option<usize>,
    pub via_hosted: bool,
}

/// Everything the sandbox remembers.
pub(crate) struct State {
    pub settings: Settings,
    opening_wallets: BTreeMap<Currency, Decimal>,
    initial_faults: FaultConfig,
    pub seed: u64,
    pub clock_offset: TimeDelta,
    pub fault_rng: StdRng,
    pub id_rng: StdRng,
    pub faults: FaultConfig,
    /// Issued access tokens and when each expires. Keyed by the token's bytes under foldhash:
    /// every authenticated request looks its ~240-byte token up, which SipHash made ~4 % of the
    /// read path's instructions (issue #19). Only tokens the sandbox issued are ever inserted, so
    /// a caller cannot choose colliding keys.
    pub tokens: HashMap<Box<[u8]>, Instant, foldhash::fast::RandomState>,
    pub parties: Vec<Party>,
    pub counterparties: Vec<Counterparty>,
    pub invoices: Vec<Source>,
    pub orders: Vec<Source>,
    pub item_seq: [i64; 2],
    pub sessions: Vec<Session>,
    pub accounts: Vec<PaymentAccount>,
    pub wallets: Vec<Wallet>,
    pub executions: Vec<Execution>,
    pub by_key: HashMap<String, usize>,
    /// Executions per logical payment (see [`State::payment_key`]), oldest first.
    by_payment: HashMap<String, Vec<usize>>,
    /// Held commits by reference key.
    held: HashMap<String, HeldCommit>,
    active: Vec<usize>,
    pub hosted: HashMap<String, Hosted>,
    pub hosted_seq: i64,
    pub log: VecDeque<RequestLogEntry>,
    log_seq: u64,
    pub events: VecDeque<Value>,
    event_seq: u64,
    pub stats: Stats,
    /// Row changes of `checkout_payment_intent_public_status`, for the realtime server.
    pub realtime: tokio::sync::broadcast::Sender<crate::realtime::RowChange>,
}

/// The key a reference_id is stored under (any form of the UUID).
pub(crate) fn reference_key(reference: &str) -> Option<String> {
    crate::validate::uuid_v4(reference).or_else(|| {
        uuid::Uuid::parse_str(reference)
            .ok()
            .map(|u| u.hyphenated().to_string())
    })
}

/// Index of an id in a 1-based id space.
pub(crate) fn idx(id: i64) -> Option<usize> {
    usize::try_from(id).ok()?.checked_sub(1)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha_hex(input: &str) -> String {
    hex(&Sha256::digest(input.as_bytes()))
}

/// base64url without padding.
pub(crate) fn b64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let sextet = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[sextet as usize]));
        }
    }
    out
}

impl State {
    /// A fresh state from the config.
    pub fn new(cfg: &SandboxConfig) -> State {
        let seed = cfg.seed.unwrap_or_else(|| rand::rng().random());
        let mut settings = Settings {
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            passcode: cfg.passcode.clone(),
            settle_ms: cfg.settle_ms,
            token_ttl_minutes: cfg.token_ttl_minutes,
            token_ttl_seconds: cfg.token_ttl_seconds,
            checkout_ttl_seconds: cfg.checkout_session_ttl_seconds,
            payout_ttl_seconds: cfg.payout_session_ttl_seconds,
            verified: cfg.verified,
            merchant_id: cfg.merchant_id,
            merchant_name: cfg.merchant_name.clone(),
            log_capacity: cfg.log_capacity.max(1),
            realtime_key_ttl_seconds: cfg.realtime_key_ttl_seconds,
        };
        settings.clamp();
        let max_balance = Decimal::from(MAX_BALANCE);
        let opening_wallets = cfg
            .wallets
            .iter()
            .map(|(c, a)| (*c, (*a).clamp(Decimal::ZERO, max_balance)))
            .collect();
        let mut st = State {
            settings,
            opening_wallets,
            initial_faults: cfg.faults.clone(),
            seed,
            clock_offset: TimeDelta::zero(),
            fault_rng: StdRng::seed_from_u64(seed),
            id_rng: StdRng::seed_from_u64(seed ^ 0x05ee_d1d5),
            faults: cfg.faults.clone(),
            tokens: HashMap::default(),
            parties: Vec::new(),
            counterparties: Vec::new(),
            invoices: Vec::new(),
            orders: Vec::new(),
            item_seq: [0, 0],
            sessions: Vec::new(),
            accounts: Vec::new(),
            wallets: Vec::new(),
            executions: Vec::new(),
            by_key: HashMap::new(),
            by_payment: HashMap::new(),
            held: HashMap::new(),
            active: Vec::new(),
            hosted: HashMap::new(),
            hosted_seq: 0,
            log: VecDeque::new(),
            log_seq: 0,
            events: VecDeque::new(),
            event_seq: 0,
            stats: Stats::default(),
            realtime: tokio::sync::broadcast::channel(1024).0,
        };
        st.open_wallets();
        st
    }

    fn open_wallets(&mut self) {
        self.wallets = CURRENCIES
            .iter()
            .enumerate()
            .map(|(i, c)| Wallet {
                id: i as i64 + 1,
                currency: *c,
                balance: self
                    .opening_wallets
                    .get(c)
                    .copied()
                    .unwrap_or(Decimal::ZERO),
            })
            .collect();
    }

    /// Back to the opening state: data, faults, stats, logs and clock. Settings
    /// and issued tokens are kept.
    pub fn reset(&mut self) {
        self.clock_offset = TimeDelta::zero();
        self.fault_rng = StdRng::seed_from_u64(self.seed);
        self.id_rng = StdRng::seed_from_u64(self.seed ^ 0x05ee_d1d5);
        self.faults = self.initial_faults.clone();
        self.parties.clear();
        self.counterparties.clear();
        self.invoices.clear();
        self.orders.clear();
        self.item_seq = [0, 0];
        self.sessions.clear();
        self.accounts.clear();
        self.executions.clear();
        self.by_key.clear();
        self.by_payment.clear();
        self.held.clear();
        self.active.clear();
        self.hosted.clear();
        self.hosted_seq = 0;
        self.log.clear();
        self.events.clear();
        self.stats = Stats::default();
        self.open_wallets();
    }

    /// The sandbox clock: wall clock plus the test-clock offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// Random lowercase hex of `n` bytes.
    pub fn random_hex(&mut self, n: usize) -> String {
        let bytes: Vec<u8> = (0..n).map(|_| self.id_rng.random()).collect();
        hex(&bytes)
    }

    // ---- tokens ---------------------------------------------------------

    /// Issues an access token (a JWT-looking opaque string).
    pub fn issue_token(&mut self) -> String {
        let now_wall = Utc::now();
        let ttl = self.settings.token_ttl();
        let exp = now_wall + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::zero());
        let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = json!({
            "sub": self.settings.client_id,
            "iss": "dollr-sandbox",
            "iat": now_wall.timestamp(),
            "exp": exp.timestamp(),
            "jti": self.random_hex(12),
        });
        let payload = b64url(payload.to_string().as_bytes());
        let signature = b64url(&Sha256::digest(
            format!("{}.{header}.{payload}", self.seed).as_bytes(),
        ));
        let token = format!("{header}.{payload}.{signature}");
        if self.tokens.len() > 50_000 {
            let now = Instant::now();
            self.tokens.retain(|_, exp| *exp > now);
        }
        let now = Instant::now();
        self.tokens
            .insert(token.as_bytes().into(), now.checked_add(ttl).unwrap_or(now));
        self.stats.tokens_issued += 1;
        token
    }

    /// Whether a bearer token is currently valid.
    pub fn token_valid(&self, token: &[u8]) -> bool {
        self.tokens
            .get(token)
            .is_some_and(|exp| Instant::now() < *exp)
    }

    // ---- lookups --------------------------------------------------------

    /// Sources of a kind.
    pub fn sources(&self, kind: SourceKind) -> &Vec<Source> {
        match kind {
            SourceKind::Invoice => &self.invoices,
            SourceKind::Order => &self.orders,
        }
    }

    /// Sources of a kind, mutable.
    pub fn sources_mut(&mut self, kind: SourceKind) -> &mut Vec<Source> {
        match kind {
            SourceKind::Invoice => &mut self.invoices,
            SourceKind::Order => &mut self.orders,
        }
    }

    /// A source by id.
    pub fn source(&self, kind: SourceKind, id: i64) -> Option<&Source> {
        self.sources(kind).get(idx(id)?)
    }

    /// A source by id, mutable.
    pub fn source_mut(&mut self, kind: SourceKind, id: i64) -> Option<&mut Source> {
        let i = idx(id)?;
        self.sources_mut(kind).get_mut(i)
    }

    /// A party by id.
    pub fn party(&self, id: i64) -> Option<&Party> {
        self.parties.get(idx(id)?)
    }

    /// A counterparty by id.
    pub fn counterparty(&self, id: i64) -> Option<&Counterparty> {
        self.counterparties.get(idx(id)?)
    }

    /// A payment account by id.
    pub fn account(&self, id: i64) -> Option<&PaymentAccount> {
        self.accounts.get(idx(id)?)
    }

    /// A wallet index by currency.
    pub fn wallet_for(&self, currency: Currency) -> Option<usize> {
        self.wallets.iter().position(|w| w.currency == currency)
    }

    /// The next document number, e.g. `INV-2026-00001`.
    pub fn next_number(&self, kind: SourceKind) -> String {
        let seq = self.sources(kind).len() + 1;
        format!("{}-{}-{:05}", kind.prefix(), self.now().format("%Y"), seq)
    }

    /// The next item id for a source kind.
    pub fn next_item_id(&mut self, kind: SourceKind) -> i64 {
        let slot = match kind {
            SourceKind::Invoice => 0,
            SourceKind::Order => 1,
        };
        self.item_seq[slot] += 1;
        self.item_seq[slot]
    }

    /// Full detail JSON of a source.
    pub fn source_detail(&self, s: &Source) -> Value {
        let cp = self.counterparty(s.counterparty_id);
        let party = cp.and_then(|c| c.party_id).and_then(|p| self.party(p));
        s.detail_json(cp, party)
    }

    // ---- executions -----------------------------------------------------

    /// Creates an execution: reserves funds, marks the session used and the
    /// source PROCESSING. Returns its index.
    pub fn create_execution(&mut self, n: NewExecution) -> usize {
        let payment = Self::payment_key(&n, self.sessions.get(n.session_idx).map(|s| s.id));
        let now = self.now();
        let index = self.executions.len();
        let intent_id = index as i64 + 1;
        let settle = i64::try_from(self.settings.settle_ms).unwrap_or(i64::MAX / 64);
        let terminal_ms = match n.behaviour {
            Behaviour::Slow | Behaviour::SlowFail => settle.saturating_mul(30),
            _ => settle,
        };
        let processing_at = now + TimeDelta::milliseconds(settle / 2);
        let terminal_at = now + TimeDelta::milliseconds(terminal_ms);
        let digest = sha_hex(&n.key);
        let provider_transaction_id = match n.method {
            Method::CreditCard => format!("pi_{}", &digest[..24]),
            Method::Wallet => format!("PLT-{}", &digest[..16].to_uppercase()),
            _ => format!(
                "{}-{}-4{}-a{}-{}",
                &digest[..8],
                &digest[8..12],
                &digest[13..16],
                &digest[17..20],
                &digest[20..32]
            ),
        };
        let three_ds = n.behaviour == Behaviour::ThreeDs;
        let is_card = n.method == Method::CreditCard;
        let mut e = Execution {
            intent_id,
            reference_id: n.reference_id,
            key: n.key.clone(),
            op: n.op,
            fingerprint: n.fingerprint,
            session_id: self.sessions.get(n.session_idx).map(|s| s.id).unwrap_or(0),
            account_id: n.account_id,
            method: n.method,
            provider: n.provider,
            account_name: n.account_name,
            quote: n.quote,
            behaviour: n.behaviour,
            created_at: now,
            processing_at,
            terminal_at,
            forced_stage: 0,
            status: ExecStatus::Pending,
            gateway_message: None,
            wallet_message: None,
            client_secret: three_ds
                .then(|| format!("pi_{}_secret_{}", &digest[..24], &digest[40..56])),
            requires_action: is_card.then_some(three_ds),
            provider_transaction_id: Some(provider_transaction_id),
            completed_at: None,
            source: n.source,
            debit: None,
            refund_of: n.refund_of,
            refunded: Decimal::ZERO,
            refund_pending: Decimal::ZERO,
            via_hosted: n.via_hosted,
        };
        // Reserve wallet funds up front; an empty wallet fails at once.
        let mut failed_now = false;
        if let Some(w) = n.debit_wallet {
            let amount = e.quote.payer_amount;
            match self.wallets.get_mut(w) {
                Some(wallet) if wallet.balance >= amount => {
                    wallet.balance -= amount;
                    e.debit = Some((w, amount));
                }
                _ => {
                    failed_now = true;
                    e.status = ExecStatus::Failed;
                    e.wallet_message = Some("Insufficient wallet balance".to_owned());
                    e.completed_at = Some(now);
                }
            }
        }
        if !failed_now {
            if let Some(r) = n.refund_of {
                let amount = e.quote.payee_amount;
                if let Some(orig) = self.executions.get_mut(r) {
                    orig.refund_pending += amount;
                }
            }
        }
        let earlier = self.by_payment.get(&payment).and_then(|list| {
            list.iter()
                .filter_map(|&i| self.executions.get(i))
                .find(|x| x.status != ExecStatus::Failed)
        });
        if let (Some(first), false) = (earlier, failed_now) {
            let detail = json!({
                "kind": if n.op == OpType::Collection { "second_collection_on_source" } else { "second_execution_on_session" },
                "operation_type": n.op.as_str(),
                "payment": payment,
                "session_id": e.session_id,
                "reference_id": e.reference_id,
                "first_reference_id": first.reference_id,
                "first_status": first.status.as_str(),
            });
            self.stats.duplicate_payments.push(detail);
        }
        self.by_payment.entry(payment).or_default().push(index);
        if let Some(session) = self.sessions.get_mut(n.session_idx) {
            session.used_by = Some(index);
            session.updated_at = now;
            if n.op == OpType::Collection {
                session.payment_account_id = n.account_id;
            }
        }
        if !failed_now {
            if let Some((kind, id)) = n.source {
                if let Some(src) = self.source_mut(kind, id) {
                    src.status = SourceStatus::Processing;
                    src.updated_at = now;
                }
            }
        }
        let key = e.key.clone();
        let reference = e.reference_id.clone();
        let op = e.op;
        let status = e.status;
        self.executions.push(e);
        self.by_key.insert(key.clone(), index);
        if !status.is_terminal() {
            self.active.push(index);
        }
        self.stats.executions_created += 1;
        let r = self.stats.by_reference.entry(key).or_default();
        r.created = true;
        r.op = Some(op.as_str());
        self.push_event(&reference, op, None, status, "created");
        index
    }

    /// The logical payment an execution pays, as the API identifies it: a collection pays its
    /// invoice or order (`INVOICE|3`), which is paid once; a payout, transfer or refund pays what
    /// its session fixes (recipient, amount, currency; for a refund the original payment too),
    /// and a session is executed once (`SESSION|7`). Two payments with the same recipient and
    /// amount through two sessions are two payments: the API cannot tell them apart.
    fn payment_key(n: &NewExecution, session_id: Option<i64>) -> String {
        match (n.op, n.source) {
            (OpType::Collection, Some((kind, id))) => format!("{}|{id}", kind.as_str()),
            _ => format!("SESSION|{}", session_id.unwrap_or(0)),
        }
    }

    /// Creates `n` now, or holds its commit for `lookups` status lookups (a `delay_commit`
    /// fault). Returns the execution's JSON, or `None` while it is held.
    pub fn commit(&mut self, n: NewExecution, hold: Option<u32>) -> Option<Value> {
        match hold {
            Some(lookups) if lookups > 0 && !self.by_key.contains_key(&n.key) => {
                self.stats.commits_held += 1;
                self.held.insert(
                    n.key.clone(),
                    HeldCommit {
                        lookups_left: lookups,
                        execution: n,
                    },
                );
                None
            }
            _ => {
                let i = self.create_execution(n);
                self.executions.get(i).map(Execution::json)
            }
        }
    }

    /// Lands the held commit with this reference key, if any (a POST with the same reference id
    /// arrived: the original gets there first, and the new POST then finds it).
    pub fn land_held(&mut self, key: &str) {
        if let Some(held) = self.held.remove(key) {
            self.stats.commits_landed += 1;
            self.create_execution(held.execution);
        }
    }

    /// A status lookup of `reference` for `op`: if its commit is held, one more 404 is answered,
    /// and the last one lands it. Returns whether it was held (the lookup answers 404).
    pub fn lookup_held(&mut self, reference: &str, op: OpType) -> bool {
        let Some(key) = reference_key(reference) else {
            return false;
        };
        let Some(held) = self.held.get_mut(&key) else {
            return false;
        };
        if held.execution.op != op {
            return false;
        }
        held.lookups_left = held.lookups_left.saturating_sub(1);
        if held.lookups_left == 0 {
            self.land_held(&key);
        }
        true
    }

    fn push_event(
        &mut self,
        reference: &str,
        op: OpType,
        from: Option<ExecStatus>,
        to: ExecStatus,
        cause: &str,
    ) {
        self.event_seq += 1;
        self.stats.transitions += u64::from(from.is_some());
        let ev = json!({
            "id": self.event_seq,
            "time": ts(self.now()),
            "reference_id": reference,
            "operation_type": op.as_str(),
            "from": from.map(ExecStatus::as_str),
            "to": to.as_str(),
            "cause": cause,
        });
        if self.events.len() >= self.settings.log_capacity {
            self.events.pop_front();
        }
        self.events.push_back(ev);
        // A collection's payment intent has a public status row (Supabase Realtime's table).
        if op == OpType::Collection {
            let row = self
                .execution_by_reference(reference)
                .and_then(|i| self.executions.get(i))
                .map(|e| {
                    crate::realtime::status_row(
                        e.intent_id,
                        reference,
                        e.session_id,
                        to.as_str(),
                        &ts(self.now()),
                    )
                });
            if let Some(record) = row {
                let change =
                    crate::realtime::RowChange::new(from.is_none(), record, ts(self.now()));
                // No subscriber is fine.
                let _ = self.realtime.send(change);
            }
        }
    }

    fn time_stage(e: &Execution, now: DateTime<Utc>) -> u8 {
        if now >= e.terminal_at {
            2
        } else if now >= e.processing_at {
            1
        } else {
            0
        }
    }

    /// Applies every transition that is due at the sandbox clock.
    pub fn tick(&mut self) {
        if self.active.is_empty() {
            return;
        }
        let now = self.now();
        let active = std::mem::take(&mut self.active);
        let mut still = Vec::with_capacity(active.len());
        for i in active {
            let target = match self.executions.get(i) {
                Some(e) => Self::time_stage(e, now).max(e.forced_stage),
                None => continue,
            };
            self.move_to_stage(i, target, "clock");
            if self
                .executions
                .get(i)
                .is_some_and(|e| !e.status.is_terminal())
            {
                still.push(i);
            }
        }
        still.extend(std::mem::take(&mut self.active));
        self.active = still;
    }

    /// Time until the next due transition, on the sandbox clock.
    pub fn next_due(&self) -> Option<Duration> {
        let now = self.now();
        self.active
            .iter()
            .filter_map(|&i| self.executions.get(i))
            .map(|e| {
                if e.status == ExecStatus::Pending {
                    e.processing_at
                } else {
                    e.terminal_at
                }
            })
            .min()
            .map(|t| (t - now).to_std().unwrap_or(Duration::ZERO))
    }

    fn move_to_stage(&mut self, i: usize, target: u8, cause: &str) {
        loop {
            let Some(e) = self.executions.get(i) else {
                return;
            };
            let stage = e.status.stage();
            if stage >= target || stage >= 2 {
                return;
            }
            if stage == 0 {
                let (reference, op) = (e.reference_id.clone(), e.op);
                if let Some(e) = self.executions.get_mut(i) {
                    e.status = ExecStatus::Processing;
                }
                self.push_event(
                    &reference,
                    op,
                    Some(ExecStatus::Pending),
                    ExecStatus::Processing,
                    cause,
                );
            } else {
                self.finish(i, cause);
            }
        }
    }

    /// Moves an execution to its next state (`/_sandbox/advance`). Returns the
    /// new status, or `Err(status)` when it is already terminal.
    pub fn advance(&mut self, i: usize) -> Result<ExecStatus, ExecStatus> {
        let Some(e) = self.executions.get_mut(i) else {
            return Err(ExecStatus::Failed);
        };
        if e.status.is_terminal() {
            return Err(e.status);
        }
        let next = e.status.stage() + 1;
        e.forced_stage = e.forced_stage.max(next);
        self.move_to_stage(i, next, "advance");
        self.active.retain(|&a| {
            a != i
                || self
                    .executions
                    .get(a)
                    .is_some_and(|e| !e.status.is_terminal())
        });
        Ok(self
            .executions
            .get(i)
            .map(|e| e.status)
            .unwrap_or(ExecStatus::Failed))
    }

    fn finish(&mut self, i: usize, cause: &str) {
        let now = self.now();
        let Some(e) = self.executions.get(i) else {
            return;
        };
        let ok = matches!(
            e.behaviour,
            Behaviour::Complete | Behaviour::Slow | Behaviour::ThreeDs
        );
        let op = e.op;
        let reference = e.reference_id.clone();
        let source = e.source;
        let debit = e.debit;
        let refund_of = e.refund_of;
        let payee_amount = e.quote.payee_amount;
        let payee_currency = e.quote.base_currency;
        let fail_message = match (e.behaviour, e.method, op) {
            (Behaviour::SlowFail, _, _) => "Transaction timed out at the operator",
            (_, Method::CreditCard, _) => "Your card was declined.",
            (_, _, OpType::Collection) => "Payer declined the transaction",
            _ => "Recipient declined the transaction",
        };
        let status = if ok {
            ExecStatus::Completed
        } else {
            ExecStatus::Failed
        };
        if let Some(e) = self.executions.get_mut(i) {
            e.status = status;
            e.completed_at = Some(now);
            if e.requires_action.is_some() {
                e.requires_action = Some(false);
            }
            if ok {
                e.gateway_message = Some("Transaction completed".to_owned());
            } else {
                e.gateway_message = Some(fail_message.to_owned());
            }
        }
        match (op, ok) {
            (OpType::Collection, true) => {
                if let Some(w) = self.wallet_for(payee_currency) {
                    if let Some(wallet) = self.wallets.get_mut(w) {
                        wallet.balance += payee_amount;
                    }
                }
                if let Some((kind, id)) = source {
                    if let Some(src) = self.source_mut(kind, id) {
                        src.status = SourceStatus::Paid;
                        src.paid_at = Some(now);
                        src.updated_at = now;
                        if src.paid_by.is_none() {
                            src.paid_by = Some(i);
                        }
                    }
                }
            }
            (OpType::Collection, false) => {
                if let Some((kind, id)) = source {
                    if let Some(src) = self.source_mut(kind, id) {
                        if src.status == SourceStatus::Processing {
                            src.status = SourceStatus::Active;
                            src.updated_at = now;
                        }
                    }
                }
            }
            (_, success) => {
                if !success {
                    if let Some((w, amount)) = debit {
                        if let Some(wallet) = self.wallets.get_mut(w) {
                            wallet.balance += amount;
                        }
                        if let Some(e) = self.executions.get_mut(i) {
                            e.wallet_message = Some("Wallet debit reversed".to_owned());
                        }
                    }
                }
                if let Some(r) = refund_of {
                    if let Some(orig) = self.executions.get_mut(r) {
                        orig.refund_pending -= payee_amount;
                        if success {
                            orig.refunded += payee_amount;
                        }
                    }
                }
            }
        }
        self.push_event(&reference, op, Some(ExecStatus::Processing), status, cause);
    }

    /// Execution index by reference_id (any form of the UUID).
    pub fn execution_by_reference(&self, reference: &str) -> Option<usize> {
        self.by_key.get(&reference_key(reference)?).copied()
    }

    // ---- logs and stats -------------------------------------------------

    /// Appends to the request log and the counters.
    pub fn record_request(&mut self, mut entry: RequestLogEntry, faulted: bool) {
        self.log_seq += 1;
        entry.id = self.log_seq;
        self.stats.requests_total += 1;
        // Faulted requests never reach the router: they count under their path.
        let route = match (entry.route, faulted) {
            (Some(route), _) => route,
            (None, true) => entry.path.as_str(),
            (None, false) => "(unmatched)",
        };
        // Looked up by `&str` first, so a request on a route already counted allocates nothing.
        let routes = match self.stats.by_route.get_mut(entry.method.as_str()) {
            Some(routes) => routes,
            None => self.stats.by_route.entry(entry.method.clone()).or_default(),
        };
        match routes.get_mut(route) {
            Some(count) => *count += 1,
            None => {
                routes.insert(route.to_owned(), 1);
            }
        }
        *self.stats.by_status.entry(entry.status).or_default() += 1;
        if let Some(f) = &entry.fault {
            for part in f.split('+') {
                *self.stats.faults.entry(part.to_owned()).or_default() += 1;
            }
        }
        if self.log.len() >= self.settings.log_capacity {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    /// Counts one POST to an execution endpoint.
    pub fn count_execution_post(&mut self, key: Option<&str>) {
        self.stats.execution_posts += 1;
        if let Some(k) = key {
            self.stats
                .by_reference
                .entry(k.to_owned())
                .or_default()
                .posts += 1;
        }
    }

    /// The stats document.
    pub fn stats_json(&self) -> Value {
        let mut by_status: BTreeMap<&'static str, u64> = BTreeMap::new();
        for e in &self.executions {
            *by_status.entry(e.status.as_str()).or_default() += 1;
        }
        let by_reference: serde_json::Map<String, Value> = self
            .stats
            .by_reference
            .iter()
            .map(|(k, r)| {
                let exec = self.by_key.get(k).and_then(|&i| self.executions.get(i));
                (
                    exec.map(|e| e.reference_id.clone())
                        .unwrap_or_else(|| k.clone()),
                    json!({
                        "posts": r.posts,
                        "created": r.created,
                        "idempotent_replays": r.replays,
                        "rejected_duplicates": r.rejected,
                        "operation_type": r.op,
                        "status": exec.map(|e| e.status.as_str()),
                    }),
                )
            })
            .collect();
        let by_route: serde_json::Map<String, Value> = self
            .stats
            .by_route
            .iter()
            .flat_map(|(method, routes)| {
                routes
                    .iter()
                    .map(move |(route, n)| (format!("{method} {route}"), json!(n)))
            })
            .collect();
        let by_http_status: serde_json::Map<String, Value> = self
            .stats
            .by_status
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        json!({
            "requests": {
                "total": self.stats.requests_total,
                "by_route": by_route,
                "by_status": by_http_status,
            },
            "token_requests": self.stats.token_requests,
            "tokens_issued": self.stats.tokens_issued,
            "faults": self.stats.faults,
            "executions": {
                "posts": self.stats.execution_posts,
                "created": self.stats.executions_created,
                "idempotent_replays": self.stats.idempotent_replays,
                "duplicate_reference_rejections": self.stats.duplicate_reference_rejections,
                "commits_held": self.stats.commits_held,
                "commits_landed": self.stats.commits_landed,
                "by_status": by_status,
                "by_reference_id": by_reference,
            },
            "transitions": self.stats.transitions,
            "realtime": {
                "sockets": self.stats.realtime_sockets,
                "open": self.stats.realtime_open,
                "joins": self.stats.realtime_joins,
                "messages": self.stats.realtime_messages,
            },
            "duplicate_payments": self.stats.duplicate_payments.len(),
            "duplicate_payment_details": self.stats.duplicate_payments,
        })
    }

    /// The configuration document (`GET /_sandbox/config`), without secrets
    /// other than the test credentials a client needs to connect.
    pub fn config_json(&self, base_url: &str) -> Value {
        let s = &self.settings;
        json!({
            "base_url": base_url,
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "passcode": s.passcode,
            "settle_ms": s.settle_ms,
            "seed": self.seed,
            "token_ttl_minutes": s.token_ttl_minutes,
            "token_ttl_seconds": s.token_ttl_seconds,
            "token_expires_in": s.token_expires_in_minutes(),
            "checkout_session_ttl_seconds": s.checkout_ttl_seconds,
            "payout_session_ttl_seconds": s.payout_ttl_seconds,
            "verified": s.verified,
            "realtime_key_ttl_seconds": s.realtime_key_ttl_seconds,
            "merchant": {"id": s.merchant_id, "type": "ORGANIZATION", "name": s.merchant_name},
            "clock_offset_ms": self.clock_offset.num_milliseconds(),
            "opening_wallets": self.opening_wallets.iter().map(|(c, a)| (c.code().to_owned(), crate::money::money(*a, *c))).collect::<serde_json::Map<String, Value>>(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base64url() {
        assert_eq!(b64url(b""), "");
        assert_eq!(b64url(b"f"), "Zg");
        assert_eq!(b64url(b"fo"), "Zm8");
        assert_eq!(b64url(b"foo"), "Zm9v");
        assert_eq!(b64url(b"foob"), "Zm9vYg");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn ids() {
        assert_eq!(idx(1), Some(0));
        assert_eq!(idx(0), None);
        assert_eq!(idx(-3), None);
    }
}
