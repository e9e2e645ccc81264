-- codex-teams schema, version 2: arbitration.
-- A decision is opened by the lead over candidate artifacts; workers (and the lead) vote on
-- it; it is resolved exactly once, by whichever process first finds its rule satisfied.

CREATE TABLE decisions (
    decision_id          TEXT PRIMARY KEY,
    team_id              TEXT NOT NULL REFERENCES teams(team_id),
    question             TEXT,
    mode                 TEXT NOT NULL CHECK (mode IN ('consensus', 'lead', 'strict_vote')),
    candidates           TEXT NOT NULL,     -- JSON array of canonical refs art:<name>@<v>
    eligible             TEXT NOT NULL,     -- JSON array of voter agent ids, fixed at open
    quorum               REAL NOT NULL,
    on_tie               TEXT NOT NULL CHECK (on_tie IN ('lead', 'fail')),
    on_no_quorum         TEXT NOT NULL CHECK (on_no_quorum IN ('lead', 'fail')),
    on_consensus_failure TEXT NOT NULL CHECK (on_consensus_failure IN ('lead', 'fail')),
    opened_by            TEXT NOT NULL,     -- the lead's agent id
    created_at           INTEGER NOT NULL,  -- unix milliseconds
    deadline             INTEGER NOT NULL,
    override_choice      TEXT,              -- set by team_merge {decision_id, choice}
    status               TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'failed')),
    outcome              TEXT,
    winner               TEXT,
    reason               TEXT,
    resolved_at          INTEGER
);
CREATE INDEX decisions_team ON decisions(team_id, status);

-- One vote per agent per decision; the lead's vote is its choice, not an eligible vote.
CREATE TABLE votes (
    decision_id TEXT NOT NULL REFERENCES decisions(decision_id),
    agent_id    TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    choice      TEXT NOT NULL,
    rationale   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (decision_id, agent_id)
);
