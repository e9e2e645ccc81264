-- Fewer pages written per durable send (issue 10, point 4). A send inserts one message, one
-- delivery per recipient and one event; every b-tree it touches is one more page in the WAL
-- at commit. Two of those pages bought nothing:
--
-- 1. `deliveries` had a hidden rowid besides its primary key, so each delivery was written
--    twice (the rowid table and the primary key's index). As a WITHOUT ROWID table the row
--    lives in the primary key's b-tree itself.
-- 2. `events.seq` was AUTOINCREMENT, which updates the `sqlite_sequence` row of every insert.
--    Events are append-only (the triggers below refuse UPDATE and DELETE), so the largest
--    seq is never removed and a plain INTEGER PRIMARY KEY hands out exactly the same numbers
--    (max + 1) without that page.
--
-- Both tables are rebuilt in place: every row is copied with its values (seq included, so
-- the event hash chain verifies as before), then indexes and triggers are recreated.

CREATE TABLE deliveries_v9 (
    message_id     TEXT NOT NULL REFERENCES messages(message_id),
    agent_id       TEXT NOT NULL,
    team_id        TEXT NOT NULL,
    seq            INTEGER NOT NULL,        -- per-team send order
    delivery_count INTEGER NOT NULL DEFAULT 0,
    leased_until   INTEGER NOT NULL DEFAULT 0,
    acked_at       INTEGER,
    PRIMARY KEY (message_id, agent_id)
) WITHOUT ROWID;
INSERT INTO deliveries_v9 (message_id, agent_id, team_id, seq, delivery_count, leased_until, acked_at)
    SELECT message_id, agent_id, team_id, seq, delivery_count, leased_until, acked_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v9 RENAME TO deliveries;
CREATE INDEX deliveries_inbox ON deliveries(agent_id, acked_at, leased_until, seq);

DROP TRIGGER events_no_update;
DROP TRIGGER events_no_delete;
CREATE TABLE events_v9 (
    seq         INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL,
    team_id     TEXT NOT NULL,
    agent_id    TEXT,
    task_id     TEXT,
    message_id  TEXT,
    artifact_id TEXT,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    chain       TEXT NOT NULL DEFAULT ''
);
INSERT INTO events_v9 (seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data, chain)
    SELECT seq, ts, team_id, agent_id, task_id, message_id, artifact_id, kind, data, chain FROM events;
DROP TABLE events;
ALTER TABLE events_v9 RENAME TO events;
CREATE INDEX events_team ON events(team_id, seq);
CREATE INDEX events_fanout ON events(team_id, seq) WHERE kind = 'fanout.recommended';
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
