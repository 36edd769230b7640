//! The in-memory journal: exactly-once within one process (lost on exit).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;

use super::{apply_attempt, apply_outcome, Begin, Intent, IntentOutcome, Journal, NewIntent};
use crate::error::{Error, Result};

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
    async fn begin(&self, intent: NewIntent) -> Result<Begin> {
        self.with(|map| {
            if let Some(existing) = map.get(&intent.reference_id) {
                return Ok(Begin::Existing(existing.clone()));
            }
            let created = intent.into_intent(Utc::now());
            map.insert(created.reference_id.clone(), created.clone());
            Ok(Begin::Created(created))
        })
    }

    async fn record_attempt(&self, reference_id: &str) -> Result<Intent> {
        self.with(|map| match map.get_mut(reference_id) {
            Some(intent) => {
                apply_attempt(intent, Utc::now());
                Ok(intent.clone())
            }
            None => Err(Error::internal(format!(
                "the journal has no intent {reference_id} to record an attempt on"
            ))
            .with_reference_id(reference_id)),
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
            intents.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.reference_id.cmp(&b.reference_id))
            });
            Ok(intents)
        })
    }
}
