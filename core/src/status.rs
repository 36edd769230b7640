//! The documented state machines, as types: which statuses are terminal and which observed changes
//! are legal.
//!
//! The API is the source of truth for a status, so the SDK never *refuses* what it observes; it
//! *reports* what the documented machine does not allow ([`StatusAnomaly`]): an illegal change
//! such as `COMPLETED → PROCESSING`, or a status value this SDK version does not know (kept as
//! `Other`, treated as non-terminal so nobody stops waiting on a value they cannot interpret).
//!
//! | Machine | Legal changes | Terminal |
//! |---|---|---|
//! | execution | `PENDING → PROCESSING → COMPLETED \| FAILED`; `PENDING → COMPLETED \| FAILED` | `COMPLETED`, `FAILED` |
//! | source (invoice/order) | `IDLE → ACTIVE → PROCESSING → PAID`; `IDLE \| ACTIVE → CANCELED`; `PROCESSING → ACTIVE` (a payment failed); observed: any status reachable along them (a poll can miss the ones between) | `PAID`, `CANCELED` |
//! | session | `ACTIVE → USED \| EXPIRED` | `USED`, `EXPIRED` |
//! | wallet | `ACTIVE`, `RESTRICTED`, `FROZEN` to one another and to `CLOSED` | `CLOSED` |
//!
//! Observing the same status again is always legal.

use std::fmt;

use crate::enums::{ExecutionStatus, SessionStatus, SourceStatus, WalletStatus};
use crate::error::{Error, ErrorKind};

/// A status with a documented state machine.
pub trait StatusMachine: Clone + PartialEq + fmt::Display {
    /// The machine's name, used in reports (`"execution"`, `"source"`, `"session"`, `"wallet"`).
    const MACHINE: &'static str;

    /// Whether the status can never change again. Unknown (`Other`) statuses are not terminal.
    fn is_terminal(&self) -> bool;

    /// Whether the value is one this SDK version knows.
    fn is_known_status(&self) -> bool;

    /// Whether the documented machine allows a change from `self` to `next` (the same status
    /// again is always allowed). With an unknown status on either side the machine cannot say, so
    /// only "a terminal status never changes" is enforced.
    fn can_transition_to(&self, next: &Self) -> bool {
        if self == next {
            return true;
        }
        if self.is_terminal() {
            return false;
        }
        if !self.is_known_status() || !next.is_known_status() {
            return true;
        }
        self.known_transition_allowed(next)
    }

    /// The documented edges between two different, known statuses (`self` is not terminal).
    fn known_transition_allowed(&self, next: &Self) -> bool;

    /// Checks an observed change and reports what the documented machine does not allow: an
    /// illegal change first, otherwise a target status this SDK does not know.
    fn check_transition(&self, next: &Self) -> Result<(), StatusAnomaly> {
        if !self.can_transition_to(next) {
            return Err(StatusAnomaly::IllegalTransition {
                machine: Self::MACHINE,
                from: self.to_string(),
                to: next.to_string(),
            });
        }
        if self != next {
            next.check_known()?;
        }
        Ok(())
    }

    /// Reports a status value this SDK does not know (the first observation of a status).
    fn check_known(&self) -> Result<(), StatusAnomaly> {
        if self.is_known_status() {
            Ok(())
        } else {
            Err(StatusAnomaly::UnknownStatus {
                machine: Self::MACHINE,
                status: self.to_string(),
            })
        }
    }
}

/// Something observed that the documented state machine does not allow or does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnomaly {
    /// A change the machine forbids, e.g. execution `COMPLETED → PROCESSING`.
    IllegalTransition {
        /// Which machine (`"execution"`, `"source"`, …).
        machine: &'static str,
        /// The status before.
        from: String,
        /// The status observed after.
        to: String,
    },
    /// A status value this SDK version does not know (treated as non-terminal).
    UnknownStatus {
        /// Which machine.
        machine: &'static str,
        /// The value as the API sent it.
        status: String,
    },
    /// A realtime message said a final status the status API did not confirm (the status API
    /// wins; realtime is a hint).
    RealtimeDisagreement {
        /// Which machine.
        machine: &'static str,
        /// The status the realtime message claimed.
        realtime: String,
        /// The status the status API answered.
        api: String,
    },
}

/// Which kind of anomaly.
#[cfg(feature = "bridge")]
#[derive(Clone, Copy, Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum AnomalyKind {
    /// A change the documented state machine forbids, e.g. `COMPLETED -> PROCESSING`.
    IllegalTransition,
    /// A status value this SDK version does not know (treated as not final).
    UnknownStatus,
    /// A realtime message claimed a final status the status API did not confirm.
    RealtimeDisagreement,
}

// The flat JSON form of a `StatusAnomaly` (a Rust enum with data has no flat JSON of its own).
#[cfg(feature = "bridge")]
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(
    rename = "StatusAnomaly",
    description = "Something observed that the documented state machine does not allow or does not know: reported, never fatal."
)]
struct StatusAnomalyJson<'a> {
    /// `illegal_transition`, `unknown_status` or `realtime_disagreement`.
    kind: AnomalyKind,
    /// Which machine (`execution`, `source`, `session`, `wallet`).
    machine: &'a str,
    /// The status before (`illegal_transition` only).
    from: Option<&'a str>,
    /// The status observed after (`illegal_transition`), or claimed by realtime
    /// (`realtime_disagreement`).
    to: Option<&'a str>,
    /// The unknown value as the API sent it (`unknown_status`), or the status API's answer
    /// (`realtime_disagreement`).
    status: Option<&'a str>,
    /// The anomaly in words.
    message: String,
}

#[cfg(feature = "bridge")]
impl serde::Serialize for StatusAnomaly {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let message = self.to_string();
        let json = match self {
            StatusAnomaly::IllegalTransition { machine, from, to } => StatusAnomalyJson {
                kind: AnomalyKind::IllegalTransition,
                machine,
                from: Some(from),
                to: Some(to),
                status: None,
                message,
            },
            StatusAnomaly::UnknownStatus { machine, status } => StatusAnomalyJson {
                kind: AnomalyKind::UnknownStatus,
                machine,
                from: None,
                to: None,
                status: Some(status),
                message,
            },
            StatusAnomaly::RealtimeDisagreement {
                machine,
                realtime,
                api,
            } => StatusAnomalyJson {
                kind: AnomalyKind::RealtimeDisagreement,
                machine,
                from: None,
                to: Some(realtime),
                status: Some(api),
                message,
            },
        };
        json.serialize(serializer)
    }
}

#[cfg(feature = "bridge")]
impl schemars::JsonSchema for StatusAnomaly {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusAnomaly".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        StatusAnomalyJson::json_schema(generator)
    }
}

impl StatusAnomaly {
    /// The anomaly as an [`Error`] of kind `Decode` (the API said something the SDK's model of it
    /// does not allow), for callers that want to fail on it.
    pub fn to_error(&self) -> Error {
        Error::new(ErrorKind::Decode, self.to_string())
    }
}

impl fmt::Display for StatusAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusAnomaly::IllegalTransition { machine, from, to } => write!(
                f,
                "illegal {machine} status transition {from} -> {to} observed (the documented state machine does not allow it; report it to Dollr with the reference id)"
            ),
            StatusAnomaly::UnknownStatus { machine, status } => write!(
                f,
                "unknown {machine} status {status:?} observed (newer than this SDK; treated as not final)"
            ),
            StatusAnomaly::RealtimeDisagreement {
                machine,
                realtime,
                api,
            } => write!(
                f,
                "a realtime message said the {machine} is {realtime} but the status API says {api} (the status API wins)"
            ),
        }
    }
}

impl StatusMachine for ExecutionStatus {
    const MACHINE: &'static str = "execution";

    fn is_terminal(&self) -> bool {
        matches!(self, ExecutionStatus::Completed | ExecutionStatus::Failed)
    }

    fn is_known_status(&self) -> bool {
        self.is_known()
    }

    fn known_transition_allowed(&self, next: &Self) -> bool {
        use ExecutionStatus::*;
        matches!(
            (self, next),
            (Pending, Processing | Completed | Failed) | (Processing, Completed | Failed)
        )
    }
}

impl StatusMachine for SourceStatus {
    const MACHINE: &'static str = "source";

    fn is_terminal(&self) -> bool {
        matches!(self, SourceStatus::Paid | SourceStatus::Canceled)
    }

    fn is_known_status(&self) -> bool {
        self.is_known()
    }

    fn known_transition_allowed(&self, next: &Self) -> bool {
        use SourceStatus::*;
        // Every status reachable along the edges `IDLE → ACTIVE → PROCESSING → PAID`,
        // `IDLE | ACTIVE → CANCELED` and `PROCESSING → ACTIVE` (a failed payment sends the
        // document back to payable): an observer polls, and a mobile-money payment can start and
        // settle between two polls (`ACTIVE → PAID` observed), as an execution's `PROCESSING`
        // can be missed (`PENDING → COMPLETED`).
        matches!(
            (self, next),
            (Idle, Active | Processing | Paid | Canceled)
                | (Active, Processing | Paid | Canceled)
                | (Processing, Paid | Active | Canceled)
        )
    }
}

impl StatusMachine for SessionStatus {
    const MACHINE: &'static str = "session";

    fn is_terminal(&self) -> bool {
        matches!(self, SessionStatus::Used | SessionStatus::Expired)
    }

    fn is_known_status(&self) -> bool {
        self.is_known()
    }

    fn known_transition_allowed(&self, next: &Self) -> bool {
        matches!(
            (self, next),
            (
                SessionStatus::Active,
                SessionStatus::Used | SessionStatus::Expired
            )
        )
    }
}

impl StatusMachine for WalletStatus {
    const MACHINE: &'static str = "wallet";

    fn is_terminal(&self) -> bool {
        matches!(self, WalletStatus::Closed)
    }

    fn is_known_status(&self) -> bool {
        self.is_known()
    }

    fn known_transition_allowed(&self, _next: &Self) -> bool {
        // The glossary documents the values only: restrictions come and go, and any open wallet
        // can be closed; only CLOSED is final (enforced by `can_transition_to`).
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_machine() {
        use ExecutionStatus::*;
        assert!(Pending.can_transition_to(&Processing));
        assert!(Pending.can_transition_to(&Completed));
        assert!(Processing.can_transition_to(&Failed));
        assert!(Processing.can_transition_to(&Processing));
        assert!(!Processing.can_transition_to(&Pending));
        assert!(!Completed.can_transition_to(&Processing));
        assert!(!Completed.can_transition_to(&Failed));
        assert!(Completed.is_terminal() && Failed.is_terminal());
        assert!(!Pending.is_terminal() && !Other("ON_HOLD".into()).is_terminal());
    }
}
