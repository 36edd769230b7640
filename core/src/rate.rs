//! A client-side rate gate shared by every request of one client clone (`Client::with_rate_gate`):
//! used by bulk payouts (decision 0016), where hundreds of flows run through one credential.
//!
//! * **Pace**: with a rate (`per_second`), requests are spaced at least `1/rate` apart.
//! * **Back off as a whole**: a `429` seen by *any* request pauses *every* request of the gate
//!   until its `Retry-After` has passed (not just the one that was refused, whose retries would
//!   otherwise burn the same window while its siblings keep hitting the limit), and halves the
//!   pace; each success afterwards wins a little of it back, up to the configured rate.
//!
//! The gate only delays requests; it never drops one, so it is invisible to the exactly-once
//! layer above it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::runtime::TimerInstant as Instant;

/// The longest pause one `Retry-After` may impose on the whole gate.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// The slowest pace backing off may reach (one request per this long).
const SLOWEST: Duration = Duration::from_secs(2);

/// Paces and pauses the requests of the clients that share it.
#[derive(Debug)]
pub struct RateGate {
    state: Mutex<GateState>,
    rate_limited: AtomicU64,
}

#[derive(Debug)]
struct GateState {
    /// The configured spacing (`None`: no pacing unless backing off).
    base: Option<Duration>,
    /// The spacing in force (wider than `base` after a 429).
    spacing: Option<Duration>,
    /// The earliest time the next request may start.
    next_free: Instant,
    /// No request starts before this (a 429's `Retry-After`).
    paused_until: Instant,
}

impl RateGate {
    /// A gate allowing `per_second` requests per second (`None` or `0`: unpaced; it still pauses
    /// as a whole on a 429).
    pub fn new(per_second: Option<u32>) -> RateGate {
        let base = per_second
            .filter(|rate| *rate > 0)
            .map(|rate| Duration::from_secs(1) / rate);
        let now = Instant::now();
        RateGate {
            state: Mutex::new(GateState {
                base,
                spacing: base,
                next_free: now,
                paused_until: now,
            }),
            rate_limited: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        // A poisoned lock only means a thread panicked while updating plain numbers.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until a request may start (pace and any pause), then takes its slot.
    pub async fn admit(&self) {
        loop {
            let (wait, slot_taken) = self.next_wait();
            if wait.is_zero() {
                return;
            }
            crate::runtime::sleep(wait).await;
            // A slot was taken: go unless a pause was announced while sleeping.
            if slot_taken && self.lock().paused_until <= Instant::now() {
                return;
            }
        }
    }

    /// How long the caller must wait now, and whether it took a pacing slot (`false`: paused).
    fn next_wait(&self) -> (Duration, bool) {
        let mut state = self.lock();
        let now = Instant::now();
        if state.paused_until > now {
            return (state.paused_until - now, false);
        }
        let at = state.next_free.max(now);
        if let Some(spacing) = state.spacing {
            state.next_free = at + spacing;
        }
        (at - now, true)
    }

    /// A request was answered `429`: pause every request for `retry_after` (capped at a minute)
    /// and halve the pace.
    pub fn slow_down(&self, retry_after: Option<Duration>) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        let pause = retry_after.unwrap_or(Duration::from_secs(1)).min(MAX_PAUSE);
        let until = Instant::now() + pause;
        if until > state.paused_until {
            state.paused_until = until;
        }
        let wider = match state.spacing {
            Some(spacing) => spacing.saturating_mul(2),
            // Unpaced until now: start pacing at 20 requests a second, and win it back from there.
            None => Duration::from_millis(50),
        };
        state.spacing = Some(wider.min(SLOWEST));
    }

    /// A request was answered (not `429`): win back a little of the pace lost to backing off.
    pub fn answered(&self) {
        let mut state = self.lock();
        let Some(spacing) = state.spacing else {
            return;
        };
        let narrower = spacing.mul_f64(0.9);
        state.spacing = match state.base {
            Some(base) if narrower <= base => Some(base),
            Some(_) => Some(narrower),
            // Unpaced by configuration: pacing ends once it is fast again.
            None if narrower < Duration::from_millis(1) => None,
            None => Some(narrower),
        };
    }

    /// How many `429` answers the gate has seen.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_requests_and_pauses_all_of_them_after_a_429() {
        let gate = RateGate::new(Some(10));
        let start = Instant::now();
        for _ in 0..3 {
            gate.admit().await;
        }
        // 10 per second: the third starts 200 ms after the first.
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        gate.slow_down(Some(Duration::from_secs(3)));
        assert_eq!(gate.rate_limited(), 1);
        let paused = Instant::now();
        gate.admit().await;
        assert!(
            paused.elapsed() >= Duration::from_secs(3),
            "honours Retry-After"
        );
        // The pace halved (200 ms spacing) and comes back with answers.
        let before = Instant::now();
        gate.admit().await;
        assert_eq!(before.elapsed(), Duration::from_millis(200));
        for _ in 0..20 {
            gate.answered();
        }
        assert_eq!(gate.lock().spacing, Some(Duration::from_millis(100)));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unpaced_gate_only_waits_after_a_429() {
        let gate = RateGate::new(None);
        let start = Instant::now();
        for _ in 0..100 {
            gate.admit().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        gate.slow_down(Some(Duration::ZERO));
        assert_eq!(gate.lock().spacing, Some(Duration::from_millis(50)));
        for _ in 0..100 {
            gate.answered();
        }
        assert_eq!(gate.lock().spacing, None);
    }
}
