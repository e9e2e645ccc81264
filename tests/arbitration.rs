//! Arbitration across processes: the lead and every voter are separate
//! `codex-teams serve-mcp` processes sharing one database, driven over real stdio. Every
//! outcome — unanimous, split (lead and fail fallbacks), majority, tie, no quorum, timeout,
//! lead and lead override — is reached through `team_merge`/`team_vote` and must be
//! recorded once in the event log with the votes, their rationales and the inputs a replay
//! needs to re-run the decision rule.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use codex_teams::engine::arbitration::{DecisionInput, Resolution, evaluate};
use codex_teams::mcp::client::StdioClient;
use common::home::TempHome;
use common::rpc::{err, ok};
use common::text;
use serde_json::{Value, json};

/// The team's decision events, oldest first, as (kind, agent_id, data).
fn decision_events(db: &Path, team_id: &str) -> Vec<(String, Option<String>, Value)> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT kind, agent_id, data FROM events
             WHERE team_id = ?1 AND kind LIKE 'decision.%' ORDER BY seq",
        )
        .expect("prepare");
    stmt.query_map([team_id], |r| {
        let data: String = r.get(2)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            serde_json::from_str(&data).expect("event JSON"),
        ))
    })
    .expect("query")
    .collect::<Result<Vec<_>, _>>()
    .expect("rows")
}

/// A started team: its lead, its workers (each its own process) and candidate artifacts.
struct Team {
    fx: TempHome,
    team_id: String,
    lead_id: String,
    lead: StdioClient,
    workers: Vec<(String, StdioClient)>,
    refs: Vec<String>,
}

impl Team {
    fn start(fx: TempHome, profile: &str, workers: usize, candidates: usize) -> Team {
        let mut lead = fx.lead();
        let started = ok(
            &mut lead,
            "team_start",
            json!({ "goal": "pick the best patch", "profile": profile }),
        );
        let mut spawned = Vec::new();
        for _ in 0..workers {
            spawned.push(ok(
                &mut lead,
                "team_spawn",
                json!({ "role": "reviewer", "justification": "every reviewer votes", "runner": "external" }),
            ));
        }
        let workers = spawned
            .iter()
            .map(|s| (text(&s["agent_id"]), fx.worker(s)))
            .collect();
        let refs = (0..candidates)
            .map(|i| {
                let published = ok(
                    &mut lead,
                    "artifact_publish",
                    json!({ "name": format!("patch-{i}"), "content": format!("candidate {i}") }),
                );
                text(&published["ref"])
            })
            .collect();
        Team {
            team_id: text(&started["team_id"]),
            lead_id: text(&started["agent_id"]),
            fx,
            lead,
            workers,
            refs,
        }
    }

    fn open(&mut self, args: Value) -> Value {
        ok(&mut self.lead, "team_merge", args)
    }

    fn vote(&mut self, worker: usize, decision: &Value, choice: &str, why: &str) -> Value {
        let (_, client) = &mut self.workers[worker];
        ok(client, "team_vote", vote_args(decision, choice, why))
    }

    fn lead_vote(&mut self, decision: &Value, choice: &str, why: &str) -> Value {
        ok(
            &mut self.lead,
            "team_vote",
            vote_args(decision, choice, why),
        )
    }

    /// Polls `team_merge {decision_id}` until the decision is no longer open.
    fn poll_until_closed(&mut self, decision: &Value) -> Value {
        let started = Instant::now();
        loop {
            let state = self.open(json!({ "decision_id": decision["decision_id"] }));
            if state["status"] != "open" {
                return state;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "decision never closed: {state}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The one `decision.resolved` event of `decision`, checked against the tool result
    /// and re-run through the pure rule from its recorded input.
    fn resolved_event(&self, decision: &Value, result: &Value) -> Value {
        let id = &decision["decision_id"];
        let events = decision_events(&self.fx.db, &self.team_id);
        let resolved: Vec<&Value> = events
            .iter()
            .filter(|(kind, _, data)| kind == "decision.resolved" && data["decision_id"] == *id)
            .map(|(_, _, data)| data)
            .collect();
        assert_eq!(
            resolved.len(),
            1,
            "exactly one resolution of {id}: {events:?}"
        );
        let event = resolved[0].clone();
        assert_eq!(event["status"], result["status"], "{event}");
        assert_eq!(event["outcome"], result["outcome"], "{event}");
        assert_eq!(event["winner"], result["winner"].clone(), "{event}");
        let input: DecisionInput =
            serde_json::from_value(event["input"].clone()).expect("recorded input");
        let at = event["at"].as_i64().expect("recorded time");
        let replayed: Resolution = evaluate(&input, at).expect("the recorded input resolves");
        assert_eq!(json!(replayed.status), event["status"]);
        assert_eq!(json!(replayed.outcome), event["outcome"]);
        assert_eq!(json!(replayed.winner), event["winner"]);
        assert_eq!(json!(replayed.reason), event["reason"]);
        let opened = events
            .iter()
            .filter(|(kind, _, data)| kind == "decision.opened" && data["decision_id"] == *id)
            .count();
        assert_eq!(opened, 1, "one decision.opened event");
        event
    }

    /// Asserts the resolved event lists exactly these votes, with their rationales.
    fn assert_votes(&self, event: &Value, expected: &[(&str, &str, &str)]) {
        let votes = event["votes"].as_array().expect("votes array");
        assert_eq!(votes.len(), expected.len(), "{event}");
        for (agent, choice, why) in expected {
            assert!(
                votes.iter().any(|v| v["agent"] == *agent
                    && v["choice"] == *choice
                    && v["rationale"] == *why),
                "vote ({agent}, {choice}, {why}) missing from {event}"
            );
        }
        for (kind, agent, data) in decision_events(&self.fx.db, &self.team_id) {
            if kind == "decision.voted" && data["decision_id"] == event["decision_id"] {
                assert_eq!(
                    agent.as_deref(),
                    data["agent"].as_str(),
                    "voter is the trace agent"
                );
                assert!(data["rationale"].as_str().is_some_and(|r| !r.is_empty()));
            }
        }
    }

    fn worker_id(&self, i: usize) -> String {
        self.workers[i].0.clone()
    }
}

fn vote_args(decision: &Value, choice: &str, why: &str) -> Value {
    json!({ "decision_id": decision["decision_id"], "choice": choice, "rationale": why })
}

#[test]
fn consensus_of_every_worker_is_unanimous() {
    let mut t = Team::start(TempHome::new(), "default", 3, 2);
    let a = t.refs[0].clone();
    let d = t.open(json!({ "candidates": t.refs, "question": "which patch?" }));
    assert_eq!(d["status"], "open");
    assert_eq!(d["mode"], "consensus");
    assert_eq!(d["eligible"], 3);
    t.vote(0, &d, &a, "smallest diff");
    let second = t.vote(1, &d, &a, "tests pass");
    assert_eq!(second["status"], "open", "consensus waits for every voter");
    assert_eq!(second["votes"], 2);
    let last = t.vote(2, &d, &a, "clearest code");
    assert_eq!(last["status"], "resolved");
    assert_eq!(last["outcome"], "unanimous");
    assert_eq!(last["winner"], a.as_str());
    let event = t.resolved_event(&d, &last);
    let (w0, w1, w2) = (t.worker_id(0), t.worker_id(1), t.worker_id(2));
    t.assert_votes(
        &event,
        &[
            (&w0, &a, "smallest diff"),
            (&w1, &a, "tests pass"),
            (&w2, &a, "clearest code"),
        ],
    );
}

#[test]
fn split_consensus_falls_back_to_the_lead_vote() {
    let mut t = Team::start(TempHome::new(), "default", 2, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());
    let d = t.open(json!({ "candidates": t.refs }));
    let lead = t.lead_vote(&d, &b, "b handles the edge case");
    assert_eq!(
        lead["status"], "open",
        "the lead's vote is not an eligible vote"
    );
    assert_eq!(lead["votes"], 0);
    t.vote(0, &d, &a, "a is shorter");
    let last = t.vote(1, &d, &b, "b is safer");
    assert_eq!(last["status"], "resolved");
    assert_eq!(last["outcome"], "split");
    assert_eq!(last["winner"], b.as_str());
    assert!(
        text(&last["reason"]).contains("on_consensus_failure=lead"),
        "{last}"
    );
    let event = t.resolved_event(&d, &last);
    let (lead_id, w0, w1) = (t.lead_id.clone(), t.worker_id(0), t.worker_id(1));
    t.assert_votes(
        &event,
        &[
            (&lead_id, &b, "b handles the edge case"),
            (&w0, &a, "a is shorter"),
            (&w1, &b, "b is safer"),
        ],
    );
}

#[test]
fn split_consensus_fails_when_the_profile_says_fail() {
    let fx = TempHome::new();
    fx.profile("splitfail", &[("on_consensus_failure", "fail")]);
    let mut t = Team::start(fx, "splitfail", 3, 3);
    let (a, c) = (t.refs[0].clone(), t.refs[2].clone());
    let d = t.open(json!({ "candidates": t.refs, "mode": "consensus" }));
    t.vote(0, &d, &a, "a first");
    let split = t.vote(1, &d, &c, "c instead");
    assert_eq!(
        split["status"], "failed",
        "a split resolves without the third vote"
    );
    assert_eq!(split["outcome"], "split");
    assert!(split.get("winner").is_none(), "{split}");
    let late = err(
        &mut t.workers[2].1,
        "team_vote",
        vote_args(&d, &a, "too late"),
    );
    assert_eq!(late["error"], "conflict", "{late}");
    let event = t.resolved_event(&d, &split);
    let (w0, w1) = (t.worker_id(0), t.worker_id(1));
    t.assert_votes(&event, &[(&w0, &a, "a first"), (&w1, &c, "c instead")]);
}

#[test]
fn strict_majority_resolves_before_the_last_vote() {
    let mut t = Team::start(TempHome::new(), "default", 3, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());
    let d = t.open(json!({ "candidates": t.refs, "mode": "strict_vote" }));
    t.vote(0, &d, &b, "b is faster");
    let second = t.vote(1, &d, &b, "b has tests");
    assert_eq!(second["status"], "resolved");
    assert_eq!(second["outcome"], "majority");
    assert_eq!(second["winner"], b.as_str());
    let event = t.resolved_event(&d, &second);
    let (w0, w1) = (t.worker_id(0), t.worker_id(1));
    t.assert_votes(
        &event,
        &[(&w0, &b, "b is faster"), (&w1, &b, "b has tests")],
    );
    let late = err(&mut t.workers[2].1, "team_vote", vote_args(&d, &a, "a"));
    assert_eq!(late["error"], "conflict", "{late}");
}

#[test]
fn strict_vote_tie_resolves_as_the_profile_says() {
    let mut t = Team::start(TempHome::new(), "default", 2, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());
    let d = t.open(json!({ "candidates": t.refs, "mode": "strict_vote" }));
    t.lead_vote(&d, &a, "a matches the spec");
    t.vote(0, &d, &a, "a reads better");
    let tie = t.vote(1, &d, &b, "b is faster");
    assert_eq!(tie["status"], "resolved");
    assert_eq!(tie["outcome"], "tie");
    assert_eq!(tie["winner"], a.as_str(), "on_tie: lead -> the lead's vote");
    let event = t.resolved_event(&d, &tie);
    let (lead_id, w0, w1) = (t.lead_id.clone(), t.worker_id(0), t.worker_id(1));
    t.assert_votes(
        &event,
        &[
            (&lead_id, &a, "a matches the spec"),
            (&w0, &a, "a reads better"),
            (&w1, &b, "b is faster"),
        ],
    );
}

#[test]
fn missing_quorum_fails_at_the_deadline() {
    let fx = TempHome::new();
    fx.profile(
        "quorum",
        &[
            ("mode", "strict_vote"),
            ("quorum", "0.6"),
            ("on_no_quorum", "fail"),
            ("timeout_ms", "1500"),
        ],
    );
    let mut t = Team::start(fx, "quorum", 3, 2);
    let a = t.refs[0].clone();
    let d = t.open(json!({ "candidates": t.refs }));
    assert_eq!(d["mode"], "strict_vote");
    t.vote(0, &d, &a, "a only");
    let state = t.poll_until_closed(&d);
    assert_eq!(state["status"], "failed");
    assert_eq!(state["outcome"], "no_quorum");
    assert!(
        text(&state["reason"]).contains("quorum 0.6 needs 2"),
        "{state}"
    );
    let event = t.resolved_event(&d, &state);
    let w0 = t.worker_id(0);
    t.assert_votes(&event, &[(&w0, &a, "a only")]);
}

#[test]
fn consensus_times_out_to_the_lead_fallback_and_refuses_late_votes() {
    let fx = TempHome::new();
    fx.profile("quick", &[("timeout_ms", "1500")]);
    let mut t = Team::start(fx, "quick", 2, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());
    let d = t.open(json!({ "candidates": t.refs }));
    t.vote(0, &d, &b, "b it is");
    let state = t.poll_until_closed(&d);
    assert_eq!(state["status"], "resolved");
    assert_eq!(state["outcome"], "timeout");
    assert_eq!(
        state["winner"],
        a.as_str(),
        "no lead vote: the first candidate"
    );
    let late = err(&mut t.workers[1].1, "team_vote", vote_args(&d, &b, "late"));
    assert_eq!(late["error"], "conflict", "{late}");
    let event = t.resolved_event(&d, &state);
    let w0 = t.worker_id(0);
    t.assert_votes(&event, &[(&w0, &b, "b it is")]);
}

#[test]
fn processes_racing_at_the_deadline_resolve_the_decision_once() {
    let fx = TempHome::new();
    fx.profile("quick", &[("timeout_ms", "1000")]);
    let mut t = Team::start(fx, "quick", 3, 2);
    let a = t.refs[0].clone();
    let d = t.open(json!({ "candidates": t.refs }));
    let left = d["closes_in_ms"].as_u64().expect("closes_in_ms while open");
    // Nobody evaluates the decision in the meantime, so it is still open in the store.
    std::thread::sleep(Duration::from_millis(left + 50));
    let id = d["decision_id"].clone();
    let results: Vec<Result<Value, Value>> = std::thread::scope(|s| {
        let lead = &mut t.lead;
        let mut handles = vec![s.spawn(move || {
            lead.call("team_merge", json!({ "decision_id": id }))
                .expect("transport")
        })];
        for (_, w) in t.workers.iter_mut() {
            let args = vote_args(&d, &a, "racing the deadline");
            handles.push(s.spawn(move || w.call("team_vote", args).expect("transport")));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for r in &results[1..] {
        let e = r
            .as_ref()
            .expect_err("votes after the deadline are refused");
        assert_eq!(e["error"], "conflict", "{e}");
    }
    let state = t.open(json!({ "decision_id": d["decision_id"] }));
    assert_eq!(state["outcome"], "timeout");
    assert_eq!(state["votes"], 0);
    let event = t.resolved_event(&d, &state);
    t.assert_votes(&event, &[]);
}

#[test]
fn lead_override_settles_an_open_decision() {
    let mut t = Team::start(TempHome::new(), "default", 2, 3);
    let (a, c) = (t.refs[0].clone(), t.refs[2].clone());
    let d = t.open(json!({ "candidates": t.refs, "mode": "strict_vote" }));
    t.vote(0, &d, &a, "a looks fine");
    // A bare name picks the one candidate version of it.
    let bare = c
        .trim_start_matches("art:")
        .split('@')
        .next()
        .expect("name");
    let overridden = t.open(json!({ "decision_id": d["decision_id"], "choice": bare }));
    assert_eq!(overridden["status"], "resolved");
    assert_eq!(overridden["outcome"], "lead_override");
    assert_eq!(overridden["winner"], c.as_str());
    let again = err(
        &mut t.lead,
        "team_merge",
        json!({ "decision_id": d["decision_id"], "choice": a }),
    );
    assert_eq!(again["error"], "conflict", "{again}");
    let late = err(&mut t.workers[1].1, "team_vote", vote_args(&d, &a, "late"));
    assert_eq!(late["error"], "conflict", "{late}");
    let event = t.resolved_event(&d, &overridden);
    assert_eq!(event["input"]["lead_override"], c.as_str());
    let w0 = t.worker_id(0);
    t.assert_votes(&event, &[(&w0, &a, "a looks fine")]);
}

#[test]
fn lead_mode_is_lead_when_it_agrees_and_lead_override_when_it_does_not() {
    let mut t = Team::start(TempHome::new(), "default", 3, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());

    let agree = t.open(json!({ "candidates": t.refs, "mode": "lead" }));
    t.vote(0, &agree, &a, "a");
    t.vote(1, &agree, &a, "a again");
    let all_in = t.vote(2, &agree, &b, "b");
    assert_eq!(all_in["status"], "open", "lead mode waits for the lead");
    assert_eq!(all_in["tally"][&a], 2, "{all_in}");
    let resolved = t.lead_vote(&agree, &a, "the team is right");
    assert_eq!(resolved["outcome"], "lead");
    assert_eq!(resolved["winner"], a.as_str());
    let event = t.resolved_event(&agree, &resolved);
    let (lead_id, w0, w1, w2) = (
        t.lead_id.clone(),
        t.worker_id(0),
        t.worker_id(1),
        t.worker_id(2),
    );
    t.assert_votes(
        &event,
        &[
            (&lead_id, &a, "the team is right"),
            (&w0, &a, "a"),
            (&w1, &a, "a again"),
            (&w2, &b, "b"),
        ],
    );

    let differ = t.open(json!({ "candidates": t.refs, "mode": "lead" }));
    t.vote(0, &differ, &a, "a");
    t.vote(1, &differ, &a, "a again");
    let resolved = t.lead_vote(&differ, &b, "b fixes the real bug");
    assert_eq!(resolved["outcome"], "lead_override");
    assert_eq!(resolved["winner"], b.as_str());
    let event = t.resolved_event(&differ, &resolved);
    t.assert_votes(
        &event,
        &[
            (&lead_id, &b, "b fixes the real bug"),
            (&w0, &a, "a"),
            (&w1, &a, "a again"),
        ],
    );
}

#[test]
fn a_team_without_workers_falls_back_at_once() {
    let mut t = Team::start(TempHome::new(), "default", 0, 2);
    let d = t.open(json!({ "candidates": t.refs, "mode": "strict_vote" }));
    assert_eq!(d["status"], "resolved");
    assert_eq!(d["outcome"], "no_quorum");
    assert_eq!(d["winner"], t.refs[0].as_str());
    let event = t.resolved_event(&d, &d);
    t.assert_votes(&event, &[]);
}

#[test]
fn bad_arguments_and_wrong_voters_get_clear_errors() {
    let mut t = Team::start(TempHome::new(), "default", 2, 2);
    let (a, b) = (t.refs[0].clone(), t.refs[1].clone());

    let e = err(&mut t.lead, "team_merge", json!({ "candidates": [a] }));
    assert_eq!(e["field"], "candidates", "{e}");
    let e = err(
        &mut t.lead,
        "team_merge",
        json!({ "candidates": [a, "art:nope@1"] }),
    );
    assert_eq!(e["error"], "not_found", "{e}");
    let e = err(
        &mut t.lead,
        "team_merge",
        json!({ "candidates": [a, b], "mode": "majority" }),
    );
    assert_eq!(e["field"], "mode", "{e}");
    assert!(
        text(&e["message"]).contains("consensus, lead, strict_vote"),
        "{e}"
    );
    let e = err(&mut t.lead, "team_merge", json!({ "candidates": [a, a] }));
    assert_eq!(e["field"], "candidates[1]", "{e}");
    let e = err(
        &mut t.lead,
        "team_merge",
        json!({ "candidates": [a, b], "question": "x".repeat(501) }),
    );
    assert_eq!(e["field"], "question", "{e}");
    let e = err(
        &mut t.workers[0].1,
        "team_merge",
        json!({ "candidates": [a, b] }),
    );
    assert_eq!(e["error"], "forbidden", "{e}");

    let d = t.open(json!({ "candidates": [a, b] }));
    let e = err(
        &mut t.lead,
        "team_merge",
        json!({ "decision_id": d["decision_id"], "mode": "lead" }),
    );
    assert_eq!(e["field"], "mode", "{e}");
    let e = err(
        &mut t.workers[0].1,
        "team_vote",
        vote_args(&d, "art:other@1", "x"),
    );
    assert_eq!(e["field"], "choice", "{e}");
    let e = err(&mut t.workers[0].1, "team_vote", vote_args(&d, &a, "  "));
    assert_eq!(e["field"], "rationale", "{e}");
    let e = err(
        &mut t.workers[0].1,
        "team_vote",
        vote_args(&d, &a, &"y".repeat(501)),
    );
    assert_eq!(e["field"], "rationale", "{e}");
    let e = err(
        &mut t.workers[0].1,
        "team_vote",
        json!({ "decision_id": "dec_123", "choice": a, "rationale": "x" }),
    );
    assert_eq!(e["field"], "decision_id", "{e}");

    t.vote(0, &d, &a, "a");
    let e = err(
        &mut t.workers[0].1,
        "team_vote",
        vote_args(&d, &b, "changed my mind"),
    );
    assert_eq!(e["error"], "conflict", "one vote per agent: {e}");
    assert_eq!(e["details"]["choice"], a.as_str(), "{e}");

    // A worker spawned after the decision opened is not a voter on it.
    let spawned = ok(
        &mut t.lead,
        "team_spawn",
        json!({ "role": "tester", "justification": "a late voter", "runner": "external" }),
    );
    let mut newcomer = t.fx.worker(&spawned);
    let e = err(&mut newcomer, "team_vote", vote_args(&d, &a, "me too"));
    assert_eq!(e["error"], "forbidden", "{e}");

    // Another team cannot see the decision at all.
    let mut other_lead = t.fx.lead();
    ok(
        &mut other_lead,
        "team_start",
        json!({ "goal": "another team" }),
    );
    let e = err(
        &mut other_lead,
        "team_merge",
        json!({ "decision_id": d["decision_id"] }),
    );
    assert_eq!(e["error"], "not_found", "{e}");
}

#[test]
fn early_stop_stops_the_workers_once_a_decision_is_reached() {
    let fx = TempHome::new();
    fx.profile("stopper", &[("decision_reached", "true")]);
    let mut t = Team::start(fx, "stopper", 2, 2);
    let a = t.refs[0].clone();
    let d = t.open(json!({ "candidates": t.refs }));
    t.vote(0, &d, &a, "a");
    let last = t.vote(1, &d, &a, "a too");
    assert_eq!(last["outcome"], "unanimous");
    let status = ok(&mut t.lead, "team_status", json!({}));
    let stopped: Vec<&Value> = status["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["role"] != "lead")
        .collect();
    assert_eq!(stopped.len(), 2);
    for agent in stopped {
        assert_eq!(agent["state"], "stopped", "{agent}");
        assert_eq!(agent["reason"], "decision reached", "{agent}");
    }
    let e = err(&mut t.workers[0].1, "task_list", json!({}));
    assert_eq!(e["error"], "forbidden", "{e}");
}
