//! Fault injection: lost responses, delayed commits, 5xx, 429 and latency, by probability or by
//! count. Every setting has an upper bound and unknown keys are refused, so a typo (`"cout": 1`)
//! or an absurd value (`"latency_ms": 18446744073709551615`) is a 422 naming the field, never a
//! rule that silently fires forever or a request that hangs.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Run the request (the execution IS committed), then abort the connection
    /// instead of sending the response: the client sees a transport error.
    DropResponse,
    /// Answer 500 (or `status`) with `{"detail": "Internal Server Error"}`
    /// before the handler runs: nothing is committed.
    Error,
    /// Answer 429 with a `Retry-After` header before the handler runs.
    RateLimit,
    /// Delay the request by `latency_ms` (then process it normally).
    Latency,
    /// Only for `POST /v1/executions/*`: the request is validated, then its commit is held (no
    /// execution exists yet: status lookups answer 404 and the session stays ACTIVE) and the
    /// connection is closed without a response. The held execution lands (is created) right
    /// after the `lookups`-th status lookup of its reference id has answered 404, or at once
    /// when a POST with the same reference id arrives (which then finds it). Models a POST that
    /// is delayed in the network and lands after the client was told "not found".
    DelayCommit,
    /// Realtime only: close the WebSocket abruptly (no close frame) instead of delivering the next
    /// `postgres_changes` message.
    DropSocket,
    /// Realtime only: lose one `postgres_changes` message (the row changed; nobody is told).
    DropMessage,
    /// Realtime only: answer a `phx_join` with `{"status": "error"}`.
    RefuseJoin,
}

impl FaultKind {
    /// The snake_case name (as in the request log).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::DropResponse => "drop_response",
            FaultKind::Error => "error",
            FaultKind::RateLimit => "rate_limit",
            FaultKind::Latency => "latency",
            FaultKind::DelayCommit => "delay_commit",
            FaultKind::DropSocket => "drop_socket",
            FaultKind::DropMessage => "drop_message",
            FaultKind::RefuseJoin => "refuse_join",
        }
    }
}

/// Which requests a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultScope {
    /// `POST /v1/executions/*`.
    Executions,
    /// Every `/v1` route, the token endpoint included (`"all"` is accepted too).
    #[serde(alias = "all")]
    V1,
    /// `POST /v1/jwt/client/obtain/token` only.
    Token,
    /// `GET /v1/status/*`: the execution status lookups (`/v1/status/{type}/{reference_id}`, what a
    /// client asks to resolve a lost execution answer) and `/v1/status/source`.
    Status,
    /// The Supabase Realtime server: `drop_socket`, `drop_message`, `refuse_join`, and `latency`
    /// (delays each `postgres_changes` message). Never matches an HTTP request.
    Realtime,
}

impl FaultScope {
    /// Whether a request falls in this scope.
    pub fn matches(self, method: &str, path: &str) -> bool {
        match self {
            FaultScope::Executions => method == "POST" && path.starts_with("/v1/executions/"),
            FaultScope::V1 => path.starts_with("/v1/"),
            FaultScope::Token => path == "/v1/jwt/client/obtain/token",
            FaultScope::Status => method == "GET" && path.starts_with("/v1/status/"),
            FaultScope::Realtime => false,
        }
    }
}

/// One fault rule. With `count` it fires on the next `count` matching requests;
/// with `probability` it fires on each matching request with that probability
/// (both: with that probability, at most `count` times); with neither it fires
/// on every matching request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What the fault does.
    pub kind: FaultKind,
    /// Which requests it applies to. Default: `executions` for `drop_response`,
    /// `v1` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<FaultScope>,
    /// Remaining number of times the rule fires; removed when it reaches 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Probability in [0, 1] that a matching request is hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Status for `error` (500..=599; default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Retry-After seconds for `rate_limit` (default 1; 0 allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Delay for `latency` in milliseconds (at most [`MAX_LATENCY_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// For `delay_commit`: how many status lookups of the held reference id answer 404 before
    /// the execution lands (default 1; at most [`MAX_COUNT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookups: Option<u32>,
}

impl FaultRule {
    fn new(kind: FaultKind) -> FaultRule {
        FaultRule {
            kind,
            scope: None,
            count: None,
            probability: None,
            status: None,
            retry_after: None,
            latency_ms: None,
            lookups: None,
        }
    }

    /// A lost response (default scope: executions).
    pub fn drop_response() -> FaultRule {
        FaultRule::new(FaultKind::DropResponse)
    }

    /// A 5xx before processing (default 500, scope v1).
    pub fn error(status: u16) -> FaultRule {
        FaultRule {
            status: Some(status),
            ..FaultRule::new(FaultKind::Error)
        }
    }

    /// A 429 with `Retry-After: retry_after` (scope v1).
    pub fn rate_limit(retry_after: u64) -> FaultRule {
        FaultRule {
            retry_after: Some(retry_after),
            ..FaultRule::new(FaultKind::RateLimit)
        }
    }

    /// A delay of `ms` milliseconds (scope v1).
    pub fn latency(ms: u64) -> FaultRule {
        FaultRule {
            latency_ms: Some(ms),
            ..FaultRule::new(FaultKind::Latency)
        }
    }

    /// A held commit (scope executions): the execution lands after `lookups` status lookups of
    /// its reference id have answered 404.
    pub fn delay_commit(lookups: u32) -> FaultRule {
        FaultRule {
            lookups: Some(lookups),
            ..FaultRule::new(FaultKind::DelayCommit)
        }
    }

    /// Realtime: the socket is closed abruptly instead of delivering a change (scope realtime).
    pub fn drop_socket() -> FaultRule {
        FaultRule::new(FaultKind::DropSocket)
    }

    /// Realtime: a change message is lost (scope realtime).
    pub fn drop_message() -> FaultRule {
        FaultRule::new(FaultKind::DropMessage)
    }

    /// Realtime: a `phx_join` is refused (scope realtime).
    pub fn refuse_join() -> FaultRule {
        FaultRule::new(FaultKind::RefuseJoin)
    }

    /// Fires on the next `n` matching requests only.
    pub fn count(mut self, n: u32) -> FaultRule {
        self.count = Some(n);
        self
    }

    /// Fires with probability `p` per matching request.
    pub fn probability(mut self, p: f64) -> FaultRule {
        self.probability = Some(p);
        self
    }

    /// Restricts the rule to `scope`.
    pub fn scope(mut self, scope: FaultScope) -> FaultRule {
        self.scope = Some(scope);
        self
    }

    /// The effective scope.
    pub fn effective_scope(&self) -> FaultScope {
        self.scope.unwrap_or(match self.kind {
            FaultKind::DropResponse | FaultKind::DelayCommit => FaultScope::Executions,
            FaultKind::DropSocket | FaultKind::DropMessage | FaultKind::RefuseJoin => {
                FaultScope::Realtime
            }
            _ => FaultScope::V1,
        })
    }

    /// Checks the rule's values; the message starts with the field at fault.
    pub fn check(&self) -> Result<(), String> {
        self.problem().map_or(Ok(()), |p| Err(p.to_string()))
    }

    /// The first value out of bounds, with its field.
    pub fn problem(&self) -> Option<FaultProblem> {
        let bad = |field: &str, message: String| {
            Some(FaultProblem {
                field: field.to_owned(),
                message,
            })
        };
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                return bad("probability", format!("must be within [0, 1], got {p}"));
            }
        }
        if let Some(c) = self.count {
            if c > MAX_COUNT {
                return bad("count", format!("must be at most {MAX_COUNT}, got {c}"));
            }
        }
        if let Some(s) = self.status {
            if !(500..=599).contains(&s) {
                return bad("status", format!("must be a 5xx code, got {s}"));
            }
        }
        if let Some(r) = self.retry_after {
            if r > MAX_RETRY_AFTER_SECONDS {
                return bad(
                    "retry_after",
                    format!("must be at most {MAX_RETRY_AFTER_SECONDS} seconds, got {r}"),
                );
            }
        }
        if let Some(ms) = self.latency_ms {
            if ms > MAX_LATENCY_MS {
                return bad(
                    "latency_ms",
                    format!("must be at most {MAX_LATENCY_MS} (60 s), got {ms}"),
                );
            }
        }
        if let Some(n) = self.lookups {
            if n > MAX_COUNT {
                return bad("lookups", format!("must be at most {MAX_COUNT}, got {n}"));
            }
        }
        if self.kind == FaultKind::Latency && self.latency_ms.is_none() {
            return bad("latency_ms", "a latency rule needs latency_ms".to_owned());
        }
        if self.kind == FaultKind::DelayCommit && self.effective_scope() != FaultScope::Executions {
            return bad(
                "scope",
                "delay_commit holds execution POSTs only: its scope must be executions".to_owned(),
            );
        }
        let realtime_only = matches!(
            self.kind,
            FaultKind::DropSocket | FaultKind::DropMessage | FaultKind::RefuseJoin
        );
        if realtime_only && self.effective_scope() != FaultScope::Realtime {
            return bad(
                "scope",
                format!(
                    "{} applies to the realtime server: its scope must be realtime",
                    self.kind.as_str()
                ),
            );
        }
        if !realtime_only
            && self.kind != FaultKind::Latency
            && self.effective_scope() == FaultScope::Realtime
        {
            return bad(
                "scope",
                format!(
                    "{} is an HTTP fault: realtime takes drop_socket, drop_message, refuse_join and latency",
                    self.kind.as_str()
                ),
            );
        }
        None
    }
}

/// A fault setting out of bounds: the field (as in the JSON) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultProblem {
    /// The field's path, e.g. `latency_ms` or `rules[2].count`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for FaultProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Longest latency one setting may add (60 s); the latency of one request is capped there too.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// Largest `count` or `lookups` of a rule.
pub const MAX_COUNT: u32 = 1_000_000;
/// Largest `retry_after` of a rate-limit rule (one hour).
pub const MAX_RETRY_AFTER_SECONDS: u64 = 3_600;
/// Most rules in one configuration (each request walks them all).
pub const MAX_RULES: usize = 1_000;

/// The whole fault configuration (`GET/PUT /_sandbox/faults`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Fixed latency added to every `/v1` request, in ms (at most [`MAX_LATENCY_MS`]).
    #[serde(default)]
    pub latency_ms: u64,
    /// Random extra latency in `[0, latency_jitter_ms]` (seeded RNG; at most [`MAX_LATENCY_MS`]).
    #[serde(default)]
    pub latency_jitter_ms: u64,
    /// The rules, evaluated in order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultConfig {
    /// No faults.
    pub fn none() -> FaultConfig {
        FaultConfig::default()
    }

    /// Adds a rule (builder style).
    pub fn with(mut self, rule: FaultRule) -> FaultConfig {
        self.rules.push(rule);
        self
    }

    /// Checks every setting; the message starts with the field at fault.
    pub fn check(&self) -> Result<(), String> {
        self.problem().map_or(Ok(()), |p| Err(p.to_string()))
    }

    /// The first setting out of bounds, with its field (`rules[i].…` for a rule's).
    pub fn problem(&self) -> Option<FaultProblem> {
        for (field, ms) in [
            ("latency_ms", self.latency_ms),
            ("latency_jitter_ms", self.latency_jitter_ms),
        ] {
            if ms > MAX_LATENCY_MS {
                return Some(FaultProblem {
                    field: field.to_owned(),
                    message: format!("must be at most {MAX_LATENCY_MS} (60 s), got {ms}"),
                });
            }
        }
        if self.rules.len() > MAX_RULES {
            return Some(FaultProblem {
                field: "rules".to_owned(),
                message: format!("at most {MAX_RULES} rules, got {}", self.rules.len()),
            });
        }
        self.rules.iter().enumerate().find_map(|(i, r)| {
            r.problem().map(|p| FaultProblem {
                field: format!("rules[{i}].{}", p.field),
                message: p.message,
            })
        })
    }
}

/// A fault that answers instead of the handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PreFault {
    /// 5xx with this status.
    Error(u16),
    /// 429 with this Retry-After.
    RateLimit(u64),
}

/// What to do with one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Decision {
    pub latency: Duration,
    pub pre: Option<PreFault>,
    pub drop: bool,
    /// `delay_commit` fired: hold the execution until this many status lookups answered 404.
    pub hold: Option<u32>,
    pub labels: Vec<&'static str>,
}

impl Decision {
    /// The label for the request log (`None` if nothing was applied).
    pub fn label(&self) -> Option<String> {
        (!self.labels.is_empty()).then(|| self.labels.join("+"))
    }
}

fn fires(rule: &FaultRule, rng: &mut StdRng) -> bool {
    if rule.count == Some(0) {
        return false;
    }
    match rule.probability {
        Some(p) => rng.random::<f64>() < p,
        None => true,
    }
}

fn consume(rule: &mut FaultRule) {
    if let Some(c) = rule.count.as_mut() {
        *c = c.saturating_sub(1);
    }
}

/// Decides the faults for one request, consuming counted rules that fire.
pub(crate) fn decide(
    cfg: &mut FaultConfig,
    rng: &mut StdRng,
    method: &str,
    path: &str,
) -> Decision {
    let mut d = Decision::default();
    if !path.starts_with("/v1/") {
        return d;
    }
    let mut latency = cfg.latency_ms;
    if cfg.latency_jitter_ms > 0 {
        latency = latency.saturating_add(rng.random_range(0..=cfg.latency_jitter_ms));
    }
    if latency > 0 {
        d.labels.push("latency");
    }
    // Pre-handler faults first: once one answers, nothing else is evaluated.
    for rule in cfg.rules.iter_mut() {
        if !rule.effective_scope().matches(method, path) {
            continue;
        }
        match rule.kind {
            FaultKind::Latency => {
                if fires(rule, rng) {
                    latency = latency.saturating_add(rule.latency_ms.unwrap_or(0));
                    consume(rule);
                    if !d.labels.contains(&"latency") {
                        d.labels.push("latency");
                    }
                }
            }
            FaultKind::Error | FaultKind::RateLimit => {
                if d.pre.is_none() && fires(rule, rng) {
                    consume(rule);
                    d.pre = Some(match rule.kind {
                        FaultKind::Error => PreFault::Error(rule.status.unwrap_or(500)),
                        _ => PreFault::RateLimit(rule.retry_after.unwrap_or(1)),
                    });
                    d.labels.push(rule.kind.as_str());
                }
            }
            FaultKind::DropResponse
            | FaultKind::DelayCommit
            | FaultKind::DropSocket
            | FaultKind::DropMessage
            | FaultKind::RefuseJoin => {}
        }
    }
    if d.pre.is_none() {
        let is_execution = FaultScope::Executions.matches(method, path);
        for rule in cfg.rules.iter_mut() {
            let applies = match rule.kind {
                FaultKind::DropResponse => true,
                // Only an execution POST has a commit to hold.
                FaultKind::DelayCommit => is_execution,
                _ => false,
            };
            if applies && rule.effective_scope().matches(method, path) && fires(rule, rng) {
                consume(rule);
                d.drop = true;
                if rule.kind == FaultKind::DelayCommit {
                    d.hold = Some(rule.lookups.unwrap_or(1));
                }
                d.labels.push(rule.kind.as_str());
                break;
            }
        }
    }
    cfg.rules.retain(|r| r.count != Some(0));
    // Several latency settings add up; one request never waits longer than the bound.
    d.latency = Duration::from_millis(latency.min(MAX_LATENCY_MS));
    d
}

/// Where the realtime server asks its faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RealtimePoint {
    /// A `phx_join` arrived.
    Join,
    /// A `postgres_changes` message is about to be sent.
    Change,
}

/// What the realtime server does at one point.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RealtimeDecision {
    pub refuse_join: bool,
    pub drop_socket: bool,
    pub drop_message: bool,
    pub latency: Duration,
    pub labels: Vec<&'static str>,
}

/// Decides the realtime faults at one point, consuming counted rules that fire (only rules scoped
/// `realtime`; the global `latency_ms` is for HTTP).
pub(crate) fn decide_realtime(
    cfg: &mut FaultConfig,
    rng: &mut StdRng,
    point: RealtimePoint,
) -> RealtimeDecision {
    let mut d = RealtimeDecision::default();
    let mut latency = 0u64;
    for rule in cfg.rules.iter_mut() {
        if rule.effective_scope() != FaultScope::Realtime {
            continue;
        }
        let applies = match (rule.kind, point) {
            (FaultKind::RefuseJoin, RealtimePoint::Join) => !d.refuse_join,
            (FaultKind::DropSocket | FaultKind::DropMessage, RealtimePoint::Change) => {
                !d.drop_socket && !d.drop_message
            }
            (FaultKind::Latency, RealtimePoint::Change) => true,
            _ => false,
        };
        if !applies || !fires(rule, rng) {
            continue;
        }
        consume(rule);
        match rule.kind {
            FaultKind::RefuseJoin => d.refuse_join = true,
            FaultKind::DropSocket => d.drop_socket = true,
            FaultKind::DropMessage => d.drop_message = true,
            _ => latency = latency.saturating_add(rule.latency_ms.unwrap_or(0)),
        }
        if !d.labels.contains(&rule.kind.as_str()) {
            d.labels.push(rule.kind.as_str());
        }
    }
    cfg.rules.retain(|r| r.count != Some(0));
    d.latency = Duration::from_millis(latency.min(MAX_LATENCY_MS));
    d
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn counted_rules_fire_then_vanish() {
        let mut cfg = FaultConfig::none().with(FaultRule::drop_response().count(2));
        let mut rng = StdRng::seed_from_u64(1);
        assert!(!decide(&mut cfg, &mut rng, "GET", "/v1/status/source").drop);
        assert!(decide(&mut cfg, &mut rng, "POST", "/v1/executions/collection").drop);
        assert!(decide(&mut cfg, &mut rng, "POST", "/v1/executions/payout").drop);
        assert!(!decide(&mut cfg, &mut rng, "POST", "/v1/executions/payout").drop);
        assert!(cfg.rules.is_empty());
    }

    #[test]
    fn pre_fault_shadows_drop_without_consuming_it() {
        let mut cfg = FaultConfig::none()
            .with(FaultRule::rate_limit(0).count(1))
            .with(FaultRule::drop_response().count(1));
        let mut rng = StdRng::seed_from_u64(1);
        let d = decide(&mut cfg, &mut rng, "POST", "/v1/executions/collection");
        assert_eq!(d.pre, Some(PreFault::RateLimit(0)));
        assert!(!d.drop);
        assert_eq!(cfg.rules.len(), 1);
        assert!(decide(&mut cfg, &mut rng, "POST", "/v1/executions/collection").drop);
    }

    #[test]
    fn latency_adds_up_but_one_request_never_waits_more_than_the_bound() {
        let mut cfg = FaultConfig {
            latency_ms: MAX_LATENCY_MS,
            latency_jitter_ms: MAX_LATENCY_MS,
            rules: vec![
                FaultRule::latency(MAX_LATENCY_MS),
                FaultRule::latency(MAX_LATENCY_MS),
            ],
        };
        assert_eq!(cfg.problem(), None);
        let mut rng = StdRng::seed_from_u64(1);
        let d = decide(&mut cfg, &mut rng, "GET", "/v1/parties/list");
        assert_eq!(d.latency, Duration::from_millis(MAX_LATENCY_MS));
        // Set directly (bypassing the checks), the sum still saturates instead of overflowing.
        cfg.rules.push(FaultRule::latency(u64::MAX));
        let d = decide(&mut cfg, &mut rng, "GET", "/v1/parties/list");
        assert_eq!(d.latency, Duration::from_millis(MAX_LATENCY_MS));
        assert_eq!(
            cfg.problem().map(|p| p.field),
            Some("rules[2].latency_ms".to_owned())
        );
    }

    #[test]
    fn delay_commit_holds_execution_posts_only() {
        let mut cfg = FaultConfig::none().with(FaultRule::delay_commit(2).count(1));
        let mut rng = StdRng::seed_from_u64(1);
        let status = decide(&mut cfg, &mut rng, "GET", "/v1/status/payout/x");
        assert_eq!((status.hold, status.drop), (None, false));
        let post = decide(&mut cfg, &mut rng, "POST", "/v1/executions/payout");
        assert_eq!((post.hold, post.drop), (Some(2), true));
        assert_eq!(post.label().as_deref(), Some("delay_commit"));
        assert!(cfg.rules.is_empty());
    }

    #[test]
    fn realtime_rules_stay_out_of_http_and_http_rules_out_of_realtime() {
        let mut cfg = FaultConfig::none()
            .with(FaultRule::new(FaultKind::RefuseJoin).count(1))
            .with(FaultRule::new(FaultKind::DropSocket).count(1))
            .with(FaultRule::latency(30).scope(FaultScope::Realtime).count(1))
            .with(FaultRule::latency(5000));
        assert_eq!(cfg.problem(), None);
        let mut rng = StdRng::seed_from_u64(1);
        let http = decide(&mut cfg, &mut rng, "POST", "/v1/executions/collection");
        assert_eq!(
            (http.drop, http.latency),
            (false, Duration::from_millis(5000))
        );
        let join = decide_realtime(&mut cfg, &mut rng, RealtimePoint::Join);
        assert!(join.refuse_join && !join.drop_socket);
        let change = decide_realtime(&mut cfg, &mut rng, RealtimePoint::Change);
        assert!(change.drop_socket && !change.drop_message);
        assert_eq!(change.latency, Duration::from_millis(30));
        assert_eq!(cfg.rules.len(), 1);
        let bad = FaultRule::new(FaultKind::DropSocket).scope(FaultScope::V1);
        assert_eq!(bad.problem().map(|p| p.field), Some("scope".to_owned()));
        let bad = FaultRule::error(500).scope(FaultScope::Realtime);
        assert_eq!(bad.problem().map(|p| p.field), Some("scope".to_owned()));
    }

    #[test]
    fn scopes() {
        assert!(FaultScope::Token.matches("POST", "/v1/jwt/client/obtain/token"));
        assert!(!FaultScope::Executions.matches("GET", "/v1/executions/collection"));
        assert!(FaultScope::V1.matches("GET", "/v1/parties/list"));
        let parsed: FaultScope = serde_json::from_str("\"all\"").unwrap();
        assert_eq!(parsed, FaultScope::V1);
        assert!(FaultScope::Status.matches("GET", "/v1/status/collection/ref-1"));
        assert!(FaultScope::Status.matches("GET", "/v1/status/source"));
        assert!(!FaultScope::Status.matches("POST", "/v1/status/collection/ref-1"));
        assert!(!FaultScope::Status.matches("POST", "/v1/executions/collection"));
        assert!(!FaultScope::Status.matches("GET", "/v1/statuses"));
        let parsed: FaultScope = serde_json::from_str("\"status\"").unwrap();
        assert_eq!(parsed, FaultScope::Status);
    }
}
