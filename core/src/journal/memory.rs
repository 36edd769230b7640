//! The in-memory journal: exactly-once within one process (lost on exit).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;

use super::{
    apply_claim, apply_claimed_attempt, apply_outcome, apply_release, attempt_claim, claimable,
    oldest_first, Begin, Claim, ClaimCursor, Intent, IntentOutcome, Journal, LeaseRequest,
    NewIntent,
};
use crate::error::Result;

/// A journal held in memory. Use [`super::SqliteJournal`] for anything that must survive a crash.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    intents: Mutex<HashMap<String, Intent>>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        MemoryJournal::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Intent>) -> Result<T>) -> Result<T> {
        // A poisoned lock means a panic elsewhere mid-update; the map itself is still consistent
        // (every update is a single assignment), so keep serving rather than failing every payment.
        let mut guard = match self.intents.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

#[async_trait]
impl Journal for MemoryJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        self.with(|map| {
            if let Some(existing) = map.get(&intent.reference_id) {
                return Ok(Begin::Existing(existing.clone()));
            }
            let created = intent.into_intent(lease, Utc::now());
            map.insert(created.reference_id.clone(), created.clone());
            Ok(Begin::Created(created))
        })
    }

    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        self.with(|map| {
            let changed = map.get_mut(reference_id).map(|intent| {
                let granted = apply_claimed_attempt(intent, lease, Utc::now());
                (granted, intent.clone())
            });
            attempt_claim(reference_id, changed)
        })
    }

    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        self.with(|map| {
            Ok(map.get_mut(reference_id).map(|intent| {
                let granted = apply_claim(intent, lease, Utc::now());
                Claim::new(granted, intent.clone())
            }))
        })
    }

    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        self.with(|map| {
            if let Some(intent) = map.get_mut(reference_id) {
                apply_release(intent, owner, generation);
            }
            Ok(())
        })
    }

    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        self.with(|map| match map.get_mut(reference_id) {
            Some(intent) => {
                apply_outcome(intent, outcome, Utc::now());
                Ok(true)
            }
            None => Ok(false),
        })
    }

    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        self.with(|map| Ok(map.get(reference_id).cloned()))
    }

    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        self.with(|map| {
            let mut intents: Vec<Intent> = map
                .values()
                .filter(|i| i.state.is_unresolved())
                .cloned()
                .collect();
            intents.sort_by(oldest_first);
            Ok(intents)
        })
    }

    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        self.with(|map| {
            let now = Utc::now();
            let mut candidates: Vec<&mut Intent> = map
                .values_mut()
                .filter(|i| claimable(i, now, after))
                .collect();
            candidates.sort_by(|a, b| oldest_first(a, b));
            let fresh = lease.holding(None);
            Ok(candidates
                .into_iter()
                .take(limit)
                .filter_map(|intent| apply_claim(intent, &fresh, now).then(|| intent.clone()))
                .collect())
        })
    }
}
