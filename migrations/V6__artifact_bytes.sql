-- The per-team storage quota sums artifact sizes on every publish: this index answers it
-- without reading any artifact's content.
CREATE INDEX artifacts_team_bytes ON artifacts(team_id, bytes);
