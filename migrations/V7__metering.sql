-- codex-teams schema, version 7: metering from Codex's own records.
-- Every model request a Codex session makes is written to its thread's rollout file
-- ($CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl). One row per thread
-- being metered says whom its requests are charged to and how far the file has been
-- charged. The offset only moves inside the write transaction that charges the requests
-- before it, so each request is charged exactly once, whichever process reads the file.

CREATE TABLE usage_marks (
    thread_id  TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(team_id),
    agent_id   TEXT NOT NULL,
    codex_home TEXT,                    -- where to look for the rollout file
    path       TEXT,                    -- the rollout file, once found
    offset     INTEGER NOT NULL DEFAULT 0,  -- bytes of the file already charged
    format     TEXT CHECK (format IN ('usage_record', 'token_count')),
    last_total INTEGER NOT NULL DEFAULT 0,  -- thread total at the last token_count line
    -- 'stream': no rollout file was found, so the thread is charged from the cumulative
    -- usage of `codex exec --json`'s turn.completed instead (never both).
    source     TEXT NOT NULL DEFAULT 'rollout' CHECK (source IN ('rollout', 'stream')),
    stream_input  INTEGER NOT NULL DEFAULT 0,
    stream_cached INTEGER NOT NULL DEFAULT 0,
    stream_output INTEGER NOT NULL DEFAULT 0,
    requests   INTEGER NOT NULL DEFAULT 0,  -- requests charged from this thread
    updated_at INTEGER NOT NULL
);
CREATE INDEX usage_marks_team ON usage_marks(team_id);
