//! Property tests (#18) of what the SDK promises:
//!
//! * a `Decimal` survives the core's JSON boundary exactly (value and scale), as an API number,
//!   as the bridge's decimal string, and through a request model;
//! * an amount is refused exactly when it has more decimals than its currency allows (USD and
//!   LRD: 2, RWF: 0), or is under one minor unit or over the maximum;
//! * the status machines accept exactly the documented changes: the statuses reachable along the
//!   documented edges (a poller can miss the ones between), nothing out of a terminal status;
//! * the journal, after any sequence of begins, attempts, outcomes and crashes (a reopened SQLite
//!   file), matches a simple model: no intent lost, none resolved twice.
//!
//! Case counts are bounded (they run in `make test`); `PROPTEST_CASES` raises them.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod execution_support;
mod journal_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use dollr_core::journal::LeaseRequest;
use dollr_core::money::{Decimal, DecimalsAsStrings};
use dollr_core::validate::{amount, MAX_AMOUNT};
use dollr_core::{
    ErrorKind, ExecutionStatus, IntentOutcome, IntentState, Journal, MemoryJournal, SessionStatus,
    SourceStatus, SqliteJournal, StatusMachine, WalletStatus,
};
use execution_support::TempDir;
use journal_support::{execution, new_intent};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Cases per property: enough to explore, bounded for `make test`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any `Decimal`: every mantissa up to 96 bits, every scale up to 28, either sign.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    let mantissa = prop_oneof![
        -1_000_000_000i128..1_000_000_000i128,
        -(1i128 << 96) + 1..(1i128 << 96),
    ];
    (mantissa, 0u32..=28).prop_map(|(m, scale)| Decimal::from_i128_with_scale(m, scale))
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Amounts {
    #[serde(with = "dollr_core::money::exact")]
    exact: Decimal,
    #[serde(with = "dollr_core::money::string")]
    string: Decimal,
    #[serde(
        with = "dollr_core::money::exact_opt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    optional: Option<Decimal>,
}

fn same_decimal(a: &Decimal, b: &Decimal) -> bool {
    a == b && a.scale() == b.scale() && a.to_string() == b.to_string()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_decimal_survives_the_json_boundary_exactly(value in any_decimal()) {
        let amounts = Amounts { exact: value, string: value, optional: Some(value) };
        // The API's wire form (numbers), then the bridge's (decimal strings).
        let wire = serde_json::to_string(&amounts).unwrap();
        let bridge = {
            let _strings = DecimalsAsStrings::enable();
            serde_json::to_string(&amounts).unwrap()
        };
        prop_assert!(bridge.contains(&format!("\"{value}\"")), "{bridge}");
        for text in [&wire, &bridge] {
            let back: Amounts = serde_json::from_str(text).unwrap();
            prop_assert!(same_decimal(&back.exact, &value), "{text}: {}", back.exact);
            prop_assert!(same_decimal(&back.string, &value), "{text}: {}", back.string);
            prop_assert!(same_decimal(&back.optional.unwrap(), &value), "{text}");
        }
    }

    #[test]
    fn a_decimal_survives_a_model_round_trip(value in any_decimal()) {
        let mut item: dollr_core::models::SourceItem = serde_json::from_value(serde_json::json!({
            "id": 1, "name": "Strategy session", "qty": 1, "amount": 1, "currency": "USD",
            "created_at": "2026-06-15T18:00:00Z", "updated_at": "2026-06-15T18:00:00Z"
        })).unwrap();
        item.amount = value;
        let text = serde_json::to_string(&item).unwrap();
        let back: dollr_core::models::SourceItem = serde_json::from_str(&text).unwrap();
        prop_assert!(same_decimal(&back.amount, &value), "{text}");
    }

    #[test]
    fn amounts_are_refused_exactly_when_the_currency_does_not_allow_them(
        currency in prop::sample::select(vec!["USD", "LRD", "RWF"]),
        mantissa in 0i64..100_000_000_000_000,
        scale in 0u32..=6,
    ) {
        let value = Decimal::new(mantissa, scale);
        // The documented rules (API reference: currency decimals; Amount schema: ≥ one minor unit).
        let places: u32 = if currency == "RWF" { 0 } else { 2 };
        let minimum = Decimal::new(1, places);
        let decimals = value.normalize().scale();
        let allowed = value >= minimum && value <= MAX_AMOUNT && decimals <= places;
        match amount("amount", &value, currency) {
            Ok(()) => prop_assert!(allowed, "{value} {currency} accepted"),
            Err(error) => {
                prop_assert!(!allowed, "{value} {currency} refused: {error}");
                prop_assert_eq!(error.kind(), ErrorKind::Validation);
                prop_assert!(error.details().iter().any(|d| d.loc.iter().any(|l| l == "amount")),
                    "{error:?} does not name the field");
                if value >= minimum && value <= MAX_AMOUNT {
                    prop_assert!(error.message().contains("decimals"), "{error}");
                }
            }
        }
    }
}

// ---- status machines -------------------------------------------------------------------------

/// The documented edges (API reference, "Statuses"; `core/src/status.rs` for `PROCESSING →
/// ACTIVE`, a failed payment) and terminal statuses of each machine.
struct Documented {
    statuses: &'static [&'static str],
    edges: &'static [(&'static str, &'static str)],
    terminal: &'static [&'static str],
}

const EXECUTION: Documented = Documented {
    statuses: &["PENDING", "PROCESSING", "COMPLETED", "FAILED"],
    edges: &[
        ("PENDING", "PROCESSING"),
        ("PROCESSING", "COMPLETED"),
        ("PROCESSING", "FAILED"),
    ],
    terminal: &["COMPLETED", "FAILED"],
};
const SOURCE: Documented = Documented {
    statuses: &["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"],
    edges: &[
        ("IDLE", "ACTIVE"),
        ("ACTIVE", "PROCESSING"),
        ("PROCESSING", "PAID"),
        ("IDLE", "CANCELED"),
        ("ACTIVE", "CANCELED"),
        ("PROCESSING", "ACTIVE"),
    ],
    terminal: &["PAID", "CANCELED"],
};
const SESSION: Documented = Documented {
    statuses: &["ACTIVE", "USED", "EXPIRED"],
    edges: &[("ACTIVE", "USED"), ("ACTIVE", "EXPIRED")],
    terminal: &["USED", "EXPIRED"],
};
// The glossary lists the values only: every open status to any other, CLOSED final.
const WALLET: Documented = Documented {
    statuses: &["ACTIVE", "RESTRICTED", "FROZEN", "CLOSED"],
    edges: &[
        ("ACTIVE", "RESTRICTED"),
        ("ACTIVE", "FROZEN"),
        ("ACTIVE", "CLOSED"),
        ("RESTRICTED", "ACTIVE"),
        ("RESTRICTED", "FROZEN"),
        ("RESTRICTED", "CLOSED"),
        ("FROZEN", "ACTIVE"),
        ("FROZEN", "RESTRICTED"),
        ("FROZEN", "CLOSED"),
    ],
    terminal: &["CLOSED"],
};

impl Documented {
    /// Whether `to` can be observed after `from`: the same status, or one reachable along the
    /// edges (a poller may miss the statuses in between).
    fn observable(&self, from: &str, to: &str) -> bool {
        let mut reached = BTreeSet::from([from]);
        let mut frontier = vec![from];
        while let Some(at) = frontier.pop() {
            for (a, b) in self.edges {
                if *a == at && reached.insert(b) {
                    frontier.push(b);
                }
            }
        }
        reached.contains(to)
    }

    /// The machine's verdict on `from → to` for known or unknown (`Other`) statuses alike.
    fn expected(&self, from: &str, to: &str) -> bool {
        let known = |s: &str| self.statuses.contains(&s);
        if from == to {
            true
        } else if self.terminal.contains(&from) {
            false
        } else if !known(from) || !known(to) {
            true
        } else {
            self.observable(from, to)
        }
    }

    fn check<S: StatusMachine>(&self, parse: impl Fn(&str) -> S, from: &str, to: &str) {
        let (a, b) = (parse(from), parse(to));
        assert_eq!(
            a.can_transition_to(&b),
            self.expected(from, to),
            "{} {from} -> {to}",
            S::MACHINE
        );
        assert_eq!(
            a.is_terminal(),
            self.terminal.contains(&from),
            "{} {from} terminal",
            S::MACHINE
        );
    }

    fn check_all<S: StatusMachine>(&self, parse: impl Fn(&str) -> S) {
        let mut values: Vec<&str> = self.statuses.to_vec();
        values.push("ON_HOLD"); // a status this SDK does not know
        for from in &values {
            for to in &values {
                self.check(&parse, from, to);
            }
        }
    }
}

#[test]
fn every_status_machine_accepts_exactly_the_documented_changes() {
    EXECUTION.check_all(ExecutionStatus::parse);
    SOURCE.check_all(SourceStatus::parse);
    SESSION.check_all(SessionStatus::parse);
    WALLET.check_all(WalletStatus::parse);
}

/// Found by this file: an invoice seen `ACTIVE` and then `PAID` (the payment started and settled
/// between two polls) was reported as an illegal transition, while an execution's `PENDING →
/// COMPLETED`, missed for the same reason, was accepted.
#[test]
fn a_source_paid_between_two_polls_is_not_an_anomaly() {
    assert_eq!(
        SourceStatus::Active.check_transition(&SourceStatus::Paid),
        Ok(())
    );
    assert_eq!(
        SourceStatus::Idle.check_transition(&SourceStatus::Paid),
        Ok(())
    );
    assert!(SourceStatus::Paid
        .check_transition(&SourceStatus::Active)
        .is_err());
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_walk_is_accepted_exactly_when_each_step_is_documented(
        walk in prop::collection::vec(prop::sample::select(vec![
            "IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED", "DISPUTED",
        ]), 1..8),
    ) {
        let accepted = walk.windows(2).all(|step| {
            SourceStatus::parse(step[0]).can_transition_to(&SourceStatus::parse(step[1]))
        });
        let documented = walk.windows(2).all(|step| SOURCE.expected(step[0], step[1]));
        prop_assert_eq!(accepted, documented, "{:?}", walk);
    }
}

// ---- journal ---------------------------------------------------------------------------------

/// What happens to the journal: three reference ids, every kind of write, and crashes.
#[derive(Clone, Debug)]
enum Step {
    Begin(usize),
    Attempt(usize),
    Observed(usize, &'static str),
    Rejected(usize),
    Ambiguous(usize),
    NotSubmitted(usize),
    /// The process dies: the SQLite journal is reopened from its file (the memory journal lives
    /// on in the surviving process, as a second client would see it).
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    let id = 0usize..3;
    prop_oneof![
        id.clone().prop_map(Step::Begin),
        id.clone().prop_map(Step::Attempt),
        (
            id.clone(),
            prop::sample::select(vec!["PENDING", "PROCESSING", "COMPLETED", "FAILED"])
        )
            .prop_map(|(i, s)| Step::Observed(i, s)),
        id.clone().prop_map(Step::Rejected),
        id.clone().prop_map(Step::Ambiguous),
        id.prop_map(Step::NotSubmitted),
        Just(Step::Crash),
    ]
}

/// The model: per reference id, its state, attempts and the furthest status seen
/// (0 pending, 1 processing, 2 final).
#[derive(Clone, Debug, PartialEq)]
struct Modelled {
    state: IntentState,
    attempts: u32,
    furthest: Option<u8>,
}

fn rank(status: &str) -> u8 {
    match status {
        "PENDING" => 0,
        "PROCESSING" => 1,
        _ => 2,
    }
}

fn settled(state: &IntentState) -> bool {
    matches!(state, IntentState::Completed | IntentState::Failed)
}

impl Modelled {
    fn apply(&mut self, step: &Step) {
        match step {
            Step::Attempt(_) => {
                self.attempts += 1;
                if !settled(&self.state) && self.state != IntentState::Processing {
                    self.state = IntentState::Pending;
                }
            }
            Step::Observed(_, status) => {
                if settled(&self.state) || self.furthest.is_some_and(|f| rank(status) < f) {
                    return;
                }
                self.furthest = Some(rank(status));
                self.state = match *status {
                    "COMPLETED" => IntentState::Completed,
                    "FAILED" => IntentState::Failed,
                    _ => IntentState::Processing,
                };
            }
            Step::Rejected(_) => {
                if !settled(&self.state) && self.state != IntentState::Processing {
                    self.state = IntentState::Rejected;
                }
            }
            Step::NotSubmitted(_) => {
                if self.state == IntentState::Pending {
                    self.state = IntentState::NotSubmitted;
                }
            }
            Step::Begin(_) | Step::Ambiguous(_) | Step::Crash => {}
        }
    }
}

/// Runs `steps` against a journal (reopened by `reopen` on a crash) and the model, comparing
/// every intent after every step.
async fn run_journal_model(
    mut journal: Arc<dyn Journal>,
    reopen: impl Fn() -> Option<Arc<dyn Journal>>,
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let ids: Vec<String> = (0..3).map(|_| dollr_core::new_reference_id()).collect();
    // Leases that expire at once: every writer may take any intent, as after a crash.
    let lease = LeaseRequest::new("model", Duration::ZERO);
    let mut model: BTreeMap<usize, Modelled> = BTreeMap::new();
    for step in steps {
        let target = match step {
            Step::Begin(i)
            | Step::Attempt(i)
            | Step::Observed(i, _)
            | Step::Rejected(i)
            | Step::Ambiguous(i)
            | Step::NotSubmitted(i) => Some(*i),
            Step::Crash => None,
        };
        let before = model.clone();
        match step {
            Step::Begin(i) => {
                let begun = journal
                    .begin(new_intent(&ids[*i], "hash"), &lease)
                    .await
                    .unwrap();
                prop_assert_eq!(begun.created(), !model.contains_key(i), "{:?}", step);
                model.entry(*i).or_insert(Modelled {
                    state: IntentState::Pending,
                    attempts: 0,
                    furthest: None,
                });
            }
            Step::Attempt(i) => {
                let claimed = journal.record_attempt(&ids[*i], &lease).await;
                prop_assert_eq!(claimed.is_ok(), model.contains_key(i), "{:?}", step);
            }
            Step::Crash => {
                if let Some(reopened) = reopen() {
                    journal = reopened;
                }
            }
            outcome => {
                let (i, outcome) = match outcome {
                    Step::Observed(i, status) => {
                        (i, IntentOutcome::Observed(execution(&ids[*i], status)))
                    }
                    Step::Rejected(i) => (
                        i,
                        IntentOutcome::Rejected {
                            error: "422".into(),
                        },
                    ),
                    Step::Ambiguous(i) => (
                        i,
                        IntentOutcome::Ambiguous {
                            error: "503".into(),
                        },
                    ),
                    Step::NotSubmitted(i) => (i, IntentOutcome::NotSubmitted),
                    _ => unreachable!(),
                };
                let found = journal.record_outcome(&ids[*i], outcome).await.unwrap();
                prop_assert_eq!(found, model.contains_key(i), "{:?}", step);
            }
        }
        if let Some(i) = target {
            if let Some(entry) = model.get_mut(&i) {
                if !matches!(step, Step::Begin(_)) {
                    entry.apply(step);
                }
            }
        }
        // Every intent as modelled: none lost, none changed after its final outcome.
        for (i, id) in ids.iter().enumerate() {
            let stored = journal.get(id).await.unwrap();
            match (model.get(&i), stored) {
                (None, None) => {}
                (Some(expected), Some(intent)) => {
                    prop_assert_eq!(&intent.state, &expected.state, "{} after {:?}", i, step);
                    prop_assert_eq!(intent.attempts, expected.attempts, "{} after {:?}", i, step);
                    if let Some(was) = before.get(&i).filter(|was| settled(&was.state)) {
                        prop_assert_eq!(&intent.state, &was.state, "resolved twice");
                    }
                }
                (expected, stored) => {
                    return Err(TestCaseError::fail(format!(
                        "intent {i} after {step:?}: modelled {expected:?}, stored {stored:?}"
                    )))
                }
            }
        }
        let unresolved: BTreeSet<String> = journal
            .list_unresolved()
            .await
            .unwrap()
            .into_iter()
            .map(|intent| intent.reference_id)
            .collect();
        let modelled: BTreeSet<String> = model
            .iter()
            .filter(|(_, m)| {
                matches!(
                    m.state,
                    IntentState::Pending | IntentState::Processing | IntentState::NotSubmitted
                )
            })
            .map(|(i, _)| ids[*i].clone())
            .collect();
        prop_assert_eq!(unresolved, modelled, "unresolved after {:?}", step);
    }
    Ok(())
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn the_memory_journal_matches_the_model(steps in prop::collection::vec(step(), 1..40)) {
        let journal: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
        block_on(run_journal_model(journal, || None, &steps))?;
    }
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn the_sqlite_journal_matches_the_model_across_crashes(
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let dir = TempDir::new("journal-model");
        let path = dir.file("journal.sqlite");
        let journal: Arc<dyn Journal> = Arc::new(SqliteJournal::open(&path).unwrap());
        let reopen = || Some(Arc::new(SqliteJournal::open(&path).unwrap()) as Arc<dyn Journal>);
        block_on(run_journal_model(journal, reopen, &steps))?;
    }
}
