//! Holding an intent's journal lease while a call, a wait or a reconcile works on it: renewed
//! every third of its length, given back at the end (see [`crate::journal::Lease`]).

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use futures::future::{select, Either};

use crate::client::Client;
use crate::journal::Claim;

/// Whether this call holds the lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not held (yet): a POST must first be granted by `record_attempt`.
    NotHeld,
    /// Held at this generation.
    Held(u64),
    /// Was held, and another instance took it over (this call was stalled past its expiry): this
    /// call must never POST again.
    Lost,
}

/// The lease state of one call, shared by the call and its renewer.
#[derive(Debug)]
pub(crate) struct HeldLease(Mutex<State>);

impl HeldLease {
    /// Not held.
    pub(crate) fn not_held() -> HeldLease {
        HeldLease(Mutex::new(State::NotHeld))
    }

    /// Held at `generation`.
    pub(crate) fn holding(generation: u64) -> HeldLease {
        HeldLease(Mutex::new(State::Held(generation)))
    }

    fn state(&self) -> State {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, state: State) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    /// The generation held, if held.
    pub(crate) fn generation(&self) -> Option<u64> {
        match self.state() {
            State::Held(generation) => Some(generation),
            _ => None,
        }
    }

    /// Whether it was taken over by another instance.
    pub(crate) fn is_lost(&self) -> bool {
        self.state() == State::Lost
    }

    /// Now held at `generation` (unless lost: a lost lease is never taken back by this call).
    pub(crate) fn granted(&self, generation: u64) {
        if !self.is_lost() {
            self.set(State::Held(generation));
        }
    }

    /// Taken over by another instance.
    pub(crate) fn lost(&self) {
        self.set(State::Lost);
    }
}

/// Runs `work` while renewing the lease `held` says this client holds on `reference_id`, and
/// gives it back afterwards (if still held). A renewal the journal refuses marks it lost.
pub(crate) async fn while_held<F: Future>(
    client: &Client,
    reference_id: &str,
    held: &HeldLease,
    work: F,
) -> F::Output {
    let lease = &client.inner.lease;
    let journal = client.journal();
    let renew = async {
        let every = lease.ttl / 3;
        loop {
            crate::runtime::sleep(every).await;
            let Some(generation) = held.generation() else {
                continue;
            };
            match journal
                .acquire(reference_id, &lease.holding(Some(generation)))
                .await
            {
                Ok(Some(Claim::Granted(_))) => {}
                Ok(_) => {
                    tracing::warn!(reference_id = %reference_id, "the journal lease on this execution was taken over by another instance; this call sends nothing more");
                    held.lost();
                }
                // Transient: the lease is still ours until it expires; the next renewal retries,
                // and `record_attempt` checks it again before any POST.
                Err(error) => {
                    tracing::warn!(reference_id = %reference_id, error = %error, "could not renew the journal lease")
                }
            }
        }
    };
    // The renewer is dropped (with any journal transaction it has open, which rolls back) before
    // the release below: left paused mid-renewal, its row lock would block the release forever.
    let output = {
        futures::pin_mut!(work);
        futures::pin_mut!(renew);
        match select(work, renew).await {
            Either::Left((output, _)) => output,
            Either::Right(((), work)) => work.await,
        }
    };
    if let Some(generation) = held.generation() {
        if let Err(error) = journal
            .release(reference_id, &lease.owner, generation)
            .await
        {
            tracing::debug!(reference_id = %reference_id, error = %error, "could not give the journal lease back; it expires by itself");
        }
    }
    output
}
