-- codex-teams schema, version 1.
-- Every row carries the trace ids that apply to it; the events table is append-only.

CREATE TABLE teams (
    team_id       TEXT PRIMARY KEY,
    goal          TEXT NOT NULL,
    profile       TEXT NOT NULL,
    settings      TEXT NOT NULL,            -- resolved profile as JSON, fixed for the team's life
    state         TEXT NOT NULL CHECK (state IN ('active', 'finalized')),
    lead_agent_id TEXT NOT NULL,
    workspace     TEXT,
    summary       TEXT,                     -- run summary JSON, written at finalize
    created_at    INTEGER NOT NULL,         -- unix milliseconds
    finalized_at  INTEGER
);

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    team_id         TEXT NOT NULL REFERENCES teams(team_id),
    role            TEXT NOT NULL,
    runner          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('starting', 'active', 'idle', 'stopped', 'dead')),
    token_hash      TEXT,                   -- sha256 of the agent's secret; NULL for the lead
    brief           TEXT,
    model           TEXT,
    thread_id       TEXT,
    pid             INTEGER,
    stop_reason     TEXT,
    tokens_input    INTEGER NOT NULL DEFAULT 0,
    tokens_cached   INTEGER NOT NULL DEFAULT 0,
    tokens_output   INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    stopped_at      INTEGER
);
CREATE INDEX agents_team ON agents(team_id, state);

CREATE TABLE messages (
    message_id      TEXT PRIMARY KEY,
    team_id         TEXT NOT NULL REFERENCES teams(team_id),
    from_agent_id   TEXT NOT NULL,
    to_agent_id     TEXT,                   -- NULL for a broadcast
    body            TEXT NOT NULL,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency
    ON messages(team_id, from_agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One row per (message, recipient): the unit of at-least-once delivery.
CREATE TABLE deliveries (
    message_id     TEXT NOT NULL REFERENCES messages(message_id),
    agent_id       TEXT NOT NULL,
    team_id        TEXT NOT NULL,
    seq            INTEGER NOT NULL,        -- per-team send order
    delivery_count INTEGER NOT NULL DEFAULT 0,
    leased_until   INTEGER NOT NULL DEFAULT 0,
    acked_at       INTEGER,
    PRIMARY KEY (message_id, agent_id)
);
CREATE INDEX deliveries_inbox ON deliveries(agent_id, acked_at, leased_until, seq);

CREATE TABLE tasks (
    task_id      TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(team_id),
    title        TEXT NOT NULL,
    detail       TEXT,
    size         TEXT NOT NULL CHECK (size IN ('s', 'm', 'l')),
    role         TEXT,
    priority     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'done', 'failed', 'cancelled')),
    owner        TEXT,
    leased_until INTEGER,
    version      INTEGER NOT NULL DEFAULT 1,
    note         TEXT,
    artifact     TEXT,
    seq          INTEGER NOT NULL,          -- creation order within the team
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX tasks_team ON tasks(team_id, status);

CREATE TABLE task_deps (
    task_id TEXT NOT NULL REFERENCES tasks(task_id),
    dep_id  TEXT NOT NULL REFERENCES tasks(task_id),
    PRIMARY KEY (task_id, dep_id)
);

CREATE TABLE artifacts (
    artifact_id TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(team_id),
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    content     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    author      TEXT NOT NULL,
    task_id     TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (team_id, name, version)
);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          INTEGER NOT NULL,
    team_id     TEXT NOT NULL,
    agent_id    TEXT,
    task_id     TEXT,
    message_id  TEXT,
    artifact_id TEXT,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX events_team ON events(team_id, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
