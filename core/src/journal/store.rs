//! A journal kept in a host's key-value store (decision 0018): one JSON document per intent under
//! `dollr-intent:<reference id>`. What a WebAssembly host provides where there is no SQLite file:
//! a Cloudflare Durable Object's storage, Workers KV, Deno KV (bindings-wasm's `journalStore`).
//!
//! Every operation reads the intent, applies the same pure state and lease functions as the other
//! journals, and writes it back, one operation at a time per journal (a lock held across the
//! store's awaits), so one client honours the journal contract on any store. Between clients (or
//! isolates) sharing one store, a read-modify-write is only as atomic as the store: a Durable
//! Object runs one request at a time and is; Workers KV is eventually consistent and is not (the
//! API's duplicate check on the reference id stays the guard, as for processes sharing a journal).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;

use super::{
    apply_claim, apply_claimed_attempt, apply_outcome, apply_release, attempt_claim, claimable,
    oldest_first, Begin, Claim, ClaimCursor, Intent, IntentOutcome, Journal, LeaseRequest,
    NewIntent,
};
use crate::error::{Error, Result};

/// The prefix of every key a [`StoreJournal`] writes.
pub const KEY_PREFIX: &str = "dollr-intent:";

/// A host's key-value store, as text.
#[async_trait]
pub trait JournalStore: Send + Sync {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key` (replacing any).
    async fn put(&self, key: &str, value: &str) -> Result<()>;
    /// Every value whose key starts with `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;
}

/// A [`Journal`] over a [`JournalStore`].
pub struct StoreJournal {
    store: Arc<dyn JournalStore>,
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for StoreJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreJournal").finish_non_exhaustive()
    }
}

impl StoreJournal {
    /// A journal kept in `store`.
    pub fn new(store: Arc<dyn JournalStore>) -> Self {
        StoreJournal {
            store,
            one_at_a_time: tokio::sync::Mutex::new(()),
        }
    }

    fn decode(text: &str) -> Result<Intent> {
        serde_json::from_str(text).map_err(|e| {
            Error::internal(format!(
                "the journal store holds an intent that is not dollr's: {e}"
            ))
        })
    }

    async fn read(&self, reference_id: &str) -> Result<Option<Intent>> {
        match self
            .store
            .get(&format!("{KEY_PREFIX}{reference_id}"))
            .await?
        {
            Some(text) => Self::decode(&text).map(Some),
            None => Ok(None),
        }
    }

    async fn write(&self, intent: &Intent) -> Result<()> {
        let text = serde_json::to_string(intent)
            .map_err(|e| Error::internal(format!("could not encode an intent: {e}")))?;
        self.store
            .put(&format!("{KEY_PREFIX}{}", intent.reference_id), &text)
            .await
    }

    async fn all(&self) -> Result<Vec<Intent>> {
        let mut intents = self
            .store
            .list(KEY_PREFIX)
            .await?
            .iter()
            .map(|text| Self::decode(text))
            .collect::<Result<Vec<Intent>>>()?;
        intents.sort_by(oldest_first);
        Ok(intents)
    }

    /// Reads `reference_id`, lets `change` update it, and writes it back if it exists.
    async fn update<T>(
        &self,
        reference_id: &str,
        change: impl FnOnce(&mut Intent) -> T,
    ) -> Result<Option<(T, Intent)>> {
        let Some(mut intent) = self.read(reference_id).await? else {
            return Ok(None);
        };
        let outcome = change(&mut intent);
        self.write(&intent).await?;
        Ok(Some((outcome, intent)))
    }
}

#[async_trait]
impl Journal for StoreJournal {
    async fn begin(&self, intent: NewIntent, lease: &LeaseRequest) -> Result<Begin> {
        let _turn = self.one_at_a_time.lock().await;
        if let Some(existing) = self.read(&intent.reference_id).await? {
            return Ok(Begin::Existing(existing));
        }
        let created = intent.into_intent(lease, Utc::now());
        self.write(&created).await?;
        Ok(Begin::Created(created))
    }

    async fn record_attempt(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Claim> {
        let _turn = self.one_at_a_time.lock().await;
        let changed = self
            .update(reference_id, |intent| {
                apply_claimed_attempt(intent, lease, Utc::now())
            })
            .await?;
        attempt_claim(reference_id, changed)
    }

    async fn acquire(&self, reference_id: &str, lease: &LeaseRequest) -> Result<Option<Claim>> {
        let _turn = self.one_at_a_time.lock().await;
        Ok(self
            .update(reference_id, |intent| {
                apply_claim(intent, lease, Utc::now())
            })
            .await?
            .map(|(granted, intent)| Claim::new(granted, intent)))
    }

    async fn release(&self, reference_id: &str, owner: &str, generation: u64) -> Result<()> {
        let _turn = self.one_at_a_time.lock().await;
        self.update(reference_id, |intent| {
            apply_release(intent, owner, generation);
        })
        .await
        .map(drop)
    }

    async fn record_outcome(&self, reference_id: &str, outcome: IntentOutcome) -> Result<bool> {
        let _turn = self.one_at_a_time.lock().await;
        Ok(self
            .update(reference_id, |intent| {
                apply_outcome(intent, outcome, Utc::now());
            })
            .await?
            .is_some())
    }

    async fn get(&self, reference_id: &str) -> Result<Option<Intent>> {
        self.read(reference_id).await
    }

    async fn list_unresolved(&self) -> Result<Vec<Intent>> {
        let mut intents = self.all().await?;
        intents.retain(|intent| intent.state.is_unresolved());
        Ok(intents)
    }

    async fn claim_unresolved(
        &self,
        lease: &LeaseRequest,
        after: Option<&ClaimCursor>,
        limit: usize,
    ) -> Result<Vec<Intent>> {
        let _turn = self.one_at_a_time.lock().await;
        let now = Utc::now();
        let fresh = lease.holding(None);
        let candidates: Vec<Intent> = self
            .all()
            .await?
            .into_iter()
            .filter(|intent| claimable(intent, now, after))
            .take(limit)
            .collect();
        let mut claimed = Vec::new();
        for mut intent in candidates {
            if apply_claim(&mut intent, &fresh, now) {
                self.write(&intent).await?;
                claimed.push(intent);
            }
        }
        Ok(claimed)
    }
}
