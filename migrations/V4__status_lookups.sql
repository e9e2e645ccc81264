-- Lookups every team_status makes, which must not slow down as the event log grows.
-- The latest fan-out recommendation of a team: a partial index holds only those events, so
-- the lookup is a seek, and inserting any other event (one per message) costs nothing extra.
CREATE INDEX events_fanout ON events(team_id, seq) WHERE kind = 'fanout.recommended';
