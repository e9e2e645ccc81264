-- Status is a read (issue 10). `board_state` holds, per team, a revision that triggers bump on
-- every write that changes what the planner and the task counts read (tasks created or
-- changing status/owner, agents joining or changing state or token totals), and the counts
-- and plan last computed at `cached_rev`. team_status uses the cached values while
-- `cached_rev = rev` and no claim's lease has run out since (`valid_until`); otherwise it
-- computes them in its own read transaction. Housekeeping (the server's ticker and the
-- writes that change the board) refreshes the cache.
CREATE TABLE board_state (
    team_id     TEXT PRIMARY KEY REFERENCES teams(team_id),
    rev         INTEGER NOT NULL DEFAULT 0,
    cached_rev  INTEGER,
    valid_until INTEGER,
    counts      TEXT,
    plan        TEXT,
    digest      TEXT,
    tokens      INTEGER  -- the team's token total the plan's budget was computed from
);

CREATE TRIGGER board_rev_task_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO board_state (team_id, rev) VALUES (NEW.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET rev = rev + 1;
END;
CREATE TRIGGER board_rev_task_update AFTER UPDATE OF status, owner ON tasks BEGIN
    INSERT INTO board_state (team_id, rev) VALUES (NEW.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET rev = rev + 1;
END;
CREATE TRIGGER board_rev_agent_insert AFTER INSERT ON agents BEGIN
    INSERT INTO board_state (team_id, rev) VALUES (NEW.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET rev = rev + 1;
END;
-- Token totals are left out on purpose: metering updates them on nearly every call, and
-- only the plan's budget cap reads them; the ticker re-plans when they moved (`tokens`).
CREATE TRIGGER board_rev_agent_update AFTER UPDATE OF state ON agents BEGIN
    INSERT INTO board_state (team_id, rev) VALUES (NEW.team_id, 1)
        ON CONFLICT (team_id) DO UPDATE SET rev = rev + 1;
END;

-- An agent's current task (every agents listing) was a scan of the team's tasks per agent.
CREATE INDEX tasks_claimed_owner ON tasks(owner, seq) WHERE status = 'claimed';
-- task_list pages in creation order.
CREATE INDEX tasks_team_seq ON tasks(team_id, seq);
-- What blocks a task: the tasks that depend on a given one.
CREATE INDEX task_deps_dep ON task_deps(dep_id);
-- task_claim without a task id takes the best ready task: this order, read until the first
-- ready one the caller may take, instead of sorting the whole board.
CREATE INDEX tasks_claim_order ON tasks(team_id, priority DESC,
    (CASE size WHEN 'l' THEN 0 WHEN 'm' THEN 1 ELSE 2 END), seq)
    WHERE status IN ('open', 'claimed');
