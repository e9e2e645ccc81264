//! The arbitration rules: each outcome's table row, quorum, mode parsing, and property
//! tests that vote order and time never change a resolution.

use super::*;
use proptest::prelude::*;

const A: &str = "art:a@1";
const B: &str = "art:b@1";
const C: &str = "art:c@1";
const DEADLINE: i64 = 1_000;

fn input(mode: ArbitrationMode, eligible: &[&str], votes: &[(&str, &str)]) -> DecisionInput {
    DecisionInput {
        mode,
        candidates: vec![A.into(), B.into(), C.into()],
        eligible: eligible.iter().map(|s| s.to_string()).collect(),
        quorum: 0.5,
        on_tie: Fallback::Lead,
        on_no_quorum: Fallback::Lead,
        on_consensus_failure: Fallback::Lead,
        deadline: DEADLINE,
        votes: votes
            .iter()
            .map(|(agent, choice)| Ballot {
                agent: agent.to_string(),
                choice: choice.to_string(),
            })
            .collect(),
        lead_choice: None,
        lead_override: None,
        absent: Vec::new(),
    }
}

use ArbitrationMode::{Consensus, Lead, StrictVote};
use Outcome as O;
use Status::{Failed, Resolved};

struct Case {
    name: &'static str,
    input: DecisionInput,
    now: i64,
    want: Option<(Status, Outcome, Option<&'static str>)>,
}

fn case(
    name: &'static str,
    input: DecisionInput,
    now: i64,
    want: Option<(Status, Outcome, Option<&'static str>)>,
) -> Case {
    Case {
        name,
        input,
        now,
        want,
    }
}

fn with(mut i: DecisionInput, f: impl FnOnce(&mut DecisionInput)) -> DecisionInput {
    f(&mut i);
    i
}

fn cases() -> Vec<Case> {
    let w2 = ["w1", "w2"];
    let w3 = ["w1", "w2", "w3"];
    let w4 = ["w1", "w2", "w3", "w4"];
    vec![
        // consensus
        case(
            "consensus_unanimous",
            input(Consensus, &w2, &[("w1", A), ("w2", A)]),
            0,
            Some((Resolved, O::Unanimous, Some(A))),
        ),
        case(
            "consensus_waits_for_missing_votes",
            input(Consensus, &w2, &[("w1", A)]),
            0,
            None,
        ),
        case(
            "consensus_split_falls_back_to_the_lead_vote",
            with(input(Consensus, &w2, &[("w1", A), ("w2", B)]), |i| {
                i.lead_choice = Some(B.into())
            }),
            0,
            Some((Resolved, O::Split, Some(B))),
        ),
        case(
            "consensus_split_without_lead_vote_takes_the_first_candidate",
            input(Consensus, &w2, &[("w1", B), ("w2", C)]),
            0,
            Some((Resolved, O::Split, Some(A))),
        ),
        case(
            "consensus_split_with_fail_fallback_fails",
            with(input(Consensus, &w2, &[("w1", A), ("w2", B)]), |i| {
                i.on_consensus_failure = Fallback::Fail
            }),
            0,
            Some((Failed, O::Split, None)),
        ),
        case(
            "consensus_split_resolves_before_everyone_votes",
            input(Consensus, &w3, &[("w1", A), ("w2", B)]),
            0,
            Some((Resolved, O::Split, Some(A))),
        ),
        case(
            "consensus_timeout_falls_back_on_no_quorum",
            with(input(Consensus, &w2, &[("w1", A)]), |i| {
                i.lead_choice = Some(C.into())
            }),
            DEADLINE,
            Some((Resolved, O::Timeout, Some(C))),
        ),
        case(
            "consensus_timeout_with_fail_fallback_fails",
            with(input(Consensus, &w2, &[("w1", A)]), |i| {
                i.on_no_quorum = Fallback::Fail
            }),
            DEADLINE + 1,
            Some((Failed, O::Timeout, None)),
        ),
        case(
            "consensus_with_a_stopped_voter_is_no_quorum",
            with(input(Consensus, &w2, &[("w1", A)]), |i| {
                i.absent = vec!["w2".into()]
            }),
            0,
            Some((Resolved, O::NoQuorum, Some(A))),
        ),
        case(
            "consensus_without_voters_is_no_quorum",
            with(input(Consensus, &[], &[]), |i| {
                i.on_no_quorum = Fallback::Fail
            }),
            0,
            Some((Failed, O::NoQuorum, None)),
        ),
        case(
            "votes_of_non_eligible_agents_do_not_count",
            input(Consensus, &["w1"], &[("w9", B), ("w1", A)]),
            0,
            Some((Resolved, O::Unanimous, Some(A))),
        ),
        case(
            "lead_override_settles_an_open_consensus",
            with(input(Consensus, &w3, &[("w1", A)]), |i| {
                i.lead_override = Some(B.into())
            }),
            0,
            Some((Resolved, O::LeadOverride, Some(B))),
        ),
        // strict_vote
        case(
            "strict_majority_resolves_once_more_than_half_of_eligible_agree",
            input(StrictVote, &w3, &[("w1", B), ("w2", B)]),
            0,
            Some((Resolved, O::Majority, Some(B))),
        ),
        case(
            "strict_majority_still_needs_quorum",
            with(input(StrictVote, &w3, &[("w1", B), ("w2", B)]), |i| {
                i.quorum = 1.0
            }),
            0,
            None,
        ),
        case(
            "strict_majority_of_votes_cast_counts_at_the_deadline",
            input(StrictVote, &w4, &[("w1", A), ("w2", A), ("w3", B)]),
            DEADLINE,
            Some((Resolved, O::Majority, Some(A))),
        ),
        case(
            "strict_majority_of_votes_cast_waits_before_the_deadline",
            input(StrictVote, &w4, &[("w1", A), ("w2", A), ("w3", B)]),
            DEADLINE - 1,
            None,
        ),
        case(
            "strict_tie_falls_back_to_the_lead_vote",
            with(input(StrictVote, &w2, &[("w1", A), ("w2", B)]), |i| {
                i.lead_choice = Some(B.into())
            }),
            0,
            Some((Resolved, O::Tie, Some(B))),
        ),
        case(
            "strict_tie_with_fail_fallback_fails",
            with(input(StrictVote, &w2, &[("w1", A), ("w2", B)]), |i| {
                i.on_tie = Fallback::Fail
            }),
            0,
            Some((Failed, O::Tie, None)),
        ),
        case(
            "strict_plurality_without_majority_is_split_via_on_tie",
            with(
                input(
                    StrictVote,
                    &w4,
                    &[("w1", C), ("w2", C), ("w3", A), ("w4", B)],
                ),
                |i| i.on_tie = Fallback::Fail,
            ),
            0,
            Some((Failed, O::Split, None)),
        ),
        case(
            "strict_below_quorum_at_the_deadline_is_no_quorum",
            with(input(StrictVote, &w3, &[("w1", B)]), |i| i.quorum = 0.6),
            DEADLINE,
            Some((Resolved, O::NoQuorum, Some(A))),
        ),
        case(
            "strict_below_quorum_with_fail_fallback_fails",
            with(input(StrictVote, &w3, &[("w1", B)]), |i| {
                i.quorum = 0.6;
                i.on_no_quorum = Fallback::Fail
            }),
            DEADLINE,
            Some((Failed, O::NoQuorum, None)),
        ),
        case(
            "strict_no_quorum_once_the_missing_voters_stopped",
            with(input(StrictVote, &w3, &[("w1", B), ("w2", B)]), |i| {
                i.quorum = 1.0;
                i.absent = vec!["w3".into()];
                i.lead_choice = Some(C.into())
            }),
            0,
            Some((Resolved, O::NoQuorum, Some(C))),
        ),
        case(
            "strict_without_voters_is_no_quorum",
            input(StrictVote, &[], &[]),
            0,
            Some((Resolved, O::NoQuorum, Some(A))),
        ),
        case(
            "lead_override_settles_an_open_strict_vote",
            with(input(StrictVote, &w3, &[]), |i| {
                i.lead_override = Some(C.into())
            }),
            0,
            Some((Resolved, O::LeadOverride, Some(C))),
        ),
        // lead
        case(
            "lead_mode_waits_for_the_lead",
            input(Lead, &w2, &[("w1", A), ("w2", A)]),
            0,
            None,
        ),
        case(
            "lead_mode_without_worker_votes_is_lead",
            with(input(Lead, &w2, &[]), |i| i.lead_choice = Some(B.into())),
            0,
            Some((Resolved, O::Lead, Some(B))),
        ),
        case(
            "lead_mode_agreeing_with_the_plurality_is_lead",
            with(input(Lead, &w3, &[("w1", A), ("w2", A), ("w3", B)]), |i| {
                i.lead_choice = Some(A.into())
            }),
            0,
            Some((Resolved, O::Lead, Some(A))),
        ),
        case(
            "lead_mode_choosing_one_of_tied_leaders_is_lead",
            with(input(Lead, &w2, &[("w1", A), ("w2", B)]), |i| {
                i.lead_choice = Some(B.into())
            }),
            0,
            Some((Resolved, O::Lead, Some(B))),
        ),
        case(
            "lead_mode_against_the_plurality_is_lead_override",
            with(input(Lead, &w3, &[("w1", A), ("w2", A), ("w3", B)]), |i| {
                i.lead_choice = Some(B.into())
            }),
            0,
            Some((Resolved, O::LeadOverride, Some(B))),
        ),
        case(
            "lead_mode_override_is_the_lead_choice",
            with(input(Lead, &w2, &[("w1", C)]), |i| {
                i.lead_override = Some(C.into())
            }),
            0,
            Some((Resolved, O::Lead, Some(C))),
        ),
        case(
            "lead_mode_timeout_falls_back_on_no_quorum",
            input(Lead, &w2, &[("w1", B), ("w2", B)]),
            DEADLINE,
            Some((Resolved, O::Timeout, Some(A))),
        ),
        case(
            "lead_mode_timeout_with_fail_fallback_fails",
            with(input(Lead, &w2, &[]), |i| i.on_no_quorum = Fallback::Fail),
            DEADLINE,
            Some((Failed, O::Timeout, None)),
        ),
    ]
}

#[test]
fn evaluate_gives_every_outcome_its_defined_result() {
    let mut failures = Vec::new();
    for c in cases() {
        let got = evaluate(&c.input, c.now);
        let got_key = got
            .as_ref()
            .map(|r| (r.status, r.outcome, r.winner.clone()));
        let want_key = c.want.map(|(s, o, w)| (s, o, w.map(String::from)));
        if got_key != want_key {
            failures.push(format!(
                "{}: want {want_key:?}, got {got_key:?} ({:?})",
                c.name,
                got.map(|r| r.reason)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_outcome_is_covered_by_the_table() {
    let seen: Vec<Outcome> = cases().iter().filter_map(|c| c.want.map(|w| w.1)).collect();
    for o in [
        O::Unanimous,
        O::Split,
        O::Majority,
        O::Tie,
        O::NoQuorum,
        O::Timeout,
        O::Lead,
        O::LeadOverride,
    ] {
        assert!(seen.contains(&o), "{o:?} has no case");
    }
}

#[test]
fn reasons_name_the_fallback_that_fired() {
    let r = evaluate(&input(Consensus, &["w1", "w2"], &[("w1", A), ("w2", B)]), 0);
    let reason = r.map(|r| r.reason).unwrap_or_default();
    assert!(reason.contains("on_consensus_failure=lead"), "{reason}");
    assert!(reason.contains("art:a@1=1, art:b@1=1"), "{reason}");
}

#[test]
fn quorum_rounds_up_to_whole_voters() {
    assert_eq!(quorum_needed(0.5, 3), 2);
    assert_eq!(quorum_needed(0.6, 5), 3);
    assert_eq!(quorum_needed(1.0, 4), 4);
    assert_eq!(quorum_needed(0.01, 4), 1);
}

#[test]
fn modes_parse_with_an_error_naming_the_field_and_the_valid_values() {
    assert_eq!(
        parse_mode("mode", "Strict_Vote").ok(),
        Some(ArbitrationMode::StrictVote)
    );
    let err = parse_mode("mode", "majority")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("`mode`"), "{err}");
    assert!(err.contains("consensus, lead, strict_vote"), "{err}");
}

#[test]
fn recorded_inputs_round_trip_through_json() {
    let i = with(input(StrictVote, &["w1"], &[("w1", A)]), |i| {
        i.absent = vec!["w2".into()]
    });
    let text = serde_json::to_string(&i).unwrap_or_default();
    let back: Option<DecisionInput> = serde_json::from_str(&text).ok();
    assert_eq!(back, Some(i));
}

#[test]
fn the_skill_states_the_shipped_profiles_arbitration_rules() {
    let skill = include_str!("../../skills/agent-teams/references/policies.md");
    for (name, _) in crate::policy::BUILTIN {
        let rules = crate::policy::Profile::builtin(name)
            .map(|p| p.arbitration)
            .ok();
        let Some(a) = rules else {
            panic!("{name} does not load");
        };
        let row = format!(
            "| {name} | {} | {} | {} | {} | {} | {} s |",
            mode_str(a.mode),
            a.quorum,
            fallback_str(a.on_tie),
            fallback_str(a.on_no_quorum),
            fallback_str(a.on_consensus_failure),
            a.timeout_ms / 1000
        );
        assert!(
            skill.contains(&row),
            "policies.md lacks or misstates: {row}"
        );
    }
}

fn arb_input() -> impl Strategy<Value = DecisionInput> {
    let modes = prop_oneof![Just(Consensus), Just(Lead), Just(StrictVote)];
    let fallback = || prop_oneof![Just(Fallback::Lead), Just(Fallback::Fail)];
    (
        modes,
        1usize..=6,
        proptest::collection::vec(0usize..3, 0..=6),
        proptest::option::of(0usize..3),
        0.1f64..=1.0,
        (fallback(), fallback(), fallback()),
        proptest::collection::vec(0usize..6, 0..=2),
    )
        .prop_map(|(mode, e, picks, lead, quorum, (t, q, c), absent)| {
            let cands = [A, B, C];
            let eligible: Vec<String> = (0..e).map(|n| format!("w{n}")).collect();
            let votes = picks
                .iter()
                .take(e)
                .enumerate()
                .map(|(n, p)| Ballot {
                    agent: format!("w{n}"),
                    choice: cands[*p].to_string(),
                })
                .collect();
            DecisionInput {
                mode,
                candidates: cands.iter().map(|c| c.to_string()).collect(),
                eligible,
                quorum,
                on_tie: t,
                on_no_quorum: q,
                on_consensus_failure: c,
                deadline: DEADLINE,
                votes,
                lead_choice: lead.map(|l| cands[l].to_string()),
                lead_override: None,
                absent: absent.iter().map(|n| format!("w{n}")).collect(),
            }
        })
}

proptest! {
    #[test]
    fn the_order_of_votes_does_not_matter(i in arb_input(), now in 0i64..2_000) {
        let mut reversed = i.clone();
        reversed.votes.reverse();
        prop_assert_eq!(evaluate(&i, now), evaluate(&reversed, now));
    }

    #[test]
    fn a_resolution_never_changes_with_time(i in arb_input(), now in 0i64..2_000) {
        if let Some(r) = evaluate(&i, now) {
            prop_assert_eq!(Some(r), evaluate(&i, now + 5_000));
        }
    }

    #[test]
    fn every_decision_resolves_by_its_deadline(i in arb_input()) {
        prop_assert!(evaluate(&i, DEADLINE).is_some());
    }

    #[test]
    fn a_winner_is_always_a_candidate(i in arb_input(), now in 0i64..2_000) {
        if let Some(r) = evaluate(&i, now) {
            prop_assert_eq!(r.winner.is_some(), r.status == Status::Resolved);
            if let Some(w) = r.winner {
                prop_assert!(i.candidates.contains(&w));
            }
        }
    }
}
