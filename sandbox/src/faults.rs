//! Fault injection: lost responses, 5xx, 429 and latency, by probability or by count.

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
}

impl FaultKind {
    /// The snake_case name (as in the request log).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::DropResponse => "drop_response",
            FaultKind::Error => "error",
            FaultKind::RateLimit => "rate_limit",
            FaultKind::Latency => "latency",
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
}

impl FaultScope {
    /// Whether a request falls in this scope.
    pub fn matches(self, method: &str, path: &str) -> bool {
        match self {
            FaultScope::Executions => method == "POST" && path.starts_with("/v1/executions/"),
            FaultScope::V1 => path.starts_with("/v1/"),
            FaultScope::Token => path == "/v1/jwt/client/obtain/token",
            FaultScope::Status => method == "GET" && path.starts_with("/v1/status/"),
        }
    }
}

/// One fault rule. With `count` it fires on the next `count` matching requests;
/// with `probability` it fires on each matching request with that probability
/// (both: with that probability, at most `count` times); with neither it fires
/// on every matching request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Delay for `latency` in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
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
            FaultKind::DropResponse => FaultScope::Executions,
            _ => FaultScope::V1,
        })
    }

    /// Checks the rule's values; returns a message on error.
    pub fn check(&self) -> Result<(), String> {
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) || p.is_nan() {
                return Err(format!("probability must be within [0, 1], got {p}"));
            }
        }
        if let Some(s) = self.status {
            if !(500..=599).contains(&s) {
                return Err(format!("status must be a 5xx code, got {s}"));
            }
        }
        if self.kind == FaultKind::Latency && self.latency_ms.is_none() {
            return Err("a latency rule needs latency_ms".to_owned());
        }
        Ok(())
    }
}

/// The whole fault configuration (`GET/PUT /_sandbox/faults`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultConfig {
    /// Fixed latency added to every `/v1` request, in ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// Random extra latency in `[0, latency_jitter_ms]` (seeded RNG).
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

    /// Checks every rule.
    pub fn check(&self) -> Result<(), String> {
        for (i, r) in self.rules.iter().enumerate() {
            r.check().map_err(|m| format!("rules[{i}]: {m}"))?;
        }
        Ok(())
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
        latency += rng.random_range(0..=cfg.latency_jitter_ms);
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
                    latency += rule.latency_ms.unwrap_or(0);
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
            FaultKind::DropResponse => {}
        }
    }
    if d.pre.is_none() {
        for rule in cfg.rules.iter_mut() {
            if rule.kind == FaultKind::DropResponse
                && rule.effective_scope().matches(method, path)
                && fires(rule, rng)
            {
                consume(rule);
                d.drop = true;
                d.labels.push("drop_response");
                break;
            }
        }
    }
    cfg.rules.retain(|r| r.count != Some(0));
    d.latency = Duration::from_millis(latency);
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
