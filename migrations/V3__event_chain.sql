-- Tamper evidence for the event log: each event stores sha256(previous chain of its team ||
-- the event's own fields). `codex-teams replay` recomputes the chain; an edited, inserted or
-- removed event breaks it from that point on.
ALTER TABLE events ADD COLUMN chain TEXT NOT NULL DEFAULT '';
