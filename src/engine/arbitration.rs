//! Arbitration: the lead opens a decision over candidate artifacts (`team_merge`), the
//! team votes (`team_vote`), and the decision resolves exactly once under one of three
//! modes — `consensus`, `lead`, `strict_vote` — with the profile's fallbacks for ties,
//! missing quorum, failed consensus and timeouts.
//!
//! The rule itself is [`evaluate`], a pure function of a [`DecisionInput`] and a time. The
//! engine calls it inside the write transaction that records a vote (or a poll, or an
//! override), and the resolved event stores the input and the time, so a replay re-runs the
//! same function and must get the same answer. Nothing resolves in the background: a
//! decision is evaluated whenever someone votes or the lead polls it. The rules in prose,
//! with the outcome table, are in `docs/arbitration.md`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::artifacts::parse_ref;
use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{AgentId, DecisionId, TeamId};
use crate::policy::{ArbitrationMode, Fallback};
use crate::store::{
    self, AgentState, DecisionState, arbitration::DecisionRow, arbitration::VoteRow, now_ms,
};
use crate::{Caller, Engine};

/// Fewest and most candidates one decision may have.
pub const CANDIDATES_MIN: usize = 2;
pub const CANDIDATES_MAX: usize = 10;
/// Longest question and rationale accepted (bytes).
pub const QUESTION_MAX: usize = 500;
pub const RATIONALE_MAX: usize = 500;

/// How a decision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// consensus: every eligible voter chose the same candidate.
    Unanimous,
    /// consensus: the votes differ; strict_vote: a plurality without a strict majority.
    Split,
    /// strict_vote: quorum met and one candidate has more than half of the votes cast.
    Majority,
    /// strict_vote: the top candidates have the same number of votes.
    Tie,
    /// Too few votes: below quorum, no eligible voters, or (consensus) a voter stopped.
    NoQuorum,
    /// The deadline passed before the mode's rule could resolve.
    Timeout,
    /// lead: the lead's choice agrees with the workers' plurality, or nobody voted.
    Lead,
    /// lead: the lead's choice differs from the workers' plurality; any other mode: the
    /// lead overrode the open decision.
    LeadOverride,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Unanimous => "unanimous",
            Outcome::Split => "split",
            Outcome::Majority => "majority",
            Outcome::Tie => "tie",
            Outcome::NoQuorum => "no_quorum",
            Outcome::Timeout => "timeout",
            Outcome::Lead => "lead",
            Outcome::LeadOverride => "lead_override",
        }
    }
}

/// Whether a resolution has a winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Resolved,
    /// A `fail` fallback fired: no winner, the lead must act.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Resolved => "resolved",
            Status::Failed => "failed",
        }
    }

    /// The decision's state once resolved this way.
    pub fn stored(self) -> DecisionState {
        match self {
            Status::Resolved => DecisionState::Resolved,
            Status::Failed => DecisionState::Failed,
        }
    }
}

/// One counted vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub agent: String,
    pub choice: String,
}

/// Everything [`evaluate`] looks at; recorded in full with every resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionInput {
    pub mode: ArbitrationMode,
    /// Canonical refs, in the order the lead listed them.
    pub candidates: Vec<String>,
    /// Voter agent ids, fixed when the decision opened.
    pub eligible: Vec<String>,
    pub quorum: f64,
    pub on_tie: Fallback,
    pub on_no_quorum: Fallback,
    pub on_consensus_failure: Fallback,
    /// Unix ms after which the decision times out.
    pub deadline: i64,
    /// Eligible voters' votes (the lead's is `lead_choice`).
    pub votes: Vec<Ballot>,
    /// The lead's own vote, if cast.
    pub lead_choice: Option<String>,
    /// Set by the lead's `team_merge {decision_id, choice}`.
    #[serde(default)]
    pub lead_override: Option<String>,
    /// Eligible voters that stopped or died without voting: they never will.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// The result of a decision that can no longer change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub status: Status,
    pub outcome: Outcome,
    pub winner: Option<String>,
    pub reason: String,
}

/// Decides whether `input` is resolved at time `now` (unix ms), and how. Pure and
/// deterministic: `None` means "still open, wait for more votes or the deadline".
///
/// With zero eligible voters, `consensus` and `strict_vote` resolve at once as
/// `no_quorum` (through `on_no_quorum`); `lead` still waits for the lead's choice.
pub fn evaluate(input: &DecisionInput, now: i64) -> Option<Resolution> {
    // Only the first ballot of each eligible voter counts.
    let mut counted: Vec<&Ballot> = Vec::new();
    for b in &input.votes {
        if input.eligible.contains(&b.agent) && !counted.iter().any(|c| c.agent == b.agent) {
            counted.push(b);
        }
    }
    let eligible = input.eligible.len();
    let cast = counted.len();
    let absent = input
        .eligible
        .iter()
        .filter(|a| input.absent.contains(a) && !counted.iter().any(|b| &b.agent == *a))
        .count();
    // Everyone who still can vote has voted.
    let all_in = cast + absent >= eligible;
    let expired = now >= input.deadline;
    let tally = tally(&input.candidates, &counted);
    let top = tally.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let leaders: Vec<&str> = tally
        .iter()
        .filter(|(_, n)| *n == top && top > 0)
        .map(|(c, _)| c.as_str())
        .collect();
    let shown = show_tally(&tally);

    if input.mode == ArbitrationMode::Lead {
        let Some(choice) = input.lead_override.as_ref().or(input.lead_choice.as_ref()) else {
            return expired.then(|| {
                fall_back(
                    input,
                    Rule::NoQuorum,
                    Outcome::Timeout,
                    format!("the deadline passed before the lead chose (votes: {shown})"),
                )
            });
        };
        let (outcome, reason) = if cast == 0 {
            (Outcome::Lead, "the lead chose; no worker votes".to_string())
        } else if leaders.contains(&choice.as_str()) {
            (
                Outcome::Lead,
                format!("the lead's choice agrees with the workers' plurality ({shown})"),
            )
        } else {
            (
                Outcome::LeadOverride,
                format!("the lead's choice differs from the workers' plurality ({shown})"),
            )
        };
        return Some(resolved(outcome, Some(choice.clone()), reason));
    }

    if let Some(choice) = &input.lead_override {
        return Some(resolved(
            Outcome::LeadOverride,
            Some(choice.clone()),
            format!("the lead overrode the open decision (votes: {shown})"),
        ));
    }
    if eligible == 0 {
        return Some(fall_back(
            input,
            Rule::NoQuorum,
            Outcome::NoQuorum,
            "no eligible voters: the team had no live workers when the decision opened".into(),
        ));
    }

    match input.mode {
        ArbitrationMode::Consensus => {
            if tally.iter().filter(|(_, n)| *n > 0).count() > 1 {
                return Some(fall_back(
                    input,
                    Rule::ConsensusFailure,
                    Outcome::Split,
                    format!("consensus failed: the votes differ ({shown})"),
                ));
            }
            if cast == eligible {
                let winner = leaders.first().map(|c| c.to_string());
                return Some(resolved(
                    Outcome::Unanimous,
                    winner,
                    format!("all {eligible} eligible voters agree ({shown})"),
                ));
            }
            if all_in {
                return Some(fall_back(
                    input,
                    Rule::NoQuorum,
                    Outcome::NoQuorum,
                    format!(
                        "{absent} of {eligible} eligible voters stopped without voting; consensus needs all of them"
                    ),
                ));
            }
            expired.then(|| {
                fall_back(
                    input,
                    Rule::NoQuorum,
                    Outcome::Timeout,
                    format!("the deadline passed with {cast} of {eligible} votes in ({shown})"),
                )
            })
        }
        ArbitrationMode::StrictVote => {
            let need = quorum_needed(input.quorum, eligible);
            // More than half of all eligible voters: no later vote can change the winner.
            if cast >= need && 2 * top > eligible {
                return Some(majority(&leaders, top, cast, eligible));
            }
            if !(all_in || expired) {
                return None;
            }
            let when = if all_in {
                "every voter still able to vote has voted"
            } else {
                "the deadline passed"
            };
            if cast < need {
                return Some(fall_back(
                    input,
                    Rule::NoQuorum,
                    Outcome::NoQuorum,
                    format!(
                        "{when} with {cast} of {eligible} votes; quorum {} needs {need}",
                        input.quorum
                    ),
                ));
            }
            if 2 * top > cast {
                return Some(majority(&leaders, top, cast, eligible));
            }
            if leaders.len() > 1 {
                return Some(fall_back(
                    input,
                    Rule::Tie,
                    Outcome::Tie,
                    format!(
                        "{when}: tie between {} with {top} votes each ({shown})",
                        leaders.join(" and ")
                    ),
                ));
            }
            Some(fall_back(
                input,
                Rule::Tie,
                Outcome::Split,
                format!("{when}: no candidate has more than half of the {cast} votes ({shown})"),
            ))
        }
        ArbitrationMode::Lead => None, // handled above
    }
}

/// Votes per choice: the candidates in the lead's order, then any other choice seen.
fn tally(candidates: &[String], counted: &[&Ballot]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = candidates.iter().map(|c| (c.clone(), 0)).collect();
    for b in counted {
        match out.iter_mut().find(|(c, _)| *c == b.choice) {
            Some((_, n)) => *n += 1,
            None => out.push((b.choice.clone(), 1)),
        }
    }
    out
}

fn show_tally(tally: &[(String, usize)]) -> String {
    let voted: Vec<String> = tally
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c}={n}"))
        .collect();
    if voted.is_empty() {
        "none".into()
    } else {
        voted.join(", ")
    }
}

/// Votes needed for `quorum` of `eligible` voters: at least one, at most all.
fn quorum_needed(quorum: f64, eligible: usize) -> usize {
    // The epsilon keeps 0.6 * 5 at 3, not 4, whatever the float rounding.
    let raw = (quorum * eligible as f64 - 1e-9).ceil().max(1.0);
    (raw as usize).min(eligible)
}

fn majority(leaders: &[&str], top: usize, cast: usize, eligible: usize) -> Resolution {
    resolved(
        Outcome::Majority,
        leaders.first().map(|c| c.to_string()),
        format!("{top} of {cast} votes ({eligible} eligible) is a strict majority"),
    )
}

fn resolved(outcome: Outcome, winner: Option<String>, reason: String) -> Resolution {
    Resolution {
        status: Status::Resolved,
        outcome,
        winner,
        reason,
    }
}

/// The profile's fallback rules, each a field of [`DecisionInput`].
#[derive(Debug, Clone, Copy)]
enum Rule {
    NoQuorum,
    Tie,
    ConsensusFailure,
}

impl Rule {
    /// The profile key, as reasons name it.
    fn name(self) -> &'static str {
        match self {
            Rule::NoQuorum => "on_no_quorum",
            Rule::Tie => "on_tie",
            Rule::ConsensusFailure => "on_consensus_failure",
        }
    }

    /// What the decision's profile set for this rule.
    fn of(self, input: &DecisionInput) -> Fallback {
        match self {
            Rule::NoQuorum => input.on_no_quorum,
            Rule::Tie => input.on_tie,
            Rule::ConsensusFailure => input.on_consensus_failure,
        }
    }
}

/// Applies a profile fallback: `lead` picks the lead's vote (or, without one, the first
/// candidate), `fail` ends the decision without a winner.
fn fall_back(input: &DecisionInput, rule: Rule, outcome: Outcome, why: String) -> Resolution {
    let (fallback, rule) = (rule.of(input), rule.name());
    match fallback {
        Fallback::Lead => {
            let (winner, by) = match &input.lead_choice {
                Some(c) => (Some(c.clone()), "the lead's vote decides"),
                None => (
                    input.candidates.first().cloned(),
                    "no lead vote, so the first candidate wins",
                ),
            };
            resolved(outcome, winner, format!("{why}; {rule}=lead: {by}"))
        }
        Fallback::Fail => Resolution {
            status: Status::Failed,
            outcome,
            winner: None,
            reason: format!("{why}; {rule}=fail: no winner, the lead must decide what next"),
        },
    }
}

pub fn mode_str(mode: ArbitrationMode) -> &'static str {
    match mode {
        ArbitrationMode::Consensus => "consensus",
        ArbitrationMode::Lead => "lead",
        ArbitrationMode::StrictVote => "strict_vote",
    }
}

/// Parses an arbitration mode; `field` names the argument in the error.
pub fn parse_mode(field: &str, raw: &str) -> Result<ArbitrationMode> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "consensus" => Ok(ArbitrationMode::Consensus),
        "lead" => Ok(ArbitrationMode::Lead),
        "strict_vote" => Ok(ArbitrationMode::StrictVote),
        _ => Err(EngineError::invalid(
            field,
            format!("`{raw}` is not an arbitration mode; valid: consensus, lead, strict_vote"),
        )),
    }
}

fn fallback_str(f: Fallback) -> &'static str {
    match f {
        Fallback::Lead => "lead",
        Fallback::Fail => "fail",
    }
}

fn parse_fallback(raw: &str) -> Result<Fallback> {
    match raw {
        "lead" => Ok(Fallback::Lead),
        "fail" => Ok(Fallback::Fail),
        other => Err(EngineError::Integrity(format!(
            "stored arbitration fallback `{other}` is not lead or fail"
        ))),
    }
}

/// What `team_merge` and `team_vote` return.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DecisionView {
    pub decision_id: String,
    /// open | resolved | failed
    pub status: DecisionState,
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<String>,
    /// Votes cast by eligible voters (the lead's is not counted).
    pub votes: i64,
    pub eligible: i64,
    /// Eligible votes per candidate.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tally: BTreeMap<String, i64>,
    /// While open: time left before the decision times out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_in_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A decision as stored, with its JSON columns decoded.
struct Loaded {
    row: DecisionRow,
    votes: Vec<VoteRow>,
    candidates: Vec<String>,
    eligible: Vec<String>,
}

impl Loaded {
    fn read(conn: &crate::store::Connection, team: &TeamId, id: &DecisionId) -> Result<Loaded> {
        let row = store::arbitration::get(conn, id.as_str())?
            .filter(|d| d.team_id == team.as_str())
            .ok_or_else(|| {
                EngineError::not_found_hint(
                    "decision",
                    id.as_str(),
                    "use the decision_id team_merge returned",
                )
            })?;
        let decode = |what: &str, text: &str| {
            serde_json::from_str::<Vec<String>>(text).map_err(|e| {
                EngineError::Integrity(format!("decision {id} has unreadable {what}: {e}"))
            })
        };
        let candidates = decode("candidates", &row.candidates)?;
        let eligible = decode("eligible voters", &row.eligible)?;
        let votes = store::arbitration::votes(conn, id.as_str())?;
        Ok(Loaded {
            row,
            votes,
            candidates,
            eligible,
        })
    }

    fn is_open(&self) -> bool {
        self.row.status == DecisionState::Open
    }

    /// The pure function's input; `absent` needs the agents' states, read in `conn`.
    fn input(&self, conn: &crate::store::Connection) -> Result<DecisionInput> {
        let voted = |a: &str| self.votes.iter().any(|v| v.agent_id == a);
        let absent = store::teams::agents(conn, &self.row.team_id)?
            .into_iter()
            .filter(|a| matches!(a.state, AgentState::Stopped | AgentState::Dead))
            .map(|a| a.agent_id)
            .filter(|a| self.eligible.contains(a) && !voted(a))
            .collect();
        Ok(DecisionInput {
            mode: parse_mode("mode", &self.row.mode)
                .map_err(|e| EngineError::Integrity(e.to_string()))?,
            candidates: self.candidates.clone(),
            eligible: self.eligible.clone(),
            quorum: self.row.quorum,
            on_tie: parse_fallback(&self.row.on_tie)?,
            on_no_quorum: parse_fallback(&self.row.on_no_quorum)?,
            on_consensus_failure: parse_fallback(&self.row.on_consensus_failure)?,
            deadline: self.row.deadline,
            votes: self
                .votes
                .iter()
                .filter(|v| v.agent_id != self.row.opened_by)
                .map(|v| Ballot {
                    agent: v.agent_id.clone(),
                    choice: v.choice.clone(),
                })
                .collect(),
            lead_choice: self
                .votes
                .iter()
                .find(|v| v.agent_id == self.row.opened_by)
                .map(|v| v.choice.clone()),
            lead_override: self.row.override_choice.clone(),
            absent,
        })
    }

    fn view(&self, now: i64) -> DecisionView {
        let mut tally = BTreeMap::new();
        for v in self
            .votes
            .iter()
            .filter(|v| self.eligible.contains(&v.agent_id))
        {
            *tally.entry(v.choice.clone()).or_insert(0) += 1;
        }
        DecisionView {
            decision_id: self.row.decision_id.clone(),
            status: self.row.status,
            mode: self.row.mode.clone(),
            outcome: self.row.outcome.clone(),
            winner: self.row.winner.clone(),
            votes: tally.values().sum(),
            eligible: self.eligible.len() as i64,
            tally,
            closes_in_ms: self.is_open().then(|| (self.row.deadline - now).max(0)),
            reason: self.row.reason.clone(),
        }
    }

    /// A candidate named by `raw`: a full ref, or a bare name when only one version of it
    /// is a candidate.
    fn candidate(&self, field: &str, raw: &str) -> Result<String> {
        let wanted = parse_ref(field, raw)?;
        let matches: Vec<&String> = self
            .candidates
            .iter()
            .filter(|c| match (parse_ref(field, c), wanted.version) {
                (Ok(c), Some(v)) => c.name == wanted.name && c.version == Some(v),
                (Ok(c), None) => c.name == wanted.name,
                (Err(_), _) => false,
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(EngineError::invalid(
                field,
                format!(
                    "`{}` is not one of the candidates of {}; choose one of: {}",
                    raw.trim(),
                    self.row.decision_id,
                    self.candidates.join(", ")
                ),
            )),
        }
    }

    /// Evaluates an open decision at `now` and, if its rule is satisfied, writes the
    /// resolution and its event in `tx`. Returns whether this call resolved it. Runs inside
    /// a `BEGIN IMMEDIATE` transaction, so of several processes evaluating at once exactly
    /// one resolves; the others then see it closed.
    fn settle(
        &mut self,
        tx: &crate::store::Transaction<'_>,
        caller: &Caller,
        now: i64,
    ) -> Result<bool> {
        if !self.is_open() {
            return Ok(false);
        }
        let input = self.input(tx)?;
        let Some(res) = evaluate(&input, now) else {
            return Ok(false);
        };
        let written = store::arbitration::resolve(
            tx,
            &self.row.decision_id,
            &store::arbitration::Resolved {
                status: res.status.stored(),
                outcome: res.outcome.as_str(),
                winner: res.winner.as_deref(),
                reason: &res.reason,
                now,
            },
        )?;
        if !written {
            return Ok(false);
        }
        let votes: Vec<_> = self
            .votes
            .iter()
            .map(|v| {
                json!({
                    "agent": v.agent_id,
                    "choice": v.choice,
                    "rationale": v.rationale,
                    "lead": v.agent_id == self.row.opened_by,
                })
            })
            .collect();
        events::record(
            tx,
            &Trace::team(&caller.team_id).agent(&caller.agent_id),
            "decision.resolved",
            json!({
                "decision_id": self.row.decision_id,
                "status": res.status,
                "outcome": res.outcome,
                "winner": res.winner,
                "reason": res.reason,
                "votes": votes,
                "input": input,
                "at": now,
            }),
        )?;
        self.row.status = res.status.stored();
        self.row.outcome = Some(res.outcome.as_str().to_string());
        self.row.winner = res.winner;
        self.row.reason = Some(res.reason);
        self.row.resolved_at = Some(now);
        Ok(true)
    }
}

/// The conflict for acting on a closed decision: says how it ended (`when` is "already"
/// or "just") and carries its state as details.
fn closed(loaded: &Loaded, now: i64, when: &str, tail: &str) -> EngineError {
    let view = loaded.view(now);
    let winner = view
        .winner
        .as_deref()
        .map(|w| format!(", winner {w}"))
        .unwrap_or_default();
    EngineError::conflict(
        format!(
            "decision {} is {when} {} ({}{winner}); {tail}",
            view.decision_id,
            view.status,
            view.outcome.as_deref().unwrap_or("")
        ),
        serde_json::to_value(&view).unwrap_or_default(),
    )
}

/// What the vote transaction ended with.
enum VoteTx {
    Counted(DecisionView, bool),
    /// The decision was due (deadline) before this vote; it resolved without it.
    TooLate(EngineError),
}

/// `team_merge`'s arguments: one request, three forms (see [`Engine::decision_merge`]).
#[derive(Debug, Default)]
pub struct Merge<'a> {
    pub candidates: &'a [String],
    pub mode: Option<&'a str>,
    pub question: Option<&'a str>,
    pub decision_id: Option<&'a str>,
    pub choice: Option<&'a str>,
}

impl Engine {
    /// `team_merge` is three calls in one: open (`candidates`), poll (`decision_id`), and
    /// override (`decision_id` + `choice`). Arguments that belong to another form are
    /// refused, naming the field.
    pub fn decision_merge(&self, caller: &Caller, m: &Merge<'_>) -> Result<DecisionView> {
        let Some(raw) = m.decision_id else {
            if m.choice.is_some() {
                return Err(EngineError::invalid(
                    "choice",
                    "only with decision_id (to override an open decision)",
                ));
            }
            return self.decision_open(caller, m.candidates, m.mode, m.question);
        };
        let id = DecisionId::parse("decision_id", raw)?;
        for (field, given) in [
            ("candidates", !m.candidates.is_empty()),
            ("mode", m.mode.is_some()),
            ("question", m.question.is_some()),
        ] {
            if given {
                return Err(EngineError::invalid(
                    field,
                    "only when opening a decision; with decision_id pass at most `choice`",
                ));
            }
        }
        match m.choice {
            Some(choice) => self.decision_override(caller, &id, choice),
            None => self.decision_state(caller, &id),
        }
    }

    /// Opens a decision over 2 to 10 candidate artifacts of the caller's team (lead only).
    /// The eligible voters are the team's live workers at this moment.
    pub fn decision_open(
        &self,
        caller: &Caller,
        candidates: &[String],
        mode: Option<&str>,
        question: Option<&str>,
    ) -> Result<DecisionView> {
        caller.require_lead("team_merge")?;
        self.check_live(caller)?;
        if !(CANDIDATES_MIN..=CANDIDATES_MAX).contains(&candidates.len()) {
            return Err(EngineError::invalid(
                "candidates",
                format!(
                    "{} given; a decision needs {CANDIDATES_MIN} to {CANDIDATES_MAX} artifact refs (art:<name>@<version>)",
                    candidates.len()
                ),
            ));
        }
        let mut refs: Vec<String> = Vec::with_capacity(candidates.len());
        for (i, raw) in candidates.iter().enumerate() {
            let field = format!("candidates[{i}]");
            let canonical = self.resolve_ref_for_team(&caller.team_id, raw, &field)?;
            if refs.contains(&canonical) {
                return Err(EngineError::invalid(
                    field,
                    format!("`{}` is listed twice (as {canonical})", raw.trim()),
                ));
            }
            refs.push(canonical);
        }
        let profile = self.team_profile(&caller.team_id)?;
        let rules = &profile.arbitration;
        let mode = match mode.filter(|m| !m.trim().is_empty()) {
            Some(m) => parse_mode("mode", m)?,
            None => rules.mode,
        };
        let question = question.map(str::trim).filter(|q| !q.is_empty());
        if let Some(q) = question
            && q.len() > QUESTION_MAX
        {
            return Err(EngineError::invalid(
                "question",
                format!(
                    "{} bytes is over the {QUESTION_MAX}-byte limit; put context in an artifact",
                    q.len()
                ),
            ));
        }
        let candidates_json = json!(refs).to_string();
        let id = DecisionId::generate();
        let now = now_ms();
        let deadline = now + rules.timeout_ms;
        let (view, resolved) = self.store().write(|tx| -> Result<_> {
            let mut eligible: Vec<String> = store::teams::agents(tx, caller.team_id.as_str())?
                .into_iter()
                .filter(|a| a.is_live_worker())
                .map(|a| a.agent_id)
                .collect();
            eligible.sort();
            store::arbitration::insert(
                tx,
                &store::arbitration::NewDecision {
                    decision_id: id.as_str(),
                    team_id: caller.team_id.as_str(),
                    question,
                    mode: mode_str(mode),
                    candidates: &candidates_json,
                    eligible: &json!(eligible).to_string(),
                    quorum: rules.quorum,
                    on_tie: fallback_str(rules.on_tie),
                    on_no_quorum: fallback_str(rules.on_no_quorum),
                    on_consensus_failure: fallback_str(rules.on_consensus_failure),
                    opened_by: caller.agent_id.as_str(),
                    now,
                    deadline,
                },
            )?;
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id),
                "decision.opened",
                json!({
                    "decision_id": id,
                    "question": question,
                    "mode": mode,
                    "candidates": refs,
                    "eligible": eligible,
                    "quorum": rules.quorum,
                    "on_tie": rules.on_tie,
                    "on_no_quorum": rules.on_no_quorum,
                    "on_consensus_failure": rules.on_consensus_failure,
                    "timeout_ms": rules.timeout_ms,
                    "deadline": deadline,
                }),
            )?;
            // With no eligible voters a consensus or strict vote resolves right away.
            let mut loaded = Loaded::read(tx, &caller.team_id, &id)?;
            let resolved = loaded.settle(tx, caller, now)?;
            Ok((loaded.view(now), resolved))
        })?;
        self.after_resolution(&caller.team_id, resolved)?;
        Ok(view)
    }

    /// A decision's state. An open decision whose rule is now satisfied (usually: its
    /// deadline passed) is resolved by this call.
    pub fn decision_state(&self, caller: &Caller, id: &DecisionId) -> Result<DecisionView> {
        let now = now_ms();
        let (loaded, due) = self.store().read(|c| -> Result<_> {
            let loaded = Loaded::read(c, &caller.team_id, id)?;
            let due = loaded.is_open() && evaluate(&loaded.input(c)?, now).is_some();
            Ok((loaded, due))
        })?;
        if !due {
            return Ok(loaded.view(now));
        }
        self.settle_after(caller, id, now, |_, _| Ok(()))
    }

    /// The lead settles an open decision with `choice`: `lead_override` in `consensus` and
    /// `strict_vote`; in `lead` mode it is the lead's choice like a vote.
    pub fn decision_override(
        &self,
        caller: &Caller,
        id: &DecisionId,
        choice: &str,
    ) -> Result<DecisionView> {
        caller.require_lead("team_merge")?;
        self.check_live(caller)?;
        let now = now_ms();
        self.settle_after(caller, id, now, |tx, loaded| {
            if !loaded.is_open() {
                return Err(closed(loaded, now, "already", "it cannot be overridden"));
            }
            let choice = loaded.candidate("choice", choice)?;
            store::arbitration::set_override(tx, id.as_str(), &choice)?;
            loaded.row.override_choice = Some(choice);
            Ok(())
        })
    }

    /// In one write: reads decision `id`, lets `change` act on it (or refuse), and settles
    /// it when its rule is now met; returns its view. A resolution then runs the early stop
    /// ([`Self::after_resolution`]).
    fn settle_after(
        &self,
        caller: &Caller,
        id: &DecisionId,
        now: i64,
        mut change: impl FnMut(&crate::store::Transaction<'_>, &mut Loaded) -> Result<()>,
    ) -> Result<DecisionView> {
        let (view, resolved) = self.store().write(|tx| -> Result<_> {
            let mut loaded = Loaded::read(tx, &caller.team_id, id)?;
            change(tx, &mut loaded)?;
            let resolved = loaded.settle(tx, caller, now)?;
            Ok((loaded.view(now), resolved))
        })?;
        self.after_resolution(&caller.team_id, resolved)?;
        Ok(view)
    }

    /// Records the caller's vote on an open decision, then evaluates it. Only the workers
    /// that were live when it opened, and the lead, may vote; once each.
    pub fn decision_vote(
        &self,
        caller: &Caller,
        id: &DecisionId,
        choice: &str,
        rationale: &str,
    ) -> Result<DecisionView> {
        self.check_live(caller)?;
        let rationale = rationale.trim();
        if rationale.is_empty() {
            return Err(EngineError::invalid(
                "rationale",
                "empty; say in a sentence why this candidate",
            ));
        }
        if rationale.len() > RATIONALE_MAX {
            return Err(EngineError::invalid(
                "rationale",
                format!(
                    "{} bytes is over the {RATIONALE_MAX}-byte limit; keep it to a sentence or two",
                    rationale.len()
                ),
            ));
        }
        let now = now_ms();
        let outcome = self.store().write(|tx| {
            let mut loaded = Loaded::read(tx, &caller.team_id, id)?;
            if !loaded.is_open() {
                return Err(closed(&loaded, now, "already", "votes are closed"));
            }
            let agent = caller.agent_id.as_str();
            let is_lead = agent == loaded.row.opened_by;
            if !is_lead && !loaded.eligible.iter().any(|a| a == agent) {
                return Err(EngineError::Forbidden(format!(
                    "agent {agent} may not vote on {id}: only the {} workers live when it opened, and the lead, vote",
                    loaded.eligible.len()
                )));
            }
            let choice = loaded.candidate("choice", choice)?;
            if let Some(prev) = loaded.votes.iter().find(|v| v.agent_id == agent) {
                return Err(EngineError::conflict(
                    format!(
                        "agent {agent} already voted {} on {id}; one vote per agent",
                        prev.choice
                    ),
                    json!({ "decision_id": id, "choice": prev.choice }),
                ));
            }
            // A vote that arrives after the deadline does not count: settle first.
            if loaded.settle(tx, caller, now)? {
                return Ok(VoteTx::TooLate(closed(
                    &loaded,
                    now,
                    "just",
                    "it closed before this vote arrived, which was not counted",
                )));
            }
            store::arbitration::insert_vote(
                tx,
                &store::arbitration::NewVote {
                    decision_id: id.as_str(),
                    agent_id: agent,
                    team_id: caller.team_id.as_str(),
                    choice: &choice,
                    rationale,
                    now,
                },
            )?;
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id),
                "decision.voted",
                json!({
                    "decision_id": id,
                    "agent": agent,
                    "choice": choice,
                    "rationale": rationale,
                    "lead": is_lead,
                }),
            )?;
            loaded.votes.push(VoteRow {
                agent_id: agent.to_string(),
                choice,
                rationale: rationale.to_string(),
                created_at: now,
            });
            let resolved = loaded.settle(tx, caller, now)?;
            Ok(VoteTx::Counted(loaded.view(now), resolved))
        })?;
        match outcome {
            VoteTx::Counted(view, resolved) => {
                self.after_resolution(&caller.team_id, resolved)?;
                Ok(view)
            }
            VoteTx::TooLate(err) => {
                self.after_resolution(&caller.team_id, true)?;
                Err(err)
            }
        }
    }

    /// Runs after a resolution commits: with the profile's `early_stop.decision_reached`,
    /// stops the team's remaining live workers.
    fn after_resolution(&self, team: &TeamId, resolved: bool) -> Result<()> {
        if !resolved || !self.team_profile(team)?.early_stop.decision_reached {
            return Ok(());
        }
        let agents = self
            .store()
            .read(|c| store::teams::agents(c, team.as_str()))?;
        // The same stop as every other early stop: recorded before the signal, an event,
        // and a word to the lead.
        for agent in &agents {
            let id = AgentId::from_db(agent.agent_id.clone());
            self.stop_worker(team, &id, "decision reached", "guardrail.early_stop")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "arbitration_tests.rs"]
mod tests;
