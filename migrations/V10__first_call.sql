-- When a worker first called a team tool (NULL until it does). A worker is `active` as soon
-- as its MCP server checks its credentials at start-up; whether its Codex ever called a
-- tool is this column. A worker whose process ends with it still NULL never took part in
-- the team (its Codex had no team tools, or answered its brief in prose): the engine marks
-- it dead with that reason, and `team_spawn` stops replacing such workers after two in a
-- row. Agents that had already left `starting` before this migration count as having
-- called, so no existing team is refused a spawn on upgrade.
ALTER TABLE agents ADD COLUMN first_call_at INTEGER;
UPDATE agents SET first_call_at = last_activity_at WHERE state != 'starting';
